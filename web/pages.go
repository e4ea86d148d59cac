package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/medscribe/medscribe/api"
	"github.com/medscribe/medscribe/fhir"
	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/visit"
)

var funcs = template.FuncMap{
	"upper":  strings.ToUpper,
	"mul100": func(f float64) float64 { return 100 * f },
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
}

func (u *UI) render(c *gin.Context, status int, name string, data map[string]any) {
	if data == nil {
		data = map[string]any{}
	}
	if _, ok := data["Title"]; !ok {
		data["Title"] = map[string]string{"login.html": "Log in", "list.html": "Visits", "review.html": "Review", "quality.html": "Quality"}[name]
	}
	if p := api.PrincipalFrom(c.Request.Context()); p != nil {
		data["User"] = p
	}
	if tok, ok := c.Request.Context().Value(csrfKey).(string); ok {
		data["CSRFToken"] = tok
	}
	c.Header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Referrer-Policy", "no-referrer")
	c.Header("Cache-Control", "no-store")
	c.Status(status)
	c.Header("Content-Type", "text/html; charset=utf-8")
	if err := u.tmpl.ExecuteTemplate(c.Writer, name, data); err != nil {
		u.log.ErrorContext(c.Request.Context(), "render failed", "template", name, "err", err)
	}
}

// deidentify replaces an identifier by a stable pseudonym for the quality role.
func deidentify(s string) string {
	if s == "" {
		return ""
	}
	h := sha256.Sum256([]byte("medscribe-quality:" + s))
	return "anon-" + hex.EncodeToString(h[:4])
}

func (u *UI) listPage(c *gin.Context) {
	p := api.PrincipalFrom(c.Request.Context())
	st := visit.Status(c.Query("status"))
	switch st {
	case "", visit.StatusDraft, visit.StatusSigned, visit.StatusFailed, visit.StatusQueued, visit.StatusProcessing:
	default:
		st = ""
	}
	page, err := u.cfg.Store.ListVisits(c.Request.Context(), store.VisitFilter{Status: st, Query: c.Query("q"), Limit: 100, Cursor: c.Query("cursor")})
	if err != nil {
		u.fail(c, http.StatusServiceUnavailable, "could not list visits; retry")
		return
	}
	deid := p.Role == api.RoleQuality
	if deid {
		for i := range page.Visits {
			page.Visits[i].PatientID = deidentify(page.Visits[i].PatientID)
			page.Visits[i].ExternalID = deidentify(page.Visits[i].ExternalID)
		}
	}
	u.audit(c, "list visits", "visits")
	u.render(c, http.StatusOK, "list.html", map[string]any{"Page": page, "Status": string(st), "Q": c.Query("q"), "Deidentified": deid})
}

// reviewData is what the review script works on.
type reviewData struct {
	Visit     *visit.Record       `json:"visit"`
	Review    *store.Review       `json:"review"`
	Signature *store.Signature    `json:"signature"`
	Addenda   []store.Addendum    `json:"addenda"`
	Reasons   []visit.CodingValue `json:"override_reasons"`
	HasAudio  bool                `json:"has_audio"`
}

// defaultOverrideReasons are offered when a card brings none of its own.
var defaultOverrideReasons = []visit.CodingValue{
	{Code: "patient-aware", Display: "Patient aware of risk, benefit outweighs risk"},
	{Code: "will-monitor", Display: "Will monitor the patient"},
	{Code: "not-relevant", Display: "Not relevant to this patient"},
	{Code: "already-addressed", Display: "Already addressed"},
}

func (u *UI) loadReview(c *gin.Context) (*reviewData, bool) {
	ctx := c.Request.Context()
	rec, err := u.cfg.Store.GetVisit(ctx, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		u.fail(c, http.StatusNotFound, "no such visit")
		return nil, false
	}
	if err != nil {
		u.fail(c, http.StatusServiceUnavailable, "could not load the visit; retry")
		return nil, false
	}
	d := &reviewData{Visit: rec, Reasons: defaultOverrideReasons, Addenda: []store.Addendum{}}
	if r, err := u.cfg.Store.GetReview(ctx, rec.ID); err == nil {
		d.Review = r
	} else if !errors.Is(err, store.ErrNotFound) {
		u.fail(c, http.StatusServiceUnavailable, "could not load the review; retry")
		return nil, false
	}
	if s, err := u.cfg.Store.GetSignature(ctx, rec.ID); err == nil {
		d.Signature = s
		if a, err := u.cfg.Store.ListAddenda(ctx, rec.ID); err == nil {
			d.Addenda = a
		}
	}
	if rec.Audio != nil && u.cfg.AudioDir != "" {
		if _, err := os.Stat(api.AudioPath(u.cfg.AudioDir, *rec.Audio)); err == nil {
			d.HasAudio = true
		}
	}
	return d, true
}

func (u *UI) reviewPage(c *gin.Context) {
	d, ok := u.loadReview(c)
	if !ok {
		return
	}
	u.audit(c, "view visit", "visit:"+d.Visit.ID)
	u.render(c, http.StatusOK, "review.html", map[string]any{"D": d, "V": d.Visit})
}

func (u *UI) audio(c *gin.Context) {
	rec, err := u.cfg.Store.GetVisit(c.Request.Context(), c.Param("id"))
	if err != nil || rec.Audio == nil {
		u.fail(c, http.StatusNotFound, "this visit has no recording")
		return
	}
	u.audit(c, "play audio", "visit:"+rec.ID)
	c.Header("Cache-Control", "no-store")
	c.File(api.AudioPath(u.cfg.AudioDir, *rec.Audio))
}

// reviewRequest is what the review script saves.
type reviewRequest struct {
	Revision  int                       `json:"revision"`
	Note      visit.Note                `json:"note"`
	Decisions map[string]store.Decision `json:"decisions"`
}

func (u *UI) decodeReview(c *gin.Context, rec *visit.Record) (*reviewRequest, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, 4<<20))
	if err != nil {
		u.fail(c, http.StatusRequestEntityTooLarge, "the review is too large")
		return nil, false
	}
	var req reviewRequest
	if err := json.Unmarshal(body, &req); err != nil {
		u.fail(c, http.StatusBadRequest, "malformed review: "+err.Error())
		return nil, false
	}
	n, err := cleanNote(req.Note, &rec.Transcript)
	if err != nil {
		u.fail(c, http.StatusBadRequest, err.Error())
		return nil, false
	}
	req.Note = n
	for k, d := range req.Decisions {
		if !validDecisionKey(k, rec) {
			u.fail(c, http.StatusBadRequest, "unknown item "+k)
			return nil, false
		}
		switch d.Action {
		case "accepted", "rejected", "edited", "overridden":
		default:
			u.fail(c, http.StatusBadRequest, fmt.Sprintf("%s: unknown action %q", k, d.Action))
			return nil, false
		}
	}
	return &req, true
}

// cleanNote drops empty sentences and sections, recomputes every section's text and the
// note text from the sentences (so what is signed is exactly what was shown), and checks
// that evidence still points into the transcript.
func cleanNote(n visit.Note, tr *visit.Transcript) (visit.Note, error) {
	out := visit.Note{Sections: []visit.Section{}}
	var text strings.Builder
	for _, s := range n.Sections {
		var kept []visit.Sentence
		for _, sen := range s.Sentences {
			sen.Text = strings.TrimSpace(sen.Text)
			if sen.Text == "" {
				continue
			}
			if len(sen.Text) > 4000 {
				return out, fmt.Errorf("section %q: a sentence is longer than 4000 characters", s.Title)
			}
			for _, e := range sen.Evidence {
				if err := tr.CheckEvidence(e); err != nil {
					return out, fmt.Errorf("section %q: evidence does not match the transcript: %v", s.Title, err)
				}
			}
			if sen.Evidence == nil {
				sen.Evidence = []visit.Evidence{}
			}
			kept = append(kept, sen)
		}
		if len(kept) == 0 {
			continue // an emptied section is left out, as the drafter leaves out empty ones
		}
		parts := make([]string, len(kept))
		for i, k := range kept {
			parts[i] = k.Text
		}
		s.Sentences = kept
		s.Text = strings.Join(parts, " ")
		out.Sections = append(out.Sections, s)
		if text.Len() > 0 {
			text.WriteString("\n\n")
		}
		text.WriteString(strings.ToUpper(s.Title) + "\n" + s.Text)
	}
	out.Text = text.String()
	return out, nil
}

func validDecisionKey(k string, rec *visit.Record) bool {
	kind, idx, ok := strings.Cut(k, "/")
	if !ok {
		return false
	}
	var n int
	if kind == "alerts" {
		for _, a := range rec.Alerts {
			if a.UUID == idx {
				return true
			}
		}
		return false
	}
	if _, err := fmt.Sscanf(idx, "%d", &n); err != nil || fmt.Sprint(n) != idx || n < 0 {
		return false
	}
	switch kind {
	case "problems":
		return n < len(rec.Problems)
	case "medications":
		return n < len(rec.Medications)
	case "orders":
		return n < len(rec.Orders)
	case "allergies":
		return n < len(rec.Allergies)
	}
	return false
}

func (u *UI) conflict(c *gin.Context, err error) bool {
	if errors.Is(err, store.ErrConflict) {
		u.fail(c, http.StatusConflict, "This visit changed since you opened it (someone saved or signed it). Your edits are still on this page: copy them, reload, and apply them again.")
		return true
	}
	if err != nil {
		u.fail(c, http.StatusServiceUnavailable, "could not save; your edits are still on this page, retry")
		return true
	}
	return false
}

func (u *UI) saveReview(c *gin.Context) {
	rec, err := u.cfg.Store.GetVisit(c.Request.Context(), c.Param("id"))
	if err != nil {
		u.fail(c, http.StatusNotFound, "no such visit")
		return
	}
	if rec.Status == visit.StatusSigned {
		u.fail(c, http.StatusConflict, "This note is signed and cannot change; add an addendum instead.")
		return
	}
	req, ok := u.decodeReview(c, rec)
	if !ok {
		return
	}
	p := api.PrincipalFrom(c.Request.Context())
	r := &store.Review{VisitID: rec.ID, Note: req.Note, Decisions: req.Decisions, UpdatedBy: p.Name, UpdatedAt: u.cfg.Now().UTC()}
	if r.Decisions == nil {
		r.Decisions = map[string]store.Decision{}
	}
	rev, err := u.cfg.Store.SaveReview(c.Request.Context(), r, req.Revision)
	if u.conflict(c, err) {
		return
	}
	u.audit(c, "edit visit", "visit:"+rec.ID)
	c.JSON(http.StatusOK, gin.H{"revision": rev, "note": req.Note})
}

func (u *UI) sign(c *gin.Context) {
	ctx := c.Request.Context()
	rec, err := u.cfg.Store.GetVisit(ctx, c.Param("id"))
	if err != nil {
		u.fail(c, http.StatusNotFound, "no such visit")
		return
	}
	if rec.Status == visit.StatusSigned {
		u.fail(c, http.StatusConflict, "This note is already signed.")
		return
	}
	if rec.Status != visit.StatusDraft {
		u.fail(c, http.StatusConflict, "Only a drafted visit can be signed (this one is "+string(rec.Status)+").")
		return
	}
	req, ok := u.decodeReview(c, rec)
	if !ok {
		return
	}
	if len(req.Note.Sections) == 0 {
		u.fail(c, http.StatusBadRequest, "The note is empty: there is nothing to sign.")
		return
	}
	p := api.PrincipalFrom(ctx)
	now := u.cfg.Now().UTC()
	r := &store.Review{VisitID: rec.ID, Note: req.Note, Decisions: req.Decisions, UpdatedBy: p.Name, UpdatedAt: now}
	if r.Decisions == nil {
		r.Decisions = map[string]store.Decision{}
	}
	rev, err := u.cfg.Store.SaveReview(ctx, r, req.Revision)
	if u.conflict(c, err) {
		return
	}
	sig := store.Signature{VisitID: rec.ID, SignedBy: p.Name, SignedAt: now, Note: req.Note,
		DraftText: rec.Note.Text, Diff: LineDiff(rec.Note.Text, req.Note.Text)}
	if u.conflict(c, u.cfg.Store.Sign(ctx, sig, rev)) {
		return
	}
	u.audit(c, "sign visit", "visit:"+rec.ID)
	c.JSON(http.StatusOK, gin.H{"signed": true, "signed_by": p.Name, "signed_at": now, "revision": rev})
}

func (u *UI) addendum(c *gin.Context) {
	var req struct {
		Text string `json:"text"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, 1<<20)).Decode(&req); err != nil || strings.TrimSpace(req.Text) == "" {
		u.fail(c, http.StatusBadRequest, "an addendum needs text")
		return
	}
	p := api.PrincipalFrom(c.Request.Context())
	a := store.Addendum{VisitID: c.Param("id"), Author: p.Name, Text: strings.TrimSpace(req.Text), At: u.cfg.Now().UTC()}
	if err := u.cfg.Store.AddAddendum(c.Request.Context(), a); err != nil {
		if errors.Is(err, store.ErrConflict) {
			u.fail(c, http.StatusConflict, "Only a signed note takes addenda; edit the draft instead.")
			return
		}
		u.fail(c, http.StatusServiceUnavailable, "could not save the addendum; retry")
		return
	}
	u.audit(c, "add addendum", "visit:"+a.VisitID)
	c.JSON(http.StatusOK, gin.H{"ok": true})
}

// documentReference renders the signed note as a FHIR R4 DocumentReference.
func (u *UI) documentReference(c *gin.Context) {
	ctx := c.Request.Context()
	rec, err := u.cfg.Store.GetVisit(ctx, c.Param("id"))
	if err != nil {
		u.fail(c, http.StatusNotFound, "no such visit")
		return
	}
	sig, err := u.cfg.Store.GetSignature(ctx, rec.ID)
	if err != nil {
		u.fail(c, http.StatusNotFound, "the note is not signed yet")
		return
	}
	u.audit(c, "export signed note", "visit:"+rec.ID)
	c.Header("Content-Type", "application/fhir+json")
	c.JSON(http.StatusOK, fhir.SignedNote(rec, sig.SignedBy, sig.SignedAt, sig.Note.Text))
}

func (u *UI) qualityPage(c *gin.Context) {
	ctx := c.Request.Context()
	sigs, err := u.cfg.Store.ListSignatures(ctx)
	if err != nil {
		u.fail(c, http.StatusServiceUnavailable, "could not load signatures; retry")
		return
	}
	rates := EditRates(sigs)
	fb, err := u.cfg.Store.FeedbackSummary(ctx)
	if err != nil {
		fb = nil
	}
	u.audit(c, "view quality", "quality")
	u.render(c, http.StatusOK, "quality.html", map[string]any{"Rates": rates, "Feedback": fb})
}
