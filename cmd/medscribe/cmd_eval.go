package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/medscribe/medscribe/evals"
	"github.com/medscribe/medscribe/ingest/transcript"
	"github.com/medscribe/medscribe/nlp"
	"github.com/medscribe/medscribe/nlp/vocab"
	"github.com/medscribe/medscribe/note"
	"github.com/medscribe/medscribe/visit"
)

func init() {
	register(command{name: "eval", summary: "measure quality: notes, extraction, suites with gates, comparisons", run: runEval})
}

const evalUsage = `Usage:
  medscribe eval notes   --data CSV --predictions CSV [--metadata CSV] [--format json|md|html] [--out FILE]
  medscribe eval extract --data CSV --gold JSONL [--format json|md|html] [--out FILE]
  medscribe eval run     SUITE.yaml [--out DIR]
  medscribe eval compare OLD.json NEW.json [--gate "metric >= value"]...

ROUGE is rouge-score 0.1.2 without stemming (mean per-encounter F1 x 100). A breached gate
exits with status 1. ${MEDSCRIBE_EVALDATA} in suite paths defaults to ../shared/evaldata.`

func runEval(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, evalUsage)
		return fmt.Errorf("%w: eval needs a subcommand (notes, extract, run, compare)", errUsage)
	}
	switch args[0] {
	case "notes":
		return evalNotes(ctx, e, args[1:])
	case "extract":
		return evalExtract(ctx, e, args[1:])
	case "run":
		return evalRun(ctx, e, args[1:])
	case "compare":
		return evalCompare(e, args[1:])
	case "-h", "--help", "help":
		fmt.Fprintln(e.stdout, evalUsage)
		return nil
	}
	return fmt.Errorf("%w: unknown eval subcommand %q (want notes, extract, run, compare)", errUsage, args[0])
}

// gateFlags collects repeated --gate flags.
type gateFlags []string

func (g *gateFlags) String() string     { return strings.Join(*g, ", ") }
func (g *gateFlags) Set(v string) error { *g = append(*g, v); return nil }

func parseGates(exprs []string) ([]evals.Gate, error) {
	var out []evals.Gate
	for _, x := range exprs {
		g, err := evals.ParseGate(x)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		out = append(out, g)
	}
	return out, nil
}

// interleaved lets flags follow positional arguments (eval run SUITE.yaml --out DIR).
func interleaved(fs interface {
	Parse([]string) error
	Args() []string
}, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func checkFormat(f string) error {
	switch f {
	case "json", "md", "html":
		return nil
	}
	return fmt.Errorf("%w: --format must be json, md or html, not %q", errUsage, f)
}

// writeReport renders a report to --out (or stdout) in the chosen format.
func writeReport(e *env, rep *evals.Report, format, out string) error {
	var buf bytes.Buffer
	var err error
	switch format {
	case "md":
		err = rep.WriteMarkdown(&buf)
	case "html":
		err = rep.WriteHTML(&buf)
	default:
		err = rep.WriteJSON(&buf)
	}
	if err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	if out == "" {
		_, err = e.stdout.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	fmt.Fprintf(e.stderr, "wrote %s\n", out)
	return nil
}

func gateError(rep *evals.Report) error {
	b := rep.Breached()
	if len(b) == 0 {
		return nil
	}
	var parts []string
	for _, g := range b {
		if g.Value != nil {
			parts = append(parts, fmt.Sprintf("%s (%s: %.4f)", g.Expr, g.Checked, *g.Value))
		} else {
			parts = append(parts, fmt.Sprintf("%s (%s)", g.Expr, g.Problem))
		}
	}
	return fmt.Errorf("%w: %s", errGateBreached, strings.Join(parts, "; "))
}

func evalNotes(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "eval notes")
	data := fs.String("data", "", "reference dataset CSV (ACI-BENCH layout: encounter_id, dialogue, note)")
	preds := fs.String("predictions", "", "system notes CSV (encounter_id/TestID + note/SystemOutput)")
	meta := fs.String("metadata", "", "ACI-BENCH metadata CSV (optional)")
	format := fs.String("format", "json", "json, md or html")
	out := fs.String("out", "", "output file (default stdout)")
	concepts := fs.Bool("concepts", true, "add concept F1 using medscribe's concept recognizer")
	var gates gateFlags
	fs.Var(&gates, "gate", `gate such as "rouge1 >= 45" (repeatable)`)
	if _, err := interleaved(fs, args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *data == "" || *preds == "" {
		return fmt.Errorf("%w: --data and --predictions are required", errUsage)
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	gs, err := parseGates(gates)
	if err != nil {
		return err
	}
	suite := &evals.Suite{Name: "notes", Metrics: []string{"rouge", "divisions"},
		Datasets: []evals.SuiteDataset{{Name: strings.TrimSuffix(filepath.Base(*data), filepath.Ext(*data)), Kind: "aci-bench", Path: *data, Metadata: *meta, Predictions: *preds}}}
	for _, g := range gs {
		suite.Gates = append(suite.Gates, g.Expr)
	}
	cfg := &evals.RunConfig{Logger: evalLogger(e)}
	if *concepts {
		suite.Metrics = append(suite.Metrics, "concepts")
		if rec, err := newConceptRecognizer(); err == nil {
			cfg.Concepts = rec
		} else {
			fmt.Fprintf(e.stderr, "concept F1 skipped: %v\n", err)
		}
	}
	rep, err := evals.RunSuite(ctx, suite, cfg)
	if err != nil {
		return err
	}
	addWanglab(rep, "")
	if err := writeReport(e, rep, *format, *out); err != nil {
		return err
	}
	return gateError(rep)
}

func evalExtract(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "eval extract")
	data := fs.String("data", "", "dataset CSV (ACI-BENCH layout)")
	gold := fs.String("gold", "", "gold items JSONL (../shared/evaldata/gold/GUIDELINE.md)")
	format := fs.String("format", "json", "json, md or html")
	out := fs.String("out", "", "output file (default stdout)")
	llm := fs.Bool("llm", false, "use the model endpoint from MEDSCRIBE_LLM_* (default: offline engine)")
	var gates gateFlags
	fs.Var(&gates, "gate", `gate such as "medication_f1 >= 0.9" (repeatable)`)
	if _, err := interleaved(fs, args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *data == "" || *gold == "" {
		return fmt.Errorf("%w: --data and --gold are required", errUsage)
	}
	if err := checkFormat(*format); err != nil {
		return err
	}
	gs, err := parseGates(gates)
	if err != nil {
		return err
	}
	suite := &evals.Suite{Name: "extract", Metrics: []string{"extraction", "grounding"}, Pipeline: evals.PipelineSettings{LLM: *llm},
		Datasets: []evals.SuiteDataset{{Name: strings.TrimSuffix(filepath.Base(*data), filepath.Ext(*data)), Kind: "aci-bench", Path: *data, Gold: *gold}}}
	for _, g := range gs {
		suite.Gates = append(suite.Gates, g.Expr)
	}
	rep, err := runWithMedscribe(ctx, e, suite)
	if err != nil {
		return err
	}
	if err := writeReport(e, rep, *format, *out); err != nil {
		return err
	}
	return gateError(rep)
}

func evalRun(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "eval run")
	out := fs.String("out", "", "directory for report.json, report.md and report.html (default: print Markdown only)")
	pos, err := interleaved(fs, args)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: eval run takes one SUITE.yaml", errUsage)
	}
	suite, err := evals.LoadSuite(pos[0])
	if err != nil {
		return err
	}
	rep, err := runWithMedscribe(ctx, e, suite)
	if err != nil {
		return err
	}
	addWanglab(rep, filepath.Dir(suite.Path))
	if *out == "" {
		if err := rep.WriteMarkdown(e.stdout); err != nil {
			return err
		}
		return gateError(rep)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("create report folder: %w", err)
	}
	for _, f := range []struct{ name, format string }{{"report.json", "json"}, {"report.md", "md"}, {"report.html", "html"}} {
		if err := writeReport(e, rep, f.format, filepath.Join(*out, f.name)); err != nil {
			return err
		}
	}
	if err := rep.WriteMarkdown(e.stdout); err != nil {
		return err
	}
	return gateError(rep)
}

func evalCompare(e *env, args []string) error {
	fs := newFlagSet(e, "eval compare")
	format := fs.String("format", "text", "text or json")
	var gates gateFlags
	fs.Var(&gates, "gate", `extra gate checked on NEW (repeatable)`)
	pos, err := interleaved(fs, args)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if len(pos) != 2 {
		return fmt.Errorf("%w: eval compare takes OLD.json NEW.json", errUsage)
	}
	extra, err := parseGates(gates)
	if err != nil {
		return err
	}
	old, err := evals.ReadReport(pos[0])
	if err != nil {
		return err
	}
	cur, err := evals.ReadReport(pos[1])
	if err != nil {
		return err
	}
	c := evals.Compare(old, cur, extra)
	switch *format {
	case "json":
		enc := jsonEncoder(e.stdout)
		if err := enc.Encode(c); err != nil {
			return err
		}
	case "text":
		if err := c.WriteText(e.stdout); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: --format must be text or json", errUsage)
	}
	if !c.Passed {
		var parts []string
		for _, g := range c.Gates {
			if !g.Passed {
				parts = append(parts, g.Expr)
			}
		}
		return fmt.Errorf("%w: %s", errGateBreached, strings.Join(parts, "; "))
	}
	return nil
}

// addWanglab adds the WangLab MEDIQA-Chat 2023 figures on ACI-BENCH valid when the
// evaluation data is present (best effort: the published ACI-BENCH figures are always there).
func addWanglab(rep *evals.Report, dir string) {
	if rep.Rouge1 == nil {
		return
	}
	if dir == "" {
		dir = "."
	}
	if bl, err := evals.WanglabBaselines(evals.EvalDataDir(dir)); err == nil {
		rep.Baselines = append(bl, rep.Baselines...)
	}
}

func evalLogger(e *env) *slog.Logger {
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// runWithMedscribe builds medscribe's engines as the suite's pipeline settings say and runs
// the suite, with a progress bar on a terminal.
func runWithMedscribe(ctx context.Context, e *env, suite *evals.Suite) (*evals.Report, error) {
	log := evalLogger(e)
	cfg := &evals.RunConfig{Logger: log}
	needEngines := false
	for _, d := range suite.Datasets {
		if d.Predictions == "" && d.Kind != "asr" {
			needEngines = true
		}
	}
	if needEngines {
		pl, err := newEvalPipeline(suite.Pipeline, log)
		if err != nil {
			return nil, err
		}
		cfg.Pipeline, cfg.Terms = pl, vocabTerms{vocab.Default()}
		if rec, err := newConceptRecognizer(); err == nil {
			cfg.Concepts = rec
		} else {
			fmt.Fprintf(e.stderr, "concept F1 skipped: %v\n", err)
		}
	}
	var bar *progress
	cur := ""
	cfg.Progress = func(ds string, done, total int) {
		if ds != cur {
			if bar != nil {
				bar.done()
			}
			cur, bar = ds, newProgress(e.stderr, total, "encounters")
		}
		bar.add(1)
	}
	rep, err := evals.RunSuite(ctx, suite, cfg)
	if bar != nil {
		bar.done()
	}
	return rep, err
}

// evalPipeline runs medscribe on one encounter: parse the dialogue, extract items, draft
// the note. It is the same sequence the ingest pipeline runs, without storage.
type evalPipeline struct {
	nlp   *nlp.Engine
	notes *note.Drafter
}

func newEvalPipeline(ps evals.PipelineSettings, log *slog.Logger) (*evalPipeline, error) {
	ncfg := &nlp.Config{Logger: log}
	dcfg := &note.Config{Template: ps.NoteTemplate, Logger: log}
	if ps.LLM {
		base := os.Getenv("MEDSCRIBE_LLM_BASE_URL")
		key := os.Getenv("MEDSCRIBE_LLM_API_KEY")
		if key == "" {
			key = os.Getenv("OPENAI_API_KEY")
		}
		model := os.Getenv("MEDSCRIBE_LLM_MODEL")
		if base == "" || model == "" {
			return nil, fmt.Errorf("suite asks for llm: set MEDSCRIBE_LLM_BASE_URL and MEDSCRIBE_LLM_MODEL")
		}
		ncfg.LLM = &nlp.LLMConfig{BaseURL: base, APIKey: key, Model: model, Timeout: 60 * time.Second}
		dcfg.LLM = &note.LLMConfig{BaseURL: base, APIKey: key, Model: model, Timeout: 60 * time.Second}
	}
	en, err := nlp.New(ncfg)
	if err != nil {
		return nil, fmt.Errorf("nlp engine: %w", err)
	}
	dr, err := note.New(dcfg)
	if err != nil {
		return nil, fmt.Errorf("note drafter: %w", err)
	}
	return &evalPipeline{nlp: en, notes: dr}, nil
}

func (p *evalPipeline) Run(ctx context.Context, enc *evals.Encounter) (*visit.Record, error) {
	tr, err := transcript.Parse(enc.ID+".txt", []byte(enc.Dialogue), nil)
	if err != nil {
		return nil, fmt.Errorf("parse transcript: %w", err)
	}
	res, err := p.nlp.Extract(ctx, tr)
	if err != nil {
		return nil, err
	}
	rec := &visit.Record{ExternalID: enc.ID, Transcript: tr, Problems: res.Problems, Medications: res.Medications,
		Orders: res.Orders, Allergies: res.Allergies, Findings: res.Findings,
		Provenance: visit.Provenance{Engine: res.Engine, EngineVersion: nlp.Version()}}
	n, _, err := p.notes.Draft(ctx, note.Input{Transcript: tr, Problems: rec.Problems, Medications: rec.Medications,
		Orders: rec.Orders, Allergies: rec.Allergies, Findings: rec.Findings, Patient: rec.Patient})
	if err != nil {
		return nil, fmt.Errorf("draft note: %w", err)
	}
	rec.Note = n
	rec.Normalize()
	return rec, nil
}

// conceptKeys adapts nlp.Engine to evals.ConceptRecognizer: a concept's key is its code when
// coded ("system|code"), else its kind and preferred term.
type conceptKeys struct{ e *nlp.Engine }

func newConceptRecognizer() (evals.ConceptRecognizer, error) {
	en, err := nlp.New(&nlp.Config{})
	if err != nil {
		return nil, err
	}
	return conceptKeys{en}, nil
}

func (c conceptKeys) ConceptKeys(text string) []string {
	var out []string
	for _, x := range c.e.Concepts(text) {
		if x.Entry == nil || x.Entry.Kind == vocab.KindAbbrev {
			continue
		}
		if x.Entry.Code != nil && x.Entry.Code.Code != "" {
			out = append(out, x.Entry.Code.System+"|"+x.Entry.Code.Code)
		} else {
			out = append(out, string(x.Entry.Kind)+":"+x.Entry.Term)
		}
	}
	return out
}

// vocabTerms adapts the vocabulary to evals.TermNormalizer: the canonical key of a name is the
// preferred term of the first non-abbreviation entry it names.
type vocabTerms struct{ v *vocab.Vocabulary }

func (t vocabTerms) Canonical(term string) (string, bool) {
	if t.v == nil {
		return "", false
	}
	for _, e := range t.v.Lookup(term) {
		if e.Kind != vocab.KindAbbrev {
			return string(e.Kind) + ":" + e.Term, true
		}
	}
	return "", false
}

func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc
}
