package cds

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/fhir"
	"github.com/medscribe/medscribe/rules"
	"github.com/medscribe/medscribe/visit"
)

func testRuleSet(t *testing.T) *rules.RuleSet {
	t.Helper()
	m, err := rules.NewManager(&rules.ManagerConfig{Dir: "testdata/rules", Logger: quiet})
	require.NoError(t, err)
	return m.Current()
}

func TestBuilderFromFHIR(t *testing.T) {
	t.Parallel()
	v := func(f float64) *float64 { return &f }
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	b := newBuilder(testRuleSet(t), now)
	g := newGathered()
	g.patient = &fhir.Patient{Gender: "female", BirthDate: "1950-03-02"}
	g.meds = []*fhir.MedicationRequest{
		{ID: "a", Status: "active", MedicationCodeableConcept: &fhir.CodeableConcept{Coding: []fhir.Coding{{System: fhir.SystemRxNorm, Code: "855332", Display: "Warfarin Sodium 5 MG Oral Tablet"}}}},
		{ID: "b", Status: "stopped", MedicationCodeableConcept: &fhir.CodeableConcept{Text: "ibuprofen"}},
		{ID: "c", Status: "active", MedicationCodeableConcept: &fhir.CodeableConcept{Coding: []fhir.Coding{{System: "urn:local", Code: "Z9"}}}},
	}
	g.statements = []*fhir.MedicationStatement{
		{ID: "s1", Status: "active", MedicationCodeableConcept: &fhir.CodeableConcept{Text: "warfarin"}}, // same drug as a: skipped
		{ID: "s2", Status: "completed", MedicationCodeableConcept: &fhir.CodeableConcept{Text: "naproxen"}},
	}
	g.allergies = []*fhir.AllergyIntolerance{
		{Code: &fhir.CodeableConcept{Text: "penicillin"}, Reaction: []fhir.Reaction{{Manifestation: []fhir.CodeableConcept{{Text: "hives"}}}}},
		{Code: &fhir.CodeableConcept{Text: "sulfa"}, ClinicalStatus: &fhir.CodeableConcept{Coding: []fhir.Coding{{Code: "resolved"}}}},
		{Code: &fhir.CodeableConcept{Text: "latex"}, VerificationStatus: &fhir.CodeableConcept{Coding: []fhir.Coding{{Code: "refuted"}}}},
	}
	g.conditions = []*fhir.Condition{{Code: &fhir.CodeableConcept{Coding: []fhir.Coding{{System: fhir.SystemICD10, Code: "N18.4", Display: "Chronic kidney disease, stage 4 (severe)"}}}}}
	g.labs = []*fhir.Observation{
		{Status: "final", Code: fhir.CodeableConcept{Coding: []fhir.Coding{{System: fhir.SystemLOINC, Code: "2160-0"}}}, ValueQuantity: &fhir.Quantity{Value: v(176.8), Unit: "umol/L"}, EffectiveDateTime: "2026-02-01"},
		{Status: "final", Code: fhir.CodeableConcept{Coding: []fhir.Coding{{System: fhir.SystemLOINC, Code: "2160-0"}}}, ValueQuantity: &fhir.Quantity{Value: v(1.1), Unit: "mg/dL"}, EffectiveDateTime: "2025-01-01"},
		{Status: "entered-in-error", Code: fhir.CodeableConcept{Coding: []fhir.Coding{{System: fhir.SystemLOINC, Code: "2823-3"}}}, ValueQuantity: &fhir.Quantity{Value: v(7)}},
		{Status: "final", Code: fhir.CodeableConcept{Coding: []fhir.Coding{{System: fhir.SystemLOINC, Code: "4548-4"}}}, ValueQuantity: &fhir.Quantity{Value: v(7)}},
		{Status: "final", Code: fhir.CodeableConcept{Coding: []fhir.Coding{{System: fhir.SystemLOINC, Code: "10535-3"}}}, ValueQuantity: &fhir.Quantity{Value: v(2.561), Unit: "nmol/L"}},
	}
	b.fromFHIR(g)
	require.NotNil(t, b.p.Age)
	assert.Equal(t, 75, *b.p.Age)
	assert.Equal(t, "female", b.p.Sex)
	var ids []string
	for _, m := range b.p.Medications {
		ids = append(ids, m.ID)
	}
	assert.Equal(t, []string{"MedicationRequest/a", "MedicationRequest/c"}, ids)
	assert.Equal(t, "855332", b.p.Medications[0].RxCUI, "product code passed on; the engine matches it by name")
	require.Len(t, b.p.Allergies, 1)
	assert.Equal(t, rules.Allergy{Substance: "penicillin", Reaction: "hives"}, b.p.Allergies[0])
	assert.Equal(t, []rules.Condition{{Text: "Chronic kidney disease, stage 4 (severe)", ICD10: "N18.4"}}, b.p.Conditions)
	require.Len(t, b.p.Labs, 3)
	assert.Equal(t, "creatinine", b.p.Labs[0].Kind)
	assert.InDelta(t, 2.0, b.p.Labs[0].Value, 1e-6, "µmol/L converted, newest first")
	assert.Equal(t, "mg/dL", b.p.Labs[0].Unit)
	assert.Equal(t, "digoxin", b.p.Labs[2].Kind)
	assert.InDelta(t, 2.0, b.p.Labs[2].Value, 1e-3)
	assert.Equal(t, 1, b.c.nonRxNorm)
	assert.Equal(t, 1, b.c.unknownDrugs)
	assert.Equal(t, 5, b.c.inactive, "stopped order, completed statement, resolved and refuted allergies, lab in error")
	assert.Equal(t, 1, b.c.labsUnused, "the HbA1c")
}

func TestBuilderVisit(t *testing.T) {
	t.Parallel()
	b := newBuilder(testRuleSet(t), time.Now())
	b.p.Allergies = []rules.Allergy{{Substance: "Penicillin"}}
	b.p.Conditions = []rules.Condition{{Text: "atrial fibrillation", ICD10: "I48.91"}}
	age, sex := 80, "F"
	ten := "10 mg"
	rec := &visit.Record{ID: "v1", Patient: visit.PatientInfo{Age: &age, Sex: &sex},
		Medications: []visit.Medication{{Text: "naproxen", Status: visit.MedNew, Dose: &ten}, {Text: "omeprazole", Status: visit.MedConsidered}},
		Allergies:   []visit.Allergy{{Substance: "penicillin"}, {Substance: "None known"}, {Substance: "codeine"}},
		Problems: []visit.Problem{{Text: "AFib", Code: &visit.Code{System: visit.SystemICD10CM, Code: "I48.91"}, Assertion: visit.Present},
			{Text: "GI bleed", Assertion: visit.History}, {Text: "stroke", Assertion: visit.Absent}, {Text: "diabetes", Assertion: visit.Family}},
	}
	b.addVisit(rec, false)
	assert.Equal(t, 80, *b.p.Age)
	assert.Equal(t, "female", b.p.Sex)
	require.Len(t, b.p.Medications, 1, "considered drugs are not taken")
	assert.Equal(t, rules.Med{ID: "visit/v1/medications/0", Name: "naproxen", Status: "active", Dose: &rules.Quantity{Value: 10, Unit: "mg"}, FromVisit: true}, b.p.Medications[0])
	assert.Equal(t, []rules.Allergy{{Substance: "Penicillin"}, {Substance: "codeine", FromVisit: true}}, b.p.Allergies)
	assert.Equal(t, []rules.Condition{{Text: "atrial fibrillation", ICD10: "I48.91"}, {Text: "GI bleed", FromVisit: true}}, b.p.Conditions)
	assert.Equal(t, 3, b.c.fromVisit)
}

func TestParseDoseAndHelpers(t *testing.T) {
	t.Parallel()
	assert.Equal(t, &rules.Quantity{Value: 500, Unit: "mg"}, parseDose("500 mg"))
	assert.Equal(t, &rules.Quantity{Value: 0.5, Unit: "mg"}, parseDose("0.5mg twice"))
	assert.Nil(t, parseDose("two tablets"))
	assert.Nil(t, parseDose("20"))
	assert.Equal(t, "female", fhirSex("Woman"))
	assert.Equal(t, "unknown", fhirSex("?"))
	assert.True(t, noneKnown("NKDA"))
	assert.False(t, noneKnown("nuts"))
	assert.Equal(t, "abc…", clip("abc def", 5))
	assert.Equal(t, "abc def", clip("abc def", 7))
	assert.Equal(t, "ééé…", clip("éééééé", 4))
}
