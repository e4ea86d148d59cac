package cds

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/medscribe/medscribe/internal/jwks"
)

// allowedAlgs are the asymmetric JWS algorithms CDS Hooks 2.0 allows (it requires ES384 and
// RS384 support and forbids "none" and symmetric algorithms).
var allowedAlgs = []string{"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}

// authError is a refused token; its message is safe to send to the client.
type authError struct{ msg string }

func (e *authError) Error() string { return e.msg }

func refuse(format string, args ...any) error { return &authError{msg: fmt.Sprintf(format, args...)} }

// verifier checks CDS clients' JWTs.
type verifier struct {
	cfg     *AuthConfig
	static  []publicKey
	allowed map[string]bool // jku allow-list
	issuers map[string]bool
	cache   *jwksCache
	replay  *replayCache
	now     func() time.Time
	parser  *jwt.Parser
}

func newVerifier(a *AuthConfig, client *http.Client, fetchTimeout time.Duration, now func() time.Time) (*verifier, error) {
	v := &verifier{cfg: a, allowed: map[string]bool{}, issuers: map[string]bool{}, now: now,
		cache:  newJWKSCache(client, a.JWKSCacheTTL, fetchTimeout, now),
		replay: newReplayCache(a.ReplayCacheSize)}
	for _, u := range a.JWKSURLs {
		v.allowed[u] = true
	}
	for _, i := range a.Issuers {
		v.issuers[strings.TrimSuffix(i, "/")] = true
	}
	if a.JWKSFile != "" {
		b, err := os.ReadFile(a.JWKSFile)
		if err != nil {
			return nil, fmt.Errorf("read JWKS file: %w", err)
		}
		keys, _, err := parseJWKS(b)
		if err != nil {
			return nil, fmt.Errorf("JWKS file %s: %w", a.JWKSFile, err)
		}
		v.static = append(v.static, keys...)
	}
	if len(a.JWKS) > 0 {
		keys, _, err := parseJWKS(a.JWKS)
		if err != nil {
			return nil, fmt.Errorf("inline JWKS: %w", err)
		}
		v.static = append(v.static, keys...)
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods(allowedAlgs),
		jwt.WithLeeway(a.Leeway),
		jwt.WithTimeFunc(now),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	)
	return v, nil
}

// verify checks the Authorization header of a call to the service at aud. It returns the
// token's issuer on success, or an *authError.
func (v *verifier) verify(ctx context.Context, authz, aud string) (string, error) {
	scheme, tok, ok := strings.Cut(authz, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", refuse("missing bearer token in Authorization header")
	}
	tok = strings.TrimSpace(tok)
	if len(tok) > 16<<10 {
		return "", refuse("token too large")
	}
	// "none" and symmetric algorithms are refused by name, before any verification
	if alg, err := jwks.HeaderAlg(tok); err != nil || !strings.Contains(tok, ".") {
		return "", refuse("invalid token: malformed")
	} else if !slices.Contains(allowedAlgs, alg) {
		return "", refuse("algorithm %q not allowed", alg)
	}
	claims := jwt.MapClaims{}
	var keyErr error
	_, err := v.parser.ParseWithClaims(tok, claims, func(t *jwt.Token) (any, error) {
		k, err := v.keyFor(ctx, t)
		keyErr = err
		return k, err
	})
	if keyErr != nil {
		return "", keyErr
	}
	if err != nil {
		return "", refuse("invalid token: %s", tokenReason(err))
	}
	iss, _ := claims["iss"].(string)
	if iss == "" || !v.issuers[strings.TrimSuffix(iss, "/")] {
		return "", refuse("issuer not trusted")
	}
	if !audMatches(claims["aud"], aud) {
		return "", refuse("aud does not name this service (%s)", aud)
	}
	iat, err := claims.GetIssuedAt()
	if err != nil || iat == nil {
		return "", refuse("iat is required")
	}
	now := v.now()
	if now.Sub(iat.Time) > v.cfg.MaxTokenAge+v.cfg.Leeway {
		return "", refuse("token issued too long ago")
	}
	exp, _ := claims.GetExpirationTime()
	jti, _ := claims["jti"].(string)
	if jti == "" {
		return "", refuse("jti is required")
	}
	// The jti is remembered as long as the token could be accepted: until exp, or until it is
	// too old by iat when that comes first (a far-off exp must not pin the entry), plus leeway.
	keep := exp.Time
	if byAge := iat.Time.Add(v.cfg.MaxTokenAge); byAge.Before(keep) {
		keep = byAge
	}
	if !v.replay.add(iss+"\x00"+jti, keep.Add(v.cfg.Leeway), now) {
		return "", refuse("token replayed (jti already used)")
	}
	return iss, nil
}

// keyFor finds the verification key for a parsed (not yet verified) token.
func (v *verifier) keyFor(ctx context.Context, t *jwt.Token) (any, error) {
	alg, _ := t.Header["alg"].(string)
	if !slices.Contains(allowedAlgs, alg) {
		return nil, refuse("algorithm %q not allowed", alg)
	}
	if typ, ok := t.Header["typ"].(string); ok && typ != "" && !strings.EqualFold(typ, "JWT") {
		return nil, refuse("typ %q is not JWT", typ)
	}
	// RFC 7515 §4.1.11: a token that lists critical extensions must be refused by a verifier
	// that does not implement them, and this one implements none (b64:false would even change
	// what the signature covers).
	if _, ok := t.Header["crit"]; ok {
		return nil, refuse("crit header parameters are not supported")
	}
	kid, _ := t.Header["kid"].(string)
	var candidates []publicKey
	if jku, ok := t.Header["jku"].(string); ok && jku != "" {
		if !v.allowed[jku] {
			return nil, refuse("jku not on the allow-list")
		}
		keys, err := v.cache.keys(ctx, jku, kid)
		if err != nil {
			return nil, refuse("cannot get the JWK Set named by jku")
		}
		candidates = keys
	} else {
		candidates = append(candidates, v.static...)
		for u := range v.allowed {
			if keys, err := v.cache.keys(ctx, u, kid); err == nil {
				candidates = append(candidates, keys...)
			}
		}
	}
	for _, k := range candidates {
		if kid != "" && k.kid != kid {
			continue
		}
		if k.fits(alg) {
			return k.key, nil
		}
	}
	return nil, refuse("no trusted key for kid %q and alg %s", kid, alg)
}

func audMatches(claim any, want string) bool {
	want = strings.TrimSuffix(want, "/")
	switch a := claim.(type) {
	case string:
		return strings.TrimSuffix(a, "/") == want
	case []any:
		for _, x := range a {
			if s, ok := x.(string); ok && strings.TrimSuffix(s, "/") == want {
				return true
			}
		}
	}
	return false
}

func tokenReason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "not valid yet"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "exp is required"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "bad signature"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed"
	case errors.Is(err, jwt.ErrTokenInvalidClaims):
		return "bad claims"
	}
	return "unverifiable"
}
