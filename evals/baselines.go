package evals

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Baseline is a published figure set a run can be compared with. Split says which data it was
// measured on: only same-split figures are directly comparable.
type Baseline struct {
	Name      string   `json:"name"`
	Source    string   `json:"source"`
	Split     string   `json:"split"`
	Rouge1    *float64 `json:"rouge1,omitempty"`
	Rouge2    *float64 `json:"rouge2,omitempty"`
	RougeL    *float64 `json:"rougeL,omitempty"`
	RougeLsum *float64 `json:"rougeLsum,omitempty"`
}

func f64(v float64) *float64 { return &v }

// PublishedBaselines are the ACI-BENCH paper's full-note ROUGE-1 figures on its test set 1
// (Yim et al., "ACI-BENCH: a Novel Ambient Clinical Intelligence Dataset for Benchmarking
// Automatic Visit Note Generation", Scientific Data 10, 586 (2023), full-note results table).
func PublishedBaselines() []Baseline {
	const src = "Yim et al. 2023, ACI-BENCH (Sci Data 10:586), full-note table"
	return []Baseline{
		{Name: "Transcript copy (ACI-BENCH)", Source: src, Split: "aci-bench test1", Rouge1: f64(32.84)},
		{Name: "GPT-4 zero-shot (ACI-BENCH)", Source: src, Split: "aci-bench test1", Rouge1: f64(51.76)},
		{Name: "BART-large fine-tuned (ACI-BENCH)", Source: src, Split: "aci-bench test1", Rouge1: f64(53.46)},
	}
}

// WanglabBaselines reads the MEDIQA-Chat 2023 WangLab results JSONs for their best LED and
// GPT-4 runs on ACI-BENCH valid (the dev split), from the mediqa-chat-2023-wanglab folder of
// the evaluation data. Figures are converted to the 0-100 scale.
func WanglabBaselines(evaldata string) ([]Baseline, error) {
	base := filepath.Join(evaldata, "mediqa-chat-2023-wanglab", "data", "paper", "TaskB", "results")
	var out []Baseline
	for _, r := range []struct{ name, file string }{
		{"WangLab LED-large-PubMed (MEDIQA-Chat 2023)", "fine_tuning/taskB_led_large_pubmed_run1_postprocess.json"},
		{"WangLab GPT-4 ICL k=3 (MEDIQA-Chat 2023)", "in_context_learning/filtered/similar/note_only/gpt_4_0314_k_3_run3.json"},
	} {
		path := filepath.Join(base, r.file)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read baseline: %w", err)
		}
		var doc map[string]map[string]float64
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, &DataError{File: path, Msg: "invalid JSON: " + err.Error()}
		}
		all, ok := doc["all"]
		if !ok {
			return nil, &DataError{File: path, Column: "all", Msg: "missing"}
		}
		b := Baseline{Name: r.name, Source: "bowang-lab/MEDIQA-Chat-2023 " + r.file, Split: "aci-bench valid"}
		for k, dst := range map[string]**float64{"rouge1": &b.Rouge1, "rouge2": &b.Rouge2, "rougeL": &b.RougeL, "rougeLsum": &b.RougeLsum} {
			if v, ok := all[k]; ok {
				*dst = f64(100 * v)
			}
		}
		out = append(out, b)
	}
	return out, nil
}
