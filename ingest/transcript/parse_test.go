package transcript

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/visit"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// turnWant is a turn's role and the start of its text.
type turnWant struct {
	speaker visit.Speaker
	prefix  string
}

func checkTurns(t *testing.T, tr visit.Transcript, want []turnWant) {
	t.Helper()
	require.Len(t, tr.Turns, len(want), "turns: %+v", tr.Turns)
	for i, w := range want {
		got := tr.Turns[i]
		assert.Equal(t, i, got.Index)
		assert.Equal(t, w.speaker, got.Speaker, "turn %d (%q)", i, got.Text)
		assert.True(t, strings.HasPrefix(got.Text, w.prefix), "turn %d text %q, want prefix %q", i, got.Text, w.prefix)
	}
	for i, turn := range tr.Turns {
		assert.True(t, turn.Speaker.Valid(), "turn %d speaker %q", i, turn.Speaker)
	}
}

func TestParseFormats(t *testing.T) {
	t.Parallel()
	D, P, O, U := visit.Doctor, visit.Patient, visit.Other, visit.Unknown
	tests := []struct {
		file   string
		format Format
		want   []turnWant
	}{
		{"aci_style.txt", FormatText, []turnWant{
			{D, "hi , ms. rivera"}, {P, "not great"}, {D, "okay . is it"},
			{P, "mostly dry . it gets worse at night and sometimes it keeps me awake ."},
			{O, "she has been coughing"}, {D, "alright . let's"}}},
		{"inline_tags.txt", FormatText, []turnWant{
			{D, "hello how are you today"}, {P, "i'm fine thanks"}, {D, "what brings you in"}, {P, "my knee"}}},
		{"colon_prefixes.txt", FormatText, []turnWant{
			{D, "Good morning."}, {P, "I've been"}, {D, "How long"}, {P, "About a month"}, {D, "Any nausea"}, {P, "No, nothing"}}},
		{"generic_speakers.txt", FormatText, []turnWant{
			{D, "Hi there"}, {P, "Hi. I've been"}, {D, "I'm sorry"}, {P, "Sometimes"}, {D, "Okay. Let's"}, {P, "Okay, thank you."}}},
		{"diarised.txt", FormatText, []turnWant{
			{P, "Yeah, I've been"}, {D, "How long"}, {P, "A couple"}, {D, "Alright."}, {P, "Just my"}, {O, "He forgets"}}},
		{"names.txt", FormatText, []turnWant{
			{D, "Hello John"}, {P, "Not bad."}, {D, "What numbers"}, {P, "Mostly around one sixty. I forget my evening dose sometimes. Note: follow up"}}},
		{"timestamps.txt", FormatText, []turnWant{{D, "Hello, come in."}, {P, "Thanks"}, {O, "Tell me about the rash."}}},
		{"turns.json", FormatJSON, []turnWant{{D, "What seems"}, {P, "My throat"}, {D, "Open wide"}, {O, "She has had"}}},
		{"turns_generic.json", FormatJSON, []turnWant{{D, "Hi, what"}, {P, "I've been"}, {D, "Let's"}, {P, "Okay. I was"}}},
		{"record.json", FormatJSON, []turnWant{{D, "How is"}, {P, "Much better"}}},
		{"voices.vtt", FormatVTT, []turnWant{{D, "Good afternoon."}, {P, "I've had a rash on my arm for a week. It itches & burns at night."}, {D, "Let me take a look."}}},
		{"prefixes.vtt", FormatVTT, []turnWant{{D, "How are you"}, {P, "My stomach has been hurting since Monday. I had some nausea too."}, {D, "Let's examine"}}},
		{"dialogue.srt", FormatSRT, []turnWant{{D, "Have you had"}, {P, "Only when"}, {D, "We'll get an ECG today."}}},
		{"visit7_doctor.TextGrid", FormatTextGrid, []turnWant{{D, "Hello, come in. What brings you here today?"}, {D, `And how long has the "pressure" lasted?`}}},
		{"short_format.TextGrid", FormatTextGrid, []turnWant{{D, "Do you have any allergies"}, {P, "My rash started"}}},
		{"single_generic.TextGrid", FormatTextGrid, []turnWant{{U, "Hello."}, {U, "Bye."}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			data := readFixture(t, tt.file)
			assert.Equal(t, tt.format, DetectFormat(tt.file, data))
			tr, err := Parse(tt.file, data, nil)
			require.NoError(t, err)
			checkTurns(t, tr, tt.want)
		})
	}
}

func TestParseTimes(t *testing.T) {
	t.Parallel()
	times := func(tr visit.Transcript) [][2]int64 {
		var out [][2]int64
		for _, turn := range tr.Turns {
			require.NotNil(t, turn.StartMS)
			require.NotNil(t, turn.EndMS)
			out = append(out, [2]int64{*turn.StartMS, *turn.EndMS})
		}
		return out
	}
	tr, err := Parse("voices.vtt", readFixture(t, "voices.vtt"), nil)
	require.NoError(t, err)
	assert.Equal(t, [][2]int64{{500, 3000}, {3200, 8000}, {68100, 70000}}, times(tr))

	tr, err = Parse("dialogue.srt", readFixture(t, "dialogue.srt"), nil)
	require.NoError(t, err)
	assert.Equal(t, [][2]int64{{1000, 2500}, {2800, 4000}, {4500, 6000}}, times(tr))

	tr, err = Parse("turns.json", readFixture(t, "turns.json"), nil)
	require.NoError(t, err)
	assert.Equal(t, [][2]int64{{0, 1800}, {1900, 3100}, {3200, 4000}, {4100, 5200}}, times(tr))

	tr, err = Parse("timestamps.txt", readFixture(t, "timestamps.txt"), nil)
	require.NoError(t, err)
	var starts []int64
	for _, turn := range tr.Turns {
		require.NotNil(t, turn.StartMS)
		starts = append(starts, *turn.StartMS)
		assert.Nil(t, turn.EndMS)
	}
	assert.Equal(t, []int64{1000, 4000, 12000}, starts)

	tr, err = Parse("aci_style.txt", readFixture(t, "aci_style.txt"), nil)
	require.NoError(t, err)
	assert.Nil(t, tr.Turns[0].StartMS, "plain text without stamps has no times")
}

func TestParseTextGridPair(t *testing.T) {
	t.Parallel()
	doc, pat := readFixture(t, "visit7_doctor.TextGrid"), readFixture(t, "visit7_patient.TextGrid")
	tr, err := ParseTextGridPair("visit7_doctor.TextGrid", doc, "visit7_patient.TextGrid", pat, nil)
	require.NoError(t, err)
	checkTurns(t, tr, []turnWant{
		{visit.Doctor, "Hello, come in."},
		{visit.Patient, "I have this pressure"},
		{visit.Doctor, "And how long"},
		{visit.Patient, "About ten days."},
	})
	assert.Equal(t, int64(1250), *tr.Turns[0].StartMS)
	assert.Equal(t, int64(4500), *tr.Turns[0].EndMS)
	assert.Equal(t, int64(4200), *tr.Turns[1].StartMS, "patient turn starts before the doctor's ends: crosstalk merges by start time")
	for _, turn := range tr.Turns {
		assert.NotContains(t, turn.Text, "<")
	}

	// Within-tier overlap is an error even in a pair.
	_, err = ParseTextGridPair("visit7_doctor.TextGrid", doc, "overlap.TextGrid", readFixture(t, "overlap.TextGrid"), nil)
	require.ErrorIs(t, err, ErrOverlap)
	assert.Contains(t, err.Error(), "overlap.TextGrid:")
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	garbage := make([]byte, 512)
	for i := range garbage {
		garbage[i] = byte(i*7 + 3)
	}
	tests := []struct {
		name     string
		data     []byte
		opts     *Options
		sentinel error
		// msg must appear in Error(): the file name and, where it applies, the line.
		msg string
	}{
		{"empty.txt", nil, nil, ErrEmpty, "empty.txt: empty input"},
		{"blank.txt", []byte(" \n\t\n"), nil, ErrEmpty, "blank.txt: empty input"},
		{"garbage.bin", garbage, nil, ErrBinary, "binary data, not text"},
		{"nul.txt", []byte("Doctor: hi\nPatient: h\x00i\n"), nil, ErrBinary, "nul.txt:2: binary data"},
		{"latin1.txt", []byte("Doctor: hello\nPatient: caf\xe9 au lait\n"), nil, ErrInvalidUTF8, "latin1.txt:2: invalid UTF-8"},
		{"no_speakers.txt", readFixture(t, "no_speakers.txt"), nil, ErrNoSpeakers, "no_speakers.txt: no recognisable speaker turns"},
		{"big.txt", bytes.Repeat([]byte("[doctor] hello there .\n"), 10), &Options{MaxBytes: 100}, ErrTooLarge, "big.txt: input too large"},
		{"many.txt", bytes.Repeat([]byte("[doctor] a\n[patient] b\n"), 6), &Options{MaxTurns: 10}, ErrTooLarge, "12 turns, limit 10"},
		{"truncated.json", readFixture(t, "truncated.json"), nil, ErrMalformed, "truncated.json:3: malformed input"},
		{"bad.json", []byte("{\"turns\": [\n  {\"speaker\": \"Doctor\" \"text\": \"x\"}\n]}"), nil, ErrMalformed, "bad.json:2: malformed input"},
		{"bad_type.json", readFixture(t, "bad_type.json"), nil, ErrMalformed, "bad_type.json:3: malformed input: turns[1]"},
		{"bad_times.json", readFixture(t, "bad_times.json"), nil, ErrMalformed, "bad_times.json:2:"},
		{"missing_speaker.json", readFixture(t, "missing_speaker.json"), nil, ErrMalformed, "missing_speaker.json:3: malformed input: turns[1]: missing speaker"},
		{"noturns.json", []byte(`{"visit": 1}`), nil, ErrNoSpeakers, "noturns.json: no recognisable"},
		{"scalar.json", []byte(`42`), nil, ErrMalformed, "scalar.json:1:"},
		{"trailing.json", []byte("{\"turns\": []}\n{}"), nil, ErrMalformed, "trailing data"},
		{"no_header.vtt", readFixture(t, "no_header.vtt"), nil, ErrMalformed, "no_header.vtt:1: malformed input: WebVTT must start"},
		{"bad_timing.vtt", readFixture(t, "bad_timing.vtt"), nil, ErrMalformed, "bad_timing.vtt:6: malformed input: bad cue timing"},
		{"header_only.vtt", []byte("WEBVTT\n\n"), nil, ErrNoSpeakers, "header_only.vtt: no recognisable"},
		{"nolabels.vtt", []byte("WEBVTT\n\n00:01.000 --> 00:02.000\nhello there\n"), nil, ErrNoSpeakers, "no cue names a speaker"},
		{"bad_number.srt", readFixture(t, "bad_number.srt"), nil, ErrMalformed, "bad_number.srt:5: malformed input: SRT cue number"},
		{"backwards.srt", readFixture(t, "backwards.srt"), nil, ErrMalformed, "backwards.srt:2: malformed input: cue ends before it starts"},
		{"notiming.srt", []byte("1\nDoctor: hello\n"), nil, ErrMalformed, "notiming.srt:1: malformed input: cue without a timing line"},
		{"truncated.TextGrid", readFixture(t, "truncated.TextGrid"), nil, ErrMalformed, "truncated.TextGrid:"},
		{"not_textgrid.TextGrid", readFixture(t, "not_textgrid.TextGrid"), nil, ErrMalformed, "not_textgrid.TextGrid:1: malformed input: not a Praat TextGrid"},
		{"bad_interval.TextGrid", readFixture(t, "bad_interval.TextGrid"), nil, ErrMalformed, "bad_interval.TextGrid:17: malformed input: expected interval xmax"},
		{"overlap.TextGrid", readFixture(t, "overlap.TextGrid"), nil, ErrOverlap, "overlap.TextGrid:20: overlapping intervals"},
		{"visit.wav", append([]byte("RIFF\x24\x00\x00\x00WAVEfmt "), make([]byte, 32)...), nil, ErrAudio, "visit.wav: audio input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.name, tt.data, tt.opts)
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.sentinel)
			var pe *Error
			require.True(t, errors.As(err, &pe), "want *Error, got %T", err)
			assert.Equal(t, tt.name, pe.File)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

// TestParseHugeTranscript: a 50 MB transcript is refused by size before any parsing.
func TestParseHugeTranscript(t *testing.T) {
	t.Parallel()
	line := []byte("[doctor] how are you feeling today ?\n[patient] i have had a cough for two weeks .\n")
	huge := bytes.Repeat(line, 50<<20/len(line)+1)
	require.Greater(t, len(huge), 50<<20)
	_, err := Parse("huge.txt", huge, nil)
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Contains(t, err.Error(), "huge.txt: input too large")
}

func TestParseUTF16TextGrid(t *testing.T) {
	t.Parallel()
	src := string(readFixture(t, "short_format.TextGrid"))
	src = strings.Replace(src, "penicillin", "pénicilline", 1)
	u := []byte{0xFF, 0xFE}
	for _, r := range src {
		u = append(u, byte(r), byte(r>>8))
	}
	tr, err := Parse("x.TextGrid", u, nil)
	require.NoError(t, err)
	require.Len(t, tr.Turns, 2)
	assert.Contains(t, tr.Turns[1].Text, "pénicilline")
}

func TestDetectFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
		want Format
	}{
		{"a.txt", "[doctor] hi", FormatText},
		{"a", "[doctor] hi", FormatText},
		{"a", `{"turns":[]}`, FormatJSON},
		{"a", `[{"speaker":"doctor","text":"hi"}]`, FormatJSON},
		{"a.json", `{broken`, FormatJSON},
		{"a.txt", "WEBVTT\n\n", FormatVTT},
		{"a", "1\n00:00:01,000 --> 00:00:02,000\nDoctor: hi\n", FormatSRT},
		{"a.srt", "garbage", FormatSRT},
		{"a.dat", "File type = \"ooTextFile\"\nObject class = \"TextGrid\"\n", FormatTextGrid},
		{"a.txt", "RIFF\x00\x00\x00\x00WAVEfmt ", FormatAudio},
		{"a", "ID3\x03\x00", FormatAudio},
		{"a", "fLaC\x00\x00", FormatAudio},
		{"a", "OggS\x00\x02", FormatAudio},
		{"a", "\x00\x00\x00\x20ftypM4A \x00", FormatAudio},
		{"a.mp3", "whatever", FormatAudio},
		{"a", "\x00\x01\x02", FormatUnknown},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, DetectFormat(tt.name, []byte(tt.data)), "%s %q", tt.name, tt.data)
	}
	assert.True(t, IsAudio("x.wav", nil))
	assert.False(t, IsAudio("x.txt", []byte("[doctor] hi")))
	assert.True(t, KnownExtension("a/b/X_doctor.TextGrid"))
	assert.False(t, KnownExtension("README"))
}
