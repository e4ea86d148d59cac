package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/medscribe/medscribe/api/problem"
	"github.com/medscribe/medscribe/ingest"
	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/visit"
)

// Mounter is a package that serves its own routes on medscribe's engine (cds, web).
// protect wraps a handler so that only the given roles reach it (and audits nothing: the
// mounted package audits what it serves).
type Mounter interface {
	Mount(r *gin.Engine, protect func(roles ...Role) gin.HandlerFunc)
}

// Enqueuer schedules a stored visit for processing (ingest.Queue).
type Enqueuer interface {
	Enqueue(ctx context.Context, visitID string) error
}

// SimilarFinder answers GET /v1/cases/similar (package cds).
type SimilarFinder interface {
	SimilarToVisit(ctx context.Context, visitID string, k int) (any, error)
}

// Config configures the API server. Store and Pipeline are required.
type Config struct {
	Store    store.Store
	Pipeline *ingest.Pipeline
	// Queue processes submitted visits; nil processes them inline in the request.
	Queue Enqueuer
	// Mounts are cds, web and anything else with routes of its own.
	Mounts []Mounter
	// Similar serves similar-case lookups; nil answers 501.
	Similar SimilarFinder
	// FeedbackSummary serves GET /v1/cds/feedback/summary; nil answers 501.
	FeedbackSummary gin.HandlerFunc
	// Authenticators are tried after API keys (e.g. the UI's sessions, OIDC bearer JWTs).
	Authenticators []Authenticator
	// Dev turns authentication off (every caller is an admin named "dev").
	Dev bool
	// RateLimit runs after authentication on every protected route (so its key is the
	// principal); nil = no limit.
	RateLimit gin.HandlerFunc
	// MaxBodyBytes bounds JSON bodies; default 8 MiB.
	MaxBodyBytes int64
	// MaxAudioBytes bounds audio uploads; default 200 MiB.
	MaxAudioBytes int64
	// WaitTimeout bounds ?wait=true; default 60 s.
	WaitTimeout time.Duration
	// AudioDir is where uploaded recordings are kept; default "data/audio".
	AudioDir string
	// Version is reported by /healthz.
	Version string
	Logger  *slog.Logger
	Metrics *Metrics
}

func (c *Config) validate() error {
	if c.Store == nil || c.Pipeline == nil {
		return errors.New("api: Config.Store and Config.Pipeline are required")
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 8 << 20
	}
	if c.MaxAudioBytes <= 0 {
		c.MaxAudioBytes = 200 << 20
	}
	if c.WaitTimeout <= 0 {
		c.WaitTimeout = 60 * time.Second
	}
	if c.AudioDir == "" {
		c.AudioDir = "data/audio"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics()
	}
	return nil
}

// Rule is the access rule of one route.
type Rule struct {
	Method string
	Path   string
	// Roles allowed; empty with Public=true means anyone.
	Roles  []Role
	Public bool
	// PHI marks routes that read or change patient data: each call writes one audit event.
	PHI     bool
	Summary string
}

// Server is medscribe's HTTP server.
type Server struct {
	cfg    Config
	engine *gin.Engine
	auths  []Authenticator
	rules  []Rule
	log    *slog.Logger
}

// New builds the server and its routes.
func New(cfg *Config) (*Server, error) {
	c := *cfg
	if err := c.validate(); err != nil {
		return nil, err
	}
	gin.SetMode(gin.ReleaseMode)
	s := &Server{cfg: c, engine: gin.New(), log: c.Logger}
	s.auths = append([]Authenticator{apiKeyAuth{store: c.Store}}, c.Authenticators...)
	s.engine.HandleMethodNotAllowed = true
	s.engine.Use(s.recover(), s.observe())
	s.engine.NoRoute(func(c *gin.Context) { s.fail(c, errNoRoute) })
	s.engine.NoMethod(func(c *gin.Context) { s.fail(c, errNoMethod) })
	s.routes()
	for _, m := range c.Mounts {
		m.Mount(s.engine, func(roles ...Role) gin.HandlerFunc { return s.allow(roles) })
	}
	return s, nil
}

// Handler is the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.engine }

// Rules returns the route × role table (for the README and the access tests).
func (s *Server) Rules() []Rule {
	out := append([]Rule(nil), s.rules...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// Engine exposes the gin engine (tests walk its routes).
func (s *Server) Engine() *gin.Engine { return s.engine }

// handle registers a route together with its access rule, so no route exists without one.
func (s *Server) handle(r Rule, h gin.HandlerFunc) {
	s.rules = append(s.rules, r)
	chain := []gin.HandlerFunc{}
	if !r.Public {
		chain = append(chain, s.allow(r.Roles))
	}
	if r.PHI {
		chain = append(chain, s.audit())
	}
	chain = append(chain, h)
	s.engine.Handle(r.Method, r.Path, chain...)
}

var (
	clinical    = []Role{RolePhysician, RoleAdmin}
	clinicalEHR = []Role{RolePhysician, RoleIntegrator, RoleAdmin}
	quality     = []Role{RoleQuality, RoleAdmin}
	adminOnly   = []Role{RoleAdmin}
)

func (s *Server) routes() {
	s.handle(Rule{Method: "GET", Path: "/healthz", Public: true, Summary: "liveness"}, s.healthz)
	s.handle(Rule{Method: "GET", Path: "/readyz", Public: true, Summary: "readiness (store reachable)"}, s.readyz)
	s.handle(Rule{Method: "GET", Path: "/metrics", Public: true, Summary: "Prometheus metrics (no PHI labels)"}, gin.WrapH(s.cfg.Metrics.Handler()))
	s.handle(Rule{Method: "GET", Path: "/openapi.json", Public: true, Summary: "OpenAPI 3.1 description"}, s.openAPI)
	s.handle(Rule{Method: "POST", Path: "/v1/visits", Roles: clinicalEHR, PHI: true, Summary: "submit a visit (JSON transcript or multipart audio)"}, s.postVisit)
	s.handle(Rule{Method: "GET", Path: "/v1/visits", Roles: clinicalEHR, PHI: true, Summary: "list visits"}, s.listVisits)
	s.handle(Rule{Method: "GET", Path: "/v1/visits/:id", Roles: clinicalEHR, PHI: true, Summary: "a visit record"}, s.getVisit)
	s.handle(Rule{Method: "GET", Path: "/v1/visits/:id/note", Roles: clinicalEHR, PHI: true, Summary: "the note as text"}, s.getNote)
	s.handle(Rule{Method: "GET", Path: "/v1/visits/:id/fhir", Roles: clinicalEHR, PHI: true, Summary: "the visit as a FHIR R4 Bundle"}, s.getFHIR)
	s.handle(Rule{Method: "GET", Path: "/v1/cases/similar", Roles: clinical, PHI: true, Summary: "cases similar to a visit"}, s.similar)
	s.handle(Rule{Method: "GET", Path: "/v1/cds/feedback/summary", Roles: quality, Summary: "CDS acceptance and override rates per rule"}, s.feedbackSummary)
	s.handle(Rule{Method: "GET", Path: "/v1/audit", Roles: adminOnly, Summary: "the audit log"}, s.listAudit)
}

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok", "version": s.cfg.Version})
}

func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Store.Ping(ctx); err != nil {
		s.fail(c, fmt.Errorf("%w: %v", store.ErrUnavailable, err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "store": s.cfg.Store.Dialect()})
}

func (s *Server) feedbackSummary(c *gin.Context) {
	if s.cfg.FeedbackSummary == nil {
		s.fail(c, errNotConfigured)
		return
	}
	s.cfg.FeedbackSummary(c)
}

// Errors the handlers return; fail maps every error to a status in one place.
var (
	errUnauthenticated = errors.New("authentication required")
	errForbidden       = errors.New("your role may not do this")
	errNoRoute         = errors.New("no such endpoint")
	errNoMethod        = errors.New("method not allowed on this endpoint")
	errNotConfigured   = errors.New("this feature is not configured on this server")
	errTooLarge        = errors.New("request body too large")
	errTimeout         = errors.New("the visit is still processing; poll GET /v1/visits/{id}")
)

// badRequest is a client error with a precise message and location.
type badRequest struct {
	msg    string
	fields []problem.FieldError
}

func (e *badRequest) Error() string { return e.msg }

func bad(msg string, fields ...problem.FieldError) error {
	return &badRequest{msg: msg, fields: fields}
}

// fail writes err as problem+json. Client-caused errors say what is wrong; server errors
// are logged (without PHI) and answered with a generic message.
func (s *Server) fail(c *gin.Context, err error) {
	var br *badRequest
	var mbe *http.MaxBytesError
	status, detail := http.StatusInternalServerError, "internal error"
	var fields []problem.FieldError
	switch {
	case errors.As(err, &br):
		status, detail, fields = http.StatusBadRequest, br.msg, br.fields
	case errors.As(err, &mbe), errors.Is(err, errTooLarge):
		status, detail = http.StatusRequestEntityTooLarge, "request body too large"
	case errors.Is(err, ingest.ErrInvalid):
		status, detail = http.StatusBadRequest, err.Error()
	case errors.Is(err, store.ErrBadCursor):
		status, detail = http.StatusBadRequest, "cursor is not one this server gave out"
		fields = []problem.FieldError{{Where: "query.cursor", Message: "use next_cursor from the previous page"}}
	case errors.Is(err, errUnauthenticated):
		status, detail = http.StatusUnauthorized, err.Error()
	case errors.Is(err, errForbidden):
		status, detail = http.StatusForbidden, err.Error()
	case errors.Is(err, errNoRoute), errors.Is(err, store.ErrNotFound):
		status, detail = http.StatusNotFound, "not found"
	case errors.Is(err, errNoMethod):
		status, detail = http.StatusMethodNotAllowed, err.Error()
	case errors.Is(err, store.ErrConflict):
		status, detail = http.StatusConflict, "conflict with the stored state"
	case errors.Is(err, errNotConfigured):
		status, detail = http.StatusNotImplemented, err.Error()
	case errors.Is(err, errTimeout):
		status, detail = http.StatusAccepted, err.Error()
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		status, detail = http.StatusServiceUnavailable, "the store is unavailable; retry later"
		c.Header("Retry-After", "2")
	}
	if status >= 500 {
		s.log.ErrorContext(c.Request.Context(), "request failed", "route", c.FullPath(), "status", status, "err", err)
	}
	p := problem.New(status, detail)
	p.Errors = fields
	problem.Write(c.Writer, c.Request, p)
	c.Abort()
}

func (s *Server) recover() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				s.log.ErrorContext(c.Request.Context(), "panic in handler", "route", c.FullPath(), "panic", fmt.Sprint(r))
				if !c.Writer.Written() {
					s.fail(c, errors.New("panic"))
				}
			}
		}()
		c.Next()
	}
}

// observe records metrics per route template (never the raw path: it may carry ids).
func (s *Server) observe() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		s.cfg.Metrics.observe(c.Request.Method, route, c.Writer.Status(), time.Since(start))
	}
}

// audit writes one audit event per call of a PHI route, after the handler ran.
func (s *Server) audit() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		p := PrincipalFrom(c.Request.Context())
		ev := store.AuditEvent{
			At:     time.Now().UTC(),
			Action: c.Request.Method + " " + c.FullPath(),
			Client: c.ClientIP(),
			Detail: fmt.Sprintf("status=%d", c.Writer.Status()),
		}
		if p != nil {
			ev.Actor, ev.Role = p.Name, string(p.Role)
		}
		switch {
		case c.Param("id") != "":
			ev.Object = "visit:" + c.Param("id")
		case c.GetString("audit_object") != "":
			ev.Object = c.GetString("audit_object")
		case c.Query("visit") != "":
			ev.Object = "visit:" + c.Query("visit")
		case c.Query("patient_id") != "":
			ev.Object = "patient:" + c.Query("patient_id")
		default:
			ev.Object = "visits"
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request.Context()), 5*time.Second)
		defer cancel()
		if err := s.cfg.Store.AppendAudit(ctx, ev); err != nil {
			s.log.ErrorContext(ctx, "audit write failed", "action", ev.Action, "object", ev.Object, "err", err)
		}
	}
}

// statusOf maps visit status query values, refusing unknown ones.
func statusOf(q string) (visit.Status, error) {
	switch visit.Status(strings.ToLower(q)) {
	case "":
		return "", nil
	case visit.StatusQueued, visit.StatusProcessing, visit.StatusDraft, visit.StatusSigned, visit.StatusFailed:
		return visit.Status(strings.ToLower(q)), nil
	}
	return "", bad("unknown status "+q, problem.FieldError{Where: "query.status", Message: "one of queued, processing, draft, signed, failed"})
}

// MountFunc adapts a function to Mounter.
type MountFunc func(r *gin.Engine, protect func(roles ...Role) gin.HandlerFunc)

// Mount calls f.
func (f MountFunc) Mount(r *gin.Engine, protect func(roles ...Role) gin.HandlerFunc) { f(r, protect) }
