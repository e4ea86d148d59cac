package evals

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/medscribe/medscribe/visit"
)

// Pipeline runs a system (medscribe: transcript parse, extraction, note drafting) on one
// encounter's dialogue and returns its visit record. Declared here so evals does not depend
// on how the engines are built; the command line adapts medscribe's engines to it.
type Pipeline interface {
	Run(ctx context.Context, enc *Encounter) (*visit.Record, error)
}

// RunConfig configures RunSuite.
type RunConfig struct {
	// Pipeline runs medscribe; required unless every dataset names predictions.
	Pipeline Pipeline
	// Concepts enables concept F1; nil skips it (reported as skipped).
	Concepts ConceptRecognizer
	// Terms maps synonyms for extraction matching and omissions; nil: names only.
	Terms TermNormalizer
	// Logger gets ids and counts only. Default: discard.
	Logger *slog.Logger
	// Progress is called with (done, total) encounters of the current dataset; may be nil.
	Progress func(dataset string, done, total int)
	// Now stamps the report; default time.Now.
	Now func() time.Time
	// EncounterTimeout bounds the pipeline on one encounter (model calls included); default 5m.
	EncounterTimeout time.Duration
}

func (c *RunConfig) validate(s *Suite) error {
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.EncounterTimeout <= 0 {
		c.EncounterTimeout = 5 * time.Minute
	}
	for _, d := range s.Datasets {
		if d.Predictions == "" && d.Kind != "asr" && c.Pipeline == nil {
			return fmt.Errorf("dataset %s: no predictions file and no pipeline to run", d.Name)
		}
	}
	return nil
}

// ReportSchema identifies the report JSON layout.
const ReportSchema = "medscribe.eval/v1"

// Report is a complete evaluation: JSON for machines, rendered to Markdown and HTML for people.
type Report struct {
	Schema    string    `json:"schema"`
	Suite     string    `json:"suite"`
	CreatedAt time.Time `json:"created_at"`
	// Complete is true only when every encounter of every dataset was scored; reports are
	// never written otherwise, so it is a guard for consumers of hand-edited files.
	Complete bool `json:"complete"`
	// Rouge1..RougeLsum repeat the first note-scored dataset's figures (0-100) at the top level.
	Rouge1    *float64        `json:"rouge1,omitempty"`
	Rouge2    *float64        `json:"rouge2,omitempty"`
	RougeL    *float64        `json:"rougeL,omitempty"`
	RougeLsum *float64        `json:"rougeLsum,omitempty"`
	Datasets  []DatasetReport `json:"datasets"`
	Gates     []GateResult    `json:"gates"`
	Passed    bool            `json:"passed"`
	// Baselines are published figures for comparison (see Baselines).
	Baselines []Baseline `json:"baselines,omitempty"`
	// Notes on the figures (skipped metrics and why).
	Notes []string `json:"notes,omitempty"`
}

// DatasetReport is one dataset's figures and details.
type DatasetReport struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	Path string `json:"path"`
	N    int    `json:"n"`
	// Limited is true when the suite limited the dataset to its first N encounters.
	Limited bool `json:"limited,omitempty"`
	// System says what produced the notes/items: "medscribe <engine>" or the predictions file.
	System string `json:"system"`
	// Metrics is the flat map gates are checked against.
	Metrics    map[string]float64 `json:"metrics"`
	Notes      *NotesResult       `json:"notes,omitempty"`
	Extraction *ExtractionReport  `json:"extraction,omitempty"`
	Grounding  *Grounding         `json:"grounding,omitempty"`
	Omissions  *Omissions         `json:"omissions,omitempty"`
	WER        *WERCounts         `json:"wer,omitempty"`
	// WERByEncounter holds per-encounter word error rates of an asr dataset.
	WERByEncounter []EncounterWER `json:"wer_by_encounter,omitempty"`
	Alerts         *AlertScores   `json:"alerts,omitempty"`
	ElapsedMS      int64          `json:"elapsed_ms"`
}

// ExtractionReport holds extraction scores over a dataset.
type ExtractionReport struct {
	Summary    ExtractionSummary `json:"summary"`
	Encounters []ExtractionScore `json:"encounters"`
}

// RunSuite runs a suite to completion and checks its gates. Any dataset or pipeline error
// aborts the run: a report is only ever returned complete.
func RunSuite(ctx context.Context, s *Suite, cfg *RunConfig) (*Report, error) {
	if cfg == nil {
		cfg = &RunConfig{}
	}
	if err := cfg.validate(s); err != nil {
		return nil, err
	}
	rep := &Report{Schema: ReportSchema, Suite: s.Name, CreatedAt: cfg.Now().UTC()}
	for _, sd := range s.Datasets {
		start := time.Now()
		dr, notes, err := runDataset(ctx, s, sd, cfg)
		if err != nil {
			return nil, fmt.Errorf("dataset %s: %w", sd.Name, err)
		}
		dr.ElapsedMS = time.Since(start).Milliseconds()
		rep.Datasets = append(rep.Datasets, *dr)
		rep.Notes = append(rep.Notes, notes...)
		cfg.Logger.Info("eval dataset scored", "suite", s.Name, "dataset", sd.Name, "encounters", dr.N, "elapsed_ms", dr.ElapsedMS)
	}
	var gates []Gate
	for _, g := range s.Gates {
		pg, _ := ParseGate(g) // validated by LoadSuite
		gates = append(gates, pg)
	}
	rep.Finish(gates)
	return rep, nil
}

// Finish fills the top-level figures, checks gates and marks the report complete.
func (r *Report) Finish(gates []Gate) {
	for _, d := range r.Datasets {
		if d.Notes != nil {
			f := d.Notes.Summary.RougeFigures
			r.Rouge1, r.Rouge2, r.RougeL, r.RougeLsum = &f.Rouge1, &f.Rouge2, &f.RougeL, &f.RougeLsum
			break
		}
	}
	r.Gates = CheckGates(gates, r.Datasets)
	r.Passed = true
	for _, g := range r.Gates {
		if !g.Passed {
			r.Passed = false
		}
	}
	r.Complete = true
	if r.Baselines == nil && r.Rouge1 != nil {
		r.Baselines = PublishedBaselines()
	}
}

// Breached lists the gates that failed.
func (r *Report) Breached() []GateResult {
	var out []GateResult
	for _, g := range r.Gates {
		if !g.Passed {
			out = append(out, g)
		}
	}
	return out
}

// LoadDataset loads a suite dataset and, when named, its gold set (checked to cover it).
func LoadDataset(sd SuiteDataset) (*Dataset, *GoldSet, error) {
	var ds *Dataset
	var gs *GoldSet
	var err error
	switch sd.Kind {
	case "aci-bench":
		ds, err = LoadACIBench(sd.Path)
		if err == nil && sd.Metadata != "" {
			err = LoadACIMetadata(ds, sd.Metadata)
		}
	case "mts-dialog":
		ds, err = LoadMTSDialog(sd.Path)
	case "primock57":
		ds, err = LoadPriMock57(sd.Path)
	case "cases":
		ds, gs, err = LoadCases(sd.Path)
	default:
		err = fmt.Errorf("unknown dataset kind %q", sd.Kind)
	}
	if err != nil {
		return nil, nil, err
	}
	ds.Name = sd.Name
	if sd.Limit > 0 && sd.Limit < len(ds.Encounters) {
		ds.Encounters = ds.Encounters[:sd.Limit]
	}
	if sd.Gold != "" {
		if gs, err = LoadGold(sd.Gold); err != nil {
			return nil, nil, err
		}
	}
	if gs != nil {
		if sd.Limit > 0 {
			gs = gs.restrict(ds)
		}
		if err := gs.Check(ds); err != nil {
			return nil, nil, err
		}
	}
	return ds, gs, nil
}

func (g *GoldSet) restrict(ds *Dataset) *GoldSet {
	out := &GoldSet{Path: g.Path, byID: map[string]*Gold{}}
	for _, e := range g.Encounters {
		if ds.ByID(e.EncounterID) != nil {
			out.Encounters = append(out.Encounters, e)
			out.byID[e.EncounterID] = e
		}
	}
	return out
}

func hasNotes(ds *Dataset) bool {
	for _, e := range ds.Encounters {
		if e.Note == "" {
			return false
		}
	}
	return len(ds.Encounters) > 0
}

func runDataset(ctx context.Context, s *Suite, sd SuiteDataset, cfg *RunConfig) (*DatasetReport, []string, error) {
	if sd.Kind == "asr" {
		return runASR(sd)
	}
	ds, gs, err := LoadDataset(sd)
	if err != nil {
		return nil, nil, err
	}
	dr := &DatasetReport{Name: sd.Name, Kind: sd.Kind, Path: sd.Path, N: len(ds.Encounters), Limited: sd.Limit > 0, Metrics: map[string]float64{}}
	var notes []string
	progress := func(done int) {
		if cfg.Progress != nil {
			cfg.Progress(sd.Name, done, len(ds.Encounters))
		}
	}

	var preds *Predictions
	var records map[string]*visit.Record
	if sd.Predictions != "" {
		if preds, err = LoadPredictions(sd.Predictions); err != nil {
			return nil, nil, err
		}
		if sd.Limit > 0 {
			preds = preds.restrict(ds)
		}
		dr.System = "predictions " + sd.Predictions
		if gs != nil && s.wants("extraction") {
			notes = append(notes, sd.Name+": extraction not scored (predictions file has notes only)")
		}
	} else {
		for _, e := range ds.Encounters {
			if strings.TrimSpace(e.Dialogue) == "" {
				return nil, nil, &DataError{File: sd.Path, Column: "dialogue", Msg: fmt.Sprintf("encounter %s has no dialogue to run medscribe on", e.ID)}
			}
		}
		if records, err = runPipeline(ctx, cfg.Pipeline, ds, s.Pipeline.Workers, cfg.EncounterTimeout, progress); err != nil {
			return nil, nil, err
		}
		preds = &Predictions{Path: "medscribe", Notes: map[string]string{}}
		for _, e := range ds.Encounters {
			preds.IDs = append(preds.IDs, e.ID)
			preds.Notes[e.ID] = records[e.ID].Note.Text
		}
		pv := records[ds.Encounters[0].ID].Provenance
		dr.System = strings.TrimSpace("medscribe " + pv.Engine + " " + pv.EngineVersion)
	}

	if hasNotes(ds) && s.wants("rouge") {
		opts := &NoteOpts{SkipDivisions: !s.wants("divisions") || sd.Kind != "aci-bench"}
		if s.wants("concepts") {
			if cfg.Concepts != nil {
				opts.Concepts = cfg.Concepts
			} else {
				notes = append(notes, sd.Name+": concept F1 skipped (no concept recognizer)")
			}
		}
		// medscribe's own notes may be empty (every ungrounded sentence dropped): they score 0.
		if err := preds.Match(ds); err != nil {
			return nil, nil, err
		}
		res := &NotesResult{}
		for _, e := range ds.Encounters {
			sc := ScoreNote(e.Note, preds.Notes[e.ID], opts)
			sc.ID, sc.Dataset = e.ID, e.Dataset
			res.Encounters = append(res.Encounters, sc)
		}
		res.Summary = SummarizeNotes(res.Encounters)
		dr.Notes = res
		f := res.Summary
		dr.Metrics["rouge1"], dr.Metrics["rouge2"], dr.Metrics["rougeL"], dr.Metrics["rougeLsum"] = f.Rouge1, f.Rouge2, f.RougeL, f.RougeLsum
		for d, v := range f.Divisions {
			dr.Metrics[d+"_rouge1"], dr.Metrics[d+"_rouge2"], dr.Metrics[d+"_rougeL"] = v.Rouge1, v.Rouge2, v.RougeL
		}
		if f.ConceptF1 != nil {
			dr.Metrics["concept_precision"], dr.Metrics["concept_recall"], dr.Metrics["concept_f1"] = *f.ConceptPrecision, *f.ConceptRecall, *f.ConceptF1
		}
	}

	if records != nil {
		if gs != nil && s.wants("extraction") {
			er := &ExtractionReport{}
			for _, e := range ds.Encounters {
				er.Encounters = append(er.Encounters, ScoreExtraction(gs.Get(e.ID), records[e.ID], cfg.Terms))
			}
			er.Summary = SummarizeExtraction(er.Encounters)
			dr.Extraction = er
			for k, v := range er.Summary.Figures() {
				dr.Metrics[k] = v
			}
		}
		if s.wants("grounding") {
			var g Grounding
			for _, e := range ds.Encounters {
				g.merge(ScoreGrounding(records[e.ID]))
			}
			dr.Grounding = &g
			dr.Metrics["ungrounded_sentence_rate"] = g.SentenceRate()
			dr.Metrics["ungrounded_item_rate"] = g.ItemRate()
			dr.Metrics["invalid_evidence"] = float64(g.InvalidEvidence)
		}
	}
	if gs != nil && s.wants("omissions") {
		var o Omissions
		for _, e := range ds.Encounters {
			x := ScoreOmissions(gs.Get(e.ID), preds.Notes[e.ID], cfg.Terms)
			o.merge(x)
			o.Items = append(o.Items, x.Items...)
		}
		dr.Omissions = &o
		dr.Metrics["omission_rate"] = o.Rate()
	}
	return dr, notes, nil
}

func (p *Predictions) restrict(ds *Dataset) *Predictions {
	out := &Predictions{Path: p.Path, Notes: map[string]string{}}
	for _, id := range p.IDs {
		if ds.ByID(id) != nil {
			out.IDs = append(out.IDs, id)
			out.Notes[id] = p.Notes[id]
		}
	}
	return out
}

// runPipeline runs the pipeline over every encounter with a bounded worker pool. The first
// error cancels the rest and is returned: no partial results.
func runPipeline(ctx context.Context, pl Pipeline, ds *Dataset, workers int, timeout time.Duration, progress func(int)) (map[string]*visit.Record, error) {
	if workers <= 0 {
		workers = 1
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu      sync.Mutex
		out     = make(map[string]*visit.Record, len(ds.Encounters))
		firstEr error
		done    int
		wg      sync.WaitGroup
	)
	jobs := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				e := &ds.Encounters[i]
				ectx, ecancel := context.WithTimeout(ctx, timeout)
				rec, err := pl.Run(ectx, e)
				ecancel()
				if err == nil && rec == nil {
					err = errors.New("pipeline returned no record")
				}
				mu.Lock()
				if err != nil {
					if firstEr == nil {
						firstEr = fmt.Errorf("encounter %s: %w", e.ID, err)
						cancel()
					}
				} else {
					out[e.ID] = rec
					done++
					progress(done)
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for i := range ds.Encounters {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstEr != nil {
		return nil, firstEr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(out) != len(ds.Encounters) {
		return nil, fmt.Errorf("pipeline scored %d of %d encounters", len(out), len(ds.Encounters))
	}
	return out, nil
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// runASR scores a hypothesis transcript set against its references (word error rate).
func runASR(sd SuiteDataset) (*DatasetReport, []string, error) {
	hyp, err := LoadTranscripts(sd.Path)
	if err != nil {
		return nil, nil, err
	}
	ref, err := LoadTranscripts(sd.Reference)
	if err != nil {
		return nil, nil, err
	}
	if sd.Limit > 0 && sd.Limit < len(ref.Encounters) {
		ref.Encounters = ref.Encounters[:sd.Limit]
		kept := hyp.Encounters[:0:0]
		for _, h := range hyp.Encounters {
			if ref.ByID(h.ID) != nil {
				kept = append(kept, h)
			}
		}
		hyp.Encounters = kept
	}
	total, per, err := ScoreTranscripts(ref, hyp)
	if err != nil {
		return nil, nil, err
	}
	dr := &DatasetReport{Name: sd.Name, Kind: sd.Kind, Path: sd.Path, N: len(per), Limited: sd.Limit > 0,
		System: "transcripts " + sd.Path, Metrics: map[string]float64{"wer": total.WER()}, WER: &total, WERByEncounter: per}
	return dr, nil, nil
}
