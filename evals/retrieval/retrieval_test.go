package retrieval

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// fixed ranks by a given order, to pin the metric arithmetic.
type fixed struct{ order map[int][]int }

func (f fixed) Name() string     { return "fixed" }
func (f fixed) Rank(q int) []int { return f.order[q] }

func TestLeaveOneOutMetrics(t *testing.T) {
	cases := []Case{
		{ID: "a", Gold: []string{"I10"}},
		{ID: "b", Gold: []string{"I10", "E11.9"}},
		{ID: "c", Gold: []string{"J45.909"}},
		{ID: "d", Gold: []string{"E11.9"}},
		{ID: "e", Gold: nil},
	}
	r := fixed{order: map[int][]int{
		0: {2, 1, 3, 4}, // relevant: b (pos 2) → p5 1/5, r10 1/1, rr 1/2
		1: {0, 3, 2, 4}, // relevant: a, d (pos 1, 2) → p5 2/5, r10 2/2, rr 1
		2: {0, 1, 3, 4}, // no relevant case: not a query
		3: {4, 2, 0, 1}, // relevant: b (pos 4) → p5 1/5, r10 1, rr 1/4
	}}
	m := LeaveOneOut(cases, r)
	assert.Equal(t, 3, m.Queries)
	assert.InDelta(t, (0.2+0.4+0.2)/3, m.P5, 1e-9)
	assert.InDelta(t, 1.0, m.R10, 1e-9)
	assert.InDelta(t, (0.5+1+0.25)/3, m.MRR, 1e-9)
}

func TestBM25PrefersSharedRareWords(t *testing.T) {
	cases := []Case{
		{Text: "my knee hurts after running, the knee is swollen"},
		{Text: "knee swelling after a run, knee pain"},
		{Text: "my blood sugar has been high, diabetes follow up"},
	}
	b := NewBM25(cases)
	assert.Equal(t, []int{1, 2}, b.Rank(0))
	assert.Equal(t, []string{"knee", "hurts", "after", "running", "knee", "swollen"}, Tokens(cases[0].Text))
}
