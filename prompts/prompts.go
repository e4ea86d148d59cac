package prompts

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"text/template"
)

// files holds every prompt directory. New prompts are picked up by the pattern: a new
// <name>/v<N>/ directory needs no code change here.
//
//go:embed */v*/*
var files embed.FS

// ErrNotFound is returned when no prompt has the requested name or version.
var ErrNotFound = errors.New("prompt not found")

// Prompt is one version of a named prompt.
type Prompt struct {
	// Name is the prompt's directory name (e.g. "extract").
	Name string
	// Version is the version directory name (e.g. "v1"); it goes into visit provenance.
	Version string
	// System is the system message, sent verbatim.
	System string
	// Schema is the JSON schema of the answer; nil when the prompt has none.
	Schema json.RawMessage
	user   *template.Template
}

// User renders the user message with data. The template runs with missingkey=error so a
// caller that forgets a field gets an error instead of a silently empty prompt.
func (p *Prompt) User(data any) (string, error) {
	var b bytes.Buffer
	if err := p.user.Execute(&b, data); err != nil {
		return "", fmt.Errorf("render prompt %s/%s: %w", p.Name, p.Version, err)
	}
	return b.String(), nil
}

// ID is "<name>/<version>", the form recorded in provenance.
func (p *Prompt) ID() string { return p.Name + "/" + p.Version }

// Get loads version (e.g. "v1") of the named prompt. An empty version means the latest.
func Get(name, version string) (*Prompt, error) {
	return load(files, name, version)
}

// Latest loads the highest version of the named prompt.
func Latest(name string) (*Prompt, error) {
	return load(files, name, "")
}

// Versions lists the versions of the named prompt, oldest first.
func Versions(name string) ([]string, error) {
	return versions(files, name)
}

// Names lists every prompt name.
func Names() []string {
	ents, err := fs.ReadDir(files, ".")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

func versionNumber(v string) (int, bool) {
	if !strings.HasPrefix(v, "v") {
		return 0, false
	}
	n, err := strconv.Atoi(v[1:])
	return n, err == nil && n > 0
}

func versions(fsys fs.FS, name string) ([]string, error) {
	if name == "" || strings.ContainsAny(name, "/\\.") {
		return nil, fmt.Errorf("%w: bad name %q", ErrNotFound, name)
	}
	ents, err := fs.ReadDir(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	var vs []string
	for _, e := range ents {
		if _, ok := versionNumber(e.Name()); ok && e.IsDir() {
			vs = append(vs, e.Name())
		}
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("%w: %s has no versions", ErrNotFound, name)
	}
	sort.Slice(vs, func(i, j int) bool {
		a, _ := versionNumber(vs[i])
		b, _ := versionNumber(vs[j])
		return a < b
	})
	return vs, nil
}

func load(fsys fs.FS, name, version string) (*Prompt, error) {
	vs, err := versions(fsys, name)
	if err != nil {
		return nil, err
	}
	if version == "" {
		version = vs[len(vs)-1]
	} else if !contains(vs, version) {
		return nil, fmt.Errorf("%w: %s/%s", ErrNotFound, name, version)
	}
	dir := path.Join(name, version)
	sys, err := fs.ReadFile(fsys, path.Join(dir, "system.txt"))
	if err != nil {
		return nil, fmt.Errorf("prompt %s: system.txt: %w", dir, err)
	}
	ut, err := fs.ReadFile(fsys, path.Join(dir, "user.tmpl"))
	if err != nil {
		return nil, fmt.Errorf("prompt %s: user.tmpl: %w", dir, err)
	}
	tmpl, err := template.New(dir).Option("missingkey=error").Parse(string(ut))
	if err != nil {
		return nil, fmt.Errorf("prompt %s: parse user.tmpl: %w", dir, err)
	}
	p := &Prompt{Name: name, Version: version, System: string(sys), user: tmpl}
	sc, err := fs.ReadFile(fsys, path.Join(dir, "schema.json"))
	switch {
	case err == nil:
		if !json.Valid(sc) {
			return nil, fmt.Errorf("prompt %s: schema.json is not valid JSON", dir)
		}
		p.Schema = json.RawMessage(sc)
	case errors.Is(err, fs.ErrNotExist):
	default:
		return nil, fmt.Errorf("prompt %s: schema.json: %w", dir, err)
	}
	return p, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
