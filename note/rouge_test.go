package note

import "strings"

// rougeLsumF is rougeLsum F1 (0-1) as rouge-score computes it: candidate and reference split into
// sentences at newlines, union-LCS per reference sentence, lower-cased alphanumeric tokens.
// (A test helper; the evals package owns the reference implementation.)
func rougeLsumF(cand, ref string) float64 {
	split := func(s string) [][]string {
		var out [][]string
		for _, l := range strings.Split(s, "\n") {
			if w := words(l); len(w) > 0 {
				out = append(out, w)
			}
		}
		return out
	}
	cs, rs := split(cand), split(ref)
	cTot, rTot := 0, 0
	cCount, rCount := map[string]int{}, map[string]int{}
	for _, c := range cs {
		cTot += len(c)
		for _, w := range c {
			cCount[w]++
		}
	}
	for _, r := range rs {
		rTot += len(r)
		for _, w := range r {
			rCount[w]++
		}
	}
	if cTot == 0 || rTot == 0 {
		return 0
	}
	hits := 0
	for _, r := range rs {
		union := map[int]bool{}
		for _, c := range cs {
			for _, i := range lcsIndices(r, c) {
				union[i] = true
			}
		}
		for i := 0; i < len(r); i++ {
			if !union[i] {
				continue
			}
			w := r[i]
			if cCount[w] > 0 && rCount[w] > 0 {
				hits++
				cCount[w]--
				rCount[w]--
			}
		}
	}
	p, rc := float64(hits)/float64(cTot), float64(hits)/float64(rTot)
	if hits == 0 {
		return 0
	}
	return 2 * p * rc / (p + rc)
}

// lcsIndices returns the indices in a of one longest common subsequence of a and b.
func lcsIndices(a, b []string) []int {
	n, m := len(a), len(b)
	t := make([][]int, n+1)
	for i := range t {
		t[i] = make([]int, m+1)
	}
	for i := 1; i <= n; i++ {
		for j := 1; j <= m; j++ {
			if a[i-1] == b[j-1] {
				t[i][j] = t[i-1][j-1] + 1
			} else if t[i-1][j] >= t[i][j-1] {
				t[i][j] = t[i-1][j]
			} else {
				t[i][j] = t[i][j-1]
			}
		}
	}
	var out []int
	i, j := n, m
	for i > 0 && j > 0 {
		switch {
		case a[i-1] == b[j-1]:
			out = append(out, i-1)
			i--
			j--
		case t[i-1][j] >= t[i][j-1]:
			i--
		default:
			j--
		}
	}
	return out
}
