package nlp

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/visit"
)

// Generic findings and injuries are named with the place they are at, as a clinician lists
// them; a wrong or missing site changes what the item means.
func TestSites(t *testing.T) {
	t.Parallel()
	e := testEngine(t)
	tests := []struct {
		name    string
		lines   []string
		concept string
		want    visit.Assertion // "" means not reported under that name
	}{
		{"ruled-out fracture named by the imaged site, no side", []string{"d: the x-ray of your right knee shows no fracture ."}, "knee fracture", visit.Absent},
		{"a bare fracture takes the visit's main site", []string{"p: my right knee hurts .", "d: okay .", "p: the right knee is swollen .", "d: there's no fracture ."}, "knee fracture", visit.Absent},
		{"not the bare word", []string{"p: my right knee hurts .", "d: there's no fracture ."}, "fracture", ""},
		{"a present injury carries its side and site", []string{"d: you've got a contusion on your right index finger ."}, "right index finger contusion", visit.Present},
		{"the site said before, through fillers", []string{"d: the diagnosis would be a right hand , uh , index finger contusion ."}, "right index finger contusion", visit.Present},
		{"coordinated sites are two findings", []string{"d: there is no tenderness at the sternoclavicular or acromioclavicular joints ."}, "acromioclavicular joint tenderness", visit.Absent},
		{"the first of them too", []string{"d: there is no tenderness at the sternoclavicular or acromioclavicular joints ."}, "sternoclavicular joint tenderness", visit.Absent},
		{"the specific joint over a generic one", []string{"d: no tenderness over your proximal joint or your metacarpophalangeal joint ."}, "metacarpophalangeal joint tenderness", visit.Absent},
		{"the exam being read out names the sign", []string{"d: next , let me examine your abdomen .", "p: okay .", "d: is there any tenderness where i'm pressing ?", "p: no ."}, "abdominal tenderness", visit.Absent},
		{"a finding that names its own place takes no exam site", []string{"d: on your neck exam there is no rash ."}, "rash", visit.Absent},
		{"the noun pain with its site, answered", []string{"d: any other pain down here in your calves ?", "p: no ."}, "calf pain", visit.Absent},
		{"a pronoun points at the site just named", []string{"d: so your left knee pain , i think you just have some arthritis in that ."}, "left knee arthritis", visit.Present},
		{"a term naming its site takes the visit's side and its coded entry", []string{"p: my right elbow hurts .", "d: this is consistent with medial epicondylitis ."}, "medial epicondylitis of right elbow", visit.Present},
		{"a finding is named as said", []string{"d: did you injure yourself anywhere else ?", "p: no ."}, "injury", visit.Absent},
		{"and with its site", []string{"d: have you ever had any type of injury to that knee ?", "p: no ."}, "knee injury", visit.Absent},
		{"a four-letter plural is a site", []string{"d: there is no swelling in your legs ."}, "leg swelling", visit.Absent},
		{"a site inside another finding's name is not this one's", []string{"d: any chest pain , or any swelling ?", "p: no ."}, "swelling", visit.Absent},
		{"a finding not at a site takes none", []string{"d: there is no nausea over your abdomen ."}, "nausea", visit.Absent},
		{"a named injury is not given a site", []string{"p: my left knee hurts .", "d: you have a meniscus strain ."}, "meniscus strain", visit.Present},
		{"the visit's side is not written into a term naming its site", []string{"p: my right foot hurts .", "d: you have a diabetic foot ulcer ."}, "diabetic foot ulcer", visit.Present},
		{"\"on the right\" alone names no site", []string{"d: you have a diabetic foot ulcer on the right ."}, "diabetic foot ulcer", visit.Present},
		{"a hesitation after a negation does not end it", []string{"d: the x-ray of your left knee shows there's no , um , fracture ."}, "knee fracture", visit.Absent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := extractOK(t, e, dialogueOf(tt.lines...))
			assert.Equal(t, tt.want, assertionOf(res, tt.concept), "problems %v findings %v", res.Problems, res.Findings)
		})
	}
}

func TestSitedCodes(t *testing.T) {
	e := testEngine(t)
	res := extractOK(t, e, dialogueOf("p: my right elbow hurts .", "d: this is consistent with medial epicondylitis ."))
	p := problemNamed(res, "medial epicondylitis of right elbow")
	require.NotNil(t, p)
	require.NotNil(t, p.Code)
	assert.Equal(t, "M77.01", p.Code.Code, "the lateral entry's code, not the unspecified one")

	// A generic term placed at a site has no code: the generic one would not fit it.
	res = extractOK(t, e, dialogueOf("d: there is no tenderness over the right knee ."))
	for _, f := range res.Findings {
		if f.Text == "knee tenderness" {
			assert.Nil(t, f.Code)
		}
	}

	// A bare fracture talked about before the doctor names it is the same fracture.
	res = extractOK(t, e, dialogueOf("d: there is evidence of a fracture of the wrist .", "d: you have a colles fracture ."))
	require.NotNil(t, problemNamed(res, "colles fracture"))
	for _, p := range res.Problems {
		if p.Text != "colles fracture" {
			assert.NotContains(t, p.Text, "fracture", "one fracture, named once")
		}
	}
}

// Conditions the doctor lists as risks, words that contain a condition's name without naming
// it, and relative "what" clauses are read for what they are.
func TestNotConditions(t *testing.T) {
	t.Parallel()
	e := testEngine(t)
	tests := []struct {
		name    string
		lines   []string
		concept string
		want    visit.Assertion
	}{
		{"risks of surgery are not conditions", []string{"d: there are some risks i have to tell you about with surgery . uh , infection , seizure , bleeding , and even a stroke , or death ."}, "stroke", ""},
		{"a condition before the risks still is", []string{"d: you had a stroke last year . the risks of surgery include bleeding ."}, "stroke", visit.Present},
		{"a shock wave procedure is not shock", []string{"d: lithotripsy is a shock wave procedure ."}, "shock", ""},
		{"flu like symptoms are not influenza", []string{"p: i had some flu like symptoms ."}, "influenza", ""},
		{"influenza still is", []string{"p: i had the flu last week ."}, "influenza", visit.Present},
		{"a relative what is not a question", []string{"d: let me tell you what that means for your heart failure ."}, "heart failure", visit.Present},
		{"what we call", []string{"d: there's no evidence of what we call pneumonia ."}, "pneumonia", visit.Absent},
		{"a real what question waits for its answer", []string{"d: what about any chest pain ?", "p: no ."}, "chest pain", visit.Absent},
		{"a repeated word is one word", []string{"p: i have had shortness of of breath ."}, "shortness of breath", visit.Present},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := extractOK(t, e, dialogueOf(tt.lines...))
			assert.Equal(t, tt.want, assertionOf(res, tt.concept), "problems %v findings %v", res.Problems, res.Findings)
		})
	}
}
