package store_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/store"
)

// Similar-case search benchmarks on PostgreSQL + pgvector (skipped without TEST_DATABASE_URL):
// recall@10 of the HNSW index against exact search, and per-query latency (p50/p99, the whole
// SimilarCases call: transaction, ef_search, query), for a few index settings.
//
//	TEST_DATABASE_URL=... go test ./store -run '^$' -bench HNSW -benchtime 200x -timeout 30m
//
// benchDims is the vector dimension: MEDSCRIBE_BENCH_DIMS, default 1024 (the offline
// embedder's default).
var benchDims = func() int {
	if n, err := strconv.Atoi(os.Getenv("MEDSCRIBE_BENCH_DIMS")); err == nil && n > 0 {
		return n
	}
	return 1024
}()

// MEDSCRIBE_BENCH_SIZES picks the case-base sizes (default "10000,100000"); MEDSCRIBE_BENCH_HNSW
// the index settings as m:ef_construction pairs (default "16:64,16:128"); MEDSCRIBE_BENCH_EF the
// ef_search values (default "40,100,200"); MEDSCRIBE_BENCH_NOISE the cluster spread (default
// 1.5; 2.5 makes neighbours nearly as far as the rest, a hard case for any index).

const (
	benchClusters = 200
	benchQueries  = 200
	benchK        = 10
)

func benchSizes(b *testing.B) []int {
	spec := os.Getenv("MEDSCRIBE_BENCH_SIZES")
	if spec == "" {
		spec = "10000,100000"
	}
	var out []int
	for _, f := range strings.Split(spec, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		require.NoError(b, err, "MEDSCRIBE_BENCH_SIZES")
		out = append(out, n)
	}
	return out
}

func benchParams(b *testing.B) []store.HNSWParams {
	spec := os.Getenv("MEDSCRIBE_BENCH_HNSW")
	if spec == "" {
		spec = "16:64,16:128"
	}
	var out []store.HNSWParams
	for _, f := range strings.Split(spec, ",") {
		m, efc, ok := strings.Cut(strings.TrimSpace(f), ":")
		mi, err1 := strconv.Atoi(m)
		ei, err2 := strconv.Atoi(efc)
		require.True(b, ok && err1 == nil && err2 == nil, "MEDSCRIBE_BENCH_HNSW wants m:ef_construction pairs, got %q", f)
		out = append(out, store.HNSWParams{M: mi, EfConstruction: ei})
	}
	return out
}

func benchEfs(b *testing.B) []int {
	spec := os.Getenv("MEDSCRIBE_BENCH_EF")
	if spec == "" {
		spec = "40,100,200"
	}
	var out []int
	for _, f := range strings.Split(spec, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		require.NoError(b, err, "MEDSCRIBE_BENCH_EF")
		out = append(out, n)
	}
	return out
}

// benchVectors makes deterministic clustered vectors: cluster centres on the unit sphere, each
// point a centre plus Gaussian noise, so neighbours are meaningful but not trivial.
type benchGen struct {
	centres [][]float32
}

func newBenchGen() *benchGen {
	rng := rand.New(rand.NewPCG(20261121, 1))
	g := &benchGen{centres: make([][]float32, benchClusters)}
	for i := range g.centres {
		c := make([]float32, benchDims)
		var n float64
		for j := range c {
			c[j] = float32(rng.NormFloat64())
			n += float64(c[j]) * float64(c[j])
		}
		for j := range c {
			c[j] /= float32(math.Sqrt(n))
		}
		g.centres[i] = c
	}
	return g
}

func (g *benchGen) vectors(seed uint64, n int) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, 2))
	// Noise 1.5 times as long as the centre: points of one cluster have cosine ≈ 0.3 to each
	// other and ≈ 0 to the rest, so the nearest ten are not trivially the cluster.
	// MEDSCRIBE_BENCH_NOISE overrides the factor (larger: harder).
	noise := 1.5
	if v, err := strconv.ParseFloat(os.Getenv("MEDSCRIBE_BENCH_NOISE"), 64); err == nil && v > 0 {
		noise = v
	}
	sigma := noise / math.Sqrt(float64(benchDims))
	out := make([][]float32, n)
	for i := range out {
		c := g.centres[rng.IntN(len(g.centres))]
		v := make([]float32, benchDims)
		for j := range v {
			v[j] = c[j] + float32(sigma*rng.NormFloat64())
		}
		out[i] = v
	}
	return out
}

func benchCosine(a, b []float32, bn float64) float64 {
	var dot, an float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		an += float64(a[i]) * float64(a[i])
	}
	return dot / math.Sqrt(an*bn)
}

// exactTopK is the ground truth, computed in Go.
func exactTopK(base [][]float32, ids []string, q []float32, k int) map[string]bool {
	type pair struct {
		id string
		s  float64
	}
	all := make([]pair, len(base))
	var qn float64
	for _, x := range q {
		qn += float64(x) * float64(x)
	}
	for i, v := range base {
		all[i] = pair{ids[i], benchCosine(v, q, qn)}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].s > all[j].s })
	out := map[string]bool{}
	for _, p := range all[:k] {
		out[p.id] = true
	}
	return out
}

func BenchmarkHNSW(b *testing.B) {
	base := testDatabaseURL(b)
	gen := newBenchGen()
	queries := gen.vectors(99, benchQueries)
	for _, n := range benchSizes(b) {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			ctx := context.Background()
			s, err := store.OpenPostgres(ctx, freshSchema(b, base), quietLogger())
			require.NoError(b, err)
			defer s.Close()
			vecs := gen.vectors(uint64(n), n)
			ids := make([]string, n)
			t0 := time.Now()
			const batch = 10000
			for lo := 0; lo < n; lo += batch {
				hi := min(lo+batch, n)
				cases := make([]*store.Case, 0, hi-lo)
				for i := lo; i < hi; i++ {
					ids[i] = fmt.Sprintf("case-%07d", i)
					cases = append(cases, &store.Case{ID: ids[i], Source: "bench", Embedding: vecs[i], Embedder: "bench@256"})
				}
				_, err := s.CopyCases(ctx, cases)
				require.NoError(b, err)
			}
			fmt.Printf("n=%d: loaded with COPY in %s\n", n, time.Since(t0).Round(time.Millisecond))
			truth := make([]map[string]bool, len(queries))
			for i, q := range queries {
				truth[i] = exactTopK(vecs, ids, q, benchK)
			}

			run := func(b *testing.B, opts *store.SimilarOpts) {
				lat := make([]time.Duration, 0, b.N)
				hits, total := 0, 0
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					qi := i % len(queries)
					start := time.Now()
					got, err := s.SimilarCases(ctx, queries[qi], benchK, opts)
					lat = append(lat, time.Since(start))
					if err != nil {
						b.Fatal(err)
					}
					for _, m := range got {
						if truth[qi][m.Case.ID] {
							hits++
						}
					}
					total += benchK
				}
				b.StopTimer()
				slices.Sort(lat)
				p := func(q float64) float64 {
					return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
				}
				recall := float64(hits) / float64(total)
				b.ReportMetric(recall, "recall@10")
				b.ReportMetric(p(0.50), "p50-ms")
				b.ReportMetric(p(0.99), "p99-ms")
				if b.N > 1 {
					fmt.Printf("%-48s recall@10 %.3f  p50 %6.2f ms  p99 %6.2f ms  (%d queries)\n", b.Name(), recall, p(0.5), p(0.99), len(lat))
				}
			}

			b.Run("exact", func(b *testing.B) { run(b, &store.SimilarOpts{Exact: true}) })
			for _, hp := range benchParams(b) {
				t0 := time.Now()
				require.NoError(b, s.BuildIndex(ctx, hp))
				took := time.Since(t0).Round(time.Millisecond)
				var size int64
				require.NoError(b, s.Pool().QueryRow(ctx, `SELECT pg_relation_size('cases_embedding_hnsw')`).Scan(&size))
				fmt.Printf("n=%d m=%d ef_construction=%d: HNSW index built in %s, %d MB\n", n, hp.M, hp.EfConstruction, took, size>>20)
				for _, ef := range benchEfs(b) {
					b.Run(fmt.Sprintf("m=%d/efc=%d/ef=%d", hp.M, hp.EfConstruction, ef), func(b *testing.B) {
						run(b, &store.SimilarOpts{EfSearch: ef})
					})
				}
			}
		})
	}
}
