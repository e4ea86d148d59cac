package evals

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// WriteJSON writes the report as indented JSON (no note or transcript text).
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// ReadReport reads a report JSON written by WriteJSON. A report not marked complete is an
// error: partial results are never compared as if they were whole.
func ReadReport(path string) (*Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, &DataError{File: path, Msg: "invalid report JSON: " + err.Error()}
	}
	if r.Schema != ReportSchema {
		return nil, &DataError{File: path, Column: "schema", Msg: fmt.Sprintf("want %q, got %q", ReportSchema, r.Schema)}
	}
	if !r.Complete {
		return nil, &DataError{File: path, Column: "complete", Msg: "report is not complete"}
	}
	return &r, nil
}

// metricInfo says how to show a metric and which direction is better.
type metricInfo struct {
	label   string
	percent bool // 0-1 value shown as a percentage
	lower   bool // lower is better
}

var metricOrder = []string{"rouge1", "rouge2", "rougeL", "rougeLsum", "concept_f1", "extraction_f1",
	"medication_f1", "problem_f1", "negated_finding_f1", "order_f1", "allergy_f1",
	"medication_status_accuracy", "medication_dose_accuracy", "medication_route_accuracy", "medication_frequency_accuracy",
	"problem_assertion_accuracy", "order_kind_accuracy", "omission_rate", "ungrounded_sentence_rate", "ungrounded_item_rate", "invalid_evidence", "wer"}

func infoOf(k string) metricInfo {
	switch {
	case strings.HasPrefix(k, "rouge") || strings.Contains(k, "_rouge"):
		return metricInfo{label: k}
	case k == "omission_rate" || strings.HasPrefix(k, "ungrounded") || k == "wer":
		return metricInfo{label: k, percent: true, lower: true}
	case k == "invalid_evidence" || strings.HasPrefix(k, "alert_latency"):
		return metricInfo{label: k, lower: true}
	case strings.HasSuffix(k, "_ms"):
		return metricInfo{label: k, lower: true}
	}
	return metricInfo{label: k, percent: true}
}

// LowerIsBetter reports whether a smaller value of the metric is an improvement.
func LowerIsBetter(metric string) bool { return infoOf(metric).lower }

func formatMetric(k string, v float64) string {
	if infoOf(k).percent {
		return fmt.Sprintf("%.1f%%", 100*v)
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e9 && !strings.Contains(k, "rouge") {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// orderedMetrics lists a metric map's keys: the headline metrics first, then the rest sorted.
func orderedMetrics(m map[string]float64) []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range metricOrder {
		if _, ok := m[k]; ok {
			out = append(out, k)
			seen[k] = true
		}
	}
	for _, k := range sortedKeys(m) {
		if !seen[k] {
			out = append(out, k)
		}
	}
	return out
}

// WriteMarkdown writes a summary for a pull request or a wiki page.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	status := "PASSED"
	switch {
	case !r.Passed:
		status = "FAILED"
	case len(r.Gates) == 0:
		status = "no gates"
	}
	fmt.Fprintf(&b, "# medscribe eval: %s — %s\n\n", r.Suite, status)
	fmt.Fprintf(&b, "Generated %s. ROUGE is rouge-score 0.1.2 (no stemming), mean per-encounter F1 × 100.\n\n", r.CreatedAt.Format("2006-01-02 15:04 MST"))
	if len(r.Gates) > 0 {
		b.WriteString("## Gates\n\n| gate | dataset | value | result |\n|---|---|---|---|\n")
		for _, g := range r.Gates {
			val, res := "—", "✅ pass"
			if g.Value != nil {
				val = formatMetric(g.Metric, *g.Value)
				if infoOf(g.Metric).percent {
					val += fmt.Sprintf(" (%.4f)", *g.Value)
				}
			}
			if !g.Passed {
				res = "❌ **breached**"
				if g.Problem != "" {
					res += " — " + g.Problem
				}
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", g.Expr, orDash(g.Checked), val, res)
		}
		b.WriteString("\n")
	}
	for _, d := range r.Datasets {
		fmt.Fprintf(&b, "## %s (%s, %d encounters)\n\nSystem: %s", d.Name, d.Kind, d.N, d.System)
		if d.Limited {
			b.WriteString(" — **limited subset**")
		}
		b.WriteString("\n\n| metric | value |\n|---|---|\n")
		for _, k := range orderedMetrics(d.Metrics) {
			if strings.Contains(k, "_rouge") {
				continue
			}
			fmt.Fprintf(&b, "| %s | %s |\n", k, formatMetric(k, d.Metrics[k]))
		}
		if d.Notes != nil && d.Notes.Summary.Divisions != nil {
			b.WriteString("\n| division | ROUGE-1 | ROUGE-2 | ROUGE-L |\n|---|---|---|---|\n")
			for _, dv := range Divisions {
				f := d.Notes.Summary.Divisions[dv]
				fmt.Fprintf(&b, "| %s | %.2f | %.2f | %.2f |\n", dv, f.Rouge1, f.Rouge2, f.RougeL)
			}
		}
		if d.Notes != nil && len(d.Notes.Summary.Subsets) > 0 {
			b.WriteString("\n| subset | ROUGE-1 | ROUGE-2 | ROUGE-L | ROUGE-Lsum |\n|---|---|---|---|---|\n")
			for _, k := range sortedKeys(d.Notes.Summary.Subsets) {
				f := d.Notes.Summary.Subsets[k]
				fmt.Fprintf(&b, "| %s | %.2f | %.2f | %.2f | %.2f |\n", k, f.Rouge1, f.Rouge2, f.RougeL, f.RougeLsum)
			}
		}
		if d.Extraction != nil {
			b.WriteString("\n| item type | TP | FP | FN | precision | recall | F1 |\n|---|---|---|---|---|---|---|\n")
			for _, t := range ItemTypes {
				c := d.Extraction.Summary.Counts[t]
				p := c.PRF()
				fmt.Fprintf(&b, "| %s | %d | %d | %d | %.3f | %.3f | %.3f |\n", t, c.TP, c.FP, c.FN, p.Precision, p.Recall, p.F)
			}
		}
		b.WriteString("\n")
	}
	if bl := r.Baselines; len(bl) > 0 {
		b.WriteString("## Published baselines\n\n| system | split | ROUGE-1 | ROUGE-2 | ROUGE-L | ROUGE-Lsum |\n|---|---|---|---|---|---|\n")
		for _, x := range bl {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", x.Name, x.Split, optF(x.Rouge1), optF(x.Rouge2), optF(x.RougeL), optF(x.RougeLsum))
		}
		b.WriteString("\n")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func optF(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.2f", *v)
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// Delta is one metric's change between two reports.
type Delta struct {
	Dataset  string   `json:"dataset"`
	Metric   string   `json:"metric"`
	Old      *float64 `json:"old"`
	New      *float64 `json:"new"`
	Change   *float64 `json:"change"`
	Worse    bool     `json:"worse"`
	Improved bool     `json:"improved"`
}

// Comparison is the result of comparing two reports.
type Comparison struct {
	Old    string       `json:"old"`
	New    string       `json:"new"`
	Deltas []Delta      `json:"deltas"`
	Gates  []GateResult `json:"gates"`
	Passed bool         `json:"passed"`
}

// Compare computes per-metric deltas between two reports (datasets matched by name) and checks
// the new report's gates plus any extra gates against the new figures.
func Compare(old, cur *Report, extra []Gate) *Comparison {
	c := &Comparison{Old: old.Suite, New: cur.Suite}
	oldBy := map[string]DatasetReport{}
	for _, d := range old.Datasets {
		oldBy[d.Name] = d
	}
	for _, d := range cur.Datasets {
		od, ok := oldBy[d.Name]
		keys := map[string]bool{}
		for k := range d.Metrics {
			keys[k] = true
		}
		if ok {
			for k := range od.Metrics {
				keys[k] = true
			}
		}
		ks := make([]string, 0, len(keys))
		for k := range keys {
			ks = append(ks, k)
		}
		m := map[string]float64{}
		for _, k := range ks {
			m[k] = 0
		}
		for _, k := range orderedMetrics(m) {
			dl := Delta{Dataset: d.Name, Metric: k}
			if v, ok := d.Metrics[k]; ok {
				dl.New = f64(v)
			}
			if ok {
				if v, ok2 := od.Metrics[k]; ok2 {
					dl.Old = f64(v)
				}
			}
			if dl.Old != nil && dl.New != nil {
				ch := *dl.New - *dl.Old
				dl.Change = &ch
				const eps = 1e-9
				if LowerIsBetter(k) {
					dl.Worse, dl.Improved = ch > eps, ch < -eps
				} else {
					dl.Worse, dl.Improved = ch < -eps, ch > eps
				}
			}
			c.Deltas = append(c.Deltas, dl)
		}
	}
	var gates []Gate
	for _, g := range cur.Gates {
		gates = append(gates, g.Gate)
	}
	gates = append(gates, extra...)
	c.Gates = CheckGates(dedupGates(gates), cur.Datasets)
	c.Passed = true
	for _, g := range c.Gates {
		if !g.Passed {
			c.Passed = false
		}
	}
	return c
}

func dedupGates(gs []Gate) []Gate {
	seen := map[string]bool{}
	var out []Gate
	for _, g := range gs {
		k := g.Dataset + "/" + g.Metric + g.Op + fmt.Sprint(g.Threshold)
		if !seen[k] {
			seen[k] = true
			out = append(out, g)
		}
	}
	return out
}

// WriteText writes the comparison as a table for a terminal or CI log.
func (c *Comparison) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%-14s %-30s %12s %12s %10s\n", "dataset", "metric", "old", "new", "change")
	for _, d := range c.Deltas {
		mark := ""
		switch {
		case d.Worse:
			mark = "  worse"
		case d.Improved:
			mark = "  better"
		}
		fmt.Fprintf(&b, "%-14s %-30s %12s %12s %10s%s\n", d.Dataset, d.Metric, optG(d.Old), optG(d.New), optSigned(d.Change), mark)
	}
	for _, g := range c.Gates {
		res := "pass"
		if !g.Passed {
			res = "BREACHED"
			if g.Problem != "" {
				res += " (" + g.Problem + ")"
			}
		}
		val := "—"
		if g.Value != nil {
			val = fmt.Sprintf("%.4f", *g.Value)
		}
		fmt.Fprintf(&b, "gate %-32s %-14s %10s %s\n", g.Expr, orDash(g.Checked), val, res)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func optG(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.4f", *v)
}

func optSigned(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%+.4f", *v)
}
