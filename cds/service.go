package cds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/medscribe/medscribe/api/problem"
	"github.com/medscribe/medscribe/fhir"
	"github.com/medscribe/medscribe/rules"
	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/visit"
)

// DevModeHeader is set on every response when the service accepts unsigned calls.
const DevModeHeader = "X-Medscribe-Dev-Mode"

// Service ids, one per hook.
const (
	ServicePatientView = "medscribe-patient-view"
	ServiceOrderSelect = "medscribe-order-select"
	ServiceOrderSign   = "medscribe-order-sign"
)

// Definition is one entry of the discovery response.
type Definition struct {
	Hook              string            `json:"hook"`
	Title             string            `json:"title,omitempty"`
	Description       string            `json:"description"`
	ID                string            `json:"id"`
	Prefetch          map[string]string `json:"prefetch,omitempty"`
	UsageRequirements string            `json:"usageRequirements,omitempty"`
}

var definitions = []Definition{
	{Hook: HookPatientView, ID: ServicePatientView, Title: "medscribe medication safety review",
		Description: "Drug interactions, allergy conflicts, duplicate therapy, dose and renal checks over the patient's active medications, including what was said in the latest medscribe visit."},
	{Hook: HookOrderSelect, ID: ServiceOrderSelect, Title: "medscribe order check",
		Description: "Checks the selected medication orders against the patient's medications, allergies, problems and labs as they are chosen."},
	{Hook: HookOrderSign, ID: ServiceOrderSign, Title: "medscribe order-sign check",
		Description: "Checks medication orders at signing; alerts already shown at order-select for the same draft order are not repeated."},
}

const usage = "Grant read access to Patient, MedicationRequest, MedicationStatement, AllergyIntolerance, Condition and Observation (or supply the prefetch). Calls are authenticated with a signed JWT (ES384/RS384)."

// Service answers CDS Hooks calls and builds cards for visits.
type Service struct {
	cfg   *Config
	log   *slog.Logger
	auth  *verifier
	byID  map[string]Definition
	cards *cardLog
	// nextPrune is when the shown-card log is next pruned (unix nanoseconds).
	nextPrune atomic.Int64
	// fhirBases is Config.FHIRServers parsed; empty allows any fhirServer.
	fhirBases []fhirBase
}

// shownPruneEvery is how often the shown-card log is pruned of entries older than
// Config.ShownRetention.
const shownPruneEvery = time.Hour

// pruneShown forgets shown cards older than the retention, at most once per shownPruneEvery,
// on the calling hook's time: one indexed delete, bounded by a short timeout.
func (s *Service) pruneShown(ctx context.Context) {
	now := s.cfg.Now()
	next := s.nextPrune.Load()
	if now.UnixNano() < next || !s.nextPrune.CompareAndSwap(next, now.Add(shownPruneEvery).UnixNano()) {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	n, err := s.cfg.Store.PruneCardsShown(ctx, now.Add(-s.cfg.ShownRetention))
	if err != nil {
		s.log.Warn("cds shown-card log not pruned", "err", err)
		return
	}
	s.log.Info("cds shown-card log pruned", "removed", n)
}

// New checks cfg and builds the service. In Dev mode it logs a warning that calls are not
// authenticated.
func New(cfg *Config) (*Service, error) {
	if cfg == nil {
		return nil, errors.New("cds config: nil")
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	s := &Service{cfg: c, log: c.Logger, byID: map[string]Definition{}, cards: newCardLog(cardLogWindow, cardLogMax)}
	for _, u := range c.FHIRServers {
		b, _ := parseFHIRBase(u) // validated
		s.fhirBases = append(s.fhirBases, b)
	}
	if len(s.fhirBases) == 0 && !c.Dev {
		s.log.Warn("cds: missing prefetch is fetched from any fhirServer a signed request names; set cds.fhir_servers to restrict it")
	}
	for _, d := range definitions {
		d.Prefetch = prefetchTemplates
		d.UsageRequirements = usage
		s.byID[d.ID] = d
	}
	if c.Auth != nil && !c.Dev {
		v, err := newVerifier(c.Auth, c.HTTPClient, c.FetchTimeout, c.Now)
		if err != nil {
			return nil, fmt.Errorf("cds config: %w", err)
		}
		s.auth = v
	}
	if c.Dev {
		s.log.Warn("CDS HOOKS DEV MODE: JWT AUTHENTICATION IS OFF; unsigned calls are accepted. Never use this with real patients.",
			"header", DevModeHeader)
	}
	return s, nil
}

// Routes mounts discovery, the hook services and feedback on r.
func (s *Service) Routes(r gin.IRouter) {
	g := r.Group("/cds-services", s.common)
	g.GET("", s.discovery)
	g.POST("/:id", s.hook)
	g.POST("/:id/feedback", s.feedback)
	g.OPTIONS("", s.preflight)
	g.OPTIONS("/:id", s.preflight)
	g.OPTIONS("/:id/feedback", s.preflight)
}

// common adds CORS headers (CDS Hooks requires CORS for browser-based clients) and the dev
// mode header.
func (s *Service) common(c *gin.Context) {
	h := c.Writer.Header()
	if o := c.GetHeader("Origin"); o != "" {
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept")
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Expose-Headers", DevModeHeader)
		h.Set("Access-Control-Max-Age", "600")
	}
	if s.cfg.Dev {
		h.Set(DevModeHeader, "unauthenticated")
	}
	c.Next()
}

func (s *Service) preflight(c *gin.Context) { c.Status(http.StatusNoContent) }

// discovery answers GET /cds-services.
func (s *Service) discovery(c *gin.Context) {
	out := make([]Definition, 0, len(definitions))
	for _, d := range definitions {
		out = append(out, s.byID[d.ID])
	}
	c.JSON(http.StatusOK, gin.H{"services": out})
}

// Definitions returns the services as advertised in discovery.
func (s *Service) Definitions() []Definition {
	out := make([]Definition, 0, len(definitions))
	for _, d := range definitions {
		out = append(out, s.byID[d.ID])
	}
	return out
}

// fail writes err as problem+json; it maps every error of this package to a status.
func (s *Service) fail(c *gin.Context, err error) {
	var re *requestError
	var ae *authError
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		c.Header("WWW-Authenticate", `Bearer error="invalid_token"`)
		problem.Error(c.Writer, c.Request, http.StatusUnauthorized, ae.msg)
	case errors.As(err, &mb):
		problem.Error(c.Writer, c.Request, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", mb.Limit))
	case errors.As(err, &re):
		p := problem.New(re.status, re.msg)
		if re.where != "" {
			p.Errors = []problem.FieldError{{Where: re.where, Message: re.msg}}
		}
		problem.Write(c.Writer, c.Request, p)
	case errors.Is(err, errMissingData):
		problem.Error(c.Writer, c.Request, http.StatusPreconditionFailed, err.Error())
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		problem.Error(c.Writer, c.Request, http.StatusServiceUnavailable, "the request timed out")
	default:
		s.log.Error("cds internal error", "path", c.FullPath(), "err", err)
		problem.Error(c.Writer, c.Request, http.StatusInternalServerError, "internal error")
	}
	c.Abort()
}

// authenticate verifies the caller's JWT for a call to path (unless Dev).
func (s *Service) authenticate(c *gin.Context, path string) error {
	if s.cfg.Dev {
		return nil
	}
	aud := s.cfg.BaseURL + path
	if s.cfg.BaseURL == "" {
		scheme := "http"
		if c.Request.TLS != nil {
			scheme = "https"
		}
		aud = scheme + "://" + c.Request.Host + path
	}
	_, err := s.auth.verify(c.Request.Context(), c.GetHeader("Authorization"), aud)
	return err
}

func (s *Service) readBody(c *gin.Context) ([]byte, error) {
	body := http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes)
	b, err := io.ReadAll(body)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, err
		}
		return nil, badRequest("", "cannot read the request body")
	}
	return b, nil
}

// hook answers POST /cds-services/{id}.
func (s *Service) hook(c *gin.Context) {
	start := s.cfg.Now()
	def, ok := s.byID[c.Param("id")]
	if !ok {
		problem.Error(c.Writer, c.Request, http.StatusNotFound, "no CDS service with that id")
		return
	}
	if err := s.authenticate(c, "/cds-services/"+def.ID); err != nil {
		s.log.Info("cds call refused", "service", def.ID, "reason", err.Error())
		s.fail(c, err)
		return
	}
	body, err := s.readBody(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	req, hc, err := decodeRequest(body, def.Hook, s.cfg.MaxResources)
	if err != nil {
		s.fail(c, err)
		return
	}
	cards, st, err := s.answer(c.Request.Context(), req, hc)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.log.Info("cds hook answered", "service", def.ID, "hookInstance", req.HookInstance, "cards", len(cards),
		"meds", st.meds, "drafts", st.drafts, "fetched", st.fetched, "from_visit", st.c.fromVisit,
		"unknown_drugs", st.c.unknownDrugs, "non_rxnorm", st.c.nonRxNorm, "suppressed", st.suppressed,
		"rules", st.rulesVersion, "ms", s.cfg.Now().Sub(start).Milliseconds())
	c.JSON(http.StatusOK, gin.H{"cards": cards})
}

// callStats is what one call did, for the log.
type callStats struct {
	c            counts
	meds, drafts int
	fetched      int
	suppressed   int
	rulesVersion string
}

// answer runs one hook call: prefetch, patient, rules, de-duplication, cards.
func (s *Service) answer(ctx context.Context, req *hookRequest, hc *hookContext) ([]visit.Card, *callStats, error) {
	st := &callStats{}
	g := newGathered()
	if err := readPrefetch(req, g); err != nil {
		return nil, nil, err
	}
	if err := s.completePrefetch(ctx, req, hc, g); err != nil {
		return nil, nil, err
	}
	st.fetched = g.fetched
	rs := s.cfg.Rules.Current()
	st.rulesVersion = rs.Version()
	b := newBuilder(rs, s.cfg.Now())

	// Draft orders first, so their ids win and the prefetch copy of a draft is skipped.
	var drafts []string
	if hc.DraftOrders != nil {
		selected := selectionSet(req.Hook, hc)
		for i, e := range hc.DraftOrders.Entry {
			mr, ok := e.Resource.(*fhir.MedicationRequest)
			if !ok {
				continue
			}
			sel := selected == nil || selected["MedicationRequest/"+mr.ID] || selected[mr.ID]
			b.addDraft(mr, i, sel)
			if sel {
				drafts = append(drafts, b.p.Medications[len(b.p.Medications)-1].ID)
			}
		}
	}
	b.fromFHIR(g)
	rec := s.latestVisit(ctx, hc.PatientID)
	b.addVisit(rec, false)
	st.c, st.meds, st.drafts = b.c, len(b.p.Medications), len(drafts)

	pc := &PatientContext{PatientID: hc.PatientID, Hook: req.Hook, Patient: b.p, Visit: rec}
	simCh := s.similar(ctx, pc, draftMeds(b.p.Medications))

	alerts := rs.Evaluate(&b.p)
	isOrder := req.Hook == HookOrderSelect || req.Hook == HookOrderSign
	dedupe := s.cfg.dedupe() && isOrder && pddiFilter(req)
	if dedupe {
		s.pruneShown(ctx)
	}
	cards := make([]visit.Card, 0, len(alerts)+1)
	for i := range alerts {
		a := &alerts[i]
		if isOrder && (a.DraftMedID == "" || b.refs[a.DraftMedID] == nil || !b.refs[a.DraftMedID].selected) {
			continue
		}
		if dedupe {
			already, err := s.cfg.Store.MarkCardShown(ctx, shownKey(hc, a, b.refs), s.cfg.Now())
			if err != nil {
				s.log.Warn("cds shown-card log unavailable", "err", err)
			} else if already && req.Hook == HookOrderSign {
				st.suppressed++
				continue
			}
		}
		card := buildCard(cardInput{alert: a, rulesVersion: st.rulesVersion, refs: b.refs, visit: rec,
			uiBase: s.cfg.UIBaseURL, withSuggestions: isOrder})
		s.cards.put(card.UUID, a.RuleID, s.cfg.Now())
		cards = append(cards, card)
	}
	if sim := <-simCh; sim != nil {
		cards = append(cards, *sim)
	}
	return cards, st, nil
}

func selectionSet(hook string, hc *hookContext) map[string]bool {
	if hook != HookOrderSelect || len(hc.Selections) == 0 {
		return nil
	}
	set := map[string]bool{}
	for _, sel := range hc.Selections {
		set[sel] = true
	}
	// Selections that match no draft order select all of them (tolerant of clients that
	// reference orders differently).
	for _, e := range hc.DraftOrders.Entry {
		if mr, ok := e.Resource.(*fhir.MedicationRequest); ok && (set["MedicationRequest/"+mr.ID] || set[mr.ID]) {
			return set
		}
	}
	return nil
}

// pddiFilter honours PDDI-CDS's "filter-out-repeated-alerts": false.
func pddiFilter(req *hookRequest) bool {
	raw, ok := req.Extension["pddi-configuration-items"]
	if !ok {
		return true
	}
	var items struct {
		Filter *bool `json:"filter-out-repeated-alerts"`
	}
	if json.Unmarshal(raw, &items) != nil || items.Filter == nil {
		return true
	}
	return *items.Filter
}

// shownKey identifies "this alert for this patient and this draft order". Draft orders
// without an id are keyed by encounter and day, so the same drug ordered on another day is
// shown again.
func shownKey(hc *hookContext, a *rules.Alert, refs map[string]*medRef) string {
	names := medNames(a.Meds, refs)
	sort.Strings(names)
	draft := a.DraftMedID
	if r := refs[a.DraftMedID]; r != nil && r.resource != nil && r.resource.ID == "" {
		draft = "noid:" + strings.ToLower(r.name) + "|enc:" + hc.EncounterID
	}
	return "cds-shown|" + hc.PatientID + "|" + a.RuleID + "|" + strings.ToLower(strings.Join(names, "+")) + "|" + draft + "|" + a.Allergen
}

func draftMeds(ms []rules.Med) []rules.Med {
	var out []rules.Med
	for _, m := range ms {
		if m.Draft {
			out = append(out, m)
		}
	}
	return out
}

// latestVisit returns the patient's latest medscribe visit, or nil (none, or the store failed:
// the call still answers from the EHR's data).
func (s *Service) latestVisit(ctx context.Context, patientID string) *visit.Record {
	if patientID == "" {
		return nil
	}
	rec, err := s.cfg.Store.LatestVisitForPatient(ctx, patientID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Warn("cds latest visit unavailable", "err", err)
		}
		return nil
	}
	return rec
}

// similar starts the similar-case search; the channel yields its card, or nil when it is off,
// fails, has nothing, or misses SimilarTimeout.
func (s *Service) similar(ctx context.Context, pc *PatientContext, drafts []rules.Med) <-chan *visit.Card {
	ch := make(chan *visit.Card, 1)
	if s.cfg.Similar == nil {
		ch <- nil
		return ch
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.SimilarTimeout)
	res := make(chan *visit.Card, 1)
	go func() {
		card, err := s.cfg.Similar.SimilarCards(ctx, pc, drafts)
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				s.log.Warn("cds similar cases failed", "err", err)
			}
			card = nil
		}
		res <- card
	}()
	go func() {
		defer cancel()
		select {
		case card := <-res:
			if card != nil && card.UUID == "" {
				card.UUID = uuid.NewString()
			}
			ch <- card
		case <-ctx.Done():
			ch <- nil
		}
	}()
	return ch
}
