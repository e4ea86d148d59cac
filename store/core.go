package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/medscribe/medscribe/visit"
)

// ErrBadCursor: a VisitFilter.Cursor that no ListVisits page produced (a client error).
var ErrBadCursor = errors.New("invalid page cursor")

// Meta keys of the case base.
const (
	metaCaseDims     = "case_dims"
	metaCaseEmbedder = "case_embedder"
)

// Paging bounds.
const (
	defaultVisitLimit = 50
	maxVisitLimit     = 500
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
	casePageSize      = 500
)

// conn is what the shared code needs from a connection or transaction of either backend.
type conn interface {
	exec(ctx context.Context, q string, args ...any) (int64, error)
	queryRow(ctx context.Context, q string, args ...any) scanner
	query(ctx context.Context, q string, args ...any) (rows, error)
}

type scanner interface{ Scan(dest ...any) error }

type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// dialect is what differs between the backends below the Store methods written once in core.
type dialect struct {
	name string
	q    queries
	// ts and tsNull encode times as parameters (microseconds for SQLite, timestamptz for PostgreSQL).
	ts     func(time.Time) any
	tsNull func(*time.Time) any
	// list encodes a list of strings (a JSON array for SQLite's json_each, text[] for PostgreSQL).
	list func([]string) any
	// vec encodes an embedding, nil for none; vecDest makes a scan target and its decoder.
	vec     func([]float32) any
	vecDest func() (any, func() ([]float32, error))
	// translate maps driver errors to the package's sentinels.
	translate func(error) error
	// inTx runs fn in one transaction: committed when fn returns nil, rolled back otherwise.
	inTx func(ctx context.Context, fn func(c conn) error) error
	// onDims runs in the transaction that first records the case base's dimension.
	onDims func(ctx context.Context, c conn, dims int) error
	// onReset runs in ResetEmbeddings' transaction.
	onReset func(ctx context.Context, c conn) error
	// onCaseWrite runs after a committed change to a case's embedding (id, vec), or with an
	// empty id after every embedding was reset.
	onCaseWrite func(id string, vec []float32)
}

// core implements the Store methods both backends share, over a dialect.
type core struct {
	d   dialect
	db  conn
	log *slog.Logger
	now func() time.Time
}

// micro rounds t to what both databases keep: microseconds, UTC.
func micro(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func (s *core) stamp(t time.Time) time.Time {
	if t.IsZero() {
		return micro(s.now())
	}
	return micro(t)
}

// newID makes a time-sortable unique id (UUID v7).
func newID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// tx runs fn in a transaction and translates what comes out.
func (s *core) tx(ctx context.Context, fn func(c conn) error) error {
	return s.d.translate(s.d.inTx(ctx, fn))
}

// dbTime scans a time stored by either backend: INTEGER microseconds (SQLite) or timestamptz.
type dbTime struct {
	T     time.Time
	Valid bool
}

// Scan implements sql.Scanner.
func (t *dbTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		t.T, t.Valid = time.Time{}, false
	case int64:
		t.T, t.Valid = time.UnixMicro(v).UTC(), true
	case time.Time:
		t.T, t.Valid = v.UTC(), true
	default:
		return fmt.Errorf("store: cannot scan %T as a time", src)
	}
	return nil
}

func (t dbTime) ptr() *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.T
	return &v
}

// ---- visits

func (s *core) PutVisit(ctx context.Context, rec *visit.Record) (*visit.Record, bool, error) {
	if rec == nil {
		return nil, false, errors.New("store: put visit: nil record")
	}
	if rec.Source == "" || rec.ExternalID == "" || rec.ContentHash == "" {
		return nil, false, errors.New("store: put visit: source, external_id and content_hash are required")
	}
	r := *rec
	r.Normalize()
	if r.ID == "" {
		r.ID = newID()
	}
	r.CreatedAt = s.stamp(r.CreatedAt)
	if r.Status == "" {
		r.Status = visit.StatusQueued
	}
	var (
		stored  *visit.Record
		created bool
		err     error
	)
	// Two racing puts of the same key are serialized by visit_key_lock on PostgreSQL and by the
	// single writer on SQLite; the unique keys still guard, and a lost race is retried once more.
	for attempt := 0; attempt < 3; attempt++ {
		err = s.tx(ctx, func(c conn) error {
			stored, created = nil, false
			if _, err := c.exec(ctx, s.d.q.get("visit_key_lock"), r.Source+"\x1f"+r.ExternalID); err != nil {
				return err
			}
			var data []byte
			err := c.queryRow(ctx, s.d.q.get("visit_by_hash"), r.Source, r.ExternalID, r.ContentHash).Scan(&data)
			if err == nil {
				stored = new(visit.Record)
				return decodeRecord(data, stored)
			}
			if !errors.Is(s.d.translate(err), ErrNotFound) {
				return err
			}
			nr := r
			if nr.Version == 0 {
				var max int
				if err := c.queryRow(ctx, s.d.q.get("visit_max_version"), r.Source, r.ExternalID).Scan(&max); err != nil {
					return err
				}
				nr.Version = max + 1
			}
			data, err = json.Marshal(&nr)
			if err != nil {
				return fmt.Errorf("encode visit: %w", err)
			}
			if _, err := c.exec(ctx, s.d.q.get("visit_insert"), nr.ID, nr.Source, nr.ExternalID, nr.Version,
				nr.ContentHash, nr.PatientID, string(nr.Status), len(nr.Alerts), s.d.ts(nr.CreatedAt),
				s.d.ts(nr.CreatedAt), string(data)); err != nil {
				return err
			}
			stored, created = &nr, true
			return nil
		})
		if !errors.Is(err, ErrConflict) || rec.ID != "" || rec.Version != 0 {
			break
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: put visit: %w", err)
	}
	return stored, created, nil
}

func decodeRecord(data []byte, r *visit.Record) error {
	if err := json.Unmarshal(data, r); err != nil {
		return fmt.Errorf("decode stored visit: %w", err)
	}
	r.Normalize()
	return nil
}

func (s *core) GetVisit(ctx context.Context, id string) (*visit.Record, error) {
	var data []byte
	if err := s.db.queryRow(ctx, s.d.q.get("visit_get"), id).Scan(&data); err != nil {
		return nil, fmt.Errorf("store: get visit %s: %w", id, s.d.translate(err))
	}
	r := new(visit.Record)
	if err := decodeRecord(data, r); err != nil {
		return nil, fmt.Errorf("store: get visit %s: %w", id, err)
	}
	return r, nil
}

// lockedVisit is the identity of a stored visit, read (and on PostgreSQL locked) in a transaction.
type lockedVisit struct {
	status      visit.Status
	source      string
	externalID  string
	version     int
	contentHash string
	createdAt   dbTime
	record      []byte
}

func (s *core) lockVisit(ctx context.Context, c conn, id string) (*lockedVisit, error) {
	var v lockedVisit
	var status string
	err := c.queryRow(ctx, s.d.q.get("visit_lock"), id).Scan(&status, &v.source, &v.externalID,
		&v.version, &v.contentHash, &v.createdAt, &v.record)
	if err != nil {
		return nil, fmt.Errorf("visit %s: %w", id, s.d.translate(err))
	}
	v.status = visit.Status(status)
	return &v, nil
}

// UpdateVisit keeps the stored identity (id, source, external id, version, content hash,
// created_at): only what processing and review produce changes.
func (s *core) UpdateVisit(ctx context.Context, rec *visit.Record) error {
	if rec == nil || rec.ID == "" {
		return errors.New("store: update visit: record without id")
	}
	err := s.tx(ctx, func(c conn) error {
		cur, err := s.lockVisit(ctx, c, rec.ID)
		if err != nil {
			return err
		}
		if cur.status == visit.StatusSigned {
			return fmt.Errorf("%w: visit %s is signed", ErrConflict, rec.ID)
		}
		r := *rec
		r.Normalize()
		r.Source, r.ExternalID, r.Version, r.ContentHash = cur.source, cur.externalID, cur.version, cur.contentHash
		r.CreatedAt = cur.createdAt.T
		return s.writeVisit(ctx, c, &r)
	})
	if err != nil {
		return fmt.Errorf("store: update visit %s: %w", rec.ID, err)
	}
	return nil
}

func (s *core) writeVisit(ctx context.Context, c conn, r *visit.Record) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode visit: %w", err)
	}
	_, err = c.exec(ctx, s.d.q.get("visit_update"), r.ID, string(r.Status), r.PatientID, len(r.Alerts),
		s.d.ts(micro(s.now())), string(data))
	return err
}

// cursor is the position after the last row of a page: (created_at, id) of that row.
func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10) + "." + id))
}

func decodeCursor(c string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", ErrBadCursor
	}
	us, id, ok := strings.Cut(string(b), ".")
	n, err := strconv.ParseInt(us, 10, 64)
	if !ok || err != nil || id == "" {
		return time.Time{}, "", ErrBadCursor
	}
	return time.UnixMicro(n).UTC(), id, nil
}

// likePattern makes a case-insensitive substring pattern with LIKE's wildcards escaped.
func likePattern(q string) string {
	if q == "" {
		return ""
	}
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(q)) + "%"
}

func (s *core) ListVisits(ctx context.Context, f VisitFilter) (VisitPage, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultVisitLimit
	}
	limit = min(limit, maxVisitLimit)
	var (
		hasCursor bool
		curAt     time.Time
		curID     string
	)
	if f.Cursor != "" {
		var err error
		if curAt, curID, err = decodeCursor(f.Cursor); err != nil {
			return VisitPage{}, fmt.Errorf("store: list visits: %w", err)
		}
		hasCursor = true
	}
	rs, err := s.db.query(ctx, s.d.q.get("visit_list"), f.PatientID, string(f.Status), likePattern(f.Query),
		hasCursor, s.d.ts(curAt), curID, limit+1)
	if err != nil {
		return VisitPage{}, fmt.Errorf("store: list visits: %w", s.d.translate(err))
	}
	sums, err := scanSummaries(rs)
	if err != nil {
		return VisitPage{}, fmt.Errorf("store: list visits: %w", s.d.translate(err))
	}
	page := VisitPage{Visits: sums}
	if len(sums) > limit {
		page.Visits = sums[:limit]
		last := page.Visits[limit-1]
		page.NextCursor = encodeCursor(last.CreatedAt, last.ID)
	}
	return page, nil
}

func scanSummaries(rs rows) ([]VisitSummary, error) {
	defer rs.Close()
	out := []VisitSummary{}
	for rs.Next() {
		var v VisitSummary
		var status string
		var created, updated dbTime
		if err := rs.Scan(&v.ID, &v.ExternalID, &v.PatientID, &v.Source, &v.Version, &status, &v.Alerts,
			&created, &updated); err != nil {
			return nil, err
		}
		v.Status, v.CreatedAt, v.UpdatedAt = visit.Status(status), created.T, updated.T
		out = append(out, v)
	}
	return out, rs.Err()
}

func (s *core) VisitVersions(ctx context.Context, source, externalID string) ([]VisitSummary, error) {
	rs, err := s.db.query(ctx, s.d.q.get("visit_versions"), source, externalID)
	if err != nil {
		return nil, fmt.Errorf("store: visit versions: %w", s.d.translate(err))
	}
	out, err := scanSummaries(rs)
	if err != nil {
		return nil, fmt.Errorf("store: visit versions: %w", s.d.translate(err))
	}
	return out, nil
}

func (s *core) LatestVisitForPatient(ctx context.Context, patientID string) (*visit.Record, error) {
	var data []byte
	if err := s.db.queryRow(ctx, s.d.q.get("visit_latest_for_patient"), patientID).Scan(&data); err != nil {
		return nil, fmt.Errorf("store: latest visit of patient: %w", s.d.translate(err))
	}
	r := new(visit.Record)
	if err := decodeRecord(data, r); err != nil {
		return nil, fmt.Errorf("store: latest visit of patient: %w", err)
	}
	return r, nil
}

func (s *core) VisitIDsWithStatus(ctx context.Context, statuses ...visit.Status) ([]string, error) {
	ss := make([]string, len(statuses))
	for i, st := range statuses {
		ss[i] = string(st)
	}
	rs, err := s.db.query(ctx, s.d.q.get("visit_ids_with_status"), s.d.list(ss))
	if err != nil {
		return nil, fmt.Errorf("store: visit ids by status: %w", s.d.translate(err))
	}
	defer rs.Close()
	ids := []string{}
	for rs.Next() {
		var id string
		if err := rs.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: visit ids by status: %w", s.d.translate(err))
		}
		ids = append(ids, id)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("store: visit ids by status: %w", s.d.translate(err))
	}
	return ids, nil
}

// ---- cases

// caseData is the part of a case kept as JSON.
type caseData struct {
	Problems    []string  `json:"problems"`
	Medications []string  `json:"medications"`
	Findings    []string  `json:"findings"`
	Outcomes    []Outcome `json:"outcomes"`
	Text        string    `json:"text,omitempty"`
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func normalizeCase(c *Case) {
	c.Problems = nonNilStrings(c.Problems)
	c.Medications = nonNilStrings(c.Medications)
	c.Findings = nonNilStrings(c.Findings)
	if c.Outcomes == nil {
		c.Outcomes = []Outcome{}
	}
}

func (s *core) PutCase(ctx context.Context, c *Case) error {
	if c == nil {
		return errors.New("store: put case: nil case")
	}
	if c.ID == "" {
		c.ID = newID()
	}
	if err := checkVector(c.Embedding); err != nil {
		return fmt.Errorf("store: put case %s: %w", c.ID, err)
	}
	c.CreatedAt = s.stamp(c.CreatedAt)
	normalizeCase(c)
	data, err := json.Marshal(caseData{Problems: c.Problems, Medications: c.Medications, Findings: c.Findings,
		Outcomes: c.Outcomes, Text: c.Text})
	if err != nil {
		return fmt.Errorf("store: put case %s: %w", c.ID, err)
	}
	err = s.tx(ctx, func(cn conn) error {
		if len(c.Embedding) > 0 {
			if err := s.claimDims(ctx, cn, len(c.Embedding), c.Embedder); err != nil {
				return err
			}
		}
		_, err := cn.exec(ctx, s.d.q.get("case_upsert"), c.ID, c.VisitID, c.ExternalID, c.PatientID, c.Source,
			string(data), s.d.vec(c.Embedding), c.Embedder, s.d.ts(c.CreatedAt))
		return err
	})
	if err != nil {
		s.d.onCaseWrite("", nil) // the outcome is uncertain: start the cache afresh
		return fmt.Errorf("store: put case %s: %w", c.ID, err)
	}
	s.d.onCaseWrite(c.ID, c.Embedding)
	return nil
}

// claimDims records dims as the case base's dimension when none is, or checks it matches.
func (s *core) claimDims(ctx context.Context, c conn, dims int, embedder string) error {
	n, err := c.exec(ctx, s.d.q.get("meta_put_new"), metaCaseDims, strconv.Itoa(dims))
	if err != nil {
		return err
	}
	if n == 1 {
		if _, err := c.exec(ctx, s.d.q.get("meta_put_new"), metaCaseEmbedder, embedder); err != nil {
			return err
		}
		return s.d.onDims(ctx, c, dims)
	}
	have, err := s.caseDims(ctx, c)
	if err != nil {
		return err
	}
	if have != dims {
		return fmt.Errorf("%w: embedding has %d dimensions, the case base has %d (reindex to change embedder)",
			ErrDimension, dims, have)
	}
	return nil
}

// caseDims returns the recorded dimension, 0 when the case base has none yet.
func (s *core) caseDims(ctx context.Context, c conn) (int, error) {
	var v string
	err := c.queryRow(ctx, s.d.q.get("meta_get"), metaCaseDims).Scan(&v)
	if errors.Is(s.d.translate(err), ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("recorded case dimension %q: %w", v, err)
	}
	return n, nil
}

// scanCase reads the case columns in case_get's order, then extra (e.g. a score).
func (s *core) scanCase(sc scanner, extra ...any) (*Case, error) {
	var c Case
	var data []byte
	var created dbTime
	dest, decode := s.d.vecDest()
	if err := sc.Scan(append([]any{&c.ID, &c.VisitID, &c.ExternalID, &c.PatientID, &c.Source, &data, dest,
		&c.Embedder, &created}, extra...)...); err != nil {
		return nil, err
	}
	var cd caseData
	if err := json.Unmarshal(data, &cd); err != nil {
		return nil, fmt.Errorf("decode case %s: %w", c.ID, err)
	}
	c.Problems, c.Medications, c.Findings, c.Outcomes, c.Text = cd.Problems, cd.Medications, cd.Findings, cd.Outcomes, cd.Text
	normalizeCase(&c)
	emb, err := decode()
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", c.ID, err)
	}
	c.Embedding, c.CreatedAt = emb, created.T
	return &c, nil
}

func (s *core) GetCase(ctx context.Context, id string) (*Case, error) {
	c, err := s.scanCase(s.db.queryRow(ctx, s.d.q.get("case_get"), id))
	if err != nil {
		return nil, fmt.Errorf("store: get case %s: %w", id, s.d.translate(err))
	}
	return c, nil
}

// EachCase reads pages and closes each before calling fn, so fn may use the store (the
// SQLite backend has a single connection).
func (s *core) EachCase(ctx context.Context, fn func(*Case) error) error {
	after := ""
	for {
		page, err := s.casePage(ctx, after)
		if err != nil {
			return fmt.Errorf("store: each case: %w", err)
		}
		for _, c := range page {
			if err := fn(c); err != nil {
				return err
			}
		}
		if len(page) < casePageSize {
			return nil
		}
		after = page[len(page)-1].ID
	}
}

func (s *core) casePage(ctx context.Context, after string) ([]*Case, error) {
	rs, err := s.db.query(ctx, s.d.q.get("case_page"), after, casePageSize)
	if err != nil {
		return nil, s.d.translate(err)
	}
	defer rs.Close()
	var out []*Case
	for rs.Next() {
		c, err := s.scanCase(rs)
		if err != nil {
			return nil, s.d.translate(err)
		}
		out = append(out, c)
	}
	return out, s.d.translate(rs.Err())
}

// casesByIDs loads cases and returns them keyed by id.
func (s *core) casesByIDs(ctx context.Context, c conn, ids []string) (map[string]*Case, error) {
	rs, err := c.query(ctx, s.d.q.get("case_by_ids"), s.d.list(ids))
	if err != nil {
		return nil, s.d.translate(err)
	}
	defer rs.Close()
	out := make(map[string]*Case, len(ids))
	for rs.Next() {
		cs, err := s.scanCase(rs)
		if err != nil {
			return nil, s.d.translate(err)
		}
		out[cs.ID] = cs
	}
	return out, s.d.translate(rs.Err())
}

// minScore is the score floor of a search: opts.MinScore, or none when it is zero.
func minScore(opts *SimilarOpts) float64 {
	if opts == nil || opts.MinScore == 0 {
		return math.Inf(-1)
	}
	return opts.MinScore
}

// checkQuery validates a similarity query; dims is the case base's (0: empty base).
func checkQuery(vec []float32, k, dims int) error {
	if k <= 0 {
		return fmt.Errorf("k must be positive, got %d", k)
	}
	if len(vec) == 0 {
		return fmt.Errorf("%w: empty query vector", ErrDimension)
	}
	if err := checkVector(vec); err != nil {
		return err
	}
	if dims != 0 && len(vec) != dims {
		return fmt.Errorf("%w: query has %d dimensions, the case base has %d", ErrDimension, len(vec), dims)
	}
	return nil
}

func (s *core) CaseStats(ctx context.Context) (CaseStats, error) {
	var st CaseStats
	if err := s.db.queryRow(ctx, s.d.q.get("case_stats")).Scan(&st.Count, &st.Missing); err != nil {
		return st, fmt.Errorf("store: case stats: %w", s.d.translate(err))
	}
	dims, err := s.caseDims(ctx, s.db)
	if err != nil {
		return st, fmt.Errorf("store: case stats: %w", s.d.translate(err))
	}
	st.Dims = dims
	err = s.db.queryRow(ctx, s.d.q.get("meta_get"), metaCaseEmbedder).Scan(&st.Embedder)
	if err != nil && !errors.Is(s.d.translate(err), ErrNotFound) {
		return st, fmt.Errorf("store: case stats: %w", s.d.translate(err))
	}
	return st, nil
}

func (s *core) ResetEmbeddings(ctx context.Context) error {
	defer s.d.onCaseWrite("", nil)
	err := s.tx(ctx, func(c conn) error {
		if err := s.d.onReset(ctx, c); err != nil {
			return err
		}
		if _, err := c.exec(ctx, s.d.q.get("case_reset_embeddings")); err != nil {
			return err
		}
		for _, k := range []string{metaCaseDims, metaCaseEmbedder} {
			if _, err := c.exec(ctx, s.d.q.get("meta_delete"), k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: reset embeddings: %w", err)
	}
	return nil
}

// ---- CDS feedback and shown cards

func (s *core) PutFeedback(ctx context.Context, fb Feedback) error {
	if fb.RuleID == "" || (fb.Outcome != "accepted" && fb.Outcome != "overridden") {
		return fmt.Errorf("store: put feedback: needs a rule id and outcome accepted or overridden (got %q)", fb.Outcome)
	}
	sugg, err := json.Marshal(nonNilStrings(fb.AcceptedSuggests))
	if err != nil {
		return fmt.Errorf("store: put feedback: %w", err)
	}
	_, err = s.db.exec(ctx, s.d.q.get("feedback_insert"), fb.ServiceID, fb.CardUUID, fb.RuleID, fb.Outcome,
		fb.OverrideCode, fb.OverrideComment, string(sugg), s.d.ts(s.stamp(fb.OutcomeTimestamp)),
		s.d.ts(s.stamp(fb.ReceivedAt)))
	if err != nil {
		return fmt.Errorf("store: put feedback: %w", s.d.translate(err))
	}
	return nil
}

func (s *core) FeedbackSummary(ctx context.Context) ([]RuleFeedback, error) {
	rs, err := s.db.query(ctx, s.d.q.get("feedback_summary"))
	if err != nil {
		return nil, fmt.Errorf("store: feedback summary: %w", s.d.translate(err))
	}
	defer rs.Close()
	byRule := map[string]*RuleFeedback{}
	for rs.Next() {
		var rule, outcome, code string
		var n int
		if err := rs.Scan(&rule, &outcome, &code, &n); err != nil {
			return nil, fmt.Errorf("store: feedback summary: %w", s.d.translate(err))
		}
		rf := byRule[rule]
		if rf == nil {
			rf = &RuleFeedback{RuleID: rule, Reasons: map[string]int{}}
			byRule[rule] = rf
		}
		switch outcome {
		case "accepted":
			rf.Accepted += n
		case "overridden":
			rf.Overridden += n
			if code != "" {
				rf.Reasons[code] += n
			}
		}
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("store: feedback summary: %w", s.d.translate(err))
	}
	out := make([]RuleFeedback, 0, len(byRule))
	for _, rf := range byRule {
		if total := rf.Accepted + rf.Overridden; total > 0 {
			rf.AcceptRate = float64(rf.Accepted) / float64(total)
			rf.OverrideRate = float64(rf.Overridden) / float64(total)
		}
		out = append(out, *rf)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RuleID < out[j].RuleID })
	return out, nil
}

func (s *core) MarkCardShown(ctx context.Context, key string, at time.Time) (bool, error) {
	n, err := s.db.exec(ctx, s.d.q.get("card_shown_insert"), key, s.d.ts(s.stamp(at)))
	if err != nil {
		return false, fmt.Errorf("store: mark card shown: %w", s.d.translate(err))
	}
	return n == 0, nil
}

func (s *core) PruneCardsShown(ctx context.Context, before time.Time) (int64, error) {
	n, err := s.db.exec(ctx, s.d.q.get("card_shown_prune"), s.d.ts(s.stamp(before)))
	if err != nil {
		return 0, fmt.Errorf("store: prune shown cards: %w", s.d.translate(err))
	}
	return n, nil
}

// ---- audit

func (s *core) AppendAudit(ctx context.Context, ev AuditEvent) error {
	_, err := s.db.exec(ctx, s.d.q.get("audit_insert"), s.d.ts(s.stamp(ev.At)), ev.Actor, ev.Role, ev.Action,
		ev.Object, ev.Client, ev.Detail)
	if err != nil {
		return fmt.Errorf("store: append audit: %w", s.d.translate(err))
	}
	return nil
}

func (s *core) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultAuditLimit
	}
	limit = min(limit, maxAuditLimit)
	rs, err := s.db.query(ctx, s.d.q.get("audit_list"), f.Actor, f.Object, f.Action, !f.Since.IsZero(),
		s.d.ts(micro(f.Since)), limit)
	if err != nil {
		return nil, fmt.Errorf("store: list audit: %w", s.d.translate(err))
	}
	defer rs.Close()
	out := []AuditEvent{}
	for rs.Next() {
		var ev AuditEvent
		var at dbTime
		if err := rs.Scan(&ev.ID, &at, &ev.Actor, &ev.Role, &ev.Action, &ev.Object, &ev.Client, &ev.Detail); err != nil {
			return nil, fmt.Errorf("store: list audit: %w", s.d.translate(err))
		}
		ev.At = at.T
		out = append(out, ev)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("store: list audit: %w", s.d.translate(err))
	}
	return out, nil
}

// ---- users, keys, sessions

func (s *core) PutUser(ctx context.Context, u User) error {
	if u.Name == "" {
		return errors.New("store: put user: empty name")
	}
	_, err := s.db.exec(ctx, s.d.q.get("user_put"), u.Name, u.Role, u.PasswordHash, s.d.ts(s.stamp(u.CreatedAt)))
	if err != nil {
		return fmt.Errorf("store: put user: %w", s.d.translate(err))
	}
	return nil
}

func (s *core) GetUser(ctx context.Context, name string) (*User, error) {
	var u User
	var at dbTime
	err := s.db.queryRow(ctx, s.d.q.get("user_get"), name).Scan(&u.Name, &u.Role, &u.PasswordHash, &at)
	if err != nil {
		return nil, fmt.Errorf("store: get user: %w", s.d.translate(err))
	}
	u.CreatedAt = at.T
	return &u, nil
}

func (s *core) PutAPIKey(ctx context.Context, k APIKey) error {
	if k.ID == "" || k.Hash == "" {
		return errors.New("store: put api key: id and hash are required")
	}
	var revoked *time.Time
	if k.RevokedAt != nil {
		t := micro(*k.RevokedAt)
		revoked = &t
	}
	_, err := s.db.exec(ctx, s.d.q.get("apikey_insert"), k.ID, k.Name, k.Role, k.Hash,
		s.d.ts(s.stamp(k.CreatedAt)), s.d.tsNull(revoked))
	if err != nil {
		return fmt.Errorf("store: put api key %s: %w", k.ID, s.d.translate(err))
	}
	return nil
}

func scanKey(sc scanner) (*APIKey, error) {
	var k APIKey
	var created, revoked dbTime
	if err := sc.Scan(&k.ID, &k.Name, &k.Role, &k.Hash, &created, &revoked); err != nil {
		return nil, err
	}
	k.CreatedAt, k.RevokedAt = created.T, revoked.ptr()
	return &k, nil
}

func (s *core) APIKeyByHash(ctx context.Context, hash string) (*APIKey, error) {
	k, err := scanKey(s.db.queryRow(ctx, s.d.q.get("apikey_by_hash"), hash))
	if err != nil {
		return nil, fmt.Errorf("store: api key by hash: %w", s.d.translate(err))
	}
	return k, nil
}

func (s *core) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	rs, err := s.db.query(ctx, s.d.q.get("apikey_list"))
	if err != nil {
		return nil, fmt.Errorf("store: list api keys: %w", s.d.translate(err))
	}
	defer rs.Close()
	out := []APIKey{}
	for rs.Next() {
		k, err := scanKey(rs)
		if err != nil {
			return nil, fmt.Errorf("store: list api keys: %w", s.d.translate(err))
		}
		out = append(out, *k)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("store: list api keys: %w", s.d.translate(err))
	}
	return out, nil
}

// RevokeAPIKey is idempotent: revoking a revoked key keeps its first revocation time.
func (s *core) RevokeAPIKey(ctx context.Context, id string, at time.Time) error {
	n, err := s.db.exec(ctx, s.d.q.get("apikey_revoke"), id, s.d.ts(s.stamp(at)))
	if err != nil {
		return fmt.Errorf("store: revoke api key %s: %w", id, s.d.translate(err))
	}
	if n == 0 {
		return fmt.Errorf("store: revoke api key %s: %w", id, ErrNotFound)
	}
	return nil
}

func (s *core) PutSession(ctx context.Context, ss Session) error {
	if ss.TokenHash == "" {
		return errors.New("store: put session: empty token hash")
	}
	_, err := s.db.exec(ctx, s.d.q.get("session_put"), ss.TokenHash, ss.User, ss.Role, ss.CSRF,
		s.d.ts(micro(ss.ExpiresAt)), s.d.ts(s.stamp(ss.CreatedAt)))
	if err != nil {
		return fmt.Errorf("store: put session: %w", s.d.translate(err))
	}
	return nil
}

func (s *core) GetSession(ctx context.Context, tokenHash string, now time.Time) (*Session, error) {
	var ss Session
	var exp, created dbTime
	err := s.db.queryRow(ctx, s.d.q.get("session_get"), tokenHash, s.d.ts(micro(now))).Scan(&ss.TokenHash,
		&ss.User, &ss.Role, &ss.CSRF, &exp, &created)
	if err != nil {
		return nil, fmt.Errorf("store: get session: %w", s.d.translate(err))
	}
	ss.ExpiresAt, ss.CreatedAt = exp.T, created.T
	return &ss, nil
}

func (s *core) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := s.db.exec(ctx, s.d.q.get("session_delete"), tokenHash); err != nil {
		return fmt.Errorf("store: delete session: %w", s.d.translate(err))
	}
	return nil
}

// ---- review, signing, addenda

func (s *core) GetReview(ctx context.Context, visitID string) (*Review, error) {
	var r Review
	var note, decisions []byte
	var at dbTime
	err := s.db.queryRow(ctx, s.d.q.get("review_get"), visitID).Scan(&r.VisitID, &r.Revision, &note, &decisions,
		&r.UpdatedBy, &at)
	if err != nil {
		return nil, fmt.Errorf("store: get review %s: %w", visitID, s.d.translate(err))
	}
	if err := json.Unmarshal(note, &r.Note); err != nil {
		return nil, fmt.Errorf("store: get review %s: note: %w", visitID, err)
	}
	if err := json.Unmarshal(decisions, &r.Decisions); err != nil {
		return nil, fmt.Errorf("store: get review %s: decisions: %w", visitID, err)
	}
	if r.Decisions == nil {
		r.Decisions = map[string]Decision{}
	}
	r.UpdatedAt = at.T
	return &r, nil
}

// currentRevision returns the review revision of a visit, 0 when nobody edited it yet.
func (s *core) currentRevision(ctx context.Context, c conn, visitID string) (int, error) {
	var rev int
	err := c.queryRow(ctx, s.d.q.get("review_revision"), visitID).Scan(&rev)
	if errors.Is(s.d.translate(err), ErrNotFound) {
		return 0, nil
	}
	return rev, err
}

func (s *core) SaveReview(ctx context.Context, r *Review, expectRevision int) (int, error) {
	if r == nil || r.VisitID == "" {
		return 0, errors.New("store: save review: review without visit id")
	}
	note, err := json.Marshal(r.Note)
	if err != nil {
		return 0, fmt.Errorf("store: save review: %w", err)
	}
	dec := r.Decisions
	if dec == nil {
		dec = map[string]Decision{}
	}
	decisions, err := json.Marshal(dec)
	if err != nil {
		return 0, fmt.Errorf("store: save review: %w", err)
	}
	at := s.stamp(r.UpdatedAt)
	var rev int
	err = s.tx(ctx, func(c conn) error {
		v, err := s.lockVisit(ctx, c, r.VisitID)
		if err != nil {
			return err
		}
		if v.status == visit.StatusSigned {
			return fmt.Errorf("%w: visit %s is signed", ErrConflict, r.VisitID)
		}
		cur, err := s.currentRevision(ctx, c, r.VisitID)
		if err != nil {
			return err
		}
		if cur != expectRevision {
			return fmt.Errorf("%w: review of visit %s is at revision %d, not %d", ErrConflict, r.VisitID, cur, expectRevision)
		}
		if cur == 0 {
			_, err = c.exec(ctx, s.d.q.get("review_insert"), r.VisitID, string(note), string(decisions), r.UpdatedBy, s.d.ts(at))
		} else {
			_, err = c.exec(ctx, s.d.q.get("review_update"), r.VisitID, cur, string(note), string(decisions), r.UpdatedBy, s.d.ts(at))
		}
		rev = cur + 1
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: save review: %w", err)
	}
	r.Revision, r.UpdatedAt = rev, at
	return rev, nil
}

func (s *core) Sign(ctx context.Context, sig Signature, expectRevision int) error {
	if sig.VisitID == "" || sig.SignedBy == "" {
		return errors.New("store: sign: visit id and signer are required")
	}
	sig.SignedAt = s.stamp(sig.SignedAt)
	note, err := json.Marshal(sig.Note)
	if err != nil {
		return fmt.Errorf("store: sign: %w", err)
	}
	err = s.tx(ctx, func(c conn) error {
		v, err := s.lockVisit(ctx, c, sig.VisitID)
		if err != nil {
			return err
		}
		if v.status == visit.StatusSigned {
			return fmt.Errorf("%w: visit %s is already signed", ErrConflict, sig.VisitID)
		}
		cur, err := s.currentRevision(ctx, c, sig.VisitID)
		if err != nil {
			return err
		}
		if cur != expectRevision {
			return fmt.Errorf("%w: review of visit %s is at revision %d, not %d", ErrConflict, sig.VisitID, cur, expectRevision)
		}
		if _, err := c.exec(ctx, s.d.q.get("signature_insert"), sig.VisitID, sig.SignedBy, s.d.ts(sig.SignedAt),
			string(note), sig.DraftText, sig.Diff); err != nil {
			return err
		}
		var rec visit.Record
		if err := decodeRecord(v.record, &rec); err != nil {
			return err
		}
		rec.Status, rec.Note = visit.StatusSigned, sig.Note
		rec.Normalize()
		return s.writeVisit(ctx, c, &rec)
	})
	if err != nil {
		return fmt.Errorf("store: sign visit %s: %w", sig.VisitID, err)
	}
	return nil
}

func scanSignature(sc scanner) (*Signature, error) {
	var sig Signature
	var note []byte
	var at dbTime
	if err := sc.Scan(&sig.VisitID, &sig.SignedBy, &at, &note, &sig.DraftText, &sig.Diff); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(note, &sig.Note); err != nil {
		return nil, fmt.Errorf("decode signed note: %w", err)
	}
	sig.SignedAt = at.T
	return &sig, nil
}

func (s *core) GetSignature(ctx context.Context, visitID string) (*Signature, error) {
	sig, err := scanSignature(s.db.queryRow(ctx, s.d.q.get("signature_get"), visitID))
	if err != nil {
		return nil, fmt.Errorf("store: get signature %s: %w", visitID, s.d.translate(err))
	}
	return sig, nil
}

func (s *core) ListSignatures(ctx context.Context) ([]Signature, error) {
	rs, err := s.db.query(ctx, s.d.q.get("signature_list"))
	if err != nil {
		return nil, fmt.Errorf("store: list signatures: %w", s.d.translate(err))
	}
	defer rs.Close()
	out := []Signature{}
	for rs.Next() {
		sig, err := scanSignature(rs)
		if err != nil {
			return nil, fmt.Errorf("store: list signatures: %w", s.d.translate(err))
		}
		out = append(out, *sig)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("store: list signatures: %w", s.d.translate(err))
	}
	return out, nil
}

func (s *core) AddAddendum(ctx context.Context, a Addendum) error {
	if a.VisitID == "" || a.Author == "" {
		return errors.New("store: add addendum: visit id and author are required")
	}
	err := s.tx(ctx, func(c conn) error {
		v, err := s.lockVisit(ctx, c, a.VisitID)
		if err != nil {
			return err
		}
		if v.status != visit.StatusSigned {
			return fmt.Errorf("%w: visit %s is not signed", ErrConflict, a.VisitID)
		}
		_, err = c.exec(ctx, s.d.q.get("addendum_insert"), a.VisitID, a.Author, a.Text, s.d.ts(s.stamp(a.At)))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: add addendum: %w", err)
	}
	return nil
}

func (s *core) ListAddenda(ctx context.Context, visitID string) ([]Addendum, error) {
	rs, err := s.db.query(ctx, s.d.q.get("addendum_list"), visitID)
	if err != nil {
		return nil, fmt.Errorf("store: list addenda: %w", s.d.translate(err))
	}
	defer rs.Close()
	out := []Addendum{}
	for rs.Next() {
		var a Addendum
		var at dbTime
		if err := rs.Scan(&a.ID, &a.VisitID, &a.Author, &a.Text, &at); err != nil {
			return nil, fmt.Errorf("store: list addenda: %w", s.d.translate(err))
		}
		a.At = at.T
		out = append(out, a)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("store: list addenda: %w", s.d.translate(err))
	}
	return out, nil
}

func (s *core) Ping(ctx context.Context) error {
	var one int
	if err := s.db.queryRow(ctx, s.d.q.get("ping")).Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", s.d.translate(err))
	}
	return nil
}

func (s *core) Dialect() string { return s.d.name }
