package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/medscribe/medscribe/api/ratelimit"
	"github.com/medscribe/medscribe/note"
)

// config is everything `serve`, `ingest` and `demo` need. Precedence: flags, then
// environment, then the YAML file (--config), then defaults. Secrets (API keys, database
// passwords) come from the environment or files only, never from flags.
type config struct {
	Addr        string `yaml:"addr"`         // MEDSCRIBE_ADDR, default 127.0.0.1:8080
	DataDir     string `yaml:"data_dir"`     // MEDSCRIBE_DATA_DIR, default ./data
	DatabaseURL string `yaml:"database_url"` // DATABASE_URL; empty = embedded SQLite in DataDir
	Dev         bool   `yaml:"dev"`          // authentication off, loudly
	PublicURL   string `yaml:"public_url"`   // MEDSCRIBE_PUBLIC_URL: how EHRs and browsers reach this server
	TLSCert     string `yaml:"tls_cert"`
	TLSKey      string `yaml:"tls_key"`
	LogLevel    string `yaml:"log_level"` // debug, info (default), warn, error

	LLMBaseURL string        `yaml:"llm_base_url"` // MEDSCRIBE_LLM_BASE_URL; empty = deterministic engines only
	LLMAPIKey  string        `yaml:"-"`            // MEDSCRIBE_LLM_API_KEY or OPENAI_API_KEY (environment only)
	LLMModel   string        `yaml:"llm_model"`    // MEDSCRIBE_LLM_MODEL
	LLMTimeout time.Duration `yaml:"llm_timeout"`  // default 30s
	EmbedModel string        `yaml:"embed_model"`  // MEDSCRIBE_EMBED_MODEL; empty = offline embedder
	EmbedDims  int           `yaml:"embed_dims"`   // default 1024
	ASRModel   string        `yaml:"asr_model"`    // MEDSCRIBE_ASR_MODEL; with LLMBaseURL selects remote ASR

	MaxBodyBytes  int64         `yaml:"max_body_bytes"`  // default 8 MiB
	MaxAudioBytes int64         `yaml:"max_audio_bytes"` // default 200 MiB
	Workers       int           `yaml:"workers"`         // default 2×CPUs
	JobTimeout    time.Duration `yaml:"job_timeout"`     // default 2m
	MaxAttempts   int           `yaml:"max_attempts"`    // default 5
	RulesDir      string        `yaml:"rules_dir"`       // empty = the shipped rule set
	VocabDir      string        `yaml:"vocab_dir"`       // MEDSCRIBE_VOCAB_DIR: vocabulary imported by `vocab import`, merged over the built-in one
	NoteTemplate  string        `yaml:"note_template"`   // full (default), soap, orthopedic

	CDS       cdsConfig       `yaml:"cds"`
	OIDC      oidcConfig      `yaml:"oidc"`
	RateLimit rateLimitConfig `yaml:"rate_limit"`
}

type oidcConfig struct {
	Issuer    string            `yaml:"issuer"`     // MEDSCRIBE_OIDC_ISSUER; empty = OIDC bearer tokens off
	Audience  string            `yaml:"audience"`   // MEDSCRIBE_OIDC_AUDIENCE; required with issuer
	JWKSURL   string            `yaml:"jwks_url"`   // default: discovered from the issuer
	RoleClaim string            `yaml:"role_claim"` // default "roles"; e.g. realm_access.roles
	RoleMap   map[string]string `yaml:"role_map"`   // IdP role → medscribe role; default identity
	Leeway    time.Duration     `yaml:"leeway"`     // default 30s
}

type rateLimitConfig struct {
	Rate  float64 `yaml:"rate"`  // requests/s per principal; default 50; negative = off
	Burst int     `yaml:"burst"` // default 100
}

type cdsConfig struct {
	JWKSURLs       []string      `yaml:"jwks_urls"`       // allow-listed jku values / key set URLs
	JWKSFile       string        `yaml:"jwks_file"`       // a static JWKS
	Issuers        []string      `yaml:"issuers"`         // iss allow-list
	FHIRServers    []string      `yaml:"fhir_servers"`    // fhirServer allow-list for fetching missing prefetch (empty: any)
	SimilarK       int           `yaml:"similar_k"`       // default 10
	SimilarMin     float64       `yaml:"similar_min"`     // default 0.3
	SimilarTimeout time.Duration `yaml:"similar_timeout"` // default 150ms
	ShownRetention time.Duration `yaml:"shown_retention"` // order-select -> order-sign de-duplication memory, default 24h
}

func defaultConfig() config {
	return config{
		Addr: "127.0.0.1:8080", DataDir: "data", LogLevel: "info", LLMTimeout: 30 * time.Second, EmbedDims: 1024,
		MaxBodyBytes: 8 << 20, MaxAudioBytes: 200 << 20, JobTimeout: 2 * time.Minute, MaxAttempts: 5, NoteTemplate: "full",
		CDS:       cdsConfig{SimilarK: 10, SimilarMin: 0.3, SimilarTimeout: 150 * time.Millisecond},
		RateLimit: rateLimitConfig{Rate: 50, Burst: 100},
	}
}

// configFlags binds the flags common to serve/ingest/demo; call resolve after Parse.
type configFlags struct {
	file    *string
	addr    *string
	dataDir *string
	dev     *bool
	tlsCert *string
	tlsKey  *string
	fs      *flag.FlagSet
}

func bindConfigFlags(fs *flag.FlagSet, server bool) *configFlags {
	cf := &configFlags{fs: fs}
	cf.file = fs.String("config", "", "YAML configuration file")
	cf.dataDir = fs.String("data-dir", "", "folder of the embedded store and uploads (default ./data)")
	if server {
		cf.addr = fs.String("addr", "", "listen address HOST:PORT (default 127.0.0.1:8080)")
		cf.dev = fs.Bool("dev", false, "development mode: authentication OFF (unsigned CDS Hooks calls accepted)")
		cf.tlsCert = fs.String("tls-cert", "", "TLS certificate file")
		cf.tlsKey = fs.String("tls-key", "", "TLS private key file")
	}
	return cf
}

// resolve merges defaults, file, environment and flags, and validates the result.
func (cf *configFlags) resolve(getenv func(string) string) (config, error) {
	c := defaultConfig()
	if *cf.file != "" {
		data, err := os.ReadFile(*cf.file)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return c, fmt.Errorf("config %s: %w", *cf.file, err)
		}
	}
	env := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	env("MEDSCRIBE_ADDR", &c.Addr)
	env("MEDSCRIBE_DATA_DIR", &c.DataDir)
	env("DATABASE_URL", &c.DatabaseURL)
	env("MEDSCRIBE_PUBLIC_URL", &c.PublicURL)
	env("MEDSCRIBE_LOG_LEVEL", &c.LogLevel)
	env("MEDSCRIBE_LLM_BASE_URL", &c.LLMBaseURL)
	env("OPENAI_API_KEY", &c.LLMAPIKey)
	env("MEDSCRIBE_LLM_API_KEY", &c.LLMAPIKey)
	env("MEDSCRIBE_LLM_MODEL", &c.LLMModel)
	env("MEDSCRIBE_EMBED_MODEL", &c.EmbedModel)
	env("MEDSCRIBE_ASR_MODEL", &c.ASRModel)
	env("MEDSCRIBE_VOCAB_DIR", &c.VocabDir)
	env("MEDSCRIBE_RULES_DIR", &c.RulesDir)
	env("MEDSCRIBE_OIDC_ISSUER", &c.OIDC.Issuer)
	env("MEDSCRIBE_OIDC_AUDIENCE", &c.OIDC.Audience)
	if v := getenv("MEDSCRIBE_DEV"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("config: MEDSCRIBE_DEV=%q is not a boolean", v)
		}
		c.Dev = b
	}
	if v := getenv("MEDSCRIBE_WORKERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return c, fmt.Errorf("config: MEDSCRIBE_WORKERS=%q is not a number", v)
		}
		c.Workers = n
	}
	if v := getenv("MEDSCRIBE_JOB_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return c, fmt.Errorf("config: MEDSCRIBE_JOB_TIMEOUT=%q: %v", v, err)
		}
		c.JobTimeout = d
	}
	if cf.addr != nil && *cf.addr != "" {
		c.Addr = *cf.addr
	}
	if *cf.dataDir != "" {
		c.DataDir = *cf.dataDir
	}
	if cf.dev != nil && *cf.dev {
		c.Dev = true
	}
	if cf.tlsCert != nil && *cf.tlsCert != "" {
		c.TLSCert = *cf.tlsCert
	}
	if cf.tlsKey != nil && *cf.tlsKey != "" {
		c.TLSKey = *cf.tlsKey
	}
	return c, c.validate()
}

func (c *config) validate() error {
	var errs []string
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Sprintf("addr %q: want HOST:PORT", c.Addr))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		errs = append(errs, "DATABASE_URL must start with postgres:// or postgresql://")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, "tls-cert and tls-key go together")
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		errs = append(errs, err.Error())
	}
	if c.LLMBaseURL != "" && c.LLMModel == "" {
		errs = append(errs, "MEDSCRIBE_LLM_BASE_URL is set but MEDSCRIBE_LLM_MODEL is not")
	}
	if c.MaxBodyBytes < 1024 || c.MaxAudioBytes < 1024 {
		errs = append(errs, "max_body_bytes and max_audio_bytes must be at least 1024")
	}
	if c.JobTimeout < time.Second {
		errs = append(errs, "job_timeout must be at least 1s")
	}
	if c.MaxAttempts < 1 || c.MaxAttempts > 25 {
		errs = append(errs, "max_attempts must be 1-25")
	}
	if c.EmbedDims < 8 || c.EmbedDims > 4096 {
		errs = append(errs, "embed_dims must be 8-4096")
	}
	if !slices.Contains(note.Templates(), c.NoteTemplate) {
		errs = append(errs, fmt.Sprintf("note_template %q: want one of %s", c.NoteTemplate, strings.Join(note.Templates(), ", ")))
	}
	if c.OIDC.Issuer != "" && c.OIDC.Audience == "" {
		errs = append(errs, "oidc.audience is required with oidc.issuer")
	}
	if c.RateLimit.Rate >= 0 {
		if err := ratelimit.Validate(&ratelimit.Config{Rate: c.RateLimit.Rate, Burst: c.RateLimit.Burst}); err != nil {
			errs = append(errs, "rate_limit: "+err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid configuration:\n  - %s", strings.Join(errs, "\n  - "))
	}
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("log_level %q: want debug, info, warn or error", s)
	}
	return l, nil
}
