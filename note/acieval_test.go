//go:build acieval

package note

// Measures the drafter on ACI-BENCH valid with the evals package's exact rouge-score 0.1.2
// ROUGE, from the dialogue alone and with the items the nlp engine extracts (the full pipeline).
// Behind a build tag so the note package's own tests never depend on evals or nlp compiling:
//
//	ACI_BENCH_DIR=../shared/evaldata/aci-bench/data/challenge_data go test -tags acieval -run 'TestValidROUGE' -v ./note

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/evals"
	"github.com/medscribe/medscribe/nlp"
	"github.com/medscribe/medscribe/visit"
)

// exactROUGE drafts every encounter and returns the mean F1 (0-100) of rouge1 and rougeLsum.
func exactROUGE(t *testing.T, exs []Example, items func(visit.Transcript) Input) (r1, rl float64, st Stats) {
	d, err := New(nil)
	require.NoError(t, err)
	for _, ex := range exs {
		in := items(ex.Transcript)
		n, s, err := d.Draft(context.Background(), in)
		require.NoError(t, err)
		requireGrounded(t, ex.Transcript, n)
		st.Sentences += s.Sentences
		st.Unsupported += s.Unsupported
		st.Unplaced += s.Unplaced
		if dir := os.Getenv("NOTE_DUMP_DIR"); dir != "" {
			require.NoError(t, os.WriteFile(dir+"/"+ex.ID+".txt", []byte(n.Text), 0o644))
		}
		sc := evals.Rouge(ex.Note, n.Text)
		r1 += sc.Rouge1.F
		rl += sc.RougeLsum.F
	}
	k := float64(len(exs)) / 100
	return r1 / k, rl / k, st
}

func TestValidROUGEExact(t *testing.T) {
	exs := aciExamples(t, "valid")
	r1, rl, st := exactROUGE(t, exs, func(tr visit.Transcript) Input { return Input{Transcript: tr} })
	t.Logf("ACI-BENCH valid, dialogue only (%d encounters), rouge-score exact: ROUGE-1 %.2f rougeLsum %.2f; sentences %d, unsupported dropped %d",
		len(exs), r1, rl, st.Sentences, st.Unsupported)
	require.GreaterOrEqual(t, r1, 45.0)
	require.GreaterOrEqual(t, rl, 40.0)
}

func TestValidROUGEWithNLP(t *testing.T) {
	exs := aciExamples(t, "valid")
	eng, err := nlp.New(&nlp.Config{})
	require.NoError(t, err)
	d, err := New(nil)
	require.NoError(t, err)
	var r1, rl float64
	unsupported, unplaced := 0, 0
	for _, ex := range exs {
		res, err := eng.Extract(context.Background(), ex.Transcript)
		require.NoError(t, err)
		in := Input{Transcript: ex.Transcript, Problems: res.Problems, Medications: res.Medications,
			Orders: res.Orders, Allergies: res.Allergies, Findings: res.Findings}
		n, st, err := d.Draft(context.Background(), in)
		require.NoError(t, err)
		requireGrounded(t, ex.Transcript, n)
		unsupported += st.Unsupported
		unplaced += st.Unplaced
		if os.Getenv("NOTE_DUMP") == ex.ID {
			t.Log("\n" + n.Text + "\n=== REFERENCE\n" + ex.Note)
		}
		sc := evals.Rouge(ex.Note, n.Text)
		r1 += sc.Rouge1.F
		rl += sc.RougeLsum.F
	}
	k := float64(len(exs))
	t.Logf("ACI-BENCH valid with nlp items (%d encounters): ROUGE-1 %.2f rougeLsum %.2f; unsupported dropped %d; unplaced %d",
		len(exs), 100*r1/k, 100*rl/k, unsupported, unplaced)
}
