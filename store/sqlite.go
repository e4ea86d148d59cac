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
type vectorCache struct {
	mu          sync.Mutex
	valid       bool
	dataVersion int64
	dims        int
	ids         []string
	vecs        []float32 // len(ids)*dims, each row of unit length
}

func (c *vectorCache) invalidate() {
	c.mu.Lock()
	c.valid = false
	c.ids, c.vecs = nil, nil
	c.mu.Unlock()
}

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
		onCaseWrite: s.vectors.invalidate,
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
	vc.valid, vc.ids, vc.vecs = false, nil, nil
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
	vc.valid, vc.dataVersion, vc.dims, vc.ids, vc.vecs = true, dv, dims, ids, vecs
	return nil
}

// SimilarCases is an exact cosine search: a dot product with every cached unit vector, the k
// best kept in a heap.
func (s *SQLite) SimilarCases(ctx context.Context, vec []float32, k int, opts *SimilarOpts) ([]CaseMatch, error) {
	if opts == nil {
		opts = &SimilarOpts{}
	}
	var out []CaseMatch
	err := s.inTx(ctx, func(c conn) error {
		dims, err := s.caseDims(ctx, c)
		if err != nil {
			return err
		}
		if err := checkQuery(vec, k, dims); err != nil {
			return err
		}
		if dims == 0 {
			out = []CaseMatch{}
			return nil
		}
		if err := s.loadVectors(ctx, c, dims); err != nil {
			return err
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
		s.vectors.mu.Lock()
		ids, vecs := s.vectors.ids, s.vectors.vecs
		s.vectors.mu.Unlock()
		for i, id := range ids {
			row := vecs[i*dims : (i+1)*dims : (i+1)*dims]
			var dot float32
			for j, x := range q {
				dot += x * row[j]
			}
			score := float64(dot)
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
