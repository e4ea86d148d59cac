package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/nlp/vocab"
)

func TestVocabImportWritesLoadableDir(t *testing.T) {
	fx := filepath.Join("..", "..", "nlp", "vocab", "testdata", "import")
	out := filepath.Join(t.TempDir(), "vocab")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"vocab", "import",
		"--rxnorm", filepath.Join(fx, "RXNCONSO.RRF"), "--rxnrel", filepath.Join(fx, "RXNREL.RRF"),
		"--icd10", filepath.Join(fx, "icd10cm_order_2025.txt"), "--loinc", filepath.Join(fx, "Loinc.csv"),
		"--out", out}, nil, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	assert.Contains(t, stdout.String(), "rxnorm  read 10, kept 3, skipped")
	assert.Contains(t, stdout.String(), "linked 3 brand/precise names")
	assert.Contains(t, stdout.String(), "icd10cm read 9, kept 7")
	assert.Contains(t, stdout.String(), "loinc   read 5, kept 3")
	for _, f := range []string{"drugs.tsv", "problems.tsv", "findings.tsv", "labs.tsv"} {
		assert.FileExists(t, filepath.Join(out, f))
	}
	v, err := vocab.Load(os.DirFS(out), ".")
	require.NoError(t, err)
	d := v.LookupKind("lasix", vocab.KindDrug)
	require.Len(t, d, 1)
	assert.Equal(t, "RxNorm import/RXNCONSO.RRF", d[0].Source)

	stdout.Reset()
	require.Equal(t, 0, run(context.Background(), []string{"vocab", "check", out}, nil, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "ok: 13 entries")
	stdout.Reset()
	require.Equal(t, 0, run(context.Background(), []string{"vocab", "stats", out}, nil, &stdout, &stderr))
	assert.Contains(t, stdout.String(), "drug")
}

func TestVocabUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"vocab"},
		{"vocab", "frobnicate"},
		{"vocab", "import", "--rxnorm", "x"},
		{"vocab", "import", "--out", "x"},
		{"vocab", "import", "--rxnrel", "y", "--out", "x"},
		{"vocab", "check", "a", "b"},
	} {
		var stdout, stderr bytes.Buffer
		assert.Equal(t, 2, run(context.Background(), args, nil, &stdout, &stderr), "%v", args)
	}
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 1, run(context.Background(), []string{"vocab", "import", "--icd10", "/nonexistent/order.txt", "--out", t.TempDir()}, nil, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "no such file")
	assert.Equal(t, 1, run(context.Background(), []string{"vocab", "check", filepath.Join("..", "..", "nlp", "vocab", "testdata", "bad")}, nil, &stdout, &stderr))
}
