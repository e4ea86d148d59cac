package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/medscribe/medscribe/api"
	"github.com/medscribe/medscribe/api/oidc"
	"github.com/medscribe/medscribe/cds"
	"github.com/medscribe/medscribe/cds/similar"
	"github.com/medscribe/medscribe/ingest"
	"github.com/medscribe/medscribe/ingest/asr"
	"github.com/medscribe/medscribe/nlp"
	"github.com/medscribe/medscribe/nlp/embed"
	"github.com/medscribe/medscribe/nlp/vocab"
	"github.com/medscribe/medscribe/note"
	"github.com/medscribe/medscribe/rules"
	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/visit"
	"github.com/medscribe/medscribe/web"
)

// secureCookies marks UI cookies Secure unless the server is plainly local HTTP (dev, or
// no TLS and no public https URL), where a Secure cookie would never be sent back.
func secureCookies(cfg config) *bool {
	b := cfg.TLSCert != "" || strings.HasPrefix(cfg.PublicURL, "https://")
	return &b
}

// engines holds the packages the pipeline and the server plug together.
type engines struct {
	extractor       ingest.Extractor
	drafter         ingest.Drafter
	alerter         ingest.Alerter
	cases           ingest.CaseIndexer
	asr             ingest.Transcriber
	mounts          []api.Mounter
	similar         api.SimilarFinder
	feedbackSummary gin.HandlerFunc
	authenticators  []api.Authenticator
	rules           *rules.Manager
	sim             *similar.Engine
	closers         []func()
	// warnings are said once at start by serve.
	warnings []string
}

func (e *engines) rulesVersion() string {
	if e.rules == nil {
		return ""
	}
	return e.rules.Current().Version()
}

func (e *engines) close() {
	for _, c := range e.closers {
		c()
	}
}

func llmOf(cfg config) (base, key, model string) {
	if cfg.LLMBaseURL == "" {
		return "", "", ""
	}
	return cfg.LLMBaseURL, cfg.LLMAPIKey, cfg.LLMModel
}

func buildEngines(ctx context.Context, cfg config, st store.Store, log *slog.Logger) (*engines, error) {
	e := &engines{}
	ncfg := &nlp.Config{Logger: log}
	if cfg.VocabDir != "" {
		v, err := vocab.LoadDir(cfg.VocabDir)
		if err != nil {
			return nil, err
		}
		ncfg.Vocab = v
	}
	if base, key, model := llmOf(cfg); base != "" {
		ncfg.LLM = &nlp.LLMConfig{BaseURL: base, APIKey: key, Model: model, Timeout: cfg.LLMTimeout}
	}
	ex, err := nlp.New(ncfg)
	if err != nil {
		return nil, fmt.Errorf("nlp engine: %w", err)
	}
	e.extractor = extractor{ex}

	var emb embed.Embedder
	if cfg.EmbedModel != "" && cfg.LLMBaseURL != "" {
		emb, err = embed.NewOpenAI(&embed.OpenAIConfig{BaseURL: cfg.LLMBaseURL, APIKey: cfg.LLMAPIKey, Model: cfg.EmbedModel, Dims: cfg.EmbedDims})
	} else {
		emb, err = embed.NewOffline(&embed.OfflineConfig{Dims: cfg.EmbedDims, Vocab: ncfg.Vocab, Recognize: recognizer(ex)})
	}
	if err != nil {
		return nil, fmt.Errorf("embedder: %w", err)
	}
	sim, err := similar.New(&similar.Config{Store: st, Embedder: emb, K: cfg.CDS.SimilarK, MinScore: cfg.CDS.SimilarMin,
		UIBaseURL: cfg.PublicURL, Logger: log})
	if err != nil {
		return nil, err
	}
	e.sim, e.cases, e.similar = sim, sim, sim

	dcfg := &note.Config{Template: cfg.NoteTemplate, Logger: log}
	if base, key, model := llmOf(cfg); base != "" {
		dcfg.LLM = &note.LLMConfig{BaseURL: base, APIKey: key, Model: model, Timeout: cfg.LLMTimeout}
	}
	dr, err := note.New(dcfg)
	if err != nil {
		return nil, fmt.Errorf("note drafter: %w", err)
	}
	e.drafter = drafter{dr}

	e.rules, err = rules.NewManager(&rules.ManagerConfig{Dir: cfg.RulesDir, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	// CDS Hooks calls are only served when the EHR's trust is configured (issuers and keys) or
	// in --dev. Without it the service still evaluates rules for ingested visits, but its
	// endpoints are not mounted: an unconfigured server must not accept unsigned calls.
	trusted := len(cfg.CDS.Issuers) > 0 && (len(cfg.CDS.JWKSURLs) > 0 || cfg.CDS.JWKSFile != "")
	ccfg := &cds.Config{
		Rules: e.rules, Store: st, Dev: cfg.Dev, BaseURL: cfg.PublicURL, UIBaseURL: cfg.PublicURL,
		SimilarTimeout: cfg.CDS.SimilarTimeout, ShownRetention: cfg.CDS.ShownRetention, FHIRServers: cfg.CDS.FHIRServers, Logger: log, Similar: e.sim,
	}
	if trusted {
		ccfg.Auth = &cds.AuthConfig{JWKSURLs: cfg.CDS.JWKSURLs, JWKSFile: cfg.CDS.JWKSFile, Issuers: cfg.CDS.Issuers}
	} else if !cfg.Dev {
		ccfg.Dev, ccfg.Logger = true, slog.New(slog.DiscardHandler) // internal use only: no routes
	}
	svc, err := cds.New(ccfg)
	if err != nil {
		return nil, fmt.Errorf("cds service: %w", err)
	}
	e.alerter = svc
	e.feedbackSummary = svc.FeedbackSummary
	if trusted || cfg.Dev {
		e.mounts = append(e.mounts, api.MountFunc(func(r *gin.Engine, _ func(...api.Role) gin.HandlerFunc) { svc.Routes(r) }))
	} else {
		e.warnings = append(e.warnings, "CDS Hooks endpoints are off: set cds.issuers and cds.jwks_urls or cds.jwks_file to accept EHR calls")
	}

	if cfg.OIDC.Issuer != "" {
		oa, err := oidc.New(ctx, &oidc.Config{Issuer: cfg.OIDC.Issuer, Audience: cfg.OIDC.Audience, JWKSURL: cfg.OIDC.JWKSURL,
			RoleClaim: cfg.OIDC.RoleClaim, RoleMap: cfg.OIDC.RoleMap, Leeway: cfg.OIDC.Leeway})
		if err != nil {
			return nil, fmt.Errorf("oidc: %w", err)
		}
		e.authenticators = append(e.authenticators, oa)
	}

	ui, err := web.New(&web.Config{Store: st, Dev: cfg.Dev, SecureCookies: secureCookies(cfg), AudioDir: filepath.Join(cfg.DataDir, "audio"), Logger: log})
	if err != nil {
		return nil, fmt.Errorf("review ui: %w", err)
	}
	e.mounts = append(e.mounts, ui)

	acfg := &asr.Config{}
	if cfg.LLMBaseURL != "" && cfg.ASRModel != "" {
		acfg.BaseURL, acfg.APIKey, acfg.Model, acfg.Engine = cfg.LLMBaseURL, cfg.LLMAPIKey, cfg.ASRModel, "openai"
	}
	tr, err := asr.New(acfg)
	if err != nil {
		// Transcripts work without speech recognition; an audio visit fails with this reason.
		e.asr = noASR{err}
		e.warnings = append(e.warnings, "audio visits will fail: "+err.Error())
	} else {
		e.asr = audioFiles{t: tr, dir: filepath.Join(cfg.DataDir, "audio")}
	}
	return e, nil
}

// extractor adapts nlp.Engine to the pipeline.
type extractor struct{ e *nlp.Engine }

func (x extractor) ExtractItems(ctx context.Context, tr visit.Transcript) (*ingest.Items, error) {
	r, err := x.e.Extract(ctx, tr)
	if err != nil {
		return nil, err
	}
	return &ingest.Items{
		Problems: r.Problems, Medications: r.Medications, Orders: r.Orders, Allergies: r.Allergies, Findings: r.Findings,
		Engine: r.Engine, EngineVersion: nlp.Version(), Model: r.Model, PromptVersion: r.PromptVersion,
		Fallback: r.Fallback, Dropped: r.Dropped,
	}, nil
}

// drafter adapts note.Drafter to the pipeline; it records the drafter's provenance on rec.
type drafter struct{ d *note.Drafter }

func (x drafter) DraftNote(ctx context.Context, rec *visit.Record) (visit.Note, error) {
	n, stats, err := x.d.Draft(ctx, note.Input{
		Transcript: rec.Transcript, Problems: rec.Problems, Medications: rec.Medications, Orders: rec.Orders,
		Allergies: rec.Allergies, Findings: rec.Findings, Patient: rec.Patient,
	})
	if err != nil {
		return n, err
	}
	if stats.Model != "" {
		if rec.Provenance.PromptVersions == nil {
			rec.Provenance.PromptVersions = map[string]string{}
		}
		rec.Provenance.PromptVersions["note"] = stats.PromptVersion
	}
	if stats.Unsupported > 0 {
		if rec.Provenance.Dropped == nil {
			rec.Provenance.Dropped = map[string]int{}
		}
		rec.Provenance.Dropped["note_sentences"] = stats.Unsupported
	}
	if stats.Fallback != "" && rec.Provenance.Fallback == "" {
		rec.Provenance.Fallback = "note: " + stats.Fallback
	}
	return n, nil
}

// audioFiles reads a visit's stored recording and transcribes it.
type audioFiles struct {
	t   asr.Transcriber
	dir string
}

func (a audioFiles) TranscribeAudio(ctx context.Context, ref visit.AudioRef) (visit.Transcript, error) {
	path := api.AudioPath(a.dir, ref)
	data, err := os.ReadFile(path)
	if err != nil {
		return visit.Transcript{}, &ingest.PermanentError{Err: fmt.Errorf("audio %s: %w", ref.SHA256, err)}
	}
	au, err := asr.Load(ctx, filepath.Base(path), data)
	if err != nil {
		return visit.Transcript{}, &ingest.PermanentError{Err: err}
	}
	return a.t.Transcribe(ctx, au)
}

// newExtractor builds the deterministic extraction engine alone (for offline tools).
func newExtractor() (ingest.Extractor, error) {
	ex, err := nlp.New(&nlp.Config{})
	if err != nil {
		return nil, err
	}
	return extractor{ex}, nil
}

// noASR stands in when no speech recogniser is available: audio visits fail, with the reason.
type noASR struct{ err error }

func (n noASR) TranscribeAudio(context.Context, visit.AudioRef) (visit.Transcript, error) {
	return visit.Transcript{}, &ingest.PermanentError{Err: fmt.Errorf("speech recognition: %w", n.err)}
}
