package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/visit"
	"github.com/medscribe/medscribe/web"
)

// startApp is testApp with a configuration hook: it starts the whole program (queue and
// HTTP) on a free port and returns it with its debug-level log.
func startApp(t *testing.T, mutate func(*config)) (*app, *syncBuffer) {
	t.Helper()
	cfg := defaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.LogLevel = "debug"
	cfg.JobTimeout = 30 * time.Second
	if mutate != nil {
		mutate(&cfg)
	}
	require.NoError(t, cfg.validate())
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, cfg, logs, appMode{queue: true, http: true})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Error("server did not stop")
		}
		a.Close()
	})
	require.Eventually(t, func() bool {
		res, err := http.Get(a.URL() + "/healthz")
		if err == nil {
			res.Body.Close()
		}
		return err == nil && res.StatusCode == 200
	}, 10*time.Second, 20*time.Millisecond)
	return a, logs
}

// phiDetector finds visit text in logs, metrics and error bodies. It compares case-folded,
// whitespace-collapsed text, and also undoes JSON string escaping, so a phrase logged inside
// a JSON value is found as well as one printed plainly.
type phiDetector struct{ phrases []string }

var jsonEscapes = strings.NewReplacer(`\"`, `"`, `\\`, `\`, `\n`, " ", `\t`, " ", `\r`, " ", `\/`, "/",
	`\u003c`, "<", `\u003e`, ">", `\u0026`, "&", `\u0027`, "'")

var spaces = regexp.MustCompile(`\s+`)

func fold(s string) string {
	return strings.TrimSpace(spaces.ReplaceAllString(strings.ToLower(s), " "))
}

// leaks returns the phrases found in hay.
func (d *phiDetector) leaks(hay string) []string {
	h := fold(hay)
	u := fold(jsonEscapes.Replace(hay))
	var out []string
	for _, p := range d.phrases {
		fp := fold(p)
		if strings.Contains(h, fp) || strings.Contains(u, fp) {
			out = append(out, p)
		}
	}
	return out
}

func (d *phiDetector) add(p ...string) {
	for _, x := range p {
		if len(strings.TrimSpace(x)) >= 5 {
			d.phrases = append(d.phrases, x)
		}
	}
}

// privacyClient records every problem+json body it receives.
type privacyClient struct {
	t        *testing.T
	c        *http.Client
	base     string
	problems []problemBody
}

// problemBody is one problem+json answer and the request that got it.
type problemBody struct{ request, body string }

func (p *privacyClient) do(method, path, key, contentType string, body []byte, header map[string]string) (int, []byte) {
	p.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, p.base+path, r)
	require.NoError(p.t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := p.c.Do(req)
	require.NoError(p.t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
		p.problems = append(p.problems, problemBody{request: fmt.Sprintf("%s %s → %d", method, path, res.StatusCode), body: string(b)})
	}
	return res.StatusCode, b
}

func (p *privacyClient) json(method, path, key string, v any) (int, []byte) {
	p.t.Helper()
	b, err := json.Marshal(v)
	require.NoError(p.t, err)
	return p.do(method, path, key, "application/json", b, nil)
}

var (
	loginCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	metaCSRF  = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)
)

// uiLogin logs a user in through the login form and returns the client (with the session
// cookie) and the page's CSRF token.
func uiLogin(t *testing.T, base, user, password string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(base + "/ui/login")
	require.NoError(t, err)
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := loginCSRF.FindStringSubmatch(string(b))
	require.NotNil(t, m, "login form has a CSRF token")
	res, err = c.PostForm(base+"/ui/login", url.Values{"csrf": {m[1]}, "user": {user}, "password": {password}})
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Equal(t, "/ui", res.Header.Get("Location"))
	res, err = c.Get(base + "/ui")
	require.NoError(t, err)
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	mm := metaCSRF.FindStringSubmatch(string(b))
	require.NotNil(t, mm)
	return c, mm[1]
}

func TestPrivacyDetectorFindsPlantedPhrases(t *testing.T) {
	d := &phiDetector{}
	d.add("throbbing ache behind my left eye", "555-0142-8876", "Zebedee Quillfeather")
	tests := []struct {
		name string
		hay  string
		want []string
	}{
		{"plain log line", `time=x level=INFO msg="said: a Throbbing  ache behind my LEFT eye"`, []string{"throbbing ache behind my left eye"}},
		{"JSON log value", `{"level":"WARN","err":"parse \"zebedee\nquillfeather\" failed"}`, []string{"Zebedee Quillfeather"}},
		{"metric label", `medscribe_x{caller="555-0142-8876"} 1`, []string{"555-0142-8876"}},
		{"ids and counts only", `{"level":"INFO","msg":"visit drafted","visit":"v_123","turns":16}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, d.leaks(tt.hay))
		})
	}
}

// TestPrivacyNoPHIInLogsMetricsOrErrors drives the pipeline, every /v1 route, the review UI,
// CDS Hooks and a series of failing requests with debug logging, then looks for the visits'
// names, phone number, address, clinical phrases and note sentences in every log line, in
// /metrics and in every problem+json body.
func TestPrivacyNoPHIInLogsMetricsOrErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("privacy test runs the whole program twice")
	}
	ctx := context.Background()
	private, err := os.ReadFile("testdata/faults/privacy-visit.txt")
	require.NoError(t, err)
	dialogues := map[string]string{
		"privacy-1": string(private),
		"privacy-2": demoText(t, "knee-pain-warfarin.txt"),
		"privacy-3": demoText(t, "diabetes-followup.txt"),
	}
	d := &phiDetector{}
	d.add(
		// names, contact details, address
		"quillfeather", "zebedee", "555-0142-8876", "0142-8876", "wrenfield crescent", "port aldous", "mr. alvarez", "alvarez", "okafor",
		// clinical text
		"throbbing ache behind my left eye", "vegetable patch", "yellowish discharge from the left nostril",
		"tenderness over the left maxillary sinus", "purulent drainage", "codeine makes me vomit", "my sister left over",
		"killing me", "carrying boxes up the stairs", "penicillin gives me hives", "warfarin 5 mg every evening",
		"medial meniscus strain", "checking my sugars every morning", "father had a heart attack", "148 over 92",
	)

	a, logs := startApp(t, nil)
	pc := &privacyClient{t: t, c: noRedirect, base: a.URL()}
	phys := apiKey(t, a.store, "physician")
	qual := apiKey(t, a.store, "quality")
	admin := apiKey(t, a.store, "admin")
	integ := apiKey(t, a.store, "integrator")

	recs := map[string]*visit.Record{}
	for ext, text := range dialogues {
		code, body := pc.json("POST", "/v1/visits?wait=true", phys, map[string]any{"external_id": ext, "patient_id": "pt-" + ext,
			"transcript": text, "patient": map[string]any{"age": 58, "sex": "female"}})
		require.Equal(t, http.StatusOK, code, string(body))
		var rec visit.Record
		require.NoError(t, json.Unmarshal(body, &rec))
		require.Equal(t, visit.StatusDraft, rec.Status)
		recs[ext] = &rec
		// The note's own sentences are PHI too.
		n := 0
		for _, sec := range rec.Note.Sections {
			for _, s := range sec.Sentences {
				if len(s.Text) >= 25 && n < 4 {
					d.add(s.Text)
					n++
				}
			}
		}
		require.Positive(t, n, "visit %s has note sentences to look for", ext)
	}
	// The same visit again through the queue (202, then read back).
	code, body := pc.json("POST", "/v1/visits", integ, map[string]any{"external_id": "privacy-4", "transcript": dialogues["privacy-1"]})
	require.Equal(t, http.StatusAccepted, code, string(body))

	// Every /v1 read.
	for _, rec := range recs {
		for _, path := range []string{"/v1/visits/" + rec.ID, "/v1/visits/" + rec.ID + "/note", "/v1/visits/" + rec.ID + "/fhir",
			"/v1/cases/similar?visit=" + rec.ID + "&k=5"} {
			code, body := pc.do("GET", path, phys, "", nil, nil)
			assert.Equal(t, http.StatusOK, code, "%s: %s", path, body)
		}
	}
	for _, path := range []string{"/v1/visits", "/v1/visits?patient_id=pt-privacy-1", "/v1/visits?q=quillfeather",
		"/v1/visits?q=" + url.QueryEscape("throbbing ache"), "/v1/visits?status=draft&limit=10"} {
		code, body := pc.do("GET", path, phys, "", nil, nil)
		assert.Equal(t, http.StatusOK, code, "%s: %s", path, body)
	}
	code, body = pc.do("GET", "/v1/cds/feedback/summary", qual, "", nil, nil)
	assert.Equal(t, http.StatusOK, code, string(body))
	code, body = pc.do("GET", "/v1/audit?limit=1000", admin, "", nil, nil)
	assert.Equal(t, http.StatusOK, code, string(body))
	assert.Empty(t, d.leaks(string(body)), "the audit log holds who, what and when, not what was said")

	// Errors, each carrying visit text in the request.
	p1 := dialogues["privacy-1"]
	errorCalls := []struct {
		name        string
		method      string
		path        string
		key         string
		contentType string
		body        string
		want        int
	}{
		{"malformed JSON", "POST", "/v1/visits", phys, "application/json", `{"external_id": "e1", "transcript": "` + p1[:200], http.StatusBadRequest},
		{"JSON type error", "POST", "/v1/visits", phys, "application/json", `{"external_id": "e2", "transcript": ["zebedee quillfeather 555-0142-8876"]}`, http.StatusBadRequest},
		{"unknown field", "POST", "/v1/visits", phys, "application/json", `{"external_id": "e3", "notes": "zebedee quillfeather, 42 wrenfield crescent"}`, http.StatusBadRequest},
		{"binary transcript", "POST", "/v1/visits", phys, "application/json", `{"external_id": "e4", "transcript": "\u0000\u0001 zebedee quillfeather 555-0142-8876"}`, http.StatusBadRequest},
		{"broken WebVTT", "POST", "/v1/visits", phys, "application/json", mustJSON(t, map[string]any{"external_id": "e5", "format": "vtt",
			"transcript": "WEBVTT\n\n00:00:01.000 --> garbage\n<v Doctor>zebedee quillfeather lives at 42 wrenfield crescent\n"}), http.StatusBadRequest},
		{"WebVTT cue ending before it starts", "POST", "/v1/visits", phys, "application/json", mustJSON(t, map[string]any{"external_id": "e5b", "format": "vtt",
			"transcript": "WEBVTT\n\n00:00:05.000 --> 00:00:01.000 zebedee quillfeather 555-0142-8876\n<v Doctor>hello\n"}), http.StatusBadRequest},
		{"SRT without cue numbers", "POST", "/v1/visits", phys, "application/json", mustJSON(t, map[string]any{"external_id": "e5c", "format": "srt",
			"transcript": "1\n00:00:01,000 --> 00:00:02,000\nDoctor: hello\n\nPatient: codeine makes me vomit\n00:00:03,000 --> 00:00:04,000\nDoctor: okay\n"}), http.StatusBadRequest},
		{"broken JSON transcript", "POST", "/v1/visits", phys, "application/json", mustJSON(t, map[string]any{"external_id": "e6", "format": "json",
			"transcript": `[{"speaker": "doctor", "text": "throbbing ache behind my left eye"`}), http.StatusBadRequest},
		{"broken TextGrid", "POST", "/v1/visits", phys, "application/json", mustJSON(t, map[string]any{"external_id": "e7", "format": "textgrid",
			"transcript": "File type = \"ooTextFile\"\nObject class = \"TextGrid\"\nitem [1]:\n text = \"codeine makes me vomit\"\n"}), http.StatusBadRequest},
		{"unknown speaker", "POST", "/v1/visits", phys, "application/json", mustJSON(t, map[string]any{"external_id": "e8",
			"turns": []map[string]any{{"speaker": "narrator", "text": "zebedee quillfeather has purulent drainage"}}}), http.StatusBadRequest},
		{"unknown format", "POST", "/v1/visits", phys, "application/json", mustJSON(t, map[string]any{"external_id": "e9", "format": "rtf",
			"transcript": p1}), http.StatusBadRequest},
		{"wrong content type", "POST", "/v1/visits", phys, "text/plain", p1, http.StatusBadRequest},
		{"unknown visit", "GET", "/v1/visits/01a1fc95-0000-0000-0000-000000000000", phys, "", "", http.StatusNotFound},
		{"unknown visit note", "GET", "/v1/visits/nope/note", phys, "", "", http.StatusNotFound},
		{"empty turns", "POST", "/v1/visits", phys, "application/json", mustJSON(t, map[string]any{"external_id": "e12",
			"turns": []map[string]any{{"speaker": "doctor", "text": "codeine makes me vomit"}, {"speaker": "patient", "text": " "}}}), http.StatusBadRequest},
		{"transcript and turns", "POST", "/v1/visits", phys, "application/json", mustJSON(t, map[string]any{"external_id": "e13", "transcript": p1,
			"turns": []map[string]any{{"speaker": "doctor", "text": "codeine makes me vomit"}}}), http.StatusBadRequest},
		{"bad patient age", "POST", "/v1/visits", phys, "application/json", `{"external_id": "e14", "transcript": "[doctor] throbbing ache behind my left eye", "patient": {"age": "fifty-eight"}}`, http.StatusBadRequest},
		{"wrong role reads", "GET", "/v1/visits/" + recs["privacy-1"].ID, qual, "", "", http.StatusForbidden},
		{"wrong role writes", "POST", "/v1/visits", qual, "application/json", mustJSON(t, map[string]any{"external_id": "e10", "transcript": p1}), http.StatusForbidden},
		{"anonymous", "POST", "/v1/visits", "", "application/json", mustJSON(t, map[string]any{"external_id": "e11", "transcript": p1}), http.StatusUnauthorized},
		{"bad key", "GET", "/v1/visits?q=quillfeather", "msk_not-a-key", "", "", http.StatusUnauthorized},
		{"bad status filter", "GET", "/v1/visits?status=bogus&q=quillfeather", phys, "", "", http.StatusBadRequest},
		{"bad limit", "GET", "/v1/visits?limit=9999&q=" + url.QueryEscape("throbbing ache"), phys, "", "", http.StatusBadRequest},
		{"similar to nothing", "GET", "/v1/cases/similar?visit=nope", phys, "", "", http.StatusNotFound},
		{"no such route", "POST", "/v1/patients", phys, "application/json", mustJSON(t, map[string]any{"name": "zebedee quillfeather"}), http.StatusNotFound},
		{"too large", "POST", "/v1/visits", phys, "application/json", mustJSON(t, map[string]any{"external_id": "e15",
			"transcript": strings.Repeat(p1, 9<<20/len(p1)+1)}), http.StatusRequestEntityTooLarge},
	}
	for _, c := range errorCalls {
		var b []byte
		if c.body != "" {
			b = []byte(c.body)
		}
		code, body := pc.do(c.method, c.path, c.key, c.contentType, b, nil)
		assert.Equal(t, c.want, code, "%s: %s", c.name, body)
	}

	// The review UI as a physician: list, review page, sign, addendum, document reference;
	// and the quality role's de-identified list.
	for name, role := range map[string]string{"dr.privacy": "physician", "qa.privacy": "quality"} {
		hash, err := web.HashPassword("correct horse battery")
		require.NoError(t, err)
		require.NoError(t, a.store.PutUser(ctx, store.User{Name: name, Role: role, PasswordHash: hash, CreatedAt: time.Now()}))
	}
	browser, csrf := uiLogin(t, a.URL(), "dr.privacy", "correct horse battery")
	ui := &privacyClient{t: t, c: browser, base: a.URL()}
	rec1 := recs["privacy-1"]
	code, page := ui.do("GET", "/ui", "", "", nil, nil)
	assert.Equal(t, http.StatusOK, code)
	code, page = ui.do("GET", "/ui/visits/"+rec1.ID, "", "", nil, nil)
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, string(page), "quillfeather", "the physician sees the visit (so the phrases are real)")
	hdr := map[string]string{"X-CSRF-Token": csrf}
	code, body = ui.do("POST", "/ui/visits/"+rec1.ID+"/sign", "", "application/json", []byte(mustJSON(t, map[string]any{"revision": 0, "note": rec1.Note})), hdr)
	assert.Equal(t, http.StatusOK, code, string(body))
	code, body = ui.do("POST", "/ui/visits/"+rec1.ID+"/addendum", "", "application/json",
		[]byte(mustJSON(t, map[string]any{"text": "Called Zebedee Quillfeather on 555-0142-8876: ache easing."})), hdr)
	assert.Equal(t, http.StatusOK, code, string(body))
	code, body = ui.do("GET", "/ui/visits/"+rec1.ID+"/document-reference", "", "", nil, nil)
	assert.Equal(t, http.StatusOK, code, string(body))
	// UI errors: a stale revision, a missing CSRF token, an unknown visit, a malformed body.
	ui.do("POST", "/ui/visits/"+rec1.ID+"/review", "", "application/json", []byte(mustJSON(t, map[string]any{"revision": 0, "note": rec1.Note})), hdr)
	ui.do("POST", "/ui/visits/"+recs["privacy-2"].ID+"/review", "", "application/json", []byte(`{"revision": 0, "note": {"text": "zebedee quillfeather`), hdr)
	ui.do("POST", "/ui/visits/"+recs["privacy-2"].ID+"/review", "", "application/json", []byte(mustJSON(t, map[string]any{"revision": 0, "note": rec1.Note})), nil)
	ui.do("GET", "/ui/visits/nope", "", "", nil, nil)
	qa, _ := uiLogin(t, a.URL(), "qa.privacy", "correct horse battery")
	qui := &privacyClient{t: t, c: qa, base: a.URL()}
	code, page = qui.do("GET", "/ui", "", "", nil, nil)
	assert.Equal(t, http.StatusOK, code)
	assert.Empty(t, d.leaks(string(page)), "the quality role's list is de-identified")
	code, _ = qui.do("GET", "/ui/visits/"+rec1.ID, "", "", nil, nil)
	assert.Contains(t, []int{http.StatusForbidden, http.StatusSeeOther}, code, "quality may not open a visit")
	code, _ = qui.do("GET", "/ui/quality", "", "", nil, nil)
	assert.Equal(t, http.StatusOK, code)

	code, metrics := pc.do("GET", "/metrics", "", "", nil, nil)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, string(metrics), "medscribe_http_requests_total", "the scrape has the request counters")

	// A --dev server for CDS Hooks (its routes are only mounted with EHR trust or in dev).
	dev, devLogs := startApp(t, func(c *config) { c.Dev = true })
	dc := &privacyClient{t: t, c: noRedirect, base: dev.URL()}
	code, body = dc.json("POST", "/v1/visits?wait=true", "", map[string]any{"external_id": "dev-privacy-1", "patient_id": "pt-cds",
		"transcript": dialogues["privacy-2"], "patient": map[string]any{"age": 67, "sex": "male"}})
	require.Equal(t, http.StatusOK, code, string(body))
	code, body = dc.do("GET", "/cds-services", "", "", nil, nil)
	require.Equal(t, http.StatusOK, code, string(body))
	empty := map[string]any{"resourceType": "Bundle", "type": "searchset", "entry": []any{}}
	hook := map[string]any{
		"hook": "patient-view", "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
		"context": map[string]any{"userId": "Practitioner/example", "patientId": "pt-cds"},
		"prefetch": map[string]any{
			"patient": map[string]any{"resourceType": "Patient", "id": "pt-cds",
				"name":    []map[string]any{{"family": "Quillfeather", "given": []string{"Zebedee"}}},
				"telecom": []map[string]any{{"system": "phone", "value": "555-0142-8876"}},
				"address": []map[string]any{{"line": []string{"42 Wrenfield Crescent"}, "city": "Port Aldous"}},
				"gender":  "male", "birthDate": "1958-04-02"},
			"medications": empty, "statements": empty, "allergies": empty, "conditions": empty, "labs": empty,
		},
	}
	code, body = dc.json("POST", "/cds-services/medscribe-patient-view", "", hook)
	assert.Equal(t, http.StatusOK, code, string(body))
	hook["prefetch"].(map[string]any)["patient"] = "zebedee quillfeather, 42 wrenfield crescent"
	dc.json("POST", "/cds-services/medscribe-patient-view", "", hook)
	dc.do("POST", "/cds-services/medscribe-patient-view", "", "application/json", []byte(`{"hook": "patient-view", "context": {"patientId": "zebedee quillfeather`), nil)
	dc.json("POST", "/cds-services/medscribe-patient-view/feedback", "", map[string]any{"feedback": []map[string]any{
		{"card": "6f3a4c1e-8f0e-4a55-9d7e-1c2b3a4d5e6f", "outcome": "overridden", "outcomeTimestamp": time.Now().UTC().Format(time.RFC3339), "overrideReason": map[string]any{"userComment": "throbbing ache behind my left eye"}}}})
	code, devMetrics := dc.do("GET", "/metrics", "", "", nil, nil)
	require.Equal(t, http.StatusOK, code)

	// Let background work (similar-case indexing, queue) finish logging.
	require.Eventually(t, func() bool {
		v, err := a.store.GetVisit(ctx, visitByExternal(t, a.store, "privacy-4"))
		return err == nil && v.Status != visit.StatusQueued && v.Status != visit.StatusProcessing
	}, 30*time.Second, 50*time.Millisecond)

	sources := map[string]string{"server log": logs.String(), "dev server log": devLogs.String(),
		"/metrics": string(metrics), "dev /metrics": string(devMetrics)}
	require.Greater(t, strings.Count(logs.String(), "\n"), 20, "debug logging captured the run")
	for name, text := range sources {
		for _, line := range strings.Split(text, "\n") {
			if found := d.leaks(line); len(found) > 0 {
				t.Errorf("%s leaks %q in: %.400s", name, found, line)
			}
		}
	}
	problems := append(append(append(pc.problems, ui.problems...), qui.problems...), dc.problems...)
	require.GreaterOrEqual(t, len(problems), len(errorCalls), "every failing API call answered problem+json")
	for _, p := range problems {
		if found := d.leaks(p.body); len(found) > 0 {
			t.Errorf("error body of %s leaks %q: %.400s", p.request, found, p.body)
		}
	}
	for _, p := range problems {
		t.Logf("%s %.160s", p.request, p.body)
	}
	t.Logf("checked %d phrases against %d log lines, %d metric lines and %d problem+json bodies", len(d.phrases),
		strings.Count(logs.String(), "\n")+strings.Count(devLogs.String(), "\n"),
		strings.Count(string(metrics), "\n")+strings.Count(string(devMetrics), "\n"), len(problems))
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// visitByExternal finds a visit's id by its external id.
func visitByExternal(t *testing.T, st store.Store, ext string) string {
	t.Helper()
	page, err := st.ListVisits(context.Background(), store.VisitFilter{Limit: 500})
	require.NoError(t, err)
	for _, v := range page.Visits {
		if v.ExternalID == ext {
			return v.ID
		}
	}
	return ""
}
