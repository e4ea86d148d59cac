package evals

import (
	"strings"
)

// DiffOp tags a word of a side-by-side diff.
type DiffOp int

// Diff operations: a word both texts share (in LCS order), or one only this side has.
const (
	DiffSame DiffOp = iota
	DiffOnly
)

// DiffWord is one displayed word (with the whitespace that followed it).
type DiffWord struct {
	Text string
	Op   DiffOp
}

// WordDiff aligns two texts word by word (an LCS over ROUGE-normalized words) and returns each
// side's words tagged as shared or unique to that side, keeping the original spelling and
// line breaks for display.
func WordDiff(reference, generated string) (ref, gen []DiffWord) {
	rw, rk := displayWords(reference)
	gw, gk := displayWords(generated)
	var in interner
	a, b := in.ids(rk), in.ids(gk)
	// Words with an empty key (punctuation only) are shown as shared.
	n, m := len(a), len(b)
	w := m + 1
	t := make([]int32, (n+1)*w)
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			switch {
			case rk[i] != "" && a[i] == b[j]:
				t[i*w+j] = t[(i+1)*w+j+1] + 1
			case t[(i+1)*w+j] >= t[i*w+j+1]:
				t[i*w+j] = t[(i+1)*w+j]
			default:
				t[i*w+j] = t[i*w+j+1]
			}
		}
	}
	refSame := make([]bool, n)
	genSame := make([]bool, m)
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case rk[i] != "" && a[i] == b[j]:
			refSame[i], genSame[j] = true, true
			i++
			j++
		case t[(i+1)*w+j] >= t[i*w+j+1]:
			i++
		default:
			j++
		}
	}
	for k, x := range rw {
		op := DiffOnly
		if refSame[k] || rk[k] == "" {
			op = DiffSame
		}
		ref = append(ref, DiffWord{x, op})
	}
	for k, x := range gw {
		op := DiffOnly
		if genSame[k] || gk[k] == "" {
			op = DiffSame
		}
		gen = append(gen, DiffWord{x, op})
	}
	return ref, gen
}

// displayWords splits text into words each carrying its trailing whitespace, and their
// comparison keys (ROUGE tokens joined; "" for punctuation-only words).
func displayWords(text string) (words, keys []string) {
	i := 0
	for i < len(text) {
		j := i
		for j < len(text) && !isSpace(text[j]) {
			j++
		}
		k := j
		for k < len(text) && isSpace(text[k]) {
			k++
		}
		words = append(words, text[i:k])
		keys = append(keys, strings.Join(Tokenize(text[i:j]), " "))
		i = k
	}
	return words, keys
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }
