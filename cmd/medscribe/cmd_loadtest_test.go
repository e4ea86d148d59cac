package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/fhir"
	"github.com/medscribe/medscribe/visit"
)

func TestSummarizeLatency(t *testing.T) {
	msd := func(xs ...int) []time.Duration {
		out := make([]time.Duration, len(xs))
		for i, x := range xs {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[99-i] = i + 1 // 100..1, unsorted on purpose
	}
	tests := []struct {
		name string
		in   []time.Duration
		want latencySummary
	}{
		{name: "empty", in: nil, want: latencySummary{}},
		{name: "one", in: msd(7), want: latencySummary{P50: 7, P90: 7, P99: 7, Max: 7, Mean: 7}},
		{name: "1..100 ms", in: msd(hundred...), want: latencySummary{P50: 50, P90: 90, P99: 99, Max: 100, Mean: 50.5}},
		{name: "ten with an outlier", in: msd(10, 10, 10, 10, 10, 10, 10, 10, 10, 1000),
			want: latencySummary{P50: 10, P90: 10, P99: 1000, Max: 1000, Mean: 109}},
		{name: "three", in: msd(30, 10, 20), want: latencySummary{P50: 20, P90: 30, P99: 30, Max: 30, Mean: 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, summarizeLatency(tt.in))
		})
	}
}

func TestBuildLoadReport(t *testing.T) {
	ms := time.Millisecond
	recs := []callRecord{
		{kind: kindCDS, status: "200", ok: true, latency: 10 * ms, cards: 3},
		{kind: kindCDS, status: "200", ok: true, latency: 20 * ms, cards: 1},
		{kind: kindCDS, status: "500", latency: 30 * ms},
		{kind: kindCDS, status: "timeout", latency: 40 * ms},
		{kind: kindIngest, status: "202", ok: true, latency: 100 * ms},
		{kind: kindIngest, status: "413", latency: 5 * ms},
		{kind: kindIngest, status: "dropped"},
	}
	rep := buildLoadReport(recs, 2*time.Second)
	cdsRep, ing := rep.Kinds[kindCDS], rep.Kinds[kindIngest]
	require.NotNil(t, cdsRep)
	require.NotNil(t, ing)
	assert.Equal(t, 4, cdsRep.Requests)
	assert.Equal(t, 2, cdsRep.OK)
	assert.Equal(t, 2, cdsRep.Errors)
	assert.Equal(t, map[string]int{"500": 1, "timeout": 1}, cdsRep.ErrorsByStatus)
	assert.Equal(t, 1.0, cdsRep.ThroughputRPS)
	assert.Equal(t, 2.0, cdsRep.CardsPerCall)
	assert.Equal(t, latencySummary{P50: 20, P90: 40, P99: 40, Max: 40, Mean: 25}, cdsRep.LatencyMS)

	assert.Equal(t, 3, ing.Requests)
	assert.Equal(t, 1, ing.OK)
	assert.Equal(t, 2, ing.Errors)
	assert.Equal(t, 1, ing.Dropped)
	assert.Equal(t, map[string]int{"413": 1, "dropped": 1}, ing.ErrorsByStatus)
	assert.Equal(t, 0.5, ing.ThroughputRPS)
	assert.Equal(t, 100.0, ing.LatencyMS.Max, "dropped calls have no latency")

	assert.Equal(t, 7, rep.Total.Requests)
	assert.Equal(t, 3, rep.Total.OK)
	assert.Equal(t, 4, rep.Total.Errors)
	assert.Equal(t, 1.5, rep.Total.ThroughputRPS)
	assert.Equal(t, latencySummary{P50: 20, P90: 100, P99: 100, Max: 100, Mean: 34.17}, rep.Total.LatencyMS)
}

func TestSummarizeMemory(t *testing.T) {
	sample := func(at, rss, heap float64) memSample {
		return memSample{AtS: at, RSSBytes: rss, HeapInuseBytes: heap}
	}
	flat := []memSample{sample(0, 100, 10), sample(5, 110, 12), sample(10, 100, 11), sample(15, 105, 9), sample(20, 100, 10), sample(25, 100, 10)}
	m := summarizeMemory(flat)
	assert.Equal(t, memorySummary{RSSFirstBytes: 100, RSSLastBytes: 100, RSSMaxBytes: 110, HeapFirstBytes: 10,
		HeapLastBytes: 10, HeapMaxBytes: 12, RSSGrowthPct: -4.76}, m)
	growing := []memSample{sample(0, 100, 1), sample(5, 100, 1), sample(10, 150, 1), sample(15, 150, 1), sample(20, 200, 1), sample(25, 200, 1)}
	assert.Equal(t, 100.0, summarizeMemory(growing).RSSGrowthPct)
	assert.Equal(t, memorySummary{}, summarizeMemory(nil))

	// The live heap grows only by the case vectors: what is left is flat.
	var vectors []memSample
	for i := range 6 {
		v := float64(i) * 40
		vectors = append(vectors, memSample{AtS: float64(i * 5), RSSBytes: 100 + v, HeapAllocBytes: 20 + v, VectorCacheBytes: v})
	}
	m = summarizeMemory(vectors)
	assert.Equal(t, 20.0, m.LiveFirstBytes)
	assert.Equal(t, 220.0, m.LiveLastBytes)
	assert.Equal(t, 20.0, m.OtherFirstBytes)
	assert.Equal(t, 20.0, m.OtherLastBytes)
	assert.Equal(t, 0.0, m.OtherGrowthPct)
	assert.Greater(t, m.RSSGrowthPct, 50.0)
}

func TestParseMemMetrics(t *testing.T) {
	text := `# HELP go_memstats_heap_inuse_bytes Number of heap bytes that are in use.
# TYPE go_memstats_heap_inuse_bytes gauge
go_memstats_heap_inuse_bytes 1.2345e+07
go_memstats_heap_inuse_bytes_total 99
go_memstats_heap_alloc_bytes 1.1e+07
http_requests_total{route="/v1/visits",code="202"} 5
process_resident_memory_bytes 4.5056e+07
medscribe_cases 1234
medscribe_case_vector_cache_bytes 5.054464e+06
`
	s, err := parseMemMetrics(strings.NewReader(text))
	require.NoError(t, err)
	assert.Equal(t, memSample{RSSBytes: 45056000, HeapInuseBytes: 12345000, HeapAllocBytes: 11e6, Cases: 1234, VectorCacheBytes: 5054464}, s)
	s, err = parseMemMetrics(strings.NewReader("process_resident_memory_bytes 1\n"))
	require.NoError(t, err)
	assert.Equal(t, -1.0, s.Cases, "an older server exports no case count")
	_, err = parseMemMetrics(strings.NewReader("up 1\n"))
	assert.Error(t, err)
	_, err = parseMemMetrics(strings.NewReader("process_resident_memory_bytes NaNx\n"))
	assert.Error(t, err)
}

func TestParseMixAndSchedule(t *testing.T) {
	tests := []struct {
		mix     string
		want    map[string]int // picks out of 100
		wantErr string
	}{
		{mix: "cds=0.8,ingest=0.2", want: map[string]int{kindCDS: 80, kindIngest: 20}},
		{mix: "cds=3, ingest=1", want: map[string]int{kindCDS: 75, kindIngest: 25}},
		{mix: "ingest=1", want: map[string]int{kindIngest: 100}},
		{mix: "cds=1,ingest=0", want: map[string]int{kindCDS: 100}},
		{mix: "cds=0.8,fhir=0.2", wantErr: `unknown kind "fhir"`},
		{mix: "cds=-1,ingest=1", wantErr: "not a non-negative number"},
		{mix: "cds=0,ingest=0", wantErr: "no kind has a positive weight"},
		{mix: "cds", wantErr: "want kind=weight"},
		{mix: "cds=1,cds=2", wantErr: "given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.mix, func(t *testing.T) {
			mix, err := parseMix(tt.mix)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			s := &scheduler{mix: mix}
			got := map[string]int{}
			for range 100 {
				got[s.next()]++
			}
			assert.Equal(t, tt.want, got)
		})
	}
	// Smooth: with 0.8/0.2 no two ingest calls are adjacent.
	mix, _ := parseMix("cds=0.8,ingest=0.2")
	s := &scheduler{mix: mix}
	prev := ""
	for range 50 {
		k := s.next()
		assert.False(t, k == kindIngest && prev == kindIngest, "ingest calls are spread out")
		prev = k
	}
}

func TestLoopbackOnly(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://localhost:18080/", true},
		{"https://LOCALHOST", true},
		{"http://[::1]:8080", true},
		{"http://127.3.2.1:9000", true},
		{"http://10.0.0.1:8080", false},
		{"http://192.168.1.10", false},
		{"http://example.com", false},
		{"http://localhost.example.com", false},
		{"https://8.8.8.8", false},
		{"http://0.0.0.0:8080", false},
		{"ftp://127.0.0.1", false},
		{"http://user:pw@127.0.0.1", false},
		{"127.0.0.1:8080", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := loopbackURL(tt.url)
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
	// The dialer refuses a non-loopback address before any packet is sent.
	_, err := loopbackOnlyDialer().DialContext(context.Background(), "tcp", "192.0.2.1:80")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "non-loopback")

	var out bytes.Buffer
	err = runLoadtest(context.Background(), &env{stdout: &out, stderr: &out}, []string{"--url", "http://203.0.113.5:8080", "--duration", "1s"}, func(string) string { return "" })
	require.ErrorIs(t, err, errUsage)
	assert.Contains(t, err.Error(), "only loopback")
}

func TestLoadtestFlagErrors(t *testing.T) {
	dir := t.TempDir()
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalECPrivateKey(p256)
	require.NoError(t, err)
	p256File := filepath.Join(dir, "p256.pem")
	require.NoError(t, os.WriteFile(p256File, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600))
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--duration", "31m"}, "--duration"},
		{[]string{"--duration", "0s"}, "--duration"},
		{[]string{"--rate", "0"}, "--rate"},
		{[]string{"--mix", "x=1"}, "unknown kind"},
		{[]string{"--pprof-url", "http://10.0.0.1:6060"}, "--pprof-url"},
		{[]string{"--jwt-key", p256File}, "P-384"},
		{[]string{"--jwt-key", filepath.Join(dir, "missing.pem")}, "--jwt-key"},
		{[]string{"--print-jwks"}, "needs --jwt-key"},
		{[]string{"extra"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			err := runLoadtest(context.Background(), &env{stdout: &out, stderr: &out}, tt.args, func(string) string { return "" })
			require.ErrorIs(t, err, errUsage)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestSyntheticDialogue(t *testing.T) {
	a := syntheticDialogue(1, 7, 1300)
	assert.Equal(t, a, syntheticDialogue(1, 7, 1300), "same seed and index, same dialogue")
	assert.NotEqual(t, a, syntheticDialogue(1, 8, 1300), "each request has its own dialogue")
	assert.NotEqual(t, a, syntheticDialogue(2, 7, 1300), "the seed changes the dialogues")
	for i := range 20 {
		words := len(strings.Fields(strings.Join(syntheticDialogue(3, i, 1300), " ")))
		assert.GreaterOrEqual(t, words, 1300)
		assert.Less(t, words, 1400)
		for _, turn := range syntheticDialogue(3, i, 1300) {
			assert.NotContains(t, turn, "{", "every placeholder is filled")
		}
	}
}

// fakeMedscribe mimics the two endpoints and /metrics, checking what the load generator sends.
type fakeMedscribe struct {
	t      *testing.T
	pub    *ecdsa.PublicKey
	apiKey string
	srv    *httptest.Server

	mu        sync.Mutex
	cds       int
	ingest    int
	jtis      map[string]bool
	externals map[string]bool
	scrapes   int
	gcs       int // heap profiles asked for with gc=1
	problems  []string
}

func (f *fakeMedscribe) fail(format string, args ...any) {
	f.mu.Lock()
	f.problems = append(f.problems, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}

func newFakeMedscribe(t *testing.T, pub *ecdsa.PublicKey, apiKey string) *fakeMedscribe {
	f := &fakeMedscribe{t: t, pub: pub, apiKey: apiKey, jtis: map[string]bool{}, externals: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"status":"ok"}`)) })
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.scrapes++
		n := f.scrapes
		f.mu.Unlock()
		fmt.Fprintf(w, "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %d\ngo_memstats_heap_inuse_bytes %d\n", 40<<20+n<<20, 10<<20)
		fmt.Fprintf(w, "go_memstats_heap_alloc_bytes %d\nmedscribe_cases %d\nmedscribe_case_vector_cache_bytes %d\n", 8<<20+n<<12, n, n<<12)
	})
	mux.HandleFunc("GET /debug/pprof/heap", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") != "1" {
			f.fail("heap profile without gc=1: %s", r.URL.RawQuery)
		}
		f.mu.Lock()
		f.gcs++
		f.mu.Unlock()
		_, _ = w.Write([]byte("profile"))
	})
	mux.HandleFunc("POST /cds-services/medscribe-order-sign", f.orderSign)
	mux.HandleFunc("POST /v1/visits", f.visit)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeMedscribe) orderSign(w http.ResponseWriter, r *http.Request) {
	aud := f.srv.URL + r.URL.Path
	claims := jwt.MapClaims{}
	tok, err := jwt.NewParser(jwt.WithValidMethods([]string{"ES384"}), jwt.WithAudience(aud), jwt.WithIssuer("lt-test"),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt()).
		ParseWithClaims(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), claims, func(*jwt.Token) (any, error) { return f.pub, nil })
	if err != nil {
		f.fail("cds jwt: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if tok.Header["kid"] != "lt-kid" {
		f.fail("cds jwt kid %v", tok.Header["kid"])
	}
	var req struct {
		Hook     string                     `json:"hook"`
		Context  map[string]json.RawMessage `json:"context"`
		Prefetch map[string]json.RawMessage `json:"prefetch"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Hook != "order-sign" {
		f.fail("cds body: %v hook %q", err, req.Hook)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	count := func(raw json.RawMessage, status string) (n int, codes []string) {
		var b fhir.Bundle
		if err := json.Unmarshal(raw, &b); err != nil {
			f.fail("bundle: %v", err)
			return 0, nil
		}
		for _, res := range b.Resources() {
			switch x := res.(type) {
			case *fhir.MedicationRequest:
				if x.Status == status {
					n++
				}
			case *fhir.MedicationStatement:
				if x.Status == status {
					n++
				}
			case *fhir.AllergyIntolerance:
				n++
			case *fhir.Observation:
				n++
				for _, c := range x.Code.Coding {
					codes = append(codes, c.Code)
				}
			}
		}
		return n, codes
	}
	drafts, _ := count(req.Context["draftOrders"], "draft")
	meds, _ := count(req.Prefetch["medications"], "active")
	stmts, _ := count(req.Prefetch["statements"], "active")
	allergies, _ := count(req.Prefetch["allergies"], "")
	labs, codes := count(req.Prefetch["labs"], "")
	if drafts != 2 || meds+stmts != 8 || allergies != 3 || labs != 3 {
		f.fail("cds content: drafts %d active %d allergies %d labs %d", drafts, meds+stmts, allergies, labs)
	}
	assert.ElementsMatch(f.t, []string{"62238-1", "2823-3", "6301-6"}, codes, "eGFR, potassium, INR")
	f.mu.Lock()
	jti, _ := claims["jti"].(string)
	if f.jtis[jti] {
		f.problems = append(f.problems, "jti reused")
	}
	f.jtis[jti] = true
	f.cds++
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"cards":[{"summary":"a"},{"summary":"b"}]}`))
}

func (f *fakeMedscribe) visit(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+f.apiKey {
		f.fail("ingest auth %q", r.Header.Get("Authorization"))
	}
	var req struct {
		ExternalID string       `json:"external_id"`
		PatientID  string       `json:"patient_id"`
		Turns      []visit.Turn `json:"turns"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		f.fail("ingest body: %v", err)
	}
	words := 0
	for i, t := range req.Turns {
		words += len(strings.Fields(t.Text))
		if t.Index != i || (t.Speaker != visit.Doctor && t.Speaker != visit.Patient) {
			f.fail("speaker %q", t.Speaker)
		}
	}
	if words < 1300 || words > 1400 || req.PatientID == "" {
		f.fail("ingest: %d words, patient %q", words, req.PatientID)
	}
	f.mu.Lock()
	if f.externals[req.ExternalID] {
		f.problems = append(f.problems, "external_id reused")
	}
	f.externals[req.ExternalID] = true
	f.ingest++
	n := f.ingest
	f.mu.Unlock()
	if n%5 == 0 { // every fifth ingest fails, to exercise error counting
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"queued"}`))
}

func TestLoadtestRun(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	keyFile, reportFile := filepath.Join(dir, "key.pem"), filepath.Join(dir, "report.json")
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
	f := newFakeMedscribe(t, &key.PublicKey, "msk_test")

	var out, errOut bytes.Buffer
	err = runLoadtest(context.Background(), &env{stdout: &out, stderr: &errOut}, []string{
		"--url", f.srv.URL, "--duration", "2s", "--rate", "50", "--mix", "cds=0.8,ingest=0.2",
		"--jwt-key", keyFile, "--iss", "lt-test", "--kid", "lt-kid", "--metrics-every", "500ms", "--out", reportFile,
		"--pprof-url", f.srv.URL,
	}, func(k string) string {
		if k == "MEDSCRIBE_API_KEY" {
			return "msk_test"
		}
		return ""
	})
	require.NoError(t, err, errOut.String())
	assert.Empty(t, f.problems)

	b, err := os.ReadFile(reportFile)
	require.NoError(t, err)
	var rep loadReport
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.Equal(t, 100, rep.Scheduled)
	assert.True(t, rep.Signed)
	assert.Equal(t, 100, rep.Total.Requests)
	require.Contains(t, rep.Kinds, kindCDS)
	require.Contains(t, rep.Kinds, kindIngest)
	c, ing := rep.Kinds[kindCDS], rep.Kinds[kindIngest]
	assert.Equal(t, 80, c.Requests)
	assert.Equal(t, 80, c.OK)
	assert.Equal(t, 2.0, c.CardsPerCall)
	assert.Equal(t, 20, ing.Requests)
	assert.Equal(t, 16, ing.OK)
	assert.Equal(t, map[string]int{"503": 4}, ing.ErrorsByStatus)
	assert.Equal(t, 4, rep.Total.Errors)
	f.mu.Lock()
	assert.Equal(t, 80, f.cds)
	assert.Equal(t, 20, f.ingest)
	assert.Len(t, f.jtis, 80, "a fresh jti per call")
	scrapes, gcs := f.scrapes, f.gcs
	f.mu.Unlock()
	assert.InDelta(t, float64(c.OK)/rep.ElapsedS, c.ThroughputRPS, 0.01)
	assert.LessOrEqual(t, c.LatencyMS.P50, c.LatencyMS.P90)
	assert.LessOrEqual(t, c.LatencyMS.P90, c.LatencyMS.P99)
	assert.LessOrEqual(t, c.LatencyMS.P99, c.LatencyMS.Max)
	require.GreaterOrEqual(t, len(rep.Memory), 3, "samples at start, during and after")
	assert.Equal(t, scrapes, len(rep.Memory)+rep.MemoryErrors)
	assert.Equal(t, float64(41<<20), rep.Memory[0].RSSBytes, "the first scrape")
	assert.Equal(t, rep.Memory[len(rep.Memory)-1].RSSBytes, rep.MemorySummary.RSSLastBytes)
	assert.Equal(t, scrapes, gcs, "a GC before every reading")
	for i, m := range rep.Memory {
		assert.True(t, m.AfterGC)
		assert.Equal(t, m.VectorCacheBytes, float64(int(m.Cases)<<12), "cases and vector bytes from the same scrape")
		assert.Equal(t, float64(8<<20), m.otherBytes(), "live heap minus vectors")
		if i > 0 {
			assert.GreaterOrEqual(t, m.Ingested, rep.Memory[i-1].Ingested)
		}
	}
	assert.Equal(t, ing.OK, rep.Memory[len(rep.Memory)-1].Ingested, "the last reading is after the load")
	assert.Equal(t, float64(8<<20), rep.MemorySummary.OtherLastBytes)
	assert.Contains(t, out.String(), "live heap (after a GC)")
	assert.Contains(t, out.String(), "cds cards per call: 2.00")
	assert.Contains(t, out.String(), "errors ingest: 503×4")

	// --print-jwks gives the key set a server needs to trust these tokens.
	out.Reset()
	require.NoError(t, runLoadtest(context.Background(), &env{stdout: &out, stderr: &errOut},
		[]string{"--jwt-key", keyFile, "--kid", "lt-kid", "--print-jwks"}, func(string) string { return "" }))
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &set))
	require.Len(t, set.Keys, 1)
	assert.Equal(t, "P-384", set.Keys[0]["crv"])
	assert.Equal(t, "lt-kid", set.Keys[0]["kid"])
}

func TestLoadtestRefusesWhenNoServer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	var out bytes.Buffer
	err := runLoadtest(context.Background(), &env{stdout: &out, stderr: &out}, []string{"--url", url, "--duration", "1s"}, func(string) string { return "" })
	require.Error(t, err)
	assert.False(t, errors.Is(err, errUsage))
	assert.Contains(t, err.Error(), "not reachable")
}
