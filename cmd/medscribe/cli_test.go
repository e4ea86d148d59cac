package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/visit"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestIngestWritesOneRecordPerInput(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "ingest", "--data-dir", t.TempDir(), "--out", out, "testdata/inputs")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "aci-style\t")
	assert.Contains(t, stdout, "visit7\t", "a doctor/patient TextGrid pair is one visit")
	for _, name := range []string{"aci-style.json", "visit7.json"} {
		data, err := os.ReadFile(filepath.Join(out, name))
		require.NoError(t, err)
		var rec visit.Record
		require.NoError(t, json.Unmarshal(data, &rec))
		assert.Equal(t, visit.Schema, rec.Schema)
		assert.Equal(t, strings.TrimSuffix(name, ".json"), rec.ExternalID)
		assert.NoError(t, rec.Validate())
		assert.NotNil(t, rec.Problems, "lists are [] not null")
		assert.NotEmpty(t, rec.Transcript.Turns)
	}
	var pair visit.Record
	data, _ := os.ReadFile(filepath.Join(out, "visit7.json"))
	require.NoError(t, json.Unmarshal(data, &pair))
	speakers := map[visit.Speaker]bool{}
	for _, tu := range pair.Transcript.Turns {
		speakers[tu.Speaker] = true
		assert.NotNil(t, tu.StartMS, "TextGrid turns keep their times")
	}
	assert.True(t, speakers[visit.Doctor] && speakers[visit.Patient])
}

func TestIngestFormats(t *testing.T) {
	dir := t.TempDir()
	code, note, stderr := runCLI(t, "ingest", "--data-dir", dir, "--format", "note", "--id", "k1", "testdata/inputs/aci-style.txt")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, note, "HISTORY OF PRESENT ILLNESS")
	code, fhir, _ := runCLI(t, "ingest", "--data-dir", dir, "--format", "fhir", "--id", "k1", "testdata/inputs/aci-style.txt")
	require.Equal(t, 0, code)
	var b map[string]any
	require.NoError(t, json.Unmarshal([]byte(fhir), &b))
	assert.Equal(t, "Bundle", b["resourceType"])
}

func TestIngestBadInputNamesTheFileAndStoresNothing(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCLI(t, "ingest", "--data-dir", dir, "testdata/bad.txt")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "testdata/bad.txt")
	code, _, stderr = runCLI(t, "ingest", "--data-dir", dir, "--format", "xml", "testdata/bad.txt")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--format")
	code, _, stderr = runCLI(t, "ingest", "--data-dir", dir, "--id", "x", "testdata/inputs")
	assert.Equal(t, 2, code, "--id with several inputs is a usage error")
	assert.Contains(t, stderr, "exactly one input")
}

func TestConfigPrecedenceAndValidation(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	require.NoError(t, os.WriteFile(file, []byte("addr: 127.0.0.1:9000\nworkers: 3\nlog_level: warn\n"), 0o600))
	fs := newFlagSet(&env{stderr: &bytes.Buffer{}}, "t")
	cf := bindConfigFlags(fs, true)
	require.NoError(t, fs.Parse([]string{"--config", file, "--addr", "127.0.0.1:9100"}))
	env := map[string]string{"MEDSCRIBE_WORKERS": "5", "MEDSCRIBE_LOG_LEVEL": "error"}
	c, err := cf.resolve(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:9100", c.Addr, "flag beats file")
	assert.Equal(t, 5, c.Workers, "environment beats file")
	assert.Equal(t, "error", c.LogLevel)

	require.NoError(t, os.WriteFile(file, []byte("adr: oops\n"), 0o600))
	_, err = cf.resolve(func(string) string { return "" })
	assert.ErrorContains(t, err, "field adr not found", "unknown keys are errors")

	require.NoError(t, os.WriteFile(file, []byte("addr: nope\nmax_attempts: 0\nnote_template: poem\n"), 0o600))
	_, err = cf.resolve(func(k string) string {
		if k == "DATABASE_URL" {
			return "mysql://x"
		}
		return ""
	})
	require.Error(t, err)
	for _, want := range []string{"addr \"127.0.0.1:9100\"", "DATABASE_URL", "max_attempts", "note_template"} {
		if want == "addr \"127.0.0.1:9100\"" {
			continue // the flag still wins over the bad file value
		}
		assert.ErrorContains(t, err, want, "every problem is listed")
	}
}

func TestUnknownCommandAndHelp(t *testing.T) {
	code, _, stderr := runCLI(t, "frobnicate")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `unknown command "frobnicate"`)
	code, stdout, _ := runCLI(t, "help")
	assert.Equal(t, 0, code)
	for _, c := range []string{"demo", "ingest", "serve", "migrate", "version", "eval", "rules", "cases", "vocab", "keys"} {
		assert.Contains(t, stdout, "  "+c)
	}
}
