package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/visit"
	"github.com/medscribe/medscribe/web"
)

// TestEveryPHIRouteAuditsOncePerCall calls every route that reads or changes patient data
// once and checks that exactly one audit event (who, role, action, object, client) was added.
func TestEveryPHIRouteAuditsOncePerCall(t *testing.T) {
	a, _ := testApp(t, "")
	ctx := context.Background()
	key := apiKey(t, a.store, "physician")
	hash, err := web.HashPassword("correct horse battery")
	require.NoError(t, err)
	require.NoError(t, a.store.PutUser(ctx, store.User{Name: "dr.audit", Role: "physician", PasswordHash: hash, CreatedAt: time.Now()}))

	count := func() int {
		evs, err := a.store.ListAudit(ctx, store.AuditFilter{Limit: 100000})
		require.NoError(t, err)
		return len(evs)
	}
	last := func() store.AuditEvent {
		evs, err := a.store.ListAudit(ctx, store.AuditFilter{Limit: 1})
		require.NoError(t, err)
		require.Len(t, evs, 1)
		return evs[0]
	}
	code, body, _ := call(t, "POST", a.URL()+"/v1/visits?wait=true", key, map[string]any{"external_id": "audit-1", "patient_id": "p-a",
		"transcript": demoText(t, "knee-pain-warfarin.txt")})
	require.Equal(t, http.StatusOK, code, string(body))
	var rec visit.Record
	require.NoError(t, json.Unmarshal(body, &rec))
	ev := last()
	assert.Equal(t, "key:physician-key", ev.Actor)
	assert.Equal(t, "physician", ev.Role)
	assert.Equal(t, "visit:"+rec.ID, ev.Object)
	assert.Equal(t, "127.0.0.1", ev.Client)

	apiCalls := []struct{ method, path string }{
		{"GET", "/v1/visits"},
		{"GET", "/v1/visits?patient_id=p-a"},
		{"GET", "/v1/visits/" + rec.ID},
		{"GET", "/v1/visits/" + rec.ID + "/note"},
		{"GET", "/v1/visits/" + rec.ID + "/fhir"},
		{"GET", "/v1/cases/similar?visit=" + rec.ID},
	}
	for _, c := range apiCalls {
		before := count()
		code, _, _ := call(t, c.method, a.URL()+c.path, key, nil)
		assert.Equal(t, http.StatusOK, code, c.path)
		assert.Equal(t, before+1, count(), "%s %s writes exactly one audit event", c.method, c.path)
	}

	ui, csrf := uiLogin(t, a.URL(), "dr.audit", "correct horse battery")
	uiCall := func(method, path string, body any) int {
		var r *bytes.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		} else {
			r = bytes.NewReader(nil)
		}
		req, _ := http.NewRequest(method, a.URL()+path, r)
		req.Header.Set("X-CSRF-Token", csrf)
		req.Header.Set("Content-Type", "application/json")
		res, err := ui.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	uiCalls := []struct {
		method, path string
		body         any
	}{
		{"GET", "/ui/visits/" + rec.ID, nil},
		{"POST", "/ui/visits/" + rec.ID + "/review", map[string]any{"revision": 0, "note": rec.Note}},
		{"POST", "/ui/visits/" + rec.ID + "/sign", map[string]any{"revision": 1, "note": rec.Note}},
		{"POST", "/ui/visits/" + rec.ID + "/addendum", map[string]any{"text": "Follow-up call done."}},
		{"GET", "/ui/visits/" + rec.ID + "/document-reference", nil},
	}
	for _, c := range uiCalls {
		before := count()
		assert.Equal(t, http.StatusOK, uiCall(c.method, c.path, c.body), c.path)
		assert.Equal(t, before+1, count(), "%s %s writes exactly one audit event", c.method, c.path)
		ev := last()
		assert.Equal(t, "dr.audit", ev.Actor)
		assert.Equal(t, "visit:"+rec.ID, ev.Object)
	}
}
