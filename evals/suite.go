package evals

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// Suite is an eval suite file: which datasets, how to run medscribe on them, which metrics,
// and the gates a run must pass. See evals/suites/dev.yaml.
type Suite struct {
	Name        string           `yaml:"name"`
	Description string           `yaml:"description"`
	Datasets    []SuiteDataset   `yaml:"datasets"`
	Pipeline    PipelineSettings `yaml:"pipeline"`
	// Metrics to compute: rouge, divisions, concepts, extraction, grounding, omissions, wer.
	// Default: all that the datasets make possible.
	Metrics []string `yaml:"metrics"`
	// Gates are "metric op number" (op: >=, >, <=, <, ==), optionally "dataset/metric".
	Gates []string `yaml:"gates"`

	// Path is the suite file, set by LoadSuite.
	Path string `yaml:"-"`
}

// SuiteDataset names one dataset of a suite. Paths are relative to the suite file or
// absolute; ${VAR} is expanded from the environment, and ${MEDSCRIBE_EVALDATA} defaults to
// the evaluation data folder (see EvalDataDir).
type SuiteDataset struct {
	Name string `yaml:"name"`
	// Kind is aci-bench, mts-dialog, primock57, cases, or asr (Path holds hypothesis
	// transcripts and Reference the reference transcripts, both CSVs with an id and a
	// dialogue column, e.g. ACI-BENCH valid_aci_asr.csv against valid_aci_asrcorr.csv).
	Kind string `yaml:"kind"`
	Path string `yaml:"path"`
	// Metadata is an ACI-BENCH metadata CSV (optional).
	Metadata string `yaml:"metadata"`
	// Gold is a gold JSONL file (optional): enables extraction and omission metrics.
	Gold string `yaml:"gold"`
	// Predictions scores a system-output CSV instead of running medscribe (optional).
	Predictions string `yaml:"predictions"`
	// Reference is the reference transcripts CSV of an asr dataset.
	Reference string `yaml:"reference"`
	// Limit keeps only the first N encounters (0: all). A limited run is reported as such.
	Limit int `yaml:"limit"`
}

// PipelineSettings choose how medscribe runs during the suite.
type PipelineSettings struct {
	// LLM uses the model endpoint from the environment when true; default false (offline).
	LLM bool `yaml:"llm"`
	// NoteTemplate picks the note template (default: the drafter's default).
	NoteTemplate string `yaml:"note_template"`
	// Workers is how many encounters run at once (default 1).
	Workers int `yaml:"workers"`
}

// Metric names a suite may ask for.
var knownMetrics = set("rouge", "divisions", "concepts", "extraction", "grounding", "omissions", "wer")

var knownKinds = set("aci-bench", "mts-dialog", "primock57", "cases", "asr")

// EvalDataDir is where ${MEDSCRIBE_EVALDATA} points when unset: ../shared/evaldata from the
// working directory if it exists, else ../shared/evaldata beside the module root found by
// walking up from dir (so a suite runs from any folder of the checkout).
func EvalDataDir(dir string) string {
	if v := os.Getenv("MEDSCRIBE_EVALDATA"); v != "" {
		return v
	}
	if abs, err := filepath.Abs(filepath.Join("..", "shared", "evaldata")); err == nil {
		if _, err := os.Stat(abs); err == nil {
			return abs
		}
	}
	d, _ := filepath.Abs(dir)
	for d != "" {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(d), "shared", "evaldata")
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	abs, _ := filepath.Abs(filepath.Join("..", "shared", "evaldata"))
	return abs
}

// LoadSuite reads and validates a suite file; dataset paths come back absolute.
func LoadSuite(path string) (*Suite, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read suite: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var s Suite
	if err := dec.Decode(&s); err != nil {
		return nil, &DataError{File: path, Msg: "invalid suite: " + err.Error()}
	}
	s.Path = path
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("resolve suite folder: %w", err)
	}
	evaldata := EvalDataDir(dir)
	resolve := func(p string) string {
		if p == "" {
			return ""
		}
		p = os.Expand(p, func(k string) string {
			if k == "MEDSCRIBE_EVALDATA" {
				return evaldata
			}
			return os.Getenv(k)
		})
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		return filepath.Clean(p)
	}
	if err := s.validate(); err != nil {
		return nil, &DataError{File: path, Msg: err.Error()}
	}
	for i := range s.Datasets {
		d := &s.Datasets[i]
		d.Path, d.Metadata, d.Gold, d.Predictions = resolve(d.Path), resolve(d.Metadata), resolve(d.Gold), resolve(d.Predictions)
		d.Reference = resolve(d.Reference)
	}
	return &s, nil
}

func (s *Suite) validate() error {
	if s.Name == "" {
		return fmt.Errorf("suite has no name")
	}
	if len(s.Datasets) == 0 {
		return fmt.Errorf("suite %s has no datasets", s.Name)
	}
	names := map[string]bool{}
	for i, d := range s.Datasets {
		if d.Name == "" {
			return fmt.Errorf("datasets[%d]: no name", i)
		}
		if names[d.Name] {
			return fmt.Errorf("datasets[%d]: duplicate name %q", i, d.Name)
		}
		names[d.Name] = true
		if !knownKinds[d.Kind] {
			return fmt.Errorf("datasets[%d] %s: unknown kind %q (want aci-bench, mts-dialog, primock57, cases or asr)", i, d.Name, d.Kind)
		}
		if (d.Kind == "asr") != (d.Reference != "") {
			return fmt.Errorf("datasets[%d] %s: reference is required for kind asr and only for it", i, d.Name)
		}
		if d.Path == "" {
			return fmt.Errorf("datasets[%d] %s: no path", i, d.Name)
		}
		if d.Limit < 0 {
			return fmt.Errorf("datasets[%d] %s: negative limit", i, d.Name)
		}
	}
	for _, m := range s.Metrics {
		if !knownMetrics[m] {
			return fmt.Errorf("unknown metric %q (want one of rouge, divisions, concepts, extraction, grounding, omissions, wer)", m)
		}
	}
	for _, g := range s.Gates {
		if _, err := ParseGate(g); err != nil {
			return err
		}
	}
	if s.Pipeline.Workers < 0 {
		return fmt.Errorf("pipeline.workers is negative")
	}
	return nil
}

// wants reports whether the suite asks for a metric (all metrics when none are listed).
func (s *Suite) wants(m string) bool {
	if len(s.Metrics) == 0 {
		return true
	}
	for _, x := range s.Metrics {
		if strings.EqualFold(x, m) {
			return true
		}
	}
	return false
}
