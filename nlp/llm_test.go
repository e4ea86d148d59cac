package nlp

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/nlp/vocab"
	"github.com/medscribe/medscribe/visit"
)

func llmTranscript() visit.Transcript {
	return dialogueOf(
		"d: how is your diabetes ?",
		"p: ok . i take  lisinopril every day and I get dizzy when I stand up .",
		"d: i'm going to start you on metformin 500 mg twice a day and check an a1c .",
	)
}

// fakeOpenAI serves chat completions the way an OpenAI-compatible server does, answering with
// a recorded model answer (the message content) from testdata/llm.
type fakeOpenAI struct {
	answer   string        // file in testdata/llm; "" with status set sends an error
	status   int           // HTTP status for error responses
	delay    time.Duration // how long to stall before answering (until the client gives up)
	requests atomic.Int32
	lastBody atomic.Value
}

func (f *fakeOpenAI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	body, _ := io.ReadAll(r.Body)
	f.lastBody.Store(body)
	if r.URL.Path != "/v1/chat/completions" {
		http.NotFound(w, r)
		return
	}
	if f.delay > 0 {
		select {
		case <-r.Context().Done():
			return
		case <-time.After(f.delay):
		}
	}
	if f.status != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.status)
		_, _ = w.Write([]byte(`{"error":{"message":"upstream failure","type":"server_error"}}`))
		return
	}
	content, err := os.ReadFile("testdata/llm/" + f.answer)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	resp := map[string]any{
		"id": "chatcmpl-test", "object": "chat.completion", "created": 1, "model": "test-model",
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": string(content)}}},
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func llmEngine(t *testing.T, url string, timeout time.Duration) *Engine {
	t.Helper()
	v, err := vocab.Load(os.DirFS("testdata/vocab"), ".")
	require.NoError(t, err)
	e, err := New(&Config{Vocab: v, LLM: &LLMConfig{BaseURL: url + "/v1", Model: "test-model", Timeout: timeout, MaxRetries: 2}})
	require.NoError(t, err)
	return e
}

func TestLLMMergesGroundedItems(t *testing.T) {
	t.Parallel()
	f := &fakeOpenAI{answer: "ok.json"}
	srv := httptest.NewServer(f)
	defer srv.Close()
	e := llmEngine(t, srv.URL, 5*time.Second)
	tr := llmTranscript()
	res := extractOK(t, e, tr)

	assert.Equal(t, EngineWithLLM, res.Engine)
	assert.Equal(t, "test-model", res.Model)
	assert.Equal(t, "v1", res.PromptVersion)
	assert.Empty(t, res.Fallback)
	// atorvastatin's quote is not in the transcript; the finding with a bogus assertion is invalid
	assert.Equal(t, 2, res.Dropped)
	assert.Nil(t, medOf(res, "atorvastatin"), "an ungrounded model item must be dropped")

	lis := medOf(res, "lisinopril")
	require.NotNil(t, lis)
	assert.Equal(t, "daily", *lis.Frequency, "deterministic value kept")
	require.NotNil(t, lis.Route)
	assert.Equal(t, "oral", *lis.Route, "model fills what the rules left empty")
	assert.Contains(t, lis.Evidence, visit.Evidence{Turn: 1, Start: 5, End: 33, Quote: "i take  lisinopril every day"}, "a case-different quote is grounded to the original bytes")

	assert.Equal(t, visit.Present, assertionOf(res, "dizziness"), "model-only finding added")
	for _, f := range res.Findings {
		if f.Text == "dizziness" {
			assert.Equal(t, "I get dizzy when I stand up", f.Evidence[0].Quote, "case-insensitive grounding maps to the original text")
		}
	}

	var req map[string]any
	require.NoError(t, json.Unmarshal(f.lastBody.Load().([]byte), &req))
	rf := req["response_format"].(map[string]any)
	assert.Equal(t, "json_schema", rf["type"])
	js := rf["json_schema"].(map[string]any)
	assert.Equal(t, true, js["strict"])
	assert.Contains(t, js["schema"].(map[string]any)["properties"], "medications")
	assert.Equal(t, "test-model", req["model"])
}

func TestLLMFallback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		fake         *fakeOpenAI
		timeout      time.Duration
		wantFallback string
		wantRequests int32
	}{
		{"malformed json is retried then falls back", &fakeOpenAI{answer: "malformed.json"}, 5 * time.Second, "malformed json", 3},
		{"server error is retried then falls back", &fakeOpenAI{status: http.StatusInternalServerError}, 5 * time.Second, "http 500", 3},
		{"client error is not retried", &fakeOpenAI{status: http.StatusBadRequest}, 5 * time.Second, "http 400", 1},
		{"slow server times out", &fakeOpenAI{answer: "ok.json", delay: time.Minute}, 50 * time.Millisecond, "timeout", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(tt.fake)
			defer srv.Close()
			e := llmEngine(t, srv.URL, tt.timeout)
			res := extractOK(t, e, llmTranscript())
			assert.Equal(t, tt.wantFallback, res.Fallback)
			assert.Equal(t, EngineDeterministic, res.Engine)
			assert.Equal(t, tt.wantRequests, tt.fake.requests.Load())
			assert.NotNil(t, medOf(res, "metformin"), "the deterministic result is still returned")
		})
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		llm  *LLMConfig
		err  string
	}{
		{"no base url", &LLMConfig{Model: "m"}, "base url is required"},
		{"bad base url", &LLMConfig{BaseURL: "ftp://x", Model: "m"}, "not an http(s) url"},
		{"no model", &LLMConfig{BaseURL: "http://x"}, "model is required"},
		{"negative timeout", &LLMConfig{BaseURL: "http://x", Model: "m", Timeout: -1}, "timeout"},
		{"unknown prompt version", &LLMConfig{BaseURL: "http://x", Model: "m", PromptVersion: "v999"}, "prompt not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := vocab.Load(os.DirFS("testdata/vocab"), ".")
			require.NoError(t, err)
			_, err = New(&Config{Vocab: v, LLM: tt.llm})
			require.ErrorContains(t, err, tt.err)
		})
	}
}

// TestLLMLive runs against a real OpenAI-compatible endpoint when MEDSCRIBE_LLM_BASE_URL is set
// (with MEDSCRIBE_LLM_MODEL and optionally MEDSCRIBE_LLM_API_KEY).
func TestLLMLive(t *testing.T) {
	base := os.Getenv("MEDSCRIBE_LLM_BASE_URL")
	if base == "" {
		t.Skip("MEDSCRIBE_LLM_BASE_URL not set: live model test skipped")
	}
	model := os.Getenv("MEDSCRIBE_LLM_MODEL")
	if model == "" {
		model = "gpt-4o-mini"
	}
	e, err := New(&Config{LLM: &LLMConfig{BaseURL: base, APIKey: os.Getenv("MEDSCRIBE_LLM_API_KEY"), Model: model, Timeout: 60 * time.Second}})
	require.NoError(t, err)
	tr := llmTranscript()
	res, err := e.Extract(context.Background(), tr)
	require.NoError(t, err)
	require.Empty(t, res.Fallback, "live model call failed")
	assert.Equal(t, EngineWithLLM, res.Engine)
	rec := visit.Record{Transcript: tr, Problems: res.Problems, Medications: res.Medications, Orders: res.Orders, Allergies: res.Allergies, Findings: res.Findings}
	require.NoError(t, rec.Validate())
	assert.NotNil(t, medOf(res, "metformin"))
}

func TestGrounder(t *testing.T) {
	t.Parallel()
	tr := dialogueOf("d: Any  chest\tpain today?", "p: No, none at all.")
	g := newGrounder(tr)
	tests := []struct {
		quote string
		ok    bool
		want  string
		turn  int
	}{
		{"chest\tpain", true, "chest\tpain", 0},
		{"any chest pain", true, "Any  chest\tpain", 0},
		{"[patient] no, none at all", true, "No, none at all", 1},
		{"\"none at all.\"", true, "none at all.", 1},
		{"chest pain yesterday", false, "", 0},
		{"", false, "", 0},
	}
	for _, tt := range tests {
		ev, ok := g.find(tt.quote)
		assert.Equal(t, tt.ok, ok, tt.quote)
		if ok {
			assert.Equal(t, tt.want, ev.Quote)
			assert.Equal(t, tt.turn, ev.Turn)
			assert.NoError(t, tr.CheckEvidence(ev))
		}
	}
}
