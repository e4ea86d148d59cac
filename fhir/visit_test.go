package fhir

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/visit"
)

func strp(s string) *string { return &s }

func TestVisitBundleIsValidAndLeavesOutWhatIsNotThePatients(t *testing.T) {
	rec := &visit.Record{ID: "v1", ExternalID: "enc-1", PatientID: "p-1", CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Status: visit.StatusDraft,
		Problems: []visit.Problem{
			{Text: "hypertension", Assertion: visit.Present, Code: &visit.Code{System: visit.SystemICD10CM, Code: "I10", Display: "Essential hypertension"}},
			{Text: "fracture", Assertion: visit.Absent}, {Text: "breast cancer", Assertion: visit.Family}, {Text: "strain", Assertion: visit.Possible},
		},
		Medications: []visit.Medication{
			{Text: "lisinopril", Status: visit.MedChanged, Dose: strp("20 mg"), Frequency: strp("daily")},
			{Text: "metformin", Status: visit.MedActive}, {Text: "ibuprofen", Status: visit.MedStopped}, {Text: "empagliflozin", Status: visit.MedConsidered},
		},
		Orders:    []visit.Order{{Kind: visit.OrderLab, Text: "lipid panel"}, {Kind: visit.OrderFollowup, Text: "3 months"}},
		Allergies: []visit.Allergy{{Substance: "penicillin", Reaction: strp("hives")}},
		Note:      visit.Note{Text: "ASSESSMENT AND PLAN\nHypertension."},
	}
	b := VisitBundle(rec)
	require.NoError(t, b.Validate())
	counts := map[string]int{}
	for _, r := range b.Resources() {
		counts[r.ResourceType()]++
		if v, ok := r.(interface{ Validate() error }); ok {
			assert.NoError(t, v.Validate(), r.ResourceType())
		}
	}
	assert.Equal(t, map[string]int{"Encounter": 1, "Condition": 3, "MedicationRequest": 1, "MedicationStatement": 2,
		"ServiceRequest": 1, "AllergyIntolerance": 1, "DocumentReference": 1}, counts)
	again, _ := json.Marshal(VisitBundle(rec))
	first, _ := json.Marshal(b)
	assert.JSONEq(t, string(first), string(again), "the same visit exports to the same Bundle")
	assert.Contains(t, string(first), `"verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"refuted"}]}`)
	assert.Contains(t, string(first), `"reference":"Patient/p-1"`)
}
