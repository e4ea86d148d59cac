package jwks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Key is one signature key of a JWK Set.
type Key struct {
	// KID is the JWK's "kid" ("" when it has none).
	KID string
	// Alg is the JWK's "alg": when set, the key verifies only that algorithm.
	Alg string
	// Public is an *rsa.PublicKey, an *ecdsa.PublicKey or an ed25519.PublicKey.
	Public crypto.PublicKey
}

// minRSABits is the smallest RSA modulus accepted (RFC 7518 §3.3 requires 2048).
const minRSABits = 2048

// jwk is the subset of JWK members medscribe reads.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// Parse reads a JWK Set and returns its signature keys. Keys that are for another use than
// signatures, symmetric ("oct"), of an unknown type or curve, too weak, or malformed are
// skipped and counted, not errors: key sets publish encryption keys alongside, and one bad
// key must not disable the others. It fails only when b is not a JWK Set; callers decide
// whether a set without usable keys is an error.
func Parse(b []byte) (keys []Key, skipped int, err error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, 0, fmt.Errorf("not a JWK Set: %w", err)
	}
	for _, raw := range set.Keys {
		k, err := parseKey(raw)
		if err != nil {
			skipped++
			continue
		}
		keys = append(keys, k)
	}
	return keys, skipped, nil
}

func parseKey(raw json.RawMessage) (Key, error) {
	var k jwk
	if err := json.Unmarshal(raw, &k); err != nil {
		return Key{}, err
	}
	if k.Use != "" && k.Use != "sig" {
		return Key{}, fmt.Errorf("key %q is not for signatures", k.Kid)
	}
	pub, err := k.public()
	if err != nil {
		return Key{}, err
	}
	return Key{KID: k.Kid, Alg: k.Alg, Public: pub}, nil
}

func (k *jwk) public() (crypto.PublicKey, error) {
	switch k.Kty {
	case "RSA":
		n, err1 := b64(k.N)
		e, err2 := b64(k.E)
		if err1 != nil || err2 != nil || len(n) == 0 || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("bad RSA modulus or exponent")
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("RSA key shorter than %d bits", minRSABits)
		}
		if pub.E < 3 || pub.E%2 == 0 {
			return nil, errors.New("bad RSA exponent")
		}
		return pub, nil
	case "EC":
		var curve elliptic.Curve
		switch k.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, fmt.Errorf("unsupported curve %q", k.Crv)
		}
		x, err1 := b64(k.X)
		y, err2 := b64(k.Y)
		if err1 != nil || err2 != nil {
			return nil, errors.New("bad EC coordinates")
		}
		size := (curve.Params().BitSize + 7) / 8
		if len(x) != size || len(y) != size {
			return nil, errors.New("EC coordinates of the wrong length")
		}
		// ParseUncompressedPublicKey checks that the point is on the curve.
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, fmt.Errorf("EC point: %w", err)
		}
		return pub, nil
	case "OKP":
		if k.Crv != "Ed25519" {
			return nil, fmt.Errorf("unsupported OKP curve %q", k.Crv)
		}
		x, err := b64(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, errors.New("bad Ed25519 key")
		}
		return ed25519.PublicKey(x), nil
	}
	return nil, fmt.Errorf("unsupported key type %q", k.Kty)
}

// b64 decodes base64url; trailing padding, which RFC 7515 omits but some key sets carry, is
// tolerated.
func b64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// Fits reports whether the key may verify a JWS signed with alg: the JWK's own "alg" when it
// names one, and the key's family and curve (RSA keys RS*/PS*, EC keys only the ES algorithm
// of their curve, Ed25519 keys EdDSA). A key is never used with another family's algorithm.
func (k Key) Fits(alg string) bool {
	if k.Alg != "" && k.Alg != alg {
		return false
	}
	switch pub := k.Public.(type) {
	case *rsa.PublicKey:
		return len(alg) == 5 && (strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")) &&
			(alg[2:] == "256" || alg[2:] == "384" || alg[2:] == "512")
	case *ecdsa.PublicKey:
		switch pub.Curve.Params().BitSize {
		case 256:
			return alg == "ES256"
		case 384:
			return alg == "ES384"
		case 521:
			return alg == "ES512"
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// HasKID reports whether one of keys has the given kid.
func HasKID(keys []Key, kid string) bool {
	for _, k := range keys {
		if k.KID == kid {
			return true
		}
	}
	return false
}

// HeaderAlg reads the "alg" of a compact JWS's protected header before any verification, so a
// verifier refuses "none" and symmetric algorithms by name, whatever a JWT library would do
// with them. It fails when the header is not base64url-encoded JSON.
func HeaderAlg(tok string) (string, error) {
	h, _, _ := strings.Cut(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return "", errors.New("jws header is not base64url")
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(b, &hdr); err != nil {
		return "", errors.New("jws header is not a JSON object")
	}
	return hdr.Alg, nil
}
