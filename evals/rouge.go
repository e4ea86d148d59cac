package evals

import (
	"strings"
)

// PRF is a precision, recall and F-measure triple on the 0-1 scale.
type PRF struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F         float64 `json:"f"`
}

// RougeScores holds the four ROUGE variants the clinical-note benchmarks publish.
type RougeScores struct {
	Rouge1    PRF `json:"rouge1"`
	Rouge2    PRF `json:"rouge2"`
	RougeL    PRF `json:"rougeL"`
	RougeLsum PRF `json:"rougeLsum"`
}

// Tokenize splits text the way rouge-score 0.1.2 does without a stemmer: lowercase, every run
// of characters outside [a-z0-9] becomes a space, split on whitespace, keep only non-empty
// [a-z0-9]+ tokens. Python's str.lower maps two non-ASCII letters into ASCII: the Kelvin sign
// to "k", and the dotted capital I to "i" followed by a combining dot (which then separates
// tokens); both are mirrored here.
func Tokenize(text string) []string {
	var toks []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			toks = append(toks, b.String())
			b.Reset()
		}
	}
	for _, r := range text {
		switch {
		case r >= 'A' && r <= 'Z':
			b.WriteByte(byte(r - 'A' + 'a'))
		case (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9'):
			b.WriteByte(byte(r))
		case r == 0x212A: // KELVIN SIGN lowercases to "k"
			b.WriteByte('k')
		case r == 0x0130: // CAPITAL I WITH DOT ABOVE lowercases to "i" + U+0307
			b.WriteByte('i')
			flush()
		default:
			flush()
		}
	}
	flush()
	return toks
}

// fmeasure is rouge-score's scoring.fmeasure.
func fmeasure(p, r float64) float64 {
	if p+r > 0 {
		return 2 * p * r / (p + r)
	}
	return 0
}

// Rouge scores a prediction against a reference exactly as rouge-score 0.1.2
// (RougeScorer(["rouge1","rouge2","rougeL","rougeLsum"], use_stemmer=False)).score(reference,
// prediction). rougeLsum treats each line as a sentence (empty lines dropped) and uses the
// summary-level union LCS with the ROUGE-1.5.5 double-counting guard.
func Rouge(reference, prediction string) RougeScores {
	var in interner
	ref := in.ids(Tokenize(reference))
	pred := in.ids(Tokenize(prediction))
	var s RougeScores
	s.Rouge1 = ngramScore(ref, pred, 1)
	s.Rouge2 = ngramScore(ref, pred, 2)
	s.RougeL = lcsScore(ref, pred)
	rs, ps := in.sents(reference), in.sents(prediction)
	if len(rs) == 1 && len(ps) == 1 {
		// One sentence each: the union LCS is the LCS and the double-counting guard never
		// fires (every LCS token occurs in both), so rougeLsum equals rougeL.
		s.RougeLsum = s.RougeL
	} else {
		s.RougeLsum = summaryLCS(rs, ps, in.n())
	}
	return s
}

// interner maps tokens to dense ints so n-gram keys and LCS comparisons are cheap.
type interner struct{ m map[string]int32 }

func (in *interner) ids(toks []string) []int32 {
	if in.m == nil {
		in.m = make(map[string]int32, 512)
	}
	out := make([]int32, len(toks))
	for i, t := range toks {
		id, ok := in.m[t]
		if !ok {
			id = int32(len(in.m))
			in.m[t] = id
		}
		out[i] = id
	}
	return out
}

func (in *interner) n() int { return len(in.m) }

// sents is rouge-score's get_sents: split on "\n", drop empty strings (lines holding only
// spaces are kept and tokenize to nothing), tokenize each.
func (in *interner) sents(text string) [][]int32 {
	var out [][]int32
	for _, line := range strings.Split(text, "\n") {
		if line == "" {
			continue
		}
		out = append(out, in.ids(Tokenize(line)))
	}
	return out
}

func ngramScore(ref, pred []int32, n int) PRF {
	count := func(t []int32) map[uint64]int {
		m := make(map[uint64]int, len(t))
		for i := 0; i+n <= len(t); i++ {
			var k uint64
			for j := 0; j < n; j++ {
				k = k<<32 | uint64(uint32(t[i+j]))
			}
			m[k]++
		}
		return m
	}
	rc, pc := count(ref), count(pred)
	inter, rn, pn := 0, 0, 0
	for k, v := range rc {
		inter += min(v, pc[k])
		rn += v
	}
	for _, v := range pc {
		pn += v
	}
	p := float64(inter) / float64(max(pn, 1))
	r := float64(inter) / float64(max(rn, 1))
	return PRF{p, r, fmeasure(p, r)}
}

// lcsLen is the LCS length in O(len(a)·len(b)) time and O(len(b)) memory.
func lcsLen(a, b []int32) int {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	prev := make([]int32, len(b)+1)
	cur := make([]int32, len(b)+1)
	for i := range a {
		ai := a[i]
		for j := range b {
			switch {
			case ai == b[j]:
				cur[j+1] = prev[j] + 1
			case prev[j+1] >= cur[j]:
				cur[j+1] = prev[j+1]
			default:
				cur[j+1] = cur[j]
			}
		}
		prev, cur = cur, prev
	}
	return int(prev[len(b)])
}

func lcsScore(ref, pred []int32) PRF {
	if len(ref) == 0 || len(pred) == 0 {
		return PRF{}
	}
	l := float64(lcsLen(ref, pred))
	p := l / float64(len(pred))
	r := l / float64(len(ref))
	return PRF{p, r, fmeasure(p, r)}
}

// summaryLCS is rouge-score's _summary_level_lcs. vocab is the number of distinct token ids.
func summaryLCS(refSents, predSents [][]int32, vocab int) PRF {
	if len(refSents) == 0 || len(predSents) == 0 {
		return PRF{}
	}
	m, n := 0, 0
	cntR := make([]int, vocab)
	cntC := make([]int, vocab)
	for _, s := range refSents {
		m += len(s)
		for _, t := range s {
			cntR[t]++
		}
	}
	for _, s := range predSents {
		n += len(s)
		for _, t := range s {
			cntC[t]++
		}
	}
	if m == 0 || n == 0 {
		return PRF{}
	}
	var table []int32
	var mark []bool
	hits := 0
	for _, r := range refSents {
		if cap(mark) < len(r) {
			mark = make([]bool, len(r))
		}
		mark = mark[:len(r)]
		clear(mark)
		for _, c := range predSents {
			table = lcsMark(r, c, table, mark)
		}
		// The union of LCS indices, in reference order (sorted set), then the guard.
		for i, on := range mark {
			if !on {
				continue
			}
			t := r[i]
			if cntC[t] > 0 && cntR[t] > 0 {
				hits++
				cntC[t]--
				cntR[t]--
			}
		}
	}
	p := float64(hits) / float64(n)
	rc := float64(hits) / float64(m)
	return PRF{p, rc, fmeasure(p, rc)}
}

// lcsMark fills the full LCS table of ref×can (reusing buf) and marks in mark the reference
// indices of the one LCS rouge-score's _backtrack_norec reads out; its tie-breaking decides
// which LCS is chosen, and that changes rougeLsum, so it is followed exactly.
func lcsMark(ref, can []int32, buf []int32, mark []bool) []int32 {
	rows, cols := len(ref), len(can)
	if rows == 0 || cols == 0 {
		return buf
	}
	w := cols + 1
	size := (rows + 1) * w
	if cap(buf) < size {
		buf = make([]int32, size)
	}
	t := buf[:size]
	for j := 0; j <= cols; j++ {
		t[j] = 0
	}
	for i := 1; i <= rows; i++ {
		row := t[i*w : (i+1)*w]
		up := t[(i-1)*w : i*w]
		row[0] = 0
		ri := ref[i-1]
		for j := 1; j <= cols; j++ {
			if ri == can[j-1] {
				row[j] = up[j-1] + 1
			} else if up[j] >= row[j-1] {
				row[j] = up[j]
			} else {
				row[j] = row[j-1]
			}
		}
	}
	i, j := rows, cols
	for i > 0 && j > 0 {
		if ref[i-1] == can[j-1] {
			mark[i-1] = true
			i--
			j--
		} else if t[i*w+j-1] > t[(i-1)*w+j] {
			j--
		} else {
			i--
		}
	}
	return buf
}
