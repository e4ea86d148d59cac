package rules

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeRules(t *testing.T, dir, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(content), 0o644))
}

func goodRules(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/good/rules.yaml")
	require.NoError(t, err)
	return string(b)
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestManagerBadReloadKeepsOldSet(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeRules(t, dir, goodRules(t))
	m, err := NewManager(&ManagerConfig{Dir: dir, Logger: quietLogger()})
	require.NoError(t, err)
	before := m.Current()
	require.Contains(t, before.Version(), "small-set@0.1.0")

	// A broken file: the reload fails with every problem, and the old set stays in force.
	writeRules(t, dir, strings.Replace(goodRules(t), "severity: major", "severity: huge", 1))
	err = m.Reload(context.Background())
	var perrs *Errors
	require.True(t, errors.As(err, &perrs), "got %v", err)
	assert.Contains(t, err.Error(), `rules.yaml:15:15: rule ddi-warfarin-nsaid: severity "huge"`)
	assert.Same(t, before, m.Current())
	alerts := m.Current().Evaluate(&Patient{Medications: []Med{{ID: "w", Name: "warfarin"}, {ID: "n", Name: "naproxen"}}})
	require.Len(t, alerts, 1)
	assert.Equal(t, SeverityMajor, alerts[0].Severity)

	// A good change is picked up.
	writeRules(t, dir, strings.Replace(strings.Replace(goodRules(t), "severity: major", "severity: moderate", 1), "0.1.0", "0.2.0", 1))
	require.NoError(t, m.Reload(context.Background()))
	assert.Contains(t, m.Current().Version(), "small-set@0.2.0")
	alerts = m.Current().Evaluate(&Patient{Medications: []Med{{ID: "w", Name: "warfarin"}, {ID: "n", Name: "naproxen"}}})
	require.Len(t, alerts, 1)
	assert.Equal(t, SeverityModerate, alerts[0].Severity)
}

func TestManagerPollsForChanges(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeRules(t, dir, goodRules(t))
	m, err := NewManager(&ManagerConfig{Dir: dir, PollInterval: 100 * time.Millisecond, Logger: quietLogger()})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, m.Start(ctx))
	defer func() { require.NoError(t, m.Stop(ctx)) }()

	// A broken edit is ignored (the old set stays); the next good edit is loaded.
	old := m.Current()
	writeRules(t, dir, "ruleset: {name: small-set, version: 0.3.0}\nclasses: [}\n")
	time.Sleep(350 * time.Millisecond)
	assert.Same(t, old, m.Current())
	writeRules(t, dir, strings.Replace(goodRules(t), "0.1.0", "0.3.0", 1))
	assert.Eventually(t, func() bool { return strings.Contains(m.Current().Version(), "@0.3.0") },
		10*time.Second, 50*time.Millisecond)
}

func TestManagerDefaultIsShippedSet(t *testing.T) {
	t.Parallel()
	m, err := NewManager(nil)
	require.NoError(t, err)
	rs, err := Default()
	require.NoError(t, err)
	assert.Equal(t, rs.Version(), m.Current().Version())
	require.NoError(t, m.Reload(context.Background()))
	assert.Equal(t, rs.Version(), m.Current().Version())
}

func TestManagerConfigValidation(t *testing.T) {
	t.Parallel()
	for _, cfg := range []*ManagerConfig{
		{Dir: "testdata/does-not-exist"},
		{Dir: "testdata/good/rules.yaml"},
		{PollInterval: -time.Second},
		{Dir: "testdata/good", PollInterval: time.Millisecond},
	} {
		_, err := NewManager(cfg)
		assert.Error(t, err, "%+v", cfg)
	}
	_, err := NewManager(&ManagerConfig{Dir: "testdata/bad"})
	assert.Error(t, err, "an initial load that fails is an error")
}
