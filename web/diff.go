package web

import (
	"strings"

	"github.com/medscribe/medscribe/store"
)

// LineDiff is a unified-style line diff ("-" removed, "+" added, " " kept) between the
// machine draft and the signed note, stored with the signature.
func LineDiff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	ops := lcsOps(x, y)
	var out strings.Builder
	for _, op := range ops {
		out.WriteString(op)
		out.WriteByte('\n')
	}
	return out.String()
}

// lcsOps aligns two sequences by longest common subsequence and renders the edit script.
func lcsOps(x, y []string) []string {
	n, m := len(x), len(y)
	dp := make([][]int32, n+1)
	for i := range dp {
		dp[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	var ops []string
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case x[i] == y[j]:
			ops = append(ops, " "+x[i])
			i, j = i+1, j+1
		case dp[i+1][j] >= dp[i][j+1]:
			ops = append(ops, "-"+x[i])
			i++
		default:
			ops = append(ops, "+"+y[j])
			j++
		}
	}
	for ; i < n; i++ {
		ops = append(ops, "-"+x[i])
	}
	for ; j < m; j++ {
		ops = append(ops, "+"+y[j])
	}
	return ops
}

// EditRate is how much physicians changed drafts before signing.
type EditRate struct {
	Signed int `json:"signed"`
	// Unchanged counts notes signed exactly as drafted.
	Unchanged int `json:"unchanged"`
	// MeanWordEditRate is the mean over notes of (words removed + words added) / draft words.
	MeanWordEditRate float64 `json:"mean_word_edit_rate"`
	// MeanKept is the mean share of draft words that survived into the signed note.
	MeanKept float64 `json:"mean_kept"`
}

// EditRates computes edit rates from stored signatures (the evals report them too).
func EditRates(sigs []store.Signature) EditRate {
	r := EditRate{Signed: len(sigs)}
	if len(sigs) == 0 {
		return r
	}
	var sumRate, sumKept float64
	for _, s := range sigs {
		a, b := strings.Fields(strings.ToLower(s.DraftText)), strings.Fields(strings.ToLower(s.Note.Text))
		if strings.Join(a, " ") == strings.Join(b, " ") {
			r.Unchanged++
		}
		common := lcsLen(a, b)
		if len(a) > 0 {
			sumRate += float64(len(a)-common+len(b)-common) / float64(len(a))
			sumKept += float64(common) / float64(len(a))
		} else if len(b) > 0 {
			sumRate += 1
		}
	}
	r.MeanWordEditRate = sumRate / float64(len(sigs))
	r.MeanKept = sumKept / float64(len(sigs))
	return r
}

func lcsLen(a, b []string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				cur[j] = prev[j-1] + 1
			} else {
				cur[j] = max(prev[j], cur[j-1])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
