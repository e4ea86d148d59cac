package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/api"
	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/visit"
	"github.com/medscribe/medscribe/web"
)

type env struct {
	srv   *httptest.Server
	store store.Store
	visit *visit.Record
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// draftVisit stores a drafted visit whose transcript carries markup, to prove it is escaped.
func draftVisit(t *testing.T, st store.Store) *visit.Record {
	t.Helper()
	tr := visit.Transcript{Turns: []visit.Turn{
		{Index: 0, Speaker: visit.Doctor, Text: "any chest pain? <script>alert('x')</script>"},
		{Index: 1, Speaker: visit.Patient, Text: "no, but my knee hurts."},
	}}
	rec := &visit.Record{ExternalID: "enc-1", PatientID: "p-1", Source: "test", ContentHash: "h1", Status: visit.StatusQueued, Transcript: tr}
	rec.Normalize()
	stored, _, err := st.PutVisit(context.Background(), rec)
	require.NoError(t, err)
	stored.Status = visit.StatusDraft
	stored.Problems = []visit.Problem{{Text: "knee pain", Assertion: visit.Present, Evidence: []visit.Evidence{tr.NewEvidence(1, 13, 22)}}}
	stored.Findings = []visit.Finding{{Text: "chest pain", Assertion: visit.Absent, Evidence: []visit.Evidence{tr.NewEvidence(0, 4, 14)}}}
	stored.Note = visit.Note{Sections: []visit.Section{
		{Key: "hpi", Title: "History of present illness", Text: "She reports knee pain. She denies chest pain.", Sentences: []visit.Sentence{
			{Text: "She reports knee pain.", Evidence: []visit.Evidence{tr.NewEvidence(1, 13, 22)}},
			{Text: "She denies chest pain.", Evidence: []visit.Evidence{tr.NewEvidence(0, 4, 14), tr.NewEvidence(1, 0, 2)}},
		}},
		{Key: "plan", Title: "Plan", Text: "Ice.", Sentences: []visit.Sentence{{Text: "Ice.", Evidence: []visit.Evidence{}}}},
	}}
	stored.Note.Text = "HISTORY OF PRESENT ILLNESS\nShe reports knee pain. She denies chest pain.\n\nPLAN\nIce."
	stored.Normalize()
	require.NoError(t, st.UpdateVisit(context.Background(), stored))
	return stored
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dir, "db.sqlite"), quiet)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	for name, role := range map[string]string{"dr.house": "physician", "qa.lead": "quality"} {
		h, err := web.HashPassword("correct horse battery")
		require.NoError(t, err)
		require.NoError(t, st.PutUser(context.Background(), store.User{Name: name, Role: role, PasswordHash: h, CreatedAt: time.Now()}))
	}
	secure := false
	ui, err := web.New(&web.Config{Store: st, SecureCookies: &secure, Logger: quiet, AudioDir: dir})
	require.NoError(t, err)
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	ui.Mount(r, func(roles ...api.Role) gin.HandlerFunc {
		return func(c *gin.Context) { c.AbortWithStatus(http.StatusUnauthorized) }
	})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return &env{srv: srv, store: st, visit: draftVisit(t, st)}
}

// browser is a client with cookies that does not follow redirects.
func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	res.Body.Close()
	return string(b)
}

// login logs in and returns the session's CSRF token.
func login(t *testing.T, e *env, c *http.Client, user string) string {
	t.Helper()
	res, err := c.Get(e.srv.URL + "/ui/login")
	require.NoError(t, err)
	m := csrfField.FindStringSubmatch(body(t, res))
	require.NotNil(t, m)
	res, err = c.PostForm(e.srv.URL+"/ui/login", url.Values{"csrf": {m[1]}, "user": {user}, "password": {"correct horse battery"}})
	require.NoError(t, err)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	require.Equal(t, "/ui", res.Header.Get("Location"))
	res, err = c.Get(e.srv.URL + "/ui")
	require.NoError(t, err)
	mm := csrfMeta.FindStringSubmatch(body(t, res))
	require.NotNil(t, mm)
	return mm[1]
}

func postJSON(t *testing.T, c *http.Client, u, csrf string, v any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(v)
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	res, err := c.Do(req)
	require.NoError(t, err)
	out := map[string]any{}
	_ = json.Unmarshal([]byte(body(t, res)), &out)
	return res.StatusCode, out
}

func TestPagesNeedALogin(t *testing.T) {
	e := newEnv(t)
	c := browser(t)
	res, err := c.Get(e.srv.URL + "/ui/visits/" + e.visit.ID)
	require.NoError(t, err)
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/ui/login", res.Header.Get("Location"))
	code, _ := postJSON(t, c, e.srv.URL+"/ui/visits/"+e.visit.ID+"/sign", "", map[string]any{})
	assert.Equal(t, http.StatusUnauthorized, code)
}

func TestWrongPasswordAndExpiredForm(t *testing.T) {
	e := newEnv(t)
	c := browser(t)
	res, _ := c.Get(e.srv.URL + "/ui/login")
	m := csrfField.FindStringSubmatch(body(t, res))
	res, err := c.PostForm(e.srv.URL+"/ui/login", url.Values{"csrf": {m[1]}, "user": {"dr.house"}, "password": {"wrong password!!"}})
	require.NoError(t, err)
	assert.Equal(t, "/ui/login?error=invalid", res.Header.Get("Location"))
	res, err = browser(t).PostForm(e.srv.URL+"/ui/login", url.Values{"csrf": {"forged"}, "user": {"dr.house"}, "password": {"correct horse battery"}})
	require.NoError(t, err)
	assert.Equal(t, "/ui/login?error=expired", res.Header.Get("Location"), "a login without the form's token is refused")
}

func TestReviewPageEscapesVisitText(t *testing.T) {
	e := newEnv(t)
	c := browser(t)
	login(t, e, c, "dr.house")
	res, err := c.Get(e.srv.URL + "/ui/visits/" + e.visit.ID)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode)
	page := body(t, res)
	assert.NotContains(t, page, "<script>alert('x')</script>")
	assert.Contains(t, page, "&lt;script&gt;")
	assert.Contains(t, res.Header.Get("Content-Security-Policy"), "script-src 'self'")
	assert.Contains(t, page, `id="turn-1"`)
}

func TestSaveSignAndImmutability(t *testing.T) {
	e := newEnv(t)
	c := browser(t)
	csrf := login(t, e, c, "dr.house")
	u := e.srv.URL + "/ui/visits/" + e.visit.ID
	note := e.visit.Note
	note.Sections[0].Sentences[0].Text = "She reports right knee pain."
	note.Sections[1].Sentences[0].Text = "" // empties the plan section

	code, _ := postJSON(t, c, u+"/review", "", map[string]any{"revision": 0, "note": note})
	assert.Equal(t, http.StatusForbidden, code, "no CSRF token, no write")

	code, out := postJSON(t, c, u+"/review", csrf, map[string]any{"revision": 0, "note": note,
		"decisions": map[string]any{"problems/0": map[string]any{"action": "accepted"}}})
	require.Equal(t, http.StatusOK, code, out)
	assert.EqualValues(t, 1, out["revision"])
	saved, err := e.store.GetReview(context.Background(), e.visit.ID)
	require.NoError(t, err)
	require.Len(t, saved.Note.Sections, 1, "an emptied section is left out")
	assert.Equal(t, "HISTORY OF PRESENT ILLNESS\nShe reports right knee pain. She denies chest pain.", saved.Note.Text)

	code, out = postJSON(t, c, u+"/review", csrf, map[string]any{"revision": 0, "note": note})
	assert.Equal(t, http.StatusConflict, code, "a stale page cannot overwrite newer edits")
	assert.Contains(t, out["detail"], "Your edits are still on this page")

	code, out = postJSON(t, c, u+"/review", csrf, map[string]any{"revision": 1, "note": note,
		"decisions": map[string]any{"problems/9": map[string]any{"action": "accepted"}}})
	assert.Equal(t, http.StatusBadRequest, code, out)

	code, out = postJSON(t, c, u+"/sign", csrf, map[string]any{"revision": 1, "note": saved.Note})
	require.Equal(t, http.StatusOK, code, out)
	rec, err := e.store.GetVisit(context.Background(), e.visit.ID)
	require.NoError(t, err)
	assert.Equal(t, visit.StatusSigned, rec.Status)
	sig, err := e.store.GetSignature(context.Background(), e.visit.ID)
	require.NoError(t, err)
	assert.Equal(t, e.visit.Note.Text, sig.DraftText, "the draft is kept beside the signed note")
	assert.Contains(t, sig.Diff, "+She reports right knee pain.")

	code, _ = postJSON(t, c, u+"/sign", csrf, map[string]any{"revision": 2, "note": saved.Note})
	assert.Equal(t, http.StatusConflict, code, "a second signature is refused")
	code, _ = postJSON(t, c, u+"/review", csrf, map[string]any{"revision": 2, "note": saved.Note})
	assert.Equal(t, http.StatusConflict, code, "a signed note does not change")
	code, _ = postJSON(t, c, u+"/addendum", csrf, map[string]any{"text": "Called patient: pain improving."})
	assert.Equal(t, http.StatusOK, code)
	add, err := e.store.ListAddenda(context.Background(), e.visit.ID)
	require.NoError(t, err)
	require.Len(t, add, 1)

	res, err := c.Get(u + "/document-reference")
	require.NoError(t, err)
	doc := map[string]any{}
	require.NoError(t, json.Unmarshal([]byte(body(t, res)), &doc))
	assert.Equal(t, "DocumentReference", doc["resourceType"])
	assert.Equal(t, "final", doc["docStatus"])

	evs, err := e.store.ListAudit(context.Background(), store.AuditFilter{Object: "visit:" + e.visit.ID, Limit: 100})
	require.NoError(t, err)
	var actions []string
	for _, ev := range evs {
		actions = append(actions, ev.Action)
		assert.Equal(t, "dr.house", ev.Actor)
	}
	assert.Contains(t, actions, "ui edit visit")
	assert.Contains(t, actions, "ui sign visit")
	assert.Contains(t, actions, "ui add addendum")
}

func TestSigningAnEmptyNoteIsRefused(t *testing.T) {
	e := newEnv(t)
	c := browser(t)
	csrf := login(t, e, c, "dr.house")
	note := e.visit.Note
	for i := range note.Sections {
		for j := range note.Sections[i].Sentences {
			note.Sections[i].Sentences[j].Text = " "
		}
	}
	code, out := postJSON(t, c, e.srv.URL+"/ui/visits/"+e.visit.ID+"/sign", csrf, map[string]any{"revision": 0, "note": note})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, out["detail"], "empty")
}

func TestQualityRoleSeesDeidentifiedListAndCannotSign(t *testing.T) {
	e := newEnv(t)
	c := browser(t)
	csrf := login(t, e, c, "qa.lead")
	res, err := c.Get(e.srv.URL + "/ui")
	require.NoError(t, err)
	page := body(t, res)
	assert.NotContains(t, page, "p-1")
	assert.NotContains(t, page, "enc-1")
	assert.Contains(t, page, "anon-")
	res, err = c.Get(e.srv.URL + "/ui/visits/" + e.visit.ID)
	require.NoError(t, err)
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
	code, _ := postJSON(t, c, e.srv.URL+"/ui/visits/"+e.visit.ID+"/sign", csrf, map[string]any{"revision": 0, "note": e.visit.Note})
	assert.Equal(t, http.StatusForbidden, code)
	res, err = c.Get(e.srv.URL + "/ui/quality")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.StatusCode)
}

func TestEditRates(t *testing.T) {
	r := web.EditRates([]store.Signature{
		{DraftText: "a b c d", Note: visit.Note{Text: "a b c d"}},
		{DraftText: "a b c d", Note: visit.Note{Text: "a b x d e"}},
	})
	assert.Equal(t, 2, r.Signed)
	assert.Equal(t, 1, r.Unchanged)
	// second note: lcs 3 of 4 draft words; removed 1, added 2 → 3/4
	assert.InDelta(t, (0+0.75)/2, r.MeanWordEditRate, 1e-9)
	assert.InDelta(t, (1+0.75)/2, r.MeanKept, 1e-9)
	assert.Equal(t, " a\n-b\n+c\n", web.LineDiff("a\nb", "a\nc"))
}
