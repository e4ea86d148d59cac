package api

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/medscribe/medscribe/visit"
)

// bundleNS namespaces the deterministic resource ids of an exported visit, so exporting the
// same visit twice gives the same Bundle.
var bundleNS = uuid.MustParse("6f1c3b1e-2d4a-4c55-9a7e-5d2f0c6b8a11")

func (s *Server) getFHIR(c *gin.Context) {
	rec, err := s.cfg.Store.GetVisit(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Type", "application/fhir+json")
	c.JSON(http.StatusOK, VisitBundle(rec))
}

type res = map[string]any

// VisitBundle renders a visit as a FHIR R4 collection Bundle: an Encounter, Conditions,
// MedicationStatements (what the patient takes or took) and MedicationRequests (what was
// started or changed), ServiceRequests for orders, AllergyIntolerances and the note as a
// DocumentReference. Every resource references the patient. Nothing is coded that the visit
// did not code. Considered drugs and family history are not the patient's and are left out.
func VisitBundle(rec *visit.Record) res {
	b := &bundler{rec: rec}
	patientRef := res{"reference": "Patient/" + rec.PatientID}
	if rec.PatientID == "" {
		patientRef = res{"display": "patient of visit " + rec.ExternalID}
	}
	b.subject = patientRef
	enc := b.add("Encounter", "encounter", res{
		"status":     encounterStatus(rec.Status),
		"class":      res{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB", "display": "ambulatory"},
		"subject":    patientRef,
		"identifier": []any{res{"system": "urn:medscribe:external-id", "value": rec.ExternalID}},
	})
	b.encounter = res{"reference": enc}
	for i, p := range rec.Problems {
		if p.Assertion == visit.Family {
			continue
		}
		cond := res{
			"clinicalStatus":     concept("http://terminology.hl7.org/CodeSystem/condition-clinical", clinicalStatus(p.Assertion)),
			"verificationStatus": concept("http://terminology.hl7.org/CodeSystem/condition-ver-status", verification(p.Assertion)),
			"category":           []any{concept("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis")},
			"code":               codeable(p.Text, p.Code),
			"subject":            patientRef,
			"encounter":          b.encounter,
		}
		b.add("Condition", "problem/"+itoa(i), cond)
	}
	for i, m := range rec.Medications {
		if m.Status == visit.MedConsidered {
			continue
		}
		dosage := dosageOf(m)
		if m.Status == visit.MedNew || m.Status == visit.MedChanged {
			r := res{"status": "draft", "intent": "order", "medicationCodeableConcept": codeable(m.Text, m.Code),
				"subject": patientRef, "encounter": b.encounter}
			if rec.Status == visit.StatusSigned {
				r["status"] = "active"
			}
			if dosage != nil {
				r["dosageInstruction"] = []any{dosage}
			}
			b.add("MedicationRequest", "medication/"+itoa(i), r)
			continue
		}
		r := res{"status": medStatementStatus(m.Status), "medicationCodeableConcept": codeable(m.Text, m.Code),
			"subject": patientRef, "context": b.encounter}
		if dosage != nil {
			r["dosage"] = []any{dosage}
		}
		b.add("MedicationStatement", "medication/"+itoa(i), r)
	}
	for i, o := range rec.Orders {
		if o.Kind == visit.OrderMedication || o.Kind == visit.OrderFollowup {
			continue // medication orders are MedicationRequests; follow-ups are appointments, not requests
		}
		b.add("ServiceRequest", "order/"+itoa(i), res{
			"status": map[bool]string{true: "active", false: "draft"}[rec.Status == visit.StatusSigned], "intent": "order",
			"category": []any{res{"text": string(o.Kind)}}, "code": codeable(o.Text, o.Code),
			"subject": patientRef, "encounter": b.encounter,
		})
	}
	for i, a := range rec.Allergies {
		r := res{"patient": patientRef, "encounter": b.encounter, "code": codeable(a.Substance, a.Code),
			"clinicalStatus": concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active")}
		if a.Substance == "none known" {
			r["code"] = res{"text": "No known allergies"}
			delete(r, "clinicalStatus")
		} else if a.Reaction != nil {
			r["reaction"] = []any{res{"manifestation": []any{res{"text": *a.Reaction}}}}
		}
		b.add("AllergyIntolerance", "allergy/"+itoa(i), r)
	}
	if rec.Note.Text != "" {
		doc := res{
			"status":    "current",
			"docStatus": map[bool]string{true: "final", false: "preliminary"}[rec.Status == visit.StatusSigned],
			"type":      res{"coding": []any{res{"system": visit.SystemLOINC, "code": "11506-3", "display": "Progress note"}}},
			"subject":   patientRef,
			"date":      rec.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"),
			"content": []any{res{"attachment": res{"contentType": "text/plain; charset=utf-8",
				"data": base64.StdEncoding.EncodeToString([]byte(rec.Note.Text))}}},
			"context": res{"encounter": []any{b.encounter}},
		}
		b.add("DocumentReference", "note", doc)
	}
	return res{"resourceType": "Bundle", "type": "collection", "id": uuid.NewSHA1(bundleNS, []byte(rec.ID)).String(), "entry": b.entries}
}

type bundler struct {
	rec       *visit.Record
	subject   res
	encounter res
	entries   []any
}

// add appends a resource with a deterministic id and returns its reference.
func (b *bundler) add(typ, key string, r res) string {
	id := uuid.NewSHA1(bundleNS, []byte(b.rec.ID+"/"+key)).String()
	r["resourceType"] = typ
	r["id"] = id
	b.entries = append(b.entries, res{"fullUrl": "urn:uuid:" + id, "resource": r})
	return "urn:uuid:" + id
}

func codeable(text string, c *visit.Code) res {
	out := res{"text": text}
	if c != nil && c.Code != "" {
		out["coding"] = []any{res{"system": c.System, "code": c.Code, "display": c.Display}}
	}
	return out
}

func concept(system, code string) res {
	return res{"coding": []any{res{"system": system, "code": code}}}
}

func dosageOf(m visit.Medication) res {
	var parts []string
	for _, p := range []*string{m.Dose, m.Route, m.Frequency, m.Duration} {
		if p != nil && *p != "" {
			parts = append(parts, *p)
		}
	}
	if len(parts) == 0 {
		return nil
	}
	d := res{"text": strings.Join(parts, " ")}
	if m.Route != nil {
		d["route"] = res{"text": *m.Route}
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

func medStatementStatus(s visit.MedStatus) string {
	switch s {
	case visit.MedStopped:
		return "stopped"
	case visit.MedHistorical:
		return "completed"
	}
	return "active"
}

func encounterStatus(s visit.Status) string {
	if s == visit.StatusSigned {
		return "finished"
	}
	return "in-progress"
}

func itoa(i int) string { return strconv.Itoa(i) }
