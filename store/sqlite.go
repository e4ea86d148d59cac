package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLite is the embedded store: one file, pure Go, exact vector search in Go. It keeps one
// connection open, as River's SQLite driver recommends (SQLite allows one writer at a time),
// so every call is serialized; transactions begin IMMEDIATE so another process on the same file
// waits (busy_timeout) rather than failing half-way.
type SQLite struct {
	*core
	db      *sql.DB
	path    string
	vectors vectorCache
}

// vectorCache keeps the case base's embeddings in memory, normalized, for the exact search: a
// scan of float32s instead of a scan of rows (about 10x faster). It is reloaded after this
// store writes cases and when another process committed to the file (PRAGMA data_version).
// Memory: 4 bytes per dimension per case (100 MB for 100k cases of 256 dimensions).
//
// The slices are never changed in place once published: a search takes a snapshot under the
// lock and scans it without the lock (and without holding the store's one connection), so a
// new case is appended (rows beyond a snapshot's length are invisible to it) and a replaced
// case copies the rows first.
type vectorCache struct {
	mu          sync.Mutex
	valid       bool
	dataVersion int64
	dims        int
	ids         []string
	vecs        []float32 // len(ids)*dims, each row of unit length
	row         map[string]int
}

// written applies this process's committed write of a case's embedding to the cache, so a
// steady stream of new cases does not make every search reload the whole base. An empty id
// (a reset, or an uncertain outcome) drops the cache.
func (c *vectorCache) written(id string, vec []float32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.valid {
		return
	}
	drop := func() { c.valid, c.ids, c.vecs, c.row = false, nil, nil, nil }
	switch _, had := c.row[id]; {
	case id == "" || (len(vec) != 0 && len(vec) != c.dims):
		drop()
		return
	case len(vec) == 0: // stored without an embedding: searchable no more
		if had {
			drop()
		}
		return
	}
	n := float32(norm(vec))
	unit := make([]float32, len(vec))
	for i, x := range vec {
		unit[i] = x / n
	}
	if i, ok := c.row[id]; ok {
		vecs := append([]float32(nil), c.vecs...)
		copy(vecs[i*c.dims:(i+1)*c.dims], unit)
		c.vecs = vecs
		return
	}
	c.row[id] = len(c.ids)
	c.ids = append(c.ids, id)
	c.vecs = append(c.vecs, unit...)
}

// bytes is the memory the cached vectors hold (their spare capacity included): 4 bytes per
// dimension per case. It grows with the case base, by design: the exact search scans it.
func (c *vectorCache) bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return 4 * int64(cap(c.vecs))
}

// VectorCacheBytes is the memory the in-memory case vectors of the exact search hold, so that
// memory measurements can tell the case base (expected to grow with it) from the rest.
func (s *SQLite) VectorCacheBytes() int64 { return s.vectors.bytes() }

var sqliteQueries = mustLoadQueries("sqlite")

// sqliteBusyTimeout is how long a write waits for another process holding the file's lock.
const sqliteBusyTimeout = 10 * time.Second

// OpenSQLite opens (creating when missing) the database file at path and migrates it.
func OpenSQLite(ctx context.Context, path string, logger *slog.Logger) (*SQLite, error) {
	if path == "" {
		return nil, errors.New("store: open sqlite: empty path")
	}
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	v := url.Values{}
	v.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()))
	v.Add("_pragma", "journal_mode(WAL)")
	v.Add("_pragma", "synchronous(NORMAL)")
	v.Add("_pragma", "foreign_keys(1)")
	v.Add("_txlock", "immediate")
	dsn := "file:" + path + "?" + v.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	s := &SQLite{db: db, path: path}
	s.core = &core{db: sqlConn{db}, log: logger, now: time.Now, d: dialect{
		name:        "sqlite",
		q:           sqliteQueries,
		ts:          func(t time.Time) any { return t.UnixMicro() },
		tsNull:      func(t *time.Time) any { return sqliteNullTime(t) },
		list:        sqliteList,
		vec:         func(v []float32) any { return sqliteVec(v) },
		vecDest:     sqliteVecDest,
		translate:   sqliteError,
		inTx:        s.inTx,
		onDims:      func(context.Context, conn, int) error { return nil },
		onReset:     func(context.Context, conn) error { return nil },
		onCaseWrite: s.vectors.written,
	}}
	if err := s.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	logger.Debug("store opened", "dialect", "sqlite")
	return s, nil
}

// DB is the database handle, shared with River's SQLite driver.
func (s *SQLite) DB() *sql.DB { return s.db }

// Close releases the connection.
func (s *SQLite) Close() error { return s.db.Close() }

func sqliteNullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func sqliteList(ss []string) any {
	if ss == nil {
		ss = []string{}
	}
	b, _ := json.Marshal(ss)
	return string(b)
}

func sqliteVec(v []float32) any {
	if len(v) == 0 {
		return nil
	}
	return encodeVector(v)
}

func sqliteVecDest() (any, func() ([]float32, error)) {
	var b []byte
	return &b, func() ([]float32, error) { return decodeVector(b) }
}

// sqliteError translates modernc.org/sqlite and database/sql errors to the package's sentinels.
func sqliteError(err error) error {
	if err == nil || isSentinel(err) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	if errors.Is(err, sql.ErrConnDone) || strings.Contains(err.Error(), "sql: database is closed") {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", ErrConflict, err)
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY:
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		if se.Code()&0xff == sqlite3.SQLITE_BUSY {
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
	}
	return err
}

// isSentinel reports whether err was already translated.
func isSentinel(err error) bool {
	for _, s := range []error{ErrNotFound, ErrConflict, ErrDimension, ErrUnavailable, ErrNoVector, ErrBadCursor} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// sqlQuerier is what *sql.DB and *sql.Tx share.
type sqlQuerier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

type sqlConn struct{ q sqlQuerier }

func (c sqlConn) exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := c.q.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (c sqlConn) queryRow(ctx context.Context, q string, args ...any) scanner {
	return c.q.QueryRowContext(ctx, q, args...)
}

func (c sqlConn) query(ctx context.Context, q string, args ...any) (rows, error) {
	rs, err := c.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rs}, nil
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

func (s *SQLite) inTx(ctx context.Context, fn func(c conn) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(sqlConn{tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Migrate applies the embedded migrations not yet recorded in schema_migrations, each in its
// own transaction. It is idempotent, and safe against another process migrating the same file
// (transactions begin IMMEDIATE).
func (s *SQLite) Migrate(ctx context.Context) error {
	ms, err := loadMigrations("sqlite")
	if err != nil {
		return fmt.Errorf("store: migrate sqlite: %w", err)
	}
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`
	if _, err := s.db.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("store: migrate sqlite %s: %w", s.path, sqliteError(err))
	}
	for _, m := range ms {
		applied := false
		err := s.inTx(ctx, func(c conn) error {
			var n int
			if err := c.queryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := c.exec(ctx, m.SQL); err != nil {
				return err
			}
			applied = true
			_, err := c.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.Version, m.Name, time.Now().UnixMicro())
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migrate sqlite %s: migration %04d_%s: %w", s.path, m.Version, m.Name, sqliteError(err))
		}
		if applied {
			s.log.Info("store migration applied", "dialect", "sqlite", "version", m.Version, "name", m.Name)
		}
	}
	return nil
}

// loadVectors makes sure the cache holds the committed embeddings; it runs in SimilarCases'
// transaction, so no write of this process can interleave.
func (s *SQLite) loadVectors(ctx context.Context, c conn, dims int) error {
	var dv int64
	if err := c.queryRow(ctx, s.d.q.get("data_version")).Scan(&dv); err != nil {
		return err
	}
	vc := &s.vectors
	vc.mu.Lock()
	defer vc.mu.Unlock()
	if vc.valid && vc.dataVersion == dv && vc.dims == dims {
		return nil
	}
	s.log.Debug("reloading case vectors", "valid", vc.valid, "data_version_changed", vc.dataVersion != dv, "dims", dims, "cached_dims", vc.dims)
	vc.valid, vc.ids, vc.vecs, vc.row = false, nil, nil, nil
	rs, err := c.query(ctx, s.d.q.get("case_embeddings"))
	if err != nil {
		return err
	}
	defer rs.Close()
	var ids []string
	var vecs []float32
	for rs.Next() {
		var id string
		var b sql.RawBytes
		if err := rs.Scan(&id, &b); err != nil {
			return err
		}
		if len(b) != 4*dims {
			return fmt.Errorf("case %s: embedding of %d bytes in a base of %d dimensions", id, len(b), dims)
		}
		v, err := decodeVector(b)
		if err != nil {
			return fmt.Errorf("case %s: %w", id, err)
		}
		n := float32(norm(v))
		if n == 0 {
			continue
		}
		for i := range v {
			v[i] /= n
		}
		ids = append(ids, id)
		vecs = append(vecs, v...)
	}
	if err := rs.Err(); err != nil {
		return err
	}
	row := make(map[string]int, len(ids))
	for i, id := range ids {
		row[id] = i
	}
	vc.valid, vc.dataVersion, vc.dims, vc.ids, vc.vecs, vc.row = true, dv, dims, ids, vecs, row
	return nil
}

// SimilarCases is an exact cosine search: a dot product with every cached unit vector, the k
// best kept in a heap.
func (s *SQLite) SimilarCases(ctx context.Context, vec []float32, k int, opts *SimilarOpts) ([]CaseMatch, error) {
	if opts == nil {
		opts = &SimilarOpts{}
	}
	// 1. Check the query and bring the cache up to date (needs the connection). The load is
	// not bound to the caller's deadline: callers time-box searches (CDS gives them 150 ms), and
	// a load cut short every time would never finish, making every search start it again.
	var dims int
	err := s.inTx(ctx, func(c conn) error {
		var err error
		if dims, err = s.caseDims(ctx, c); err != nil {
			return err
		}
		return checkQuery(vec, k, dims)
	})
	if err != nil {
		return nil, fmt.Errorf("store: similar cases: %w", sqliteError(err))
	}
	if dims == 0 {
		return []CaseMatch{}, nil
	}
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
	err = s.inTx(lctx, func(c conn) error { return s.loadVectors(lctx, c, dims) })
	cancel()
	if err != nil {
		return nil, fmt.Errorf("store: similar cases: %w", sqliteError(err))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// 2. Scan a snapshot without holding the store's only connection, so other requests are
	// not queued behind an O(cases × dims) loop.
	s.vectors.mu.Lock()
	ids, vecs, cdims := s.vectors.ids, s.vectors.vecs, s.vectors.dims
	s.vectors.mu.Unlock()
	if cdims != dims {
		return nil, fmt.Errorf("store: similar cases: %w", ErrDimension)
	}
	exclude := make(map[string]bool, len(opts.ExcludeIDs))
	for _, id := range opts.ExcludeIDs {
		exclude[id] = true
	}
	q := make([]float32, len(vec))
	qn := float32(norm(vec))
	for i, x := range vec {
		q[i] = x / qn
	}
	floor := minScore(opts)
	top := &topK{k: k}
	for i, id := range ids {
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		score := float64(dot32(q, vecs[i*dims:(i+1)*dims:(i+1)*dims]))
		if score < floor || exclude[id] {
			continue
		}
		top.offer(scored{id: id, score: score})
	}
	best := top.best()
	bestIDs := make([]string, len(best))
	for i, b := range best {
		bestIDs[i] = b.id
	}
	// 3. Read the k winners (a short query).
	var out []CaseMatch
	err = s.inTx(ctx, func(c conn) error {
		cases, err := s.casesByIDs(ctx, c, bestIDs)
		if err != nil {
			return err
		}
		out = make([]CaseMatch, 0, len(best))
		for _, b := range best {
			if cs := cases[b.id]; cs != nil {
				cs.Embedding = nil
				out = append(out, CaseMatch{Case: cs, Score: b.score})
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: similar cases: %w", sqliteError(err))
	}
	return out, nil
}

// dot32 is the dot product of two equal-length vectors, with four accumulators so the
// additions pipeline (about 3x the plain loop; the exact search is this loop).
func dot32(a, b []float32) float32 {
	b = b[:len(a)]
	var d0, d1, d2, d3 float32
	j := 0
	for ; j+4 <= len(a); j += 4 {
		d0 += a[j] * b[j]
		d1 += a[j+1] * b[j+1]
		d2 += a[j+2] * b[j+2]
		d3 += a[j+3] * b[j+3]
	}
	for ; j < len(a); j++ {
		d0 += a[j] * b[j]
	}
	return (d0 + d1) + (d2 + d3)
}
