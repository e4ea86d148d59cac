package transcript_test

import (
	"fmt"

	"github.com/medscribe/medscribe/ingest/transcript"
)

func ExampleParse() {
	dialogue := []byte(`Speaker 1: Hi, what brings you in today? Any fever?
Speaker 2: I've been coughing for a week and my chest hurts.
Speaker 1: Let's listen to your lungs. I'm going to order a chest x-ray.
`)
	tr, err := transcript.Parse("visit.txt", dialogue, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, turn := range tr.Turns {
		fmt.Println(turn.Index, turn.Speaker)
	}
	// Output:
	// 0 doctor
	// 1 patient
	// 2 doctor
}

func ExampleParse_error() {
	_, err := transcript.Parse("visit.json", []byte("{\"turns\": [\n  {\"speaker\": \"Doctor\"}\n]}"), nil)
	fmt.Println(err)
	// Output:
	// visit.json:2: malformed input: turns[0]: missing text
}

func ExampleGroupInputs() {
	inputs, _ := transcript.GroupInputs([]string{"in/c01_doctor.TextGrid", "in/c01_patient.TextGrid", "in/v2.txt"})
	for _, in := range inputs {
		fmt.Println(in.ExternalID, in.Paths)
	}
	// Output:
	// c01 [in/c01_doctor.TextGrid in/c01_patient.TextGrid]
	// v2 [in/v2.txt]
}
