package embed

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func offline(t *testing.T) *Offline {
	t.Helper()
	o, err := NewOffline(&OfflineConfig{Dims: 256})
	require.NoError(t, err)
	return o
}

func sim(t *testing.T, o Embedder, a, b Doc) float64 {
	t.Helper()
	v, err := o.Embed(context.Background(), []Doc{a, b})
	require.NoError(t, err)
	s, err := Cosine(v[0], v[1])
	require.NoError(t, err)
	return s
}

func TestOfflineSynonymsMeet(t *testing.T) {
	o := offline(t)
	a := Doc{Problems: []string{"hypertension", "type 2 diabetes"}, Medications: []string{"furosemide", "metformin"}}
	b := Doc{Problems: []string{"high blood pressure", "type 2 diabetes mellitus"}, Medications: []string{"lasix", "metformin"}}
	c := Doc{Problems: []string{"asthma"}, Medications: []string{"albuterol"}}
	same := sim(t, o, a, b)
	other := sim(t, o, a, c)
	assert.Greater(t, same, 0.9, "same problems and drugs in other words must be close")
	assert.Less(t, other, 0.3)
	assert.Greater(t, same, other)
}

func TestOfflineClassesBringRelatedDrugsCloser(t *testing.T) {
	o := offline(t)
	lis := Doc{Medications: []string{"lisinopril"}}
	ena := Doc{Medications: []string{"enalapril"}}
	met := Doc{Medications: []string{"metformin"}}
	assert.Greater(t, sim(t, o, lis, ena), sim(t, o, lis, met), "two ACE inhibitors share a class")
}

func TestOfflineDeniedFindingsAreNotPresentOnes(t *testing.T) {
	o := offline(t)
	fever := Doc{Findings: []string{"fever"}}
	noFever := Doc{Findings: []string{"no fever"}}
	assert.Less(t, sim(t, o, fever, noFever), 0.5)
}

func TestOfflineDeterministicAndUnit(t *testing.T) {
	o := offline(t)
	d := Doc{Problems: []string{"migraine"}, Medications: []string{"sumatriptan"}, Findings: []string{"nausea", "no fever"}}
	v1, err := o.Embed(context.Background(), []Doc{d})
	require.NoError(t, err)
	v2, err := o.Embed(context.Background(), []Doc{d})
	require.NoError(t, err)
	assert.Equal(t, v1, v2)
	s, _ := Cosine(v1[0], v1[0])
	assert.InDelta(t, 1.0, s, 1e-6)
	assert.Len(t, v1[0], 256)
}

func TestOfflineRefusesEmptyCase(t *testing.T) {
	_, err := offline(t).Embed(context.Background(), []Doc{{}})
	assert.ErrorIs(t, err, ErrEmpty)
}

func TestOfflineDims(t *testing.T) {
	_, err := NewOffline(&OfflineConfig{Dims: 3})
	assert.Error(t, err)
	o, err := NewOffline(&OfflineConfig{Dims: 64})
	require.NoError(t, err)
	assert.Equal(t, "offline-concepts-v1@64", o.Name())
}

func TestDocFreqRoundTrip(t *testing.T) {
	o := offline(t)
	df := o.CountDocFreq([]Doc{{Problems: []string{"asthma"}}, {Problems: []string{"asthma", "hypertension"}}})
	back, err := ParseDocFreq(df.Format())
	require.NoError(t, err)
	assert.Equal(t, df, back)
	asthma := o.Features(Doc{Problems: []string{"asthma"}})[0].Key
	htn := o.Features(Doc{Problems: []string{"hypertension"}})[0].Key
	assert.Equal(t, 2, back.DF[asthma])
	assert.Greater(t, back.IDF(htn), back.IDF(asthma), "rarer features weigh more")
	_, err = ParseDocFreq([]byte("#docs\t2\nbad line\n"))
	assert.ErrorContains(t, err, "idf.tsv:2")
}

// embeddingsServer behaves like /v1/embeddings: one vector per input, in order.
func embeddingsServer(t *testing.T, dims int, fail *atomic.Int32, mutate func([]float32)) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/embeddings" {
			http.NotFound(w, r)
			return
		}
		if fail != nil && fail.Add(-1) >= 0 {
			http.Error(w, `{"error":{"message":"overloaded","type":"server_error"}}`, http.StatusInternalServerError)
			return
		}
		var req struct {
			Input []string `json:"input"`
			Model string   `json:"model"`
		}
		require.NoError(t, json.NewDecoder(r.Body).Decode(&req))
		type item struct {
			Object    string    `json:"object"`
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		}
		var data []item
		for i, in := range req.Input {
			v := make([]float32, dims)
			for j := range v {
				v[j] = float32((len(in)*(j+1))%7) + 1
			}
			if mutate != nil {
				mutate(v)
			}
			data = append(data, item{"embedding", i, v})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": req.Model,
			"usage": map[string]int{"prompt_tokens": 1, "total_tokens": 1}})
	}))
}

func TestOpenAIEmbedsAndNormalizes(t *testing.T) {
	var fail atomic.Int32
	fail.Store(1) // the first call fails: the client retries
	srv := embeddingsServer(t, 16, &fail, nil)
	defer srv.Close()
	o, err := NewOpenAI(&OpenAIConfig{BaseURL: srv.URL + "/v1", Model: "test-embed", Dims: 16})
	require.NoError(t, err)
	vecs, err := o.Embed(context.Background(), []Doc{{Problems: []string{"asthma"}}, {Text: "chest pain"}})
	require.NoError(t, err)
	require.Len(t, vecs, 2)
	s, _ := Cosine(vecs[0], vecs[0])
	assert.InDelta(t, 1, s, 1e-6)
	assert.Equal(t, "openai:test-embed@16", o.Name())
}

func TestOpenAIRefusesWrongDimensionAndZeroVectors(t *testing.T) {
	srv := embeddingsServer(t, 8, nil, nil)
	defer srv.Close()
	o, err := NewOpenAI(&OpenAIConfig{BaseURL: srv.URL + "/v1", Model: "m", Dims: 16})
	require.NoError(t, err)
	_, err = o.Embed(context.Background(), []Doc{{Text: "x"}})
	assert.ErrorContains(t, err, "returned 8 dimensions, configured 16")

	zero := embeddingsServer(t, 8, nil, func(v []float32) { clear(v) })
	defer zero.Close()
	o, err = NewOpenAI(&OpenAIConfig{BaseURL: zero.URL + "/v1", Model: "m", Dims: 8})
	require.NoError(t, err)
	_, err = o.Embed(context.Background(), []Doc{{Text: "x"}})
	assert.ErrorContains(t, err, "zero vector")
}
