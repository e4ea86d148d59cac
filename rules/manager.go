package rules

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

type atomicRuleSet = atomic.Pointer[RuleSet]

func (cfg *ManagerConfig) validate() error {
	if cfg.PollInterval < 0 {
		return errors.New("rules: PollInterval must not be negative")
	}
	if cfg.PollInterval > 0 && cfg.PollInterval < 100*time.Millisecond {
		return errors.New("rules: PollInterval under 100ms would burn CPU")
	}
	if cfg.Dir != "" {
		st, err := os.Stat(cfg.Dir)
		if err != nil {
			return fmt.Errorf("rules: rule directory: %w", err)
		}
		if !st.IsDir() {
			return fmt.Errorf("rules: %s is not a directory", cfg.Dir)
		}
	}
	return nil
}

func newManager(cfg *ManagerConfig) (*Manager, error) {
	if cfg == nil {
		cfg = &ManagerConfig{}
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	m := &Manager{cfg: *cfg, logger: cfg.Logger}
	if m.logger == nil {
		m.logger = slog.Default()
	}
	rs, stamp, err := m.loadNow()
	if err != nil {
		return nil, err
	}
	m.cur.Store(rs)
	m.stamp = stamp
	return m, nil
}

func (m *Manager) source() (fs.FS, string) {
	if m.cfg.Dir == "" {
		return shipped, "ruleset"
	}
	return os.DirFS(m.cfg.Dir), "."
}

func (m *Manager) loadNow() (*RuleSet, string, error) {
	fsys, root := m.source()
	stamp := m.stampOf()
	rs, err := Load(fsys, root)
	if err != nil {
		return nil, stamp, fmt.Errorf("load rules from %s: %w", m.describe(), err)
	}
	return rs, stamp, nil
}

func (m *Manager) describe() string {
	if m.cfg.Dir == "" {
		return "the shipped rule set"
	}
	return m.cfg.Dir
}

// stampOf summarises names, sizes and mtimes of the rule files, to notice changes cheaply.
func (m *Manager) stampOf() string {
	if m.cfg.Dir == "" {
		return "embedded"
	}
	entries, err := os.ReadDir(m.cfg.Dir)
	if err != nil {
		return "unreadable: " + err.Error()
	}
	var b strings.Builder
	for _, e := range entries {
		if !isRuleFile(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "%s %d %d;", e.Name(), info.Size(), info.ModTime().UnixNano())
	}
	return b.String()
}

func (m *Manager) reload(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.cur.Load()
	rs, stamp, err := m.loadNow()
	// A failed attempt records the stamp too, so polling retries only after the next change.
	m.stamp = stamp
	if err != nil {
		var rerrs *Errors
		n := 0
		if errors.As(err, &rerrs) {
			n = len(rerrs.Problems)
		}
		m.logger.Error("rule reload failed; keeping the current rule set",
			slog.String("current", old.Version()), slog.Int("problems", n), slog.Any("error", err))
		return err
	}
	m.cur.Store(rs)
	if rs.Version() != old.Version() {
		m.logger.Info("rules reloaded", slog.String("from", old.Version()), slog.String("to", rs.Version()),
			slog.Int("rules", len(rs.c.all)))
	}
	return nil
}

func (m *Manager) start(ctx context.Context) error {
	if m.cfg.PollInterval == 0 || m.cfg.Dir == "" || m.stop != nil {
		return nil
	}
	m.stop, m.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(m.done)
		t := time.NewTicker(m.cfg.PollInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-m.stop:
				return
			case <-t.C:
				m.mu.Lock()
				changed := m.stampOf() != m.stamp
				m.mu.Unlock()
				if changed {
					// A failed reload is logged and keeps the current set.
					_ = m.reload(ctx)
				}
			}
		}
	}()
	return nil
}

func (m *Manager) stopPolling(ctx context.Context) error {
	if m.stop == nil {
		return nil
	}
	close(m.stop)
	select {
	case <-m.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	m.stop = nil
	return nil
}
