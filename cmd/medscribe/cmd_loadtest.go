package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/medscribe/medscribe/cds"
)

func init() {
	register(command{name: "loadtest", summary: "generate a reproducible CDS Hooks + ingest load against a local server",
		run: func(ctx context.Context, e *env, args []string) error { return runLoadtest(ctx, e, args, os.Getenv) }})
}

// Load kinds.
const (
	kindCDS    = "cds"
	kindIngest = "ingest"
)

// maxLoadDuration bounds a run: the machine is shared, and a forgotten run must end.
const maxLoadDuration = 30 * time.Minute

// loadConfig is a resolved loadtest invocation.
type loadConfig struct {
	base         *url.URL
	duration     time.Duration
	rate         float64 // requests per second, all kinds together
	mix          []mixEntry
	apiKey       string
	jwtKey       *ecdsa.PrivateKey
	iss, kid     string
	seed         uint64
	timeout      time.Duration // per request
	maxInFlight  int
	metricsEvery time.Duration
	pprof        *url.URL // the server's MEDSCRIBE_PPROF_ADDR listener; nil: no GC before samples
	patients     int
}

type mixEntry struct {
	kind   string
	weight float64
}

func runLoadtest(ctx context.Context, e *env, args []string, getenv func(string) string) error {
	fs := newFlagSet(e, "loadtest")
	rawURL := fs.String("url", "http://127.0.0.1:8080", "base URL of the medscribe server (loopback only)")
	duration := fs.Duration("duration", 60*time.Second, "how long to send load (at most 30m)")
	rate := fs.Float64("rate", 20, "requests per second, all kinds together, sent on a fixed schedule (open loop)")
	mix := fs.String("mix", "cds=0.8,ingest=0.2", "share of each kind: cds (CDS Hooks order-sign) and ingest (POST /v1/visits)")
	apiKeyFile := fs.String("api-key-file", "", "file holding the API key for /v1 calls (default: env MEDSCRIBE_API_KEY)")
	jwtKey := fs.String("jwt-key", "", "EC P-384 private key (PEM) to sign CDS Hooks JWTs with ES384; without it CDS calls are unsigned (--dev servers)")
	iss := fs.String("iss", "medscribe-loadtest", "iss of the CDS Hooks JWTs (must be in the server's cds.issuers)")
	kid := fs.String("kid", "medscribe-loadtest", "kid of the CDS Hooks JWTs (the key's id in the server's JWKS)")
	printJWKS := fs.Bool("print-jwks", false, "print the public JWK Set of --jwt-key (for the server's cds.jwks_file) and exit")
	out := fs.String("out", "", "write the JSON report to this file")
	seed := fs.Uint64("seed", 1, "seed of the synthetic dialogues (same seed, same requests)")
	timeout := fs.Duration("timeout", 30*time.Second, "timeout of one request")
	maxInFlight := fs.Int("max-in-flight", 512, "requests outstanding at once; a scheduled request beyond it is counted as dropped")
	metricsEvery := fs.Duration("metrics-every", 5*time.Second, "how often to sample the server's memory from /metrics")
	pprofURL := fs.String("pprof-url", "", "the server's MEDSCRIBE_PPROF_ADDR (http://127.0.0.1:6060): each memory sample first makes the server collect garbage, so heap figures are live data (loopback only)")
	patients := fs.Int("patients", 50, "distinct synthetic patient ids the requests cycle through")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	cfg := loadConfig{duration: *duration, rate: *rate, iss: *iss, kid: *kid, seed: *seed, timeout: *timeout,
		maxInFlight: *maxInFlight, metricsEvery: *metricsEvery, patients: *patients}
	var errs []string
	var err error
	if cfg.base, err = loopbackURL(*rawURL); err != nil {
		errs = append(errs, err.Error())
	}
	if cfg.mix, err = parseMix(*mix); err != nil {
		errs = append(errs, err.Error())
	}
	if *pprofURL != "" {
		if cfg.pprof, err = loopbackURL(*pprofURL); err != nil {
			errs = append(errs, strings.Replace(err.Error(), "--url", "--pprof-url", 1))
		}
	}
	if cfg.duration <= 0 || cfg.duration > maxLoadDuration {
		errs = append(errs, fmt.Sprintf("--duration %s: want more than 0 and at most %s", cfg.duration, maxLoadDuration))
	}
	if !(cfg.rate > 0 && cfg.rate <= 10000) {
		errs = append(errs, fmt.Sprintf("--rate %g: want more than 0 and at most 10000", cfg.rate))
	}
	if cfg.timeout <= 0 || cfg.maxInFlight < 1 || cfg.metricsEvery < 100*time.Millisecond || cfg.patients < 1 {
		errs = append(errs, "--timeout, --max-in-flight, --patients must be positive and --metrics-every at least 100ms")
	}
	if *jwtKey != "" {
		if cfg.jwtKey, err = readES384Key(*jwtKey); err != nil {
			errs = append(errs, err.Error())
		}
		if cfg.iss == "" || cfg.kid == "" {
			errs = append(errs, "--iss and --kid are required with --jwt-key")
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", errUsage, strings.Join(errs, "; "))
	}
	if *printJWKS {
		if cfg.jwtKey == nil {
			return fmt.Errorf("%w: --print-jwks needs --jwt-key", errUsage)
		}
		return json.NewEncoder(e.stdout).Encode(publicJWKS(&cfg.jwtKey.PublicKey, cfg.kid))
	}
	cfg.apiKey = getenv("MEDSCRIBE_API_KEY")
	if *apiKeyFile != "" {
		b, err := os.ReadFile(*apiKeyFile)
		if err != nil {
			return fmt.Errorf("%w: --api-key-file: %v", errUsage, err)
		}
		cfg.apiKey = strings.TrimSpace(string(b))
	}

	fmt.Fprintf(e.stderr, "loadtest: %s for %s at %g req/s (%s), signed CDS calls: %t\n",
		cfg.base, cfg.duration, cfg.rate, *mix, cfg.jwtKey != nil)
	r := newLoadRunner(cfg)
	rep, err := r.run(ctx)
	if err != nil {
		return err
	}
	if err := rep.writeTable(e.stdout); err != nil {
		return err
	}
	if *out != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return nil
}

// loopbackURL parses the base URL and refuses anything that is not this machine: the load
// generator must never be pointed at another host.
func loopbackURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSuffix(raw, "/"))
	if err != nil {
		return nil, fmt.Errorf("--url %q: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("--url %q: want http:// or https://", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("--url %q: no user info, query or fragment", raw)
	}
	if !isLoopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("--url %q: only loopback addresses (localhost, 127.0.0.0/8, ::1) are allowed: the load generator never sends load to another machine", raw)
	}
	return u, nil
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// loopbackOnlyDialer refuses connections to non-loopback addresses, whatever name resolution
// says, so neither a hosts file nor a redirect can send the load elsewhere.
func loopbackOnlyDialer() *net.Dialer {
	return &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("loadtest: refusing to connect to non-loopback address %s", address)
			}
			return nil
		}}
}

// parseMix reads "cds=0.8,ingest=0.2"; weights need not sum to 1.
func parseMix(s string) ([]mixEntry, error) {
	var out []mixEntry
	seen := map[string]bool{}
	total := 0.0
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("--mix %q: want kind=weight[,kind=weight]", s)
		}
		k = strings.TrimSpace(k)
		if k != kindCDS && k != kindIngest {
			return nil, fmt.Errorf("--mix: unknown kind %q (want cds or ingest)", k)
		}
		if seen[k] {
			return nil, fmt.Errorf("--mix: %s given twice", k)
		}
		seen[k] = true
		w, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || w < 0 || math.IsInf(w, 0) || math.IsNaN(w) {
			return nil, fmt.Errorf("--mix: weight of %s %q is not a non-negative number", k, v)
		}
		if w > 0 {
			out = append(out, mixEntry{kind: k, weight: w})
			total += w
		}
	}
	if total == 0 {
		return nil, fmt.Errorf("--mix %q: no kind has a positive weight", s)
	}
	for i := range out {
		out[i].weight /= total
	}
	return out, nil
}

// scheduler picks kinds by smooth weighted round-robin: the sequence is fixed by the mix
// alone, interleaves kinds evenly, and over n calls gives each kind its share to within one.
type scheduler struct {
	mix     []mixEntry
	current []float64
}

func (s *scheduler) next() string {
	if s.current == nil {
		s.current = make([]float64, len(s.mix))
	}
	best := 0
	for i, m := range s.mix {
		s.current[i] += m.weight
		if s.current[i] > s.current[best] {
			best = i
		}
	}
	s.current[best]--
	return s.mix[best].kind
}

func readES384Key(path string) (*ecdsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--jwt-key: %v", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("--jwt-key %s: no PEM block", path)
	}
	var key any
	switch blk.Type {
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(blk.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	default:
		return nil, fmt.Errorf("--jwt-key %s: PEM block %q is not a private key", path, blk.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("--jwt-key %s: %v", path, err)
	}
	ek, ok := key.(*ecdsa.PrivateKey)
	if !ok || ek.Curve != elliptic.P384() {
		return nil, fmt.Errorf("--jwt-key %s: want an EC P-384 key (ES384); make one with: openssl ecparam -name secp384r1 -genkey -noout -out key.pem", path)
	}
	return ek, nil
}

// publicJWKS is the JWK Set the server needs to verify the load generator's tokens.
func publicJWKS(pub *ecdsa.PublicKey, kid string) map[string]any {
	x, y := make([]byte, 48), make([]byte, 48)
	pub.X.FillBytes(x)
	pub.Y.FillBytes(y)
	enc := base64.RawURLEncoding.EncodeToString
	return map[string]any{"keys": []map[string]string{{"kty": "EC", "crv": "P-384", "use": "sig", "alg": "ES384",
		"kid": kid, "x": enc(x), "y": enc(y)}}}
}

// signCDSJWT makes the CDS Hooks 2.0 client JWT for one call: aud is the service URL, jti
// is fresh, and the token lives 5 minutes (the spec's maximum).
func signCDSJWT(key *ecdsa.PrivateKey, iss, kid, aud string, now time.Time) (string, error) {
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	t := jwt.NewWithClaims(jwt.SigningMethodES384, jwt.MapClaims{
		"iss": iss, "sub": iss, "aud": aud, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"jti": hex.EncodeToString(jti),
	})
	t.Header["kid"] = kid
	t.Header["typ"] = "JWT"
	return t.SignedString(key)
}

// callRecord is the outcome of one scheduled request.
type callRecord struct {
	kind    string
	status  string // HTTP status code, or "timeout", "transport", "dropped"
	ok      bool
	latency time.Duration // from the scheduled send time to the end of the response body
	cards   int
}

// memSample is one reading of the server's /metrics.
type memSample struct {
	AtS            float64 `json:"at_s"`
	RSSBytes       float64 `json:"rss_bytes"`
	HeapInuseBytes float64 `json:"heap_inuse_bytes"`
	// HeapAllocBytes is the bytes of allocated heap objects: the live heap when AfterGC.
	HeapAllocBytes float64 `json:"heap_alloc_bytes"`
	// AfterGC says the server collected garbage just before this reading (--pprof-url).
	AfterGC bool `json:"after_gc"`
	// Cases is the server's case base size (medscribe_cases; -1 when not exported): every
	// stored visit is a case.
	Cases float64 `json:"cases"`
	// VectorCacheBytes is what the embedded store's in-memory case vectors take
	// (medscribe_case_vector_cache_bytes; 0 for PostgreSQL, where vectors live in the database).
	VectorCacheBytes float64 `json:"vector_cache_bytes"`
	// Ingested is how many of this run's visits the server had accepted by then.
	Ingested int `json:"ingested"`
}

// otherBytes is the heap not taken by case vectors: what must stay flat when nothing leaks.
func (s memSample) otherBytes() float64 { return s.HeapAllocBytes - s.VectorCacheBytes }

type loadRunner struct {
	cfg    loadConfig
	client *http.Client
	now    func() time.Time
	runID  string

	mu       sync.Mutex
	records  []callRecord
	mem      []memSample
	memErrs  int
	ingested int // successful ingest calls so far
}

func newLoadRunner(cfg loadConfig) *loadRunner {
	tr := &http.Transport{
		Proxy:               nil, // never through a proxy: the load stays on this machine
		DialContext:         loopbackOnlyDialer().DialContext,
		MaxIdleConns:        cfg.maxInFlight,
		MaxIdleConnsPerHost: cfg.maxInFlight,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   false,
	}
	id := make([]byte, 4)
	_, _ = rand.Read(id)
	return &loadRunner{cfg: cfg, now: time.Now, runID: hex.EncodeToString(id),
		client: &http.Client{Transport: tr, Timeout: cfg.timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// run sends the load on a fixed schedule (request i at start + i/rate, whatever the server's
// answers: open loop, so a slow server is measured, not waited for), then waits for the
// outstanding requests and builds the report.
func (r *loadRunner) run(ctx context.Context) (*loadReport, error) {
	if err := r.preflight(ctx); err != nil {
		return nil, err
	}
	start := r.now()
	interval := time.Duration(float64(time.Second) / r.cfg.rate)
	n := int(math.Ceil(r.cfg.duration.Seconds() * r.cfg.rate))
	sched := &scheduler{mix: r.cfg.mix}
	gen := newPayloadGen(r.cfg.seed, r.cfg.patients)

	memCtx, stopMem := context.WithCancel(ctx)
	memDone := make(chan struct{})
	go func() { defer close(memDone); r.sampleMemory(memCtx, start) }()

	sem := make(chan struct{}, r.cfg.maxInFlight)
	var wg sync.WaitGroup
	timer := time.NewTimer(0)
	<-timer.C
	sent := 0
loop:
	for i := 0; i < n; i++ {
		at := start.Add(time.Duration(i) * interval)
		if d := at.Sub(r.now()); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				timer.Stop()
				break loop
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			break loop
		}
		kind := sched.next()
		req, err := r.build(kind, i, gen)
		if err != nil {
			stopMem()
			return nil, err
		}
		sent++
		select {
		case sem <- struct{}{}:
		default:
			r.record(callRecord{kind: kind, status: "dropped"})
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r.record(r.do(ctx, kind, req, at))
		}()
	}
	wg.Wait()
	end := r.now()
	stopMem()
	<-memDone
	r.sampleOnce(context.WithoutCancel(ctx), start) // the last reading, after the load
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := buildLoadReport(r.records, end.Sub(start))
	rep.URL, rep.StartedAt, rep.PlannedS, rep.Rate, rep.Seed = r.cfg.base.String(), start.UTC(), r.cfg.duration.Seconds(), r.cfg.rate, r.cfg.seed
	rep.Scheduled, rep.Signed, rep.Interrupted = sent, r.cfg.jwtKey != nil, ctx.Err() != nil
	rep.Mix = map[string]float64{}
	for _, m := range r.cfg.mix {
		rep.Mix[m.kind] = m.weight
	}
	rep.Memory, rep.MemoryErrors = r.mem, r.memErrs
	rep.MemorySummary = summarizeMemory(r.mem)
	return rep, nil
}

// preflight checks that a medscribe server answers before the clock starts, so a wrong port
// is one clear error rather than a report full of connection failures.
func (r *loadRunner) preflight(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.cfg.base.String()+"/healthz", nil)
	if err != nil {
		return err
	}
	res, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("server not reachable at %s: %w", r.cfg.base, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s/healthz answered %d: is this a medscribe server?", r.cfg.base, res.StatusCode)
	}
	return nil
}

// preparedRequest is a request body and its target, built before its send time so that
// building does not count as latency.
type preparedRequest struct {
	url  string
	body []byte
}

func (r *loadRunner) build(kind string, i int, gen *payloadGen) (preparedRequest, error) {
	switch kind {
	case kindCDS:
		b, err := gen.orderSign(i)
		return preparedRequest{url: r.cfg.base.String() + "/cds-services/" + cds.ServiceOrderSign, body: b}, err
	case kindIngest:
		b, err := gen.visit(r.runID, i)
		return preparedRequest{url: r.cfg.base.String() + "/v1/visits", body: b}, err
	}
	return preparedRequest{}, fmt.Errorf("unknown kind %q", kind)
}

func (r *loadRunner) do(ctx context.Context, kind string, p preparedRequest, scheduled time.Time) callRecord {
	rec := callRecord{kind: kind}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(p.body))
	if err != nil {
		rec.status = "transport"
		return rec
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	switch {
	case kind == kindCDS && r.cfg.jwtKey != nil:
		tok, err := signCDSJWT(r.cfg.jwtKey, r.cfg.iss, r.cfg.kid, p.url, r.now())
		if err != nil {
			rec.status = "transport"
			return rec
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	case kind == kindIngest && r.cfg.apiKey != "":
		req.Header.Set("Authorization", "Bearer "+r.cfg.apiKey)
	}
	res, err := r.client.Do(req)
	if err != nil {
		rec.latency = r.now().Sub(scheduled)
		rec.status = "transport"
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			rec.status = "timeout"
		}
		return rec
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	res.Body.Close()
	rec.latency = r.now().Sub(scheduled)
	rec.status = strconv.Itoa(res.StatusCode)
	rec.ok = err == nil && res.StatusCode >= 200 && res.StatusCode < 300
	if rec.ok && kind == kindCDS {
		var resp struct {
			Cards []json.RawMessage `json:"cards"`
		}
		if json.Unmarshal(body, &resp) != nil {
			rec.ok, rec.status = false, "bad-response"
		}
		rec.cards = len(resp.Cards)
	}
	return rec
}

func (r *loadRunner) record(c callRecord) {
	r.mu.Lock()
	r.records = append(r.records, c)
	if c.ok && c.kind == kindIngest {
		r.ingested++
	}
	r.mu.Unlock()
}

func (r *loadRunner) sampleMemory(ctx context.Context, start time.Time) {
	t := time.NewTicker(r.cfg.metricsEvery)
	defer t.Stop()
	r.sampleOnce(ctx, start)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.sampleOnce(ctx, start)
		}
	}
}

func (r *loadRunner) sampleOnce(ctx context.Context, start time.Time) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	gcErr := r.collectGarbage(ctx)
	s, err := r.scrape(ctx)
	s.AfterGC = r.cfg.pprof != nil && gcErr == nil
	r.mu.Lock()
	defer r.mu.Unlock()
	s.Ingested = r.ingested
	if err != nil {
		if ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			r.memErrs++
		}
		return
	}
	s.AtS = math.Round(r.now().Sub(start).Seconds()*10) / 10
	r.mem = append(r.mem, s)
}

// collectGarbage asks the server for a heap profile with gc=1, which runs a garbage
// collection first: the next reading then shows live memory, not garbage awaiting collection.
func (r *loadRunner) collectGarbage(ctx context.Context) error {
	if r.cfg.pprof == nil {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.cfg.pprof.String()+"/debug/pprof/heap?gc=1", nil)
	if err != nil {
		return err
	}
	res, err := r.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<20))
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %d", req.URL.Path, res.StatusCode)
	}
	return nil
}

func (r *loadRunner) scrape(ctx context.Context) (memSample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.cfg.base.String()+"/metrics", nil)
	if err != nil {
		return memSample{}, err
	}
	res, err := r.client.Do(req)
	if err != nil {
		return memSample{}, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return memSample{}, fmt.Errorf("/metrics answered %d", res.StatusCode)
	}
	return parseMemMetrics(io.LimitReader(res.Body, 16<<20))
}

// parseMemMetrics reads the memory gauges from Prometheus text exposition format.
func parseMemMetrics(r io.Reader) (memSample, error) {
	s := memSample{Cases: -1}
	var haveRSS, haveHeap bool
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		name, val, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		var dst *float64
		switch name {
		case "process_resident_memory_bytes":
			dst, haveRSS = &s.RSSBytes, true
		case "go_memstats_heap_inuse_bytes":
			dst, haveHeap = &s.HeapInuseBytes, true
		case "go_memstats_heap_alloc_bytes":
			dst = &s.HeapAllocBytes
		case "medscribe_cases":
			dst = &s.Cases
		case "medscribe_case_vector_cache_bytes":
			dst = &s.VectorCacheBytes
		default:
			continue
		}
		f, err := strconv.ParseFloat(strings.Fields(val)[0], 64)
		if err != nil {
			return s, fmt.Errorf("metric %s: %v", name, err)
		}
		*dst = f
	}
	if err := sc.Err(); err != nil {
		return s, err
	}
	if !haveRSS && !haveHeap {
		return s, errors.New("/metrics has neither process_resident_memory_bytes nor go_memstats_heap_inuse_bytes")
	}
	return s, nil
}

// loadReport is what a run measured; it is printed as a table and written as JSON.
type loadReport struct {
	URL       string             `json:"url"`
	StartedAt time.Time          `json:"started_at"`
	PlannedS  float64            `json:"planned_duration_s"`
	ElapsedS  float64            `json:"elapsed_s"` // until the last response
	Rate      float64            `json:"rate"`
	Mix       map[string]float64 `json:"mix"`
	Seed      uint64             `json:"seed"`
	Signed    bool               `json:"signed_cds_calls"`
	// Scheduled requests; Dropped ones were not sent because --max-in-flight were outstanding.
	Scheduled   int                    `json:"scheduled"`
	Interrupted bool                   `json:"interrupted,omitempty"`
	Total       kindReport             `json:"total"`
	Kinds       map[string]*kindReport `json:"kinds"`
	// Memory is the server's memory over time; MemoryErrors counts failed scrapes.
	Memory        []memSample   `json:"memory"`
	MemoryErrors  int           `json:"memory_errors"`
	MemorySummary memorySummary `json:"memory_summary"`
}

type kindReport struct {
	Requests       int            `json:"requests"`
	OK             int            `json:"ok"`
	Errors         int            `json:"errors"`
	Dropped        int            `json:"dropped"`
	ErrorsByStatus map[string]int `json:"errors_by_status"`
	// ThroughputRPS is successful responses per second of elapsed time.
	ThroughputRPS float64 `json:"throughput_rps"`
	// LatencyMS is over all answered requests (successful or not), measured from each
	// request's scheduled send time, so server stalls are not hidden (no coordinated omission).
	LatencyMS latencySummary `json:"latency_ms"`
	// CardsPerCall is the mean number of cards a successful CDS call returned.
	CardsPerCall float64 `json:"cards_per_call,omitempty"`
}

type latencySummary struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

type memorySummary struct {
	RSSFirstBytes  float64 `json:"rss_first_bytes"`
	RSSLastBytes   float64 `json:"rss_last_bytes"`
	RSSMaxBytes    float64 `json:"rss_max_bytes"`
	HeapFirstBytes float64 `json:"heap_inuse_first_bytes"`
	HeapLastBytes  float64 `json:"heap_inuse_last_bytes"`
	HeapMaxBytes   float64 `json:"heap_inuse_max_bytes"`
	// RSSGrowthPct compares the mean of the last third of the samples with the mean of the
	// first third: near 0 means flat.
	RSSGrowthPct float64 `json:"rss_growth_pct"`
	// Live heap (HeapAlloc, after a GC when the samples are) and the part of it that is not
	// case vectors, first and last sample, and the growth of the latter as RSSGrowthPct.
	LiveFirstBytes  float64 `json:"heap_live_first_bytes"`
	LiveLastBytes   float64 `json:"heap_live_last_bytes"`
	OtherFirstBytes float64 `json:"heap_live_minus_vectors_first_bytes"`
	OtherLastBytes  float64 `json:"heap_live_minus_vectors_last_bytes"`
	OtherGrowthPct  float64 `json:"heap_live_minus_vectors_growth_pct"`
}

// buildLoadReport aggregates call records; elapsed is the run's wall time.
func buildLoadReport(records []callRecord, elapsed time.Duration) *loadReport {
	rep := &loadReport{ElapsedS: elapsed.Seconds(), Kinds: map[string]*kindReport{}}
	lat := map[string][]time.Duration{}
	cards := map[string]int{}
	add := func(k *kindReport, c callRecord) {
		k.Requests++
		switch {
		case c.status == "dropped":
			k.Dropped++
			k.Errors++
			k.ErrorsByStatus[c.status]++
		case c.ok:
			k.OK++
		default:
			k.Errors++
			k.ErrorsByStatus[c.status]++
		}
	}
	rep.Total.ErrorsByStatus = map[string]int{}
	for _, c := range records {
		k := rep.Kinds[c.kind]
		if k == nil {
			k = &kindReport{ErrorsByStatus: map[string]int{}}
			rep.Kinds[c.kind] = k
		}
		add(k, c)
		add(&rep.Total, c)
		if c.status != "dropped" {
			lat[c.kind] = append(lat[c.kind], c.latency)
			lat[""] = append(lat[""], c.latency)
		}
		if c.ok {
			cards[c.kind] += c.cards
		}
	}
	finish := func(k *kindReport, name string) {
		k.LatencyMS = summarizeLatency(lat[name])
		if elapsed > 0 {
			k.ThroughputRPS = round2(float64(k.OK) / elapsed.Seconds())
		}
		if name == kindCDS && k.OK > 0 {
			k.CardsPerCall = round2(float64(cards[name]) / float64(k.OK))
		}
	}
	for name, k := range rep.Kinds {
		finish(k, name)
	}
	finish(&rep.Total, "")
	return rep
}

// summarizeLatency gives nearest-rank percentiles (the smallest value with at least p% of
// the values at or below it) in milliseconds.
func summarizeLatency(ds []time.Duration) latencySummary {
	if len(ds) == 0 {
		return latencySummary{}
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := func(p float64) float64 {
		i := int(math.Ceil(p/100*float64(len(s)))) - 1
		i = max(0, min(i, len(s)-1))
		return ms(s[i])
	}
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	return latencySummary{P50: rank(50), P90: rank(90), P99: rank(99), Max: ms(s[len(s)-1]),
		Mean: round2(float64(sum) / float64(len(s)) / float64(time.Millisecond))}
}

func ms(d time.Duration) float64 { return round2(float64(d) / float64(time.Millisecond)) }

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func summarizeMemory(s []memSample) memorySummary {
	if len(s) == 0 {
		return memorySummary{}
	}
	first, last := s[0], s[len(s)-1]
	m := memorySummary{RSSFirstBytes: first.RSSBytes, RSSLastBytes: last.RSSBytes,
		HeapFirstBytes: first.HeapInuseBytes, HeapLastBytes: last.HeapInuseBytes,
		LiveFirstBytes: first.HeapAllocBytes, LiveLastBytes: last.HeapAllocBytes,
		OtherFirstBytes: first.otherBytes(), OtherLastBytes: last.otherBytes()}
	for _, x := range s {
		m.RSSMaxBytes = math.Max(m.RSSMaxBytes, x.RSSBytes)
		m.HeapMaxBytes = math.Max(m.HeapMaxBytes, x.HeapInuseBytes)
	}
	third := max(1, len(s)/3)
	growth := func(v func(memSample) float64) float64 {
		mean := func(xs []memSample) float64 {
			t := 0.0
			for _, x := range xs {
				t += v(x)
			}
			return t / float64(len(xs))
		}
		if first := mean(s[:third]); first > 0 {
			return round2((mean(s[len(s)-third:]) - first) / first * 100)
		}
		return 0
	}
	m.RSSGrowthPct = growth(func(x memSample) float64 { return x.RSSBytes })
	m.OtherGrowthPct = growth(memSample.otherBytes)
	return m
}

// writeTable prints the report for a person.
func (rep *loadReport) writeTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "medscribe loadtest %s: %d scheduled over %.1fs at %g req/s, %.1fs elapsed\n",
		rep.URL, rep.Scheduled, rep.PlannedS, rep.Rate, rep.ElapsedS)
	fmt.Fprintln(tw, "kind\trequests\tok\terrors\tdropped\tok/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\t")
	names := make([]string, 0, len(rep.Kinds))
	for n := range rep.Kinds {
		names = append(names, n)
	}
	sort.Strings(names)
	row := func(name string, k *kindReport) {
		l := k.LatencyMS
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t\n", name, k.Requests, k.OK, k.Errors, k.Dropped,
			k.ThroughputRPS, l.P50, l.P90, l.P99, l.Max)
	}
	for _, n := range names {
		row(n, rep.Kinds[n])
	}
	row("total", &rep.Total)
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range names {
		k := rep.Kinds[n]
		if len(k.ErrorsByStatus) > 0 {
			codes := make([]string, 0, len(k.ErrorsByStatus))
			for c := range k.ErrorsByStatus {
				codes = append(codes, c)
			}
			sort.Strings(codes)
			parts := make([]string, len(codes))
			for i, c := range codes {
				parts[i] = fmt.Sprintf("%s×%d", c, k.ErrorsByStatus[c])
			}
			fmt.Fprintf(w, "errors %s: %s\n", n, strings.Join(parts, " "))
		}
		if n == kindCDS && k.OK > 0 {
			fmt.Fprintf(w, "cds cards per call: %.2f\n", k.CardsPerCall)
		}
	}
	ms := rep.MemorySummary
	const mib = 1 << 20
	fmt.Fprintf(w, "server memory: rss %.1f → %.1f MiB (max %.1f, growth %.1f%%), heap in use %.1f → %.1f MiB (max %.1f); %d samples, %d failed\n",
		ms.RSSFirstBytes/mib, ms.RSSLastBytes/mib, ms.RSSMaxBytes/mib, ms.RSSGrowthPct,
		ms.HeapFirstBytes/mib, ms.HeapLastBytes/mib, ms.HeapMaxBytes/mib, len(rep.Memory), rep.MemoryErrors)
	gc := "no GC before samples (give --pprof-url)"
	if len(rep.Memory) > 0 && rep.Memory[len(rep.Memory)-1].AfterGC {
		gc = "after a GC"
	}
	fmt.Fprintf(w, "live heap (%s): %.1f → %.1f MiB; without case vectors %.1f → %.1f MiB (growth %.1f%%)\n", gc,
		ms.LiveFirstBytes/mib, ms.LiveLastBytes/mib, ms.OtherFirstBytes/mib, ms.OtherLastBytes/mib, ms.OtherGrowthPct)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "t s\trss MiB\theap in use MiB\tlive MiB\tvectors MiB\tlive−vectors MiB\tcases\tingested\t")
	for _, s := range rep.Memory {
		cases := "-"
		if s.Cases >= 0 {
			cases = strconv.FormatFloat(s.Cases, 'f', 0, 64)
		}
		fmt.Fprintf(tw, "%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%s\t%d\t\n", s.AtS, s.RSSBytes/mib, s.HeapInuseBytes/mib,
			s.HeapAllocBytes/mib, s.VectorCacheBytes/mib, s.otherBytes()/mib, cases, s.Ingested)
	}
	return tw.Flush()
}
