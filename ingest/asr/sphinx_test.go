//go:build pocketsphinx

package asr

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/visit"
)

func newSphinxForTest(t *testing.T) Transcriber {
	t.Helper()
	if _, err := os.Stat(DefaultSphinxModelDir); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("pocketsphinx model missing (apt-get install pocketsphinx-en-us): %v", err)
		}
		t.Skipf("pocketsphinx model missing (apt-get install pocketsphinx-en-us)")
	}
	tr, err := New(&Config{Engine: EngineSphinx})
	require.NoError(t, err)
	return tr
}

// TestSphinxStereo: a synthesised doctor line on the left channel and a patient line on the
// right come back as two turns in time order, each with its channel's role and most words.
func TestSphinxStereo(t *testing.T) {
	const (
		doctorLine  = "Hello. How are you feeling today? Do you have any chest pain?"
		patientLine = "I have had a headache and a fever for three days."
	)
	doc, pat := say(t, doctorLine), say(t, patientLine)
	eng := newSphinxForTest(t)
	tr, err := eng.Transcribe(context.Background(), stereo(doc, pat, 0.8))
	require.NoError(t, err)
	require.NotEmpty(t, tr.Turns)

	var docText, patText []string
	for i, turn := range tr.Turns {
		assert.Equal(t, i, turn.Index)
		require.NotNil(t, turn.StartMS)
		require.NotNil(t, turn.EndMS)
		switch turn.Speaker {
		case visit.Doctor:
			docText = append(docText, turn.Text)
		case visit.Patient:
			patText = append(patText, turn.Text)
		default:
			t.Errorf("turn %d has role %q", i, turn.Speaker)
		}
	}
	assert.Equal(t, visit.Doctor, tr.Turns[0].Speaker)
	assert.Equal(t, visit.Patient, tr.Turns[len(tr.Turns)-1].Speaker)
	dw, pw := wer(doctorLine, strings.Join(docText, " ")), wer(patientLine, strings.Join(patText, " "))
	t.Logf("WER doctor %.2f patient %.2f", dw, pw)
	assert.Less(t, dw, 0.5, "doctor channel: %q", docText)
	assert.Less(t, pw, 0.5, "patient channel: %q", patText)
}

// TestSphinxMono: one channel, several utterances: turns are cut at the silences and the
// roles inferred from what is said.
func TestSphinxMono(t *testing.T) {
	doc := say(t, "What brings you in today? Do you have any pain?")
	pat := say(t, "I have been coughing and my chest hurts.")
	st := stereo(doc, pat, 1.0)
	mono := &Audio{SampleRate: st.SampleRate, Channels: [][]float32{st.Mono()}, Name: "mono.wav"}
	tr, err := newSphinxForTest(t).Transcribe(context.Background(), mono)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(tr.Turns), 2, "%+v", tr.Turns)
	assert.Equal(t, visit.Doctor, tr.Turns[0].Speaker, "%+v", tr.Turns)
	assert.Equal(t, visit.Patient, tr.Turns[len(tr.Turns)-1].Speaker, "%+v", tr.Turns)
	assert.Less(t, *tr.Turns[0].EndMS, *tr.Turns[len(tr.Turns)-1].StartMS, "the silence separates the turns")
}

// BenchmarkSphinx reports how many seconds of audio one second of decoding handles.
func BenchmarkSphinx(b *testing.B) {
	if _, err := os.Stat(DefaultSphinxModelDir); err != nil {
		b.Skip("pocketsphinx model missing")
	}
	flite, err := exec.LookPath("flite")
	if err != nil {
		b.Skip("flite missing")
	}
	out := filepath.Join(b.TempDir(), "say.wav")
	if err := exec.Command(flite, "-t", "Good morning. What brings you in today? I have had a cough and a fever for three days.", "-o", out).Run(); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	a, err := DecodeWAV(data)
	if err != nil {
		b.Fatal(err)
	}
	eng, err := New(&Config{Engine: EngineSphinx})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := eng.Transcribe(context.Background(), a); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(a.Duration().Seconds()*float64(b.N)/b.Elapsed().Seconds(), "audio-s/s")
}
