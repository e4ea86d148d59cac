package note

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeModel is an OpenAI-compatible endpoint that plays recorded responses in order (the last one
// repeats); "sleep" entries stall past the client's timeout.
type fakeModel struct {
	t        *testing.T
	mu       sync.Mutex
	script   []string
	requests []map[string]any
}

func (f *fakeModel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	require.Equal(f.t, "/v1/chat/completions", r.URL.Path)
	assert.Equal(f.t, "Bearer test-key", r.Header.Get("Authorization"))
	b, _ := io.ReadAll(r.Body)
	var req map[string]any
	require.NoError(f.t, json.Unmarshal(b, &req))
	f.mu.Lock()
	n := len(f.requests)
	f.requests = append(f.requests, req)
	step := f.script[min(n, len(f.script)-1)]
	f.mu.Unlock()
	switch {
	case step == "sleep":
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
		return
	case step == "500":
		http.Error(w, `{"error":{"message":"overloaded","type":"server_error"}}`, http.StatusInternalServerError)
		return
	}
	body, err := os.ReadFile(filepath.Join("testdata", "llm", step+".json"))
	require.NoError(f.t, err)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func (f *fakeModel) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

func newFake(t *testing.T, cfg LLMConfig, script ...string) (*Drafter, *fakeModel) {
	f := &fakeModel{t: t, script: script}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg.BaseURL, cfg.APIKey, cfg.Model = srv.URL+"/v1", "test-key", "recorded-model"
	d, err := New(&Config{LLM: &cfg})
	require.NoError(t, err)
	return d, f
}

func TestModelDrafterRecorded(t *testing.T) {
	d, f := newFake(t, LLMConfig{Timeout: 5 * time.Second}, "knee_good")
	in := kneeInput(t)
	n, st, err := d.Draft(context.Background(), in)
	require.NoError(t, err)
	require.Equal(t, EngineLLM, st.Engine)
	require.Empty(t, st.Fallback)
	assert.Equal(t, "recorded-model", st.Model)
	assert.Equal(t, "note/v1", st.PromptVersion)
	requireGrounded(t, in.Transcript, n)

	// The recorded answer has 21 sentences; six are planted unsupported: an invented diagnosis,
	// an invented dose change, an invented referral, an invented denial, a turn that does not
	// exist and a section the prompt does not offer.
	const returned = 21
	assert.Equal(t, 6, st.Unsupported)
	assert.Equal(t, returned-6, st.Sentences)
	t.Logf("unsupported-sentence rate on recorded responses: %d/%d = %.1f%%", st.Unsupported, returned, 100*float64(st.Unsupported)/returned)
	for _, bad := range []string{"Osteoarthritis", "40 mg", "Physical therapy", "prior knee", "plays tennis", "Follow up in 2 weeks."} {
		assert.NotContains(t, n.Text, bad)
	}
	assert.Contains(t, n.Text, "ASSESSMENT AND PLAN\n\nMedial meniscus tear of the right knee.\nMRI of the right knee.")
	assert.Contains(t, n.Text, "Lisinopril 20 mg daily.")

	// The request: the versioned system prompt, a JSON schema answer format, numbered turns.
	require.Equal(t, 1, f.count())
	req := f.requests[0]
	assert.Equal(t, "recorded-model", req["model"])
	msgs := req["messages"].([]any)
	require.Len(t, msgs, 2)
	assert.Contains(t, msgs[0].(map[string]any)["content"], "medical scribe")
	user := msgs[1].(map[string]any)["content"].(string)
	assert.Contains(t, user, "[12] doctor: alright . so on physical exam")
	assert.Contains(t, user, "problem: knee pain (present)")
	rf := req["response_format"].(map[string]any)
	assert.Equal(t, "json_schema", rf["type"])
}

func TestModelDrafterFailures(t *testing.T) {
	cases := []struct {
		name         string
		cfg          LLMConfig
		script       []string
		wantEngine   string
		wantRequests int
		wantFallback string
	}{
		{"malformed then good: retried", LLMConfig{MaxRetries: 2}, []string{"malformed_truncated", "knee_good"}, EngineLLM, 2, ""},
		{"server error then good: retried", LLMConfig{MaxRetries: 1}, []string{"500", "knee_good"}, EngineLLM, 2, ""},
		{"always malformed: offline fallback", LLMConfig{MaxRetries: 2}, []string{"malformed_prose"}, EngineOffline, 3, "malformed model answer"},
		{"timeout: offline fallback", LLMConfig{MaxRetries: -1, Timeout: 200 * time.Millisecond}, []string{"sleep"}, EngineOffline, 1, "deadline exceeded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.cfg.Timeout == 0 {
				tc.cfg.Timeout = 5 * time.Second
			}
			d, f := newFake(t, tc.cfg, tc.script...)
			in := kneeInput(t)
			n, st, err := d.Draft(context.Background(), in)
			require.NoError(t, err, "a failing model never fails the visit")
			assert.Equal(t, tc.wantEngine, st.Engine)
			assert.Equal(t, tc.wantRequests, f.count())
			if tc.wantFallback == "" {
				assert.Empty(t, st.Fallback)
			} else {
				assert.Contains(t, st.Fallback, tc.wantFallback)
			}
			assert.NotEmpty(t, n.Sections)
			requireGrounded(t, in.Transcript, n)
		})
	}
}

func TestModelDrafterChunks(t *testing.T) {
	d, f := newFake(t, LLMConfig{MaxContextTokens: 1024, Timeout: 5 * time.Second}, "empty")
	long := longVisit(t, 3000)
	n, st, err := d.Draft(context.Background(), Input{Transcript: long})
	require.NoError(t, err)
	assert.Equal(t, EngineLLM, st.Engine)
	assert.Empty(t, n.Sections)
	require.Greater(t, f.count(), 5, "a long visit is sent in several chunks")
	seen := map[string]bool{}
	for _, req := range f.requests {
		user := req["messages"].([]any)[1].(map[string]any)["content"].(string)
		assert.Less(t, approxTokens(user), 1024/2, "each prompt fits in half the context")
		assert.Contains(t, user, "part ")
		seen[user] = true
	}
	assert.Len(t, seen, f.count(), "every chunk is different")
	// Every turn is sent exactly once.
	total := 0
	for _, req := range f.requests {
		user := req["messages"].([]any)[1].(map[string]any)["content"].(string)
		total += strings.Count(user, "\n[")
	}
	assert.Equal(t, len(long.Turns), total)
}

func TestParseAnswer(t *testing.T) {
	cases := []struct {
		name, in string
		ok       bool
	}{
		{"plain", `{"sentences": []}`, true},
		{"fenced", "```json\n{\"sentences\": [{\"section\": \"hpi\", \"text\": \"x\", \"turns\": [1]}]}\n```", true},
		{"unknown field", `{"sentences": [], "notes": "x"}`, false},
		{"missing sentences", `{}`, false},
		{"prose", `The patient is well.`, false},
		{"truncated", `{"sentences": [`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseAnswer(tc.in)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, errMalformed)
			}
		})
	}
}
