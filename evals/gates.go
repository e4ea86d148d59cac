package evals

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Gate is a regression threshold: Metric Op Threshold, optionally for one dataset.
type Gate struct {
	Expr      string  `json:"expr"`
	Dataset   string  `json:"dataset,omitempty"`
	Metric    string  `json:"metric"`
	Op        string  `json:"op"`
	Threshold float64 `json:"threshold"`
}

// GateResult is a gate checked against one dataset's figures.
type GateResult struct {
	Gate
	Checked string   `json:"checked_dataset"`
	Value   *float64 `json:"value"`
	Passed  bool     `json:"passed"`
	// Problem is set when the gate could not be checked (metric missing): that is a failure,
	// never a silent pass.
	Problem string `json:"problem,omitempty"`
}

var gateRe = regexp.MustCompile(`^\s*(?:([A-Za-z0-9_.-]+)/)?([A-Za-z0-9_.-]+)\s*(>=|<=|==|>|<)\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*$`)

// ParseGate parses "rouge1 >= 45" or "aci-valid/medication_f1 >= 0.9".
func ParseGate(expr string) (Gate, error) {
	m := gateRe.FindStringSubmatch(expr)
	if m == nil {
		return Gate{}, fmt.Errorf("gate %q: want \"metric op number\" with op one of >=, >, <=, <, ==", expr)
	}
	v, err := strconv.ParseFloat(m[4], 64)
	if err != nil {
		return Gate{}, fmt.Errorf("gate %q: %w", expr, err)
	}
	return Gate{Expr: strings.TrimSpace(expr), Dataset: m[1], Metric: m[2], Op: m[3], Threshold: v}, nil
}

func (g Gate) holds(v float64) bool {
	const eps = 1e-9
	switch g.Op {
	case ">=":
		return v >= g.Threshold-eps
	case ">":
		return v > g.Threshold
	case "<=":
		return v <= g.Threshold+eps
	case "<":
		return v < g.Threshold
	case "==":
		return math.Abs(v-g.Threshold) <= eps
	}
	return false
}

// CheckGates evaluates gates against a report's datasets. A gate without a dataset applies to
// every dataset reporting its metric; a gate whose metric no dataset reports fails.
func CheckGates(gates []Gate, datasets []DatasetReport) []GateResult {
	var out []GateResult
	for _, g := range gates {
		found := false
		for _, d := range datasets {
			if g.Dataset != "" && g.Dataset != d.Name {
				continue
			}
			v, ok := d.Metrics[g.Metric]
			if !ok {
				continue
			}
			found = true
			vv := v
			out = append(out, GateResult{Gate: g, Checked: d.Name, Value: &vv, Passed: g.holds(v)})
		}
		if !found {
			where := "any dataset"
			if g.Dataset != "" {
				where = "dataset " + g.Dataset
			}
			out = append(out, GateResult{Gate: g, Problem: fmt.Sprintf("metric %q not reported by %s", g.Metric, where)})
		}
	}
	return out
}
