package cds

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/medscribe/medscribe/fhir"
	"github.com/medscribe/medscribe/rules"
	"github.com/medscribe/medscribe/visit"
)

// TopicSystem is the code system of card topics (what kind of safety check raised the card).
const TopicSystem = "urn:medscribe:cds:topic"

// topics name the rules' alert kinds for card.source.topic.
var topics = map[string]string{
	rules.KindInteraction: "Drug-drug interaction",
	rules.KindAllergy:     "Drug-allergy conflict",
	rules.KindDuplicate:   "Duplicate therapy",
	rules.KindDose:        "Dose out of range",
	rules.KindCondition:   "Drug-condition or drug-lab contraindication",
}

// overrideReasons are offered on every warning and critical card: codes from HL7's
// non-adherence reason code system (http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes,
// CDS Hooks 3.0 ballot vocabulary), with their published displays.
var overrideReasons = []visit.CodingValue{
	{System: "http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes", Code: "action-performed-no-adverse-effect", Display: "Intended action was performed previously without adverse effect"},
	{System: "http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes", Code: "mitigate-risk-negative-outcome", Display: "Action taken to mitigate risk of negative outcome"},
	{System: "http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes", Code: "risk-benefit-ratio", Display: "Recipient assessment of risk/benefit ratio"},
	{System: "http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes", Code: "cds-not-applicable", Display: "PC CDS does not apply to patient"},
}

// Extension keys medscribe sets on its cards.
const (
	ExtRuleID       = "medscribe.rule_id"
	ExtKind         = "medscribe.kind"
	ExtSeverity     = "medscribe.severity"
	ExtHighPriority = "medscribe.onc_high_priority"
	ExtFromVisit    = "medscribe.from_visit"
	ExtRulesVersion = "medscribe.rules_version"
)

// visitSuffix marks a summary whose reason comes (in part) from the medscribe visit.
const visitSuffix = " (from visit)"

// indicator maps severity to the card indicator: critical only for contraindicated or ONC
// high-priority alerts.
func indicator(a *rules.Alert) string {
	switch {
	case a.Severity == rules.SeverityContraindicated || a.HighPriority:
		return "critical"
	case a.Severity == rules.SeverityMajor || a.Severity == rules.SeverityModerate:
		return "warning"
	}
	return "info"
}

// cardInput is what one card needs beyond the alert.
type cardInput struct {
	alert        *rules.Alert
	rulesVersion string
	refs         map[string]*medRef
	visit        *visit.Record
	uiBase       string
	// withSuggestions allows actions on the draft order (order-select/order-sign).
	withSuggestions bool
}

// buildCard turns one alert into a CDS Hooks card.
func buildCard(in cardInput) visit.Card {
	a := in.alert
	c := visit.Card{
		UUID:      uuid.NewString(),
		Summary:   clip(a.Summary, 139),
		Indicator: indicator(a),
		Source:    source(a),
		Extension: map[string]any{
			ExtRuleID: a.RuleID, ExtKind: a.Kind, ExtSeverity: a.Severity,
			ExtHighPriority: a.HighPriority, ExtFromVisit: a.FromVisit, ExtRulesVersion: in.rulesVersion,
		},
	}
	if c.Summary == "" {
		c.Summary = clip(fmt.Sprintf("%s: %s", topics[a.Kind], strings.Join(medNames(a.Meds, in.refs), " + ")), 139)
	}
	if a.FromVisit && utf8.RuneCountInString(c.Summary+visitSuffix) < 140 {
		c.Summary += visitSuffix
	}
	c.Detail = detail(a, in)
	if c.Indicator != "info" {
		c.OverrideReasons = append([]visit.CodingValue(nil), overrideReasons...)
	}
	if in.withSuggestions {
		c.Suggestions = suggestions(a, in.refs)
		if len(c.Suggestions) > 0 {
			c.SelectionBehavior = "at-most-one"
		}
	}
	if a.FromVisit && in.visit != nil && in.visit.ID != "" && in.uiBase != "" {
		c.Links = append(c.Links, visit.Link{
			Label: "Open the medscribe visit this alert rests on",
			URL:   in.uiBase + "/ui/visits/" + url.PathEscape(in.visit.ID),
			Type:  "absolute",
		})
	}
	return c
}

func source(a *rules.Alert) visit.CardSource {
	s := visit.CardSource{Label: "medscribe drug-safety rules"}
	if a.Citation.Label != "" {
		s.Label = clip("medscribe rules · "+a.Citation.Label, 200)
	}
	if u, err := url.Parse(a.Citation.URL); err == nil && u.IsAbs() && (u.Scheme == "https" || u.Scheme == "http") {
		s.URL = a.Citation.URL
	}
	if t, ok := topics[a.Kind]; ok {
		s.Topic = &visit.CodingValue{System: TopicSystem, Code: a.Kind, Display: t}
	}
	return s
}

func detail(a *rules.Alert, in cardInput) string {
	var b strings.Builder
	if a.FromVisit {
		when := ""
		if in.visit != nil && !in.visit.CreatedAt.IsZero() {
			when = " of " + in.visit.CreatedAt.UTC().Format("2006-01-02")
		}
		fmt.Fprintf(&b, "**From the medscribe visit%s:** part of this alert rests on what was said in the visit and is not (yet) in the EHR record.\n\n", when)
	}
	if a.Detail != "" {
		b.WriteString(strings.TrimSpace(a.Detail))
		b.WriteString("\n\n")
	} else {
		if a.Mechanism != "" {
			fmt.Fprintf(&b, "**Mechanism:** %s\n\n", a.Mechanism)
		}
		if a.Management != "" {
			fmt.Fprintf(&b, "**What to do:** %s\n\n", a.Management)
		}
	}
	if len(a.Factors) > 0 && a.Detail == "" { // the rules' detail already names them
		fmt.Fprintf(&b, "**Severity adjusted for:** %s\n\n", strings.Join(a.Factors, "; "))
	}
	if a.Citation.Label != "" && a.Detail == "" { // the rules' detail already cites its source
		if a.Citation.URL != "" {
			fmt.Fprintf(&b, "Source: [%s](%s)", mdEscape(a.Citation.Label), a.Citation.URL)
		} else {
			fmt.Fprintf(&b, "Source: %s", mdEscape(a.Citation.Label))
		}
	}
	return strings.TrimSpace(b.String())
}

func mdEscape(s string) string {
	return strings.NewReplacer("[", `\[`, "]", `\]`).Replace(s)
}

func medNames(ids []string, refs map[string]*medRef) []string {
	var out []string
	for _, id := range ids {
		if r := refs[id]; r != nil && r.name != "" {
			out = append(out, r.name)
		}
	}
	return out
}

// suggestions act on the draft order the alert involves: remove it, or replace it with each
// alternative (delete + create in one suggestion). None when the draft has no id (the EHR
// could not tell which order to delete).
func suggestions(a *rules.Alert, refs map[string]*medRef) []visit.Suggestion {
	ref := refs[a.DraftMedID]
	if a.DraftMedID == "" || ref == nil || ref.resource == nil || ref.resource.ID == "" {
		return nil
	}
	draft := ref.resource
	resID := "MedicationRequest/" + draft.ID
	name := ref.name
	if name == "" {
		name = "the draft order"
	}
	del := visit.Action{Type: "delete", Description: clip("Remove the draft order for "+name, 200), ResourceID: resID}
	out := []visit.Suggestion{{Label: clip("Cancel the "+name+" order", 139), UUID: uuid.NewString(), Actions: []visit.Action{del}}}
	for _, alt := range a.Alternatives {
		if alt.Name == "" {
			continue
		}
		cc := &fhir.CodeableConcept{Text: alt.Name}
		if alt.RxCUI != "" {
			cc.Coding = []fhir.Coding{{System: fhir.SystemRxNorm, Code: alt.RxCUI, Display: alt.Name}}
		}
		intent := draft.Intent
		if intent == "" {
			intent = "order"
		}
		mr := &fhir.MedicationRequest{Status: "draft", Intent: intent, MedicationCodeableConcept: cc,
			Subject: draft.Subject, Encounter: draft.Encounter}
		out = append(out, visit.Suggestion{
			Label:   clip("Replace "+name+" with "+alt.Name, 139),
			UUID:    uuid.NewString(),
			Actions: []visit.Action{del, {Type: "create", Description: clip("Draft an order for "+alt.Name+" (dose to be chosen)", 200), Resource: mr}},
		})
	}
	return out
}

// clip shortens s to at most n runes on a word boundary, with an ellipsis.
func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	cut := string(r)
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:") + "…"
}
