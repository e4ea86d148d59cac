package note

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/medscribe/medscribe/visit"
)

// Config configures a Drafter.
type Config struct {
	// Template names the note layout: "full" (default), "soap", or another name from Templates().
	Template string
	// LLM selects the model drafter; nil (default) drafts offline with no model.
	LLM *LLMConfig
	// Logger receives ids and counts only, never note or transcript text. Default: discard.
	Logger *slog.Logger
}

// LLMConfig points the model drafter at an OpenAI-compatible endpoint.
type LLMConfig struct {
	// BaseURL of the OpenAI-compatible API (e.g. http://localhost:8000/v1). Required.
	BaseURL string
	// APIKey sent as a bearer token; may be empty for local servers.
	APIKey string
	// Model name. Required.
	Model string
	// Timeout bounds each model call. Default 60s.
	Timeout time.Duration
	// MaxRetries is how many times a failed or malformed call is retried. Default 2; negative: none.
	MaxRetries int
	// MaxContextTokens is the model's context size; longer transcripts are sent in chunks of turns.
	// Default 8192.
	MaxContextTokens int
}

func (c *Config) validate() error {
	if c.Template == "" {
		c.Template = "full"
	}
	if _, ok := templates[c.Template]; !ok {
		return fmt.Errorf("note: unknown template %q (have %s)", c.Template, strings.Join(Templates(), ", "))
	}
	if c.Logger == nil {
		c.Logger = discardLogger
	}
	if c.LLM != nil {
		l := c.LLM
		if l.BaseURL == "" || l.Model == "" {
			return errors.New("note: LLM needs BaseURL and Model")
		}
		if l.Timeout <= 0 {
			l.Timeout = 60 * time.Second
		}
		if l.MaxRetries == 0 {
			l.MaxRetries = 2
		} else if l.MaxRetries < 0 {
			l.MaxRetries = 0
		}
		if l.MaxContextTokens <= 0 {
			l.MaxContextTokens = 8192
		}
		if l.MaxContextTokens < 1024 {
			return fmt.Errorf("note: MaxContextTokens %d is too small (min 1024)", l.MaxContextTokens)
		}
	}
	return nil
}

var discardLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// Drafter drafts visit notes. It is safe for concurrent use.
type Drafter struct {
	cfg   Config
	tmpl  *Template
	model *Model
	llm   *llmDrafter
}

// New builds a Drafter from cfg (nil means all defaults).
func New(cfg *Config) (*Drafter, error) {
	c := Config{}
	if cfg != nil {
		c = *cfg
		if cfg.LLM != nil {
			l := *cfg.LLM
			c.LLM = &l
		}
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	m, err := loadModel(modelJSON)
	if err != nil {
		return nil, err
	}
	d := &Drafter{cfg: c, tmpl: templates[c.Template], model: m}
	if c.LLM != nil {
		d.llm, err = newLLMDrafter(c.LLM, c.Logger)
		if err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Input is what a note is drafted from: the transcript and the items the NLP engine extracted.
type Input struct {
	Transcript  visit.Transcript
	Problems    []visit.Problem
	Medications []visit.Medication
	Orders      []visit.Order
	Allergies   []visit.Allergy
	Findings    []visit.Finding
	// Patient holds age and sex when the EHR knows them.
	Patient visit.PatientInfo
}

// Stats tells the pipeline how the draft went, for provenance and metrics.
type Stats struct {
	// Sentences in the note.
	Sentences int
	// Unsupported sentences removed because their evidence did not hold their words.
	Unsupported int
	// Unplaced extracted items or transcript sentences the note could not hold.
	Unplaced int
	// Engine is "offline" or "llm".
	Engine string
	// Model and PromptVersion are set when a model drafted the note.
	Model, PromptVersion string
	// Fallback says why the model drafter fell back to the offline one ("" when it did not).
	Fallback string
}

// Engine names.
const (
	EngineOffline = "offline"
	EngineLLM     = "llm"
)

// Draft drafts the note. Odd input (no doctor turns, one line, hours of dialogue, evidence that
// points nowhere) yields whatever note can be grounded, never an error; an error means ctx ended.
func (d *Drafter) Draft(ctx context.Context, in Input) (n visit.Note, st Stats, err error) {
	if err := ctx.Err(); err != nil {
		return visit.Note{Sections: []visit.Section{}}, Stats{}, err
	}
	defer func() {
		// A defect in drafting must not fail the visit: the record keeps an empty note and the
		// log says so (ids and counts only).
		if r := recover(); r != nil {
			d.cfg.Logger.Error("note drafter panicked; note left empty", "panic_type", fmt.Sprintf("%T", r), "turns", len(in.Transcript.Turns))
			n = visit.Note{Sections: []visit.Section{}}
			st = Stats{Engine: EngineOffline, Fallback: "drafter failed", Unplaced: len(in.Problems) + len(in.Medications) + len(in.Orders) + len(in.Allergies)}
			err = nil
		}
	}()
	in = sanitize(in)
	var dr *draft
	if d.llm != nil {
		var err error
		dr, err = d.llm.draft(ctx, d, &in, &st)
		if err != nil {
			if ctx.Err() != nil {
				return visit.Note{Sections: []visit.Section{}}, st, ctx.Err()
			}
			st.Fallback = err.Error()
			d.cfg.Logger.Warn("note model drafter failed; drafting offline", "error", err)
			dr = nil
		}
	}
	if dr == nil {
		u := st.Unsupported
		dr = d.offline(&in)
		st.Engine = EngineOffline
		dr.unsupported += u
	}
	n = d.tmpl.render(dr)
	st.Unsupported = dr.unsupported
	st.Unplaced = dr.unplaced
	for _, s := range n.Sections {
		st.Sentences += len(s.Sentences)
	}
	d.cfg.Logger.Debug("note drafted", "engine", st.Engine, "sentences", st.Sentences,
		"unsupported", st.Unsupported, "unplaced", st.Unplaced, "turns", len(in.Transcript.Turns))
	return n, st, nil
}

// sanitize drops evidence that does not check against the transcript, so no sentence can carry it.
func sanitize(in Input) Input {
	tr := &in.Transcript
	for i := range tr.Turns {
		if tr.Turns[i].Index != i {
			turns := make([]visit.Turn, len(tr.Turns))
			copy(turns, tr.Turns)
			for k := range turns {
				turns[k].Index = k
			}
			tr.Turns = turns
			break
		}
	}
	good := func(ev []visit.Evidence) []visit.Evidence {
		out := make([]visit.Evidence, 0, len(ev))
		for _, e := range ev {
			if tr.CheckEvidence(e) == nil && e.End > e.Start {
				out = append(out, e)
			}
		}
		return out
	}
	ps := make([]visit.Problem, len(in.Problems))
	for i, p := range in.Problems {
		p.Evidence = good(p.Evidence)
		ps[i] = p
	}
	in.Problems = ps
	ms := make([]visit.Medication, len(in.Medications))
	for i, m := range in.Medications {
		m.Evidence = good(m.Evidence)
		ms[i] = m
	}
	in.Medications = ms
	os := make([]visit.Order, len(in.Orders))
	for i, o := range in.Orders {
		o.Evidence = good(o.Evidence)
		os[i] = o
	}
	in.Orders = os
	as := make([]visit.Allergy, len(in.Allergies))
	for i, a := range in.Allergies {
		a.Evidence = good(a.Evidence)
		as[i] = a
	}
	in.Allergies = as
	fs := make([]visit.Finding, len(in.Findings))
	for i, f := range in.Findings {
		f.Evidence = good(f.Evidence)
		fs[i] = f
	}
	in.Findings = fs
	return in
}

// Template is a note layout: which drafted blocks go into which titled section, in order.
type Template struct {
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	Sections    []TemplateSection `yaml:"sections"`
}

// TemplateSection is one section of a template.
type TemplateSection struct {
	Key   string   `yaml:"key"`
	Title string   `yaml:"title"`
	From  []string `yaml:"from"`
}

// blockKeys are what drafters produce; templates may only draw from these.
var blockKeys = setOf(`cc hpi meds allergies ros exam results ap assessment plan`)

//go:embed templates/*.yaml
var templateFS embed.FS

var templates = mustLoadTemplates(templateFS)

func mustLoadTemplates(fsys fs.FS) map[string]*Template {
	t, err := loadTemplates(fsys)
	if err != nil {
		panic(err) // embedded files are checked by tests; a bad one is a build defect
	}
	return t
}

func loadTemplates(fsys fs.FS) (map[string]*Template, error) {
	names, err := fs.Glob(fsys, "templates/*.yaml")
	if err != nil {
		return nil, err
	}
	out := map[string]*Template{}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		t, err := parseTemplate(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if _, dup := out[t.Name]; dup {
			return nil, fmt.Errorf("%s: duplicate template %q", n, t.Name)
		}
		out[t.Name] = t
	}
	return out, nil
}

func parseTemplate(b []byte) (*Template, error) {
	var t Template
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	if t.Name == "" || len(t.Sections) == 0 {
		return nil, errors.New("template needs a name and sections")
	}
	keys := map[string]bool{}
	for i, s := range t.Sections {
		if s.Key == "" || s.Title == "" || len(s.From) == 0 {
			return nil, fmt.Errorf("section %d: needs key, title and from", i)
		}
		if keys[s.Key] {
			return nil, fmt.Errorf("section %d: duplicate key %q", i, s.Key)
		}
		keys[s.Key] = true
		if s.Title != strings.ToUpper(s.Title) {
			return nil, fmt.Errorf("section %q: title must be in capitals", s.Key)
		}
		for _, f := range s.From {
			if !blockKeys[f] {
				return nil, fmt.Errorf("section %q: unknown block %q", s.Key, f)
			}
		}
	}
	return &t, nil
}

// Templates lists the template names, sorted.
func Templates() []string {
	out := make([]string, 0, len(templates))
	for n := range templates {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// multiLine blocks put each sentence on its own line; the others read as a paragraph.
var multiLine = setOf(`hpi ros exam results ap assessment plan meds allergies`)

// render arranges the drafted blocks into the template's sections, leaving out empty ones.
func (t *Template) render(dr *draft) visit.Note {
	n := visit.Note{Sections: []visit.Section{}}
	var text strings.Builder
	for _, ts := range t.Sections {
		sec := visit.Section{Key: ts.Key, Title: ts.Title, Sentences: []visit.Sentence{}}
		var body strings.Builder
		for _, from := range ts.From {
			ss := dr.blocks[from]
			for i, s := range ss {
				if s.Evidence == nil {
					s.Evidence = []visit.Evidence{}
				}
				sec.Sentences = append(sec.Sentences, s)
				if body.Len() > 0 {
					if multiLine[from] || i == 0 {
						body.WriteByte('\n')
					} else {
						body.WriteByte(' ')
					}
				}
				body.WriteString(s.Text)
			}
		}
		if len(sec.Sentences) == 0 {
			continue
		}
		sec.Text = body.String()
		n.Sections = append(n.Sections, sec)
		if text.Len() > 0 {
			text.WriteString("\n\n")
		}
		text.WriteString(ts.Title)
		text.WriteString("\n\n")
		text.WriteString(sec.Text)
	}
	n.Text = text.String()
	if n.Text != "" {
		n.Text += "\n"
	}
	return n
}
