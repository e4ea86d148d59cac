package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/medscribe/medscribe/api"
	"github.com/medscribe/medscribe/internal/jwks"
)

// allowedAlgs are the asymmetric JWS algorithms accepted. "none" and the HMAC family are
// refused by name: with a public key set, a symmetric algorithm would let anyone holding the
// public key forge tokens.
var allowedAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// maxTokenBytes bounds a bearer token before any parsing.
const maxTokenBytes = 16 << 10

// Config configures the authenticator. Issuer and Audience are required.
type Config struct {
	// Issuer is the IdP's issuer identifier, exactly as the IdP writes it in iss (some IdPs
	// end it with a slash); a token's iss must equal it.
	Issuer string
	// Audience must be one of the token's aud values (medscribe's client id or API
	// identifier at the IdP).
	Audience string
	// JWKSURL is the IdP's key set. Default: the jwks_uri of
	// Issuer + "/.well-known/openid-configuration", read once by New.
	JWKSURL string
	// RoleClaim names the claim holding the caller's roles, a string or an array of strings.
	// A dotted path reads nested objects ("realm_access.roles" for Keycloak realm roles,
	// "resource_access.medscribe.roles" for client roles). Default "roles".
	RoleClaim string
	// RoleMap maps IdP role names to medscribe roles. Default: each of physician,
	// integrator, quality and admin maps to itself. Values must be medscribe roles.
	RoleMap map[string]string
	// Leeway tolerates clock skew on exp, nbf and iat. Default 30 s.
	Leeway time.Duration
	// CacheTTL is how long a fetched key set is used before it is fetched again. Default 10 min.
	CacheTTL time.Duration
	// MinRefresh is the least time between two fetches of the key set (a token with an
	// unknown kid triggers a fetch). Default 30 s.
	MinRefresh time.Duration
	// HTTPClient fetches discovery and keys. Default: a client with a 5 s timeout.
	HTTPClient *http.Client
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

func (c *Config) validate() error {
	var errs []error
	if strings.TrimSpace(c.Issuer) == "" {
		errs = append(errs, errors.New("Issuer is required"))
	} else if !strings.HasPrefix(c.Issuer, "https://") && !strings.HasPrefix(c.Issuer, "http://") {
		errs = append(errs, fmt.Errorf("Issuer %q is not an http(s) URL", c.Issuer))
	}
	if strings.TrimSpace(c.Audience) == "" {
		errs = append(errs, errors.New("Audience is required"))
	}
	if c.Leeway < 0 || c.Leeway > 5*time.Minute {
		errs = append(errs, errors.New("Leeway must be 0-5m"))
	}
	for from, to := range c.RoleMap {
		if !api.ValidRole(to) {
			errs = append(errs, fmt.Errorf("RoleMap[%q] = %q is not a medscribe role", from, to))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("oidc config: %w", errors.Join(errs...))
	}
	return nil
}

func (c *Config) withDefaults() *Config {
	d := *c
	if d.RoleClaim == "" {
		d.RoleClaim = "roles"
	}
	if d.RoleMap == nil {
		d.RoleMap = map[string]string{}
		for _, r := range api.Roles {
			d.RoleMap[string(r)] = string(r)
		}
	}
	if d.Leeway == 0 {
		d.Leeway = 30 * time.Second
	}
	if d.CacheTTL <= 0 {
		d.CacheTTL = 10 * time.Minute
	}
	if d.MinRefresh <= 0 {
		d.MinRefresh = 30 * time.Second
	}
	if d.HTTPClient == nil {
		d.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &d
}

// Authenticator verifies OIDC bearer JWTs. It is safe for concurrent use.
type Authenticator struct {
	cfg    *Config
	keys   *keyCache
	parser *jwt.Parser
}

var _ api.Authenticator = (*Authenticator)(nil)

// New checks cfg, discovers the key set when JWKSURL is empty and fetches it once, so a
// misconfigured issuer fails at start rather than on the first call.
func New(ctx context.Context, cfg *Config) (*Authenticator, error) {
	if cfg == nil {
		return nil, errors.New("oidc config: nil")
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	if c.JWKSURL == "" {
		u, err := discover(ctx, c.HTTPClient, c.Issuer)
		if err != nil {
			return nil, err
		}
		c.JWKSURL = u
	}
	a := &Authenticator{cfg: c,
		keys: &keyCache{url: c.JWKSURL, client: c.HTTPClient, ttl: c.CacheTTL, minRefresh: c.MinRefresh, now: c.Now},
		parser: jwt.NewParser(
			jwt.WithValidMethods(allowedAlgs),
			jwt.WithLeeway(c.Leeway),
			jwt.WithTimeFunc(c.Now),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithIssuer(c.Issuer),
			jwt.WithAudience(c.Audience),
		)}
	if _, err := a.keys.lookup(ctx, ""); err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	return a, nil
}

// discover reads jwks_uri from the issuer's OpenID Provider metadata (OpenID Connect
// Discovery 1.0 §4), checking that the document is the issuer's own.
func discover(ctx context.Context, client *http.Client, issuer string) (string, error) {
	u := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	b, err := getJSON(ctx, client, u)
	if err != nil {
		return "", fmt.Errorf("oidc discovery: %w", err)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return "", fmt.Errorf("oidc discovery %s: %w", u, err)
	}
	if strings.TrimSuffix(doc.Issuer, "/") != strings.TrimSuffix(issuer, "/") {
		return "", fmt.Errorf("oidc discovery %s: issuer %q does not match the configured %q", u, doc.Issuer, issuer)
	}
	if !strings.HasPrefix(doc.JWKSURI, "https://") && !strings.HasPrefix(doc.JWKSURI, "http://") {
		return "", fmt.Errorf("oidc discovery %s: jwks_uri missing or not an http(s) URL", u)
	}
	return doc.JWKSURI, nil
}

// Authenticate implements api.Authenticator. Requests without a bearer JWT (no
// Authorization header, another scheme, a medscribe API key, an opaque token) are not its
// business: (nil, nil). A JWT that fails any check is an error wrapping
// api.ErrBadCredentials whose message is safe to log (no token content).
func (a *Authenticator) Authenticate(r *http.Request) (*api.Principal, error) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, nil
	}
	tok = strings.TrimSpace(tok)
	if strings.HasPrefix(tok, api.APIKeyPrefix) || strings.Count(tok, ".") != 2 {
		return nil, nil
	}
	if len(tok) > maxTokenBytes {
		return nil, refuse("token larger than %d bytes", maxTokenBytes)
	}
	alg, err := jwks.HeaderAlg(tok) // "none" and symmetric algorithms are refused by name
	if err != nil {
		return nil, refuse("malformed token header")
	}
	if !slices.Contains(allowedAlgs, alg) {
		return nil, refuse("algorithm %q not allowed", alg)
	}
	claims := jwt.MapClaims{}
	var keyErr error
	_, err = a.parser.ParseWithClaims(tok, claims, func(t *jwt.Token) (any, error) {
		k, err := a.keyFor(r.Context(), t)
		keyErr = err
		return k, err
	})
	if keyErr != nil {
		return nil, keyErr
	}
	if err != nil {
		return nil, refuse("%s", reason(err))
	}
	name, _ := claims["sub"].(string)
	if name == "" {
		name, _ = claims["preferred_username"].(string)
	}
	if name == "" {
		return nil, refuse("token names no subject (sub or preferred_username)")
	}
	role, ok := a.role(claims)
	if !ok {
		return nil, refuse("token carries no role medscribe knows in claim %q", a.cfg.RoleClaim)
	}
	return &api.Principal{Name: name, Role: role, Method: "jwt"}, nil
}

// keyFor picks the verification key of a parsed, not yet verified token.
func (a *Authenticator) keyFor(ctx context.Context, t *jwt.Token) (any, error) {
	alg := t.Method.Alg()
	if typ, ok := t.Header["typ"].(string); ok && typ != "" && !strings.EqualFold(typ, "JWT") && !strings.EqualFold(typ, "at+jwt") {
		return nil, refuse("typ %q is not JWT or at+jwt", typ)
	}
	if _, ok := t.Header["crit"]; ok {
		return nil, refuse("crit header parameters are not supported")
	}
	kid, _ := t.Header["kid"].(string)
	keys, err := a.keys.lookup(ctx, kid)
	if err != nil {
		return nil, refuse("issuer key set unavailable")
	}
	for _, k := range keys {
		if k.Fits(alg) {
			return k.Public, nil
		}
	}
	if kid != "" {
		return nil, refuse("no key of the issuer has kid %q for %s", kid, alg)
	}
	return nil, refuse("no key of the issuer fits %s", alg)
}

// rolePrecedence decides between several mapped roles: a Principal carries one role, and
// admin may do everything the others may.
var rolePrecedence = []api.Role{api.RoleAdmin, api.RolePhysician, api.RoleQuality, api.RoleIntegrator}

// role maps the role claim to the highest-precedence medscribe role it names.
func (a *Authenticator) role(claims jwt.MapClaims) (api.Role, bool) {
	var v any = map[string]any(claims)
	for _, part := range strings.Split(a.cfg.RoleClaim, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		v = m[part]
	}
	var names []string
	switch x := v.(type) {
	case string:
		names = strings.Fields(x)
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok {
				names = append(names, s)
			}
		}
	}
	have := map[api.Role]bool{}
	for _, n := range names {
		if r, ok := a.cfg.RoleMap[n]; ok {
			have[api.Role(r)] = true
		}
	}
	for _, r := range rolePrecedence {
		if have[r] {
			return r, true
		}
	}
	return "", false
}

// refuse is a bad-credentials error with a reason safe to log.
func refuse(format string, args ...any) error {
	return fmt.Errorf("%w: oidc: %s", api.ErrBadCredentials, fmt.Sprintf(format, args...))
}

func reason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return "token not valid yet (nbf)"
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "token issued in the future (iat)"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "issuer not trusted"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "audience does not name medscribe"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "required claim missing (exp, iss or aud)"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "bad signature"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed token"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "unverifiable token"
	case errors.Is(err, jwt.ErrTokenInvalidClaims):
		return "invalid claims"
	}
	return "invalid token"
}
