package fhir

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// The resources. Each has an UnmarshalJSON that enforces its resourceType, and a MarshalJSON
// (via the alias pattern) that always writes it.

// Patient is the subject of care. medscribe reads only what decision support needs
// (birth date, gender); it never reads or writes names.
type Patient struct {
	ID         string       `json:"id,omitempty"`
	Meta       *Meta        `json:"meta,omitempty"`
	Active     *bool        `json:"active,omitempty"`
	Gender     string       `json:"gender,omitempty"`
	BirthDate  string       `json:"birthDate,omitempty"`
	Identifier []Identifier `json:"identifier,omitempty"`
}

// ResourceType returns "Patient".
func (*Patient) ResourceType() string { return "Patient" }

// Validate checks gender's value set and the birthDate format.
func (p *Patient) Validate() error {
	ps := problems{rt: "Patient"}
	if p.Gender != "" {
		ps.oneOf("gender", p.Gender, "male", "female", "other", "unknown")
	}
	if p.BirthDate != "" {
		if _, err := parseDate(p.BirthDate); err != nil {
			ps.add("birthDate: %q is not a FHIR date", p.BirthDate)
		}
	}
	return ps.err()
}

// Age is the patient's age in whole years at now; ok is false when birthDate is missing or
// not a date. A year-only or year-month birth date gives the youngest possible age.
func (p *Patient) Age(now time.Time) (age int, ok bool) {
	if p == nil || p.BirthDate == "" {
		return 0, false
	}
	bd, err := parseDate(p.BirthDate)
	if err != nil || bd.After(now) {
		return 0, false
	}
	age = now.Year() - bd.Year()
	if now.Month() < bd.Month() || (now.Month() == bd.Month() && now.Day() < bd.Day()) {
		age--
	}
	return age, true
}

// parseDate reads a FHIR date: YYYY, YYYY-MM or YYYY-MM-DD (a dateTime's date part too).
// Partial dates resolve to their latest day, so an age computed from them is never too old.
func parseDate(s string) (time.Time, error) {
	if len(s) > 10 && s[10] == 'T' {
		s = s[:10]
	}
	switch len(s) {
	case 4:
		t, err := time.Parse("2006", s)
		return t.AddDate(1, 0, -1), err
	case 7:
		t, err := time.Parse("2006-01", s)
		return t.AddDate(0, 1, -1), err
	default:
		return time.Parse("2006-01-02", s)
	}
}

// MedicationRequest is an order (or a draft order) for a medication.
type MedicationRequest struct {
	ID                        string            `json:"id,omitempty"`
	Meta                      *Meta             `json:"meta,omitempty"`
	Identifier                []Identifier      `json:"identifier,omitempty"`
	Status                    string            `json:"status,omitempty"`
	Intent                    string            `json:"intent,omitempty"`
	Category                  CodeableConcepts  `json:"category,omitempty"`
	MedicationCodeableConcept *CodeableConcept  `json:"medicationCodeableConcept,omitempty"`
	MedicationReference       *Reference        `json:"medicationReference,omitempty"`
	Subject                   Reference         `json:"subject"`
	Encounter                 *Reference        `json:"encounter,omitempty"`
	AuthoredOn                string            `json:"authoredOn,omitempty"`
	Requester                 *Reference        `json:"requester,omitempty"`
	ReasonCode                []CodeableConcept `json:"reasonCode,omitempty"`
	Note                      []Annotation      `json:"note,omitempty"`
	DosageInstruction         List[Dosage]      `json:"dosageInstruction,omitempty"`
}

// ResourceType returns "MedicationRequest".
func (*MedicationRequest) ResourceType() string { return "MedicationRequest" }

// Validate checks R4's required elements: status, intent, medication[x], subject.
func (m *MedicationRequest) Validate() error {
	ps := problems{rt: "MedicationRequest"}
	ps.oneOf("status", m.Status, "active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped", "draft", "unknown")
	ps.oneOf("intent", m.Intent, "proposal", "plan", "order", "original-order", "reflex-order", "filler-order", "instance-order", "option")
	ps.require(!m.MedicationCodeableConcept.IsEmpty() || !m.MedicationReference.IsEmpty(), "medication[x]")
	ps.require(!m.Subject.IsEmpty(), "subject")
	return ps.err()
}

// Medication returns the coded medication and a display name, from medicationCodeableConcept
// or the display of medicationReference.
func (m *MedicationRequest) Medication() (*CodeableConcept, string) {
	return medication(m.MedicationCodeableConcept, m.MedicationReference)
}

func medication(cc *CodeableConcept, ref *Reference) (*CodeableConcept, string) {
	if cc != nil {
		return cc, cc.Label()
	}
	if ref != nil {
		return nil, strings.TrimSpace(ref.Display)
	}
	return nil, ""
}

// MedicationStatement says a patient takes (or took) a medication.
type MedicationStatement struct {
	ID                        string           `json:"id,omitempty"`
	Meta                      *Meta            `json:"meta,omitempty"`
	Status                    string           `json:"status,omitempty"`
	MedicationCodeableConcept *CodeableConcept `json:"medicationCodeableConcept,omitempty"`
	MedicationReference       *Reference       `json:"medicationReference,omitempty"`
	Subject                   Reference        `json:"subject"`
	EffectiveDateTime         string           `json:"effectiveDateTime,omitempty"`
	EffectivePeriod           *Period          `json:"effectivePeriod,omitempty"`
	DateAsserted              string           `json:"dateAsserted,omitempty"`
	Dosage                    List[Dosage]     `json:"dosage,omitempty"`
}

// ResourceType returns "MedicationStatement".
func (*MedicationStatement) ResourceType() string { return "MedicationStatement" }

// Validate checks R4's required elements: status, medication[x], subject.
func (m *MedicationStatement) Validate() error {
	ps := problems{rt: "MedicationStatement"}
	ps.oneOf("status", m.Status, "active", "completed", "entered-in-error", "intended", "stopped", "on-hold", "unknown", "not-taken")
	ps.require(!m.MedicationCodeableConcept.IsEmpty() || !m.MedicationReference.IsEmpty(), "medication[x]")
	ps.require(!m.Subject.IsEmpty(), "subject")
	return ps.err()
}

// Medication returns the coded medication and a display name.
func (m *MedicationStatement) Medication() (*CodeableConcept, string) {
	return medication(m.MedicationCodeableConcept, m.MedicationReference)
}

// AllergyIntolerance is a recorded allergy or intolerance.
type AllergyIntolerance struct {
	ID                 string           `json:"id,omitempty"`
	Meta               *Meta            `json:"meta,omitempty"`
	ClinicalStatus     *CodeableConcept `json:"clinicalStatus,omitempty"`
	VerificationStatus *CodeableConcept `json:"verificationStatus,omitempty"`
	Type               string           `json:"type,omitempty"`
	Category           []string         `json:"category,omitempty"`
	Criticality        string           `json:"criticality,omitempty"`
	Code               *CodeableConcept `json:"code,omitempty"`
	Patient            Reference        `json:"patient"`
	RecordedDate       string           `json:"recordedDate,omitempty"`
	Reaction           []Reaction       `json:"reaction,omitempty"`
}

// Reaction is one adverse reaction event.
type Reaction struct {
	Substance     *CodeableConcept  `json:"substance,omitempty"`
	Manifestation []CodeableConcept `json:"manifestation"`
	Severity      string            `json:"severity,omitempty"`
}

// ResourceType returns "AllergyIntolerance".
func (*AllergyIntolerance) ResourceType() string { return "AllergyIntolerance" }

// Validate checks R4's required element (patient) and value sets.
func (a *AllergyIntolerance) Validate() error {
	ps := problems{rt: "AllergyIntolerance"}
	ps.require(!a.Patient.IsEmpty(), "patient")
	if a.Criticality != "" {
		ps.oneOf("criticality", a.Criticality, "low", "high", "unable-to-assess")
	}
	if a.Type != "" {
		ps.oneOf("type", a.Type, "allergy", "intolerance")
	}
	for i, r := range a.Reaction {
		ps.require(len(r.Manifestation) > 0, "reaction["+strconv.Itoa(i)+"].manifestation")
	}
	return ps.err()
}

// Condition is a problem, diagnosis or health concern.
type Condition struct {
	ID                 string           `json:"id,omitempty"`
	Meta               *Meta            `json:"meta,omitempty"`
	ClinicalStatus     *CodeableConcept `json:"clinicalStatus,omitempty"`
	VerificationStatus *CodeableConcept `json:"verificationStatus,omitempty"`
	Category           CodeableConcepts `json:"category,omitempty"`
	Code               *CodeableConcept `json:"code,omitempty"`
	Subject            Reference        `json:"subject"`
	Encounter          *Reference       `json:"encounter,omitempty"`
	OnsetDateTime      string           `json:"onsetDateTime,omitempty"`
	RecordedDate       string           `json:"recordedDate,omitempty"`
	Note               []Annotation     `json:"note,omitempty"`
}

// ResourceType returns "Condition".
func (*Condition) ResourceType() string { return "Condition" }

// Validate checks R4's required element: subject.
func (c *Condition) Validate() error {
	ps := problems{rt: "Condition"}
	ps.require(!c.Subject.IsEmpty(), "subject")
	return ps.err()
}

// Observation is a measurement or finding (a lab result for medscribe).
type Observation struct {
	ID                   string            `json:"id,omitempty"`
	Meta                 *Meta             `json:"meta,omitempty"`
	Status               string            `json:"status,omitempty"`
	Category             CodeableConcepts  `json:"category,omitempty"`
	Code                 CodeableConcept   `json:"code"`
	Subject              *Reference        `json:"subject,omitempty"`
	EffectiveDateTime    string            `json:"effectiveDateTime,omitempty"`
	Issued               string            `json:"issued,omitempty"`
	ValueQuantity        *Quantity         `json:"valueQuantity,omitempty"`
	ValueString          string            `json:"valueString,omitempty"`
	ValueCodeableConcept *CodeableConcept  `json:"valueCodeableConcept,omitempty"`
	Interpretation       []CodeableConcept `json:"interpretation,omitempty"`
}

// ResourceType returns "Observation".
func (*Observation) ResourceType() string { return "Observation" }

// Validate checks R4's required elements: status and code.
func (o *Observation) Validate() error {
	ps := problems{rt: "Observation"}
	ps.oneOf("status", o.Status, "registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown")
	ps.require(!o.Code.IsEmpty(), "code")
	return ps.err()
}

// Encounter is a visit.
type Encounter struct {
	ID         string            `json:"id,omitempty"`
	Meta       *Meta             `json:"meta,omitempty"`
	Status     string            `json:"status,omitempty"`
	Class      *Coding           `json:"class,omitempty"`
	Type       []CodeableConcept `json:"type,omitempty"`
	Subject    *Reference        `json:"subject,omitempty"`
	Period     *Period           `json:"period,omitempty"`
	Identifier []Identifier      `json:"identifier,omitempty"`
}

// ResourceType returns "Encounter".
func (*Encounter) ResourceType() string { return "Encounter" }

// Validate checks R4's required elements: status and class.
func (e *Encounter) Validate() error {
	ps := problems{rt: "Encounter"}
	ps.oneOf("status", e.Status, "planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled", "entered-in-error", "unknown")
	ps.require(e.Class != nil && e.Class.Code != "", "class")
	return ps.err()
}

// ServiceRequest is an order for a lab, imaging, referral or procedure.
type ServiceRequest struct {
	ID         string            `json:"id,omitempty"`
	Meta       *Meta             `json:"meta,omitempty"`
	Status     string            `json:"status,omitempty"`
	Intent     string            `json:"intent,omitempty"`
	Category   []CodeableConcept `json:"category,omitempty"`
	Code       *CodeableConcept  `json:"code,omitempty"`
	Subject    Reference         `json:"subject"`
	Encounter  *Reference        `json:"encounter,omitempty"`
	AuthoredOn string            `json:"authoredOn,omitempty"`
	Note       []Annotation      `json:"note,omitempty"`
}

// ResourceType returns "ServiceRequest".
func (*ServiceRequest) ResourceType() string { return "ServiceRequest" }

// Validate checks R4's required elements: status, intent, subject.
func (s *ServiceRequest) Validate() error {
	ps := problems{rt: "ServiceRequest"}
	ps.oneOf("status", s.Status, "draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown")
	ps.oneOf("intent", s.Intent, "proposal", "plan", "directive", "order", "original-order", "reflex-order", "filler-order", "instance-order", "option")
	ps.require(!s.Subject.IsEmpty(), "subject")
	return ps.err()
}

// DocumentReference carries a document (medscribe's drafted or signed note).
type DocumentReference struct {
	ID          string            `json:"id,omitempty"`
	Meta        *Meta             `json:"meta,omitempty"`
	Status      string            `json:"status,omitempty"`
	DocStatus   string            `json:"docStatus,omitempty"`
	Type        *CodeableConcept  `json:"type,omitempty"`
	Category    []CodeableConcept `json:"category,omitempty"`
	Subject     *Reference        `json:"subject,omitempty"`
	Date        string            `json:"date,omitempty"`
	Description string            `json:"description,omitempty"`
	Content     []DocumentContent `json:"content"`
	Context     *DocumentContext  `json:"context,omitempty"`
}

// DocumentContent is one attachment of a document.
type DocumentContent struct {
	Attachment Attachment `json:"attachment"`
}

// DocumentContext ties the document to encounters.
type DocumentContext struct {
	Encounter []Reference `json:"encounter,omitempty"`
}

// ResourceType returns "DocumentReference".
func (*DocumentReference) ResourceType() string { return "DocumentReference" }

// Validate checks R4's required elements: status and at least one content with an attachment.
func (d *DocumentReference) Validate() error {
	ps := problems{rt: "DocumentReference"}
	ps.oneOf("status", d.Status, "current", "superseded", "entered-in-error")
	if d.DocStatus != "" {
		ps.oneOf("docStatus", d.DocStatus, "preliminary", "final", "amended", "entered-in-error")
	}
	ps.require(len(d.Content) > 0, "content")
	for i, c := range d.Content {
		ps.require(len(c.Attachment.Data) > 0 || c.Attachment.URL != "", "content["+strconv.Itoa(i)+"].attachment.data|url")
	}
	return ps.err()
}

// typed wraps a resource struct with its resourceType for JSON.
func marshalTyped(rt string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	head := `{"resourceType":"` + rt + `"`
	if len(b) == 2 { // "{}"
		return []byte(head + "}"), nil
	}
	return append([]byte(head+","), b[1:]...), nil
}
