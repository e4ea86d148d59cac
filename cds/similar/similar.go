// Package similar owns "patients like this one": turning visits and imported records into
// cases, embedding and storing them, searching the nearest ones, and aggregating what
// happened to them into at most one CDS card.
package similar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/medscribe/medscribe/nlp/embed"
	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/visit"
)

// Config configures the engine. Store and Embedder are required.
type Config struct {
	Store    store.Store
	Embedder embed.Embedder
	// K is how many neighbours a card or lookup considers; default 10.
	K int
	// MinScore drops neighbours less similar than this (cosine); default 0.3.
	MinScore float64
	// MinCases is how many similar cases a card needs before it says anything; default 3.
	MinCases int
	// UIBaseURL makes absolute links to case visits in the review UI ("" = relative links).
	UIBaseURL string
	Logger    *slog.Logger
}

// Engine indexes and searches cases. Safe for concurrent use.
type Engine struct {
	cfg Config

	// statsMu guards a short-lived copy of the case base's stats: counting cases reads the
	// whole table, too much to do on every CDS call.
	statsMu sync.Mutex
	stats   store.CaseStats
	statsAt time.Time
}

// statsTTL is how long the embedder check may use stats it read earlier.
const statsTTL = 5 * time.Second

func (e *Engine) caseStats(ctx context.Context) (store.CaseStats, error) {
	e.statsMu.Lock()
	defer e.statsMu.Unlock()
	if !e.statsAt.IsZero() && time.Since(e.statsAt) < statsTTL {
		return e.stats, nil
	}
	st, err := e.cfg.Store.CaseStats(ctx)
	if err != nil {
		return st, err
	}
	e.stats, e.statsAt = st, time.Now()
	return st, nil
}

// forgetStats makes the next search read the stats afresh (after this engine changed them).
func (e *Engine) forgetStats() {
	e.statsMu.Lock()
	e.statsAt = time.Time{}
	e.statsMu.Unlock()
}

// New checks cfg and builds the engine.
func New(cfg *Config) (*Engine, error) {
	c := *cfg
	if c.Store == nil || c.Embedder == nil {
		return nil, errors.New("similar: Config.Store and Config.Embedder are required")
	}
	if c.K <= 0 {
		c.K = 10
	}
	if c.MinScore == 0 {
		c.MinScore = 0.3
	}
	if c.MinCases <= 0 {
		c.MinCases = 3
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return &Engine{cfg: c}, nil
}

// EmbedderName names the embedder cases are embedded with.
func (e *Engine) EmbedderName() string { return e.cfg.Embedder.Name() }

// CaseFromVisit turns a processed visit into a case: what the patient has (problems not
// absent or family), takes (drugs not merely considered), reports (findings, denied ones as
// "no X") and the plan chosen at the visit as outcomes.
func CaseFromVisit(rec *visit.Record) *store.Case {
	c := &store.Case{ID: "visit:" + rec.ID, VisitID: rec.ID, ExternalID: rec.ExternalID, PatientID: rec.PatientID,
		Source: "visit", Problems: []string{}, Medications: []string{}, Findings: []string{}, Outcomes: []store.Outcome{}}
	seen := map[string]bool{}
	addOnce := func(list *[]string, s string) {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" && !seen[s] {
			seen[s] = true
			*list = append(*list, s)
		}
	}
	for _, p := range rec.Problems {
		if p.Assertion == visit.Absent || p.Assertion == visit.Family {
			continue
		}
		addOnce(&c.Problems, p.Text)
		c.Outcomes = append(c.Outcomes, store.Outcome{Kind: "diagnosis", Text: strings.ToLower(p.Text)})
	}
	for _, m := range rec.Medications {
		if m.Status == visit.MedConsidered {
			continue
		}
		addOnce(&c.Medications, m.Text)
		if m.Status == visit.MedNew || m.Status == visit.MedChanged {
			c.Outcomes = append(c.Outcomes, store.Outcome{Kind: "plan", Text: string(m.Status) + " " + strings.ToLower(m.Text), Drug: strings.ToLower(m.Text)})
		}
		if m.Status == visit.MedStopped {
			c.Outcomes = append(c.Outcomes, store.Outcome{Kind: "plan", Text: "stopped " + strings.ToLower(m.Text), Drug: strings.ToLower(m.Text)})
		}
	}
	for _, f := range rec.Findings {
		switch f.Assertion {
		case visit.Absent:
			addOnce(&c.Findings, "no "+f.Text)
		case visit.Present:
			addOnce(&c.Findings, f.Text)
		}
	}
	for _, o := range rec.Orders {
		if o.Kind == visit.OrderFollowup || o.Kind == visit.OrderMedication {
			continue
		}
		c.Outcomes = append(c.Outcomes, store.Outcome{Kind: "plan", Text: string(o.Kind) + ": " + strings.ToLower(o.Text)})
	}
	for _, s := range rec.Note.Sections {
		if s.Key == "assessment_and_plan" || s.Key == "assessment" || s.Key == "plan" {
			c.Text += s.Text + "\n"
		}
	}
	c.Text = strings.TrimSpace(c.Text)
	return c
}

// DocOf is what the embedder sees of a case.
func DocOf(c *store.Case) embed.Doc {
	return embed.Doc{Problems: c.Problems, Medications: c.Medications, Findings: c.Findings, Text: c.Text}
}

// Put embeds and stores a case. A case with nothing to embed is stored without an
// embedding (it cannot be found, but it is not lost).
func (e *Engine) Put(ctx context.Context, c *store.Case) error {
	vecs, err := e.cfg.Embedder.Embed(ctx, []embed.Doc{DocOf(c)})
	switch {
	case errors.Is(err, embed.ErrEmpty):
		c.Embedding, c.Embedder = nil, ""
	case err != nil:
		return fmt.Errorf("embed case %s: %w", c.ID, err)
	default:
		c.Embedding, c.Embedder = vecs[0], e.cfg.Embedder.Name()
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now().UTC()
	}
	return e.cfg.Store.PutCase(ctx, c)
}

// IndexVisit adds a processed visit to the case base (every ingested visit is a case).
func (e *Engine) IndexVisit(ctx context.Context, rec *visit.Record) error {
	return e.Put(ctx, CaseFromVisit(rec))
}

// ErrEmbedderChanged is returned when the case base was embedded by another embedder:
// vectors of different models are not comparable, so searching would give wrong neighbours.
var ErrEmbedderChanged = errors.New("similar: the case base was embedded with another embedder; run `medscribe cases reindex`")

// Search returns the k most similar cases to doc, best first, at or above MinScore.
func (e *Engine) Search(ctx context.Context, doc embed.Doc, k int, exclude []string) ([]store.CaseMatch, error) {
	st, err := e.caseStats(ctx)
	if err != nil {
		return nil, err
	}
	if st.Count > st.Missing && st.Embedder != "" && st.Embedder != e.cfg.Embedder.Name() {
		return nil, ErrEmbedderChanged
	}
	vecs, err := e.cfg.Embedder.Embed(ctx, []embed.Doc{doc})
	if err != nil {
		return nil, err
	}
	if k <= 0 {
		k = e.cfg.K
	}
	return e.cfg.Store.SimilarCases(ctx, vecs[0], k, &store.SimilarOpts{MinScore: e.cfg.MinScore, ExcludeIDs: exclude})
}

// Match is one similar case in an API answer.
type Match struct {
	VisitID    string          `json:"visit_id,omitempty"`
	CaseID     string          `json:"case_id"`
	ExternalID string          `json:"external_id"`
	Score      float64         `json:"score"`
	Source     string          `json:"source"`
	Problems   []string        `json:"problems"`
	Drugs      []string        `json:"medications"`
	Outcomes   []store.Outcome `json:"outcomes"`
}

// Response is the body of GET /v1/cases/similar.
type Response struct {
	Visit string  `json:"visit"`
	Cases []Match `json:"cases"`
}

// SimilarToVisit answers GET /v1/cases/similar?visit=ID&k=N, excluding the visit's own case
// and the patient's other visits.
func (e *Engine) SimilarToVisit(ctx context.Context, visitID string, k int) (any, error) {
	rec, err := e.cfg.Store.GetVisit(ctx, visitID)
	if err != nil {
		return nil, err
	}
	c := CaseFromVisit(rec)
	matches, err := e.Search(ctx, DocOf(c), k+8, []string{c.ID})
	if errors.Is(err, embed.ErrEmpty) {
		return &Response{Visit: visitID, Cases: []Match{}}, nil
	}
	if err != nil {
		return nil, err
	}
	out := &Response{Visit: visitID, Cases: []Match{}}
	for _, m := range matches {
		if len(out.Cases) == k {
			break
		}
		if rec.PatientID != "" && m.Case.PatientID == rec.PatientID {
			continue // the same patient is not "a patient like this one"
		}
		out.Cases = append(out.Cases, Match{VisitID: m.Case.VisitID, CaseID: m.Case.ID, ExternalID: m.Case.ExternalID,
			Score: m.Score, Source: m.Case.Source, Problems: m.Case.Problems, Drugs: m.Case.Medications, Outcomes: m.Case.Outcomes})
	}
	return out, nil
}

// Card aggregates the similar cases of a patient into at most one info card: what share of
// similar patients had which outcome and, for drugs being ordered, what happened to similar
// patients on those drugs. It returns nil when there are too few similar cases to say anything.
func (e *Engine) Card(ctx context.Context, doc embed.Doc, drafts []string, patientID string) (*visit.Card, error) {
	matches, err := e.Search(ctx, doc, e.cfg.K+8, nil)
	if errors.Is(err, embed.ErrEmpty) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var kept []store.CaseMatch
	for _, m := range matches {
		if patientID != "" && m.Case.PatientID == patientID {
			continue
		}
		if len(kept) < e.cfg.K {
			kept = append(kept, m)
		}
	}
	if len(kept) < e.cfg.MinCases {
		return nil, nil
	}
	return buildCard(kept, drafts, e.cfg.UIBaseURL), nil
}

type tally struct {
	text  string
	count int
}

// buildCard writes the card from the neighbours. Summary stays under 140 characters.
func buildCard(ms []store.CaseMatch, drafts []string, uiBase string) *visit.Card {
	n := len(ms)
	counts := map[string]int{}
	for _, m := range ms {
		seen := map[string]bool{}
		for _, o := range m.Case.Outcomes {
			if o.Kind == "diagnosis" {
				continue // the problems are why they are similar, not what happened to them
			}
			key := o.Kind + ": " + o.Text
			if !seen[key] {
				seen[key] = true
				counts[key]++
			}
		}
	}
	var top []tally
	for k, c := range counts {
		if c >= 2 {
			top = append(top, tally{k, c})
		}
	}
	sort.Slice(top, func(i, j int) bool {
		if top[i].count != top[j].count {
			return top[i].count > top[j].count
		}
		return top[i].text < top[j].text
	})
	if len(top) > 5 {
		top = top[:5]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Among the %d most similar past patients (cosine similarity %.2f–%.2f):\n\n", n, ms[n-1].Score, ms[0].Score)
	for _, t := range top {
		fmt.Fprintf(&b, "- %d of %d (%d%%) — %s\n", t.count, n, 100*t.count/n, t.text)
	}
	if len(top) == 0 {
		b.WriteString("- no outcome was shared by two or more of them.\n")
	}
	summary := fmt.Sprintf("%d similar patients found", n)
	if len(top) > 0 {
		summary = fmt.Sprintf("%d similar patients: %d%% had %s", n, 100*top[0].count/n, strings.TrimPrefix(strings.TrimPrefix(top[0].text, "plan: "), "adverse_event: "))
	}
	for _, d := range drafts {
		d = strings.ToLower(d)
		on, adverse := 0, map[string]int{}
		for _, m := range ms {
			took := false
			for _, med := range m.Case.Medications {
				if med == d {
					took = true
				}
			}
			for _, o := range m.Case.Outcomes {
				if o.Drug == d {
					took = true
					if o.Kind == "adverse_event" {
						adverse[o.Text]++
					}
				}
			}
			if took {
				on++
			}
		}
		if on == 0 {
			fmt.Fprintf(&b, "\nNone of them was on **%s**.\n", d)
			continue
		}
		fmt.Fprintf(&b, "\n%d of them were on **%s**", on, d)
		if len(adverse) == 0 {
			b.WriteString("; no adverse event was recorded for it.\n")
		} else {
			b.WriteString("; recorded adverse events:\n")
			for _, k := range sortedKeys(adverse) {
				fmt.Fprintf(&b, "- %s: %d\n", k, adverse[k])
			}
			summary = fmt.Sprintf("%d of %d similar patients on %s had adverse events", len(adverse), n, d)
		}
	}
	b.WriteString("\nSimilarity is computed from coded problems, medications and findings; it describes past patients, it is not a prediction.")
	if len(summary) > 139 {
		summary = summary[:136] + "..."
	}
	card := &visit.Card{
		Summary: summary, Detail: b.String(), Indicator: "info",
		Source:    visit.CardSource{Label: "medscribe similar cases", Topic: &visit.CodingValue{System: "https://medscribe.dev/cds/topic", Code: "similar-cases", Display: "Similar cases"}},
		Extension: map[string]any{"medscribe.rule_id": "similar-cases", "medscribe.cases": n},
	}
	for i, m := range ms {
		if i == 3 || m.Case.VisitID == "" {
			continue
		}
		card.Links = append(card.Links, visit.Link{Label: fmt.Sprintf("Similar case %s (%.2f)", m.Case.ExternalID, m.Score),
			URL: strings.TrimRight(uiBase, "/") + "/ui/visits/" + m.Case.VisitID, Type: "absolute"})
	}
	return card
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Reindex re-embeds every case with the current embedder. It first clears the
// old vectors (mixed dimensions are refused by the store), then fills them in; a case that
// has nothing to embed stays without a vector. progress may be nil.
func (e *Engine) Reindex(ctx context.Context, progress func(done int)) (int, error) {
	defer e.forgetStats()
	if err := e.cfg.Store.ResetEmbeddings(ctx); err != nil {
		return 0, err
	}
	// Collect first: the embedded store has one connection, so writing while iterating would wait on itself.
	var all []*store.Case
	if err := e.cfg.Store.EachCase(ctx, func(c *store.Case) error { all = append(all, c); return nil }); err != nil {
		return 0, err
	}
	for i, c := range all {
		if err := e.Put(ctx, c); err != nil {
			return i, err
		}
		if progress != nil {
			progress(i + 1)
		}
	}
	return len(all), nil
}
