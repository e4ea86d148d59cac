package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/medscribe/medscribe/api"
	"github.com/medscribe/medscribe/api/ratelimit"
	"github.com/medscribe/medscribe/ingest"
	"github.com/medscribe/medscribe/store"
	"github.com/prometheus/client_golang/prometheus"
)

// app is the running program: store, engines, pipeline, queue and HTTP server. Tests start
// it on port :0 (see app_test.go); main starts it through serve.
type app struct {
	cfg      config
	log      *slog.Logger
	store    store.Store
	engines  *engines
	pipeline *ingest.Pipeline
	queue    *ingest.Queue
	server   *api.Server
	http     *http.Server
	ln       net.Listener
}

// appMode says which parts to start.
type appMode struct {
	queue bool // run River workers (serve)
	http  bool // listen on cfg.Addr (serve)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	l, _ := parseLevel(level)
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// openApp resolves the configuration from cf (flags, environment, file) and opens the app:
// what every subcommand that works on the store does first.
func openApp(ctx context.Context, cf *configFlags, logOut io.Writer, mode appMode) (*app, config, error) {
	cfg, err := cf.resolve(os.Getenv)
	if err != nil {
		return nil, cfg, err
	}
	a, err := newApp(ctx, cfg, logOut, mode)
	return a, cfg, err
}

func newApp(ctx context.Context, cfg config, logOut io.Writer, mode appMode) (a *app, err error) {
	a = &app{cfg: cfg, log: newLogger(logOut, cfg.LogLevel)}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	a.store, err = store.Open(ctx, store.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: a.log})
	if err != nil {
		return a, fmt.Errorf("open store: %w", err)
	}
	a.engines, err = buildEngines(ctx, cfg, a.store, a.log)
	if err != nil {
		return a, err
	}
	a.pipeline, err = ingest.New(&ingest.Config{
		Store: a.store, Extractor: a.engines.extractor, Drafter: a.engines.drafter, Alerter: a.engines.alerter,
		Cases: a.engines.cases, ASR: a.engines.asr, RulesVersion: a.engines.rulesVersion(), Logger: a.log,
	})
	if err != nil {
		return a, err
	}
	if mode.queue {
		a.queue, err = ingest.NewQueue(a.pipeline, &ingest.QueueConfig{
			Workers: cfg.Workers, MaxAttempts: cfg.MaxAttempts, JobTimeout: cfg.JobTimeout, Logger: a.log,
		})
		if err != nil {
			return a, err
		}
		if err := a.queue.Migrate(ctx); err != nil {
			return a, err
		}
	}
	if mode.http {
		if err := a.startHTTP(ctx); err != nil {
			return a, err
		}
	}
	return a, nil
}

func (a *app) startHTTP(ctx context.Context) error {
	var q api.Enqueuer
	if a.queue != nil {
		q = a.queue
	}
	var rl gin.HandlerFunc
	if a.cfg.RateLimit.Rate >= 0 && !a.cfg.Dev { // --dev has one principal for everyone: a limit would only get in the way
		rl = ratelimit.New(&ratelimit.Config{Rate: a.cfg.RateLimit.Rate, Burst: a.cfg.RateLimit.Burst}).Middleware(func(c *gin.Context) string {
			if p := api.PrincipalFrom(c.Request.Context()); p != nil {
				return p.Name
			}
			return ""
		})
	}
	metrics := api.NewMetrics()
	metrics.Registry().MustRegister(newStoreCollector(a.store))
	srv, err := api.New(&api.Config{
		RateLimit: rl, Metrics: metrics,
		Store: a.store, Pipeline: a.pipeline, Queue: q, Mounts: a.engines.mounts, Similar: a.engines.similar,
		FeedbackSummary: a.engines.feedbackSummary, Authenticators: a.engines.authenticators, Dev: a.cfg.Dev,
		MaxBodyBytes: a.cfg.MaxBodyBytes, MaxAudioBytes: a.cfg.MaxAudioBytes,
		AudioDir: filepath.Join(a.cfg.DataDir, "audio"), Version: version, Logger: a.log,
	})
	if err != nil {
		return err
	}
	a.server = srv
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	a.ln = ln
	a.http = &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // audio uploads
		WriteTimeout:      5 * time.Minute, // ?wait=true
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	if a.cfg.TLSCert != "" {
		a.http.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return nil
}

// URL is the base URL the server listens on.
func (a *app) URL() string {
	scheme := "http"
	if a.cfg.TLSCert != "" {
		scheme = "https"
	}
	return scheme + "://" + a.ln.Addr().String()
}

// Run serves until ctx is cancelled, then shuts down gracefully.
func (a *app) Run(ctx context.Context) error {
	if a.queue != nil {
		if err := a.queue.Start(ctx); err != nil {
			return err
		}
	}
	go a.reindexIfEmbedderChanged(ctx)
	if addr := os.Getenv("MEDSCRIBE_PPROF_ADDR"); addr != "" {
		go a.servePprof(ctx, addr)
	}
	errc := make(chan error, 1)
	go func() {
		var err error
		if a.cfg.TLSCert != "" {
			err = a.http.ServeTLS(a.ln, a.cfg.TLSCert, a.cfg.TLSKey)
		} else {
			err = a.http.Serve(a.ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
		close(errc)
	}()
	for _, w := range a.engines.warnings {
		a.log.Warn(w)
	}
	a.log.Info("medscribe serving", "addr", a.ln.Addr().String(), "store", a.store.Dialect(), "dev", a.cfg.Dev)
	select {
	case <-ctx.Done():
	case err := <-errc:
		return err
	}
	shut, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := a.http.Shutdown(shut)
	if a.queue != nil {
		err = errors.Join(err, a.queue.Stop(shut))
	}
	return err
}

// Close releases everything newApp opened.
func (a *app) Close() error {
	var err error
	if a.ln != nil && a.http == nil {
		err = a.ln.Close()
	}
	if a.engines != nil {
		a.engines.close()
	}
	if a.store != nil {
		err = errors.Join(err, a.store.Close())
	}
	return err
}

// reindexIfEmbedderChanged re-embeds the case base in the background when it was embedded
// by another embedder (a new model or dimension): until it is done, similar-case search
// answers that it is being rebuilt rather than returning wrong neighbours.
func (a *app) reindexIfEmbedderChanged(ctx context.Context) {
	if a.engines == nil || a.engines.sim == nil {
		return
	}
	st, err := a.store.CaseStats(ctx)
	if err != nil || st.Count == 0 || st.Embedder == "" || st.Embedder == a.engines.sim.EmbedderName() {
		return
	}
	a.log.Info("embedder changed: re-embedding cases in the background", "cases", st.Count, "from", st.Embedder, "to", a.engines.sim.EmbedderName())
	n, err := a.engines.sim.Reindex(ctx, nil)
	if err != nil {
		a.log.Error("background reindex failed", "done", n, "err", err)
		return
	}
	a.log.Info("background reindex done", "cases", n)
}

// storeCollector exports the case base size and, for the embedded store, the memory of its
// in-memory case vectors, so memory measurements can tell growth with the data (expected)
// from a leak. Counts only; the store is asked at most once a second, however often /metrics
// (which is public) is scraped.
type storeCollector struct {
	st            store.Store
	cases, vecMem *prometheus.Desc

	mu      sync.Mutex
	at      time.Time
	count   int
	counted bool
}

func newStoreCollector(st store.Store) *storeCollector {
	return &storeCollector{st: st,
		cases:  prometheus.NewDesc("medscribe_cases", "Cases in the similar-case base (every ingested visit is one).", nil, nil),
		vecMem: prometheus.NewDesc("medscribe_case_vector_cache_bytes", "Memory of the embedded store's in-memory case vectors (grows with the case base).", nil, nil)}
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.cases; ch <- c.vecMem }

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	if now := time.Now(); now.Sub(c.at) >= time.Second {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		st, err := c.st.CaseStats(ctx)
		cancel()
		c.at, c.count, c.counted = now, st.Count, err == nil
	}
	count, counted := c.count, c.counted
	c.mu.Unlock()
	if counted {
		ch <- prometheus.MustNewConstMetric(c.cases, prometheus.GaugeValue, float64(count))
	}
	if v, ok := c.st.(interface{ VectorCacheBytes() int64 }); ok {
		ch <- prometheus.MustNewConstMetric(c.vecMem, prometheus.GaugeValue, float64(v.VectorCacheBytes()))
	}
}

// servePprof serves Go's profiler on a separate loopback listener when MEDSCRIBE_PPROF_ADDR is
// set (for diagnosing load; never on the public port).
func (a *app) servePprof(ctx context.Context, addr string) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		a.log.Error("MEDSCRIBE_PPROF_ADDR must be a loopback HOST:PORT", "addr", addr)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { <-ctx.Done(); srv.Close() }()
	_ = srv.ListenAndServe()
}
