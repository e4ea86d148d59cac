package cds

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/rules"
	"github.com/medscribe/medscribe/store"
)

// testKeys are the CDS client's signing keys for the tests, created once.
type testKeys struct {
	es256, es384, es512 *ecdsa.PrivateKey
	rsa                 *rsa.PrivateKey
	other384            *ecdsa.PrivateKey // not in any trusted set
}

var (
	keysOnce sync.Once
	keys     testKeys
)

func getKeys(t testing.TB) *testKeys {
	keysOnce.Do(func() {
		must := func(k *ecdsa.PrivateKey, err error) *ecdsa.PrivateKey {
			if err != nil {
				panic(err)
			}
			return k
		}
		keys.es256 = must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
		keys.es384 = must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader))
		keys.es512 = must(ecdsa.GenerateKey(elliptic.P521(), rand.Reader))
		keys.other384 = must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader))
		r, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys.rsa = r
	})
	return &keys
}

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func ecJWK(kid string, k *ecdsa.PublicKey) map[string]any {
	size := (k.Curve.Params().BitSize + 7) / 8
	crv := map[int]string{256: "P-256", 384: "P-384", 521: "P-521"}[k.Curve.Params().BitSize]
	return map[string]any{"kty": "EC", "use": "sig", "kid": kid, "crv": crv,
		"x": b64u(k.X.FillBytes(make([]byte, size))), "y": b64u(k.Y.FillBytes(make([]byte, size)))}
}

func rsaJWK(kid string, k *rsa.PublicKey) map[string]any {
	return map[string]any{"kty": "RSA", "use": "sig", "kid": kid, "n": b64u(k.N.Bytes()), "e": b64u(big.NewInt(int64(k.E)).Bytes())}
}

// jwksJSON is the trusted key set served at the test jku.
func jwksJSON(k *testKeys) []byte {
	b, _ := json.Marshal(map[string]any{"keys": []any{
		ecJWK("k256", &k.es256.PublicKey), ecJWK("k384", &k.es384.PublicKey), ecJWK("k512", &k.es512.PublicKey),
		rsaJWK("krsa", &k.rsa.PublicKey),
	}})
	return b
}

const (
	testIssuer = "https://ehr.test/"
	testBase   = "https://medscribe.test"
	testUI     = "https://medscribe.test"
)

// env is a service under test with its store, key server and clock.
type env struct {
	t       testing.TB
	svc     *Service
	store   store.Store
	handler http.Handler
	jwksURL string
	now     time.Time
	keys    *testKeys
	fhir    *fakeFHIR
}

type envOpts struct {
	dev       bool
	noDedupe  bool
	rulesDir  string // default testdata/rules
	similar   SimilarFinder
	fetch     time.Duration
	maxBody   int64
	maxRes    int
	transport http.RoundTripper // default: every host is the fake FHIR server / JWKS
	tweakAuth func(*AuthConfig)
	fhirAllow []string // Config.FHIRServers
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	k := getKeys(t)
	e := &env{t: t, keys: k, now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), fhir: newFakeFHIR()}
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "cds.db"), quiet)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	e.store = st
	dir := o.rulesDir
	if dir == "" {
		dir = "testdata/rules"
	}
	var rm *rules.Manager
	if dir == "default" {
		rm, err = rules.NewManager(&rules.ManagerConfig{Logger: quiet})
	} else {
		rm, err = rules.NewManager(&rules.ManagerConfig{Dir: dir, Logger: quiet})
	}
	require.NoError(t, err)

	// One fake host answers everything: the JWKS at /jwks and FHIR elsewhere.
	jwks := jwksJSON(k)
	mux := http.NewServeMux()
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(jwks) })
	mux.Handle("/", e.fhir)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.jwksURL = "https://keys.ehr.test/jwks"
	tr := o.transport
	if tr == nil {
		tr = redirectTo(srv.URL)
	}
	auth := &AuthConfig{JWKSURLs: []string{e.jwksURL}, Issuers: []string{testIssuer}}
	if o.tweakAuth != nil {
		o.tweakAuth(auth)
	}
	cfg := &Config{Rules: rm, Store: st, Dev: o.dev, Auth: auth, BaseURL: testBase, UIBaseURL: testUI,
		Similar: o.similar, FetchTimeout: o.fetch, MaxBodyBytes: o.maxBody, MaxResources: o.maxRes,
		HTTPClient:  &http.Client{Transport: tr, Timeout: 2 * time.Second},
		FHIRServers: o.fhirAllow, Logger: quiet, Now: func() time.Time { return e.now }}
	if o.noDedupe {
		f := false
		cfg.DedupeSelectSign = &f
	}
	e.svc, err = New(cfg)
	require.NoError(t, err)
	r := gin.New()
	e.svc.Routes(r)
	r.GET("/v1/cds/feedback/summary", e.svc.FeedbackSummary)
	e.handler = r
	return e
}

// redirectTo sends every request to the test server, keeping path and query.
type redirectTo string

func (r redirectTo) RoundTrip(req *http.Request) (*http.Response, error) {
	u, _ := url.Parse(string(r))
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host, out.Host = u.Scheme, u.Host, u.Host
	return http.DefaultTransport.RoundTrip(out)
}

// token signs claims for a call to service id; opts override header and claims.
type tok struct {
	alg    string
	key    crypto.Signer
	kid    string
	jku    string // "" = the trusted URL, "-" = none
	claims jwt.MapClaims
	drop   []string
}

func (e *env) sign(t testing.TB, path string, o tok) string {
	t.Helper()
	if o.alg == "" {
		o.alg, o.key, o.kid = "ES384", e.keys.es384, "k384"
	}
	claims := jwt.MapClaims{"iss": testIssuer, "aud": testBase + path, "iat": e.now.Unix(),
		"exp": e.now.Add(5 * time.Minute).Unix(), "jti": uuid.NewString(), "sub": "ehr-client"}
	for k, v := range o.claims {
		claims[k] = v
	}
	for _, k := range o.drop {
		delete(claims, k)
	}
	m := jwt.GetSigningMethod(o.alg)
	require.NotNil(t, m, o.alg)
	tk := jwt.NewWithClaims(m, claims)
	tk.Header["kid"] = o.kid
	switch o.jku {
	case "":
		tk.Header["jku"] = e.jwksURL
	case "-":
	default:
		tk.Header["jku"] = o.jku
	}
	s, err := tk.SignedString(o.key)
	require.NoError(t, err)
	return s
}

// call POSTs body to path with a fresh valid token (unless authz is given) and returns the recorder.
func (e *env) call(path string, body []byte, authz ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if len(authz) > 0 {
		if authz[0] != "" {
			req.Header.Set("Authorization", authz[0])
		}
	} else if !e.svc.cfg.Dev {
		req.Header.Set("Authorization", "Bearer "+e.sign(e.t, path, tok{}))
	}
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, req)
	return w
}

func (e *env) get(path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, req)
	return w
}

// fakeFHIR is an EHR FHIR server: it serves bundles by resource type for one bearer token.
type fakeFHIR struct {
	mu       sync.Mutex
	token    string
	bundles  map[string]string // resource type → JSON
	delay    time.Duration
	status   int
	requests atomic.Int64
	queries  []string
}

func newFakeFHIR() *fakeFHIR {
	return &fakeFHIR{token: "ehr-access-token", bundles: map[string]string{}}
}

func (f *fakeFHIR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	f.mu.Lock()
	delay, status, token := f.delay, f.status, f.token
	f.queries = append(f.queries, r.URL.RequestURI())
	f.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if r.Header.Get("Authorization") != "Bearer "+token {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	rt := parts[len(parts)-1]
	if len(parts) >= 2 && parts[len(parts)-2] == "Patient" {
		rt = "Patient"
	}
	f.mu.Lock()
	body, ok := f.bundles[rt]
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/fhir+json")
	if !ok {
		if rt == "Patient" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		body = `{"resourceType":"Bundle","type":"searchset","total":0}`
	}
	_, _ = io.WriteString(w, body)
}

func (f *fakeFHIR) set(rt, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bundles[rt] = body
}

// --- FHIR builders for requests ---

func medReq(id, status, rxcui, display string) map[string]any {
	cc := map[string]any{"text": display}
	if rxcui != "" {
		cc["coding"] = []any{map[string]any{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": rxcui, "display": display}}
	}
	m := map[string]any{"resourceType": "MedicationRequest", "status": status, "intent": "order",
		"medicationCodeableConcept": cc, "subject": map[string]any{"reference": "Patient/p1"}}
	if id != "" {
		m["id"] = id
	}
	return m
}

func bundle(rs ...map[string]any) map[string]any {
	var entries []any
	for _, r := range rs {
		entries = append(entries, map[string]any{"resource": r})
	}
	b := map[string]any{"resourceType": "Bundle", "type": "searchset"}
	if entries != nil {
		b["entry"] = entries
	}
	return b
}

func allergy(text string) map[string]any {
	return map[string]any{"resourceType": "AllergyIntolerance", "code": map[string]any{"text": text},
		"patient": map[string]any{"reference": "Patient/p1"}, "clinicalStatus": map[string]any{"coding": []any{map[string]any{"code": "active"}}}}
}

func lab(loinc string, v float64, unit string) map[string]any {
	return map[string]any{"resourceType": "Observation", "status": "final",
		"code":          map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": loinc}}},
		"valueQuantity": map[string]any{"value": v, "unit": unit}, "effectiveDateTime": "2026-02-27"}
}

// hookBody builds a request body for hook with draft orders and prefetch.
func hookBody(hook string, drafts []map[string]any, prefetch map[string]any) []byte {
	ctx := map[string]any{"userId": "Practitioner/u1", "patientId": "p1", "encounterId": "e1"}
	if hook != HookPatientView {
		ctx["draftOrders"] = bundle(drafts...)
	}
	if hook == HookOrderSelect {
		var sel []string
		for _, d := range drafts {
			if id, ok := d["id"].(string); ok {
				sel = append(sel, "MedicationRequest/"+id)
			}
		}
		ctx["selections"] = sel
	}
	req := map[string]any{"hook": hook, "hookInstance": uuid.NewString(), "context": ctx}
	if prefetch != nil {
		req["prefetch"] = prefetch
	}
	b, _ := json.Marshal(req)
	return b
}

// standardPrefetch: the patient takes warfarin; no allergies; normal labs.
func standardPrefetch() map[string]any {
	return map[string]any{
		"patient":     map[string]any{"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1950-04-02"},
		"medications": bundle(medReq("w1", "active", "855332", "Warfarin Sodium 5 MG Oral Tablet")),
		"statements":  bundle(),
		"allergies":   bundle(),
		"conditions":  bundle(),
		"labs":        bundle(lab("2160-0", 0.9, "mg/dL")),
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func decodeCards(t testing.TB, body []byte) []map[string]any {
	t.Helper()
	var resp struct {
		Cards []map[string]any `json:"cards"`
	}
	require.NoError(t, json.Unmarshal(body, &resp), string(body))
	return resp.Cards
}

func ruleOf(card map[string]any) string {
	ext, _ := card["extension"].(map[string]any)
	s, _ := ext[ExtRuleID].(string)
	return s
}

var _ = fmt.Sprintf

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
