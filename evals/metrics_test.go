package evals

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/visit"
)

func TestDivideNote(t *testing.T) {
	note := "CHIEF COMPLAINT\n\nKnee pain.\n\nHISTORY OF PRESENT ILLNESS\nHurts.\n\nPHYSICAL EXAM\nTender.\n\nRESULTS\nX-ray normal.\n\nIMPRESSION\nStrain.\n\nPLAN\nIce."
	got := DivisionTexts(note)
	assert.Equal(t, "CHIEF COMPLAINT\n\nKnee pain.\n\nHISTORY OF PRESENT ILLNESS\nHurts.\n\n", got["subjective"])
	assert.Equal(t, "PHYSICAL EXAM\nTender.\n\n", got["objective_exam"])
	assert.Equal(t, "RESULTS\nX-ray normal.\n\n", got["objective_results"])
	// IMPRESSION in capitals opens assessment and plan; PLAN stays inside it.
	assert.Equal(t, "IMPRESSION\nStrain.\n\nPLAN\nIce.", got["assessment_and_plan"])

	// No header at all: everything is subjective.
	assert.Equal(t, map[string]string{"subjective": "just text\nmore"}, DivisionTexts("just text\nmore"))
	// "exam :" needs its colon unless alone on the line; lower-case "impression" is not a header.
	got = DivisionTexts("HPI\nx\nexamination of the knee was done\nimpression: fine\nExam\ny")
	assert.Equal(t, "HPI\nx\nexamination of the knee was done\nimpression: fine\n", got["subjective"])
	assert.Equal(t, "Exam\ny", got["objective_exam"])
}

func TestDivisionScoringIsBenchmarkCompatible(t *testing.T) {
	s := ScoreNote("CHIEF COMPLAINT\nKnee pain.", "CHIEF COMPLAINT\nKnee pain.", nil)
	// Both notes lack an exam: the benchmark compares "#####EMPTY#####" with itself, one
	// token "empty": ROUGE-1 1, ROUGE-2 0 (no bigrams).
	assert.Equal(t, 1.0, s.Divisions["objective_exam"].Rouge1.F)
	assert.Equal(t, 0.0, s.Divisions["objective_exam"].Rouge2.F)
	assert.InDelta(t, 1.0, s.Divisions["subjective"].Rouge1.F, 1e-12)
	// Newlines become "__lf1__", so rougeLsum equals rougeL within a division.
	s = ScoreNote("HPI\na b c\nd e", "HPI\nd e\na b c", nil)
	assert.Equal(t, s.Divisions["subjective"].RougeL, s.Divisions["subjective"].RougeLsum)
}

type fakeNorm map[string]string

func (f fakeNorm) Canonical(term string) (string, bool) {
	k, ok := f[normName(term)]
	return k, ok
}

func sp(s string) *string { return &s }

func TestScoreExtraction(t *testing.T) {
	g := &Gold{EncounterID: "E1",
		Medications: []GoldMedication{
			{Name: "furosemide", RxCUI: sp("4603"), Status: "changed", Dose: sp("80 mg"), Frequency: sp("daily")},
			{Name: "lisinopril", Status: "active", Dose: sp("20 mg")},
			{Name: "metformin", Status: "active"},
		},
		Problems:        []GoldProblem{{Name: "hypertension", ICD10: sp("I10"), Assertion: "present"}, {Name: "knee fractures", Assertion: "absent"}},
		NegatedFindings: []GoldFinding{{Name: "chest pain"}, {Name: "fever"}},
		Orders:          []GoldOrder{{Kind: "lab", Name: "hemoglobin a1c"}},
		Allergies:       []GoldAllergy{{Substance: "penicillin"}},
	}
	rx := func(c string) *visit.Code { return &visit.Code{System: visit.SystemRxNorm, Code: c} }
	rec := &visit.Record{
		Medications: []visit.Medication{
			{Text: "lasix", Code: rx("4603"), Status: visit.MedChanged, Dose: sp("80 MG"), Frequency: sp("daily")}, // by code
			{Text: "Zestril", Status: visit.MedNew, Dose: sp("20 mg")},                                             // by synonym
			{Text: "aspirin", Status: visit.MedActive},                                                             // spurious
		},
		Problems: []visit.Problem{
			{Text: "high blood pressure", Code: &visit.Code{System: visit.SystemICD10CM, Code: "I10"}, Assertion: visit.Present},
			{Text: "knee fracture", Assertion: visit.Possible}, // plural-insensitive name match, wrong assertion
		},
		Findings: []visit.Finding{{Text: "Chest pain", Assertion: visit.Absent}, {Text: "cough", Assertion: visit.Present}},
		Orders:   []visit.Order{{Kind: visit.OrderLab, Text: "Hemoglobin A1c"}},
	}
	s := ScoreExtraction(g, rec, fakeNorm{"zestril": "lisinopril", "lisinopril": "lisinopril"})
	assert.Equal(t, Counts{TP: 2, FP: 1, FN: 1}, s.Counts["medication"])
	assert.Equal(t, Counts{TP: 2}, s.Counts["problem"])
	assert.Equal(t, Counts{TP: 1, FN: 1}, s.Counts["negated_finding"])
	assert.Equal(t, Counts{TP: 1}, s.Counts["order"])
	assert.Equal(t, Counts{FN: 1}, s.Counts["allergy"])
	assert.Equal(t, Accuracy{Correct: 1, Total: 2}, s.Attributes["medication_status"])
	assert.Equal(t, Accuracy{Correct: 2, Total: 2}, s.Attributes["medication_dose"])
	assert.Equal(t, Accuracy{Correct: 1, Total: 2}, s.Attributes["problem_assertion"])
	assert.Contains(t, s.Missed, ItemMiss{"medication", "metformin"})
	assert.Contains(t, s.Spurious, ItemMiss{"medication", "aspirin"})

	// Without the synonym table "Zestril" does not match lisinopril.
	s2 := ScoreExtraction(g, rec, nil)
	assert.Equal(t, Counts{TP: 1, FP: 2, FN: 2}, s2.Counts["medication"])

	f := SummarizeExtraction([]ExtractionScore{s}).Figures()
	assert.InDelta(t, 2.0/3, f["medication_f1"], 1e-12)
	assert.InDelta(t, 0.5, f["medication_status_accuracy"], 1e-12)
	// all types: TP 6, FP 1, FN 3 -> P 6/7, R 6/9
	assert.InDelta(t, fmeasure(6.0/7, 6.0/9), f["extraction_f1"], 1e-12)
}

func TestGroundingAndOmissions(t *testing.T) {
	tr := visit.Transcript{Turns: []visit.Turn{{Index: 0, Speaker: visit.Doctor, Text: "continue lisinopril 20 mg"}}}
	good := visit.Evidence{Turn: 0, Start: 9, End: 19, Quote: "lisinopril"}
	bad := visit.Evidence{Turn: 0, Start: 0, End: 4, Quote: "nope"}
	rec := &visit.Record{Transcript: tr,
		Medications: []visit.Medication{{Text: "lisinopril", Evidence: []visit.Evidence{good}}, {Text: "x"}},
		Note: visit.Note{Sections: []visit.Section{{Sentences: []visit.Sentence{
			{Text: "Continue lisinopril.", Evidence: []visit.Evidence{good}},
			{Text: "Invented.", Evidence: []visit.Evidence{bad}},
			{Text: "No evidence."},
		}}}},
	}
	g := ScoreGrounding(rec)
	assert.Equal(t, Grounding{Sentences: 3, UngroundedSentences: 2, Items: 2, UngroundedItems: 1, InvalidEvidence: 1}, g)
	assert.InDelta(t, 2.0/3, g.SentenceRate(), 1e-12)

	gold := &Gold{Medications: []GoldMedication{{Name: "lisinopril"}, {Name: "furosemide"}}, Problems: []GoldProblem{{Name: "heart failure"}}}
	o := ScoreOmissions(gold, "Continue Zestril. History of heart failure.", fakeNorm{"zestril": "lisinopril", "lisinopril": "lisinopril"})
	assert.Equal(t, 3, o.GoldItems)
	assert.Equal(t, 1, o.Omitted)
	assert.Equal(t, []ItemMiss{{"medication", "furosemide"}}, o.Items)
}

func TestWER(t *testing.T) {
	assert.Equal(t, []string{"dont", "know", "what", "brings", "you"}, NormalizeForWER("Um, I- <UNSURE>don't</UNSURE> know... <UNIN/> what BRINGS you?")[1:])
	c := ScoreWER("the cat sat on the mat", "the cat sat on mat today")
	// two edits either way (two substitutions, or a deletion and an insertion)
	assert.InDelta(t, 2.0/6, c.WER(), 1e-12)
	assert.Equal(t, WERCounts{Ref: 4, Deletions: 1}, ScoreWER("a b c d", "a c d"))
	assert.Equal(t, WERCounts{Ref: 2, Insertions: 1}, ScoreWER("a b", "a b c"))
	c = ScoreWER("a b c", "a x c")
	assert.Equal(t, WERCounts{Ref: 3, Substitutions: 1}, c)
	var tot WERCounts
	tot.Add(ScoreWER("a b", "a b"))
	tot.Add(ScoreWER("c d", "c"))
	assert.InDelta(t, 0.25, tot.WER(), 1e-12)
	assert.Equal(t, 0.0, ScoreWER("", "").WER())
}

func TestScoreAlerts(t *testing.T) {
	s := ScoreAlerts([]AlertCase{
		{ID: "c1", Expected: []string{"ddi-warfarin-nsaid"}, Got: []string{"ddi-warfarin-nsaid"}, Latency: 2 * time.Millisecond},
		{ID: "c2", Expected: []string{"allergy-penicillin"}, Got: nil, Latency: 4 * time.Millisecond},
		{ID: "c3", Expected: nil, Got: []string{"dup-therapy"}, Latency: 1 * time.Millisecond},
		{ID: "c4", Expected: nil, Got: nil, Latency: 10 * time.Millisecond},
	})
	assert.Equal(t, Counts{TP: 1, FP: 1, FN: 1}, s.Counts)
	assert.Equal(t, []string{"c2", "c3"}, s.Failed)
	assert.Equal(t, 2*time.Millisecond, s.P50)
	assert.Equal(t, 10*time.Millisecond, s.P95)
	assert.Equal(t, 10*time.Millisecond, s.Max)
	assert.InDelta(t, 0.5, s.Figures()["alert_f1"], 1e-12)

	rep := &Report{Schema: ReportSchema, Suite: "cds", Datasets: []DatasetReport{AlertsDataset("rules", "rules/testdata", []AlertCase{
		{ID: "c1", Expected: []string{"a"}, Got: []string{"a"}, Latency: 30 * time.Millisecond}})}}
	g, err := ParseGate("alert_latency_p95_ms <= 20")
	require.NoError(t, err)
	rep.Finish([]Gate{g})
	assert.False(t, rep.Passed)
	assert.Nil(t, rep.Baselines, "no note baselines without notes")
	assert.True(t, LowerIsBetter("alert_latency_p95_ms"))
}

func TestConceptScore(t *testing.T) {
	assert.Equal(t, PRF{1, 1, 1}, ConceptScore(nil, nil))
	p := ConceptScore([]string{"a", "b", "b", "c"}, []string{"a", "d"})
	assert.InDelta(t, 0.5, p.Precision, 1e-12)
	assert.InDelta(t, 1.0/3, p.Recall, 1e-12)
}

func TestGates(t *testing.T) {
	g, err := ParseGate("aci-valid/medication_f1 >= 0.9")
	require.NoError(t, err)
	assert.Equal(t, Gate{Expr: "aci-valid/medication_f1 >= 0.9", Dataset: "aci-valid", Metric: "medication_f1", Op: ">=", Threshold: 0.9}, g)
	_, err = ParseGate("rouge1 => 4")
	assert.Error(t, err)

	ds := []DatasetReport{{Name: "a", Metrics: map[string]float64{"rouge1": 50, "omission_rate": 0.2}}, {Name: "b", Metrics: map[string]float64{"rouge1": 40}}}
	var gates []Gate
	for _, x := range []string{"rouge1 >= 45", "omission_rate <= 0.25", "medication_f1 >= 0.9"} {
		g, err := ParseGate(x)
		require.NoError(t, err)
		gates = append(gates, g)
	}
	res := CheckGates(gates, ds)
	require.Len(t, res, 4)
	assert.True(t, res[0].Passed)  // a: 50
	assert.False(t, res[1].Passed) // b: 40
	assert.True(t, res[2].Passed)
	assert.False(t, res[3].Passed) // metric nobody reports: fails, not skipped
	assert.Contains(t, res[3].Problem, "not reported")
}

func TestASRSuite(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	write("ref.csv", "id,dialogue\nA1,\"[doctor] how are you today\n[patient] fine thanks\"\nA2,\"[doctor] any pain\"\n")
	write("hyp.csv", "id,dialogue\nA1,\"[doctor] how are you to day\n[patient] fine thanks\"\nA2,\"[doctor] any pain\"\n")
	write("s.yaml", "name: asr\ndatasets:\n  - {name: a, kind: asr, path: hyp.csv, reference: ref.csv}\ngates: [\"wer <= 0.2\"]\n")
	s, err := LoadSuite(filepath.Join(dir, "s.yaml"))
	require.NoError(t, err)
	rep, err := RunSuite(context.Background(), s, nil)
	require.NoError(t, err)
	// A1: "today" -> "to day": 1 substitution + 1 insertion over 6 words; A2: 0 of 2.
	assert.InDelta(t, 2.0/8, rep.Datasets[0].Metrics["wer"], 1e-12)
	assert.False(t, rep.Passed)

	write("hyp.csv", "id,dialogue\nA1,\"x\"\n")
	_, err = RunSuite(context.Background(), s, nil)
	assert.ErrorContains(t, err, `encounter "A2" has no hypothesis transcript`)
}

// Names match regardless of word order and function words, never by containment: a name
// missing a stated laterality or site does not match the fuller one.
func TestNameMatchContentWords(t *testing.T) {
	m := matcher{}
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"colles fracture of right wrist", "right wrist colles fracture", true},
		{"osteoarthritis of knee", "knee osteoarthritis", true},
		{"pop in the knee", "pop in knee", true},
		{"knee fractures", "Fracture of the knee", true},
		{"knee pain", "right knee pain", false},
		{"fracture", "knee fracture", false},
		{"sternoclavicular joint tenderness", "tenderness", false},
		{"of the", "in a", false}, // no content words: no bag to compare
	} {
		assert.Equal(t, c.want, m.nameMatch(c.a, c.b), "%q vs %q", c.a, c.b)
	}
}
