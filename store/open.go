package store

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
)

// Config chooses and configures a backend for Open.
type Config struct {
	// DatabaseURL selects PostgreSQL (postgres://...) when set; empty selects the embedded store.
	DatabaseURL string
	// DataDir holds the embedded store's file, medscribe.db. Default "data"; created 0700.
	DataDir string
	// Logger receives migration and connection events (ids and counts only). Default: discard.
	Logger *slog.Logger
	// HNSW tunes the PostgreSQL similar-case index. Default: DefaultHNSW.
	HNSW HNSWParams
	// EfSearch is hnsw.ef_search when SimilarOpts.EfSearch is 0. Default DefaultEfSearch.
	EfSearch int
}

// DefaultEfSearch is the search breadth for the offline embedder's 1024-dimension vectors: at
// 100k cases (m=16, ef_construction=64, 2 cores) ef_search 200 gave recall@10 0.990 at p99
// 7.4 ms where 100 gave 0.965 at p99 15.9 ms (store/BENCHMARKS.md).
const DefaultEfSearch = 200

// HNSWParams are pgvector's HNSW build parameters.
type HNSWParams struct {
	// M is the number of neighbours per node (pgvector default 16). More: better recall, bigger index.
	M int
	// EfConstruction is the candidate list size while building (pgvector default 64).
	EfConstruction int
}

// DefaultHNSW is what the benchmarks in postgres_bench_test.go found enough for recall@10 ≥ 0.95.
var DefaultHNSW = HNSWParams{M: 16, EfConstruction: 64}

func (c *Config) withDefaults() Config {
	out := *c
	if out.DataDir == "" {
		out.DataDir = "data"
	}
	if out.Logger == nil {
		out.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if out.HNSW.M == 0 {
		out.HNSW.M = DefaultHNSW.M
	}
	if out.EfSearch == 0 {
		out.EfSearch = DefaultEfSearch
	}
	if out.HNSW.EfConstruction == 0 {
		out.HNSW.EfConstruction = DefaultHNSW.EfConstruction
	}
	return out
}

func (p HNSWParams) validate() error {
	// pgvector's bounds: m in [2, 100], ef_construction in [4, 1000] and at least 2*m.
	if p.M < 2 || p.M > 100 {
		return fmt.Errorf("hnsw m must be in [2, 100], got %d", p.M)
	}
	if p.EfConstruction < 4 || p.EfConstruction > 1000 || p.EfConstruction < 2*p.M {
		return fmt.Errorf("hnsw ef_construction must be in [4, 1000] and at least 2*m, got %d (m %d)", p.EfConstruction, p.M)
	}
	return nil
}

func (c *Config) validate() error {
	if c.EfSearch < 1 || c.EfSearch > 1000 {
		return fmt.Errorf("hnsw ef_search must be in [1, 1000], got %d", c.EfSearch)
	}
	return c.HNSW.validate()
}

// Open opens the configured backend and migrates it: PostgreSQL when DatabaseURL is set,
// otherwise SQLite at DataDir/medscribe.db.
func Open(ctx context.Context, cfg Config) (Store, error) {
	c := cfg.withDefaults()
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if c.DatabaseURL != "" {
		pg, err := openPostgres(ctx, &c)
		if err != nil {
			// a nil *Postgres inside a non-nil Store would make the caller's Close panic
			// and hide this error
			return nil, err
		}
		return pg, nil
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create data dir: %w", err)
	}
	st, err := OpenSQLite(ctx, filepath.Join(c.DataDir, "medscribe.db"), c.Logger)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// Compile-time checks that both backends are complete.
var (
	_ Store = (*SQLite)(nil)
	_ Store = (*Postgres)(nil)
)
