package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/visit"
)

// BenchmarkSQLiteSimilarCases measures the embedded store's exact search (a full scan in Go)
// over 10k clustered 256-dimensional cases.
//
//	go test ./store -run '^$' -bench SQLiteSimilar -benchtime 200x
func BenchmarkSQLiteSimilarCases(b *testing.B) {
	ctx := context.Background()
	s, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "medscribe.db"), quietLogger())
	require.NoError(b, err)
	defer s.Close()
	gen := newBenchGen()
	const n = 10000
	vecs := gen.vectors(n, n)
	for i, v := range vecs {
		require.NoError(b, s.PutCase(ctx, &store.Case{ID: fmt.Sprintf("case-%06d", i), Embedding: v, Embedder: "bench@256"}))
	}
	queries := gen.vectors(99, 64)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, err := s.SimilarCases(ctx, queries[i%len(queries)], 10, nil)
		if err != nil || len(got) != 10 {
			b.Fatalf("got %d matches, err %v", len(got), err)
		}
	}
}

// BenchmarkPutVisit measures storing new visits (ACI-BENCH-sized: ~80 turns) one at a time,
// on the embedded store and, with TEST_DATABASE_URL, on PostgreSQL.
//
//	go test ./store -run '^$' -bench PutVisit -benchtime 500x
func BenchmarkPutVisit(b *testing.B) {
	turns := make([]visit.Turn, 80)
	for i := range turns {
		sp := visit.Doctor
		if i%2 == 1 {
			sp = visit.Patient
		}
		turns[i] = visit.Turn{Index: i, Speaker: sp, Text: "so how have you been feeling since we last adjusted the blood pressure medicine, any dizziness or headaches at all"}
	}
	run := func(b *testing.B, s store.Store) {
		ctx := context.Background()
		b.ResetTimer()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			r := &visit.Record{Source: "bench", ExternalID: fmt.Sprintf("enc-%d", i), ContentHash: fmt.Sprintf("h%d", i),
				PatientID: "p", Transcript: visit.Transcript{Turns: turns}}
			if _, _, err := s.PutVisit(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "visits/s")
	}
	b.Run("sqlite", func(b *testing.B) {
		s, err := store.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "medscribe.db"), quietLogger())
		require.NoError(b, err)
		defer s.Close()
		run(b, s)
	})
	b.Run("postgres", func(b *testing.B) {
		s := openPostgres(b)
		defer s.Close()
		run(b, s)
	})
}
