package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/visit"
)

// Items is what an extractor found in a transcript.
type Items struct {
	Problems    []visit.Problem
	Medications []visit.Medication
	Orders      []visit.Order
	Allergies   []visit.Allergy
	Findings    []visit.Finding
	// Provenance of the extraction.
	Engine, EngineVersion, Model, PromptVersion, Fallback string
	Dropped                                               int
}

// Extractor turns a transcript into coded items (package nlp).
type Extractor interface {
	ExtractItems(ctx context.Context, tr visit.Transcript) (*Items, error)
}

// Drafter drafts the note from the transcript and the items (package note).
type Drafter interface {
	DraftNote(ctx context.Context, rec *visit.Record) (visit.Note, error)
}

// Alerter raises CDS cards for what the visit says (package cds).
type Alerter interface {
	CardsForVisit(ctx context.Context, rec *visit.Record) ([]visit.Card, error)
}

// CaseIndexer adds a processed visit to the similar-case base.
type CaseIndexer interface {
	IndexVisit(ctx context.Context, rec *visit.Record) error
}

// Transcriber turns a visit's stored recording into a transcript (package ingest/asr).
type Transcriber interface {
	TranscribeAudio(ctx context.Context, ref visit.AudioRef) (visit.Transcript, error)
}

// Config configures a Pipeline. Store and Extractor are required.
type Config struct {
	Store     store.Store
	Extractor Extractor
	// Drafter, Alerter, Cases and ASR are optional; a nil one skips its stage.
	Drafter Drafter
	Alerter Alerter
	Cases   CaseIndexer
	ASR     Transcriber
	// RulesVersion is recorded in each visit's provenance.
	RulesVersion string
	// Logger defaults to slog.Default(). Never receives PHI: ids and counts only.
	Logger *slog.Logger
	// Now defaults to time.Now.
	Now func() time.Time
}

func (c *Config) validate() error {
	if c.Store == nil {
		return errors.New("ingest: Config.Store is required")
	}
	if c.Extractor == nil {
		return errors.New("ingest: Config.Extractor is required")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Pipeline stores submissions and processes visits. Safe for concurrent use.
type Pipeline struct {
	cfg Config
	log *slog.Logger
}

// New checks cfg and builds a Pipeline.
func New(cfg *Config) (*Pipeline, error) {
	c := *cfg
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &Pipeline{cfg: c, log: c.Logger}, nil
}

// Store returns the pipeline's store.
func (p *Pipeline) Store() store.Store { return p.cfg.Store }

// Submission is one visit to ingest: parsed turns, or an audio file to transcribe.
type Submission struct {
	// Source names the channel ("api", "cli", "demo", an EHR name): part of the idempotency key.
	Source     string
	ExternalID string
	PatientID  string
	Patient    visit.PatientInfo
	Transcript visit.Transcript
	// Audio is a stored recording to transcribe when Transcript has no turns.
	Audio *visit.AudioRef
}

// ErrInvalid marks a submission that can never be processed (caller's fault: 400).
var ErrInvalid = errors.New("invalid submission")

// Submit stores the submission as a queued visit (or finds the identical one already stored).
// It does not process it: Enqueue or Process does.
func (p *Pipeline) Submit(ctx context.Context, s Submission) (*visit.Record, bool, error) {
	if s.ExternalID == "" {
		return nil, false, fmt.Errorf("%w: external_id is empty", ErrInvalid)
	}
	if s.Source == "" {
		s.Source = "api"
	}
	if len(s.Transcript.Turns) == 0 && s.Audio == nil {
		return nil, false, fmt.Errorf("%w: no turns and no audio", ErrInvalid)
	}
	for i := range s.Transcript.Turns {
		s.Transcript.Turns[i].Index = i
		if !s.Transcript.Turns[i].Speaker.Valid() {
			return nil, false, fmt.Errorf("%w: turn %d: unknown speaker %q", ErrInvalid, i, s.Transcript.Turns[i].Speaker)
		}
	}
	rec := &visit.Record{
		ExternalID: s.ExternalID,
		PatientID:  s.PatientID,
		Patient:    s.Patient,
		Source:     s.Source,
		Status:     visit.StatusQueued,
		Transcript: s.Transcript,
		Audio:      s.Audio,
	}
	rec.ContentHash = contentHash(s)
	rec.Normalize()
	stored, created, err := p.cfg.Store.PutVisit(ctx, rec)
	if err != nil {
		return nil, false, fmt.Errorf("store visit %q: %w", s.ExternalID, err)
	}
	p.log.InfoContext(ctx, "visit submitted", "visit_id", stored.ID, "version", stored.Version, "created", created, "turns", len(stored.Transcript.Turns))
	return stored, created, nil
}

// contentHash identifies a submission's content: the turns (speaker, text, times), the
// patient and the audio. Two submissions with the same hash are the same visit.
func contentHash(s Submission) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	_ = enc.Encode(s.PatientID)
	_ = enc.Encode(s.Patient)
	if s.Audio != nil {
		_ = enc.Encode(s.Audio.SHA256)
	}
	for _, t := range s.Transcript.Turns {
		_ = enc.Encode(struct {
			S visit.Speaker
			T string
			A *int64
			B *int64
		}{t.Speaker, t.Text, t.StartMS, t.EndMS})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// PermanentError marks a processing failure that retrying cannot fix.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Process runs every stage on the visit and stores the draft. It is idempotent: a visit
// already drafted, signed or failed is left as it is.
func (p *Pipeline) Process(ctx context.Context, id string) error {
	rec, err := p.cfg.Store.GetVisit(ctx, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return &PermanentError{fmt.Errorf("visit %s: %w", id, err)}
		}
		return fmt.Errorf("load visit %s: %w", id, err)
	}
	switch rec.Status {
	case visit.StatusDraft, visit.StatusSigned, visit.StatusFailed:
		return nil
	}
	start := p.cfg.Now()
	if err := p.run(ctx, rec); err != nil {
		return err
	}
	rec.Status = visit.StatusDraft
	rec.Error = ""
	rec.Normalize()
	if err := p.cfg.Store.UpdateVisit(ctx, rec); err != nil {
		return fmt.Errorf("store draft of visit %s: %w", id, err)
	}
	if p.cfg.Cases != nil {
		if err := p.cfg.Cases.IndexVisit(ctx, rec); err != nil {
			// The draft is what the physician needs; a missing case only weakens retrieval.
			p.log.WarnContext(ctx, "case index failed", "visit_id", id, "err", err)
		}
	}
	p.log.InfoContext(ctx, "visit processed", "visit_id", id,
		"turns", len(rec.Transcript.Turns), "problems", len(rec.Problems), "medications", len(rec.Medications),
		"orders", len(rec.Orders), "alerts", len(rec.Alerts), "sentences", countSentences(rec.Note),
		"ms", p.cfg.Now().Sub(start).Milliseconds())
	return nil
}

// run fills rec from its transcript; rec is not stored.
func (p *Pipeline) run(ctx context.Context, rec *visit.Record) error {
	if len(rec.Transcript.Turns) == 0 {
		if rec.Audio == nil {
			return &PermanentError{errors.New("visit has neither turns nor audio")}
		}
		if p.cfg.ASR == nil {
			return &PermanentError{errors.New("visit has audio but no speech recognizer is configured")}
		}
		tr, err := p.cfg.ASR.TranscribeAudio(ctx, *rec.Audio)
		if err != nil {
			return fmt.Errorf("speech recognition: %w", err)
		}
		if len(tr.Turns) == 0 {
			return &PermanentError{errors.New("speech recognition found no speech")}
		}
		rec.Transcript = tr
	}
	items, err := p.cfg.Extractor.ExtractItems(ctx, rec.Transcript)
	if err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	rec.Problems, rec.Medications, rec.Orders = items.Problems, items.Medications, items.Orders
	rec.Allergies, rec.Findings = items.Allergies, items.Findings
	rec.Provenance.Engine = items.Engine
	rec.Provenance.EngineVersion = items.EngineVersion
	rec.Provenance.RulesVersion = p.cfg.RulesVersion
	rec.Provenance.Fallback = items.Fallback
	if items.Model != "" {
		m := items.Model
		rec.Provenance.Model = &m
		if rec.Provenance.PromptVersions == nil {
			rec.Provenance.PromptVersions = map[string]string{}
		}
		rec.Provenance.PromptVersions["extract"] = items.PromptVersion
	}
	if items.Dropped > 0 {
		rec.Provenance.Dropped = map[string]int{"items": items.Dropped}
	}
	if p.cfg.Drafter != nil {
		n, err := p.cfg.Drafter.DraftNote(ctx, rec)
		if err != nil {
			return fmt.Errorf("draft note: %w", err)
		}
		rec.Note = n
	}
	if p.cfg.Alerter != nil {
		cards, err := p.cfg.Alerter.CardsForVisit(ctx, rec)
		if err != nil {
			return fmt.Errorf("cds: %w", err)
		}
		rec.Alerts = cards
	}
	rec.Normalize()
	if err := rec.Validate(); err != nil {
		// An engine produced evidence that does not point at the transcript: a bug, and
		// retrying will not fix it. Refuse to store an ungrounded draft.
		return &PermanentError{fmt.Errorf("engine output failed validation: %w", err)}
	}
	return nil
}

// MarkFailed records that processing failed for good, with the reason (no PHI: the reason
// comes from error values, which never quote transcript text).
func (p *Pipeline) MarkFailed(ctx context.Context, id string, reason error) error {
	rec, err := p.cfg.Store.GetVisit(ctx, id)
	if err != nil {
		return err
	}
	if rec.Status == visit.StatusDraft || rec.Status == visit.StatusSigned {
		return nil
	}
	rec.Status = visit.StatusFailed
	rec.Error = reason.Error()
	p.log.WarnContext(ctx, "visit failed", "visit_id", id, "err", reason)
	return p.cfg.Store.UpdateVisit(ctx, rec)
}

func countSentences(n visit.Note) int {
	c := 0
	for _, s := range n.Sections {
		c += len(s.Sentences)
	}
	return c
}
