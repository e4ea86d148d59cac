package rules

import (
	"context"
	"io/fs"
	"log/slog"
	"sync"
	"time"
)

// RuleSet is a loaded, validated, immutable rule set. It is safe for concurrent use.
type RuleSet struct {
	name, version, hash string
	c                   *compiled
}

// Version names the rule set for provenance: name@semver+sha256:<first 12 hex of the content hash>.
func (rs *RuleSet) Version() string { return rs.name + "@" + rs.version + "+sha256:" + rs.hash }

// Load reads every rule file (*.yaml, *.yml, not *_test.yaml) directly under root in fsys,
// strictly: unknown fields, bad values, duplicate ids and unknown class or drug references are
// errors. All problems are returned at once as an *Errors, one "file:line:col: rule ID: message"
// each.
func Load(fsys fs.FS, root string) (*RuleSet, error) { return load(fsys, root) }

// Default returns the shipped rule set embedded in the binary.
func Default() (*RuleSet, error) { return loadDefault() }

// ManagerConfig configures a Manager.
type ManagerConfig struct {
	// Dir is the rule directory on disk. Default "": the embedded shipped rule set.
	Dir string
	// PollInterval makes Start watch Dir's rule files by mtime and reload on change.
	// Default 0: no watching (reload only by calling Reload). Ignored when Dir is "".
	PollInterval time.Duration
	// Logger receives reload outcomes (version, counts, errors). Default: slog.Default().
	Logger *slog.Logger
}

// Manager holds the current rule set and swaps it atomically on a successful reload.
type Manager struct {
	cfg    ManagerConfig
	logger *slog.Logger
	cur    atomicRuleSet
	mu     sync.Mutex // serialises reloads and guards stamp
	stamp  string
	stop   chan struct{}
	done   chan struct{}
}

// NewManager loads the initial rule set; it fails when that load fails.
func NewManager(cfg *ManagerConfig) (*Manager, error) { return newManager(cfg) }

// Current returns the rule set in force. Callers keep the returned pointer for one request so
// a concurrent reload never mixes two versions in one answer.
func (m *Manager) Current() *RuleSet { return m.cur.Load() }

// Reload loads the rule set again (from Dir, or the embedded set). On failure the current set
// stays in force and the error (an *Errors for rule problems) is returned.
func (m *Manager) Reload(ctx context.Context) error { return m.reload(ctx) }

// Start begins polling Dir for changes when PollInterval > 0; it returns at once. Stop ends it.
func (m *Manager) Start(ctx context.Context) error { return m.start(ctx) }

// Stop ends polling started by Start and waits for it to finish.
func (m *Manager) Stop(ctx context.Context) error { return m.stopPolling(ctx) }

// Evaluate returns the alerts for p, in a deterministic order: most severe first, then
// high-priority, then rule id, then the order of meds in p. Alerts involving a draft order carry
// DraftMedID; callers answering order-select/order-sign typically keep only those.
func (rs *RuleSet) Evaluate(p *Patient) []Alert { return rs.c.evaluate(p) }

// ClassesOf returns the ids of the classes a drug belongs to (by RxCUI, else by name), sorted;
// nil when the drug is unknown.
func (rs *RuleSet) ClassesOf(rxcui, name string) []string { return rs.c.classesOf(rxcui, name) }

// Lookup resolves a drug name or RxCUI to the rule set's ingredient name and RxCUI, so callers
// can match medications recorded without codes. ok is false when the drug is unknown.
func (rs *RuleSet) Lookup(rxcui, name string) (ingredient, ingredientRxCUI string, ok bool) {
	return rs.c.lookup(rxcui, name)
}

// Counts reports how many rules of each section the set holds (for logs and reports).
func (rs *RuleSet) Counts() map[string]int { return rs.c.counts() }

// RuleInfo describes one rule, for listings and per-rule feedback reports.
type RuleInfo struct {
	ID           string
	Kind         string
	Severity     string // before modifiers
	HighPriority bool
	// Summary is the summary template ({a}, {b}, {drug}, {allergen} stand for names).
	Summary  string
	Citation Citation
}

// Rules lists every rule in file order.
func (rs *RuleSet) Rules() []RuleInfo {
	out := make([]RuleInfo, len(rs.c.all))
	for i, r := range rs.c.all {
		out[i] = RuleInfo{ID: r.id, Kind: r.kind, Severity: sevNames[r.sev], HighPriority: r.highPriority,
			Summary: r.summary, Citation: r.citation}
	}
	return out
}

// Rule describes the rule with this id; ok is false when the set has no such rule.
func (rs *RuleSet) Rule(id string) (RuleInfo, bool) {
	r, ok := rs.c.ruleByID[id]
	if !ok {
		return RuleInfo{}, false
	}
	return RuleInfo{ID: r.id, Kind: r.kind, Severity: sevNames[r.sev], HighPriority: r.highPriority,
		Summary: r.summary, Citation: r.citation}, true
}
