package note

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/visit"
)

func TestRewrite(t *testing.T) {
	cases := []struct {
		raw  string
		sp   visit.Speaker
		sex  string
		want string
	}{
		{"i've been taking lisinopril twenty milligrams a day", visit.Patient, "male", "He has been taking lisinopril 20 mg a day."},
		{"um , i take metformin five hundred milligrams twice a day .", visit.Patient, "female", "She takes metformin 500 mg twice a day."},
		{"okay so , my knee , uh , my knee hurts when i walk .", visit.Patient, "", "The patient's knee, their knee hurts when the patient walks."},
		{"i do n't smoke and i'm not gon na start", visit.Patient, "male", "He doesn't smoke and he is not going to start."},
		{"your lungs are clear and you have no edema", visit.Doctor, "female", "Her lungs are clear and she has no edema."},
		{"i'm going to order an mri of your right knee , okay ?", visit.Doctor, "male", "I will order an mri of his right knee."},
		{"i want you to ice it twice a day", visit.Doctor, "female", "I want her to ice it twice a day."},
		{"blood pressure is one twenty over eighty", visit.Doctor, "", "Blood pressure is 120 over 80."},
		{"the the x-ray shows a fracture", visit.Doctor, "", "The x-ray shows a fracture."},
		{"yeah , you know , it's one of those things", visit.Patient, "", "It's one of those things."},
		{"great . let's see you back in three months .", visit.Doctor, "female", "Let's see her back in 3 months."},
		{"let's see , what else , your blood pressure is fine", visit.Doctor, "male", "What else, his blood pressure is fine."},
	}
	for _, tc := range cases {
		t.Run(tc.raw, func(t *testing.T) {
			got := rewrite(tc.raw, tc.sp, pronounsFor(tc.sex))
			assert.Equal(t, tc.want, got)
			ev := []visit.Evidence{{Quote: tc.raw}}
			assert.Empty(t, unsupportedWords(got, ev), "a rewrite only drops words or swaps function words")
		})
	}
}

// Social talk is in no section of a note.
func TestPleasantriesLeftOut(t *testing.T) {
	tr := visit.Transcript{Turns: []visit.Turn{
		{Index: 0, Speaker: visit.Doctor, Text: "hi , ms. okafor , it's nice to see you again ."},
		{Index: 1, Speaker: visit.Patient, Text: "i have had a cough for two weeks and some fevers at night ."},
	}}
	for _, c := range candidates(&tr) {
		assert.NotContains(t, c.raw, "nice to see you")
	}
	assert.True(t, pleasantry("Good to see you again, Mr. Lee."))
	assert.False(t, pleasantry("i see some swelling in your knee"))
}

func TestParseNumber(t *testing.T) {
	cases := []struct {
		in   string
		want string
	}{
		{"five hundred milligrams", "500 mg"},
		{"twenty five", "25"},
		{"one thousand", "1000"},
		{"three hundred twenty", "320"},
		{"one two", "1 2"},
		{"a hundred", "a hundred"},
		{"eight point one", "8 point 1"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, strings.Join(canonical(strings.Fields(tc.in)), " "), tc.in)
	}
}

func TestSupported(t *testing.T) {
	ev := func(q ...string) []visit.Evidence {
		var out []visit.Evidence
		for i, s := range q {
			out = append(out, visit.Evidence{Turn: i, Quote: s})
		}
		return out
	}
	cases := []struct {
		name     string
		sentence string
		ev       []visit.Evidence
		want     bool
	}{
		{"spoken numbers and units", "He takes lisinopril 20 mg daily.", ev("i take lisinopril twenty milligrams a day"), true},
		{"invented dose", "He takes lisinopril 40 mg daily.", ev("i take lisinopril twenty milligrams a day"), false},
		{"invented drug", "He takes lisinopril and metformin.", ev("i take lisinopril"), false},
		{"denial resting on a no", "She denies chest pain.", ev("any chest pain ?", "no ."), true},
		{"denial without a no", "She denies chest pain.", ev("any chest pain ?", "yes , sometimes ."), false},
		{"verb agreement", "She takes it and feels better.", ev("i take it and i feel better"), true},
		{"no evidence", "Hypertension.", nil, false},
		{"function words only", "She is.", ev("she is"), false},
		{"extra known words", "The patient is a 58-year-old male.", ev("58 years old"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, supported(tc.sentence, tc.ev, nil))
		})
	}
	assert.True(t, supported("The patient is a 58-year-old male.", ev("58 years old"), map[string]bool{"male": true}))
}

func TestSplitSentences(t *testing.T) {
	text := "i take 2.5 mg . it helps ? yes"
	var got []string
	for _, s := range splitSentences(text) {
		got = append(got, text[s.start:s.end])
	}
	assert.Equal(t, []string{"i take 2.5 mg .", "it helps ?", "yes"}, got)

	long := strings.Repeat("word ", 20) + "okay " + strings.Repeat("more ", 20)
	got = nil
	for _, s := range splitSentences(long) {
		got = append(got, long[s.start:s.end])
	}
	require.Len(t, got, 2, "an unpunctuated run is cut at a discourse marker")
	assert.True(t, strings.HasPrefix(got[1], "okay"))
}

func TestFindAge(t *testing.T) {
	cases := []struct {
		text, quote string
		age         int
		sex         string
	}{
		{"she is a 50-year-old female with diabetes", "50-year-old female", 50, "female"},
		{"this is a fifty eight year old man here for", "fifty eight year old man", 58, "male"},
		{"my son is 7 years old and she is a 7-year-old", "7-year-old", 7, ""},
	}
	for _, tc := range cases {
		tr := visit.Transcript{Turns: []visit.Turn{{Index: 0, Speaker: visit.Doctor, Text: tc.text}}}
		a := findAge(&tr)
		require.NotNil(t, a, tc.text)
		assert.Equal(t, tc.age, a.age)
		assert.Equal(t, tc.sex, a.sex)
		assert.Equal(t, tc.quote, a.ev.Quote)
		require.NoError(t, tr.CheckEvidence(a.ev))
	}
}

func TestLearnReproducibleOnFixtures(t *testing.T) {
	var exs []Example
	for _, name := range []string{"knee", "diabetes", "contradictory", "patient_only", "knee", "diabetes"} {
		tr := loadDialogue(t, name)
		var note strings.Builder
		note.WriteString("HISTORY OF PRESENT ILLNESS\n\n")
		for _, turn := range tr.Turns {
			if turn.Speaker == visit.Patient {
				note.WriteString(rewrite(turn.Text, visit.Patient, pronounsFor("")) + "\n")
			}
		}
		note.WriteString("\nASSESSMENT AND PLAN\n\n")
		for _, turn := range tr.Turns[len(tr.Turns)/2:] {
			if turn.Speaker == visit.Doctor {
				note.WriteString(rewrite(turn.Text, visit.Doctor, pronounsFor("")) + "\n")
			}
		}
		exs = append(exs, Example{ID: name, Transcript: tr, Note: note.String()})
	}
	a, err := Learn(exs, &LearnConfig{MinDocs: 2, Source: "fixtures"})
	require.NoError(t, err)
	b, err := Learn(exs, &LearnConfig{MinDocs: 2, Source: "fixtures"})
	require.NoError(t, err)
	require.Equal(t, a.Marshal(), b.Marshal(), "same input, same bytes")
	m, err := loadModel(a.Marshal())
	require.NoError(t, err)
	require.Equal(t, a.Weights, m.Weights, "the file round-trips")
	// Words seen in fewer than MinDocs encounters are not learned.
	for f := range m.Weights {
		if strings.HasPrefix(f, "w:") {
			assert.NotEqual(t, "w:penicillin", f)
		}
	}
	_, err = Learn(exs[:2], nil)
	require.Error(t, err)
}

func TestShippedModel(t *testing.T) {
	m, err := loadModel(modelJSON)
	require.NoError(t, err)
	require.NotNil(t, m, "note/data/sections.json must hold the learned model")
	assert.Equal(t, modelFormat, m.Format)
	assert.Greater(t, len(m.Weights), 500)
	assert.Equal(t, string(modelJSON), string(m.Marshal()), "the shipped file is in canonical form")
	// Weights only: no feature holds more than a word.
	for f := range m.Weights {
		assert.NotContains(t, f, " ", "feature %q", f)
	}
}

func TestReadACI(t *testing.T) {
	csv := "dataset,encounter_id,dialogue,note\nx,E1,\"[doctor] hi .\n[patient] hello .\ncontinued line\n[patient_guest] me too\",\"CHIEF COMPLAINT\n\nCough.\"\n"
	exs, err := ReadACI(strings.NewReader(csv))
	require.NoError(t, err)
	require.Len(t, exs, 1)
	assert.Equal(t, "E1", exs[0].ID)
	tr := exs[0].Transcript
	require.Len(t, tr.Turns, 3)
	assert.Equal(t, "hello . continued line", tr.Turns[1].Text)
	assert.Equal(t, visit.Other, tr.Turns[2].Speaker)
	_, err = ReadACI(strings.NewReader("a,b\n1,2\n"))
	require.Error(t, err)
}

// syntheticVisit is an ACI-BENCH-sized dialogue (~1300 words) built from the fixtures.
func syntheticVisit(b testing.TB) visit.Transcript { return longVisit(b, 1300) }

func BenchmarkOfflineDraft(b *testing.B) {
	d, err := New(nil)
	require.NoError(b, err)
	in := Input{Transcript: syntheticVisit(b)}
	words := 0
	for _, t := range in.Transcript.Turns {
		words += len(strings.Fields(t.Text))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := d.Draft(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "notes/s")
	b.ReportMetric(float64(words), "words/visit")
}

func ExampleDrafter_Draft() {
	d, _ := New(&Config{Template: "full"})
	tr := ParseDialogue("[doctor] what brings you in ?\n[patient] i've had a cough for three days .\n[doctor] any fever ?\n[patient] no .")
	n, st, _ := d.Draft(context.Background(), Input{Transcript: tr})
	fmt.Print(n.Text)
	fmt.Println(st.Engine, st.Unsupported)
	// Output:
	// HISTORY OF PRESENT ILLNESS
	//
	// The patient has had a cough for 3 days.
	// The patient denies fever.
	// offline 0
}
