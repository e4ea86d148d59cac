package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// The load generator's synthetic patient. Drug codes are RxNorm ingredient RxCUIs as listed
// in rules/ruleset/10-classes.yaml (which cites its sources); lab codes are the LOINC codes
// cds reads (cds/patient.go labKinds). Nothing here comes from a dataset.
const rxnormSystem = "http://www.nlm.nih.gov/research/umls/rxnorm"

type loadDrug struct {
	name, rxcui, dose string
}

var (
	// Eight active medications: five as MedicationRequests, three as MedicationStatements.
	loadActiveRequests = []loadDrug{
		{"warfarin", "11289", "5 mg by mouth once daily"},
		{"lisinopril", "29046", "10 mg by mouth once daily"},
		{"metformin", "6809", "500 mg by mouth twice daily"},
		{"atorvastatin", "83367", "40 mg by mouth at bedtime"},
		{"furosemide", "4603", "20 mg by mouth once daily"},
	}
	loadActiveStatements = []loadDrug{
		{"omeprazole", "7646", "20 mg by mouth once daily"},
		{"sertraline", "36437", "50 mg by mouth once daily"},
		{"allopurinol", "519", "100 mg by mouth once daily"},
	}
	// Two draft orders: an NSAID beside the active warfarin (an interaction), and an
	// aminopenicillin for a patient with a penicillin allergy (an allergy conflict).
	loadDrafts = []loadDrug{
		{"ibuprofen", "5640", "400 mg by mouth three times daily"},
		{"amoxicillin", "723", "500 mg by mouth three times daily"},
	}
	loadAllergies = []loadDrug{
		{"penicillin g", "7980", "hives"},
		{"sulfamethoxazole", "10180", "rash"},
		{"codeine", "2670", "nausea"},
	}
	loadLabs = []struct {
		loinc, display string
		value          float64
		unit           string
	}{
		{"62238-1", "eGFR (CKD-EPI)", 48, "mL/min/{1.73_m2}"},
		{"2823-3", "Potassium [Moles/volume] in Serum or Plasma", 5.2, "mmol/L"},
		{"6301-6", "INR in Platelet poor plasma by Coagulation assay", 2.9, "{INR}"},
	}
)

// payloadGen builds request bodies. Each body depends only on the seed and the request's
// index, so a run is reproducible whatever the order in which requests complete.
type payloadGen struct {
	seed     uint64
	patients int
	today    time.Time
}

func newPayloadGen(seed uint64, patients int) *payloadGen {
	return &payloadGen{seed: seed, patients: patients, today: time.Now().UTC().Truncate(24 * time.Hour)}
}

func (g *payloadGen) patientID(i int) string { return fmt.Sprintf("lt-patient-%03d", i%g.patients) }

func coding(system, code, display string) map[string]any {
	return map[string]any{"coding": []any{map[string]any{"system": system, "code": code, "display": display}}, "text": display}
}

func bundle(resources []any) map[string]any {
	entries := make([]any, len(resources))
	for i, r := range resources {
		entries[i] = map[string]any{"resource": r}
	}
	return map[string]any{"resourceType": "Bundle", "type": "searchset", "total": len(resources), "entry": entries}
}

// orderSign is a CDS Hooks 2.0 order-sign request with everything medscribe asks for in its
// prefetch, so the service never needs to call a FHIR server.
func (g *payloadGen) orderSign(i int) ([]byte, error) {
	pid := g.patientID(i)
	subject := map[string]any{"reference": "Patient/" + pid}
	date := func(daysAgo int) string { return g.today.AddDate(0, 0, -daysAgo).Format("2006-01-02") }
	medReq := func(id, status string, d loadDrug) map[string]any {
		return map[string]any{"resourceType": "MedicationRequest", "id": id, "status": status, "intent": "order",
			"medicationCodeableConcept": coding(rxnormSystem, d.rxcui, d.name), "subject": subject,
			"authoredOn": date(30), "dosageInstruction": []any{map[string]any{"text": d.dose}}}
	}
	var reqs, stmts, allergies, labs []any
	for k, d := range loadActiveRequests {
		reqs = append(reqs, medReq(fmt.Sprintf("lt-mr-%d", k), "active", d))
	}
	for k, d := range loadActiveStatements {
		stmts = append(stmts, map[string]any{"resourceType": "MedicationStatement", "id": fmt.Sprintf("lt-ms-%d", k),
			"status": "active", "medicationCodeableConcept": coding(rxnormSystem, d.rxcui, d.name), "subject": subject,
			"effectiveDateTime": date(90), "dosage": []any{map[string]any{"text": d.dose}}})
	}
	var drafts []any
	for k, d := range loadDrafts {
		// A fresh id per call: every call signs new orders, as an EHR would.
		drafts = append(drafts, medReq(fmt.Sprintf("lt-draft-%d-%d", i, k), "draft", d))
	}
	for k, a := range loadAllergies {
		allergies = append(allergies, map[string]any{"resourceType": "AllergyIntolerance", "id": fmt.Sprintf("lt-al-%d", k),
			"clinicalStatus":     coding("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active", "Active"),
			"verificationStatus": coding("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed", "Confirmed"),
			"type":               "allergy", "category": []string{"medication"},
			"code":     coding(rxnormSystem, a.rxcui, a.name),
			"patient":  subject,
			"reaction": []any{map[string]any{"manifestation": []any{map[string]any{"text": a.dose}}}}})
	}
	for k, l := range loadLabs {
		labs = append(labs, map[string]any{"resourceType": "Observation", "id": fmt.Sprintf("lt-lab-%d", k), "status": "final",
			"category":          []any{coding("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory", "Laboratory")},
			"code":              coding("http://loinc.org", l.loinc, l.display),
			"subject":           subject,
			"effectiveDateTime": date(3) + "T08:00:00Z",
			"valueQuantity":     map[string]any{"value": l.value, "unit": l.unit, "system": "http://unitsofmeasure.org", "code": l.unit}})
	}
	conditions := []any{map[string]any{"resourceType": "Condition", "id": "lt-cond-0", "subject": subject,
		"clinicalStatus": coding("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"),
		"code":           map[string]any{"text": "atrial fibrillation"}}}
	req := map[string]any{
		"hook":         "order-sign",
		"hookInstance": fmt.Sprintf("lt-%016x-%08d", g.seed, i),
		"context": map[string]any{
			"userId": "Practitioner/lt-practitioner-1", "patientId": pid, "encounterId": fmt.Sprintf("lt-enc-%d", i),
			"draftOrders": bundle(drafts),
		},
		"prefetch": map[string]any{
			"patient":     map[string]any{"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": "1949-04-17"},
			"medications": bundle(reqs),
			"statements":  bundle(stmts),
			"allergies":   bundle(allergies),
			"conditions":  bundle(conditions),
			"labs":        bundle(labs),
		},
	}
	return json.Marshal(req)
}

// visit is a POST /v1/visits body: a synthetic follow-up dialogue of about 1,300 words.
func (g *payloadGen) visit(runID string, i int) ([]byte, error) {
	type turn struct {
		Index   int    `json:"index"`
		Speaker string `json:"speaker"`
		Text    string `json:"text"`
	}
	var turns []turn
	for k, t := range syntheticDialogue(g.seed, i, 1300) {
		sp := "doctor"
		if k%2 == 1 {
			sp = "patient"
		}
		turns = append(turns, turn{Index: k, Speaker: sp, Text: t})
	}
	return json.Marshal(map[string]any{
		"external_id": fmt.Sprintf("loadtest-%s-%07d", runID, i),
		"patient_id":  g.patientID(i),
		"turns":       turns,
	})
}

// Dialogue fragments: written for the load generator (no dataset text). {m} is a medication,
// {s} a symptom, {d} a duration, {n} a number, {b} a body part.
var (
	dlgDoctor = []string{
		"Good morning, what brings you in today?",
		"How long has the {s} been going on?",
		"Does anything make the {s} better or worse?",
		"Are you still taking the {m} every day as prescribed?",
		"Have you noticed any side effects from the {m}?",
		"Let me take a look at your {b}. Tell me if this hurts.",
		"Your blood pressure today is {n} over {n2}, which is a little higher than last time.",
		"Have you had any bleeding, bruising or black stools since we started the {m}?",
		"I would like to check your kidney function and potassium with a blood test this week.",
		"Any chest pain, shortness of breath, or swelling in your ankles?",
		"How are you sleeping, and how is your mood overall?",
		"I am going to adjust the dose of the {m} and we will recheck in {d}.",
		"Please avoid over-the-counter anti-inflammatory painkillers while you are on the blood thinner.",
		"Do you have any allergies to medications that I should know about?",
		"How much water are you drinking during the day?",
		"Let us review your home glucose readings from the last {d}.",
		"I will send the new prescription to your pharmacy today.",
		"If the {s} gets worse or you feel faint, please call the clinic or go to the emergency department.",
		"Are you able to walk for {n3} minutes without stopping?",
		"We will schedule a follow-up visit in {d} to see how you are doing.",
	}
	dlgPatient = []string{
		"I have had {s} for about {d} now and it is not going away.",
		"It gets worse in the evening, especially after I have been on my feet.",
		"Yes, I take the {m} every morning with breakfast.",
		"Sometimes I forget the evening dose, maybe once or twice a week.",
		"I have been using some ibuprofen for my {b} when the pain is bad.",
		"No bleeding that I have noticed, but I do bruise a bit more easily.",
		"I am allergic to penicillin, I got hives the last time I had it.",
		"My ankles swell up a little by the end of the day.",
		"I have been sleeping poorly, waking up two or three times each night.",
		"My readings at home have been around {n4} in the mornings.",
		"I walk the dog for about {n3} minutes most days.",
		"The {s} started after I changed to the new {m} tablets.",
		"I feel a little dizzy when I stand up too quickly.",
		"I have cut down on salt, but it is hard when eating out.",
		"My daughter helps me sort my pills into a weekly box.",
		"I had a bad stomach for {d} but that has settled now.",
		"No chest pain, but I do get short of breath climbing stairs.",
		"I would rather not add another tablet if we can avoid it.",
		"The pharmacy said the {m} might interact with something else I take.",
		"Okay, that sounds like a good plan to me.",
	}
	dlgMeds      = []string{"warfarin", "lisinopril", "metformin", "atorvastatin", "furosemide", "omeprazole", "sertraline", "allopurinol"}
	dlgSymptoms  = []string{"headache", "knee pain", "tiredness", "cough", "back pain", "dizziness", "heartburn", "leg cramps"}
	dlgDurations = []string{"two days", "a week", "three weeks", "a month", "two months", "six weeks"}
	dlgParts     = []string{"knee", "lower back", "shoulder", "ankle", "hip", "wrist"}
)

// syntheticDialogue makes alternating doctor/patient turns until about words words.
func syntheticDialogue(seed uint64, i, words int) []string {
	rng := rand.New(rand.NewPCG(seed, uint64(i)))
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	fill := func(s string) string {
		return strings.NewReplacer(
			"{m}", pick(dlgMeds), "{s}", pick(dlgSymptoms), "{d}", pick(dlgDurations), "{b}", pick(dlgParts),
			"{n}", fmt.Sprint(120+rng.IntN(40)), "{n2}", fmt.Sprint(70+rng.IntN(25)),
			"{n3}", fmt.Sprint(10+rng.IntN(40)), "{n4}", fmt.Sprint(6+rng.IntN(5)),
		).Replace(s)
	}
	var turns []string
	n := 0
	for k := 0; n < words; k++ {
		pool := dlgDoctor
		if k%2 == 1 {
			pool = dlgPatient
		}
		// One to three sentences per turn.
		parts := make([]string, 1+rng.IntN(3))
		for j := range parts {
			parts[j] = fill(pick(pool))
		}
		t := strings.Join(parts, " ")
		n += len(strings.Fields(t))
		turns = append(turns, t)
	}
	return turns
}
