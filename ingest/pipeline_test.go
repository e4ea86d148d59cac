package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/ingest"
	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/visit"
)

// faultyExtractor finds the words "chest pain" and fails on demand: the pipeline tests are
// about durability and retries, so they need an extractor whose failures they control. The
// real engine is exercised end to end in cmd/medscribe's tests.
type faultyExtractor struct {
	failFirst int32 // fail this many calls, then succeed
	permanent bool  // fail with a PermanentError
	calls     atomic.Int32
	perVisit  sync.Map // visit text → calls
}

func (f *faultyExtractor) ExtractItems(ctx context.Context, tr visit.Transcript) (*ingest.Items, error) {
	n := f.calls.Add(1)
	if n <= f.failFirst {
		if f.permanent {
			return nil, &ingest.PermanentError{Err: errors.New("engine rejected input")}
		}
		return nil, fmt.Errorf("transient failure %d", n)
	}
	items := &ingest.Items{Engine: "test"}
	for i, t := range tr.Turns {
		if j := indexOf(t.Text, "chest pain"); j >= 0 {
			items.Problems = append(items.Problems, visit.Problem{Text: "chest pain", Assertion: visit.Present,
				Evidence: []visit.Evidence{tr.NewEvidence(i, j, j+len("chest pain"))}})
		}
	}
	return items, nil
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func openStore(t *testing.T, dir string) store.Store {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(dir, "medscribe.db"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	return st
}

func newPipeline(t *testing.T, st store.Store, x ingest.Extractor) *ingest.Pipeline {
	t.Helper()
	p, err := ingest.New(&ingest.Config{Store: st, Extractor: x, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	return p
}

func sub(id, text string) ingest.Submission {
	return ingest.Submission{Source: "test", ExternalID: id, Transcript: visit.Transcript{Turns: []visit.Turn{
		{Speaker: visit.Doctor, Text: "any chest pain?"}, {Speaker: visit.Patient, Text: text},
	}}}
}

func TestSubmitIsIdempotentAndVersions(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	p := newPipeline(t, st, &faultyExtractor{})
	ctx := context.Background()

	a, created, err := p.Submit(ctx, sub("v1", "yes, chest pain since monday"))
	require.NoError(t, err)
	assert.True(t, created)
	b, created, err := p.Submit(ctx, sub("v1", "yes, chest pain since monday"))
	require.NoError(t, err)
	assert.False(t, created, "same content must give the same visit")
	assert.Equal(t, a.ID, b.ID)

	c, created, err := p.Submit(ctx, sub("v1", "yes, chest pain since tuesday"))
	require.NoError(t, err)
	assert.True(t, created)
	assert.NotEqual(t, a.ID, c.ID)
	assert.Equal(t, 2, c.Version)
	old, err := st.GetVisit(ctx, a.ID)
	require.NoError(t, err, "the old version is kept")
	assert.Equal(t, 1, old.Version)
}

func TestSubmitRefusesEmptyInput(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	p := newPipeline(t, st, &faultyExtractor{})
	_, _, err := p.Submit(context.Background(), ingest.Submission{ExternalID: "x"})
	assert.ErrorIs(t, err, ingest.ErrInvalid)
	_, _, err = p.Submit(context.Background(), ingest.Submission{Transcript: visit.Transcript{Turns: []visit.Turn{{Speaker: visit.Doctor, Text: "hi"}}}})
	assert.ErrorIs(t, err, ingest.ErrInvalid)
}

func TestProcessStoresGroundedDraft(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	p := newPipeline(t, st, &faultyExtractor{})
	ctx := context.Background()
	rec, _, err := p.Submit(ctx, sub("v1", "yes, chest pain since monday"))
	require.NoError(t, err)
	require.NoError(t, p.Process(ctx, rec.ID))
	got, err := st.GetVisit(ctx, rec.ID)
	require.NoError(t, err)
	assert.Equal(t, visit.StatusDraft, got.Status)
	require.Len(t, got.Problems, 2, "one per mention in the test extractor")
	assert.NoError(t, got.Validate())
}

// badEvidence returns evidence outside the transcript: the pipeline must refuse to store it.
type badEvidence struct{}

func (badEvidence) ExtractItems(ctx context.Context, tr visit.Transcript) (*ingest.Items, error) {
	return &ingest.Items{Problems: []visit.Problem{{Text: "x", Assertion: visit.Present,
		Evidence: []visit.Evidence{{Turn: 9, Start: 0, End: 3, Quote: "abc"}}}}}, nil
}

func TestProcessRefusesUngroundedOutput(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	p := newPipeline(t, st, badEvidence{})
	ctx := context.Background()
	rec, _, err := p.Submit(ctx, sub("v1", "fine"))
	require.NoError(t, err)
	err = p.Process(ctx, rec.ID)
	var perm *ingest.PermanentError
	require.ErrorAs(t, err, &perm)
	got, err := st.GetVisit(ctx, rec.ID)
	require.NoError(t, err)
	assert.Equal(t, visit.StatusQueued, got.Status, "nothing half-written")
	assert.Empty(t, got.Problems)
}

func waitStatus(t *testing.T, st store.Store, id string, want visit.Status) *visit.Record {
	t.Helper()
	var rec *visit.Record
	require.Eventually(t, func() bool {
		var err error
		rec, err = st.GetVisit(context.Background(), id)
		return err == nil && rec.Status == want
	}, 30*time.Second, 20*time.Millisecond, "visit %s never reached %s", id, want)
	return rec
}

func startQueue(t *testing.T, p *ingest.Pipeline, cfg *ingest.QueueConfig) *ingest.Queue {
	t.Helper()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.RetryBase = 10 * time.Millisecond
	cfg.RetryMax = 50 * time.Millisecond
	cfg.PollInterval = 20 * time.Millisecond
	q, err := ingest.NewQueue(p, cfg)
	require.NoError(t, err)
	require.NoError(t, q.Migrate(context.Background()))
	require.NoError(t, q.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
	return q
}

func TestQueueRetriesTransientFailures(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	x := &faultyExtractor{failFirst: 2}
	p := newPipeline(t, st, x)
	q := startQueue(t, p, &ingest.QueueConfig{MaxAttempts: 5})
	rec, _, err := p.Submit(context.Background(), sub("v1", "yes, chest pain"))
	require.NoError(t, err)
	require.NoError(t, q.Enqueue(context.Background(), rec.ID))
	waitStatus(t, st, rec.ID, visit.StatusDraft)
	assert.EqualValues(t, 3, x.calls.Load(), "two failures, then success")
}

func TestQueueMarksFailedWithReason(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	p := newPipeline(t, st, &faultyExtractor{failFirst: 100})
	q := startQueue(t, p, &ingest.QueueConfig{MaxAttempts: 3})
	rec, _, err := p.Submit(context.Background(), sub("v1", "yes"))
	require.NoError(t, err)
	require.NoError(t, q.Enqueue(context.Background(), rec.ID))
	got := waitStatus(t, st, rec.ID, visit.StatusFailed)
	assert.Contains(t, got.Error, "gave up after 3 attempts")
	assert.Contains(t, got.Error, "transient failure")
}

func TestQueuePermanentFailureIsNotRetried(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	x := &faultyExtractor{failFirst: 100, permanent: true}
	p := newPipeline(t, st, x)
	q := startQueue(t, p, &ingest.QueueConfig{MaxAttempts: 5})
	rec, _, err := p.Submit(context.Background(), sub("v1", "yes"))
	require.NoError(t, err)
	require.NoError(t, q.Enqueue(context.Background(), rec.ID))
	got := waitStatus(t, st, rec.ID, visit.StatusFailed)
	assert.Contains(t, got.Error, "engine rejected input")
	assert.EqualValues(t, 1, x.calls.Load())
}

// TestRestartResumesUnfinishedVisits stores visits with no worker running (as if the process
// died after accepting them), then starts a queue: every visit is processed exactly once.
func TestRestartResumesUnfinishedVisits(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	p := newPipeline(t, st, &faultyExtractor{})
	var ids []string
	for i := 0; i < 40; i++ {
		rec, _, err := p.Submit(context.Background(), sub(fmt.Sprintf("v%03d", i), "yes, chest pain"))
		require.NoError(t, err)
		ids = append(ids, rec.ID)
	}
	require.NoError(t, st.Close())

	st = openStore(t, dir)
	defer st.Close()
	x := &faultyExtractor{}
	p = newPipeline(t, st, x)
	startQueue(t, p, &ingest.QueueConfig{})
	for _, id := range ids {
		waitStatus(t, st, id, visit.StatusDraft)
	}
	assert.EqualValues(t, len(ids), x.calls.Load(), "each visit processed exactly once")
	page, err := st.ListVisits(context.Background(), store.VisitFilter{Limit: 500})
	require.NoError(t, err)
	assert.Len(t, page.Visits, len(ids), "no visit duplicated")
}
