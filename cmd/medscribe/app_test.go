package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/api"
	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/visit"
	"github.com/medscribe/medscribe/web"
)

// syncBuffer collects logs from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testApp starts the whole program on a free port with an embedded store (or PostgreSQL when
// databaseURL is given) and returns it with its log.
func testApp(t *testing.T, databaseURL string) (*app, *syncBuffer) {
	t.Helper()
	return startApp(t, func(c *config) { c.DatabaseURL = databaseURL })
}

func apiKey(t *testing.T, st store.Store, role string) string {
	t.Helper()
	key, hash, err := api.NewAPIKey()
	require.NoError(t, err)
	require.NoError(t, st.PutAPIKey(context.Background(), store.APIKey{ID: role + "-key", Name: role, Role: role, Hash: hash, CreatedAt: time.Now()}))
	return key
}

func call(t *testing.T, method, url, key string, body any) (int, []byte, http.Header) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := noRedirect.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b, res.Header
}

// noRedirect shows redirects (a page sending an anonymous visitor to the login) as they are.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func demoText(t *testing.T, name string) string {
	t.Helper()
	b, err := demoFS.ReadFile("demo/" + name)
	require.NoError(t, err)
	return string(b)
}

func TestServeEndToEnd(t *testing.T) {
	a, logs := testApp(t, "")
	testServe(t, a, logs)
}

func TestServeEndToEndPostgres(t *testing.T) {
	url := os.Getenv("TEST_DATABASE_URL")
	if url == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI needs TEST_DATABASE_URL (see .ci/postgres.sh)")
		}
		t.Skip("TEST_DATABASE_URL not set; run `eval \"$(bash .ci/postgres.sh)\"` to test against PostgreSQL")
	}
	a, logs := testApp(t, freshDatabase(t, url))
	testServe(t, a, logs)
}

// freshDatabase creates an empty database on the server of url for one test and drops it
// afterwards, so runs never see each other's visits, keys or jobs.
func freshDatabase(t testing.TB, url string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	name := fmt.Sprintf("medscribe_e2e_%d", time.Now().UnixNano())
	_, err = conn.Exec(ctx, "CREATE DATABASE "+name)
	require.NoError(t, err)
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, url)
		if err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	cfg, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	u := fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
	if cfg.Password != "" {
		u = fmt.Sprintf("postgres://%s:%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Password, cfg.Host, cfg.Port, name)
	}
	return u
}

func testServe(t *testing.T, a *app, logs *syncBuffer) {
	base := a.URL()
	key := apiKey(t, a.store, "physician")
	qkey := apiKey(t, a.store, "quality")
	ext := "e2e-" + time.Now().Format("150405.000000000")
	text := demoText(t, "knee-pain-warfarin.txt")

	code, body, _ := call(t, "POST", base+"/v1/visits?wait=true", "", map[string]any{"external_id": ext, "transcript": text})
	assert.Equal(t, http.StatusUnauthorized, code, "anonymous calls are refused")
	assert.Contains(t, string(body), "authentication required")

	code, _, _ = call(t, "POST", base+"/v1/visits", qkey, map[string]any{"external_id": ext, "transcript": text})
	assert.Equal(t, http.StatusForbidden, code, "the quality role may not submit visits")

	code, body, _ = call(t, "POST", base+"/v1/visits?wait=true", key, map[string]any{"external_id": ext, "patient_id": "pt-9",
		"transcript": text, "patient": map[string]any{"age": 67, "sex": "male"}})
	require.Equal(t, http.StatusOK, code, string(body))
	var rec visit.Record
	require.NoError(t, json.Unmarshal(body, &rec))
	assert.Equal(t, visit.Schema, rec.Schema)
	assert.Equal(t, visit.StatusDraft, rec.Status)
	assert.NoError(t, rec.Validate(), "every evidence span points into the transcript")
	assert.NotEmpty(t, rec.Note.Text)
	assert.NotEmpty(t, rec.Medications)

	// Same content again: the same visit.
	code, body, _ = call(t, "POST", base+"/v1/visits", key, map[string]any{"external_id": ext, "patient_id": "pt-9",
		"transcript": text, "patient": map[string]any{"age": 67, "sex": "male"}})
	require.Equal(t, http.StatusAccepted, code, string(body))
	var acc map[string]any
	require.NoError(t, json.Unmarshal(body, &acc))
	assert.Equal(t, rec.ID, acc["id"])
	assert.Equal(t, false, acc["created"])

	code, body, _ = call(t, "GET", base+"/v1/visits/"+rec.ID+"/note", key, nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, rec.Note.Text, string(body))

	code, body, hdr := call(t, "GET", base+"/v1/visits/"+rec.ID+"/fhir", key, nil)
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, hdr.Get("Content-Type"), "application/fhir+json")
	var bundle map[string]any
	require.NoError(t, json.Unmarshal(body, &bundle))
	assert.Equal(t, "Bundle", bundle["resourceType"])
	types := map[string]bool{}
	for _, e := range bundle["entry"].([]any) {
		types[e.(map[string]any)["resource"].(map[string]any)["resourceType"].(string)] = true
	}
	for _, want := range []string{"Encounter", "Condition", "MedicationStatement", "DocumentReference", "AllergyIntolerance"} {
		assert.True(t, types[want], "bundle has a %s", want)
	}

	code, body, _ = call(t, "GET", base+"/v1/visits?patient_id=pt-9", key, nil)
	require.Equal(t, http.StatusOK, code)
	var page store.VisitPage
	require.NoError(t, json.Unmarshal(body, &page))
	require.Len(t, page.Visits, 1)

	code, body, hdr = call(t, "GET", base+"/v1/visits/nope", key, nil)
	assert.Equal(t, http.StatusNotFound, code)
	assert.Equal(t, "application/problem+json", hdr.Get("Content-Type"))

	code, body, _ = call(t, "POST", base+"/v1/visits", key, map[string]any{"external_id": "x", "transcript": "\x00\x01\x02 garbage"})
	assert.Equal(t, http.StatusBadRequest, code, string(body))
	assert.Contains(t, string(body), "/transcript")

	req, _ := http.NewRequest("POST", base+"/v1/visits", strings.NewReader(`{"external_id": "x", "transcript": `))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Contains(t, string(b), "malformed JSON")

	code, body, _ = call(t, "GET", base+"/v1/cases/similar?visit="+rec.ID+"&k=5", key, nil)
	assert.Equal(t, http.StatusOK, code, string(body))

	code, body, _ = call(t, "GET", base+"/v1/audit", key, nil)
	assert.Equal(t, http.StatusForbidden, code, "only admins read the audit log")
	admin := apiKey(t, a.store, "admin")
	code, body, _ = call(t, "GET", base+"/v1/audit?object=visit:"+rec.ID, admin, nil)
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, string(body), "GET /v1/visits/:id/note")

	code, body, _ = call(t, "GET", base+"/openapi.json", "", nil)
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, string(body), `"/v1/visits/{id}/fhir"`)

	code, body, _ = call(t, "GET", base+"/metrics", "", nil)
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, string(body), `medscribe_http_requests_total{method="GET",route="/v1/visits/:id/note",status="200"}`)

	// No PHI in logs or metrics: nothing said in the visit, nor the patient id.
	for _, phrase := range []string{"killing me", "warfarin 5 mg", "penicillin gives me hives", "mr. alvarez", rec.Note.Text[:40]} {
		assert.NotContains(t, logs.String(), phrase)
		assert.NotContains(t, string(body), phrase)
	}
}

// TestEveryRouteHasAnAccessRule walks every registered route: anonymous calls must be refused
// on anything not declared public, and a route added without a rule fails this test.
func TestEveryRouteHasAnAccessRule(t *testing.T) {
	a, _ := testApp(t, "")
	rules := map[string]api.Rule{}
	for _, r := range append(a.server.Rules(), web.Routes()...) {
		rules[r.Method+" "+r.Path] = r
	}
	spec := a.server.OpenAPI()["paths"].(map[string]any)
	for _, r := range a.server.Rules() {
		item, ok := spec[strings.NewReplacer(":id", "{id}").Replace(r.Path)].(map[string]any)
		if assert.True(t, ok, "OpenAPI documents %s", r.Path) {
			assert.Contains(t, item, strings.ToLower(r.Method), "OpenAPI documents %s %s", r.Method, r.Path)
		}
	}
	assert.Len(t, spec, countPaths(a.server.Rules()), "OpenAPI has no path without a route")
	cdsPublic := map[string]bool{"GET /cds-services": true} // discovery is public by spec
	key := apiKey(t, a.store, "integrator")
	for _, rt := range a.server.Engine().Routes() {
		id := rt.Method + " " + rt.Path
		path := strings.NewReplacer(":id", "x", "*file", "app.css").Replace(rt.Path)
		if strings.HasPrefix(rt.Path, "/cds-services") {
			if cdsPublic[id] {
				continue
			}
			code, _, _ := call(t, rt.Method, a.URL()+path, "", map[string]any{})
			assert.Equal(t, http.StatusUnauthorized, code, "%s without the EHR's JWT", id)
			continue
		}
		rule, ok := rules[id]
		if !assert.True(t, ok, "route %s has no access rule", id) {
			continue
		}
		if rule.Public {
			continue
		}
		code, _, hdr := call(t, rt.Method, a.URL()+path, "", nil)
		assert.Contains(t, []int{http.StatusUnauthorized, http.StatusSeeOther, http.StatusForbidden}, code, "%s anonymous", id)
		if code == http.StatusSeeOther {
			assert.Equal(t, "/ui/login", hdr.Get("Location"))
		}
		allowed := false
		for _, r := range rule.Roles {
			allowed = allowed || r == api.RoleIntegrator
		}
		if !allowed {
			code, _, _ = call(t, rt.Method, a.URL()+path, key, nil)
			assert.Equal(t, http.StatusForbidden, code, "%s with the integrator role", id)
		}
	}
}

// TestBrowserReview drives the review UI in Debian's Chromium through playwright-core.
func TestBrowserReview(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	root, _ := filepath.Abs("../../web/e2e")
	_, nodeErr := exec.LookPath("node")
	_, chromeErr := os.Stat("/usr/bin/chromium")
	_, modErr := os.Stat(filepath.Join(root, "node_modules", "playwright-core"))
	if nodeErr != nil || chromeErr != nil || modErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs node, /usr/bin/chromium and web/e2e/node_modules (npm ci): %v %v %v", nodeErr, chromeErr, modErr)
		}
		t.Skip("needs node, Debian's chromium and `npm ci` in web/e2e")
	}
	a, _ := testApp(t, "")
	ctx := context.Background()
	hash, err := web.HashPassword("correct horse battery")
	require.NoError(t, err)
	require.NoError(t, a.store.PutUser(ctx, store.User{Name: "dr.grey", Role: "physician", PasswordHash: hash, CreatedAt: time.Now()}))
	key := apiKey(t, a.store, "physician")
	code, body, _ := call(t, "POST", a.URL()+"/v1/visits?wait=true", key, map[string]any{"external_id": "browser-1", "patient_id": "p-b",
		"transcript": demoText(t, "diabetes-followup.txt")})
	require.Equal(t, http.StatusOK, code, string(body))
	var rec visit.Record
	require.NoError(t, json.Unmarshal(body, &rec))

	shots := filepath.Join(root, "screenshots")
	require.NoError(t, os.MkdirAll(shots, 0o755))
	cmd := exec.Command("node", "review.mjs")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "BASE="+a.URL(), "VISIT="+rec.ID, "USER=dr.grey", "PASSWORD=correct horse battery", "SHOTS="+shots)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "ok: browser review test passed")
	for _, f := range []string{"3-evidence.png", "5-signed.png"} {
		st, err := os.Stat(filepath.Join(shots, f))
		require.NoError(t, err)
		assert.Greater(t, st.Size(), int64(1000))
	}
	got, err := a.store.GetVisit(ctx, rec.ID)
	require.NoError(t, err)
	assert.Equal(t, visit.StatusSigned, got.Status, "the browser's signature is stored")
}

func countPaths(rules []api.Rule) int {
	seen := map[string]bool{}
	for _, r := range rules {
		seen[r.Path] = true
	}
	return len(seen)
}
