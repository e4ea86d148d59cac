package ingest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/medscribe/medscribe/store"
)

// ProcessArgs is the River job that turns a queued visit into a draft.
type ProcessArgs struct {
	VisitID string `json:"visit_id" river:"unique"`
}

// Kind is River's name for the job.
func (ProcessArgs) Kind() string { return "medscribe.process_visit" }

// QueueConfig configures the durable queue.
type QueueConfig struct {
	// Workers is how many visits are processed at once; default 2 × GOMAXPROCS.
	Workers int
	// MaxAttempts is how often a visit is tried before it is marked failed; default 5.
	MaxAttempts int
	// JobTimeout bounds one attempt; default 2 minutes. A job still marked running after
	// JobTimeout + RescueGrace (its worker died) is retried.
	JobTimeout time.Duration
	// RescueGrace defaults to 15 s.
	RescueGrace time.Duration
	// RetryBase is the first retry delay, doubled each attempt up to RetryMax; defaults 1 s and 5 min.
	RetryBase, RetryMax time.Duration
	// PollInterval is how often workers look for jobs inserted by other processes; default 200 ms.
	PollInterval time.Duration
	// ResumeInterval is how often visits left queued or processing are enqueued again, so a
	// visit whose enqueue failed (the database went away between storing the visit and
	// inserting its job, and the client was told 503) is still processed without a restart.
	// Enqueuing a visit that has a job is a no-op. Default 15 s.
	ResumeInterval time.Duration
	Logger         *slog.Logger
}

func (c *QueueConfig) withDefaults() QueueConfig {
	out := QueueConfig{}
	if c != nil {
		out = *c
	}
	if out.Workers <= 0 {
		out.Workers = 2 * runtime.GOMAXPROCS(0)
	}
	if out.MaxAttempts <= 0 {
		out.MaxAttempts = 5
	}
	if out.JobTimeout <= 0 {
		out.JobTimeout = 2 * time.Minute
	}
	if out.RescueGrace <= 0 {
		out.RescueGrace = 15 * time.Second
	}
	if out.RetryBase <= 0 {
		out.RetryBase = time.Second
	}
	if out.RetryMax <= 0 {
		out.RetryMax = 5 * time.Minute
	}
	if out.PollInterval <= 0 {
		out.PollInterval = 200 * time.Millisecond
	}
	if out.ResumeInterval <= 0 {
		out.ResumeInterval = 15 * time.Second
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	return out
}

// SQLDB is a store backed by database/sql (the embedded SQLite store).
type SQLDB interface{ DB() *sql.DB }

// PgxPool is a store backed by a pgx pool (the PostgreSQL store).
type PgxPool interface{ Pool() *pgxpool.Pool }

// Queue runs ProcessArgs jobs on River over the pipeline's own database.
type Queue struct {
	p       *Pipeline
	cfg     QueueConfig
	enqueue func(ctx context.Context, id string) error
	start   func(ctx context.Context) error
	stop    func(ctx context.Context) error
	migrate func(ctx context.Context) error
}

// NewQueue builds the queue on the store's database (it must be one of the two backends).
func NewQueue(p *Pipeline, cfg *QueueConfig) (*Queue, error) {
	q := &Queue{p: p, cfg: cfg.withDefaults()}
	switch db := p.cfg.Store.(type) {
	case PgxPool:
		return q, bindRiver(q, riverpgxv5.New(db.Pool()))
	case SQLDB:
		return q, bindRiver(q, riversqlite.New(db.DB()))
	default:
		return nil, fmt.Errorf("ingest: store %T has no database River can use", p.cfg.Store)
	}
}

func bindRiver[TTx any](q *Queue, driver riverdriver.Driver[TTx]) error {
	workers := river.NewWorkers()
	river.AddWorker(workers, &processWorker{q: q})
	client, err := river.NewClient(driver, &river.Config{
		Logger:               q.cfg.Logger.With("component", "river"),
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: q.cfg.Workers}},
		Workers:              workers,
		MaxAttempts:          q.cfg.MaxAttempts,
		JobTimeout:           q.cfg.JobTimeout,
		RescueStuckJobsAfter: q.cfg.JobTimeout + q.cfg.RescueGrace,
		FetchCooldown:        5 * time.Millisecond,
		FetchPollInterval:    q.cfg.PollInterval,
	})
	if err != nil {
		return fmt.Errorf("river client: %w", err)
	}
	q.enqueue = func(ctx context.Context, id string) error {
		_, err := client.Insert(ctx, ProcessArgs{VisitID: id}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}})
		return err
	}
	q.start = client.Start
	q.stop = client.Stop
	q.migrate = func(ctx context.Context) error {
		m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: q.cfg.Logger.With("component", "river-migrate")})
		if err != nil {
			return err
		}
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		return err
	}
	return nil
}

// Migrate creates or upgrades River's tables.
func (q *Queue) Migrate(ctx context.Context) error {
	if err := q.migrate(ctx); err != nil {
		return fmt.Errorf("migrate job queue: %w", err)
	}
	return nil
}

// Start starts the workers and re-enqueues every visit left queued or processing by an
// earlier run, so a restart resumes unfinished work.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.start(ctx); err != nil {
		return fmt.Errorf("start job queue: %w", err)
	}
	if err := q.resume(ctx); err != nil {
		return err
	}
	go q.resumeEvery(ctx, q.cfg.ResumeInterval)
	return nil
}

// resume enqueues every visit left queued or processing.
func (q *Queue) resume(ctx context.Context) error {
	ids, err := q.p.cfg.Store.VisitIDsWithStatus(ctx, "queued", "processing")
	if err != nil {
		return fmt.Errorf("find unfinished visits: %w", err)
	}
	for _, id := range ids {
		if err := q.Enqueue(ctx, id); err != nil {
			return err
		}
	}
	if len(ids) > 0 {
		q.cfg.Logger.DebugContext(ctx, "enqueued unfinished visits", "count", len(ids))
	}
	return nil
}

// resumeEvery runs resume until ctx ends; failures (the database is down) are retried at the
// next tick.
func (q *Queue) resumeEvery(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := q.resume(ctx); err != nil && ctx.Err() == nil {
				q.cfg.Logger.WarnContext(ctx, "re-enqueue of unfinished visits failed", "err", err)
			}
		}
	}
}

// Stop waits for running jobs to finish (bounded by ctx).
func (q *Queue) Stop(ctx context.Context) error { return q.stop(ctx) }

// Enqueue schedules the visit for processing. Enqueuing a visit that already has a job
// waiting or running is a no-op.
func (q *Queue) Enqueue(ctx context.Context, visitID string) error {
	if err := q.enqueue(ctx, visitID); err != nil {
		// River returns the driver's errors. When the database cannot be reached, say so with
		// the store's sentinel, so that the API answers 503 (retry later), not 500.
		if pErr := q.p.cfg.Store.Ping(ctx); pErr != nil {
			return fmt.Errorf("enqueue visit %s: %w: %w", visitID, store.ErrUnavailable, err)
		}
		return fmt.Errorf("enqueue visit %s: %w", visitID, err)
	}
	return nil
}

type processWorker struct {
	river.WorkerDefaults[ProcessArgs]
	q *Queue
}

func (w *processWorker) Work(ctx context.Context, job *river.Job[ProcessArgs]) error {
	err := w.q.p.Process(ctx, job.Args.VisitID)
	if err == nil {
		return nil
	}
	var perm *PermanentError
	if errors.As(err, &perm) {
		if mErr := w.q.p.MarkFailed(ctx, job.Args.VisitID, err); mErr != nil {
			return mErr // retry until the failure itself is recorded
		}
		return river.JobCancel(err)
	}
	if job.Attempt >= job.MaxAttempts {
		if mErr := w.q.p.MarkFailed(ctx, job.Args.VisitID, fmt.Errorf("gave up after %d attempts: %w", job.Attempt, err)); mErr != nil {
			return mErr
		}
	}
	return err
}

// NextRetry backs off exponentially with jitter.
func (w *processWorker) NextRetry(job *river.Job[ProcessArgs]) time.Time {
	d := w.q.cfg.RetryBase << min(job.Attempt-1, 20)
	if d > w.q.cfg.RetryMax || d <= 0 {
		d = w.q.cfg.RetryMax
	}
	d += time.Duration(rand.Int64N(int64(d)/4 + 1))
	return time.Now().Add(d)
}
