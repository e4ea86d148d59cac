package asr

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/visit"
)

// fakeWhisper behaves like /v1/audio/transcriptions: it parses the multipart form, checks the
// fields, decodes the uploaded WAV, and answers with a recorded verbose_json response chosen
// by where the audio's energy lies (the left channel speaks first, the right later).
type fakeWhisper struct {
	t        *testing.T
	calls    atomic.Int32
	failures int32 // answer this many requests with 503 first
	status   int   // if set, always answer with this status
	body     string
}

func (f *fakeWhisper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.calls.Add(1)
	if r.URL.Path != "/v1/audio/transcriptions" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	if got := r.Header.Get("Authorization"); got != "Bearer test-key" {
		http.Error(w, `{"error":{"message":"bad key"}}`, http.StatusUnauthorized)
		return
	}
	if f.status != 0 {
		w.WriteHeader(f.status)
		io.WriteString(w, `{"error":{"message":"nope","type":"invalid_request_error"}}`)
		return
	}
	if n <= f.failures {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"error":{"message":"overloaded"}}`)
		return
	}
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if r.FormValue("model") != "whisper-large" || r.FormValue("response_format") != "verbose_json" {
		http.Error(w, "bad fields: "+r.FormValue("model")+" "+r.FormValue("response_format"), http.StatusBadRequest)
		return
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	data, _ := io.ReadAll(file)
	a, err := DecodeWAV(data)
	if err != nil || a.SampleRate != 16000 || len(a.Channels) != 1 {
		http.Error(w, "bad audio", http.StatusBadRequest)
		return
	}
	spans := SpeechSpans(a.Channels[0], a.SampleRate)
	fixture := "testdata/verbose_left.json"
	if len(spans) > 0 && spans[0].Start > a.SampleRate {
		fixture = "testdata/verbose_right.json"
	}
	if f.body != "" {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, f.body)
		return
	}
	body, err := os.ReadFile(fixture)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

// toneStereo: left channel speaks 0–1.5 s, right 2–3 s.
func toneStereo() *Audio {
	const rate = 8000
	l, r := make([]float32, 3*rate+rate/2), make([]float32, 3*rate+rate/2)
	for i := 0; i < 3*rate/2; i++ {
		l[i] = 0.3
		if i%20 < 10 {
			l[i] = -0.3
		}
	}
	for i := 2 * rate; i < 3*rate; i++ {
		r[i] = 0.3
		if i%16 < 8 {
			r[i] = -0.3
		}
	}
	return &Audio{SampleRate: rate, Channels: [][]float32{l, r}, Name: "visit.wav"}
}

func newFake(t *testing.T, f *fakeWhisper, cfg Config) Transcriber {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL + "/v1"
	cfg.APIKey = "test-key"
	cfg.Model = "whisper-large"
	tr, err := New(&cfg)
	require.NoError(t, err)
	tr.(*channelTranscriber).eng.(*openAIEngine).backoff = time.Millisecond
	return tr
}

func TestOpenAIStereoKeepsChannelRoles(t *testing.T) {
	t.Parallel()
	f := &fakeWhisper{t: t}
	tr, err := newFake(t, f, Config{}).Transcribe(context.Background(), toneStereo())
	require.NoError(t, err)
	require.Len(t, tr.Turns, 3)
	want := []struct {
		speaker    visit.Speaker
		text       string
		start, end int64
	}{
		{visit.Doctor, "Good morning. What brings you in today?", 0, 1200},
		{visit.Doctor, "Any fever?", 1400, 2000},
		{visit.Patient, "I've had a cough for a week.", 2100, 3000},
	}
	for i, w := range want {
		turn := tr.Turns[i]
		assert.Equal(t, i, turn.Index)
		assert.Equal(t, w.speaker, turn.Speaker)
		assert.Equal(t, w.text, turn.Text)
		assert.Equal(t, w.start, *turn.StartMS)
		assert.Equal(t, w.end, *turn.EndMS)
	}
	assert.Equal(t, int32(2), f.calls.Load(), "one request per channel")

	// Swapped channel roles swap the speakers.
	tr, err = newFake(t, &fakeWhisper{t: t}, Config{ChannelRoles: []visit.Speaker{visit.Patient, visit.Doctor}}).Transcribe(context.Background(), toneStereo())
	require.NoError(t, err)
	assert.Equal(t, visit.Patient, tr.Turns[0].Speaker)
	assert.Equal(t, visit.Doctor, tr.Turns[2].Speaker)
}

func TestOpenAIMonoInfersRoles(t *testing.T) {
	t.Parallel()
	st := toneStereo()
	mono := &Audio{SampleRate: st.SampleRate, Channels: [][]float32{st.Channels[0]}}
	tr, err := newFake(t, &fakeWhisper{t: t}, Config{}).Transcribe(context.Background(), mono)
	require.NoError(t, err)
	require.Len(t, tr.Turns, 2)
	assert.Equal(t, visit.Doctor, tr.Turns[0].Speaker, "questions make a doctor")
	assert.Equal(t, visit.Doctor, tr.Turns[1].Speaker)
}

func TestOpenAIRetries(t *testing.T) {
	t.Parallel()
	f := &fakeWhisper{t: t, failures: 2}
	st := toneStereo()
	mono := &Audio{SampleRate: st.SampleRate, Channels: [][]float32{st.Channels[0]}}
	_, err := newFake(t, f, Config{MaxRetries: 2}).Transcribe(context.Background(), mono)
	require.NoError(t, err)
	assert.Equal(t, int32(3), f.calls.Load())

	f = &fakeWhisper{t: t, failures: 5}
	_, err = newFake(t, f, Config{MaxRetries: 1}).Transcribe(context.Background(), mono)
	require.Error(t, err)
	assert.Equal(t, int32(2), f.calls.Load(), "bounded retries")

	f = &fakeWhisper{t: t, status: http.StatusBadRequest}
	_, err = newFake(t, f, Config{}).Transcribe(context.Background(), mono)
	require.Error(t, err)
	assert.Equal(t, int32(1), f.calls.Load(), "a 400 is not retried")
	assert.Contains(t, err.Error(), "400")
}

func TestOpenAITimeout(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(block); srv.Close() })
	tr, err := New(&Config{BaseURL: srv.URL + "/v1", Timeout: 50 * time.Millisecond, MaxRetries: -1})
	require.NoError(t, err)
	st := toneStereo()
	_, err = tr.Transcribe(context.Background(), &Audio{SampleRate: st.SampleRate, Channels: st.Channels[:1]})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "deadline exceeded")
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		cfg Config
		msg string
	}{
		{Config{Engine: "whisper.cpp"}, "unknown engine"},
		{Config{Engine: EngineOpenAI}, "needs BaseURL"},
		{Config{BaseURL: "localhost:8000"}, "http(s) URL"},
		{Config{BaseURL: "http://x/v1", ChannelRoles: []visit.Speaker{"nurse"}}, "not a speaker role"},
		{Config{BaseURL: "http://x/v1", Timeout: -time.Second}, "negative timeout"},
	} {
		_, err := New(&tt.cfg)
		require.Error(t, err)
		assert.Contains(t, err.Error(), tt.msg)
	}
}

func TestTranscribeBadAudio(t *testing.T) {
	t.Parallel()
	tr := newFake(t, &fakeWhisper{t: t}, Config{})
	_, err := tr.Transcribe(context.Background(), nil)
	require.ErrorIs(t, err, ErrNoAudio)
	_, err = tr.Transcribe(context.Background(), &Audio{SampleRate: 16000, Channels: [][]float32{{}}})
	require.ErrorIs(t, err, ErrNoAudio)
	_, err = tr.Transcribe(context.Background(), &Audio{SampleRate: 10, Channels: [][]float32{{0.1}}, Name: "odd.wav"})
	require.ErrorIs(t, err, ErrUnsupported)
	assert.True(t, strings.HasPrefix(err.Error(), "odd.wav:"))
}

func TestOpenAITextOnlyResponse(t *testing.T) {
	t.Parallel()
	st := toneStereo()
	mono := &Audio{SampleRate: st.SampleRate, Channels: [][]float32{st.Channels[0]}}
	tr, err := newFake(t, &fakeWhisper{t: t, body: `{"text":" Any allergies to medications?"}`}, Config{}).Transcribe(context.Background(), mono)
	require.NoError(t, err)
	require.Len(t, tr.Turns, 1)
	assert.Equal(t, "Any allergies to medications?", tr.Turns[0].Text)
	assert.Equal(t, int64(0), *tr.Turns[0].StartMS)
	assert.Equal(t, int64(3500), *tr.Turns[0].EndMS, "a response without segments spans the audio")

	_, err = newFake(t, &fakeWhisper{t: t, body: `{"text":"","segments":[]}`}, Config{}).Transcribe(context.Background(), mono)
	require.ErrorIs(t, err, ErrNoSpeech)
}

func TestChunks(t *testing.T) {
	t.Parallel()
	const rate = 1000 // SpeechSpans needs only the rate to size frames
	x := make([]float32, 25*rate)
	speech := []Span{{0, 6000}, {7000, 9500}, {11000, 17000}, {18000, 25000}}
	for _, s := range speech {
		for i := s.Start; i < s.End; i++ {
			x[i] = 0.5
			if i%2 == 0 {
				x[i] = -0.5
			}
		}
	}
	got := chunks(x, rate, 10*rate)
	require.Greater(t, len(got), 2)
	assert.Equal(t, 0, got[0].Start)
	assert.Equal(t, len(x), got[len(got)-1].End)
	for i, c := range got {
		assert.LessOrEqual(t, c.End-c.Start, 10*rate, "chunk %d", i)
		if i > 0 {
			assert.Equal(t, got[i-1].End, c.Start, "chunks are contiguous")
		}
		if c.End < len(x) {
			assert.Zero(t, x[c.End], "chunk %d cut at %d is in a pause", i, c.End)
		}
	}
	assert.Equal(t, []Span{{0, 5}}, chunks(make([]float32, 5), rate, 10))
}
