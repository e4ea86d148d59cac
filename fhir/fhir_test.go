package fhir

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func TestMedicationRequestRoundTrip(t *testing.T) {
	t.Parallel()
	var mr MedicationRequest
	require.NoError(t, json.Unmarshal(readFixture(t, "medicationrequest-r4.json"), &mr))
	require.NoError(t, mr.Validate())
	cc, name := mr.Medication()
	assert.Equal(t, "855332", cc.CodeIn(SystemRxNorm))
	assert.Equal(t, "warfarin 5 mg tablet", name)
	assert.Equal(t, "5 mg", mr.DosageInstruction[0].Dose().String())
	assert.Equal(t, "1 per 1 d", mr.DosageInstruction[0].Frequency())
	assert.Equal(t, "p-1", mr.Subject.ID())

	out, err := json.Marshal(&mr)
	require.NoError(t, err)
	var back MedicationRequest
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, mr, back)
	// The resourceType is written first and exactly once.
	assert.Contains(t, string(out), `{"resourceType":"MedicationRequest","id":"mr-1"`)
	assert.JSONEq(t, string(readFixture(t, "medicationrequest-r4.json")), string(out))
}

func TestRoundTripEveryResource(t *testing.T) {
	t.Parallel()
	v := 1.2
	one := 1
	tests := []Resource{
		&Patient{ID: "p", Gender: "male", BirthDate: "1970-01-02"},
		&MedicationStatement{ID: "ms", Status: "active", MedicationCodeableConcept: &CodeableConcept{Text: "metformin"}, Subject: Reference{Reference: "Patient/p"},
			Dosage: []Dosage{{Text: "500 mg bid", DoseAndRate: []DoseAndRate{{DoseQuantity: &Quantity{Value: &v, Unit: "g"}}}}}},
		&AllergyIntolerance{ID: "a", Code: &CodeableConcept{Text: "sulfa"}, Patient: Reference{Reference: "Patient/p"}, Criticality: "high"},
		&Condition{ID: "c", Code: &CodeableConcept{Coding: []Coding{{System: SystemICD10, Code: "I10", Display: "Essential (primary) hypertension"}}}, Subject: Reference{Reference: "Patient/p"}},
		&Observation{ID: "o", Status: "final", Code: CodeableConcept{Coding: []Coding{{System: SystemLOINC, Code: "2160-0"}}}, ValueQuantity: &Quantity{Value: &v, Unit: "mg/dL"}},
		&Encounter{ID: "e", Status: "finished", Class: &Coding{System: "http://terminology.hl7.org/CodeSystem/v3-ActCode", Code: "AMB"}},
		&ServiceRequest{ID: "s", Status: "draft", Intent: "order", Code: &CodeableConcept{Text: "lipid panel"}, Subject: Reference{Reference: "Patient/p"}},
		&DocumentReference{ID: "d", Status: "current", DocStatus: "preliminary", Content: []DocumentContent{{Attachment: Attachment{ContentType: "text/plain", Data: []byte("note")}}}},
		&Bundle{ID: "b", Type: "collection", Total: &one, Entry: []BundleEntry{{FullURL: "urn:uuid:1", Resource: &Patient{ID: "p"}}}},
	}
	for _, r := range tests {
		t.Run(r.ResourceType(), func(t *testing.T) {
			require.NoError(t, r.Validate())
			b, err := json.Marshal(r)
			require.NoError(t, err)
			back, err := Decode(b)
			require.NoError(t, err)
			assert.Equal(t, r, back)
		})
	}
}

func TestValidateRequiredFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    Resource
		want []string
	}{
		{"medrequest empty", &MedicationRequest{}, []string{"MedicationRequest.status is required", "MedicationRequest.intent is required", "MedicationRequest.medication[x] is required", "MedicationRequest.subject is required"}},
		{"medrequest bad status", &MedicationRequest{Status: "taken", Intent: "order", MedicationReference: &Reference{Display: "x"}, Subject: Reference{Reference: "Patient/1"}}, []string{`MedicationRequest.status: "taken" is not one of`}},
		{"statement", &MedicationStatement{Status: "active"}, []string{"MedicationStatement.medication[x] is required", "MedicationStatement.subject is required"}},
		{"allergy", &AllergyIntolerance{Reaction: []Reaction{{}}}, []string{"AllergyIntolerance.patient is required", "AllergyIntolerance.reaction[0].manifestation is required"}},
		{"condition", &Condition{}, []string{"Condition.subject is required"}},
		{"observation", &Observation{}, []string{"Observation.status is required", "Observation.code is required"}},
		{"encounter", &Encounter{Status: "finished"}, []string{"Encounter.class is required"}},
		{"servicerequest", &ServiceRequest{Status: "draft"}, []string{"ServiceRequest.intent is required", "ServiceRequest.subject is required"}},
		{"document", &DocumentReference{Status: "current", Content: []DocumentContent{{}}}, []string{"DocumentReference.content[0].attachment.data|url is required"}},
		{"patient", &Patient{Gender: "m", BirthDate: "12/01/1950"}, []string{`Patient.gender: "m" is not one of`, `Patient.birthDate: "12/01/1950" is not a FHIR date`}},
		{"bundle", &Bundle{Type: "collection", Entry: []BundleEntry{{Resource: &Condition{}}}}, []string{"entry[0]: invalid FHIR resource: Condition.subject is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.r.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestWrongResourceType(t *testing.T) {
	t.Parallel()
	var mr MedicationRequest
	err := json.Unmarshal([]byte(`{"resourceType":"Observation","status":"final"}`), &mr)
	require.ErrorIs(t, err, ErrWrongType)
	err = json.Unmarshal([]byte(`{"status":"final"}`), &mr)
	require.ErrorIs(t, err, ErrNotResource)
	_, err = Decode([]byte(`["Patient"]`))
	require.ErrorIs(t, err, ErrNotResource)
	_, err = Decode([]byte(`{"resourceType":"Patient","gender":5}`))
	require.Error(t, err)
}

func TestDSTU3Tolerance(t *testing.T) {
	t.Parallel()
	var c Condition
	require.NoError(t, json.Unmarshal(readFixture(t, "condition-dstu3.json"), &c))
	assert.True(t, c.ClinicalStatus.HasCode("", "active"))
	assert.True(t, c.VerificationStatus.HasCode("", "confirmed"))
	require.Len(t, c.Category, 1)
	assert.True(t, c.Category[0].HasCode("", "problem-list-item"))
	assert.Equal(t, "Hypertensive disorder", c.Code.Label())

	var d Dosage
	require.NoError(t, json.Unmarshal([]byte(`{"doseQuantity":{"value":1,"code":"{pill}"}}`), &d))
	assert.Equal(t, "1", d.Dose().String())
}

func TestBundleResources(t *testing.T) {
	t.Parallel()
	var b Bundle
	require.NoError(t, json.Unmarshal(readFixture(t, "searchset.json"), &b))
	require.NoError(t, b.Validate())
	rs := b.Resources()
	var types []string
	for _, r := range rs {
		types = append(types, r.ResourceType())
	}
	assert.Equal(t, []string{"Observation", "AllergyIntolerance", "NutritionOrder", "Patient"}, types)
	obs := rs[0].(*Observation)
	assert.InDelta(t, 5.6, *obs.ValueQuantity.Value, 1e-9)
	u, ok := rs[2].(*Unknown)
	require.True(t, ok)
	assert.Equal(t, "n-1", u.ID)

	// Unknown resources round-trip as received.
	out, err := json.Marshal(&b)
	require.NoError(t, err)
	var back Bundle
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, len(b.Entry), len(back.Entry))
	assert.JSONEq(t, string(u.Raw), string(back.Entry[2].Resource.(*Unknown).Raw))

	// A resource that is not an object is an error, not a panic.
	err = json.Unmarshal([]byte(`{"resourceType":"Bundle","entry":[{"resource":"Patient/1"}]}`), &b)
	require.ErrorIs(t, err, ErrNotResource)
}

func TestPatientAge(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		birth string
		age   int
		ok    bool
	}{
		{"1950-06-15", 76, true},
		{"1950-06-16", 75, true},
		{"1950", 75, true},
		{"1950-06", 75, true},
		{"1950-05", 76, true},
		{"2030-01-01", 0, false},
		{"", 0, false},
		{"June 1950", 0, false},
		{"1950-06-15T10:00:00Z", 76, true},
	}
	for _, tt := range tests {
		age, ok := (&Patient{BirthDate: tt.birth}).Age(now)
		assert.Equal(t, tt.ok, ok, tt.birth)
		assert.Equal(t, tt.age, age, tt.birth)
	}
}

func TestReferenceID(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Patient/123":                "123",
		"https://ehr/fhir/Patient/9": "9",
		"Patient/7/_history/2":       "7",
		"abc":                        "abc",
		"":                           "",
	} {
		assert.Equal(t, want, (&Reference{Reference: in}).ID(), in)
	}
	a := "A"
	assert.True(t, errors.Is(checkType(&a, "B"), ErrWrongType))
	assert.True(t, errors.Is(checkType(nil, "B"), ErrNotResource))
}

func TestListFromSingleObject(t *testing.T) {
	t.Parallel()
	var mr MedicationRequest
	require.NoError(t, json.Unmarshal([]byte(`{"resourceType":"MedicationRequest","dosageInstruction":{"doseAndRate":{"doseQuantity":{"value":2,"unit":"mg"}}}}`), &mr))
	require.Len(t, mr.DosageInstruction, 1)
	assert.Equal(t, "2 mg", mr.DosageInstruction[0].Dose().String())
	require.Error(t, json.Unmarshal([]byte(`{"resourceType":"MedicationRequest","dosageInstruction":"daily"}`), &mr))
}

func TestPeekType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{`{"resourceType":"Patient","id":"1"}`, "Patient", true},
		{`{"id":"1","meta":{"resourceType":"X"},"resourceType":"Bundle"}`, "Bundle", true},
		{`{"id":"1"}`, "", false},
		{`{"resourceType":""}`, "", false},
		{`{"resourceType":5}`, "", false},
		{`{"resourceType"`, "", false},
		{`"Patient"`, "", false},
		{``, "", false},
	}
	for _, tt := range tests {
		got, err := PeekType([]byte(tt.in))
		assert.Equal(t, tt.want, got, tt.in)
		if tt.ok {
			assert.NoError(t, err, tt.in)
		} else {
			assert.ErrorIs(t, err, ErrNotResource, tt.in)
		}
	}
	// Duplicate resourceType members: the decoder keeps the last, and the type check sees it.
	var p Patient
	require.ErrorIs(t, json.Unmarshal([]byte(`{"resourceType":"Patient","resourceType":"Observation"}`), &p), ErrWrongType)
	_, err := Decode([]byte(`{"resourceType":"Patient","gender":"male","resourceType":"Observation"}`))
	require.ErrorIs(t, err, ErrWrongType)
	// An unknown type with broken JSON after the resourceType is an error, not an Unknown.
	_, err = Decode([]byte(`{"resourceType":"Foo","x":}`))
	require.Error(t, err)
}

// nestedBundle is a Bundle holding a Bundle holding ... n deep, around one Patient.
func nestedBundle(n int) []byte {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":`)
	}
	b.WriteString(`{"resourceType":"Patient","id":"p1"}`)
	for i := 0; i < n; i++ {
		b.WriteString(`}]}`)
	}
	return []byte(b.String())
}

// Deep nesting is refused before decoding (it would cost time quadratic in its size); the
// nesting real data has still decodes.
func TestDecodeDepthLimit(t *testing.T) {
	_, err := Decode(nestedBundle(3000))
	require.ErrorIs(t, err, ErrTooDeep)
	_, err = Decode(nestedBundle(30)) // 90 JSON levels
	require.ErrorIs(t, err, ErrTooDeep)
	r, err := Decode(nestedBundle(4))
	require.NoError(t, err)
	assert.Equal(t, "Bundle", r.ResourceType())
	// brackets inside strings do not count
	r, err = Decode([]byte(`{"resourceType":"Patient","id":"` + strings.Repeat("[{", 100) + `"}`))
	require.NoError(t, err)
	assert.Equal(t, "Patient", r.ResourceType())
	assert.Equal(t, 3, jsonDepth([]byte(`{"a":[{"b":"\"{[{"}]}`), 10))
}
