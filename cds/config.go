package cds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/medscribe/medscribe/rules"
	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/visit"
)

// SimilarFinder adds a "patients like this one" card. It is declared here, where it is used;
// the similar-case engine implements it. It must honour ctx: the service cancels it after
// Config.SimilarTimeout so rule cards are never late. A nil card means nothing to say.
type SimilarFinder interface {
	SimilarCards(ctx context.Context, p *PatientContext, draft []rules.Med) (*visit.Card, error)
}

// PatientContext is what the service knows about the patient of one call.
type PatientContext struct {
	// PatientID is the EHR's patient id (context.patientId).
	PatientID string
	// Hook is the CDS Hooks hook name, or "visit" for CardsForVisit.
	Hook string
	// Patient is the rules' view: EHR data merged with the latest visit.
	Patient rules.Patient
	// Visit is the patient's latest medscribe visit; nil when there is none.
	Visit *visit.Record
}

// Config configures the service. Rules and Store are required.
type Config struct {
	// Rules supplies the rule set in force (reloadable). Required.
	Rules *rules.Manager
	// Store keeps feedback, the shown-card log, and gives the latest visit by patient. Required.
	Store store.Store
	// Similar adds similar-case cards. Default nil: off.
	Similar SimilarFinder
	// SimilarTimeout bounds the similar-case search. Default 150ms.
	SimilarTimeout time.Duration
	// Dev accepts unsigned calls, says so on every response (X-Medscribe-Dev-Mode) and logs a
	// warning at start. Default false.
	Dev bool
	// Auth configures JWT verification. Required unless Dev.
	Auth *AuthConfig
	// BaseURL is this service's public base URL ("https://medscribe.example.org"); the JWT aud
	// must equal BaseURL + "/cds-services/" + id. Default "": aud is checked against the
	// request's own scheme, host and path (behind a proxy set BaseURL).
	BaseURL string
	// UIBaseURL is the review UI's base URL for visit links. Default: BaseURL. When both are
	// empty, cards carry no visit link (a link must be absolute).
	UIBaseURL string
	// FetchTimeout bounds fetching missing prefetch from the EHR's FHIR server. Default 2s.
	FetchTimeout time.Duration
	// HTTPClient fetches from FHIR servers and JWKS URLs. Default: a client with FetchTimeout
	// and no redirects to other hosts.
	HTTPClient *http.Client
	// DedupeSelectSign hides at order-sign a card already shown for the same patient, rule,
	// drugs and draft order (at order-select or an earlier order-sign). Default true; a nil
	// pointer means the default. A request may opt out with the PDDI-CDS extension
	// "pddi-configuration-items": {"filter-out-repeated-alerts": false}.
	DedupeSelectSign *bool
	// FHIRServers, when set, are the only FHIR base URLs the service fetches missing prefetch
	// from ("https://ehr.example.org/fhir" also allows paths below it). A signed request
	// naming another fhirServer is answered from its prefetch alone (412 when that is not
	// enough), so a caller cannot point the service, and the access token it hands over, at
	// another host. Empty: any fhirServer (a warning is logged at start).
	FHIRServers []string
	// ShownRetention is how long the shown-card log remembers a card for that de-duplication;
	// older entries are pruned (at most once an hour, on a hook call) and such a card is shown
	// again. Default 24h.
	ShownRetention time.Duration
	// MaxBodyBytes bounds a hook request (413 beyond). Default 4 MiB.
	MaxBodyBytes int64
	// MaxResources bounds the FHIR resources in one request's draft orders and prefetch
	// together (413 beyond). Default 5000.
	MaxResources int
	// Logger receives ids and counts only, never PHI. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// AuthConfig says whose JWTs the service trusts.
type AuthConfig struct {
	// JWKSURLs is the allow-list of JWK Set URLs: a token's jku must be one of them; with no jku
	// the keys of all of them (and JWKSFile/JWKS) are tried by kid.
	JWKSURLs []string
	// JWKSFile is a JWK Set file agreed out of band (read at New).
	JWKSFile string
	// JWKS is a JWK Set given inline (JSON), agreed out of band.
	JWKS []byte
	// Issuers is the iss allow-list. Required (at least one) unless Dev.
	Issuers []string
	// Leeway tolerates clock skew on exp, iat and nbf. Default 30s.
	Leeway time.Duration
	// MaxTokenAge refuses tokens issued longer ago than this (the spec recommends exp at most
	// five minutes after iat). Default 10 minutes.
	MaxTokenAge time.Duration
	// JWKSCacheTTL keeps fetched key sets. Default 10 minutes; an unknown kid refetches at most
	// once per minute per URL.
	JWKSCacheTTL time.Duration
	// ReplayCacheSize is an overload guard on the remembered jti values. A jti is kept only
	// while its token could be accepted (until exp, at most MaxTokenAge after iat, plus Leeway),
	// so the cache holds about call rate × token lifetime; beyond ReplayCacheSize the entries
	// that expire first are dropped early. Default 200000 (above 500 calls/s with five-minute
	// tokens).
	ReplayCacheSize int
}

func (c *Config) dedupe() bool { return c.DedupeSelectSign == nil || *c.DedupeSelectSign }

func (c *Config) validate() error {
	var errs []error
	if c.Rules == nil {
		errs = append(errs, errors.New("Rules is required"))
	}
	if c.Store == nil {
		errs = append(errs, errors.New("Store is required"))
	}
	for name, u := range map[string]string{"BaseURL": c.BaseURL, "UIBaseURL": c.UIBaseURL} {
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s %q is not an absolute http(s) URL", name, u))
		}
	}
	if !c.Dev {
		if c.Auth == nil {
			errs = append(errs, errors.New("Auth is required unless Dev"))
		} else {
			if len(c.Auth.Issuers) == 0 {
				errs = append(errs, errors.New("Auth.Issuers must list at least one issuer unless Dev"))
			}
			if len(c.Auth.JWKSURLs) == 0 && c.Auth.JWKSFile == "" && len(c.Auth.JWKS) == 0 {
				errs = append(errs, errors.New("Auth needs JWKSURLs, JWKSFile or JWKS unless Dev"))
			}
		}
	}
	if c.Auth != nil {
		for _, u := range c.Auth.JWKSURLs {
			p, err := url.Parse(u)
			if err != nil || p.Host == "" || (p.Scheme != "https" && p.Scheme != "http") {
				errs = append(errs, fmt.Errorf("Auth.JWKSURLs: %q is not an absolute URL", u))
			}
		}
	}
	for _, u := range c.FHIRServers {
		if _, err := parseFHIRBase(u); err != nil {
			return fmt.Errorf("cds config: fhir server %q: %w", u, err)
		}
	}
	if c.SimilarTimeout < 0 || c.FetchTimeout < 0 || c.MaxBodyBytes < 0 || c.MaxResources < 0 || c.ShownRetention < 0 {
		errs = append(errs, errors.New("timeouts and limits must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cds config: %w", err)
	}
	return nil
}

func (c *Config) withDefaults() *Config {
	d := *c
	if d.SimilarTimeout == 0 {
		d.SimilarTimeout = 150 * time.Millisecond
	}
	if d.FetchTimeout == 0 {
		d.FetchTimeout = 2 * time.Second
	}
	if d.MaxBodyBytes == 0 {
		d.MaxBodyBytes = 4 << 20
	}
	if d.MaxResources == 0 {
		d.MaxResources = 5000
	}
	if d.ShownRetention == 0 {
		d.ShownRetention = 24 * time.Hour
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	d.BaseURL = strings.TrimSuffix(d.BaseURL, "/")
	if d.UIBaseURL == "" {
		d.UIBaseURL = d.BaseURL
	}
	d.UIBaseURL = strings.TrimSuffix(d.UIBaseURL, "/")
	if d.HTTPClient == nil {
		d.HTTPClient = &http.Client{
			Timeout: d.FetchTimeout,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) >= 3 || req.URL.Host != via[0].URL.Host {
					return errors.New("redirect refused")
				}
				return nil
			},
		}
	}
	if d.Auth != nil {
		a := *d.Auth
		if a.Leeway == 0 {
			a.Leeway = 30 * time.Second
		}
		if a.MaxTokenAge == 0 {
			a.MaxTokenAge = 10 * time.Minute
		}
		if a.JWKSCacheTTL == 0 {
			a.JWKSCacheTTL = 10 * time.Minute
		}
		if a.ReplayCacheSize == 0 {
			a.ReplayCacheSize = 200000
		}
		d.Auth = &a
	}
	return &d
}
