package nlp

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/visit"
)

// loadDialogue reads a "[doctor] ..." / "[patient] ..." fixture.
func loadDialogue(tb testing.TB, path string) visit.Transcript {
	tb.Helper()
	b, err := os.ReadFile(path)
	require.NoError(tb, err)
	return parseDialogue(string(b))
}

// BenchmarkExtract reports dialogues per second on one core for an ACI-BENCH-sized dialogue
// (a synthetic ~1,300-word fixture) with the shipped vocabulary:
//
//	go test ./nlp -run '^$' -bench Extract -cpu 1 -benchtime 2s
func BenchmarkExtract(b *testing.B) {
	e, err := New(nil)
	require.NoError(b, err)
	tr := loadDialogue(b, "testdata/bench_dialogue.txt")
	words := 0
	for _, t := range tr.Turns {
		words += len(strings.Fields(t.Text))
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.Extract(ctx, tr); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "dialogues/s")
	b.ReportMetric(float64(words), "words/dialogue")
}

// TestBenchDialogue checks the benchmark fixture exercises every item type, so the figure is
// measured on realistic work.
func TestBenchDialogue(t *testing.T) {
	t.Parallel()
	e := testEngine(t)
	tr := loadDialogue(t, "testdata/bench_dialogue.txt")
	res := extractOK(t, e, tr)
	require.NotEmpty(t, res.Medications)
	require.NotEmpty(t, res.Problems)
	require.NotEmpty(t, res.Orders)
	require.NotEmpty(t, res.Allergies)
	require.NotEmpty(t, res.Findings)
}
