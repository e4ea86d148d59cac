package jwks

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func ecJWK(t *testing.T, c elliptic.Curve, kid string) map[string]any {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	require.NoError(t, err)
	size := (c.Params().BitSize + 7) / 8
	return map[string]any{"kty": "EC", "use": "sig", "kid": kid, "crv": c.Params().Name,
		"x": b64u(k.X.FillBytes(make([]byte, size))), "y": b64u(k.Y.FillBytes(make([]byte, size)))}
}

// rsaJWK has a modulus of the given size (parsing does not need a real key) and exponent e.
func rsaJWK(kid string, bits, e int) map[string]any {
	n := make([]byte, bits/8)
	_, _ = rand.Read(n)
	n[0] |= 0x80
	return map[string]any{"kty": "RSA", "use": "sig", "kid": kid, "n": b64u(n), "e": b64u(big.NewInt(int64(e)).Bytes())}
}

func edJWK(t *testing.T, kid string) map[string]any {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	return map[string]any{"kty": "OKP", "crv": "Ed25519", "use": "sig", "kid": kid, "x": b64u(pub)}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func set(keys ...map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"keys": keys})
	return b
}

func TestParseKeys(t *testing.T) {
	t.Parallel()
	p256, p384, p521 := ecJWK(t, elliptic.P256(), "p256"), ecJWK(t, elliptic.P384(), "p384"), ecJWK(t, elliptic.P521(), "p521")
	rsa2048, ed := rsaJWK("rsa", 2048, 65537), edJWK(t, "ed")
	tests := []struct {
		name string
		jwk  map[string]any
		ok   bool
	}{
		{"EC P-256", p256, true},
		{"EC P-384", p384, true},
		{"EC P-521", p521, true},
		{"RSA 2048", rsa2048, true},
		{"Ed25519", ed, true},
		{"no use member", with(p384, "use", nil), true},
		{"padded base64url", with(p256, "x", p256["x"].(string)+"="), true},
		{"encryption key", with(rsa2048, "use", "enc"), false},
		{"EC point off the curve", with(p384, "y", p384["x"]), false},
		{"EC coordinates of another curve's length", with(p256, "crv", "P-384"), false},
		{"EC unknown curve", with(p256, "crv", "secp256k1"), false},
		{"EC bad base64", with(p256, "x", "!!"), false},
		{"RSA 1024 bits", rsaJWK("weak", 1024, 65537), false},
		{"RSA even exponent", rsaJWK("even", 2048, 65536), false},
		{"RSA exponent 1", rsaJWK("one", 2048, 1), false},
		{"RSA exponent longer than 4 bytes", with(rsa2048, "e", b64u([]byte{1, 0, 0, 0, 1})), false},
		{"RSA bad modulus", with(rsa2048, "n", "!!"), false},
		{"RSA no exponent", with(rsa2048, "e", nil), false},
		{"Ed448", with(ed, "crv", "Ed448"), false},
		{"Ed25519 without x", with(ed, "x", nil), false},
		{"symmetric", map[string]any{"kty": "oct", "kid": "sym", "k": "c2VjcmV0"}, false},
		{"no kty", map[string]any{"kid": "none"}, false},
		{"kid of the wrong type", with(p256, "kid", 7), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, skipped, err := Parse(set(tt.jwk))
			require.NoError(t, err)
			if !tt.ok {
				assert.Empty(t, keys)
				assert.Equal(t, 1, skipped)
				return
			}
			require.Len(t, keys, 1)
			assert.Zero(t, skipped)
			assert.Equal(t, tt.jwk["kid"], keys[0].KID)
			assert.NotNil(t, keys[0].Public)
		})
	}
}

func TestParseSet(t *testing.T) {
	t.Parallel()
	good := ecJWK(t, elliptic.P384(), "a")
	keys, skipped, err := Parse(set(rsaJWK("weak", 1024, 3), good, with(good, "use", "enc"), edJWK(t, "b")))
	require.NoError(t, err)
	assert.Equal(t, 2, skipped)
	require.Len(t, keys, 2)
	assert.Equal(t, "a", keys[0].KID)
	assert.IsType(t, &ecdsa.PublicKey{}, keys[0].Public)
	assert.IsType(t, ed25519.PublicKey{}, keys[1].Public)
	assert.True(t, HasKID(keys, "b"))
	assert.False(t, HasKID(keys, "c"))

	keys, skipped, err = Parse([]byte(`{"keys":[]}`))
	require.NoError(t, err, "an empty set is the caller's to judge")
	assert.Empty(t, keys)
	assert.Zero(t, skipped)
	for _, bad := range []string{`nope`, `[1,2]`, `{"keys":{}}`, ``} {
		_, _, err = Parse([]byte(bad))
		assert.Error(t, err, bad)
	}
}

func TestFits(t *testing.T) {
	t.Parallel()
	ec := func(c elliptic.Curve) *ecdsa.PublicKey {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		require.NoError(t, err)
		return &k.PublicKey
	}
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	rsaPub := &rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), 2047), E: 65537}
	algs := []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "HS256", "none", "RS1", ""}
	tests := []struct {
		name string
		key  Key
		fits []string
	}{
		{"RSA", Key{Public: rsaPub}, []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}},
		{"RSA restricted to PS384", Key{Public: rsaPub, Alg: "PS384"}, []string{"PS384"}},
		{"P-256", Key{Public: ec(elliptic.P256())}, []string{"ES256"}},
		{"P-384", Key{Public: ec(elliptic.P384())}, []string{"ES384"}},
		{"P-521", Key{Public: ec(elliptic.P521())}, []string{"ES512"}},
		{"P-384 whose JWK names another alg", Key{Public: ec(elliptic.P384()), Alg: "ES256"}, nil},
		{"Ed25519", Key{Public: pub}, []string{"EdDSA"}},
		{"no key", Key{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, a := range algs {
				if tt.key.Fits(a) {
					got = append(got, a)
				}
			}
			assert.Equal(t, tt.fits, got)
		})
	}
}

func TestHeaderAlg(t *testing.T) {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES384","typ":"JWT"}`))
	alg, err := HeaderAlg(h + ".e30.sig")
	require.NoError(t, err)
	assert.Equal(t, "ES384", alg)
	alg, err = HeaderAlg(base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + ".e30.")
	require.NoError(t, err)
	assert.Equal(t, "none", alg, "read by name so the caller can refuse it")
	_, err = HeaderAlg("not base64!.e30.sig")
	assert.Error(t, err)
	_, err = HeaderAlg(base64.RawURLEncoding.EncodeToString([]byte(`[1]`)) + ".e30.sig")
	assert.Error(t, err)
}
