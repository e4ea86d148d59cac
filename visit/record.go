package visit

import (
	"errors"
	"fmt"
	"time"
)

// Schema is the value of Record.Schema for this version of the contract.
const Schema = "medscribe.visit/v1"

// Code systems named by the contract.
const (
	SystemRxNorm  = "http://www.nlm.nih.gov/research/umls/rxnorm"
	SystemICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
	SystemSNOMED  = "http://snomed.info/sct"
	SystemLOINC   = "http://loinc.org"
)

// Speaker is the role of whoever said a turn.
type Speaker string

// Speaker roles.
const (
	Doctor  Speaker = "doctor"
	Patient Speaker = "patient"
	Other   Speaker = "other"
	Unknown Speaker = "unknown"
)

// Valid reports whether s is one of the contract's roles.
func (s Speaker) Valid() bool {
	switch s {
	case Doctor, Patient, Other, Unknown:
		return true
	}
	return false
}

// Assertion says how a problem or finding was spoken of.
type Assertion string

// Assertion values.
const (
	Present  Assertion = "present"
	Absent   Assertion = "absent"
	Possible Assertion = "possible"
	History  Assertion = "history"
	Family   Assertion = "family"
)

// Valid reports whether a is one of the contract's assertions.
func (a Assertion) Valid() bool {
	switch a {
	case Present, Absent, Possible, History, Family:
		return true
	}
	return false
}

// MedStatus is what the visit says about a medication.
type MedStatus string

// Medication statuses.
const (
	MedActive     MedStatus = "active"
	MedNew        MedStatus = "new"
	MedChanged    MedStatus = "changed"
	MedStopped    MedStatus = "stopped"
	MedHistorical MedStatus = "historical"
	MedConsidered MedStatus = "considered"
)

// Valid reports whether m is one of the contract's statuses.
func (m MedStatus) Valid() bool {
	switch m {
	case MedActive, MedNew, MedChanged, MedStopped, MedHistorical, MedConsidered:
		return true
	}
	return false
}

// OrderKind classifies an order placed or planned at the visit.
type OrderKind string

// Order kinds.
const (
	OrderLab        OrderKind = "lab"
	OrderImaging    OrderKind = "imaging"
	OrderReferral   OrderKind = "referral"
	OrderProcedure  OrderKind = "procedure"
	OrderMedication OrderKind = "medication"
	OrderFollowup   OrderKind = "followup"
	OrderOther      OrderKind = "other"
)

// Valid reports whether k is one of the contract's kinds.
func (k OrderKind) Valid() bool {
	switch k {
	case OrderLab, OrderImaging, OrderReferral, OrderProcedure, OrderMedication, OrderFollowup, OrderOther:
		return true
	}
	return false
}

// Status is where a visit is in its life.
type Status string

// Visit statuses. A visit is queued, then processing, then draft (or failed); a physician
// signs a draft.
const (
	StatusQueued     Status = "queued"
	StatusProcessing Status = "processing"
	StatusDraft      Status = "draft"
	StatusSigned     Status = "signed"
	StatusFailed     Status = "failed"
)

// Turn is one speaker's contribution to the dialogue.
type Turn struct {
	Index   int     `json:"index"`
	Speaker Speaker `json:"speaker"`
	Text    string  `json:"text"`
	// StartMS and EndMS are offsets from the start of the recording; nil when unknown.
	StartMS *int64 `json:"start_ms"`
	EndMS   *int64 `json:"end_ms"`
}

// Transcript is the dialogue as turns in spoken order.
type Transcript struct {
	Turns []Turn `json:"turns"`
}

// Code is a coded concept. A nil *Code means "not coded": never guess a code.
type Code struct {
	System  string `json:"system"`
	Code    string `json:"code"`
	Display string `json:"display"`
}

// Evidence points at the span of one turn that an item or sentence rests on.
// Start and End are byte offsets into that turn's Text (End exclusive), and
// Quote == Text[Start:End].
type Evidence struct {
	Turn  int    `json:"turn"`
	Start int    `json:"start"`
	End   int    `json:"end"`
	Quote string `json:"quote"`
}

// Problem is a diagnosis, chronic condition, injury or assessed symptom.
type Problem struct {
	Text      string     `json:"text"`
	Code      *Code      `json:"code"`
	Assertion Assertion  `json:"assertion"`
	Evidence  []Evidence `json:"evidence"`
}

// Medication is a drug the patient takes, took, starts, changes, stops or considers.
type Medication struct {
	// Text is the generic (ingredient) name, lowercase.
	Text      string    `json:"text"`
	Code      *Code     `json:"code"`
	Status    MedStatus `json:"status"`
	Dose      *string   `json:"dose"`
	Route     *string   `json:"route"`
	Frequency *string   `json:"frequency"`
	// Duration is how long to take it ("for 10 days"); nil when not said.
	Duration *string    `json:"duration"`
	Evidence []Evidence `json:"evidence"`
}

// Order is something ordered or planned at this visit.
type Order struct {
	Kind     OrderKind  `json:"kind"`
	Text     string     `json:"text"`
	Code     *Code      `json:"code"`
	Evidence []Evidence `json:"evidence"`
}

// Allergy is a stated allergy ("none known" when the patient has none).
type Allergy struct {
	Substance string     `json:"substance"`
	Code      *Code      `json:"code"`
	Reaction  *string    `json:"reaction"`
	Evidence  []Evidence `json:"evidence"`
}

// Finding is a symptom or exam finding, including denied ones ("no fever" → absent).
type Finding struct {
	Text      string     `json:"text"`
	Code      *Code      `json:"code"`
	Assertion Assertion  `json:"assertion"`
	Evidence  []Evidence `json:"evidence"`
}

// Sentence is one sentence of the note with the evidence it rests on.
type Sentence struct {
	Text     string     `json:"text"`
	Evidence []Evidence `json:"evidence"`
}

// Section is one titled part of the note.
type Section struct {
	Key       string     `json:"key"`
	Title     string     `json:"title"`
	Text      string     `json:"text"`
	Sentences []Sentence `json:"sentences"`
}

// Note is the drafted (or signed) clinical note.
type Note struct {
	Sections []Section `json:"sections"`
	// Text is the whole note: each section's title on its own line in capitals, then its text.
	Text string `json:"text"`
}

// PatientInfo is what the visit knows about the patient beyond the id.
type PatientInfo struct {
	Age *int    `json:"age"`
	Sex *string `json:"sex"`
}

// Provenance records which engines, rules, models and prompts produced the record.
type Provenance struct {
	Engine         string            `json:"engine"`
	EngineVersion  string            `json:"engine_version"`
	RulesVersion   string            `json:"rules_version"`
	Model          *string           `json:"model"`
	PromptVersions map[string]string `json:"prompt_versions"`
	// Fallback says why the deterministic engine replaced a model ("" when it did not).
	Fallback string `json:"fallback,omitempty"`
	// Dropped counts model outputs removed because they could not be grounded.
	Dropped map[string]int `json:"dropped,omitempty"`
}

// AudioRef identifies a visit's recording, kept by content hash in the server's data folder.
type AudioRef struct {
	SHA256      string `json:"sha256"`
	ContentType string `json:"content_type"`
	// Ext is the file extension it came with (".wav", ".mp3"), used to pick a decoder.
	Ext string `json:"ext"`
}

// Record is the visit record, schema medscribe.visit/v1.
type Record struct {
	Schema     string    `json:"schema"`
	ID         string    `json:"id"`
	ExternalID string    `json:"external_id"`
	CreatedAt  time.Time `json:"created_at"`
	// Additions to the contract's required fields (add, don't rename).
	PatientID   string      `json:"patient_id"`
	Patient     PatientInfo `json:"patient"`
	Status      Status      `json:"status"`
	Error       string      `json:"error,omitempty"`
	Version     int         `json:"version"`
	Source      string      `json:"source"`
	ContentHash string      `json:"content_hash"`
	// Audio points at the recording when the visit came in as audio; nil otherwise.
	Audio       *AudioRef    `json:"audio,omitempty"`
	Transcript  Transcript   `json:"transcript"`
	Problems    []Problem    `json:"problems"`
	Medications []Medication `json:"medications"`
	Orders      []Order      `json:"orders"`
	Allergies   []Allergy    `json:"allergies"`
	Findings    []Finding    `json:"findings"`
	Note        Note         `json:"note"`
	Alerts      []Card       `json:"alerts"`
	Provenance  Provenance   `json:"provenance"`
}

// Normalize replaces nil lists with empty ones so the JSON has [] rather than null, as the
// contract requires, and sets the schema.
func (r *Record) Normalize() {
	r.Schema = Schema
	if r.Transcript.Turns == nil {
		r.Transcript.Turns = []Turn{}
	}
	if r.Problems == nil {
		r.Problems = []Problem{}
	}
	for i := range r.Problems {
		r.Problems[i].Evidence = nonNil(r.Problems[i].Evidence)
	}
	if r.Medications == nil {
		r.Medications = []Medication{}
	}
	for i := range r.Medications {
		r.Medications[i].Evidence = nonNil(r.Medications[i].Evidence)
	}
	if r.Orders == nil {
		r.Orders = []Order{}
	}
	for i := range r.Orders {
		r.Orders[i].Evidence = nonNil(r.Orders[i].Evidence)
	}
	if r.Allergies == nil {
		r.Allergies = []Allergy{}
	}
	for i := range r.Allergies {
		r.Allergies[i].Evidence = nonNil(r.Allergies[i].Evidence)
	}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	for i := range r.Findings {
		r.Findings[i].Evidence = nonNil(r.Findings[i].Evidence)
	}
	if r.Note.Sections == nil {
		r.Note.Sections = []Section{}
	}
	for i := range r.Note.Sections {
		s := &r.Note.Sections[i]
		if s.Sentences == nil {
			s.Sentences = []Sentence{}
		}
		for j := range s.Sentences {
			s.Sentences[j].Evidence = nonNil(s.Sentences[j].Evidence)
		}
	}
	if r.Alerts == nil {
		r.Alerts = []Card{}
	}
	if r.Provenance.PromptVersions == nil {
		r.Provenance.PromptVersions = map[string]string{}
	}
}

func nonNil(e []Evidence) []Evidence {
	if e == nil {
		return []Evidence{}
	}
	return e
}

// ErrInvalid is wrapped by every error Validate returns.
var ErrInvalid = errors.New("invalid visit record")

// Validate checks the record's invariants: known enum values, and every evidence span lying
// inside its turn with a quote equal to the text it points at.
func (r *Record) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...))
	}
	for i, t := range r.Transcript.Turns {
		if t.Index != i {
			bad("transcript.turns[%d]: index %d, want %d", i, t.Index, i)
		}
		if !t.Speaker.Valid() {
			bad("transcript.turns[%d]: unknown speaker %q", i, t.Speaker)
		}
	}
	check := func(where string, ev []Evidence) {
		for j, e := range ev {
			if err := r.CheckEvidence(e); err != nil {
				bad("%s.evidence[%d]: %v", where, j, err)
			}
		}
	}
	for i, p := range r.Problems {
		if !p.Assertion.Valid() {
			bad("problems[%d]: unknown assertion %q", i, p.Assertion)
		}
		check(fmt.Sprintf("problems[%d]", i), p.Evidence)
	}
	for i, m := range r.Medications {
		if !m.Status.Valid() {
			bad("medications[%d]: unknown status %q", i, m.Status)
		}
		check(fmt.Sprintf("medications[%d]", i), m.Evidence)
	}
	for i, o := range r.Orders {
		if !o.Kind.Valid() {
			bad("orders[%d]: unknown kind %q", i, o.Kind)
		}
		check(fmt.Sprintf("orders[%d]", i), o.Evidence)
	}
	for i, a := range r.Allergies {
		check(fmt.Sprintf("allergies[%d]", i), a.Evidence)
	}
	for i, f := range r.Findings {
		if !f.Assertion.Valid() {
			bad("findings[%d]: unknown assertion %q", i, f.Assertion)
		}
		check(fmt.Sprintf("findings[%d]", i), f.Evidence)
	}
	for i, s := range r.Note.Sections {
		for j, sen := range s.Sentences {
			check(fmt.Sprintf("note.sections[%d].sentences[%d]", i, j), sen.Evidence)
		}
	}
	return errors.Join(errs...)
}

// CheckEvidence reports whether e points inside an existing turn and quotes it exactly.
func (r *Record) CheckEvidence(e Evidence) error {
	return r.Transcript.CheckEvidence(e)
}

// CheckEvidence reports whether e points inside an existing turn and quotes it exactly.
func (t *Transcript) CheckEvidence(e Evidence) error {
	if e.Turn < 0 || e.Turn >= len(t.Turns) {
		return fmt.Errorf("turn %d out of range (%d turns)", e.Turn, len(t.Turns))
	}
	text := t.Turns[e.Turn].Text
	if e.Start < 0 || e.End < e.Start || e.End > len(text) {
		return fmt.Errorf("span [%d,%d) outside turn %d (%d bytes)", e.Start, e.End, e.Turn, len(text))
	}
	if text[e.Start:e.End] != e.Quote {
		return fmt.Errorf("quote does not match turn %d at [%d,%d)", e.Turn, e.Start, e.End)
	}
	return nil
}

// NewEvidence builds the evidence for text[start:end] of turn i, quoting it.
func (t *Transcript) NewEvidence(i, start, end int) Evidence {
	return Evidence{Turn: i, Start: start, End: end, Quote: t.Turns[i].Text[start:end]}
}
