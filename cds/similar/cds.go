package similar

import (
	"context"
	"strings"

	"github.com/medscribe/medscribe/cds"
	"github.com/medscribe/medscribe/rules"
	"github.com/medscribe/medscribe/visit"
)

// SimilarCards implements cds.SimilarFinder: at patient-view and order-sign it aggregates
// the patient's nearest cases into at most one card; other hooks get none. The patient is
// described by the EHR's conditions and active medications merged with what the latest
// visit said; the drafts being signed are the drugs the card reports on.
func (e *Engine) SimilarCards(ctx context.Context, p *cds.PatientContext, draft []rules.Med) (*visit.Card, error) {
	switch p.Hook {
	case "patient-view", "order-sign":
	default:
		return nil, nil
	}
	var c = CaseFromVisit(&visit.Record{})
	if p.Visit != nil {
		c = CaseFromVisit(p.Visit)
	}
	seen := map[string]bool{}
	for _, s := range append(append([]string{}, c.Problems...), c.Medications...) {
		seen[s] = true
	}
	for _, cond := range p.Patient.Conditions {
		if t := strings.ToLower(strings.TrimSpace(cond.Text)); t != "" && !seen[t] {
			seen[t] = true
			c.Problems = append(c.Problems, t)
		}
	}
	for _, m := range p.Patient.Medications {
		if m.Draft || m.Status == "stopped" || m.Status == "completed" || m.Status == "historical" {
			continue
		}
		if t := strings.ToLower(strings.TrimSpace(m.Name)); t != "" && !seen[t] {
			seen[t] = true
			c.Medications = append(c.Medications, t)
		}
	}
	var drafts []string
	for _, m := range draft {
		if n := strings.ToLower(strings.TrimSpace(m.Name)); n != "" {
			drafts = append(drafts, n)
		}
	}
	return e.Card(ctx, DocOf(c), drafts, p.PatientID)
}

var _ cds.SimilarFinder = (*Engine)(nil)
