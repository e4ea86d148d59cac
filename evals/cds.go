package evals

import (
	"math"
	"sort"
	"time"
)

// AlertCase is one CDS rule test case: the alert ids it should raise, the ids it raised, and
// how long the evaluation took.
type AlertCase struct {
	ID       string        `json:"id"`
	Expected []string      `json:"expected"`
	Got      []string      `json:"got"`
	Latency  time.Duration `json:"latency_ns"`
}

// AlertScores are alert precision/recall over all cases (micro: alert ids are compared as sets
// per case) and latency percentiles (nearest-rank).
type AlertScores struct {
	Cases  int    `json:"cases"`
	Counts Counts `json:"counts"`
	PRF    PRF    `json:"prf"`
	// Failed lists cases whose raised set differs from the expected set.
	Failed []string      `json:"failed,omitempty"`
	P50    time.Duration `json:"p50_ns"`
	P90    time.Duration `json:"p90_ns"`
	P95    time.Duration `json:"p95_ns"`
	P99    time.Duration `json:"p99_ns"`
	Max    time.Duration `json:"max_ns"`
}

// ScoreAlerts scores CDS alert cases.
func ScoreAlerts(cases []AlertCase) AlertScores {
	s := AlertScores{Cases: len(cases)}
	lat := make([]time.Duration, 0, len(cases))
	for _, c := range cases {
		exp, got := toSet(c.Expected), toSet(c.Got)
		var cc Counts
		for k := range got {
			if exp[k] {
				cc.TP++
			} else {
				cc.FP++
			}
		}
		for k := range exp {
			if !got[k] {
				cc.FN++
			}
		}
		if cc.FP+cc.FN > 0 {
			s.Failed = append(s.Failed, c.ID)
		}
		s.Counts.add(cc)
		lat = append(lat, c.Latency)
	}
	s.PRF = s.Counts.PRF()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	s.P50, s.P90, s.P95, s.P99 = percentile(lat, 50), percentile(lat, 90), percentile(lat, 95), percentile(lat, 99)
	if len(lat) > 0 {
		s.Max = lat[len(lat)-1]
	}
	return s
}

// percentile is the nearest-rank percentile of sorted durations (0 when empty).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Figures flattens alert scores into gate-able metrics (latencies in milliseconds).
func (s AlertScores) Figures() map[string]float64 {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	return map[string]float64{
		"alert_precision": s.PRF.Precision, "alert_recall": s.PRF.Recall, "alert_f1": s.PRF.F,
		"alert_latency_p50_ms": ms(s.P50), "alert_latency_p95_ms": ms(s.P95), "alert_latency_p99_ms": ms(s.P99),
	}
}

// AlertsDataset turns scored CDS rule test cases into a report dataset, so alert figures sit in
// the same report as note and extraction figures and the same gates apply
// ("alert_recall >= 0.95", "alert_latency_p95_ms <= 50").
func AlertsDataset(name, path string, cases []AlertCase) DatasetReport {
	s := ScoreAlerts(cases)
	return DatasetReport{Name: name, Kind: "cds-cases", Path: path, N: len(cases), System: "medscribe rules",
		Metrics: s.Figures(), Alerts: &s}
}
