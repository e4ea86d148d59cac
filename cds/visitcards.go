package cds

import (
	"context"
	"errors"

	"github.com/medscribe/medscribe/visit"
)

// CardsForVisit raises the rules' cards for what a visit says: medications that are not
// stopped or historical (considered ones included, so a drug being weighed is checked),
// allergies, and present or past problems. Cards link to the visit in the review UI and
// carry no suggestions (there is no EHR order to act on). The similar-case card is added
// when the finder answers within SimilarTimeout.
func (s *Service) CardsForVisit(ctx context.Context, rec *visit.Record) ([]visit.Card, error) {
	if rec == nil {
		return nil, errors.New("cds: nil visit")
	}
	rs := s.cfg.Rules.Current()
	b := newBuilder(rs, s.cfg.Now())
	b.addVisit(rec, true)
	pc := &PatientContext{PatientID: rec.PatientID, Hook: "visit", Patient: b.p, Visit: rec}
	simCh := s.similar(ctx, pc, nil)
	alerts := rs.Evaluate(&b.p)
	cards := make([]visit.Card, 0, len(alerts)+1)
	version := rs.Version()
	for i := range alerts {
		card := buildCard(cardInput{alert: &alerts[i], rulesVersion: version, refs: b.refs, visit: rec, uiBase: s.cfg.UIBaseURL})
		s.cards.put(card.UUID, alerts[i].RuleID, s.cfg.Now())
		cards = append(cards, card)
	}
	if sim := <-simCh; sim != nil {
		cards = append(cards, *sim)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.log.Info("cds visit cards", "visit", rec.ID, "cards", len(cards), "meds", len(b.p.Medications), "rules", version)
	return cards, nil
}
