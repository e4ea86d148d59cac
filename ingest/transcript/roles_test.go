package transcript

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/visit"
)

// TestInferRolesStrippedLabels: the same dialogue with its labels replaced by generic ones,
// in either order, gets the roles back.
func TestInferRolesStrippedLabels(t *testing.T) {
	t.Parallel()
	labelled, err := Parse("aci_style.txt", readFixture(t, "aci_style.txt"), nil)
	require.NoError(t, err)
	for _, names := range [][2]string{{"Speaker 1", "Speaker 2"}, {"SPEAKER_01", "SPEAKER_00"}, {"Person B", "Person A"}} {
		text := ""
		for _, turn := range labelled.Turns {
			switch turn.Speaker {
			case visit.Doctor:
				text += names[0] + ": " + turn.Text + "\n"
			case visit.Patient:
				text += names[1] + ": " + turn.Text + "\n"
			}
		}
		tr, err := Parse("stripped.txt", []byte(text), nil)
		require.NoError(t, err)
		var got []visit.Speaker
		for _, turn := range tr.Turns {
			got = append(got, turn.Speaker)
		}
		assert.Equal(t, []visit.Speaker{visit.Doctor, visit.Patient, visit.Doctor, visit.Patient, visit.Doctor}, got, "labels %v", names)
	}
}

func TestInferRolesSingleSpeaker(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want visit.Speaker
	}{
		{"Speaker 1: Hello.\nSpeaker 1: Fine.\n", visit.Unknown},
		{"Speaker 1: How are you? Any fever? Let's examine your chest. I'm going to order an x-ray and I want you to take your inhaler.\n", visit.Doctor},
		{"Speaker 1: I've been coughing for weeks and my chest hurts. I was up all night, I feel awful, my throat is raw.\n", visit.Patient},
	}
	for _, tt := range tests {
		tr, err := Parse("one.txt", []byte(tt.text), nil)
		require.NoError(t, err)
		for _, turn := range tr.Turns {
			assert.Equal(t, tt.want, turn.Speaker, "%q", tt.text)
		}
	}
}

// TestInferRolesPerTurn covers mono speech-recognition output: no labels at all.
func TestInferRolesPerTurn(t *testing.T) {
	t.Parallel()
	u := visit.Unknown
	tr := visit.Transcript{Turns: []visit.Turn{
		{Speaker: u, Text: "Good morning, what brings you in today? Have you had any fever?"},
		{Speaker: u, Text: "I've been coughing for a week and my chest hurts."},
		{Speaker: u, Text: "at night mostly"},
		{Speaker: u, Text: "Let's listen to your lungs. I'm going to order a chest x-ray."},
		{Speaker: visit.Other, Text: "She hasn't slept."},
	}}
	InferRoles(&tr)
	var got []visit.Speaker
	for _, turn := range tr.Turns {
		got = append(got, turn.Speaker)
	}
	assert.Equal(t, []visit.Speaker{visit.Doctor, visit.Patient, visit.Patient, visit.Doctor, visit.Other}, got)

	lone := visit.Transcript{Turns: []visit.Turn{{Speaker: u, Text: "okay"}}}
	InferRoles(&lone)
	assert.Equal(t, visit.Unknown, lone.Turns[0].Speaker)
	InferRoles(nil) // must not panic
}

func TestLabelRole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		label string
		role  visit.Speaker
		ok    bool
	}{
		{"Doctor", visit.Doctor, true}, {"DR.", visit.Doctor, true}, {"Dr. Smith", visit.Doctor, true},
		{"physician", visit.Doctor, true}, {"Clinician", visit.Doctor, true},
		{"Patient", visit.Patient, true}, {"pt", visit.Patient, true},
		{"patient_guest", visit.Other, true}, {"Nurse", visit.Other, true},
		{"Guest_clinician", visit.Other, true}, {"Guest_family_1", visit.Other, true}, {"Doctor_2", visit.Doctor, true},
		{"Speaker 1", "", false}, {"SPEAKER_00", "", false}, {"Maria", "", false},
	}
	for _, tt := range tests {
		r, ok := labelRole(tt.label)
		assert.Equal(t, tt.ok, ok, tt.label)
		assert.Equal(t, tt.role, r, tt.label)
	}
}
