package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/nlp"
	"github.com/medscribe/medscribe/visit"
)

// fakeModel is an OpenAI-compatible chat completions endpoint that misbehaves on demand. It
// tells the extractor's calls (response_format json_schema "clinical_extraction") from the
// note drafter's ("note") and answers each according to its mode.
type fakeModel struct {
	extract, note string // mode per caller: ok, slow, error, malformed
	// warfarinTurn is the index of the turn the well-behaved note sentence cites.
	warfarinTurn int

	mu    sync.Mutex
	calls map[string]int
}

func (f *fakeModel) count(who string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[who]
}

func (f *fakeModel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		http.NotFound(w, r)
		return
	}
	var req struct {
		Model          string `json:"model"`
		ResponseFormat struct {
			JSONSchema struct {
				Name string `json:"name"`
			} `json:"json_schema"`
		} `json:"response_format"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	who, mode := "note", f.note
	if req.ResponseFormat.JSONSchema.Name == "clinical_extraction" {
		who, mode = "extract", f.extract
	}
	f.mu.Lock()
	f.calls[who]++
	f.mu.Unlock()
	switch mode {
	case "slow":
		// Longer than any configured timeout; give up when the client does.
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return
	case "error":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"error":{"message":"model crashed","type":"server_error","code":null}}`))
		return
	case "malformed":
		writeCompletion(w, req.Model, `{"medications": [{"name": "warfarin", "status": `)
		return
	}
	if who == "extract" {
		ans := map[string]any{
			"medications": []map[string]any{
				{"name": "warfarin", "status": "active", "dose": "5 mg", "route": nil, "frequency": "every evening", "duration": nil,
					"quote": "i take warfarin 5 mg every evening"},
				// Not in the transcript: the grounder must drop it.
				{"name": "aspirin", "status": "active", "dose": "81 mg", "route": nil, "frequency": nil, "duration": nil,
					"quote": "he takes aspirin 81 mg for his heart"},
			},
			"problems":  []map[string]any{{"name": "atrial fibrillation", "assertion": "present", "quote": "warfarin for your atrial fibrillation"}},
			"findings":  []map[string]any{},
			"orders":    []map[string]any{},
			"allergies": []map[string]any{},
		}
		b, _ := json.Marshal(ans)
		writeCompletion(w, req.Model, string(b))
		return
	}
	b, _ := json.Marshal(map[string]any{"sentences": []map[string]any{
		{"section": "meds", "text": "Warfarin 5 mg every evening.", "turns": []int{f.warfarinTurn}},
	}})
	writeCompletion(w, req.Model, string(b))
}

func writeCompletion(w http.ResponseWriter, model, content string) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-test", "object": "chat.completion", "created": time.Now().Unix(), "model": model,
		"choices": []map[string]any{{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": content}}},
		"usage": map[string]any{"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
	})
}

// TestModelEndpointFaults points the engines at a model endpoint that is slow, failing or
// answering garbage: the visit must still be drafted by the deterministic engines, within a
// bound set by the configured timeout and retries, and its provenance must say why. A
// well-behaved endpoint must be used, and its ungrounded answers dropped.
func TestModelEndpointFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test starts the whole program per mode")
	}
	text := demoText(t, "knee-pain-warfarin.txt")
	warfarinTurn := -1
	for i, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if strings.Contains(line, "warfarin 5 mg every evening") {
			warfarinTurn = i
		}
	}
	require.GreaterOrEqual(t, warfarinTurn, 0)
	const timeout = 300 * time.Millisecond

	tests := []struct {
		name, extract, note string
		// fallback is what provenance.fallback must start with ("" = no fallback).
		fallback string
		engine   string
		// modelUsed: the extractor's answer was merged (provenance.model is set either way,
		// since the model was asked).
		modelUsed bool
	}{
		{name: "slow", extract: "slow", note: "slow", fallback: "timeout", engine: nlp.EngineDeterministic},
		{name: "http 500", extract: "error", note: "error", fallback: "http 500", engine: nlp.EngineDeterministic},
		{name: "malformed json", extract: "malformed", note: "malformed", fallback: "malformed json", engine: nlp.EngineDeterministic},
		{name: "note only malformed", extract: "ok", note: "malformed", fallback: "note: ", engine: nlp.EngineWithLLM, modelUsed: true},
		{name: "well behaved", extract: "ok", note: "ok", engine: nlp.EngineWithLLM, modelUsed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fm := &fakeModel{extract: tt.extract, note: tt.note, warfarinTurn: warfarinTurn, calls: map[string]int{}}
			srv := httptest.NewServer(fm)
			defer srv.Close()
			a, logs := startApp(t, func(c *config) {
				c.LLMBaseURL = srv.URL + "/v1"
				c.LLMModel = "test-model"
				c.LLMTimeout = timeout
			})
			key := apiKey(t, a.store, "physician")

			start := time.Now()
			code, body, _ := call(t, "POST", a.URL()+"/v1/visits?wait=true", key, map[string]any{
				"external_id": "llm-" + strings.ReplaceAll(tt.name, " ", "-"), "transcript": text})
			took := time.Since(start)
			require.Equal(t, http.StatusOK, code, string(body))
			t.Logf("mode %-20s drafted in %v (extract calls %d, note calls %d)", tt.name, took.Round(time.Millisecond),
				fm.count("extract"), fm.count("note"))
			// Bounded by timeout × attempts plus backoff per engine, far below the job timeout.
			assert.Less(t, took, 15*time.Second, "the deterministic engine takes over within the configured timeout")

			var rec visit.Record
			require.NoError(t, json.Unmarshal(body, &rec))
			assert.Equal(t, visit.StatusDraft, rec.Status)
			assert.NoError(t, rec.Validate())
			assert.NotEmpty(t, rec.Medications, "items are extracted")
			assert.NotEmpty(t, rec.Problems)
			assert.NotEmpty(t, rec.Note.Text, "a note is drafted")
			assert.NotEmpty(t, rec.Note.Sections)
			assert.Equal(t, tt.engine, rec.Provenance.Engine)
			assert.GreaterOrEqual(t, fm.count("extract"), 1, "the extractor asked the model")
			if tt.fallback == "" {
				assert.Empty(t, rec.Provenance.Fallback)
			} else {
				assert.True(t, strings.HasPrefix(rec.Provenance.Fallback, tt.fallback),
					"provenance.fallback %q says why (want %q…)", rec.Provenance.Fallback, tt.fallback)
			}
			if assert.NotNil(t, rec.Provenance.Model, "provenance names the model that was asked") {
				assert.Equal(t, "test-model", *rec.Provenance.Model)
			}
			if tt.extract != "ok" {
				assert.Equal(t, 3, fm.count("extract"), "a failing model is retried a bounded number of times")
			}
			if tt.modelUsed {
				assert.NotEmpty(t, rec.Provenance.PromptVersions["extract"])
				assert.Equal(t, 1, rec.Provenance.Dropped["items"], "the ungrounded aspirin quote is dropped")
				found := false
				for _, m := range rec.Medications {
					if m.Text == "aspirin" {
						found = true
					}
				}
				assert.False(t, found, "an item quoted from nowhere is not recorded")
			}
			if tt.name == "well behaved" {
				assert.Equal(t, 1, fm.count("note"))
				assert.NotEmpty(t, rec.Provenance.PromptVersions["note"])
				assert.Contains(t, rec.Note.Text, "Warfarin 5 mg every evening.", "the model's grounded sentence is in the note")
			}
			// The fallback is logged by reason, never with the transcript.
			assert.NotContains(t, logs.String(), "killing me")
			assert.NotContains(t, logs.String(), "warfarin 5 mg every evening")
		})
	}
}
