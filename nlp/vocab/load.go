package vocab

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/medscribe/medscribe/visit"
)

//go:embed data/*.tsv
var embedded embed.FS

// EnvDir names the environment variable FromEnv reads: a directory written by
// `medscribe vocab import` whose files are merged over the embedded vocabulary.
const EnvDir = "MEDSCRIBE_VOCAB_DIR"

// files maps each data file to the kind of its entries, in load order.
var files = []struct {
	name string
	kind Kind
}{
	{"drugs.tsv", KindDrug},
	{"problems.tsv", KindProblem},
	{"findings.tsv", KindFinding},
	{"labs.tsv", KindLab},
	{"imaging.tsv", KindImaging},
	{"procedures.tsv", KindProcedure},
	{"referrals.tsv", KindReferral},
	{"abbreviations.tsv", KindAbbrev},
}

// FileName returns the data file that holds entries of kind k, "" for an unknown kind.
func FileName(k Kind) string {
	for _, f := range files {
		if f.kind == k {
			return f.name
		}
	}
	return ""
}

// columns are the header names a data file may use; only "term" is required.
var columns = map[string]bool{
	"term": true, "system": true, "code": true, "display": true, "source": true,
	"synonyms": true, "classes": true, "codes": true, "expansion": true, "category": true,
}

var categories = map[string]bool{
	CategoryProblem: true, CategoryFinding: true, CategoryDrug: true, CategoryLab: true,
	CategoryImaging: true, CategoryProcedure: true, CategoryFrequency: true, CategoryRoute: true,
	CategoryUnit: true, CategoryForm: true, CategoryOther: true,
}

// Vocabulary is a read-only set of entries indexed by their normalized surface forms. It is
// safe for concurrent use.
type Vocabulary struct {
	entries []Entry
	index   map[string][]int // normalized term or synonym → entry indexes
	byCode  map[string]int   // kind|system|code → entry index
	version string
}

var (
	defaultOnce sync.Once
	defaultVoc  *Vocabulary
)

// Default returns the vocabulary embedded in the binary, parsed once. The embedded files are
// validated by this package's tests, so a parse failure is a build defect and panics.
func Default() *Vocabulary {
	defaultOnce.Do(func() {
		v, err := Load(embedded, "data")
		if err != nil {
			panic("vocab: embedded data: " + err.Error())
		}
		defaultVoc = v
	})
	return defaultVoc
}

// LoadDir loads the data files in dir (e.g. written by `medscribe vocab import`) and merges them
// over the embedded vocabulary, so a site's complete release wins where both name a concept
// while the embedded lay synonyms and drug classes are kept.
func LoadDir(dir string) (*Vocabulary, error) {
	o, err := Load(os.DirFS(dir), ".")
	if err != nil {
		return nil, err
	}
	return Default().Merge(o), nil
}

// FromEnv returns LoadDir($MEDSCRIBE_VOCAB_DIR) when that variable is set, else Default().
func FromEnv() (*Vocabulary, error) {
	if dir := os.Getenv(EnvDir); dir != "" {
		v, err := LoadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvDir, err)
		}
		return v, nil
	}
	return Default(), nil
}

// Load parses the data files in dir of fsys. Files that are absent are skipped, but at least
// one must be present and an unknown .tsv file is an error (a misnamed file would otherwise be
// silently ignored). All problems are reported at once, each as file:line.
func Load(fsys fs.FS, dir string) (*Vocabulary, error) {
	known := map[string]bool{classesFile: true}
	for _, f := range files {
		known[f.name] = true
	}
	des, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("load vocabulary: %w", err)
	}
	var errs []error
	for _, de := range des {
		if !de.IsDir() && strings.HasSuffix(de.Name(), ".tsv") && !known[de.Name()] {
			errs = append(errs, fmt.Errorf("%s: unknown vocabulary file (want one of the kinds' files)", path.Join(dir, de.Name())))
		}
	}
	var all []Entry
	found := 0
	for _, f := range files {
		name := path.Join(dir, f.name)
		b, err := fs.ReadFile(fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		found++
		es, perrs := parseFile(name, f.kind, b)
		all = append(all, es...)
		errs = append(errs, perrs...)
	}
	if found == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("%s: no vocabulary files", dir))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("load vocabulary: %w", errors.Join(errs...))
	}
	return build(all), nil
}

// Parse reads one data file of kind k from r; name is used in error messages.
func Parse(name string, k Kind, r io.Reader) ([]Entry, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	es, errs := parseFile(name, k, b)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return es, nil
}

func parseFile(name string, k Kind, b []byte) ([]Entry, []error) {
	var (
		errs   []error
		out    []Entry
		header []string
		terms  = map[string]int{}
		codes  = map[string]int{}
	)
	errf := func(line int, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, a...)))
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if !utf8.ValidString(text) {
			errf(line, "invalid UTF-8")
			continue
		}
		fields := strings.Split(text, "\t")
		if header == nil {
			header = fields
			seen := map[string]bool{}
			for i, h := range header {
				if !columns[h] {
					errf(line, "column %d: unknown column %q", i+1, h)
				}
				if seen[h] {
					errf(line, "column %d: duplicate column %q", i+1, h)
				}
				seen[h] = true
			}
			if !seen["term"] {
				errf(line, "header has no \"term\" column")
				return nil, errs
			}
			if len(errs) > 0 {
				return nil, errs
			}
			continue
		}
		if len(fields) != len(header) {
			errf(line, "%d fields, header has %d", len(fields), len(header))
			continue
		}
		row := make(map[string]string, len(header))
		for i, h := range header {
			row[h] = strings.TrimSpace(fields[i])
		}
		e, eerrs := parseRow(k, row)
		for _, err := range eerrs {
			errf(line, "%v", err)
		}
		if len(eerrs) > 0 {
			continue
		}
		nt := Normalize(e.Term)
		if prev, dup := terms[nt]; dup {
			errf(line, "term %q repeats line %d", e.Term, prev)
			continue
		}
		terms[nt] = line
		if e.Code != nil {
			key := e.Code.System + "|" + e.Code.Code
			if prev, dup := codes[key]; dup {
				errf(line, "code %s repeats line %d (put other names in synonyms)", e.Code.Code, prev)
				continue
			}
			codes[key] = line
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		errf(line+1, "%v", err)
	}
	if header == nil && len(errs) == 0 {
		errf(1, "no header row")
	}
	return out, errs
}

func parseRow(k Kind, row map[string]string) (Entry, []error) {
	var errs []error
	e := Entry{Term: row["term"], Kind: k, Source: row["source"]}
	checkForm := func(what, s string) {
		switch {
		case s == "":
			errs = append(errs, fmt.Errorf("empty %s", what))
		case s != strings.ToLower(s):
			errs = append(errs, fmt.Errorf("%s %q must be lowercase", what, s))
		case Normalize(s) == "":
			errs = append(errs, fmt.Errorf("%s %q has no letters or digits", what, s))
		}
	}
	checkForm("term", e.Term)
	sys, code := row["system"], row["code"]
	switch {
	case sys == "" && code == "":
	case sys == "" || code == "":
		errs = append(errs, fmt.Errorf("system and code must be given together (system %q, code %q)", sys, code))
	default:
		uri, ok := systemNames[sys]
		if !ok {
			errs = append(errs, fmt.Errorf("unknown system %q (want rxnorm, icd10cm, snomed or loinc)", sys))
			break
		}
		if err := CheckCode(uri, code); err != nil {
			errs = append(errs, err)
			break
		}
		display := row["display"]
		if display == "" {
			display = e.Term
		}
		e.Code = &visit.Code{System: uri, Code: code, Display: display}
	}
	if k == KindDrug && e.Code != nil && e.Code.System != visit.SystemRxNorm {
		errs = append(errs, fmt.Errorf("drug code system must be rxnorm"))
	}
	for _, s := range splitList(row["synonyms"]) {
		checkForm("synonym", s)
		if Normalize(s) != Normalize(e.Term) && !contains(e.Synonyms, s) {
			e.Synonyms = append(e.Synonyms, s)
		}
	}
	for _, c := range splitList(row["classes"]) {
		checkForm("class", c)
		e.Classes = append(e.Classes, c)
	}
	if len(e.Classes) > 0 && k != KindDrug {
		errs = append(errs, fmt.Errorf("classes are for drugs only"))
	}
	for _, sc := range splitList(row["codes"]) {
		s, c, ok := strings.Cut(sc, ":")
		uri := systemNames[s]
		if !ok || uri == "" {
			errs = append(errs, fmt.Errorf("extra code %q: want system:code", sc))
			continue
		}
		if err := CheckCode(uri, c); err != nil {
			errs = append(errs, err)
			continue
		}
		e.Codes = append(e.Codes, visit.Code{System: uri, Code: c, Display: e.Term})
	}
	if (e.Code != nil || len(e.Codes) > 0) && e.Source == "" {
		errs = append(errs, fmt.Errorf("term %q has a code but no source", e.Term))
	}
	e.Expansion, e.Category = row["expansion"], row["category"]
	if k == KindAbbrev {
		if e.Expansion == "" {
			errs = append(errs, fmt.Errorf("abbreviation %q has no expansion", e.Term))
		}
		if !categories[e.Category] {
			errs = append(errs, fmt.Errorf("abbreviation %q: unknown category %q", e.Term, e.Category))
		}
	} else if e.Expansion != "" || e.Category != "" {
		errs = append(errs, fmt.Errorf("expansion and category are for abbreviations only"))
	}
	return e, errs
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Normalize is the form terms are indexed and looked up by: lowercase, apostrophes dropped
// ("crohn's" → "crohns"), every other character that is not a letter or digit turned into a
// space, spaces collapsed. The engine normalizes transcript tokens the same way.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r == '\'' || r == '’':
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
		default:
			space = true
		}
	}
	return b.String()
}

func build(es []Entry) *Vocabulary {
	v := &Vocabulary{entries: es, index: map[string][]int{}, byCode: map[string]int{}}
	for i := range v.entries {
		e := &v.entries[i]
		for _, f := range e.forms() {
			n := Normalize(f)
			if n == "" || containsInt(v.index[n], i) {
				continue
			}
			v.index[n] = append(v.index[n], i)
		}
		if e.Code != nil {
			key := codeKey(e.Kind, e.Code.System, e.Code.Code)
			if _, dup := v.byCode[key]; !dup {
				v.byCode[key] = i
			}
		}
	}
	h := sha256.New()
	enc := json.NewEncoder(h)
	for i := range v.entries {
		_ = enc.Encode(&v.entries[i]) // hashing writer: cannot fail
	}
	v.version = "sha256:" + hex.EncodeToString(h.Sum(nil))[:16]
	return v
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func codeKey(k Kind, system, code string) string { return string(k) + "|" + system + "|" + code }

// forms returns the entry's surface forms: its term and synonyms.
func (e *Entry) forms() []string {
	return append([]string{e.Term}, e.Synonyms...)
}

// Entries returns a copy of the entry list, in file order (drugs, problems, findings, labs,
// imaging, procedures, referrals, abbreviations). Slices inside entries are shared: read only.
func (v *Vocabulary) Entries() []Entry {
	return append([]Entry(nil), v.entries...)
}

// Count returns the number of entries of kind k.
func (v *Vocabulary) Count(k Kind) int {
	n := 0
	for i := range v.entries {
		if v.entries[i].Kind == k {
			n++
		}
	}
	return n
}

// Lookup returns the entries whose term or a synonym normalizes like term (see Normalize),
// of every kind ("ms" may be an abbreviation and a problem). The entries are shared: read only.
func (v *Vocabulary) Lookup(term string) []*Entry {
	idx := v.index[Normalize(term)]
	if len(idx) == 0 {
		return nil
	}
	out := make([]*Entry, len(idx))
	for i, j := range idx {
		out[i] = &v.entries[j]
	}
	return out
}

// LookupKind is Lookup restricted to entries of kind k.
func (v *Vocabulary) LookupKind(term string, k Kind) []*Entry {
	var out []*Entry
	for _, e := range v.Lookup(term) {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// ByCode returns the entry of kind k with the given primary code, nil when none.
func (v *Vocabulary) ByCode(k Kind, system, code string) *Entry {
	if i, ok := v.byCode[codeKey(k, system, code)]; ok {
		return &v.entries[i]
	}
	return nil
}

// Version is a hash of the vocabulary's content, recorded in a visit's provenance so a result
// can be traced to the exact vocabulary that produced it.
func (v *Vocabulary) Version() string { return v.version }

// Merge returns a new vocabulary holding o's entries and those of v that o does not name.
// o wins on the same (kind, code) or on the same term: its term, code, display and source are
// kept, and v's surface forms, classes and extra codes for that concept are added to it unless
// o gives those surface forms to another concept of the kind. Neither input is changed.
func (v *Vocabulary) Merge(o *Vocabulary) *Vocabulary {
	out := make([]Entry, 0, len(o.entries)+len(v.entries))
	for _, e := range o.entries {
		out = append(out, cloneEntry(e))
	}
	formOwner := map[string]int{} // kind|normalized form → index into out
	codeOwner := map[string]int{}
	claim := func(i int) {
		e := &out[i]
		for _, f := range e.forms() {
			key := string(e.Kind) + "|" + Normalize(f)
			if _, taken := formOwner[key]; !taken {
				formOwner[key] = i
			}
		}
		if e.Code != nil {
			codeOwner[codeKey(e.Kind, e.Code.System, e.Code.Code)] = i
		}
	}
	for i := range out {
		claim(i)
	}
	for _, e := range v.entries {
		target := -1
		if e.Code != nil {
			if i, ok := codeOwner[codeKey(e.Kind, e.Code.System, e.Code.Code)]; ok {
				target = i
			}
		}
		if target < 0 {
			if i, ok := formOwner[string(e.Kind)+"|"+Normalize(e.Term)]; ok {
				if out[i].Code != nil && e.Code != nil {
					continue // same name, different concept: o wins outright
				}
				target = i
			}
		}
		if target >= 0 {
			t := &out[target]
			for _, f := range e.forms() {
				key := string(e.Kind) + "|" + Normalize(f)
				if owner, taken := formOwner[key]; taken {
					if owner != target {
						continue
					}
					if f == t.Term || contains(t.Synonyms, f) {
						continue
					}
				}
				t.Synonyms = append(t.Synonyms, f)
				formOwner[key] = target
			}
			for _, c := range e.Classes {
				if !contains(t.Classes, c) {
					t.Classes = append(t.Classes, c)
				}
			}
			for _, c := range e.Codes {
				if !containsCode(t.Codes, c) && (t.Code == nil || t.Code.System != c.System) {
					t.Codes = append(t.Codes, c)
				}
			}
			if t.Expansion == "" {
				t.Expansion, t.Category = e.Expansion, e.Category
			}
			continue
		}
		n := cloneEntry(e)
		n.Synonyms = n.Synonyms[:0]
		for _, s := range e.Synonyms {
			if _, taken := formOwner[string(e.Kind)+"|"+Normalize(s)]; !taken {
				n.Synonyms = append(n.Synonyms, s)
			}
		}
		out = append(out, n)
		claim(len(out) - 1)
	}
	sort.SliceStable(out, func(i, j int) bool { return kindOrder(out[i].Kind) < kindOrder(out[j].Kind) })
	return build(out)
}

func kindOrder(k Kind) int {
	for i, f := range files {
		if f.kind == k {
			return i
		}
	}
	return len(files)
}

func containsCode(cs []visit.Code, c visit.Code) bool {
	for _, x := range cs {
		if x.System == c.System && x.Code == c.Code {
			return true
		}
	}
	return false
}

func cloneEntry(e Entry) Entry {
	if e.Code != nil {
		c := *e.Code
		e.Code = &c
	}
	e.Synonyms = append([]string(nil), e.Synonyms...)
	e.Classes = append([]string(nil), e.Classes...)
	e.Codes = append([]visit.Code(nil), e.Codes...)
	return e
}
