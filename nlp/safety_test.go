package nlp

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/visit"
)

// dialogue builds a transcript from "d: ..." / "p: ..." lines.
func dialogueOf(lines ...string) visit.Transcript {
	var tr visit.Transcript
	for i, l := range lines {
		sp := visit.Doctor
		if strings.HasPrefix(l, "p: ") {
			sp = visit.Patient
		}
		tr.Turns = append(tr.Turns, visit.Turn{Index: i, Speaker: sp, Text: l[3:]})
	}
	return tr
}

func extractOK(t *testing.T, e *Engine, tr visit.Transcript) *Result {
	t.Helper()
	res, err := e.Extract(context.Background(), tr)
	require.NoError(t, err)
	rec := visit.Record{Transcript: tr, Problems: res.Problems, Medications: res.Medications,
		Orders: res.Orders, Allergies: res.Allergies, Findings: res.Findings}
	require.NoError(t, rec.Validate(), "evidence must quote its turn exactly")
	return res
}

func assertionOf(res *Result, name string) visit.Assertion {
	for _, f := range res.Findings {
		if f.Text == name {
			return f.Assertion
		}
	}
	for _, p := range res.Problems {
		if p.Text == name {
			return p.Assertion
		}
	}
	return ""
}

func TestAssertion(t *testing.T) {
	t.Parallel()
	e := testEngine(t)
	tests := []struct {
		name    string
		lines   []string
		concept string
		want    visit.Assertion // "" means not reported at all
	}{
		{"plain negation", []string{"p: i have no chest pain ."}, "chest pain", visit.Absent},
		{"denies", []string{"d: she denies fever or chills ."}, "fever", visit.Absent},
		{"negation list", []string{"p: no fever , no nausea , no chest pain ."}, "nausea", visit.Absent},
		{"haven't had", []string{"p: i haven't had any shortness of breath ."}, "shortness of breath", visit.Absent},
		{"negation ends at but", []string{"p: no fever but i have chest pain ."}, "chest pain", visit.Present},
		{"negation before but holds", []string{"p: no fever but i have chest pain ."}, "fever", visit.Absent},
		{"post negation", []string{"d: the test for pneumonia was negative ."}, "pneumonia", visit.Absent},
		{"doctor asks, patient says no", []string{"d: any chest pain ?", "p: no ."}, "chest pain", visit.Absent},
		{"patient says nope", []string{"d: have you had any fevers ?", "p: nope"}, "fever", visit.Absent},
		{"patient says not really", []string{"d: any nausea ?", "p: not really ."}, "nausea", visit.Absent},
		{"no applies to every item asked", []string{"d: any chest pain or shortness of breath ?", "p: no"}, "shortness of breath", visit.Absent},
		{"no, but own complaint", []string{"d: any chest pain ?", "p: no , but i get headaches ."}, "headache", visit.Present},
		{"no, but question still denied", []string{"d: any chest pain ?", "p: no , but i get headaches ."}, "chest pain", visit.Absent},
		{"hesitant no", []string{"d: any issues with nausea ?", "p: uh , no ."}, "nausea", visit.Absent},
		{"patient says yes", []string{"d: any fever ?", "p: yeah , a little ."}, "fever", visit.Present},
		{"unanswered question is not a finding", []string{"d: any nausea ?", "p: i wanted to ask about my knee ."}, "nausea", ""},
		{"answer only binds the previous doctor turn", []string{"d: any nausea ?", "p: i'm not sure .", "d: ok .", "p: no ."}, "nausea", ""},
		{"family", []string{"p: my mother had breast cancer ."}, "breast cancer", visit.Family},
		{"family post", []string{"p: high blood pressure runs in my family ."}, "hypertension", visit.Family},
		{"hypothetical is not asserted", []string{"d: if you develop a fever , call me ."}, "fever", ""},
		{"possible", []string{"d: this is probably pneumonia ."}, "pneumonia", visit.Possible},
		{"rule out", []string{"d: we need to rule out a fracture ."}, "fracture", visit.Possible},
		{"ruled out by doctor", []string{"d: you do not have a fracture ."}, "fracture", visit.Absent},
		{"present", []string{"p: i've had chest pain for two days ."}, "chest pain", visit.Present},
		{"a determiner no after a filler still negates", []string{"d: there's no , um , fracture ."}, "fracture", visit.Absent},
		{"an answer's no opens its sentence", []string{"d: any fever ?", "p: no , i feel fine ."}, "fever", visit.Absent},
		{"review of systems item by item", []string{"d: fever , no . nausea , yes ."}, "fever", visit.Absent},
		{"review of systems yes", []string{"d: fever , no . nausea , yes ."}, "nausea", visit.Present},
		{"body site names a generic finding", []string{"d: there is no tenderness over the right knee ."}, "knee tenderness", visit.Absent},
		{"the exam's site names a generic finding", []string{"d: on abdominal exam there is no tenderness to palpation ."}, "abdominal tenderness", visit.Absent},
		{"a site after a finding needs a preposition", []string{"d: no lower edema , your shoulders look fine ."}, "shoulder swelling", ""},
		{"lower before a swelling is the legs", []string{"d: no lower swelling ."}, "lower extremity swelling", visit.Absent},
		{"the doctor's exam overrides an answered question", []string{"d: is there any swelling ?", "p: yeah .", "d: okay so no swelling on exam ."}, "swelling", visit.Absent},
		{"the patient's own words beat the doctor's", []string{"p: i still get some swelling .", "d: no swelling today ."}, "swelling", visit.Present},
		{"a denied condition is a pertinent negative", []string{"d: any asthma ?", "p: no ."}, "asthma", visit.Absent},
		{"a verb is not a finding", []string{"p: it rashes when i scratch ."}, "rash", ""},
		{"the noun still is", []string{"p: i have rashes everywhere ."}, "rash", visit.Present},
		{"a title is not a concept", []string{"d: ms. smith is here today ."}, "multiple sclerosis", ""},
		{"the abbreviation still is", []string{"p: i was diagnosed with ms in 2010 ."}, "multiple sclerosis", visit.Present},
		{"abbreviation", []string{"d: history of htn ."}, "hypertension", visit.Present},
		{"title with period before a name is not ms", []string{"d: hello , ms. garcia , good to see you ."}, "multiple sclerosis", ""},
		{"title without period before a name is not ms", []string{"d: good morning Ms Garcia , come on in ."}, "multiple sclerosis", ""},
		{"asr title before a name is not ms", []string{"d: hi ms garcia , how are things ."}, "multiple sclerosis", ""},
		{"title after thanks is not ms", []string{"p: thank you ms , see you soon ."}, "multiple sclerosis", ""},
		{"ms in clinical context still is", []string{"p: my ms has been stable on the infusions ."}, "multiple sclerosis", visit.Present},
		{"ms in a list of conditions still is", []string{"d: she has htn and ms ."}, "multiple sclerosis", visit.Present},
		{"allergy reaction is not a problem", []string{"d: any drug allergies ?", "p: yes , penicillin gives me hives ."}, "hives", ""},
		{"present beats a later denial", []string{"p: i've had chest pain since monday .", "d: no chest pain today ?", "p: no ."}, "chest pain", visit.Present},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := extractOK(t, e, dialogueOf(tt.lines...))
			assert.Equal(t, tt.want, assertionOf(res, tt.concept))
		})
	}
}

func medOf(res *Result, name string) *visit.Medication {
	for i := range res.Medications {
		if res.Medications[i].Text == name {
			return &res.Medications[i]
		}
	}
	return nil
}

func TestMedications(t *testing.T) {
	t.Parallel()
	e := testEngine(t)
	s := func(v string) *string { return &v }
	tests := []struct {
		name   string
		lines  []string
		drug   string
		status visit.MedStatus // "" means the drug must not be listed
		dose   *string
		freq   *string
	}{
		{"active with dose and frequency", []string{"p: i take lisinopril 20 mg once a day ."}, "lisinopril", visit.MedActive, s("20 mg"), s("daily")},
		{"implied unit from bare strength", []string{"p: i'm still taking the lisinopril 20 a day ."}, "lisinopril", visit.MedActive, s("20 mg"), s("daily")},
		{"brand to generic", []string{"p: i'm on lasix 40 mg twice a day ."}, "furosemide", visit.MedActive, s("40 mg"), s("twice daily")},
		{"spoken dose", []string{"p: i take twenty milligrams of lisinopril ."}, "lisinopril", visit.MedActive, s("20 mg"), nil},
		{"spoken dose after", []string{"d: start metformin five hundred milligrams twice a day ."}, "metformin", visit.MedNew, s("500 mg"), s("twice daily")},
		{"spoken decimal", []string{"p: i take amlodipine two point five milligrams daily ."}, "amlodipine", visit.MedActive, s("2.5 mg"), s("daily")},
		{"thousands separator", []string{"p: metformin 1,000 mg b.i.d ."}, "metformin", visit.MedActive, s("1000 mg"), s("twice daily")},
		{"no invented dose", []string{"p: i take lisinopril every day ."}, "lisinopril", visit.MedActive, nil, s("daily")},
		{"a year is not a dose", []string{"p: i've been on lisinopril 2019 ."}, "lisinopril", visit.MedActive, nil, nil},
		{"a duration is not a dose", []string{"d: take ibuprofen for 5 days ."}, "ibuprofen", visit.MedNew, nil, nil},
		{"every n hours as needed", []string{"d: you can take ibuprofen 600 mg every 6 hours as needed ."}, "ibuprofen", visit.MedNew, s("600 mg"), s("every 6 hours as needed")},
		{"prn abbreviation", []string{"p: i use ibuprofen prn ."}, "ibuprofen", visit.MedActive, nil, s("as needed")},
		{"changed dose wins", []string{"p: i take lasix 40 mg a day .", "d: let's increase the lasix to 80 mg once a day ."}, "furosemide", visit.MedChanged, s("80 mg"), s("daily")},
		{"pronoun carries the change", []string{"p: i take lasix 40 mg a day .", "d: let's increase it to 80 mg once a day ."}, "furosemide", visit.MedChanged, s("80 mg"), s("daily")},
		{"pronoun carries a stop", []string{"p: i take ibuprofen for my knee .", "d: ok , please stop it ."}, "ibuprofen", visit.MedStopped, nil, nil},
		{"a pronoun far away is not the drug", []string{"p: i take ibuprofen for my knee .", "d: ok .", "p: yes .", "d: please stop it ."}, "ibuprofen", visit.MedActive, nil, nil},
		{"new prescription", []string{"d: i'm going to prescribe atorvastatin 40 mg at night ."}, "atorvastatin", visit.MedNew, s("40 mg"), s("at bedtime")},
		{"stop", []string{"d: stop taking the ibuprofen ."}, "ibuprofen", visit.MedStopped, nil, nil},
		{"patient stopped", []string{"p: i stopped the aspirin last month ."}, "aspirin", visit.MedStopped, nil, nil},
		{"historical", []string{"p: i used to take metformin ."}, "metformin", visit.MedHistorical, nil, nil},
		{"considered by doctor", []string{"d: we could consider atorvastatin at some point ."}, "atorvastatin", visit.MedConsidered, nil, nil},
		{"doctor's option is not taken", []string{"d: another option would be warfarin ."}, "warfarin", visit.MedConsidered, nil, nil},
		{"negated is not listed", []string{"p: i'm not on any aspirin ."}, "aspirin", "", nil, nil},
		{"doctor's stop beats the patient's use", []string{"p: i've been taking advil 400 mg three times a day .", "d: that raises your bleeding risk on coumadin , so i want you to stop taking the advil ."}, "ibuprofen", visit.MedStopped, s("400 mg"), s("three times daily")},
		{"a drug that raises a risk is not changed", []string{"d: and you're still on the coumadin ?", "p: yes , coumadin 5 mg every evening .", "d: advil with coumadin raises your risk of bleeding ."}, "warfarin", visit.MedActive, s("5 mg"), nil},
		{"a later stop beats an earlier change", []string{"p: i take lasix 40 mg a day .", "d: let's increase the lasix to 80 mg .", "p: it makes me dizzy .", "d: ok , then stop the lasix for now ."}, "furosemide", visit.MedStopped, s("80 mg"), s("daily")},
		{"an allergen named in an answer is not a medication", []string{"d: any allergies to medicines ?", "p: yes , penicillin gives me hives ."}, "penicillin", "", nil, nil},
		{"a confirmed allergen is not a medication", []string{"d: you're allergic to penicillin . any other allergies ?", "p: nope , just penicillin ."}, "penicillin", "", nil, nil},
		{"might in a nearby aside does not make a drug considered", []string{"d: continue the atorvastatin , you might call it lipitor , and also continue the lisinopril 20 mg daily ."}, "lisinopril", visit.MedActive, s("20 mg"), s("daily")},
		{"insulin implied units", []string{"p: lantus 20 at night ."}, "insulin glargine", visit.MedActive, s("20 units"), s("at bedtime")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := extractOK(t, e, dialogueOf(tt.lines...))
			m := medOf(res, tt.drug)
			if tt.status == "" {
				assert.Nil(t, m)
				return
			}
			require.NotNil(t, m, "medication %s not found in %+v", tt.drug, res.Medications)
			assert.Equal(t, tt.status, m.Status)
			assert.Equal(t, tt.dose, m.Dose, "dose")
			assert.Equal(t, tt.freq, m.Frequency, "frequency")
			if tt.drug != "insulin glargine" { // the test vocabulary leaves its code null
				require.NotNil(t, m.Code)
				assert.Equal(t, visit.SystemRxNorm, m.Code.System)
			}
		})
	}
}

func TestOrdersAndAllergies(t *testing.T) {
	t.Parallel()
	e := testEngine(t)
	tests := []struct {
		name      string
		lines     []string
		orders    []string // kind:text
		allergies []string // substance[:reaction]
	}{
		{"lab and imaging", []string{"d: i'll order a lipid panel and a chest x-ray ."}, []string{"lab:lipid panel", "imaging:chest x-ray"}, nil},
		{"conditional is not an order", []string{"d: if it's not better in two weeks we'll get an mri ."}, nil, nil},
		{"a result is not an order", []string{"d: your last a1c was 7.2 ."}, nil, nil},
		{"question is not an order", []string{"d: have you had an echo before ?"}, nil, nil},
		{"an option is not an order", []string{"d: we could do an echo at some point ."}, nil, nil},
		{"one order named twice", []string{"d: let's get an mri .", "d: i'll order the mri with contrast ."}, []string{"imaging:mri"}, nil},
		{"follow up", []string{"d: let's follow up in three months ."}, []string{"followup:follow up in 3 months"}, nil},
		{"come back in", []string{"d: we'll have you come back in about a week ."}, []string{"followup:follow up in 1 week"}, nil},
		{"interval before the cue", []string{"d: so in a month you come back and we'll see ."}, []string{"followup:follow up in 1 month"}, nil},
		{"follow up range", []string{"d: i'll see you back in 1 to 2 weeks ."}, []string{"followup:follow up in 1 to 2 weeks"}, nil},
		{"referral", []string{"d: i'm going to refer you to cardiology ."}, []string{"referral:cardiology"}, nil},
		{"other plan", []string{"d: i want you to start physical therapy and wear a knee brace ."}, []string{"other:physical therapy", "other:brace"}, nil},
		{"prescription is a medication order", []string{"d: i'm going to start you on metformin 500 mg twice a day ."}, []string{"medication:metformin"}, nil},
		{"otc advice is not an order", []string{"d: you can take ibuprofen as needed ."}, nil, nil},
		{"nkda", []string{"d: no known drug allergies ."}, nil, []string{"none known"}},
		{"allergy question answered no", []string{"d: any allergies to medications ?", "p: no ."}, nil, []string{"none known"}},
		{"allergy with reaction", []string{"p: i'm allergic to penicillin , i get hives ."}, nil, []string{"penicillin:hives"}},
		{"uncoded substance kept as said", []string{"p: i'm allergic to sulfa , it gives me a rash ."}, nil, []string{"sulfa:rash"}},
		{"stated allergy beats none known", []string{"d: you're allergic to penicillin . any other allergies ?", "p: no ."}, nil, []string{"penicillin"}},
		{"allergic to nothing named", []string{"p: i'm allergic to , um , what's it called ."}, nil, nil},
		{"not allergic", []string{"p: i'm not allergic to penicillin ."}, nil, nil},
		{"allergy named in answer to the question", []string{"d: any allergies to medications ?", "p: yes , penicillin gives me hives ."}, nil, []string{"penicillin:hives"}},
		{"allergy answer without reaction", []string{"d: do you have any allergies ?", "p: penicillin , i think ."}, nil, []string{"penicillin"}},
		{"a known allergy confirmed with just", []string{"d: you're allergic to penicillin . any other allergies ?", "p: nope , just penicillin ."}, nil, []string{"penicillin"}},
		{"a drug in a no answer is not an allergy", []string{"d: any allergies ?", "p: no , i take lisinopril though ."}, nil, []string{"none known"}},
		{"conditional after an order in the same sentence", []string{"d: i'll order an x-ray of the left knee , and if it's not better in six weeks we'll get an mri ."}, []string{"imaging:knee x-ray"}, nil},
		{"imaging named with its site", []string{"d: let's get an x-ray of your right knee ."}, []string{"imaging:knee x-ray"}, nil},
		{"imaging site not in the vocabulary is composed", []string{"d: i'm going to order an x-ray of the back ."}, []string{"imaging:back x-ray"}, nil},
		{"follow up is not also a procedure", []string{"d: let's follow up in six weeks ."}, []string{"followup:follow up in 6 weeks"}, nil},
		{"an order before the next clause's continue", []string{"d: i'll order a hemoglobin a1c and continue the metformin ."}, []string{"lab:hemoglobin a1c"}, nil},
		{"a lab named as a purpose is not an order", []string{"d: i'd like a basic metabolic panel to check your potassium ."}, []string{"lab:basic metabolic panel"}, nil},
		{"a later order after a purpose is", []string{"d: i'll order an a1c to see if we need to adjust , and i'm also going to order a lipid panel ."}, []string{"lab:hemoglobin a1c", "lab:lipid panel"}, nil},
		{"a yes-no question is not an order", []string{"d: okay and have you been getting a lipid panel every year"}, nil, nil},
		{"another doctor's past order is not an order", []string{"p: they ordered a chest x-ray at urgent care ."}, nil, nil},
		{"a plan floated with might is not an order", []string{"d: we might do some physical therapy for that ."}, nil, nil},
		{"put you in a brace", []string{"d: i'm going to put you in a knee brace ."}, []string{"other:brace"}, nil},
		{"interval well before the cue", []string{"d: in a month we want you to come back ."}, []string{"followup:follow up in 1 month"}, nil},
		{"pollen with allergies talked about", []string{"d: how is your breathing with the allergies ?", "p: bad when the pollen is high ."}, nil, []string{"pollen"}},
		{"pollen without allergies is not an allergy", []string{"p: the pollen was bad this spring ."}, nil, nil},
		{"a denial of allergies beats pollen in passing", []string{"d: any allergies ?", "p: no .", "p: the pollen was bad this spring ."}, nil, []string{"none known"}},
		{"family allergy is not the patient's", []string{"p: my son is allergic to penicillin ."}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := extractOK(t, e, dialogueOf(tt.lines...))
			var got []string
			for _, o := range res.Orders {
				got = append(got, string(o.Kind)+":"+o.Text)
			}
			assert.ElementsMatch(t, tt.orders, got, "orders")
			got = nil
			for _, a := range res.Allergies {
				s := a.Substance
				if a.Reaction != nil {
					s += ":" + *a.Reaction
				}
				got = append(got, s)
			}
			assert.ElementsMatch(t, tt.allergies, got, "allergies")
		})
	}
}

func TestEvidenceMergesAcrossMentions(t *testing.T) {
	t.Parallel()
	e := testEngine(t)
	res := extractOK(t, e, dialogueOf("p: i take Zestril 10 mg .", "d: ok , continue the lisinopril ."))
	m := medOf(res, "lisinopril")
	require.NotNil(t, m)
	require.Len(t, m.Evidence, 2)
	assert.Equal(t, "Zestril 10 mg", m.Evidence[0].Quote)
	assert.Equal(t, 1, m.Evidence[1].Turn)
	assert.Len(t, res.Medications, 1, "one medication per ingredient")
}

func TestConcepts(t *testing.T) {
	t.Parallel()
	e := testEngine(t)
	text := "Chest Pains and HTN, on Lasix."
	cs := e.Concepts(text)
	require.Len(t, cs, 3)
	want := []string{"chest pain", "hypertension", "furosemide"}
	for i, c := range cs {
		assert.Equal(t, want[i], c.Entry.Term)
		assert.Equal(t, text[c.Start:c.End], c.Text)
	}
	assert.Equal(t, "Chest Pains", cs[0].Text)
}

func TestExtractCanceledContext(t *testing.T) {
	t.Parallel()
	e := testEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.Extract(ctx, dialogueOf("p: hi"))
	require.ErrorIs(t, err, context.Canceled)
}

func TestExtractConcurrent(t *testing.T) {
	t.Parallel()
	e := testEngine(t)
	tr := loadDialogue(t, "testdata/bench_dialogue.txt")
	want := extractOK(t, e, tr)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			got, err := e.Extract(context.Background(), tr)
			if err == nil && len(got.Medications) != len(want.Medications) {
				err = fmt.Errorf("got %d medications, want %d", len(got.Medications), len(want.Medications))
			}
			errs <- err
		}()
	}
	for range 8 {
		require.NoError(t, <-errs)
	}
}

func problemNamed(res *Result, name string) *visit.Problem {
	for i := range res.Problems {
		if res.Problems[i].Text == name {
			return &res.Problems[i]
		}
	}
	return nil
}

func problemOf(res *Result, name string) visit.Assertion {
	if p := problemNamed(res, name); p != nil {
		return p.Assertion
	}
	return ""
}

// TestProblemList checks what becomes a problem: the presenting complaint and assessed,
// hedged diagnoses do; a symptom only answered to a question, or an allergy's reaction, does not.
func TestProblemList(t *testing.T) {
	t.Parallel()
	e := testEngine(t)
	opening := []string{"d: hi ms garcia , what brings you in ?",
		"p: my left knee has been killing me for a couple of weeks .",
		"d: any swelling ?", "p: a little swelling at night .",
		"d: any allergies to medications ?", "p: yes , penicillin gives me hives ."}
	tests := []struct {
		name    string
		lines   []string
		problem string
		want    visit.Assertion // "" means not a problem
	}{
		{"site with a pain verb is the chief complaint, with its side", opening, "left knee pain", visit.Present},
		{"a symptom answered once is not a problem", opening, "swelling", ""},
		{"an allergy reaction is not a problem", opening, "hives", ""},
		{"a title is not multiple sclerosis", opening, "multiple sclerosis", ""},
		{"a bare tear to rule out is the named structure's tear", []string{"d: most likely a medial meniscus strain , but i'd like to rule out a tear ."}, "meniscus tear", visit.Possible},
		{"a bare tear without a structure is nothing", []string{"d: i'd like to rule out a tear ."}, "meniscus tear", ""},
		{"hedged diagnosis is possible", []string{"d: this is most likely a medial meniscus strain ."}, "meniscus strain", visit.Possible},
		{"a pain verb in a doctor's question is not a complaint", []string{"d: does your back hurt ?", "p: i'm not sure ."}, "back pain", ""},
		{"an assessed exam finding is a problem", []string{"d: on heart exam i do hear a soft systolic murmur ."}, "heart murmur", visit.Present},
		{"the doctor's statement of the complaint", []string{"d: i understand you've come in with some right knee pain ."}, "right knee pain", visit.Present},
		{"a tag question is a statement", []string{"d: the echo shows the heart failure you have , okay ?"}, "heart failure", visit.Present},
		{"a general name folds into the specific one", []string{"p: i have severe asthma .", "d: your asthma is better today ."}, "severe asthma", visit.Present},
		{"the folded general name is not listed again", []string{"p: i have severe asthma .", "d: your asthma is better today ."}, "asthma", ""},
		{"a condition the patient denies is not a problem", []string{"d: any asthma ?", "p: no ."}, "asthma", ""},
		{"a condition the doctor rules out is", []string{"d: you do not have pneumonia ."}, "pneumonia", visit.Absent},
		{"a simile is not a diagnosis", []string{"p: it felt like i was having a heart attack ."}, "myocardial infarction", ""},
		{"family asked about", []string{"d: anyone in your family with asthma ?", "p: yes , my aunt ."}, "asthma", visit.Family},
		{"family asked about, answered with something else", []string{"d: anyone in your family with heart failure ?", "p: my father had asthma ."}, "heart failure", ""},
		{"family asked about, answered with a relative", []string{"d: any family history of breast cancer ?", "p: my mother ."}, "breast cancer", visit.Family},
		{"family asked about, answered no", []string{"d: anyone in your family with heart failure ?", "p: no ."}, "heart failure", ""},
		{"a denied site pain is not a problem", []string{"p: my back doesn't hurt at all , it's my chest pain that's bad ."}, "back pain", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := extractOK(t, e, dialogueOf(tt.lines...))
			assert.Equal(t, tt.want, problemOf(res, tt.problem), "problems: %+v", res.Problems)
		})
	}
}
