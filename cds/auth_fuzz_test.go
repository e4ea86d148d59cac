package cds

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fuzzVerifier is a verifier with one static key set (inline JWKS) and one allow-listed jku,
// served in process, and a fixed clock.
type fuzzVerifier struct {
	v      *verifier
	now    time.Time
	aud    string
	jku    string
	ec384  *ecdsa.PrivateKey  // static set, kid "fz384"; fixed, so corpus tokens stay valid
	ec256  *ecdsa.PrivateKey  // jku set, kid "fz256"; fixed
	rsa    *rsa.PrivateKey    // both sets, kid "fzrsa"; random per process
	static []crypto.PublicKey // the inline set, for the oracle
	served []crypto.PublicKey // the set at jku, for the oracle
	leeway time.Duration
	maxAge time.Duration
}

// fixedECKey derives a private key from a label, so tokens in the committed corpus verify in
// every run (crypto/ecdsa.GenerateKey ignores a custom random source since Go 1.26).
func fixedECKey(tb testing.TB, c elliptic.Curve, label string) *ecdsa.PrivateKey {
	tb.Helper()
	sum := sha512.Sum512([]byte(label))
	k, err := ecdsa.ParseRawPrivateKey(c, sum[:(c.Params().BitSize+7)/8])
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func newFuzzVerifier(tb testing.TB) *fuzzVerifier {
	tb.Helper()
	fz := &fuzzVerifier{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), aud: testBase + pathView,
		jku: "https://keys.ehr.test/jwks", leeway: 30 * time.Second, maxAge: 10 * time.Minute,
		ec384: fixedECKey(tb, elliptic.P384(), "medscribe cds fuzz P-384"),
		ec256: fixedECKey(tb, elliptic.P256(), "medscribe cds fuzz P-256")}
	rsaKey := getKeys(tb).rsa // random per process: RSA seeds verify only in the run that signed them
	fz.rsa = rsaKey
	static, _ := json.Marshal(map[string]any{"keys": []any{ecJWK("fz384", &fz.ec384.PublicKey), rsaJWK("fzrsa", &rsaKey.PublicKey)}})
	served, _ := json.Marshal(map[string]any{"keys": []any{ecJWK("fz256", &fz.ec256.PublicKey), rsaJWK("fzrsa", &rsaKey.PublicKey)}})
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.String() != fz.jku {
			return &http.Response{StatusCode: http.StatusNotFound, Body: http.NoBody}, nil
		}
		return &http.Response{StatusCode: http.StatusOK, Body: ioNopCloser(served), Header: http.Header{}}, nil
	})}
	a := &AuthConfig{JWKSURLs: []string{fz.jku}, JWKS: static, Issuers: []string{testIssuer}, Leeway: fz.leeway,
		MaxTokenAge: fz.maxAge, JWKSCacheTTL: time.Hour, ReplayCacheSize: 16}
	v, err := newVerifier(a, client, time.Second, func() time.Time { return fz.now })
	if err != nil {
		tb.Fatal(err)
	}
	fz.v = v
	fz.static = []crypto.PublicKey{fz.ec384.Public(), rsaKey.Public()}
	fz.served = []crypto.PublicKey{fz.ec256.Public(), rsaKey.Public()}
	return fz
}

// signJWS signs header and claims (given as JSON) with key under method, as a compact JWS.
func signJWS(tb testing.TB, m jwt.SigningMethod, key crypto.Signer, header, claims []byte) string {
	tb.Helper()
	in := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(claims)
	sig, err := m.Sign(in, key)
	if err != nil {
		tb.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// signer picks the trusted key for a header's alg, so signed inputs reach the claim checks
// under every algorithm; an alg no key serves gets the P-384 key (and must be refused).
func (fz *fuzzVerifier) signer(hdr []byte) (jwt.SigningMethod, crypto.Signer) {
	var h map[string]any // as jwt.Parser reads the header
	_ = json.Unmarshal(hdr, &h)
	alg, _ := h["alg"].(string)
	switch m := jwt.GetSigningMethod(alg); {
	case alg == "ES256":
		return m, fz.ec256
	case m != nil && (strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")):
		return m, fz.rsa
	}
	return jwt.SigningMethodES384, fz.ec384
}

// FuzzVerifyToken feeds the CDS Hooks JWT verifier arbitrary Authorization headers, and
// arbitrary JWT header and claims JSON signed with a trusted key. Whatever the input, it never
// panics; a refusal is an *authError; an acceptance is checked against an independent reading
// of the token: a JWS signed by a configured key under an allowed algorithm, no crit
// parameters, typ JWT if any, a trusted iss, this service's aud, exp and iat present and in
// range, nbf not in the future, a jti, and a second presentation refused as a replay.
// Corpus: testdata/fuzz/FuzzVerifyToken.
func FuzzVerifyToken(f *testing.F) {
	fz := newFuzzVerifier(f)
	rsaKey := getKeys(f).rsa
	claims := func(over map[string]any) []byte {
		c := map[string]any{"iss": testIssuer, "aud": fz.aud, "iat": fz.now.Unix(), "exp": fz.now.Add(5 * time.Minute).Unix(),
			"jti": "j-1", "sub": "ehr-client"}
		for k, v := range over {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		b, _ := json.Marshal(c)
		return b
	}
	header := func(alg, kid, jku string) []byte {
		h := map[string]any{"alg": alg, "typ": "JWT", "kid": kid}
		if jku != "" {
			h["jku"] = jku
		}
		b, _ := json.Marshal(h)
		return b
	}
	h384 := header("ES384", "fz384", "")
	h256 := header("ES256", "fz256", fz.jku)
	good := signJWS(f, jwt.SigningMethodES384, fz.ec384, h384, claims(nil))
	parts := strings.Split(good, ".")
	seeds := []string{
		"Bearer " + good,
		"bearer  " + good + " ",
		"Bearer " + signJWS(f, jwt.SigningMethodES256, fz.ec256, h256, claims(map[string]any{"aud": []string{"x", fz.aud + "/"}})),
		"Bearer " + signJWS(f, jwt.SigningMethodRS384, rsaKey, header("RS384", "fzrsa", ""), claims(nil)),
		"Bearer " + signJWS(f, jwt.SigningMethodPS256, rsaKey, header("PS256", "", fz.jku), claims(nil)),
		"Bearer " + signJWS(f, jwt.SigningMethodES384, fz.ec384, h384, claims(map[string]any{"exp": fz.now.Add(-time.Hour).Unix()})),
		"Bearer " + parts[0] + "." + parts[1] + ".",
		"Bearer " + parts[0] + ".." + parts[2],
		"Bearer " + parts[0] + "." + base64.RawURLEncoding.EncodeToString(claims(map[string]any{"jti": "forged"})) + "." + parts[2],
		"Bearer " + base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".",
		"Bearer " + base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES384","ALG":"HS256","kid":"fz384"}`)) + "." + parts[1] + "." + parts[2],
		"Bearer a.b.c",
		"Basic Zm9vOmJhcg==",
		"Bearer " + strings.Repeat("A", 16<<10),
	}
	for _, s := range seeds {
		f.Add(s, h384, claims(nil))
	}
	for _, h := range []string{
		`{"alg":"ES384","kid":"fz384","crit":["exp"],"exp":1}`,
		`{"alg":"ES384","kid":"fz384","jku":"https://evil.test/jwks"}`,
		`{"alg":"ES384","kid":"fz384","typ":"at+jwt"}`,
		`{"alg":"ES384","kid":"fz256","jku":"https://keys.ehr.test/jwks"}`,
		`{"alg":"ES384","typ":5}`,
		`{"alg":"ES384","kid":"fz384","b64":false,"crit":["b64"]}`,
		`{"alg":"ES256","kid":"fz256","jku":"https://keys.ehr.test/jwks","typ":"jwt"}`,
		`{"alg":"PS512","kid":"fzrsa"}`,
		`{"alg":"RS256"}`,
	} {
		f.Add("", []byte(h), claims(nil))
	}
	for _, c := range []map[string]any{
		{"nbf": fz.now.Add(time.Hour).Unix()}, {"iat": fz.now.Add(-time.Hour).Unix()}, {"iat": nil}, {"exp": "soon"},
		{"aud": []any{1, fz.aud}}, {"iss": testIssuer + "//"}, {"jti": ""}, {"exp": 1e300}, {"iat": -1e300},
	} {
		f.Add("", h384, claims(c))
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, authz string, hdr, cl []byte) {
		fz.v.replay = newReplayCache(16)
		fz.check(t, ctx, authz)
		if json.Valid(hdr) && json.Valid(cl) {
			fz.v.replay = newReplayCache(16)
			m, key := fz.signer(hdr)
			fz.check(t, ctx, "Bearer "+signJWS(t, m, key, hdr, cl))
		}
	})
}

// check verifies authz and holds the outcome against the oracle.
func (fz *fuzzVerifier) check(t *testing.T, ctx context.Context, authz string) {
	t.Helper()
	iss, err := fz.v.verify(ctx, authz, fz.aud)
	if err != nil {
		var ae *authError
		if !errors.As(err, &ae) || ae.msg == "" {
			t.Fatalf("refusal is not an authError: %T %v", err, err)
		}
		return
	}
	if why := fz.oracle(authz, iss); why != "" {
		t.Fatalf("accepted a token that must be refused (%s): %q", why, authz)
	}
	if _, err := fz.v.verify(ctx, authz, fz.aud); err == nil || !strings.Contains(err.Error(), "replayed") {
		t.Fatalf("a second presentation was not refused as a replay: %v", err)
	}
}

// oracle says why an accepted token should have been refused, or "" when it is fine. It reads
// the token on its own (not through jwt.Parser), so a verifier bug does not hide itself.
func (fz *fuzzVerifier) oracle(authz, iss string) string {
	scheme, tok, ok := strings.Cut(authz, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "not a bearer token"
	}
	parts := strings.Split(strings.TrimSpace(tok), ".")
	if len(parts) != 3 {
		return "not a compact JWS"
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	cb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return "bad base64url"
	}
	var h map[string]any
	if json.Unmarshal(hb, &h) != nil {
		return "header is not a JSON object"
	}
	alg, _ := h["alg"].(string)
	if !slices.Contains(allowedAlgs, alg) {
		return "algorithm not allowed"
	}
	if _, ok := h["crit"]; ok {
		return "crit header parameters are not understood (RFC 7515 §4.1.11)"
	}
	if typ, ok := h["typ"].(string); ok && typ != "" && !strings.EqualFold(typ, "JWT") {
		return "typ is not JWT"
	}
	keys := append(slices.Clip(fz.static), fz.served...) // no jku: every trusted key
	if jku, ok := h["jku"].(string); ok && jku != "" {
		if jku != fz.jku {
			return "jku not allow-listed"
		}
		keys = fz.served
	}
	signed := false
	for _, k := range keys {
		if jwt.GetSigningMethod(alg).Verify(parts[0]+"."+parts[1], sig, k) == nil {
			signed = true
			break
		}
	}
	if !signed {
		return "not signed by a trusted key"
	}
	var c map[string]any
	if json.NewDecoder(bytes.NewReader(cb)).Decode(&c) != nil { // as jwt.Parser reads claims
		return "claims are not a JSON object"
	}
	if s, _ := c["iss"].(string); s == "" || strings.TrimSuffix(s, "/") != strings.TrimSuffix(testIssuer, "/") || s != iss {
		return "untrusted iss"
	}
	auds, _ := c["aud"].([]any)
	if s, ok := c["aud"].(string); ok {
		auds = []any{s}
	}
	if !slices.ContainsFunc(auds, func(a any) bool { s, _ := a.(string); return strings.TrimSuffix(s, "/") == fz.aud }) {
		return "aud does not name the service"
	}
	now := float64(fz.now.Unix())
	slack := fz.leeway.Seconds() + 1 // jwt truncates NumericDates to whole seconds
	exp, ok := c["exp"].(float64)
	if !ok || exp < now-slack {
		return "exp missing or past"
	}
	iat, ok := c["iat"].(float64)
	if !ok || iat > now+slack || now-iat > fz.maxAge.Seconds()+slack {
		return "iat missing or out of range"
	}
	if nbf, ok := c["nbf"]; ok {
		if n, isNum := nbf.(float64); !isNum || n > now+slack {
			return "nbf not a number or in the future"
		}
	}
	if jti, _ := c["jti"].(string); jti == "" {
		return "no jti"
	}
	return ""
}
