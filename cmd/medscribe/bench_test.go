package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/ingest"
	"github.com/medscribe/medscribe/ingest/transcript"
)

// acibenchSized builds a dialogue of about 1,300 words (the size of an ACI-BENCH encounter)
// from the built-in demo visits, with a per-visit marker so every visit has new content.
func acibenchSized(t testing.TB, i int) string {
	a, err := demoFS.ReadFile("demo/knee-pain-warfarin.txt")
	require.NoError(t, err)
	b, err := demoFS.ReadFile("demo/diabetes-followup.txt")
	require.NoError(t, err)
	var s strings.Builder
	for s.Len() < 7000 {
		s.Write(a)
		s.Write(b)
	}
	fmt.Fprintf(&s, "[doctor] this is visit number %d .\n", i)
	return s.String()
}

// BenchmarkIngest measures end-to-end ingestion (parse, store, extract, draft, CDS, case
// index, store the draft) on the embedded store, or on PostgreSQL with TEST_DATABASE_URL and
// -bench Ingest/postgres. Reports visits/s.
func BenchmarkIngest(b *testing.B) {
	b.Run("embedded", func(b *testing.B) { benchIngest(b, "") })
	b.Run("postgres", func(b *testing.B) {
		url := os.Getenv("TEST_DATABASE_URL")
		if url == "" {
			b.Skip("TEST_DATABASE_URL not set")
		}
		benchIngest(b, freshDatabase(b, url))
	})
}

func benchIngest(b *testing.B, dbURL string) {
	cfg := defaultConfig()
	cfg.DataDir = b.TempDir()
	cfg.DatabaseURL = dbURL
	ctx := context.Background()
	a, err := newApp(ctx, cfg, io.Discard, appMode{})
	require.NoError(b, err)
	defer a.Close()
	texts := make([]string, b.N)
	for i := range texts {
		texts[i] = acibenchSized(b, i)
	}
	words := len(strings.Fields(texts[0]))
	run := fmt.Sprintf("bench-%d-", b.N)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			tr, err := transcript.Parse("x.txt", []byte(texts[i%len(texts)]), nil)
			if err != nil {
				b.Error(err)
				return
			}
			rec, _, err := a.pipeline.Submit(ctx, ingest.Submission{Source: "bench", ExternalID: fmt.Sprintf("%s%p-%d", run, pb, i), Transcript: tr})
			if err != nil {
				b.Error(err)
				return
			}
			if err := a.pipeline.Process(ctx, rec.ID); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "visits/s")
	b.ReportMetric(float64(words), "words/visit")
}
