package store_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/store/storetest"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openSQLite(t *testing.T) *store.SQLite {
	t.Helper()
	s, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "medscribe.db"), quietLogger())
	require.NoError(t, err)
	return s
}

func TestSQLiteConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return openSQLite(t) })
}

func TestSQLiteMigrateIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "medscribe.db")
	s, err := store.OpenSQLite(ctx, path, quietLogger())
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	require.NoError(t, s.Migrate(ctx))
	var n int
	require.NoError(t, s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n))
	files, _ := filepath.Glob("migrations/sqlite/*.sql")
	assert.Equal(t, len(files), n, "one row per migration, applied once")
	require.NoError(t, s.Close())

	// Reopening a migrated file works and keeps the data.
	s, err = store.OpenSQLite(ctx, path, quietLogger())
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Ping(ctx))
}

func TestSQLiteAuditAppendOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openSQLite(t)
	defer s.Close()
	require.NoError(t, s.AppendAudit(ctx, store.AuditEvent{Actor: "a", Role: "admin", Action: "x", Object: "visit:1", Client: "c"}))
	_, err := s.DB().ExecContext(ctx, `UPDATE audit SET actor = 'b'`)
	assert.ErrorContains(t, err, "append-only")
	_, err = s.DB().ExecContext(ctx, `DELETE FROM audit`)
	assert.ErrorContains(t, err, "append-only")
	evs, err := s.ListAudit(ctx, store.AuditFilter{})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, "a", evs[0].Actor)
}

func TestSQLiteClosedIsUnavailable(t *testing.T) {
	t.Parallel()
	s := openSQLite(t)
	require.NoError(t, s.Close())
	assert.ErrorIs(t, s.Ping(context.Background()), store.ErrUnavailable)
}

func TestOpenDefaultsToSQLite(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "nested", "data")
	s, err := store.Open(context.Background(), store.Config{DataDir: dir, Logger: quietLogger()})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, "sqlite", s.Dialect())
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	_, err = os.Stat(filepath.Join(dir, "medscribe.db"))
	assert.NoError(t, err)
}

func TestOpenRejectsBadHNSW(t *testing.T) {
	t.Parallel()
	_, err := store.Open(context.Background(), store.Config{DataDir: t.TempDir(), HNSW: store.HNSWParams{M: 1, EfConstruction: 64}})
	assert.ErrorContains(t, err, "hnsw m")
}

func TestSQLiteSearchSeesOtherProcessWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "medscribe.db")
	a, err := store.OpenSQLite(ctx, path, quietLogger())
	require.NoError(t, err)
	defer a.Close()
	b, err := store.OpenSQLite(ctx, path, quietLogger())
	require.NoError(t, err)
	defer b.Close()

	require.NoError(t, a.PutCase(ctx, &store.Case{ID: "x", Embedding: []float32{1, 0}}))
	got, err := b.SimilarCases(ctx, []float32{0, 1}, 5, nil)
	require.NoError(t, err)
	require.Len(t, got, 1) // b's cache is now loaded

	require.NoError(t, a.PutCase(ctx, &store.Case{ID: "y", Embedding: []float32{0, 1}}))
	got, err = b.SimilarCases(ctx, []float32{0, 1}, 5, nil)
	require.NoError(t, err)
	require.Len(t, got, 2, "a write by another connection reloads the cache")
	assert.Equal(t, "y", got[0].Case.ID)

	require.NoError(t, a.ResetEmbeddings(ctx))
	got, err = b.SimilarCases(ctx, []float32{0, 1}, 5, nil)
	require.NoError(t, err)
	assert.Empty(t, got)
}

// TestSQLiteVectorCacheBytes: the in-memory vectors are 4 bytes per dimension per case, grow
// with the case base, and are released when the embeddings are reset.
func TestSQLiteVectorCacheBytes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openSQLite(t)
	defer s.Close()
	assert.Zero(t, s.VectorCacheBytes(), "nothing loaded")
	const dims = 256
	vec := func(i int) []float32 {
		v := make([]float32, dims)
		v[i%dims] = 1
		return v
	}
	for i := range 10 {
		require.NoError(t, s.PutCase(ctx, &store.Case{ID: fmt.Sprint("c", i), Embedding: vec(i)}))
	}
	_, err := s.SimilarCases(ctx, vec(0), 3, nil) // loads the cache
	require.NoError(t, err)
	loaded := s.VectorCacheBytes()
	assert.GreaterOrEqual(t, loaded, int64(10*dims*4))
	for i := 10; i < 100; i++ {
		require.NoError(t, s.PutCase(ctx, &store.Case{ID: fmt.Sprint("c", i), Embedding: vec(i)}))
	}
	grown := s.VectorCacheBytes()
	assert.GreaterOrEqual(t, grown, int64(100*dims*4), "new cases are added to the loaded cache")
	assert.LessOrEqual(t, grown, int64(2*100*dims*4), "spare capacity stays within the growth of an append")
	require.NoError(t, s.ResetEmbeddings(ctx))
	assert.Zero(t, s.VectorCacheBytes())
}

// A PostgreSQL that cannot be opened is an error and a nil Store, never a nil *Postgres inside
// a non-nil Store (whose Close would panic and hide the error).
func TestOpenPostgresFailureIsNilStore(t *testing.T) {
	st, err := store.Open(context.Background(), store.Config{DatabaseURL: "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"})
	require.Error(t, err)
	assert.True(t, st == nil, "a typed nil inside the interface: %#v", st) // assert.Nil would accept a typed nil
}
