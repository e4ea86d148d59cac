package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/api"
)

const audience = "medscribe-api"

// signer is one key of the fake IdP.
type signer struct {
	kid    string
	method jwt.SigningMethod
	priv   crypto.Signer
}

func (s *signer) jwk() map[string]any {
	m := map[string]any{"kid": s.kid, "use": "sig", "alg": s.method.Alg()}
	enc := base64.RawURLEncoding.EncodeToString
	switch k := s.priv.Public().(type) {
	case *rsa.PublicKey:
		m["kty"], m["n"], m["e"] = "RSA", enc(k.N.Bytes()), enc(big.NewInt(int64(k.E)).Bytes())
		delete(m, "alg") // an RSA key serves RS* and PS*
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		x, y := make([]byte, size), make([]byte, size)
		k.X.FillBytes(x)
		k.Y.FillBytes(y)
		m["kty"], m["crv"], m["x"], m["y"] = "EC", k.Curve.Params().Name, enc(x), enc(y)
	case ed25519.PublicKey:
		m["kty"], m["crv"], m["x"] = "OKP", "Ed25519", enc(k)
	}
	return m
}

// idp is a fake OpenID provider serving discovery and a JWK Set.
type idp struct {
	srv       *httptest.Server
	mu        sync.Mutex
	published []*signer
	fetches   atomic.Int32
}

func newIDP(t testing.TB, keys ...*signer) *idp {
	t.Helper()
	p := &idp{published: keys}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": p.srv.URL, "jwks_uri": p.srv.URL + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		p.mu.Lock()
		defer p.mu.Unlock()
		set := []map[string]any{{"kty": "oct", "kid": "sym", "k": "c2VjcmV0"}} // skipped: symmetric
		for _, k := range p.published {
			set = append(set, k.jwk())
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": set})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *idp) publish(k *signer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.published = append(p.published, k)
}

var (
	keysOnce                      sync.Once
	rsaKey, rsaOther              *signer
	ecKey, ec256Key, edKey, psKey *signer
)

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		r1, err := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		r2, err := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		e384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		require.NoError(t, err)
		e256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		_, ed, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		rsaKey = &signer{kid: "rsa-1", method: jwt.SigningMethodRS256, priv: r1}
		psKey = &signer{kid: "rsa-1", method: jwt.SigningMethodPS256, priv: r1}
		rsaOther = &signer{kid: "rsa-2", method: jwt.SigningMethodRS384, priv: r2}
		ecKey = &signer{kid: "ec-384", method: jwt.SigningMethodES384, priv: e384}
		ec256Key = &signer{kid: "ec-256", method: jwt.SigningMethodES256, priv: e256}
		edKey = &signer{kid: "ed-1", method: jwt.SigningMethodEdDSA, priv: ed}
	})
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func claimsAt(iss string, now time.Time) jwt.MapClaims {
	return jwt.MapClaims{"iss": iss, "aud": audience, "sub": "user-42", "roles": []string{"physician"},
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
}

func sign(t testing.TB, s *signer, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(s.method, c)
	tok.Header["kid"] = s.kid
	out, err := tok.SignedString(s.priv)
	require.NoError(t, err)
	return out
}

func encodeUnsigned(t *testing.T, hdr map[string]any, c jwt.MapClaims, sig string) string {
	t.Helper()
	h, err := json.Marshal(hdr)
	require.NoError(t, err)
	b, err := json.Marshal(c)
	require.NoError(t, err)
	enc := base64.RawURLEncoding.EncodeToString
	return enc(h) + "." + enc(b) + "." + sig
}

func request(authz string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/v1/visits", nil)
	if authz != "" {
		r.Header.Set("Authorization", authz)
	}
	return r
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newAuth(t testing.TB, p *idp, mod func(*Config)) (*Authenticator, *clock) {
	t.Helper()
	clk := &clock{t: t0}
	cfg := &Config{Issuer: p.srv.URL, Audience: audience, Now: clk.now}
	if mod != nil {
		mod(cfg)
	}
	a, err := New(context.Background(), cfg)
	require.NoError(t, err)
	return a, clk
}

func TestAuthenticateTokens(t *testing.T) {
	testKeys(t)
	p := newIDP(t, rsaKey, ecKey, ec256Key, edKey)
	a, _ := newAuth(t, p, nil)
	iss := p.srv.URL
	with := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := claimsAt(iss, t0)
		mod(c)
		return c
	}
	rsaPubPEM := func() []byte {
		der, err := x509.MarshalPKIXPublicKey(rsaKey.priv.Public())
		require.NoError(t, err)
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}

	tests := []struct {
		name     string
		token    func() string
		wantRole api.Role
		wantName string
		wantErr  string // substring of the error; "" = accepted
	}{
		{name: "RS256", token: func() string { return sign(t, rsaKey, claimsAt(iss, t0)) }, wantRole: api.RolePhysician, wantName: "user-42"},
		{name: "PS256 with the same RSA key", token: func() string { return sign(t, psKey, claimsAt(iss, t0)) }, wantRole: api.RolePhysician, wantName: "user-42"},
		{name: "ES384", token: func() string { return sign(t, ecKey, claimsAt(iss, t0)) }, wantRole: api.RolePhysician, wantName: "user-42"},
		{name: "ES256", token: func() string { return sign(t, ec256Key, claimsAt(iss, t0)) }, wantRole: api.RolePhysician, wantName: "user-42"},
		{name: "EdDSA", token: func() string { return sign(t, edKey, claimsAt(iss, t0)) }, wantRole: api.RolePhysician, wantName: "user-42"},
		{name: "aud array containing medscribe", token: func() string {
			return sign(t, rsaKey, with(func(c jwt.MapClaims) { c["aud"] = []string{"other", audience} }))
		}, wantRole: api.RolePhysician, wantName: "user-42"},
		{name: "roles as a space-separated string, highest wins", token: func() string {
			return sign(t, rsaKey, with(func(c jwt.MapClaims) { c["roles"] = "integrator admin" }))
		}, wantRole: api.RoleAdmin, wantName: "user-42"},
		{name: "unknown roles ignored beside a known one", token: func() string {
			return sign(t, rsaKey, with(func(c jwt.MapClaims) { c["roles"] = []string{"offline_access", "quality"} }))
		}, wantRole: api.RoleQuality, wantName: "user-42"},
		{name: "preferred_username when no sub", token: func() string {
			return sign(t, rsaKey, with(func(c jwt.MapClaims) { delete(c, "sub"); c["preferred_username"] = "dr.who" }))
		}, wantRole: api.RolePhysician, wantName: "dr.who"},
		{name: "expired within leeway", token: func() string {
			return sign(t, rsaKey, with(func(c jwt.MapClaims) { c["exp"] = t0.Add(-20 * time.Second).Unix() }))
		}, wantRole: api.RolePhysician, wantName: "user-42"},
		{name: "expired", token: func() string {
			return sign(t, rsaKey, with(func(c jwt.MapClaims) { c["exp"] = t0.Add(-time.Minute).Unix() }))
		}, wantErr: "expired"},
		{name: "no exp", token: func() string {
			return sign(t, rsaKey, with(func(c jwt.MapClaims) { delete(c, "exp") }))
		}, wantErr: "required claim missing"},
		{name: "nbf in the future", token: func() string {
			return sign(t, rsaKey, with(func(c jwt.MapClaims) { c["nbf"] = t0.Add(2 * time.Minute).Unix() }))
		}, wantErr: "not valid yet"},
		{name: "iat in the future", token: func() string {
			return sign(t, rsaKey, with(func(c jwt.MapClaims) { c["iat"] = t0.Add(2 * time.Minute).Unix() }))
		}, wantErr: "issued in the future"},
		{name: "wrong audience", token: func() string {
			return sign(t, rsaKey, with(func(c jwt.MapClaims) { c["aud"] = "another-api" }))
		}, wantErr: "audience"},
		{name: "no audience", token: func() string {
			return sign(t, rsaKey, with(func(c jwt.MapClaims) { delete(c, "aud") }))
		}, wantErr: "aud"},
		{name: "wrong issuer", token: func() string {
			return sign(t, rsaKey, with(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }))
		}, wantErr: "issuer not trusted"},
		{name: "alg none", token: func() string {
			return encodeUnsigned(t, map[string]any{"alg": "none", "typ": "JWT"}, claimsAt(iss, t0), "")
		}, wantErr: `algorithm "none" not allowed`},
		{name: "HS256 with the public key as secret", token: func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claimsAt(iss, t0))
			tok.Header["kid"] = rsaKey.kid
			s, err := tok.SignedString(rsaPubPEM())
			require.NoError(t, err)
			return s
		}, wantErr: `algorithm "HS256" not allowed`},
		{name: "unknown kid", token: func() string {
			return sign(t, rsaOther, claimsAt(iss, t0))
		}, wantErr: `kid "rsa-2"`},
		{name: "right kid, other key's signature", token: func() string {
			s := *rsaOther
			s.kid, s.method = rsaKey.kid, jwt.SigningMethodRS256
			return sign(t, &s, claimsAt(iss, t0))
		}, wantErr: "bad signature"},
		{name: "EC key used with another curve's alg", token: func() string {
			return encodeUnsigned(t, map[string]any{"alg": "ES384", "kid": ec256Key.kid}, claimsAt(iss, t0), "AAAA")
		}, wantErr: "for ES384"},
		{name: "tampered payload", token: func() string {
			good := sign(t, rsaKey, claimsAt(iss, t0))
			parts := strings.Split(good, ".")
			evil := claimsAt(iss, t0)
			evil["roles"] = []string{"admin"}
			b, _ := json.Marshal(evil)
			return parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2]
		}, wantErr: "bad signature"},
		{name: "no role", token: func() string {
			return sign(t, rsaKey, with(func(c jwt.MapClaims) { delete(c, "roles") }))
		}, wantErr: "no role"},
		{name: "only unmapped roles", token: func() string {
			return sign(t, rsaKey, with(func(c jwt.MapClaims) { c["roles"] = []string{"superuser", "Physician"} }))
		}, wantErr: "no role"},
		{name: "no subject", token: func() string {
			return sign(t, rsaKey, with(func(c jwt.MapClaims) { delete(c, "sub") }))
		}, wantErr: "no subject"},
		{name: "typ other than JWT", token: func() string {
			tok := jwt.NewWithClaims(rsaKey.method, claimsAt(iss, t0))
			tok.Header["kid"], tok.Header["typ"] = rsaKey.kid, "dpop+jwt"
			s, err := tok.SignedString(rsaKey.priv)
			require.NoError(t, err)
			return s
		}, wantErr: "typ"},
		{name: "garbage header", token: func() string { return "%%%.e30.sig" }, wantErr: "malformed"},
		{name: "oversized", token: func() string { return strings.Repeat("a", maxTokenBytes) + ".b.c" }, wantErr: "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := a.Authenticate(request("Bearer " + tt.token()))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Nil(t, p)
				assert.True(t, errors.Is(err, api.ErrBadCredentials), "error %v must wrap ErrBadCredentials", err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.NotNil(t, p)
			assert.Equal(t, &api.Principal{Name: tt.wantName, Role: tt.wantRole, Method: "jwt"}, p)
		})
	}
}

func TestAuthenticateIgnoresOtherCredentials(t *testing.T) {
	testKeys(t)
	p := newIDP(t, rsaKey)
	a, _ := newAuth(t, p, nil)
	for _, h := range []string{"", "Basic dXNlcjpwYXNz", "Bearer msk_abc.def.ghi", "Bearer opaque-access-token", "Bearer", "Bearer a.b"} {
		t.Run(h, func(t *testing.T) {
			pr, err := a.Authenticate(request(h))
			assert.NoError(t, err)
			assert.Nil(t, pr)
		})
	}
}

func TestRoleClaimAndMap(t *testing.T) {
	testKeys(t)
	p := newIDP(t, rsaKey)
	tests := []struct {
		name   string
		cfg    func(*Config)
		claims func(jwt.MapClaims)
		want   api.Role
	}{
		{name: "keycloak realm roles", cfg: func(c *Config) { c.RoleClaim = "realm_access.roles" },
			claims: func(m jwt.MapClaims) {
				delete(m, "roles")
				m["realm_access"] = map[string]any{"roles": []string{"integrator"}}
			},
			want: api.RoleIntegrator},
		{name: "mapped IdP group names", cfg: func(c *Config) {
			c.RoleClaim = "groups"
			c.RoleMap = map[string]string{"medscribe-doctors": "physician", "medscribe-ops": "admin"}
		}, claims: func(m jwt.MapClaims) { m["groups"] = []string{"medscribe-doctors"} }, want: api.RolePhysician},
		{name: "explicit map drops the identity default", cfg: func(c *Config) {
			c.RoleMap = map[string]string{"doc": "physician"}
		}, claims: func(m jwt.MapClaims) { m["roles"] = []string{"admin"} }, want: ""},
		{name: "claim path through a non-object", cfg: func(c *Config) { c.RoleClaim = "roles.x" },
			claims: func(m jwt.MapClaims) {}, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, _ := newAuth(t, p, tt.cfg)
			c := claimsAt(p.srv.URL, t0)
			tt.claims(c)
			pr, err := a.Authenticate(request("Bearer " + sign(t, rsaKey, c)))
			if tt.want == "" {
				require.ErrorIs(t, err, api.ErrBadCredentials)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, pr.Role)
		})
	}
}

func TestKeyRotationAndRefetchLimit(t *testing.T) {
	testKeys(t)
	p := newIDP(t, rsaKey)
	a, clk := newAuth(t, p, func(c *Config) { c.MinRefresh = 30 * time.Second; c.CacheTTL = 10 * time.Minute })
	require.EqualValues(t, 1, p.fetches.Load(), "New fetches the key set once")

	claims := func() jwt.MapClaims { return claimsAt(p.srv.URL, clk.now()) }
	_, err := a.Authenticate(request("Bearer " + sign(t, rsaKey, claims())))
	require.NoError(t, err)
	assert.EqualValues(t, 1, p.fetches.Load(), "a known kid is served from the cache")

	// The IdP rotates in a new key: a token with its kid triggers one refetch.
	clk.add(time.Minute)
	p.publish(ecKey)
	_, err = a.Authenticate(request("Bearer " + sign(t, ecKey, claims())))
	require.NoError(t, err)
	assert.EqualValues(t, 2, p.fetches.Load())

	// Unknown kids: one refetch, then none until MinRefresh has passed.
	clk.add(time.Minute)
	for range 5 {
		_, err = a.Authenticate(request("Bearer " + sign(t, rsaOther, claims())))
		require.ErrorIs(t, err, api.ErrBadCredentials)
	}
	assert.EqualValues(t, 3, p.fetches.Load())
	clk.add(31 * time.Second)
	_, err = a.Authenticate(request("Bearer " + sign(t, rsaOther, claims())))
	require.ErrorIs(t, err, api.ErrBadCredentials)
	assert.EqualValues(t, 4, p.fetches.Load())

	// After the TTL, a known kid refreshes the set too.
	clk.add(11 * time.Minute)
	_, err = a.Authenticate(request("Bearer " + sign(t, rsaKey, claims())))
	require.NoError(t, err)
	assert.EqualValues(t, 5, p.fetches.Load())
}

func TestNewRefusesBadConfig(t *testing.T) {
	testKeys(t)
	p := newIDP(t, rsaKey)
	wrongIss := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": "https://someone-else", "jwks_uri": p.srv.URL + "/jwks"})
	}))
	t.Cleanup(wrongIss.Close)
	empty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}`))
	}))
	t.Cleanup(empty.Close)
	tests := []struct {
		name string
		cfg  *Config
		want string
	}{
		{name: "no issuer", cfg: &Config{Audience: audience}, want: "Issuer is required"},
		{name: "no audience", cfg: &Config{Issuer: p.srv.URL}, want: "Audience is required"},
		{name: "bad role map", cfg: &Config{Issuer: p.srv.URL, Audience: audience, RoleMap: map[string]string{"x": "root"}}, want: `"root" is not a medscribe role`},
		{name: "discovery names another issuer", cfg: &Config{Issuer: wrongIss.URL, Audience: audience}, want: "does not match"},
		{name: "discovery unreachable", cfg: &Config{Issuer: "http://127.0.0.1:1", Audience: audience}, want: "oidc discovery"},
		{name: "key set without signature keys", cfg: &Config{Issuer: p.srv.URL, Audience: audience, JWKSURL: empty.URL}, want: "no usable signature keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(context.Background(), tt.cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
