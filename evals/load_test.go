package evals

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadACIBenchAndPredictions(t *testing.T) {
	ds, err := LoadACIBench("testdata/notes_ref.csv")
	require.NoError(t, err)
	require.Len(t, ds.Encounters, 2)
	assert.Equal(t, "E1", ds.Encounters[0].ID)
	assert.Equal(t, "fixture", ds.Encounters[0].Dataset)
	p, err := LoadPredictions("testdata/notes_pred.csv") // wanglab layout: TestID, SystemOutput
	require.NoError(t, err)
	require.NoError(t, p.Match(ds))
	res, err := ScoreNotes(ds, p, nil)
	require.NoError(t, err)
	require.Len(t, res.Encounters, 2)
	assert.Greater(t, res.Summary.Rouge1, 40.0)
	assert.Less(t, res.Summary.Rouge1, 100.0)
}

func TestLoadErrorsNameFileRowColumn(t *testing.T) {
	for _, tc := range []struct {
		file string
		want string
	}{
		{"testdata/dup_ids.csv", `testdata/dup_ids.csv:3: row 3: column "encounter_id": duplicate encounter id "E1"`},
		{"testdata/empty_note.csv", `testdata/empty_note.csv:3: row 3: column "note": empty note for E2`},
		{"testdata/missing_col.csv", `testdata/missing_col.csv:1: row 1: column "note": missing column`},
		{"testdata/bad_utf8.csv", `testdata/bad_utf8.csv:2: row 2: column "note": not valid UTF-8`},
	} {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			_, err := LoadPredictions(tc.file)
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrData))
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestPredictionsMustCoverDataset(t *testing.T) {
	ds, err := LoadACIBench("testdata/notes_ref.csv")
	require.NoError(t, err)
	p, err := LoadPredictions("testdata/mismatch.csv")
	require.NoError(t, err)
	_, err = ScoreNotes(ds, p, nil)
	require.ErrorIs(t, err, ErrData)
	assert.Contains(t, err.Error(), "no prediction for 1 encounter(s)")
	assert.Contains(t, err.Error(), "E2")
	assert.Contains(t, err.Error(), "not in the dataset: E9")
}

func TestLoadGold(t *testing.T) {
	gs, err := LoadGold("testdata/gold.jsonl")
	require.NoError(t, err)
	require.Len(t, gs.Encounters, 2)
	assert.Equal(t, "5640", *gs.Get("E1").Medications[0].RxCUI)

	_, err = LoadGold("testdata/gold_bad_status.jsonl")
	require.ErrorIs(t, err, ErrData)
	assert.Contains(t, err.Error(), `gold_bad_status.jsonl:1: row 1: column "medications[0].status": invalid status "taking"`)

	_, err = LoadGold("testdata/gold_unknown_field.jsonl")
	require.ErrorIs(t, err, ErrData)
	assert.Contains(t, err.Error(), `unknown field "extra"`)

	ds, err := LoadACIBench("testdata/notes_ref.csv")
	require.NoError(t, err)
	require.NoError(t, gs.Check(ds))
	ds.Encounters = ds.Encounters[:1]
	assert.ErrorContains(t, gs.Check(ds), "gold for encounters not in")
}

func TestLoadCases(t *testing.T) {
	ds, gs, err := LoadCases("testdata/cases")
	require.NoError(t, err)
	require.Len(t, ds.Encounters, 2)
	require.NotNil(t, gs)
	assert.Equal(t, "ibuprofen", gs.Get("case-knee").Medications[0].Name)
	assert.Equal(t, "cough", gs.Get("case-cough").Problems[0].Name)

	_, _, err = LoadCases("testdata/cases_bad.yaml")
	require.ErrorIs(t, err, ErrData)
	assert.Contains(t, err.Error(), "transcrpt")
}

func TestLoadPriMock57(t *testing.T) {
	ds, err := LoadPriMock57("testdata/primock")
	require.NoError(t, err)
	require.Len(t, ds.Encounters, 1)
	e := ds.Encounters[0]
	assert.Equal(t, "day1_consultation01", e.ID)
	assert.Equal(t, "[doctor] Hello, <UNSURE>what brings</UNSURE> you in?\n[patient] Sore throat for two days.\n[doctor] Any \"fever\" at all?\n[patient] No.\n", e.Dialogue)
	assert.Contains(t, e.Note, "viral pharyngitis")

	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "notes"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes", "x.json"), []byte(`{"note": "n"}`), 0o644))
	_, err = LoadPriMock57(dir)
	assert.ErrorContains(t, err, "transcript missing for x")
}

func TestLoadACIDivisionsAndMetadata(t *testing.T) {
	ds, err := LoadACIBench("testdata/notes_ref.csv")
	require.NoError(t, err)
	dir := t.TempDir()
	for _, d := range Divisions {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "valid_"+d+".json"),
			[]byte(`{"data": [{"src": "s", "tgt": "`+d+` text", "file": "E1-fixture-`+d+`"}]}`), 0o644))
	}
	require.NoError(t, LoadACIDivisions(ds, dir, "valid"))
	assert.Equal(t, "subjective text", ds.Encounters[0].Divisions["subjective"])
	require.NoError(t, os.WriteFile(filepath.Join(dir, "valid_subjective.json"), []byte(`{"data": [{"tgt": "x", "file": "Z9-fixture-subjective"}]}`), 0o644))
	assert.ErrorContains(t, LoadACIDivisions(ds, dir, "valid"), `"Z9-fixture-subjective" names no encounter`)

	meta := filepath.Join(dir, "meta.csv")
	require.NoError(t, os.WriteFile(meta, []byte("encounter_id,cc\nE1,knee pain\n"), 0o644))
	assert.ErrorContains(t, LoadACIMetadata(ds, meta), `no metadata row for encounter "E2"`)
}

func TestLoadMTSDialog(t *testing.T) {
	ds, err := LoadMTSDialog("testdata/mts.csv")
	require.NoError(t, err)
	require.Len(t, ds.Encounters, 2)
	assert.Equal(t, "GENHX", ds.Encounters[0].Meta["section_header"])
	assert.Equal(t, "Non-smoker.", ds.Encounters[1].Note)

	_, err = LoadMTSDialog("testdata/notes_ref.csv")
	assert.ErrorContains(t, err, `column "section_header": missing column`)
}
