package cds

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// benchBody is an order-sign call with 8 active medications, 2 draft orders, 3 allergies and
// labs, as the load goal describes.
func benchBody(draftID string) []byte {
	active := []map[string]any{
		medReq("m1", "active", "855332", "Warfarin Sodium 5 MG Oral Tablet"),
		medReq("m2", "active", "", "metformin 500 mg tablet"),
		medReq("m3", "active", "", "lisinopril 10 mg tablet"),
		medReq("m4", "active", "", "atorvastatin 40 mg tablet"),
		medReq("m5", "active", "", "metoprolol succinate 50 mg"),
		medReq("m6", "active", "", "omeprazole 20 mg capsule"),
		medReq("m7", "active", "", "levothyroxine 50 mcg tablet"),
		medReq("m8", "active", "", "amlodipine 5 mg tablet"),
	}
	pf := map[string]any{
		"patient":     map[string]any{"resourceType": "Patient", "id": "p1", "gender": "male", "birthDate": "1948-07-01"},
		"medications": bundle(active...),
		"statements":  bundle(),
		"allergies":   bundle(allergy("penicillin"), allergy("sulfa"), allergy("codeine")),
		"conditions":  bundle(map[string]any{"resourceType": "Condition", "subject": map[string]any{"reference": "Patient/p1"}, "code": map[string]any{"coding": []any{map[string]any{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I48.91", "display": "Unspecified atrial fibrillation"}}}}),
		"labs":        bundle(lab("62238-1", 48, "mL/min/{1.73_m2}"), lab("2160-0", 1.4, "mg/dL"), lab("2823-3", 4.9, "mmol/L"), lab("6301-6", 2.6, "{INR}")),
	}
	return hookBody(HookOrderSign, []map[string]any{medReq(draftID+"-1", "draft", "5640", "ibuprofen 400 mg tablet"), medReq(draftID+"-2", "draft", "", "clarithromycin 500 mg tablet")}, pf)
}

// benchServer serves medscribe on loopback with JWT verification (ES384) on, the shipped
// rules and a SQLite store; it returns the URL and a token minter.
func benchServer(b *testing.B) (string, func() string) {
	b.Helper()
	e := newEnv(b, envOpts{rulesDir: "default"})
	e.now = time.Now().UTC()
	e.svc.cfg.Now = time.Now
	e.svc.auth.now = time.Now
	e.svc.auth.parser = jwt.NewParser(jwt.WithValidMethods(allowedAlgs), jwt.WithLeeway(30*time.Second), jwt.WithExpirationRequired(), jwt.WithIssuedAt())
	srv := httptest.NewServer(e.handler)
	b.Cleanup(srv.Close)
	return srv.URL, func() string { e.now = time.Now().UTC(); return e.sign(b, pathSign, tok{}) }
}

func post(client *http.Client, url, token string, body []byte) (time.Duration, error) {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	var out struct {
		Cards []json.RawMessage `json:"cards"`
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	d := time.Since(start)
	if resp.StatusCode != http.StatusOK || err != nil || len(out.Cards) == 0 {
		return d, errBench
	}
	return d, nil
}

var errBench = &requestError{status: 500, msg: "benchmark call failed"}

// cpuTime is the process's user+system CPU time: the benchmark reports CPU per call (client
// and server together, both in this process), a figure the other tenants of a shared machine
// disturb less than latency.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func percentiles(b *testing.B, lat []time.Duration, elapsed, cpu time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) == 0 {
		return
	}
	p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(p(0.50), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(lat)), "cpu-ms/req")
}

// BenchmarkOrderSign measures closed-loop throughput: as many calls as GOMAXPROCS×4 clients
// can make, each with a fresh ES384 JWT (minted before the timer starts).
func BenchmarkOrderSign(b *testing.B) {
	url, mint := benchServer(b)
	// Each call signs new draft orders (so the shown-card log writes), with a fresh token.
	tokens, bodies := make([]string, b.N), make([][]byte, b.N)
	for i := range tokens {
		tokens[i], bodies[i] = mint(), benchBody(uuid.NewString())
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 5 * time.Second}
	var next atomic.Int64
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	var failed atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			d, err := post(client, url+pathSign, tokens[i], bodies[i])
			if err != nil {
				failed.Add(1)
				continue
			}
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
		}
	})
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d calls failed", failed.Load())
	}
	percentiles(b, lat, elapsed, cpu)
}

// BenchmarkOrderSign500rps is the load goal: an open-loop generator at 500 calls/s for 5 s
// (2500 calls, each with a fresh ES384 JWT), reporting p50/p99 latency and achieved rate.
// Run it once: go test -run=^$ -bench=OrderSign500rps -benchtime=1x ./cds
func BenchmarkOrderSign500rps(b *testing.B) {
	const rate, dur = 500, 5 * time.Second
	url, mint := benchServer(b)
	n := int(rate * dur.Seconds())
	tokens, bodies := make([]string, n*b.N), make([][]byte, n*b.N)
	for i := range tokens {
		tokens[i], bodies[i] = mint(), benchBody(uuid.NewString())
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}, Timeout: 5 * time.Second}
	var mu sync.Mutex
	var lat []time.Duration
	var failed atomic.Int64
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for round := 0; round < b.N; round++ {
		var wg sync.WaitGroup
		tick := time.NewTicker(time.Second / rate)
		for i := 0; i < n; i++ {
			<-tick.C
			tk, body := tokens[round*n+i], bodies[round*n+i]
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, err := post(client, url+pathSign, tk, body)
				if err != nil {
					failed.Add(1)
					return
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}()
		}
		tick.Stop()
		wg.Wait()
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d calls failed", failed.Load())
	}
	percentiles(b, lat, elapsed, cpu)
}
