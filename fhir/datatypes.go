package fhir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Coding is a code from a code system.
type Coding struct {
	System       string `json:"system,omitempty"`
	Version      string `json:"version,omitempty"`
	Code         string `json:"code,omitempty"`
	Display      string `json:"display,omitempty"`
	UserSelected *bool  `json:"userSelected,omitempty"`
}

// CodeableConcept is a concept given by codes and/or text.
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// UnmarshalJSON accepts R4's object and, for DSTU3 payloads, a bare code string
// ("clinicalStatus": "active"), which becomes a Coding with only Code set.
func (c *CodeableConcept) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*c = CodeableConcept{Coding: []Coding{{Code: s}}}
		return nil
	}
	type plain CodeableConcept
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*c = CodeableConcept(p)
	return nil
}

// CodeIn returns the first code of the concept in system, or "".
func (c *CodeableConcept) CodeIn(system string) string {
	if c == nil {
		return ""
	}
	for _, cd := range c.Coding {
		if cd.System == system && cd.Code != "" {
			return cd.Code
		}
	}
	return ""
}

// HasCode reports whether any coding of the concept has this code (any system when system is "").
func (c *CodeableConcept) HasCode(system, code string) bool {
	if c == nil {
		return false
	}
	for _, cd := range c.Coding {
		if cd.Code == code && (system == "" || cd.System == system) {
			return true
		}
	}
	return false
}

// Label is the human name of the concept: its text, else the first coding display, else "".
func (c *CodeableConcept) Label() string {
	if c == nil {
		return ""
	}
	if t := strings.TrimSpace(c.Text); t != "" {
		return t
	}
	for _, cd := range c.Coding {
		if d := strings.TrimSpace(cd.Display); d != "" {
			return d
		}
	}
	return ""
}

// IsEmpty reports whether the concept carries neither a code nor text.
func (c *CodeableConcept) IsEmpty() bool {
	if c == nil {
		return true
	}
	if strings.TrimSpace(c.Text) != "" {
		return false
	}
	for _, cd := range c.Coding {
		if cd.Code != "" || cd.Display != "" {
			return false
		}
	}
	return true
}

// CodeableConcepts is a list of concepts that also decodes from a single object (DSTU3
// elements with cardinality 0..1 that R4 made 0..*).
type CodeableConcepts []CodeableConcept

// UnmarshalJSON accepts an array, a single object, or a bare string.
func (cs *CodeableConcepts) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var list []CodeableConcept
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		*cs = list
		return nil
	}
	if bytes.Equal(b, []byte("null")) {
		*cs = nil
		return nil
	}
	var one CodeableConcept
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*cs = CodeableConcepts{one}
	return nil
}

// Reference points at another resource.
type Reference struct {
	Reference string `json:"reference,omitempty"`
	Type      string `json:"type,omitempty"`
	Display   string `json:"display,omitempty"`
}

// IsEmpty reports whether the reference points nowhere.
func (r *Reference) IsEmpty() bool {
	return r == nil || (r.Reference == "" && r.Display == "")
}

// ID returns the id part of a relative reference ("Patient/123" → "123"), or "".
func (r *Reference) ID() string {
	if r == nil {
		return ""
	}
	ref := strings.TrimSuffix(r.Reference, "/")
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

// Quantity is a measured amount.
type Quantity struct {
	Value      *float64 `json:"value,omitempty"`
	Comparator string   `json:"comparator,omitempty"`
	Unit       string   `json:"unit,omitempty"`
	System     string   `json:"system,omitempty"`
	Code       string   `json:"code,omitempty"`
}

// String renders the quantity for display ("10 mg"); "" when it has no value.
func (q *Quantity) String() string {
	if q == nil || q.Value == nil {
		return ""
	}
	u := q.Unit
	if u == "" {
		u = q.Code
	}
	s := fmt.Sprintf("%s%g", q.Comparator, *q.Value)
	if u != "" && !strings.HasPrefix(u, "{") {
		s += " " + u
	}
	return s
}

// Period is a time range with optional ends.
type Period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// Meta is resource metadata.
type Meta struct {
	VersionID   string   `json:"versionId,omitempty"`
	LastUpdated string   `json:"lastUpdated,omitempty"`
	Profile     []string `json:"profile,omitempty"`
}

// Identifier is a business identifier.
type Identifier struct {
	System string `json:"system,omitempty"`
	Value  string `json:"value,omitempty"`
}

// Annotation is a note with optional author and time.
type Annotation struct {
	Text string `json:"text"`
	Time string `json:"time,omitempty"`
}

// Attachment is content carried inline (base64 Data) or by URL.
type Attachment struct {
	ContentType string `json:"contentType,omitempty"`
	Language    string `json:"language,omitempty"`
	// Data is base64-encoded in JSON (encoding/json does this for []byte).
	Data  []byte `json:"data,omitempty"`
	URL   string `json:"url,omitempty"`
	Title string `json:"title,omitempty"`
}

// Timing says when a dose is taken.
type Timing struct {
	Repeat *TimingRepeat    `json:"repeat,omitempty"`
	Code   *CodeableConcept `json:"code,omitempty"`
}

// TimingRepeat is "frequency times per period periodUnit".
type TimingRepeat struct {
	Frequency  *int     `json:"frequency,omitempty"`
	Period     *float64 `json:"period,omitempty"`
	PeriodUnit string   `json:"periodUnit,omitempty"`
	When       []string `json:"when,omitempty"`
}

// Dosage is how a medication is or should be taken.
type Dosage struct {
	Sequence    *int              `json:"sequence,omitempty"`
	Text        string            `json:"text,omitempty"`
	Timing      *Timing           `json:"timing,omitempty"`
	AsNeeded    *bool             `json:"asNeededBoolean,omitempty"`
	Route       *CodeableConcept  `json:"route,omitempty"`
	DoseAndRate List[DoseAndRate] `json:"doseAndRate,omitempty"`
	// DoseQuantity is DSTU3's place for the dose; read for tolerance, R4 writers use DoseAndRate.
	DoseQuantity *Quantity `json:"doseQuantity,omitempty"`
}

// DoseAndRate is the amount of one administration.
type DoseAndRate struct {
	Type         *CodeableConcept `json:"type,omitempty"`
	DoseQuantity *Quantity        `json:"doseQuantity,omitempty"`
}

// Dose returns the dose quantity (R4 doseAndRate first, DSTU3 doseQuantity second), or nil.
func (d *Dosage) Dose() *Quantity {
	if d == nil {
		return nil
	}
	for i := range d.DoseAndRate {
		if q := d.DoseAndRate[i].DoseQuantity; q != nil && q.Value != nil {
			return q
		}
	}
	if d.DoseQuantity != nil && d.DoseQuantity.Value != nil {
		return d.DoseQuantity
	}
	return nil
}

// Frequency renders the timing for display ("2 per 1 d"); the text when there is no timing.
func (d *Dosage) Frequency() string {
	if d == nil {
		return ""
	}
	if d.Timing != nil && d.Timing.Repeat != nil && d.Timing.Repeat.Frequency != nil && d.Timing.Repeat.Period != nil {
		r := d.Timing.Repeat
		return fmt.Sprintf("%d per %g %s", *r.Frequency, *r.Period, r.PeriodUnit)
	}
	if d.Timing != nil && d.Timing.Code != nil {
		return d.Timing.Code.Label()
	}
	return ""
}

// List is a repeating element that also decodes from a single object, as some EHRs and
// published examples send one where R4 wants an array (Dosage.doseAndRate).
type List[T any] []T

// UnmarshalJSON accepts an array, a single value, or null.
func (l *List[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*l = nil
		return nil
	}
	if len(b) > 0 && b[0] == '[' {
		var list []T
		if err := json.Unmarshal(b, &list); err != nil {
			return err
		}
		*l = list
		return nil
	}
	var one T
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*l = List[T]{one}
	return nil
}
