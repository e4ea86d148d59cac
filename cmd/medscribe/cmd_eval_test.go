package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runEvalCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"eval"}, args...), nil, &out, &errb)
	return code, out.String(), errb.String()
}

func TestEvalNotesCLI(t *testing.T) {
	data := filepath.Join("..", "..", "evals", "testdata", "notes_ref.csv")
	preds := filepath.Join("..", "..", "evals", "testdata", "notes_pred.csv")
	code, out, errs := runEvalCLI(t, "notes", "--data", data, "--predictions", preds, "--concepts=false", "--gate", "rouge1 >= 10")
	require.Equal(t, 0, code, errs)
	var rep map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	for _, k := range []string{"rouge1", "rouge2", "rougeL", "rougeLsum"} {
		v, ok := rep[k].(float64)
		require.True(t, ok, k)
		assert.Greater(t, v, 1.0, "%s is on the 0-100 scale", k)
	}

	code, _, errs = runEvalCLI(t, "notes", "--data", data, "--predictions", preds, "--concepts=false", "--gate", "rouge1 >= 99")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "gate breached: rouge1 >= 99")

	code, _, errs = runEvalCLI(t, "notes", "--data", data)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "--data and --predictions are required")

	dir := t.TempDir()
	html := filepath.Join(dir, "r.html")
	code, _, errs = runEvalCLI(t, "notes", "--data", data, "--predictions", preds, "--concepts=false", "--format", "html", "--out", html)
	require.Equal(t, 0, code, errs)
	b, err := os.ReadFile(html)
	require.NoError(t, err)
	assert.Contains(t, string(b), "<svg")
}

func TestEvalCompareCLI(t *testing.T) {
	data := filepath.Join("..", "..", "evals", "testdata", "notes_ref.csv")
	preds := filepath.Join("..", "..", "evals", "testdata", "notes_pred.csv")
	dir := t.TempDir()
	old := filepath.Join(dir, "old.json")
	code, _, errs := runEvalCLI(t, "notes", "--data", data, "--predictions", preds, "--concepts=false", "--out", old)
	require.Equal(t, 0, code, errs)
	code, out, _ := runEvalCLI(t, "compare", old, old)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "rouge1")
	code, _, errs = runEvalCLI(t, "compare", old, old, "--gate", "rouge1 >= 99")
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "gate breached")
	code, _, _ = runEvalCLI(t, "compare", old)
	assert.Equal(t, 2, code)
}
