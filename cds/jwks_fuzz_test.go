package cds

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/medscribe/medscribe/internal/jwks"
)

// FuzzParseJWKS feeds arbitrary bytes to the JWK Set parser (internal/jwks.Parse) and to the
// CDS service's parseJWKS over it. Whatever the bytes, neither panics, and:
//   - Parse fails exactly when the bytes are not a {"keys": [...]} object, and otherwise
//     accounts for every member of "keys" as a key or a skip;
//   - every key is sound: RSA of at least 2048 bits with an odd exponent of at least 3, an EC
//     point on P-256/384/521, or a 32-byte Ed25519 key; it fits only its own family's
//     algorithms (an EC key only its curve's), and only its JWK "alg" when it names one;
//   - parseJWKS keeps exactly the keys that fit a CDS Hooks algorithm, in order, and fails
//     when there are none;
//   - every key written back as a JWK parses to an equal key.
//
// Corpus: testdata/fuzz/FuzzParseJWKS.
func FuzzParseJWKS(f *testing.F) {
	k := getKeys(f)
	f.Add(mustRead(f, "testdata/examples/spec-2.0.1/jwks-public.json"))
	f.Add(jwksJSON(k))
	ed := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey)
	offCurve := ecJWK("b", &k.es384.PublicKey)
	offCurve["y"] = offCurve["x"]
	padded := ecJWK("p", &k.es256.PublicKey)
	padded["x"] = padded["x"].(string) + "="
	small := map[string]any{"kty": "RSA", "kid": "d", "n": b64u([]byte{0xc3, 0x01}), "e": "AQAB"}
	restricted := rsaJWK("r", &k.rsa.PublicKey)
	restricted["alg"] = "PS512"
	b, _ := json.Marshal(map[string]any{"keys": []any{offCurve, padded, small, restricted,
		map[string]any{"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": b64u(ed)},
		map[string]any{"kty": "EC", "crv": "P-384", "alg": "ES256", "x": offCurve["x"], "y": offCurve["x"]},
		map[string]any{"kty": "oct", "k": "c2VjcmV0"}, map[string]any{"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"}}})
	f.Add(b)
	for _, s := range []string{`{"keys":[]}`, `{"keys":null}`, `nope`, `{"keys":[1,"x",null,{},[]]}`, `{"KEYS":[{"KTY":"EC"}]}`,
		`{"keys":[{"kty":"RSA","n":"` + strings.Repeat("_", 342) + `","e":"AQAB"}]}`} {
		f.Add([]byte(s))
	}
	algs := append(slices.Clip(allowedAlgs), "EdDSA", "HS256", "none", "ES256K", "RS1", "")
	f.Fuzz(func(t *testing.T, b []byte) {
		all, skippedAll, errAll := jwks.Parse(b)
		keys, skipped, err := parseJWKS(b)
		var set struct {
			Keys []json.RawMessage `json:"keys"`
		}
		if json.Unmarshal(b, &set) != nil {
			if errAll == nil || err == nil {
				t.Fatalf("accepted bytes that are not a JWK Set: %v / %v", errAll, err)
			}
			return
		}
		if errAll != nil {
			t.Fatalf("refused a JWK Set: %v", errAll)
		}
		if len(all)+skippedAll != len(set.Keys) {
			t.Fatalf("%d keys + %d skipped for %d members", len(all), skippedAll, len(set.Keys))
		}
		var want []jwks.Key
		for _, key := range all {
			checkKey(t, key, algs)
			if slices.ContainsFunc(allowedAlgs, key.Fits) {
				want = append(want, key)
			}
		}
		if len(want) == 0 {
			if err == nil {
				t.Fatalf("parseJWKS accepted a set without a CDS Hooks key: %d keys", len(keys))
			}
		} else {
			if err != nil || len(keys) != len(want) || skipped != skippedAll+len(all)-len(want) {
				t.Fatalf("parseJWKS kept %d keys (%d skipped, %v), want %d", len(keys), skipped, err, len(want))
			}
			for i, key := range keys {
				if key.kid != want[i].KID || key.alg != want[i].Alg || !equalKeys(key.key, want[i].Public) {
					t.Fatalf("parseJWKS key %d differs from internal/jwks's", i)
				}
			}
		}
		// Written back as JWKs, the keys parse to the same keys.
		var members []any
		for _, key := range all {
			members = append(members, toJWK(key))
		}
		out, _ := json.Marshal(map[string]any{"keys": members})
		back, n, err := jwks.Parse(out)
		if err != nil || n != 0 || len(back) != len(all) {
			t.Fatalf("re-encoded set: %d keys, %d skipped, %v; want %d", len(back), n, err, len(all))
		}
		for i := range back {
			if back[i].KID != all[i].KID || back[i].Alg != all[i].Alg || !equalKeys(back[i].Public, all[i].Public) {
				t.Fatalf("key %d changed in a JWK round trip", i)
			}
		}
	})
}

// checkKey asserts that key is sound and fits only the algorithms of its family.
func checkKey(t *testing.T, key jwks.Key, algs []string) {
	t.Helper()
	var family func(alg string) bool
	switch pub := key.Public.(type) {
	case *rsa.PublicKey:
		if pub.N.BitLen() < 2048 || pub.E < 3 || pub.E%2 == 0 {
			t.Fatalf("weak RSA key: %d bits, e=%d", pub.N.BitLen(), pub.E)
		}
		family = func(alg string) bool {
			return slices.Contains([]string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}, alg)
		}
	case *ecdsa.PublicKey:
		want := map[elliptic.Curve]string{elliptic.P256(): "ES256", elliptic.P384(): "ES384", elliptic.P521(): "ES512"}[pub.Curve]
		if want == "" {
			t.Fatalf("EC key on an unexpected curve %v", pub.Curve.Params().Name)
		}
		if _, err := pub.ECDH(); err != nil {
			t.Fatalf("EC key is not a valid point: %v", err)
		}
		family = func(alg string) bool { return alg == want }
	case ed25519.PublicKey:
		if len(pub) != ed25519.PublicKeySize {
			t.Fatalf("Ed25519 key of %d bytes", len(pub))
		}
		family = func(alg string) bool { return alg == "EdDSA" }
	default:
		t.Fatalf("key of type %T", key.Public)
	}
	for _, alg := range algs {
		if key.Fits(alg) && (!family(alg) || (key.Alg != "" && alg != key.Alg)) {
			t.Fatalf("%T key (alg %q) fits %q", key.Public, key.Alg, alg)
		}
	}
}

func equalKeys(a, b crypto.PublicKey) bool {
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
}

// toJWK writes a parsed key as a JWK.
func toJWK(key jwks.Key) map[string]any {
	var m map[string]any
	switch pub := key.Public.(type) {
	case *rsa.PublicKey:
		m = rsaJWK(key.KID, pub)
	case *ecdsa.PublicKey:
		m = ecJWK(key.KID, pub)
	case ed25519.PublicKey:
		m = map[string]any{"kty": "OKP", "crv": "Ed25519", "kid": key.KID, "x": b64u(pub)}
	}
	if key.Alg != "" {
		m["alg"] = key.Alg
	}
	return m
}
