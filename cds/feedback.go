package cds

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/medscribe/medscribe/api/problem"
	"github.com/medscribe/medscribe/store"
)

// feedbackRequest is the body of POST /cds-services/{id}/feedback (CDS Hooks 2.0).
type feedbackRequest struct {
	Feedback []feedbackItem `json:"feedback"`
}

type feedbackItem struct {
	Card                string               `json:"card"`
	Outcome             string               `json:"outcome"`
	AcceptedSuggestions []acceptedSuggestion `json:"acceptedSuggestions"`
	OverrideReason      *overrideReason      `json:"overrideReason"`
	OutcomeTimestamp    string               `json:"outcomeTimestamp"`
}

type acceptedSuggestion struct {
	ID string `json:"id"`
}

type overrideReason struct {
	Reason *struct {
		System  string `json:"system"`
		Code    string `json:"code"`
		Display string `json:"display"`
	} `json:"reason"`
	UserComment string `json:"userComment"`
}

// UnknownRule is the rule id stored for feedback on a card this instance did not build (or
// built before a restart): the feedback is kept and counted, not dropped.
const UnknownRule = "(unknown)"

// maxFeedbackItems bounds one feedback call.
const maxFeedbackItems = 1000

// feedback answers POST /cds-services/{id}/feedback: it stores each entry with the rule id of
// the card (when this service instance built it).
func (s *Service) feedback(c *gin.Context) {
	def, ok := s.byID[c.Param("id")]
	if !ok {
		problem.Error(c.Writer, c.Request, http.StatusNotFound, "no CDS service with that id")
		return
	}
	// The aud of a feedback call may name the feedback endpoint or the service.
	if err := s.authenticate(c, "/cds-services/"+def.ID+"/feedback"); err != nil {
		if err2 := s.authenticate(c, "/cds-services/"+def.ID); err2 != nil {
			s.fail(c, err)
			return
		}
	}
	body, err := s.readBody(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, err := decodeFeedback(body)
	if err != nil {
		s.fail(c, err)
		return
	}
	now := s.cfg.Now()
	for _, it := range items {
		ts, _ := parseTimestamp(it.OutcomeTimestamp)
		rule := s.cards.rule(it.Card, now)
		if rule == "" {
			rule = UnknownRule
		}
		fb := store.Feedback{ServiceID: def.ID, CardUUID: it.Card, RuleID: rule,
			Outcome: it.Outcome, OutcomeTimestamp: ts, ReceivedAt: now}
		if r := it.OverrideReason; r != nil {
			if r.Reason != nil {
				fb.OverrideCode = r.Reason.Code
			}
			fb.OverrideComment = clip(r.UserComment, 2000)
		}
		for _, a := range it.AcceptedSuggestions {
			fb.AcceptedSuggests = append(fb.AcceptedSuggests, a.ID)
		}
		if err := s.cfg.Store.PutFeedback(c.Request.Context(), fb); err != nil {
			s.log.Error("cds feedback not stored", "service", def.ID, "err", err)
			problem.Error(c.Writer, c.Request, http.StatusServiceUnavailable, "feedback could not be stored; retry later")
			return
		}
	}
	s.log.Info("cds feedback stored", "service", def.ID, "entries", len(items))
	c.JSON(http.StatusOK, gin.H{})
}

func decodeFeedback(body []byte) ([]feedbackItem, error) {
	var req feedbackRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return nil, badRequest("", "body is not a CDS Hooks feedback object: %s", jsonReason(err))
	}
	if len(req.Feedback) == 0 {
		return nil, badRequest("/feedback", "feedback must list at least one entry")
	}
	if len(req.Feedback) > maxFeedbackItems {
		return nil, &requestError{status: 413, msg: fmt.Sprintf("more than %d feedback entries", maxFeedbackItems)}
	}
	for i, it := range req.Feedback {
		at := fmt.Sprintf("/feedback/%d", i)
		if strings.TrimSpace(it.Card) == "" {
			return nil, badRequest(at+"/card", "card is required")
		}
		switch it.Outcome {
		case "accepted":
			if len(it.AcceptedSuggestions) == 0 {
				return nil, badRequest(at+"/acceptedSuggestions", "acceptedSuggestions is required when outcome is accepted")
			}
		case "overridden":
			if it.OverrideReason != nil && it.OverrideReason.Reason != nil && it.OverrideReason.Reason.Code == "" {
				return nil, badRequest(at+"/overrideReason/reason/code", "an override reason needs a code")
			}
		default:
			return nil, badRequest(at+"/outcome", "outcome must be accepted or overridden")
		}
		if _, err := parseTimestamp(it.OutcomeTimestamp); err != nil {
			return nil, badRequest(at+"/outcomeTimestamp", "outcomeTimestamp must be an ISO 8601 date-time")
		}
	}
	return req.Feedback, nil
}

func parseTimestamp(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad timestamp")
}

// FeedbackSummary serves GET /v1/cds/feedback/summary: acceptance and override rates per rule.
// The caller mounts it behind API authentication.
func (s *Service) FeedbackSummary(c *gin.Context) {
	sum, err := s.cfg.Store.FeedbackSummary(c.Request.Context())
	if err != nil {
		s.log.Error("cds feedback summary failed", "err", err)
		problem.Error(c.Writer, c.Request, http.StatusServiceUnavailable, "feedback summary unavailable")
		return
	}
	if sum == nil {
		sum = []store.RuleFeedback{}
	}
	sort.Slice(sum, func(i, j int) bool { return sum[i].RuleID < sum[j].RuleID })
	total := store.RuleFeedback{RuleID: "*", Reasons: map[string]int{}}
	for _, r := range sum {
		total.Accepted += r.Accepted
		total.Overridden += r.Overridden
		for k, v := range r.Reasons {
			total.Reasons[k] += v
		}
	}
	if n := total.Accepted + total.Overridden; n > 0 {
		total.AcceptRate = float64(total.Accepted) / float64(n)
		total.OverrideRate = float64(total.Overridden) / float64(n)
	}
	c.JSON(http.StatusOK, gin.H{"rules": sum, "total": total})
}
