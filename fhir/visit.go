package fhir

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/medscribe/medscribe/visit"
)

// visitNS namespaces the deterministic ids of an exported visit, so exporting the same visit
// twice gives the same Bundle.
var visitNS = uuid.MustParse("6f1c3b1e-2d4a-4c55-9a7e-5d2f0c6b8a11")

// progressNote is LOINC 11506-3 "Progress note", the type of every note medscribe writes.
var progressNote = &CodeableConcept{Coding: []Coding{{System: visit.SystemLOINC, Code: "11506-3", Display: "Progress note"}}}

// VisitBundle writes a visit as a FHIR R4 collection Bundle: an Encounter, Conditions,
// MedicationStatements (what the patient takes or took), MedicationRequests (what was started
// or changed), ServiceRequests for orders, AllergyIntolerances and the note as a
// DocumentReference, every one referencing the patient. Nothing is coded that the visit did
// not code. Considered drugs and family history are not the patient's and are left out;
// follow-ups are appointments, not requests.
func VisitBundle(rec *visit.Record) *Bundle {
	x := &exporter{rec: rec, signed: rec.Status == visit.StatusSigned}
	x.subject = PatientRef(rec)
	encStatus := "in-progress"
	if x.signed {
		encStatus = "finished"
	}
	enc := x.add("encounter", &Encounter{Status: encStatus,
		Class:      &Coding{System: "http://terminology.hl7.org/CodeSystem/v3-ActCode", Code: "AMB", Display: "ambulatory"},
		Subject:    &x.subject,
		Identifier: []Identifier{{System: "urn:medscribe:external-id", Value: rec.ExternalID}},
	})
	x.encounter = &Reference{Reference: enc}
	for i, p := range rec.Problems {
		if p.Assertion == visit.Family {
			continue
		}
		x.add("problem/"+itoa(i), &Condition{
			ClinicalStatus:     concept("http://terminology.hl7.org/CodeSystem/condition-clinical", clinicalStatus(p.Assertion)),
			VerificationStatus: concept("http://terminology.hl7.org/CodeSystem/condition-ver-status", verification(p.Assertion)),
			Category:           CodeableConcepts{*concept("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis")},
			Code:               codeable(p.Text, p.Code), Subject: x.subject, Encounter: x.encounter,
		})
	}
	for i, m := range rec.Medications {
		if m.Status == visit.MedConsidered {
			continue
		}
		var dosage List[Dosage]
		if d := dosageOf(m); d != nil {
			dosage = List[Dosage]{*d}
		}
		if m.Status == visit.MedNew || m.Status == visit.MedChanged {
			x.add("medication/"+itoa(i), &MedicationRequest{Status: x.orderStatus(), Intent: "order",
				MedicationCodeableConcept: codeable(m.Text, m.Code), Subject: x.subject, Encounter: x.encounter, DosageInstruction: dosage})
			continue
		}
		x.add("medication/"+itoa(i), &MedicationStatement{Status: statementStatus(m.Status),
			MedicationCodeableConcept: codeable(m.Text, m.Code), Subject: x.subject, Dosage: dosage})
	}
	for i, o := range rec.Orders {
		if o.Kind == visit.OrderMedication || o.Kind == visit.OrderFollowup {
			continue
		}
		x.add("order/"+itoa(i), &ServiceRequest{Status: x.orderStatus(), Intent: "order",
			Category: []CodeableConcept{{Text: string(o.Kind)}}, Code: codeable(o.Text, o.Code), Subject: x.subject, Encounter: x.encounter})
	}
	for i, a := range rec.Allergies {
		ai := &AllergyIntolerance{Patient: x.subject, Code: codeable(a.Substance, a.Code),
			ClinicalStatus: concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active")}
		if a.Substance == "none known" {
			ai.Code, ai.ClinicalStatus = &CodeableConcept{Text: "No known allergies"}, nil
		} else if a.Reaction != nil {
			ai.Reaction = []Reaction{{Manifestation: []CodeableConcept{{Text: *a.Reaction}}}}
		}
		x.add("allergy/"+itoa(i), ai)
	}
	if rec.Note.Text != "" {
		docStatus := "preliminary"
		if x.signed {
			docStatus = "final"
		}
		x.add("note", &DocumentReference{Status: "current", DocStatus: docStatus, Type: progressNote, Subject: &x.subject,
			Date:    rec.CreatedAt.UTC().Format(time.RFC3339),
			Content: []DocumentContent{{Attachment: Attachment{ContentType: "text/plain; charset=utf-8", Data: []byte(rec.Note.Text)}}},
			Context: &DocumentContext{Encounter: []Reference{*x.encounter}}})
	}
	x.bundle.ID = uuid.NewSHA1(visitNS, []byte(rec.ID)).String()
	x.bundle.Type = "collection"
	return &x.bundle
}

// SignedNote is the DocumentReference of a signed note.
func SignedNote(rec *visit.Record, signedBy string, signedAt time.Time, text string) *DocumentReference {
	subject := PatientRef(rec)
	return &DocumentReference{ID: rec.ID, Status: "current", DocStatus: "final", Type: progressNote, Subject: &subject,
		Date: signedAt.UTC().Format(time.RFC3339), Description: "Signed by " + signedBy,
		Content: []DocumentContent{{Attachment: Attachment{ContentType: "text/plain; charset=utf-8", Data: []byte(text), Title: "Visit note " + rec.ExternalID}}}}
}

// PatientRef references the visit's patient, or describes it when the visit has no patient id.
func PatientRef(rec *visit.Record) Reference {
	if rec.PatientID == "" {
		return Reference{Display: "patient of visit " + rec.ExternalID}
	}
	return Reference{Reference: "Patient/" + rec.PatientID}
}

type exporter struct {
	rec       *visit.Record
	signed    bool
	subject   Reference
	encounter *Reference
	bundle    Bundle
}

// add gives r a deterministic id, appends it and returns its urn reference.
func (x *exporter) add(key string, r Resource) string {
	id := uuid.NewSHA1(visitNS, []byte(x.rec.ID+"/"+key)).String()
	setID(r, id)
	x.bundle.Add("urn:uuid:"+id, r)
	return "urn:uuid:" + id
}

func (x *exporter) orderStatus() string {
	if x.signed {
		return "active"
	}
	return "draft"
}

func setID(r Resource, id string) {
	switch v := r.(type) {
	case *Encounter:
		v.ID = id
	case *Condition:
		v.ID = id
	case *MedicationRequest:
		v.ID = id
	case *MedicationStatement:
		v.ID = id
	case *ServiceRequest:
		v.ID = id
	case *AllergyIntolerance:
		v.ID = id
	case *DocumentReference:
		v.ID = id
	}
}

func codeable(text string, c *visit.Code) *CodeableConcept {
	out := &CodeableConcept{Text: text}
	if c != nil && c.Code != "" {
		out.Coding = []Coding{{System: c.System, Code: c.Code, Display: c.Display}}
	}
	return out
}

func concept(system, code string) *CodeableConcept {
	return &CodeableConcept{Coding: []Coding{{System: system, Code: code}}}
}

func dosageOf(m visit.Medication) *Dosage {
	var parts []string
	for _, p := range []*string{m.Dose, m.Route, m.Frequency, m.Duration} {
		if p != nil && *p != "" {
			parts = append(parts, *p)
		}
	}
	if len(parts) == 0 {
		return nil
	}
	d := &Dosage{Text: strings.Join(parts, " ")}
	if m.Route != nil {
		d.Route = &CodeableConcept{Text: *m.Route}
	}
	return d
}

func clinicalStatus(a visit.Assertion) string {
	if a == visit.History {
		return "resolved"
	}
	return "active"
}

func verification(a visit.Assertion) string {
	switch a {
	case visit.Absent:
		return "refuted"
	case visit.Possible:
		return "provisional"
	}
	return "confirmed"
}

func statementStatus(s visit.MedStatus) string {
	switch s {
	case visit.MedStopped:
		return "stopped"
	case visit.MedHistorical:
		return "completed"
	}
	return "active"
}

func itoa(i int) string { return strconv.Itoa(i) }
