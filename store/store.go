// Package store owns persistence: the visit records and their versions, similar-case
// embeddings, CDS feedback and shown-card log, the audit log, users, API keys and sessions,
// and the physician review state (edits, signatures, addenda).
//
// Two backends implement Store: embedded SQLite (pure Go, the default, exact vector search in
// Go) and PostgreSQL + pgvector (HNSW, cosine) when DATABASE_URL is set. Migrations are
// embedded and numbered; one conformance suite (storetest) runs against both.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/medscribe/medscribe/visit"
)

// Errors callers branch on. Backends translate driver errors into these at their boundary.
var (
	// ErrNotFound: no row with that key.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a stale revision, a second signature, a duplicate key.
	ErrConflict = errors.New("conflict")
	// ErrDimension: an embedding whose dimension differs from the case base's, or with NaN/Inf.
	ErrDimension = errors.New("embedding dimension mismatch")
	// ErrUnavailable: the database cannot be reached; the API answers 503.
	ErrUnavailable = errors.New("store unavailable")
	// ErrNoVector: the PostgreSQL server lacks the pgvector extension.
	ErrNoVector = errors.New("pgvector extension not available")
)

// Store is everything medscribe persists. Implementations are safe for concurrent use.
type Store interface {
	// PutVisit stores rec as a new visit. Ingestion is idempotent: when a visit with the same
	// Source, ExternalID and ContentHash exists, that one is returned with created=false and
	// nothing is written. New content for an existing (Source, ExternalID) becomes
	// Version = previous+1; earlier versions are kept. PutVisit assigns ID, Version and
	// CreatedAt when empty.
	PutVisit(ctx context.Context, rec *visit.Record) (stored *visit.Record, created bool, err error)
	// GetVisit returns the visit with that id, or ErrNotFound.
	GetVisit(ctx context.Context, id string) (*visit.Record, error)
	// UpdateVisit replaces the stored record with the same ID (status, items, note, alerts,
	// provenance) atomically. It refuses (ErrConflict) to change a signed visit.
	UpdateVisit(ctx context.Context, rec *visit.Record) error
	// ListVisits returns summaries newest first, filtered and paged.
	ListVisits(ctx context.Context, f VisitFilter) (VisitPage, error)
	// VisitVersions lists every version for (source, externalID), oldest first.
	VisitVersions(ctx context.Context, source, externalID string) ([]VisitSummary, error)
	// LatestVisitForPatient returns the newest visit (any status but failed) of a patient, or ErrNotFound.
	LatestVisitForPatient(ctx context.Context, patientID string) (*visit.Record, error)
	// VisitIDsWithStatus lists the ids of visits in one of the statuses (used to resume work at start).
	VisitIDsWithStatus(ctx context.Context, statuses ...visit.Status) ([]string, error)

	// PutCase inserts or replaces a case (keyed by ID). Its embedding must have the case
	// base's dimension (ErrDimension otherwise) and no NaN or Inf.
	PutCase(ctx context.Context, c *Case) error
	// GetCase returns one case, or ErrNotFound.
	GetCase(ctx context.Context, id string) (*Case, error)
	// SimilarCases returns up to k cases nearest to vec by cosine similarity, best first.
	SimilarCases(ctx context.Context, vec []float32, k int, opts *SimilarOpts) ([]CaseMatch, error)
	// EachCase calls fn for every case in id order (used for reindexing and evals).
	EachCase(ctx context.Context, fn func(*Case) error) error
	// CaseStats describes the case base.
	CaseStats(ctx context.Context) (CaseStats, error)
	// ResetEmbeddings clears every embedding and the recorded dimension, before a reindex
	// with another embedder.
	ResetEmbeddings(ctx context.Context) error

	// PutFeedback stores one CDS Hooks feedback entry.
	PutFeedback(ctx context.Context, fb Feedback) error
	// FeedbackSummary aggregates feedback per rule.
	FeedbackSummary(ctx context.Context) ([]RuleFeedback, error)
	// MarkCardShown records that a card for key was shown; it reports whether it had already been.
	MarkCardShown(ctx context.Context, key string, at time.Time) (already bool, err error)
	// PruneCardsShown forgets cards shown before the time, so the log stays bounded and a
	// card shown long ago may be shown again. It reports how many were forgotten.
	PruneCardsShown(ctx context.Context, before time.Time) (int64, error)

	// AppendAudit writes one audit event. Audit events are never updated or deleted.
	AppendAudit(ctx context.Context, ev AuditEvent) error
	// ListAudit returns events newest first.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error)

	// PutUser creates or replaces a user.
	PutUser(ctx context.Context, u User) error
	// GetUser returns the user with that name, or ErrNotFound.
	GetUser(ctx context.Context, name string) (*User, error)
	// PutAPIKey stores a key (only its hash).
	PutAPIKey(ctx context.Context, k APIKey) error
	// APIKeyByHash returns the unrevoked key with that hash, or ErrNotFound.
	APIKeyByHash(ctx context.Context, hash string) (*APIKey, error)
	// ListAPIKeys lists keys (hashes included, never the secret).
	ListAPIKeys(ctx context.Context) ([]APIKey, error)
	// RevokeAPIKey marks a key revoked; ErrNotFound if no such id.
	RevokeAPIKey(ctx context.Context, id string, at time.Time) error
	// PutSession stores a login session (keyed by the hash of its token).
	PutSession(ctx context.Context, s Session) error
	// GetSession returns an unexpired session, or ErrNotFound.
	GetSession(ctx context.Context, tokenHash string, now time.Time) (*Session, error)
	// DeleteSession removes a session.
	DeleteSession(ctx context.Context, tokenHash string) error

	// GetReview returns the review state of a visit, or ErrNotFound when nobody edited it yet.
	GetReview(ctx context.Context, visitID string) (*Review, error)
	// SaveReview stores r if the stored revision equals expectRevision (0 = none yet) and
	// returns the new revision; ErrConflict when stale or when the visit is signed.
	SaveReview(ctx context.Context, r *Review, expectRevision int) (int, error)
	// Sign signs the visit's note: it stores the signature, sets the visit's status to signed
	// and its note to the signed note, in one transaction. ErrConflict when the review
	// revision is stale or the visit is already signed.
	Sign(ctx context.Context, s Signature, expectRevision int) error
	// GetSignature returns the signature of a visit, or ErrNotFound.
	GetSignature(ctx context.Context, visitID string) (*Signature, error)
	// AddAddendum appends an addendum to a signed visit (ErrConflict when not signed).
	AddAddendum(ctx context.Context, a Addendum) error
	// ListAddenda lists a visit's addenda, oldest first.
	ListAddenda(ctx context.Context, visitID string) ([]Addendum, error)
	// ListSignatures lists signatures (for edit-rate evals), oldest first.
	ListSignatures(ctx context.Context) ([]Signature, error)

	// Ping checks the database answers.
	Ping(ctx context.Context) error
	// Dialect is "sqlite" or "postgres".
	Dialect() string
	// Close releases the connections.
	Close() error
}

// VisitFilter selects visits for ListVisits. Zero values mean "any".
type VisitFilter struct {
	PatientID string
	Status    visit.Status
	// Query matches external id or patient id (substring, case-insensitive): never note text.
	Query string
	// Limit defaults to 50 and is capped at 500.
	Limit int
	// Cursor is the NextCursor of the previous page.
	Cursor string
}

// VisitSummary is a row of the visit list.
type VisitSummary struct {
	ID         string       `json:"id"`
	ExternalID string       `json:"external_id"`
	PatientID  string       `json:"patient_id"`
	Source     string       `json:"source"`
	Version    int          `json:"version"`
	Status     visit.Status `json:"status"`
	Alerts     int          `json:"alerts"`
	CreatedAt  time.Time    `json:"created_at"`
	UpdatedAt  time.Time    `json:"updated_at"`
}

// VisitPage is one page of visits.
type VisitPage struct {
	Visits     []VisitSummary `json:"visits"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

// Case is a past patient for similar-case retrieval: a visit or an imported record.
type Case struct {
	ID         string `json:"id"`
	VisitID    string `json:"visit_id,omitempty"`
	ExternalID string `json:"external_id"`
	PatientID  string `json:"patient_id,omitempty"`
	// Source says where it came from: "visit", "aci-bench", "mts-dialog", "jsonl".
	Source      string    `json:"source"`
	Problems    []string  `json:"problems"`
	Medications []string  `json:"medications"`
	Findings    []string  `json:"findings"`
	Outcomes    []Outcome `json:"outcomes"`
	// Text is the case's assessment/summary text (kept for BM25 baselines and display).
	Text      string    `json:"text,omitempty"`
	Embedding []float32 `json:"-"`
	// Embedder names the model that made Embedding ("offline-hash-v1", "openai:text-embedding-3-small@256").
	Embedder  string    `json:"embedder"`
	CreatedAt time.Time `json:"created_at"`
}

// Outcome is something that happened to a case's patient.
type Outcome struct {
	// Kind: "adverse_event", "diagnosis", "plan", "other".
	Kind string `json:"kind"`
	Text string `json:"text"`
	// Drug is the RxNorm ingredient name the outcome relates to, when any.
	Drug string `json:"drug,omitempty"`
}

// SimilarOpts narrows a similarity search.
type SimilarOpts struct {
	// MinScore drops matches with cosine similarity below it (0 keeps every match).
	MinScore float64
	// ExcludeIDs drops these case ids (e.g. the query's own case).
	ExcludeIDs []string
	// EfSearch overrides hnsw.ef_search for this query (PostgreSQL only; 0 = default).
	EfSearch int
	// Exact forces an exact scan (for recall measurements).
	Exact bool
}

// CaseMatch is one search result.
type CaseMatch struct {
	Case  *Case   `json:"case"`
	Score float64 `json:"score"`
}

// CaseStats describes the case base.
type CaseStats struct {
	Count    int    `json:"count"`
	Dims     int    `json:"dims"`
	Embedder string `json:"embedder"`
	// Missing counts cases without an embedding (waiting for reindex).
	Missing int `json:"missing"`
}

// Feedback is one CDS Hooks feedback entry.
type Feedback struct {
	ServiceID string `json:"service_id"`
	CardUUID  string `json:"card"`
	RuleID    string `json:"rule_id"`
	// Outcome: "accepted" or "overridden".
	Outcome          string    `json:"outcome"`
	OverrideCode     string    `json:"override_code,omitempty"`
	OverrideComment  string    `json:"override_comment,omitempty"`
	AcceptedSuggests []string  `json:"accepted_suggestions,omitempty"`
	OutcomeTimestamp time.Time `json:"outcome_timestamp"`
	ReceivedAt       time.Time `json:"received_at"`
}

// RuleFeedback is the acceptance/override tally of one rule.
type RuleFeedback struct {
	RuleID       string  `json:"rule_id"`
	Accepted     int     `json:"accepted"`
	Overridden   int     `json:"overridden"`
	AcceptRate   float64 `json:"accept_rate"`
	OverrideRate float64 `json:"override_rate"`
	// Reasons counts override reason codes.
	Reasons map[string]int `json:"reasons"`
}

// AuditEvent is one read or change of patient data. Never holds PHI text: ids only.
type AuditEvent struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Role   string    `json:"role"`
	Action string    `json:"action"`
	// Object is "visit:<id>", "patient:<id>", "case:<id>", "key:<id>" ...
	Object string `json:"object"`
	Client string `json:"client"`
	// Detail is a short machine string (e.g. "status=200"); never free text from a visit.
	Detail string `json:"detail,omitempty"`
}

// AuditFilter selects audit events. Zero values mean "any".
type AuditFilter struct {
	Actor  string
	Object string
	Action string
	Since  time.Time
	Limit  int
}

// User is a person who logs in to the review UI.
type User struct {
	Name string `json:"name"`
	Role string `json:"role"`
	// PasswordHash is a salted, slow hash (never the password).
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
}

// APIKey is a machine credential with one role. Only the hash of the secret is stored.
type APIKey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	Hash      string     `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Session is a review-UI login.
type Session struct {
	TokenHash string    `json:"-"`
	User      string    `json:"user"`
	Role      string    `json:"role"`
	CSRF      string    `json:"-"`
	ExpiresAt time.Time `json:"expires_at"`
	CreatedAt time.Time `json:"created_at"`
}

// Review is the physician's working state on a draft: the edited note and item decisions.
type Review struct {
	VisitID  string     `json:"visit_id"`
	Revision int        `json:"revision"`
	Note     visit.Note `json:"note"`
	// Decisions is keyed by item reference ("medications/2", "problems/0", "alerts/<uuid>").
	Decisions map[string]Decision `json:"decisions"`
	UpdatedBy string              `json:"updated_by"`
	UpdatedAt time.Time           `json:"updated_at"`
}

// Decision is what the physician did with one item.
type Decision struct {
	// Action: "accepted", "rejected", "edited", "overridden" (alerts).
	Action string `json:"action"`
	// Value is the edited item as JSON, for "edited".
	Value []byte `json:"value,omitempty"`
	// Reason is an override reason code, for alerts.
	Reason string `json:"reason,omitempty"`
}

// Signature is the signing of a visit's note. Immutable once stored.
type Signature struct {
	VisitID  string     `json:"visit_id"`
	SignedBy string     `json:"signed_by"`
	SignedAt time.Time  `json:"signed_at"`
	Note     visit.Note `json:"note"`
	// DraftText is the machine draft as it was, so edit rates can be measured.
	DraftText string `json:"draft_text"`
	// Diff is a line diff between DraftText and Note.Text.
	Diff string `json:"diff"`
}

// Addendum is a change to a signed note, appended, never replacing it.
type Addendum struct {
	ID      int64     `json:"id"`
	VisitID string    `json:"visit_id"`
	Author  string    `json:"author"`
	Text    string    `json:"text"`
	At      time.Time `json:"at"`
}
