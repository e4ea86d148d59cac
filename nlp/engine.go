package nlp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/medscribe/medscribe/nlp/vocab"
	"github.com/medscribe/medscribe/visit"
)

// version is the deterministic engine's version, recorded in provenance. Bump it whenever
// rules or cue lists change what is extracted.
const version = "nlp-0.3.0"

// Version is the engine version for provenance.
func Version() string { return version }

// Engine names in Result.Engine.
const (
	EngineDeterministic = "deterministic"
	EngineWithLLM       = "deterministic+llm"
)

// Config configures an Engine.
type Config struct {
	// Vocab is the vocabulary concepts are recognized from. Default: vocab.Default().
	Vocab *vocab.Vocabulary
	// LLM, when set, lets an OpenAI-compatible model add to the deterministic result.
	// Default nil: deterministic only, fully offline.
	LLM *LLMConfig
	// Logger receives ids and counts only, never transcript text. Default: discard.
	Logger *slog.Logger
}

// LLMConfig points the engine at an OpenAI-compatible chat-completions endpoint.
type LLMConfig struct {
	// BaseURL is the API root, e.g. "https://api.openai.com/v1". Required.
	BaseURL string
	// APIKey is sent as a bearer token; may be empty for local servers.
	APIKey string
	// Model is the model name. Required.
	Model string
	// Timeout bounds each attempt. Default 30s.
	Timeout time.Duration
	// MaxRetries is how many times a failed attempt is retried. Default 2; negative means 0.
	MaxRetries int
	// PromptVersion picks the "extract" prompt version (e.g. "v1"). Default: the latest.
	PromptVersion string
}

func (c *Config) validate() error {
	if c.LLM == nil {
		return nil
	}
	if c.LLM.BaseURL == "" {
		return errors.New("llm: base url is required")
	}
	u, err := url.Parse(c.LLM.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("llm: base url %q is not an http(s) url", c.LLM.BaseURL)
	}
	if c.LLM.Model == "" {
		return errors.New("llm: model is required")
	}
	if c.LLM.Timeout < 0 {
		return errors.New("llm: timeout must not be negative")
	}
	return nil
}

// Engine extracts clinical items from transcripts. It is safe for concurrent use: the
// matcher is built once in New and only read afterwards.
type Engine struct {
	m      *matcher
	log    *slog.Logger
	llm    *llmExtractor
	drugBy map[string]int32 // generic term -> concept index, for grounding model output
	byTerm map[string]int32 // preferred term -> concept index, for composed findings
	siteBy []string         // word id -> the body site it names, "" for other words
}

// New builds an engine: the vocabulary is compiled into a token trie once, here.
func New(cfg *Config) (*Engine, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("nlp config: %w", err)
	}
	v := cfg.Vocab
	if v == nil {
		var err error
		if v, err = defaultVocab(); err != nil {
			return nil, fmt.Errorf("nlp: %w", err)
		}
	}
	var entries []vocab.Entry
	if v != nil {
		entries = v.Entries()
	}
	e := newEngine(entries)
	e.log = cfg.Logger
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if cfg.LLM != nil {
		x, err := newLLMExtractor(cfg.LLM)
		if err != nil {
			return nil, fmt.Errorf("nlp config: %w", err)
		}
		e.llm = x
	}
	return e, nil
}

func bodySitesSet() map[string]bool {
	out := make(map[string]bool, len(bodySites))
	for w := range bodySites {
		out[w] = true
	}
	return out
}

// defaultVocab returns the embedded vocabulary, turning its build-defect panic into an error
// so a server reports it instead of crashing.
func defaultVocab() (v *vocab.Vocabulary, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("embedded vocabulary: %v", r)
		}
	}()
	return vocab.Default(), nil
}

func kindOf(k vocab.Kind) conceptKind {
	switch k {
	case vocab.KindDrug:
		return ckDrug
	case vocab.KindProblem:
		return ckProblem
	case vocab.KindFinding:
		return ckFinding
	case vocab.KindLab:
		return ckLab
	case vocab.KindImaging:
		return ckImaging
	case vocab.KindProcedure:
		return ckProcedure
	case vocab.KindReferral:
		return ckReferral
	}
	return 0
}

// newEngine compiles entries. Surface forms are registered in kind order so that, when two
// entries share a form, drugs win over problems over findings over orders: a drug name is
// never read as something else.
func newEngine(entries []vocab.Entry) *Engine {
	m := newMatcher()
	e := &Engine{m: m, drugBy: map[string]int32{}}
	ents := make([]vocab.Entry, len(entries))
	copy(ents, entries)
	byTerm := map[string]int32{}
	e.byTerm = byTerm
	// Plan words (devices, therapies, diets) are registered before vocabulary procedures so
	// "brace" or "physical therapy" is an "other" order, as the contract classifies it.
	addInternal := func(kind string) {
		for _, o := range internalOrders {
			if o.kind != kind {
				continue
			}
			idx := int32(len(m.concepts))
			k := ckOther
			if o.kind == "referral" {
				k = ckReferral
			}
			m.concepts = append(m.concepts, concept{kind: k, term: o.term})
			for _, f := range o.forms {
				m.addConcept(f, idx)
			}
		}
	}
	for _, k := range []conceptKind{ckDrug, ckProblem, ckFinding, ckLab, ckImaging, ckOther, ckProcedure, ckReferral} {
		if k == ckOther {
			addInternal("other")
			continue
		}
		for i := range ents {
			en := &ents[i]
			if kindOf(en.Kind) != k || strings.TrimSpace(en.Term) == "" {
				continue
			}
			idx := int32(len(m.concepts))
			m.concepts = append(m.concepts, concept{entry: en, kind: k, term: strings.ToLower(en.Term)})
			if _, ok := byTerm[strings.ToLower(en.Term)]; !ok {
				byTerm[strings.ToLower(en.Term)] = idx
			}
			if k == ckDrug {
				e.drugBy[strings.ToLower(en.Term)] = idx
			}
			m.addConcept(en.Term, idx)
			for _, s := range en.Synonyms {
				m.addConcept(s, idx)
			}
		}
	}
	// Abbreviation entries expand to another entry's term ("htn" → hypertension) or to an
	// attribute ("bid" → twice daily); either way their forms join what they expand to.
	for i := range ents {
		en := &ents[i]
		if en.Kind != vocab.KindAbbrev {
			continue
		}
		forms := append([]string{en.Term}, en.Synonyms...)
		exp := strings.ToLower(strings.TrimSpace(en.Expansion))
		var k cueKind
		var value string
		switch en.Category {
		case vocab.CategoryFrequency:
			k, value = cueFreq, exp
			if v, ok := freqForms[exp]; ok {
				value = v
			}
		case vocab.CategoryRoute:
			k, value = cueRoute, exp
			if v, ok := routeForms[exp]; ok {
				value = v
			}
		case vocab.CategoryUnit:
			k, value = cueUnit, exp
			if v, ok := unitForms[exp]; ok {
				value = v
			}
		}
		if k != 0 {
			for _, f := range forms {
				m.addCue(f, k, value)
			}
			continue
		}
		if idx, ok := byTerm[exp]; ok {
			for _, f := range forms {
				m.addConcept(f, idx)
			}
		}
	}
	addInternal("referral")
	for i := range m.concepts {
		if k := m.concepts[i].kind; k == ckProblem || k == ckFinding {
			m.concepts[i].site = siteOfTerm(m.concepts[i].term)
		}
	}
	// Blockers are registered last: a longer concept still wins, but a blocker's words are
	// not read as the shorter concept inside them.
	for _, b := range notConcepts {
		idx := int32(len(m.concepts))
		m.concepts = append(m.concepts, concept{kind: ckBlock, term: b})
		m.addConcept(b, idx)
	}
	for k, list := range cueLists {
		for _, p := range list {
			m.addCue(p, k, "")
		}
	}
	for p, v := range freqForms {
		m.addCue(p, cueFreq, v)
	}
	for p, v := range routeForms {
		m.addCue(p, cueRoute, v)
	}
	for p, v := range unitForms {
		m.addCue(p, cueUnit, v)
	}
	// words the rules read back by id must be in the dictionary even when no pattern has them
	var lexical []string
	for w := range timeUnits {
		lexical = append(lexical, w)
	}
	for w := range spokenNumbers {
		lexical = append(lexical, w)
	}
	for _, set := range []map[string]bool{bodySitesSet(), siteLinks, sitePreps, relativeWords, latPass, siteQualifiers, answerFillers, questionFillers, subjects, honorifics, allergyStop,
		ambiguousAbbrev, greetings, abbrevContextBefore, abbrevContextAfter, envAllergenWords, tagWords} {
		for w := range set {
			lexical = append(lexical, w)
		}
	}
	lexical = append(lexical, numberWords...)
	lexical = append(lexical, "only", "just", "tear", "pain", "what", "exam", "examination", "or", "and",
		"both", "bilateral", "look", "looks", "appear", "appears", "seem", "seems", "sound", "sounds",
		"that", "this", "it", "we", "i", "they", "he", "she")
	for _, p := range lexical {
		for _, w := range words(p) {
			m.intern(w)
		}
	}
	e.siteBy = make([]string, len(m.words))
	for id, w := range m.words {
		e.siteBy[id] = bodySites[w]
	}
	return e
}

// Concept is one recognized vocabulary concept in a text.
type Concept struct {
	Entry *vocab.Entry
	// Start and End are byte offsets into the text, End exclusive.
	Start, End int
	Text       string
}

// Concepts recognizes vocabulary concepts in text, longest match first, left to right.
// Internal plan words (devices, therapies) have no vocabulary entry and are not returned.
func (e *Engine) Concepts(text string) []Concept {
	toks, _, _ := scan(text, e.m.lookup, nil, nil, nil)
	spans, _ := e.m.match(text, toks, nil, nil)
	out := make([]Concept, 0, len(spans))
	for _, s := range spans {
		c := e.m.concepts[s.idx]
		if c.entry == nil {
			continue
		}
		st, en := int(toks[s.from].start), int(toks[s.to-1].end)
		out = append(out, Concept{Entry: c.entry, Start: st, End: en, Text: text[st:en]})
	}
	return out
}

// Result is what Extract found, with the provenance of how.
type Result struct {
	Problems    []visit.Problem
	Medications []visit.Medication
	Orders      []visit.Order
	Allergies   []visit.Allergy
	Findings    []visit.Finding
	// Engine is EngineDeterministic or EngineWithLLM.
	Engine        string
	Model         string
	PromptVersion string
	// Dropped counts model items removed because their quote was not found in the transcript.
	Dropped int
	// Fallback says why the model was not used ("timeout", "http 500", "malformed json"); ""
	// when it was used or none is configured.
	Fallback string
}

// Extract finds the visit's items. It never fails on odd text: it returns an error only when
// ctx is already done (or, defensively, if an internal bug panics, which is recovered and
// reported rather than crashing the caller). A model failure is not an error: the
// deterministic result is returned with Fallback set.
func (e *Engine) Extract(ctx context.Context, tr visit.Transcript) (res *Result, err error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			// A bug must not take the ingestion worker down with it; the caller gets an error.
			e.log.Error("nlp extract panicked", "turns", len(tr.Turns))
			res, err = nil, fmt.Errorf("extract: internal error: %v", r)
		}
	}()
	res = e.extract(tr)
	res.Engine = EngineDeterministic
	if e.llm != nil {
		e.withLLM(ctx, tr, res)
	}
	e.log.Debug("nlp extract", "turns", len(tr.Turns), "problems", len(res.Problems),
		"medications", len(res.Medications), "orders", len(res.Orders), "allergies", len(res.Allergies),
		"findings", len(res.Findings), "engine", res.Engine, "dropped", res.Dropped, "fallback", res.Fallback)
	return res, nil
}
