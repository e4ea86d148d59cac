package store

import (
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQueriesBothDialects(t *testing.T) {
	// Every query the shared code asks for exists in both files (the vector search is per backend).
	pgOnly := map[string]bool{"vector_available": true, "vector_create": true, "migrate_lock": true,
		"migrate_unlock": true, "set_ef_search": true, "set_exact": true, "set_build_memory": true,
		"hnsw_drop": true, "hnsw_create": true, "similar_cases": true}
	sqliteOnly := map[string]bool{"case_embeddings": true, "data_version": true}
	for name := range postgresQueries {
		if !pgOnly[name] {
			assert.Contains(t, sqliteQueries, name)
		}
	}
	for name := range sqliteQueries {
		if !sqliteOnly[name] {
			assert.Contains(t, postgresQueries, name)
		}
	}
}

func TestLoadQueriesErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"empty body", "-- name: a\n-- only a comment\n", `query "a" is empty`},
		{"duplicate", "-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;\n", `query "a" defined twice`},
		{"no name", "-- name:\nSELECT 1;\n", "q.sql:1: query without a name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadQueries(fstest.MapFS{"q.sql": {Data: []byte(tc.text)}}, "q.sql")
			assert.ErrorContains(t, err, tc.want)
		})
	}
	q, err := loadQueries(fstest.MapFS{"q.sql": {Data: []byte("-- header\n-- name: a\n-- why\nSELECT 1\nFROM t;\n")}}, "q.sql")
	require.NoError(t, err)
	assert.Equal(t, "SELECT 1\nFROM t;", q.get("a"))
	assert.Panics(t, func() { q.get("b") })
}

func TestMigrationsNumbered(t *testing.T) {
	for _, d := range []string{"sqlite", "postgres"} {
		ms, err := loadMigrations(d)
		require.NoError(t, err, d)
		require.NotEmpty(t, ms)
		for i, m := range ms {
			assert.Equal(t, i+1, m.Version)
			assert.NotEmpty(t, strings.TrimSpace(m.SQL))
		}
	}
}

func TestVectorCodecAndChecks(t *testing.T) {
	v := []float32{1.5, -2, 0, float32(math.SmallestNonzeroFloat32)}
	got, err := decodeVector(encodeVector(v))
	require.NoError(t, err)
	assert.Equal(t, v, got)
	_, err = decodeVector([]byte{1, 2, 3})
	assert.Error(t, err)

	for _, tc := range []struct {
		name string
		v    []float32
		ok   bool
	}{
		{"fine", []float32{0, 1}, true},
		{"empty means none", nil, true},
		{"NaN", []float32{float32(math.NaN())}, false},
		{"Inf", []float32{1, float32(math.Inf(1))}, false},
		{"zero", []float32{0, 0}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkVector(tc.v)
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, ErrDimension)
			}
		})
	}
}

func TestTopKMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ n, k int }{{0, 3}, {1, 3}, {5, 5}, {100, 10}, {1000, 1}} {
		all := make([]scored, tc.n)
		top := &topK{k: tc.k}
		for i := range all {
			all[i] = scored{id: string(rune('a'+i%26)) + time.Duration(i).String(), score: float64(rng.IntN(50))}
			top.offer(all[i])
		}
		sort.Slice(all, func(i, j int) bool { return better(all[i], all[j]) })
		assert.Equal(t, all[:min(tc.k, tc.n)], top.best(), "n=%d k=%d", tc.n, tc.k)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 123456000, time.UTC)
	gotAt, gotID, err := decodeCursor(encodeCursor(at, "019a-id"))
	require.NoError(t, err)
	assert.True(t, at.Equal(gotAt))
	assert.Equal(t, "019a-id", gotID)
	for _, bad := range []string{"%%%", "bm9kb3Q", "eC55"} {
		_, _, err := decodeCursor(bad)
		assert.ErrorIs(t, err, ErrBadCursor, bad)
	}
	assert.Equal(t, `%50\%\_a\\%`, likePattern(`50%_A\`))
}
