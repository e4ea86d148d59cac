package note

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// These tests read ACI-BENCH at run time (never copied into the repository); they skip unless
// ACI_BENCH_DIR points at its challenge_data directory.

var writeModel = flag.Bool("write-model", false, "with ACI_BENCH_DIR: relearn data/sections.json from train.csv")

func aciExamples(t testing.TB, split string) []Example {
	t.Helper()
	dir := os.Getenv("ACI_BENCH_DIR")
	if dir == "" {
		t.Skip("set ACI_BENCH_DIR to ../shared/evaldata/aci-bench/data/challenge_data to run")
	}
	f, err := os.Open(filepath.Join(dir, split+".csv"))
	require.NoError(t, err)
	defer f.Close()
	exs, err := ReadACI(f)
	require.NoError(t, err)
	return exs
}

func TestLearnACIReproducible(t *testing.T) {
	exs := aciExamples(t, "train")
	a, err := Learn(exs, &LearnConfig{Source: "train.csv"})
	require.NoError(t, err)
	b, err := Learn(exs, &LearnConfig{Source: "train.csv"})
	require.NoError(t, err)
	require.Equal(t, a.Marshal(), b.Marshal())
	if *writeModel {
		require.NoError(t, os.WriteFile("data/sections.json", a.Marshal(), 0o644))
	}
}

func TestValidROUGE(t *testing.T) {
	exs := aciExamples(t, "valid")
	d, err := New(nil)
	require.NoError(t, err)
	var r1, rl float64
	unsupported, noEvidence := 0, 0
	for _, ex := range exs {
		n, st, err := d.Draft(context.Background(), Input{Transcript: ex.Transcript})
		require.NoError(t, err)
		unsupported += st.Unsupported
		for _, s := range n.Sections {
			for _, sen := range s.Sentences {
				if len(sen.Evidence) == 0 {
					noEvidence++
				}
				for _, e := range sen.Evidence {
					require.NoError(t, ex.Transcript.CheckEvidence(e))
				}
			}
		}
		r1 += rouge1F(n.Text, ex.Note)
		rl += rougeLsumF(n.Text, ex.Note)
		if os.Getenv("NOTE_DUMP") == ex.ID {
			t.Log("\n" + n.Text)
		}
	}
	k := float64(len(exs))
	t.Logf("ACI-BENCH valid (%d encounters): ROUGE-1 %.2f rougeLsum %.2f; sentences without evidence %d; unsupported dropped %d",
		len(exs), 100*r1/k, 100*rl/k, noEvidence, unsupported)
	require.Zero(t, noEvidence)
}

// BenchmarkOfflineDraftACI drafts every ACI-BENCH valid encounter in turn (skips without
// ACI_BENCH_DIR).
func BenchmarkOfflineDraftACI(b *testing.B) {
	exs := aciExamples(b, "valid")
	d, err := New(nil)
	require.NoError(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := d.Draft(context.Background(), Input{Transcript: exs[i%len(exs)].Transcript}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notes/s")
}
