package transcript

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGroupInputs(t *testing.T) {
	t.Parallel()
	got, err := GroupInputs([]string{
		"in/day1_consultation01_patient.TextGrid",
		"in/a.txt",
		"in/day1_consultation01_doctor.TextGrid",
		"in/visit.wav",
		"in/lonely_doctor.TextGrid",
		"in/a.txt",
		"other/day1_consultation02_doctor.TextGrid",
	})
	require.NoError(t, err)
	assert.Equal(t, []Input{
		{ExternalID: "day1_consultation01", Paths: []string{"in/day1_consultation01_doctor.TextGrid", "in/day1_consultation01_patient.TextGrid"}},
		{ExternalID: "a", Paths: []string{"in/a.txt"}},
		{ExternalID: "visit", Paths: []string{"in/visit.wav"}},
		{ExternalID: "lonely_doctor", Paths: []string{"in/lonely_doctor.TextGrid"}},
		{ExternalID: "day1_consultation02_doctor", Paths: []string{"other/day1_consultation02_doctor.TextGrid"}},
	}, got)

	_, err = GroupInputs([]string{"x/a.txt", "y/a.json"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `same external id "a"`)
}
