package evals

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/visit"
)

// fakePipeline "runs" a system: its note is the encounter's reference note with the last
// line dropped, and it extracts ibuprofen from E1 with evidence.
type fakePipeline struct{ fail string }

func (f fakePipeline) Run(ctx context.Context, e *Encounter) (*visit.Record, error) {
	if e.ID == f.fail {
		return nil, errors.New("boom")
	}
	lines := strings.Split(e.Note, "\n")
	text := strings.Join(lines[:len(lines)-1], "\n")
	tr := visit.Transcript{Turns: []visit.Turn{{Index: 0, Speaker: visit.Doctor, Text: "start ibuprofen"}}}
	ev := []visit.Evidence{{Turn: 0, Start: 6, End: 15, Quote: "ibuprofen"}}
	rec := &visit.Record{ExternalID: e.ID, Transcript: tr, Provenance: visit.Provenance{Engine: "fake"},
		Note: visit.Note{Text: text, Sections: []visit.Section{{Key: "all", Text: text, Sentences: []visit.Sentence{{Text: text, Evidence: ev}}}}}}
	if e.ID == "E1" {
		rec.Medications = []visit.Medication{{Text: "ibuprofen", Status: visit.MedNew, Evidence: ev}}
	}
	return rec, nil
}

func TestLoadSuiteResolvesPaths(t *testing.T) {
	t.Setenv("EVALS_TEST_GOLD", "gold.jsonl")
	s, err := LoadSuite("testdata/suite.yaml")
	require.NoError(t, err)
	abs, _ := filepath.Abs("testdata/notes_ref.csv")
	assert.Equal(t, abs, s.Datasets[0].Path)
	absGold, _ := filepath.Abs("testdata/gold.jsonl")
	assert.Equal(t, absGold, s.Datasets[0].Gold)

	t.Setenv("MEDSCRIBE_EVALDATA", "/data/eval")
	assert.Equal(t, "/data/eval", EvalDataDir("testdata"))

	_, err = LoadSuite("testdata/suite_bad.yaml")
	require.ErrorIs(t, err, ErrData)
	assert.Contains(t, err.Error(), `gate "rouge1 => 10"`)
}

func runFixture(t *testing.T, pl Pipeline) (*Report, error) {
	t.Helper()
	t.Setenv("EVALS_TEST_GOLD", "gold.jsonl")
	s, err := LoadSuite("testdata/suite.yaml")
	require.NoError(t, err)
	var calls int
	return RunSuite(context.Background(), s, &RunConfig{Pipeline: pl, Progress: func(string, int, int) { calls++ },
		Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }})
}

func TestRunSuite(t *testing.T) {
	rep, err := runFixture(t, fakePipeline{})
	require.NoError(t, err)
	require.True(t, rep.Complete)
	require.Len(t, rep.Datasets, 1)
	d := rep.Datasets[0]
	assert.Equal(t, 2, d.N)
	assert.Equal(t, "medscribe fake", d.System)
	require.NotNil(t, rep.Rouge1)
	assert.Equal(t, d.Metrics["rouge1"], *rep.Rouge1)
	assert.Greater(t, d.Metrics["rouge1"], 10.0)
	assert.InDelta(t, 1.0, d.Metrics["medication_f1"], 1e-12) // gold: ibuprofen in E1 only
	assert.Equal(t, 0.0, d.Metrics["ungrounded_sentence_rate"])
	// omissions: gold E1 has ibuprofen, knee strain, knee x-ray; E2 has follow up in 3 months
	assert.Equal(t, 4, d.Omissions.GoldItems)
	assert.True(t, rep.Passed, "%+v", rep.Gates)

	var js bytes.Buffer
	require.NoError(t, rep.WriteJSON(&js))
	assert.Contains(t, js.String(), `"rouge1": `)
	assert.Contains(t, js.String(), `"rougeLsum": `)
	assert.NotContains(t, js.String(), "Tenderness over the medial joint line", "note text must not be in JSON")

	var md bytes.Buffer
	require.NoError(t, rep.WriteMarkdown(&md))
	assert.Contains(t, md.String(), "# medscribe eval: fixture — PASSED")

	var html bytes.Buffer
	require.NoError(t, rep.WriteHTML(&html))
	h := html.String()
	assert.Contains(t, h, "<svg")
	assert.Contains(t, h, `id="enc-E1"`)
	assert.Contains(t, h, `<mark class="miss">`) // the dropped line is highlighted
	for _, ext := range []string{`src="http`, `href="http`, "<script src", "<link "} {
		assert.NotContains(t, h, ext, "report must be self-contained")
	}
}

func TestRunSuiteFailsWholeOnPipelineError(t *testing.T) {
	rep, err := runFixture(t, fakePipeline{fail: "E2"})
	require.Error(t, err)
	assert.Nil(t, rep)
	assert.Contains(t, err.Error(), "encounter E2: boom")
}

func TestReportRoundTripAndCompare(t *testing.T) {
	rep, err := runFixture(t, fakePipeline{})
	require.NoError(t, err)
	dir := t.TempDir()
	write := func(name string, r *Report) string {
		p := filepath.Join(dir, name)
		var b bytes.Buffer
		require.NoError(t, r.WriteJSON(&b))
		require.NoError(t, writeFile(p, b.Bytes()))
		return p
	}
	oldPath := write("old.json", rep)
	worse := *rep
	worse.Datasets = []DatasetReport{rep.Datasets[0]}
	m := map[string]float64{}
	for k, v := range rep.Datasets[0].Metrics {
		m[k] = v
	}
	m["rouge1"] = 5
	m["omission_rate"] = rep.Datasets[0].Metrics["omission_rate"] + 0.1
	worse.Datasets[0].Metrics = m
	worse.Finish(gatesOf(rep))
	require.False(t, worse.Passed)
	newPath := write("new.json", &worse)

	old, err := ReadReport(oldPath)
	require.NoError(t, err)
	cur, err := ReadReport(newPath)
	require.NoError(t, err)
	c := Compare(old, cur, nil)
	assert.False(t, c.Passed)
	found := map[string]Delta{}
	for _, d := range c.Deltas {
		found[d.Metric] = d
	}
	assert.True(t, found["rouge1"].Worse)
	assert.InDelta(t, 5-rep.Datasets[0].Metrics["rouge1"], *found["rouge1"].Change, 1e-9)
	assert.True(t, found["omission_rate"].Worse, "higher omission rate is worse")
	var txt bytes.Buffer
	require.NoError(t, c.WriteText(&txt))
	assert.Contains(t, txt.String(), "BREACHED")

	// An incomplete report is refused.
	inc := *rep
	inc.Complete = false
	_, err = ReadReport(write("inc.json", &inc))
	assert.ErrorContains(t, err, "not complete")
}

func gatesOf(r *Report) []Gate {
	var out []Gate
	for _, g := range r.Gates {
		out = append(out, g.Gate)
	}
	return out
}

func writeFile(p string, b []byte) error { return os.WriteFile(p, b, 0o644) }

func TestReferencesOnlyCSV(t *testing.T) {
	dir := t.TempDir()
	ref := filepath.Join(dir, "ref.csv")
	require.NoError(t, os.WriteFile(ref, []byte("encounter_id,note\nE1,\"PLAN\nRest.\"\n"), 0o644))
	pred := filepath.Join(dir, "pred.csv")
	require.NoError(t, os.WriteFile(pred, []byte("encounter_id,note\nE1,\"PLAN\nRest and ice.\"\n"), 0o644))
	s := &Suite{Name: "x", Datasets: []SuiteDataset{{Name: "d", Kind: "aci-bench", Path: ref, Predictions: pred}}}
	rep, err := RunSuite(context.Background(), s, nil)
	require.NoError(t, err)
	assert.InDelta(t, 100*fmeasure(1, 0.5), rep.Datasets[0].Metrics["rouge1"], 1e-9) // plan rest | plan rest and ice

	s.Datasets[0].Predictions = ""
	_, err = RunSuite(context.Background(), s, &RunConfig{Pipeline: fakePipeline{}})
	assert.ErrorContains(t, err, "encounter E1 has no dialogue to run medscribe on")
}

func FuzzParsers(f *testing.F) {
	f.Add([]byte("encounter_id,note\nE1,\"x\"\n"))
	f.Add([]byte("{\"encounter_id\": \"E1\", \"medications\": []}\n"))
	f.Add([]byte("a,\"b\nc\",d\n\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if tb, err := parseTable("f.csv", data); err == nil {
			for _, r := range tb.rows {
				require.Len(t, r, len(tb.cols))
			}
		}
		_, _ = parseGold("g.jsonl", data)
		_, _ = ParseTextGrid("t.TextGrid", data, "doctor")
		s := Rouge(string(data), "x y z")
		for _, v := range []float64{s.Rouge1.F, s.Rouge2.F, s.RougeL.F, s.RougeLsum.F} {
			require.True(t, v >= 0 && v <= 1, "score out of range: %v", v)
		}
		if toks := Tokenize(string(data)); len(toks) > 0 {
			same := Rouge(string(data), string(data))
			require.InDelta(t, 1.0, same.Rouge1.F, 1e-12)
			require.InDelta(t, 1.0, same.RougeL.F, 1e-12)
			require.InDelta(t, 1.0, same.RougeLsum.F, 1e-12)
		}
	})
}

// The shipped dev suite must stay loadable and gated (CI runs it with the real engines).
func TestDevSuiteLoads(t *testing.T) {
	s, err := LoadSuite("suites/dev.yaml")
	require.NoError(t, err)
	assert.Equal(t, "dev", s.Name)
	require.NotEmpty(t, s.Gates)
	metrics := map[string]bool{}
	for _, g := range s.Gates {
		pg, err := ParseGate(g)
		require.NoError(t, err)
		metrics[pg.Metric] = true
	}
	for _, m := range []string{"rouge1", "medication_f1", "ungrounded_sentence_rate"} {
		assert.True(t, metrics[m], "dev suite gates %s", m)
	}
	assert.True(t, filepath.IsAbs(s.Datasets[0].Path))
}

func TestRunSuiteOnCases(t *testing.T) {
	s := &Suite{Name: "cases", Datasets: []SuiteDataset{{Name: "local", Kind: "cases", Path: "testdata/cases"}}}
	rep, err := RunSuite(context.Background(), s, &RunConfig{Pipeline: fakePipeline{}})
	require.NoError(t, err)
	d := rep.Datasets[0]
	assert.Equal(t, 2, d.N)
	require.NotNil(t, d.Notes)
	require.NotNil(t, d.Extraction)
	// The fake extracts nothing for these ids: every gold item is missed.
	assert.Equal(t, Counts{FN: 1}, d.Extraction.Summary.Counts["medication"])
	assert.Equal(t, Counts{FN: 1}, d.Extraction.Summary.Counts["problem"])
	assert.Equal(t, 0.0, d.Metrics["medication_f1"])
}
