package cds

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJWTAccepted(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	k := e.keys
	tests := []struct {
		name string
		tok  tok
	}{
		{"ES384", tok{}},
		{"ES256", tok{alg: "ES256", key: k.es256, kid: "k256"}},
		{"ES512", tok{alg: "ES512", key: k.es512, kid: "k512"}},
		{"RS384", tok{alg: "RS384", key: k.rsa, kid: "krsa"}},
		{"RS256", tok{alg: "RS256", key: k.rsa, kid: "krsa"}},
		{"RS512", tok{alg: "RS512", key: k.rsa, kid: "krsa"}},
		{"PS256", tok{alg: "PS256", key: k.rsa, kid: "krsa"}},
		{"PS384", tok{alg: "PS384", key: k.rsa, kid: "krsa"}},
		{"PS512", tok{alg: "PS512", key: k.rsa, kid: "krsa"}},
		{"aud as array", tok{claims: jwt.MapClaims{"aud": []string{"https://other", testBase + pathView}}}},
		{"exp within leeway", tok{claims: jwt.MapClaims{"exp": e.now.Add(-20 * time.Second).Unix()}}},
		{"no jku: allow-listed sets tried by kid", tok{jku: "-"}},
	}
	body := hookBody(HookPatientView, nil, standardPrefetch())
	for _, tt := range tests {
		w := e.call(pathView, body, "Bearer "+e.sign(t, pathView, tt.tok))
		assert.Equal(t, http.StatusOK, w.Code, "%s: %s", tt.name, w.Body.String())
	}
}

func TestJWTRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	k := e.keys
	body := hookBody(HookPatientView, nil, standardPrefetch())
	replayed := e.sign(t, pathView, tok{})
	require.Equal(t, http.StatusOK, e.call(pathView, body, "Bearer "+replayed).Code)

	header := func(h map[string]any, claims jwt.MapClaims) string {
		hb, _ := json.Marshal(h)
		cb, _ := json.Marshal(claims)
		return b64u(hb) + "." + b64u(cb) + "."
	}
	validClaims := jwt.MapClaims{"iss": testIssuer, "aud": testBase + pathView, "iat": e.now.Unix(), "exp": e.now.Add(time.Minute).Unix(), "jti": "n1"}
	// HS256 signed with the trusted public key's bytes: the classic algorithm confusion.
	pub := k.es384.PublicKey
	pubBytes, _ := json.Marshal(ecJWK("k384", &pub))
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, validClaims)
	hs.Header["kid"] = "k384"
	hs.Header["jku"] = e.jwksURL
	hsTok, err := hs.SignedString(pubBytes)
	require.NoError(t, err)
	// A valid token with one bit of its decoded signature flipped, re-encoded, so the token is
	// always well-formed and only the signature is wrong.
	good := e.sign(t, pathView, tok{})
	sig, err := base64.RawURLEncoding.DecodeString(good[strings.LastIndexByte(good, '.')+1:])
	require.NoError(t, err)
	sig[3] ^= 1
	tampered := good[:strings.LastIndexByte(good, '.')+1] + b64u(sig)
	// Claims changed after signing.
	parts := strings.Split(e.sign(t, pathView, tok{}), ".")
	forged, _ := json.Marshal(jwt.MapClaims{"iss": testIssuer, "aud": testBase + pathView, "iat": e.now.Unix(), "exp": e.now.Add(time.Hour).Unix(), "jti": "forged", "tenant": "other"})
	forgedTok := parts[0] + "." + b64u(forged) + "." + parts[2]

	tests := []struct {
		name   string
		authz  string
		detail string
	}{
		{"no header", "", "missing bearer"},
		{"basic auth", "Basic dXNlcjpwYXNz", "missing bearer"},
		{"empty bearer", "Bearer ", "missing bearer"},
		{"garbage", "Bearer not.a.jwt", "malformed"},
		{"alg none", "Bearer " + header(map[string]any{"alg": "none", "typ": "JWT", "kid": "k384"}, validClaims), "not allowed"},
		{"alg HS256", "Bearer " + hsTok, "not allowed"},
		{"bad signature", "Bearer " + tampered, "bad signature"},
		{"forged claims", "Bearer " + forgedTok, "bad signature"},
		{"unknown key", "Bearer " + e.sign(t, pathView, tok{alg: "ES384", key: k.other384, kid: "k384"}), "bad signature"},
		{"unknown kid", "Bearer " + e.sign(t, pathView, tok{alg: "ES384", key: k.other384, kid: "nope"}), "no trusted key"},
		{"jku not allow-listed", "Bearer " + e.sign(t, pathView, tok{jku: "https://evil.test/jwks"}), "jku not on the allow-list"},
		{"alg/key mismatch", "Bearer " + e.sign(t, pathView, tok{alg: "RS384", key: k.rsa, kid: "k384"}), "no trusted key"},
		{"expired", "Bearer " + e.sign(t, pathView, tok{claims: jwt.MapClaims{"exp": e.now.Add(-2 * time.Minute).Unix()}}), "expired"},
		{"no exp", "Bearer " + e.sign(t, pathView, tok{drop: []string{"exp"}}), "exp is required"},
		{"iat in future", "Bearer " + e.sign(t, pathView, tok{claims: jwt.MapClaims{"iat": e.now.Add(5 * time.Minute).Unix()}}), "not valid yet"},
		{"no iat", "Bearer " + e.sign(t, pathView, tok{drop: []string{"iat"}}), "iat is required"},
		{"too old", "Bearer " + e.sign(t, pathView, tok{claims: jwt.MapClaims{"iat": e.now.Add(-time.Hour).Unix()}}), "too long ago"},
		{"nbf in future", "Bearer " + e.sign(t, pathView, tok{claims: jwt.MapClaims{"nbf": e.now.Add(10 * time.Minute).Unix()}}), "not valid yet"},
		{"wrong iss", "Bearer " + e.sign(t, pathView, tok{claims: jwt.MapClaims{"iss": "https://evil.test/"}}), "issuer not trusted"},
		{"no iss", "Bearer " + e.sign(t, pathView, tok{drop: []string{"iss"}}), "issuer not trusted"},
		{"wrong aud", "Bearer " + e.sign(t, pathView, tok{claims: jwt.MapClaims{"aud": testBase + pathSign}}), "aud does not name"},
		{"no aud", "Bearer " + e.sign(t, pathView, tok{drop: []string{"aud"}}), "aud does not name"},
		{"no jti", "Bearer " + e.sign(t, pathView, tok{drop: []string{"jti"}}), "jti is required"},
		{"replayed jti", "Bearer " + replayed, "replayed"},
		{"typ not JWT", "Bearer " + func() string {
			tk := jwt.NewWithClaims(jwt.SigningMethodES384, jwt.MapClaims{"iss": testIssuer, "aud": testBase + pathView, "iat": e.now.Unix(), "exp": e.now.Add(time.Minute).Unix(), "jti": "t1"})
			tk.Header["kid"], tk.Header["typ"], tk.Header["jku"] = "k384", "at+jwt", e.jwksURL
			s, _ := tk.SignedString(k.es384)
			return s
		}(), "typ"},
		{"crit header", "Bearer " + func() string {
			tk := jwt.NewWithClaims(jwt.SigningMethodES384, jwt.MapClaims{"iss": testIssuer, "aud": testBase + pathView, "iat": e.now.Unix(), "exp": e.now.Add(time.Minute).Unix(), "jti": "c1"})
			tk.Header["kid"], tk.Header["jku"], tk.Header["crit"], tk.Header["b64"] = "k384", e.jwksURL, []string{"b64"}, false
			s, _ := tk.SignedString(k.es384)
			return s
		}(), "crit"},
		{"huge token", "Bearer " + strings.Repeat("a", 20<<10), "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.call(pathView, body, tt.authz)
			assertProblem(t, w, http.StatusUnauthorized, tt.detail)
			assert.Contains(t, w.Header().Get("WWW-Authenticate"), "Bearer")
		})
	}
	// Discovery needs no token.
	assert.Equal(t, http.StatusOK, e.get("/cds-services").Code)
}

// TestSpecExampleJWT verifies the CDS Hooks 2.0.1 example token against the example JWK Set,
// served at the example jku, with the clock set inside its validity.
func TestSpecExampleJWT(t *testing.T) {
	t.Parallel()
	jwks := mustRead(t, "testdata/examples/spec-2.0.1/jwks-public.json")
	authz := strings.TrimSpace(string(mustRead(t, "testdata/examples/spec-2.0.1/jwt-authorization-header.txt")))
	authz = strings.TrimSpace(strings.TrimPrefix(authz, "Authorization:"))
	now := time.Unix(1422568860-60, 0)
	newV := func(a *AuthConfig) *verifier {
		a.Leeway, a.MaxTokenAge, a.JWKSCacheTTL, a.ReplayCacheSize = 30*time.Second, 10*365*24*time.Hour, time.Minute, 10
		client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.URL.String() != "https://fhir-ehr.example.com/jwk_uri" {
				return &http.Response{StatusCode: 404, Body: http.NoBody}, nil
			}
			return &http.Response{StatusCode: 200, Body: ioNopCloser(jwks), Header: http.Header{}}, nil
		})}
		v, err := newVerifier(a, client, time.Second, func() time.Time { return now })
		require.NoError(t, err)
		return v
	}
	v := newV(&AuthConfig{JWKSURLs: []string{"https://fhir-ehr.example.com/jwk_uri"}, Issuers: []string{"https://fhir-ehr.example.com/"}})
	iss, err := v.verify(context.Background(), authz, "https://cds.example.org/cds-services/some-service")
	require.NoError(t, err)
	assert.Equal(t, "https://fhir-ehr.example.com/", iss)
	_, err = v.verify(context.Background(), authz, "https://cds.example.org/cds-services/some-service")
	require.ErrorContains(t, err, "replayed")

	// Same token, key set given out of band instead of by jku: jku still must be allow-listed.
	v = newV(&AuthConfig{JWKS: jwks, Issuers: []string{"https://fhir-ehr.example.com/"}})
	_, err = v.verify(context.Background(), authz, "https://cds.example.org/cds-services/some-service")
	require.ErrorContains(t, err, "jku not on the allow-list")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

func ioNopCloser(b []byte) nopCloser { return nopCloser{bytes.NewReader(b)} }

func TestStaticJWKSFile(t *testing.T) {
	t.Parallel()
	k := getKeys(t)
	path := t.TempDir() + "/jwks.json"
	require.NoError(t, os.WriteFile(path, jwksJSON(k), 0o600))
	e := newEnv(t, envOpts{tweakAuth: func(a *AuthConfig) { a.JWKSURLs = nil; a.JWKSFile = path }})
	body := hookBody(HookPatientView, nil, standardPrefetch())
	w := e.call(pathView, body, "Bearer "+e.sign(t, pathView, tok{jku: "-"}))
	assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
	// A jku that is not allow-listed is refused even though the kid is known.
	w = e.call(pathView, body, "Bearer "+e.sign(t, pathView, tok{}))
	assertProblem(t, w, http.StatusUnauthorized, "jku not on the allow-list")
}

func TestParseJWKS(t *testing.T) {
	t.Parallel()
	k := getKeys(t)
	good := ecJWK("a", &k.es384.PublicKey)
	offCurve := ecJWK("b", &k.es384.PublicKey)
	offCurve["y"] = offCurve["x"]
	enc := rsaJWK("c", &k.rsa.PublicKey)
	enc["use"] = "enc"
	small := map[string]any{"kty": "RSA", "kid": "d", "n": b64u([]byte{0xc3, 0x01}), "e": "AQAB"}
	wrongLen := ecJWK("e", &k.es256.PublicKey)
	wrongLen["crv"] = "P-384"
	b, _ := json.Marshal(map[string]any{"keys": []any{good, offCurve, enc, small, wrongLen, map[string]any{"kty": "oct", "k": "c2VjcmV0"}, map[string]any{"kty": "OKP", "crv": "Ed25519"}}})
	keys, skipped, err := parseJWKS(b)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	assert.Equal(t, "a", keys[0].kid)
	assert.Equal(t, 6, skipped)
	assert.IsType(t, &ecdsa.PublicKey{}, keys[0].key)
	_, _, err = parseJWKS([]byte(`{"keys":[]}`))
	require.Error(t, err)
	_, _, err = parseJWKS([]byte(`nope`))
	require.Error(t, err)
}

func TestJWKSCacheRefetch(t *testing.T) {
	t.Parallel()
	k := getKeys(t)
	var calls int
	serve := jwksJSON(k)
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		calls++
		return &http.Response{StatusCode: 200, Body: ioNopCloser(serve), Header: http.Header{}}, nil
	})}
	now := time.Unix(5000, 0)
	c := newJWKSCache(client, 10*time.Minute, time.Second, func() time.Time { return now })
	_, err := c.keys(context.Background(), "https://k/jwks", "k384")
	require.NoError(t, err)
	_, err = c.keys(context.Background(), "https://k/jwks", "k384")
	require.NoError(t, err)
	assert.Equal(t, 1, calls, "cached")
	_, _ = c.keys(context.Background(), "https://k/jwks", "rotated")
	assert.Equal(t, 1, calls, "unknown kid refetches at most once a minute")
	now = now.Add(2 * time.Minute)
	_, _ = c.keys(context.Background(), "https://k/jwks", "rotated")
	assert.Equal(t, 2, calls)
	now = now.Add(11 * time.Minute)
	_, _ = c.keys(context.Background(), "https://k/jwks", "k384")
	assert.Equal(t, 3, calls, "stale after TTL")
}
