package evals

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// evalDataDir is ../shared/evaldata seen from the repository (or $MEDSCRIBE_EVALDATA).
func evalDataDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("MEDSCRIBE_EVALDATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "evaldata")
	}
	if _, err := os.Stat(filepath.Join(dir, "aci-bench")); err != nil {
		t.Skipf("evaluation data not found at %s (set MEDSCRIBE_EVALDATA): %v", dir, err)
	}
	return dir
}

// TestRougeReproducesPublished scores the wanglab MEDIQA-Chat 2023 best-run outputs on the 20
// ACI-BENCH valid encounters and compares with the published figures (LED: their results JSON;
// GPT-4: rouge-score 0.1.2 on the same file, since its JSON is from another run).
func TestRougeReproducesPublished(t *testing.T) {
	dir := evalDataDir(t)
	ds, err := LoadACIBench(filepath.Join(dir, "aci-bench/data/challenge_data/valid.csv"))
	require.NoError(t, err)
	runs := filepath.Join(dir, "mediqa-chat-2023-wanglab/data/paper/TaskB/human_eval/best_runs")
	for _, tc := range []struct {
		file string
		want [4]float64
	}{
		{"led_large_pubmed_run1_postprocess.csv", [4]float64{61.65, 34.23, 39.04, 56.34}},
		{"gpt_4_0314_k_3_run3.csv", [4]float64{61.50, 35.72, 43.29, 57.59}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			p, err := LoadPredictions(filepath.Join(runs, tc.file))
			require.NoError(t, err)
			require.NoError(t, p.Match(ds))
			res, err := ScoreNotes(ds, p, nil)
			require.NoError(t, err)
			got := [4]float64{res.Summary.Rouge1, res.Summary.Rouge2, res.Summary.RougeL, res.Summary.RougeLsum}
			for i := range got {
				require.InDelta(t, tc.want[i], math.Round(got[i]*100)/100, 1e-9, "metric %d: got %.4f", i, got[i])
			}
		})
	}
}

// TestRougeMatchesWanglabJSON compares the LED run with every ROUGE figure of its published
// results JSON (whole note and the four divisions) to 1e-9 on the 0-1 scale.
func TestRougeMatchesWanglabJSON(t *testing.T) {
	dir := evalDataDir(t)
	ds, err := LoadACIBench(filepath.Join(dir, "aci-bench/data/challenge_data/valid.csv"))
	require.NoError(t, err)
	base := filepath.Join(dir, "mediqa-chat-2023-wanglab/data/paper/TaskB")
	p, err := LoadPredictions(filepath.Join(base, "human_eval/best_runs/led_large_pubmed_run1_postprocess.csv"))
	require.NoError(t, err)
	res, err := ScoreNotes(ds, p, nil)
	require.NoError(t, err)
	raw, err := os.ReadFile(filepath.Join(base, "results/fine_tuning/taskB_led_large_pubmed_run1_postprocess.json"))
	require.NoError(t, err)
	var pub map[string]map[string]float64
	require.NoError(t, json.Unmarshal(raw, &pub))
	check := func(key string, got RougeFigures) {
		w := pub[key]
		t.Logf("%s: got %.6f %.6f %.6f %.6f want %.6f %.6f %.6f %.6f", key, got.Rouge1/100, got.Rouge2/100, got.RougeL/100, got.RougeLsum/100, w["rouge1"], w["rouge2"], w["rougeL"], w["rougeLsum"])
		require.InDelta(t, w["rouge1"], got.Rouge1/100, 1e-9, key)
		require.InDelta(t, w["rouge2"], got.Rouge2/100, 1e-9, key)
		require.InDelta(t, w["rougeL"], got.RougeL/100, 1e-9, key)
		require.InDelta(t, w["rougeLsum"], got.RougeLsum/100, 1e-9, key)
	}
	check("all", res.Summary.RougeFigures)
	for _, d := range Divisions {
		check("division-"+d, res.Summary.Divisions[d])
	}
}

// TestLoadRealACIBench loads valid with its metadata and four-division JSON.
func TestLoadRealACIBench(t *testing.T) {
	dir := evalDataDir(t)
	ds, err := LoadACIBench(filepath.Join(dir, "aci-bench/data/challenge_data/valid.csv"))
	require.NoError(t, err)
	require.Len(t, ds.Encounters, 20)
	require.NoError(t, LoadACIMetadata(ds, filepath.Join(dir, "aci-bench/data/challenge_data/valid_metadata.csv")))
	require.NoError(t, LoadACIDivisions(ds, filepath.Join(dir, "aci-bench/data/challenge_data_json"), "valid"))
	withDiv := 0
	for _, e := range ds.Encounters {
		require.NotEmpty(t, e.Meta)
		if len(e.Divisions) > 0 {
			withDiv++
		}
	}
	require.Equal(t, 20, withDiv)
	gs, err := LoadGold(filepath.Join(dir, "gold/aci-bench-valid.jsonl"))
	require.NoError(t, err)
	require.NoError(t, gs.Check(ds))
}
