package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/puddle/v2"
	"github.com/pgvector/pgvector-go"
	pgxvec "github.com/pgvector/pgvector-go/pgx"
)

// Postgres is the production store: PostgreSQL with pgvector. Similar cases are searched
// through an HNSW cosine index on embedding::vector(dims), where dims is the case base's
// recorded dimension; the index is made when the first embedding is stored.
type Postgres struct {
	*core
	pool *pgxpool.Pool
	cfg  Config

	mu    sync.Mutex        // guards cfg.HNSW and plans
	plans map[[2]int]string // (dims, fetch) → similar_cases SQL
}

var postgresQueries = mustLoadQueries("postgres")

// pgConnectTimeout bounds each connection attempt when the URL does not set connect_timeout.
const pgConnectTimeout = 10 * time.Second

// pgMaxHNSWDims is the largest dimension pgvector's HNSW index takes for the vector type;
// a case base with more dimensions is searched exactly.
const pgMaxHNSWDims = 2000

// noVectorHelp says how to get pgvector, for ErrNoVector errors.
const noVectorHelp = "install pgvector on the database server (Debian/Ubuntu: apt-get install " +
	"postgresql-<version>-pgvector, or build it from https://github.com/pgvector/pgvector; " +
	".ci/postgres.sh does this for PostgreSQL 15 on Debian 12), then run CREATE EXTENSION vector " +
	"as a superuser in this database"

// OpenPostgres connects to url, makes sure the vector extension exists, migrates, and
// returns the store with the default HNSW parameters.
func OpenPostgres(ctx context.Context, url string, logger *slog.Logger) (*Postgres, error) {
	c := (&Config{DatabaseURL: url, Logger: logger}).withDefaults()
	return openPostgres(ctx, &c)
}

func openPostgres(ctx context.Context, cfg *Config) (*Postgres, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		// The parse error can quote the URL, password included: keep only that it failed.
		return nil, errors.New("store: open postgres: DATABASE_URL is not a valid PostgreSQL URL")
	}
	if pc.ConnConfig.ConnectTimeout == 0 {
		pc.ConnConfig.ConnectTimeout = pgConnectTimeout
	}
	// The extension must exist before pgvector's types can be registered on pool connections,
	// so set-up and migrations run on a plain connection first.
	setup, err := pgx.ConnectConfig(ctx, pc.ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("store: connect postgres: %w", pgError(err))
	}
	s := &Postgres{cfg: *cfg, plans: map[[2]int]string{}}
	s.core = &core{log: cfg.Logger, now: time.Now, d: dialect{
		name:        "postgres",
		q:           postgresQueries,
		ts:          func(t time.Time) any { return t },
		tsNull:      func(t *time.Time) any { return t },
		list:        pgList,
		vec:         pgVec,
		vecDest:     pgVecDest,
		translate:   pgError,
		inTx:        s.inTx,
		onDims:      s.createIndex,
		onCaseWrite: func(string, []float32) {},
		onReset: func(ctx context.Context, c conn) error {
			_, err := c.exec(ctx, s.d.q.get("hnsw_drop"))
			return err
		},
	}}
	err = s.migrate(ctx, setup)
	_ = setup.Close(context.WithoutCancel(ctx))
	if err != nil {
		return nil, err
	}
	pc.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		return pgxvec.RegisterTypes(ctx, c)
	}
	s.pool, err = pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres pool: %w", pgError(err))
	}
	s.core.db = pgConn{s.pool}
	if err := s.pool.Ping(ctx); err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("store: ping postgres: %w", pgError(err))
	}
	cfg.Logger.Debug("store opened", "dialect", "postgres")
	return s, nil
}

// Pool is the connection pool, shared with River's pgx driver.
func (s *Postgres) Pool() *pgxpool.Pool { return s.pool }

// Close closes the pool.
func (s *Postgres) Close() error {
	s.pool.Close()
	return nil
}

// Migrate makes sure the vector extension exists and applies the embedded migrations not yet
// recorded in schema_migrations, each in its own transaction, under an advisory lock so that
// replicas starting together do not race. It is idempotent.
func (s *Postgres) Migrate(ctx context.Context) error {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate postgres: %w", pgError(err))
	}
	defer c.Release()
	return s.migrate(ctx, c.Conn())
}

func (s *Postgres) migrate(ctx context.Context, c *pgx.Conn) (err error) {
	ms, err := loadMigrations("postgres")
	if err != nil {
		return fmt.Errorf("store: migrate postgres: %w", err)
	}
	if _, err := c.Exec(ctx, s.d.q.get("migrate_lock")); err != nil {
		return fmt.Errorf("store: migrate postgres: lock: %w", pgError(err))
	}
	defer func() {
		if _, uerr := c.Exec(context.WithoutCancel(ctx), s.d.q.get("migrate_unlock")); uerr != nil && err == nil {
			err = fmt.Errorf("store: migrate postgres: unlock: %w", pgError(uerr))
		}
	}()
	var available bool
	if err := c.QueryRow(ctx, s.d.q.get("vector_available")).Scan(&available); err != nil {
		return fmt.Errorf("store: migrate postgres: %w", pgError(err))
	}
	if !available {
		return fmt.Errorf("store: %w on this PostgreSQL server: %s", ErrNoVector, noVectorHelp)
	}
	if _, err := c.Exec(ctx, s.d.q.get("vector_create")); err != nil {
		return fmt.Errorf("store: %w: CREATE EXTENSION vector failed (%v): %s", ErrNoVector, err, noVectorHelp)
	}
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`
	if _, err := c.Exec(ctx, create); err != nil {
		return fmt.Errorf("store: migrate postgres: %w", pgError(err))
	}
	for _, m := range ms {
		applied := false
		err := pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			applied = true
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migrate postgres: migration %04d_%s: %w", m.Version, m.Name, pgError(err))
		}
		if applied {
			s.log.Info("store migration applied", "dialect", "postgres", "version", m.Version, "name", m.Name)
		}
	}
	return nil
}

// createIndex makes the HNSW index for a newly recorded dimension (in that transaction).
func (s *Postgres) createIndex(ctx context.Context, c conn, dims int) error {
	if dims > pgMaxHNSWDims {
		s.log.Warn("case embeddings too wide for an HNSW index; similar cases are searched exactly",
			"dims", dims, "max", pgMaxHNSWDims)
		return nil
	}
	s.mu.Lock()
	p := s.cfg.HNSW
	s.mu.Unlock()
	_, err := c.exec(ctx, fmt.Sprintf(s.d.q.get("hnsw_create"), dims, p.M, p.EfConstruction))
	return err
}

// BuildIndex drops and rebuilds the HNSW index with p: after a bulk load (building once is much
// faster than inserting into the index row by row) or to change the parameters.
func (s *Postgres) BuildIndex(ctx context.Context, p HNSWParams) error {
	if err := p.validate(); err != nil {
		return fmt.Errorf("store: build index: %w", err)
	}
	err := s.tx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, s.d.q.get("hnsw_drop")); err != nil {
			return err
		}
		dims, err := s.caseDims(ctx, c)
		if err != nil || dims == 0 || dims > pgMaxHNSWDims {
			return err
		}
		if _, err := c.exec(ctx, s.d.q.get("set_build_memory"), "512MB"); err != nil {
			return err
		}
		_, err = c.exec(ctx, fmt.Sprintf(s.d.q.get("hnsw_create"), dims, p.M, p.EfConstruction))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: build index: %w", err)
	}
	s.mu.Lock()
	s.cfg.HNSW = p
	s.mu.Unlock()
	return nil
}

// DropIndex removes the HNSW index, before a bulk load.
func (s *Postgres) DropIndex(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, s.d.q.get("hnsw_drop")); err != nil {
		return fmt.Errorf("store: drop index: %w", pgError(err))
	}
	return nil
}

// CopyCases bulk-loads new cases with COPY (ids must not exist yet). Every embedding must have
// the same dimension, which becomes or must match the case base's. It drops the HNSW index
// (inserting into it row by row is what makes loads slow): searches are exact until BuildIndex,
// which the caller runs once after the last batch.
func (s *Postgres) CopyCases(ctx context.Context, cases []*Case) (int64, error) {
	if len(cases) == 0 {
		return 0, nil
	}
	dims := -1
	rowsIn := make([][]any, len(cases))
	for i, c := range cases {
		if c.ID == "" {
			c.ID = newID()
		}
		if err := checkVector(c.Embedding); err != nil {
			return 0, fmt.Errorf("store: copy cases: case %s: %w", c.ID, err)
		}
		if n := len(c.Embedding); n > 0 {
			if dims >= 0 && n != dims {
				return 0, fmt.Errorf("store: copy cases: %w: case %s has %d dimensions, others %d", ErrDimension, c.ID, n, dims)
			}
			dims = n
		}
		c.CreatedAt = s.stamp(c.CreatedAt)
		normalizeCase(c)
		data := caseData{Problems: c.Problems, Medications: c.Medications, Findings: c.Findings, Outcomes: c.Outcomes, Text: c.Text}
		rowsIn[i] = []any{c.ID, c.VisitID, c.ExternalID, c.PatientID, c.Source, data, pgVec(c.Embedding), c.Embedder, c.CreatedAt}
	}
	var n int64
	err := s.tx(ctx, func(cn conn) error {
		if dims > 0 {
			if err := s.claimDims(ctx, cn, dims, cases[0].Embedder); err != nil {
				return err
			}
		}
		if _, err := cn.exec(ctx, s.d.q.get("hnsw_drop")); err != nil {
			return err
		}
		tx := cn.(pgConn).q.(pgx.Tx)
		var err error
		n, err = tx.CopyFrom(ctx, pgx.Identifier{"cases"},
			[]string{"id", "visit_id", "external_id", "patient_id", "source", "data", "embedding", "embedder", "created_at"},
			pgx.CopyFromRows(rowsIn))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: copy cases: %w", err)
	}
	return n, nil
}

func (s *Postgres) similarSQL(dims, fetch int, exact bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := [2]int{dims, fetch}
	q, ok := s.plans[key]
	if !ok {
		q = fmt.Sprintf(s.d.q.get("similar_cases"), dims, fetch)
		s.plans[key] = q
	}
	if exact {
		// A different statement text, so a cached plan that uses the index is never reused.
		return "/* exact */ " + q
	}
	return q
}

// SimilarCases searches the HNSW index (or scans exactly with opts.Exact), in one transaction
// that sets hnsw.ef_search for this query only.
func (s *Postgres) SimilarCases(ctx context.Context, vec []float32, k int, opts *SimilarOpts) ([]CaseMatch, error) {
	if opts == nil {
		opts = &SimilarOpts{}
	}
	exclude := opts.ExcludeIDs
	if exclude == nil {
		exclude = []string{}
	}
	out := []CaseMatch{}
	err := s.tx(ctx, func(c conn) error {
		dims, err := s.caseDims(ctx, c)
		if err != nil {
			return err
		}
		if err := checkQuery(vec, k, dims); err != nil {
			return err
		}
		if dims == 0 {
			return nil
		}
		fetch := k + len(exclude)
		if opts.Exact {
			if _, err := c.exec(ctx, s.d.q.get("set_exact")); err != nil {
				return err
			}
		} else {
			// ef_search also bounds how many rows the index returns: never fewer than we fetch.
			ef := opts.EfSearch
			if ef <= 0 {
				ef = s.cfg.EfSearch
			}
			ef = min(max(ef, fetch), 1000)
			if _, err := c.exec(ctx, s.d.q.get("set_ef_search"), strconv.Itoa(ef)); err != nil {
				return err
			}
		}
		rs, err := c.query(ctx, s.similarSQL(dims, fetch, opts.Exact), pgvector.NewVector(vec), minScore(opts), exclude)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var score float64
			cs, err := s.scanCase(rs, &score)
			if err != nil {
				return err
			}
			if len(out) < k {
				out = append(out, CaseMatch{Case: cs, Score: score})
			}
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: similar cases: %w", err)
	}
	return out, nil
}

func pgList(ss []string) any {
	if ss == nil {
		return []string{}
	}
	return ss
}

func pgVec(v []float32) any {
	if len(v) == 0 {
		return nil
	}
	return pgvector.NewVector(v)
}

func pgVecDest() (any, func() ([]float32, error)) {
	var v []float32
	return &v, func() ([]float32, error) { return v, nil }
}

// pgError translates pgx errors to the package's sentinels.
func pgError(err error) error {
	if err == nil || isSentinel(err) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505": // unique_violation
			return fmt.Errorf("%w: %w", ErrConflict, err)
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", pe.Code == "53300",
			len(pe.Code) == 5 && pe.Code[:2] == "08":
			// admin/crash shutdown, cannot connect now, too many connections, connection exceptions
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return err
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, puddle.ErrClosedPool) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if err.Error() == "closed pool" {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// pgQuerier is what *pgxpool.Pool and pgx.Tx share.
type pgQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type pgConn struct{ q pgQuerier }

func (c pgConn) exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := c.q.Exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (c pgConn) queryRow(ctx context.Context, q string, args ...any) scanner {
	return c.q.QueryRow(ctx, q, args...)
}

func (c pgConn) query(ctx context.Context, q string, args ...any) (rows, error) {
	return c.q.Query(ctx, q, args...)
}

func (s *Postgres) inTx(ctx context.Context, fn func(c conn) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(pgConn{tx}) })
}
