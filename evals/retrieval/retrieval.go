// Package retrieval measures similar-case retrieval: leave-one-out over a set of cases, does
// the top-k surface cases whose assessment shares the held-out case's problems? It compares
// rankers (the offline concept embedder, a BM25 baseline over the dialogue words) in one run.
package retrieval

import (
	"context"
	"math"
	"sort"
	"strings"
	"unicode"

	"github.com/medscribe/medscribe/nlp/embed"
)

// Case is one held-out query and candidate.
type Case struct {
	ID string
	// Doc is what the embedder sees (items extracted from the dialogue).
	Doc embed.Doc
	// Text is the dialogue, for BM25.
	Text string
	// Gold are the concepts of the case's reference assessment (codes or normalized terms).
	Gold []string
}

// Ranker orders all cases but the query by similarity to case q, best first.
type Ranker interface {
	Name() string
	Rank(q int) []int
}

// Metrics are leave-one-out retrieval figures.
type Metrics struct {
	Ranker string `json:"ranker"`
	// Queries counts held-out cases with a gold assessment and at least one relevant case.
	Queries int     `json:"queries"`
	P5      float64 `json:"precision_at_5"`
	R10     float64 `json:"recall_at_10"`
	MRR     float64 `json:"mrr"`
}

// relevant reports whether two cases share an assessment concept.
func relevant(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// LeaveOneOut scores a ranker: precision@5 and recall@10 averaged over queries (recall@10 is
// relevant-in-top-10 / all relevant), and the mean reciprocal rank of the first relevant case.
func LeaveOneOut(cases []Case, r Ranker) Metrics {
	m := Metrics{Ranker: r.Name()}
	for q := range cases {
		if len(cases[q].Gold) == 0 {
			continue
		}
		total := 0
		for j := range cases {
			if j != q && relevant(cases[q].Gold, cases[j].Gold) {
				total++
			}
		}
		if total == 0 {
			continue
		}
		m.Queries++
		ranked := r.Rank(q)
		hit5, hit10 := 0, 0
		rr := 0.0
		for pos, j := range ranked {
			if !relevant(cases[q].Gold, cases[j].Gold) {
				continue
			}
			if pos < 5 {
				hit5++
			}
			if pos < 10 {
				hit10++
			}
			if rr == 0 {
				rr = 1 / float64(pos+1)
			}
		}
		m.P5 += float64(hit5) / 5
		m.R10 += float64(hit10) / float64(total)
		m.MRR += rr
	}
	if m.Queries > 0 {
		m.P5 /= float64(m.Queries)
		m.R10 /= float64(m.Queries)
		m.MRR /= float64(m.Queries)
	}
	return m
}

// EmbedRanker ranks by exact cosine similarity of embeddings; cases that cannot be embedded
// (nothing extracted) rank last, in id order.
type EmbedRanker struct {
	name string
	vecs [][]float32
}

// NewEmbedRanker embeds every case.
func NewEmbedRanker(ctx context.Context, e embed.Embedder, cases []Case) (*EmbedRanker, error) {
	r := &EmbedRanker{name: e.Name(), vecs: make([][]float32, len(cases))}
	for i, c := range cases {
		v, err := e.Embed(ctx, []embed.Doc{c.Doc})
		if err != nil {
			continue // an empty case: it can be neither found nor find anything
		}
		r.vecs[i] = v[0]
	}
	return r, nil
}

// Name is the embedder's name.
func (r *EmbedRanker) Name() string { return r.name }

// Rank orders the other cases by cosine similarity.
func (r *EmbedRanker) Rank(q int) []int {
	scores := make([]float64, len(r.vecs))
	for j, v := range r.vecs {
		scores[j] = -2
		if r.vecs[q] != nil && v != nil {
			scores[j], _ = embed.Cosine(r.vecs[q], v)
		}
	}
	return order(q, scores)
}

func order(q int, scores []float64) []int {
	idx := make([]int, 0, len(scores)-1)
	for j := range scores {
		if j != q {
			idx = append(idx, j)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	return idx
}

// BM25 is the Okapi BM25 baseline (k1 = 1.2, b = 0.75) with the held-out dialogue as the
// query, over lowercase alphanumeric tokens minus a small stop list.
type BM25 struct {
	docs  []map[string]int
	lens  []int
	avg   float64
	idf   map[string]float64
	query [][]string
}

// NewBM25 indexes the cases' dialogues.
func NewBM25(cases []Case) *BM25 {
	b := &BM25{idf: map[string]float64{}}
	df := map[string]int{}
	total := 0
	for _, c := range cases {
		toks := Tokens(c.Text)
		tf := map[string]int{}
		for _, t := range toks {
			tf[t]++
		}
		for t := range tf {
			df[t]++
		}
		b.docs = append(b.docs, tf)
		b.lens = append(b.lens, len(toks))
		b.query = append(b.query, uniq(toks))
		total += len(toks)
	}
	n := float64(len(cases))
	b.avg = float64(total) / math.Max(n, 1)
	for t, d := range df {
		b.idf[t] = math.Log(1 + (n-float64(d)+0.5)/(float64(d)+0.5))
	}
	return b
}

// Name of the baseline.
func (b *BM25) Name() string { return "bm25" }

// Rank scores every other dialogue against the held-out one.
func (b *BM25) Rank(q int) []int {
	const k1, bb = 1.2, 0.75
	scores := make([]float64, len(b.docs))
	for j, tf := range b.docs {
		if j == q {
			continue
		}
		norm := k1 * (1 - bb + bb*float64(b.lens[j])/b.avg)
		for _, t := range b.query[q] {
			f := float64(tf[t])
			if f > 0 {
				scores[j] += b.idf[t] * f * (k1 + 1) / (f + norm)
			}
		}
	}
	return order(q, scores)
}

var stop = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an and are as at be but by for from had has have he her his i i'm if in is it its me my no not of on or so that the their them then there they this to too up us was we were what when which who will with you your yeah okay um uh doctor patient`) {
		stop[w] = true
	}
}

// Tokens lowercases text and splits it into alphanumeric tokens without stop words.
func Tokens(s string) []string {
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	out := f[:0]
	for _, t := range f {
		if !stop[t] && len(t) > 1 {
			out = append(out, t)
		}
	}
	return out
}

func uniq(ts []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range ts {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}
