package rules

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
)

//go:embed ruleset
var shipped embed.FS

// ShippedFS returns the embedded shipped rule set and its tests: the file system and the root
// directory in it, for Load, LoadTests and Check.
func ShippedFS() (fs.FS, string) { return shipped, "ruleset" }

var defaultOnce = sync.OnceValues(func() (*RuleSet, error) { return Load(shipped, "ruleset") })

func loadDefault() (*RuleSet, error) {
	rs, err := defaultOnce()
	if err != nil {
		return nil, fmt.Errorf("load shipped rule set: %w", err)
	}
	return rs, nil
}

// isRuleFile says whether a directory entry is a rule file (tests end in _test.yaml).
func isRuleFile(name string) bool {
	return (strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) && !isTestFile(name)
}

func isTestFile(name string) bool {
	return strings.HasSuffix(name, "_test.yaml") || strings.HasSuffix(name, "_test.yml")
}

// listFiles returns the names of the files directly under root that keep satisfies, sorted.
func listFiles(fsys fs.FS, root string, keep func(string) bool) ([]string, error) {
	entries, err := fs.ReadDir(fsys, root)
	if err != nil {
		return nil, fmt.Errorf("read rule directory %s: %w", root, err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && keep(e.Name()) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// MaxFileBytes bounds one rule or rule-test file: YAML with aliases can expand a small file
// into a huge document, and no real rule file comes near this.
const MaxFileBytes = 1 << 20

// readRuleFile reads p, refusing files over MaxFileBytes before reading them whole.
func readRuleFile(fsys fs.FS, p string) ([]byte, error) {
	if st, err := fs.Stat(fsys, p); err == nil && st.Size() > MaxFileBytes {
		return nil, fmt.Errorf("%s: %d bytes: rule files are limited to %d bytes", p, st.Size(), MaxFileBytes)
	}
	return fs.ReadFile(fsys, p)
}

func load(fsys fs.FS, root string) (*RuleSet, error) {
	names, err := listFiles(fsys, root, isRuleFile)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no rule files (*.yaml) in %s", root)
	}
	errs := &Errors{}
	h := sha256.New()
	var docs []fileDocs
	syntaxErrors := false
	for _, n := range names {
		p := path.Join(root, n)
		data, err := readRuleFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("read rule file: %w", err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(data))
		h.Write(data)
		doc := &fileDoc{}
		if !decodeFile(p, data, doc, errs) {
			syntaxErrors = true
		}
		docs = append(docs, fileDocs{name: p, doc: doc})
	}
	c, meta := compile(docs, errs, syntaxErrors)
	if err := errs.orNil(); err != nil {
		return nil, err
	}
	return &RuleSet{name: meta.Name, version: meta.Version, hash: hex.EncodeToString(h.Sum(nil))[:12], c: c}, nil
}
