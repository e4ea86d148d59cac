package store_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/store/storetest"
)

// testDatabaseURL returns TEST_DATABASE_URL, skipping the test when it is unset or unreachable
// locally, and failing it when env CI is set.
func testDatabaseURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("TEST_DATABASE_URL")
	why := ""
	if u == "" {
		why = "TEST_DATABASE_URL is not set"
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, u)
		if err != nil {
			why = "TEST_DATABASE_URL is unreachable: " + err.Error()
		} else {
			_ = c.Close(ctx)
		}
	}
	if why == "" {
		return u
	}
	msg := why + " (start PostgreSQL with pgvector: eval \"$(sudo .ci/postgres.sh)\")"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

var schemaSeq atomic.Int64

// freshSchema creates an empty schema and returns a URL whose search_path puts it first
// (public stays on the path for the vector extension's type and operators); the schema is
// dropped when the test ends.
func freshSchema(t testing.TB, base string) string {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("t_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, schemaSeq.Add(1))
	c, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "CREATE SCHEMA "+name)
	require.NoError(t, err)
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		// The audit table refuses TRUNCATE/DELETE but DROP ... CASCADE removes it whole.
		_, _ = c.Exec(ctx, "DROP SCHEMA "+name+" CASCADE")
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", name+",public")
	u.RawQuery = q.Encode()
	return u.String()
}

func openPostgres(t testing.TB) *store.Postgres {
	t.Helper()
	u := freshSchema(t, testDatabaseURL(t))
	s, err := store.OpenPostgres(context.Background(), u, quietLogger())
	require.NoError(t, err)
	return s
}

func TestPostgresConformance(t *testing.T) {
	testDatabaseURL(t)
	storetest.Run(t, func(t *testing.T) store.Store { return openPostgres(t) })
}

func TestPostgresOpenThroughConfig(t *testing.T) {
	u := freshSchema(t, testDatabaseURL(t))
	s, err := store.Open(context.Background(), store.Config{DatabaseURL: u, Logger: quietLogger(),
		HNSW: store.HNSWParams{M: 8, EfConstruction: 32}})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, "postgres", s.Dialect())
	_, ok := s.(*store.Postgres)
	assert.True(t, ok)
}

func TestPostgresMigrateConcurrentAndIdempotent(t *testing.T) {
	u := freshSchema(t, testDatabaseURL(t))
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	stores := make([]*store.Postgres, 4)
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = store.OpenPostgres(ctx, u, quietLogger())
		}()
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "replica %d", i)
		defer stores[i].Close()
	}
	require.NoError(t, stores[0].Migrate(ctx))
	var n int
	require.NoError(t, stores[0].Pool().QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n))
	files, _ := filepath.Glob("migrations/postgres/*.sql")
	assert.Equal(t, len(files), n, "one row per migration, applied once")
}

func TestPostgresAuditAppendOnly(t *testing.T) {
	ctx := context.Background()
	s := openPostgres(t)
	defer s.Close()
	require.NoError(t, s.AppendAudit(ctx, store.AuditEvent{Actor: "a", Role: "admin", Action: "x", Object: "visit:1", Client: "c"}))
	for _, q := range []string{`UPDATE audit SET actor = 'b'`, `DELETE FROM audit`, `TRUNCATE audit`} {
		_, err := s.Pool().Exec(ctx, q)
		assert.ErrorContains(t, err, "append-only", q)
	}
	evs, err := s.ListAudit(ctx, store.AuditFilter{})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, "a", evs[0].Actor)
}

func TestPostgresUsesHNSWIndex(t *testing.T) {
	ctx := context.Background()
	s := openPostgres(t)
	defer s.Close()
	require.NoError(t, s.PutCase(ctx, &store.Case{ID: "a", Embedding: []float32{1, 0, 0}}))
	var def string
	require.NoError(t, s.Pool().QueryRow(ctx,
		`SELECT indexdef FROM pg_indexes WHERE indexname = 'cases_embedding_hnsw' AND schemaname = current_schema()`).Scan(&def))
	assert.Contains(t, def, "hnsw")
	assert.Contains(t, def, "vector(3)")
	assert.Contains(t, def, "vector_cosine_ops")

	// The planner picks the index for the search's ORDER BY (sequential scans off makes the
	// test independent of the table's tiny size).
	tx, err := s.Pool().Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx)
	_, err = tx.Exec(ctx, `SET LOCAL enable_seqscan = off`)
	require.NoError(t, err)
	rows, err := tx.Query(ctx, `EXPLAIN SELECT id FROM cases ORDER BY embedding::vector(3) <=> '[1,0,0]' LIMIT 5`)
	require.NoError(t, err)
	var plan strings.Builder
	for rows.Next() {
		var line string
		require.NoError(t, rows.Scan(&line))
		plan.WriteString(line + "\n")
	}
	require.NoError(t, rows.Err())
	assert.Contains(t, plan.String(), "cases_embedding_hnsw")
	require.NoError(t, tx.Rollback(ctx))

	require.NoError(t, s.ResetEmbeddings(ctx))
	var n int
	require.NoError(t, s.Pool().QueryRow(ctx,
		`SELECT count(*) FROM pg_indexes WHERE indexname = 'cases_embedding_hnsw' AND schemaname = current_schema()`).Scan(&n))
	assert.Zero(t, n, "the index goes with the recorded dimension")
}

func TestPostgresUnavailable(t *testing.T) {
	s := openPostgres(t)
	require.NoError(t, s.Close())
	err := s.Ping(context.Background())
	assert.ErrorIs(t, err, store.ErrUnavailable)

	// Nothing listens on port 1.
	_, err = store.OpenPostgres(context.Background(), "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2", quietLogger())
	assert.ErrorIs(t, err, store.ErrUnavailable)
}

func TestPostgresNoVector(t *testing.T) {
	// A fresh database without the extension, opened by a role that may not create it: the
	// store must refuse to start with ErrNoVector and say how to install pgvector.
	base := testDatabaseURL(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	db := fmt.Sprintf("medscribe_novec_%d", os.Getpid())
	_, _ = admin.Exec(ctx, `DO $$ BEGIN CREATE ROLE medscribe_novec LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`)
	_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+db)
	_, err = admin.Exec(ctx, "CREATE DATABASE "+db+" OWNER medscribe_novec")
	require.NoError(t, err)
	// The connection is closed here, after the drop: a deferred Close would run first and leave
	// the database behind.
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)")
		_ = admin.Close(context.Background())
	})

	u, err := url.Parse(base)
	require.NoError(t, err)
	u.User = url.User("medscribe_novec")
	u.Path = "/" + db
	probe, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Skipf("cannot log in as a non-superuser role here (%v)", err)
	}
	_, cerr := probe.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS vector")
	_, _ = probe.Exec(ctx, "DROP EXTENSION IF EXISTS vector")
	probe.Close(ctx)
	if cerr == nil {
		t.Skip("pgvector is a trusted extension here: a database owner may create it")
	}
	_, err = store.OpenPostgres(ctx, u.String(), quietLogger())
	require.Error(t, err)
	assert.True(t, errors.Is(err, store.ErrNoVector), "got %v", err)
	assert.ErrorContains(t, err, "install pgvector")
}
