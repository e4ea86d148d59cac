package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServerMemoryMetrics: the server's /metrics carries what `loadtest` samples, read by the
// loadtest's own parser: RSS, heap, the case count and the embedded store's vector memory.
func TestServerMemoryMetrics(t *testing.T) {
	a, _ := testApp(t, "")
	base := a.URL()
	key, physician := apiKey(t, a.store, "integrator"), apiKey(t, a.store, "physician")

	_, body, _ := call(t, "GET", base+"/metrics", "", nil)
	s, err := parseMemMetrics(bytes.NewReader(body))
	require.NoError(t, err)
	assert.Equal(t, 0.0, s.Cases)
	assert.Positive(t, s.RSSBytes)
	assert.Positive(t, s.HeapAllocBytes)

	code, body, _ := call(t, "POST", base+"/v1/visits?wait=true", key, map[string]any{"external_id": "m-1", "patient_id": "pt-m",
		"transcript": "[doctor] Any chest pain?\n[patient] No. I take warfarin 5 mg daily and ibuprofen for my knee."})
	require.Equal(t, http.StatusOK, code, string(body))
	var rec struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.Unmarshal(body, &rec))
	var vecBytes float64
	require.Eventually(t, func() bool {
		// The case is written after the visit; its vector joins the cache once a search loaded it.
		_, _, _ = call(t, "GET", base+"/v1/cases/similar?visit="+rec.ID+"&k=1", physician, nil)
		_, body, _ := call(t, "GET", base+"/metrics", "", nil)
		s, err := parseMemMetrics(bytes.NewReader(body))
		vecBytes = s.VectorCacheBytes
		return err == nil && s.Cases == 1 && vecBytes > 0
	}, 10*time.Second, 100*time.Millisecond, "medscribe_cases 1 and the vector memory")
	assert.GreaterOrEqual(t, vecBytes, float64(4*1024), "one case of 1024 float32s")
}
