package prompts

import (
	"encoding/json"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEmbeddedPromptsLoad(t *testing.T) {
	t.Parallel()
	names := Names()
	require.Contains(t, names, "extract")
	for _, n := range names {
		vs, err := Versions(n)
		require.NoError(t, err, n)
		for _, v := range vs {
			p, err := Get(n, v)
			require.NoError(t, err, "%s/%s", n, v)
			assert.NotEmpty(t, p.System)
			if p.Schema != nil {
				var m map[string]any
				require.NoError(t, json.Unmarshal(p.Schema, &m))
				assert.Equal(t, "object", m["type"], "%s/%s schema must describe an object", n, v)
			}
		}
	}
}

func TestExtractRendersTurns(t *testing.T) {
	t.Parallel()
	p, err := Latest("extract")
	require.NoError(t, err)
	type turn struct {
		Index   int
		Speaker string
		Text    string
	}
	out, err := p.User(map[string]any{"Turns": []turn{{0, "doctor", "any chest pain?"}, {1, "patient", "no"}}})
	require.NoError(t, err)
	assert.Contains(t, out, "[0] doctor: any chest pain?")
	assert.Contains(t, out, "[1] patient: no")
	assert.Equal(t, "extract/"+p.Version, p.ID())
}

func TestLoad(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"a/v1/system.txt":   {Data: []byte("s1")},
		"a/v1/user.tmpl":    {Data: []byte("u {{.X}}")},
		"a/v2/system.txt":   {Data: []byte("s2")},
		"a/v2/user.tmpl":    {Data: []byte("u2")},
		"a/v10/system.txt":  {Data: []byte("s10")},
		"a/v10/user.tmpl":   {Data: []byte("u10")},
		"a/v10/schema.json": {Data: []byte(`{"type":"object"}`)},
		"b/v1/system.txt":   {Data: []byte("s")},
		"b/v1/user.tmpl":    {Data: []byte("{{.X")},
		"c/v1/system.txt":   {Data: []byte("s")},
		"c/v1/user.tmpl":    {Data: []byte("u")},
		"c/v1/schema.json":  {Data: []byte(`{nope`)},
		"d/v1/user.tmpl":    {Data: []byte("u")},
	}
	tests := []struct {
		name, prompt, version string
		wantVersion, wantErr  string
	}{
		{name: "latest is numerically highest", prompt: "a", wantVersion: "v10"},
		{name: "explicit version", prompt: "a", version: "v2", wantVersion: "v2"},
		{name: "unknown version", prompt: "a", version: "v3", wantErr: "prompt not found"},
		{name: "unknown name", prompt: "zz", wantErr: "prompt not found"},
		{name: "path traversal refused", prompt: "../a", wantErr: "prompt not found"},
		{name: "bad template", prompt: "b", wantErr: "parse user.tmpl"},
		{name: "bad schema", prompt: "c", wantErr: "schema.json is not valid JSON"},
		{name: "missing system", prompt: "d", wantErr: "system.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := load(fsys, tt.prompt, tt.version)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantVersion, p.Version)
		})
	}
	p, err := load(fsys, "a", "v1")
	require.NoError(t, err)
	_, err = p.User(map[string]any{})
	require.Error(t, err, "a missing template field must be an error")
	s, err := p.User(map[string]any{"X": "y"})
	require.NoError(t, err)
	assert.Equal(t, "u y", s)
}
