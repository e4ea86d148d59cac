package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"
)

// maxDocBytes bounds discovery documents and key sets read from the IdP.
const maxDocBytes = 1 << 20

// publicKey is one usable verification key of the issuer's JWK Set.
type publicKey struct {
	kid string
	alg string // the JWK's "alg", when it names one
	key crypto.PublicKey
}

// jwk is the subset of RFC 7517/7518/8037 members medscribe reads.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// parseJWKS reads a JWK Set. Keys that are not signature keys, symmetric keys ("oct") and
// keys of unknown types are skipped, not errors: IdPs publish encryption keys alongside.
func parseJWKS(b []byte) ([]publicKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("not a JWK Set: %w", err)
	}
	var out []publicKey
	for _, raw := range set.Keys {
		var k jwk
		if err := json.Unmarshal(raw, &k); err != nil {
			continue
		}
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		pk, err := k.publicKey()
		if err != nil {
			continue
		}
		out = append(out, publicKey{kid: k.Kid, alg: k.Alg, key: pk})
	}
	return out, nil
}

func b64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

func (k *jwk) publicKey() (crypto.PublicKey, error) {
	switch k.Kty {
	case "RSA":
		n, err1 := b64(k.N)
		e, err2 := b64(k.E)
		if err1 != nil || err2 != nil || len(n) == 0 || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("bad RSA key")
		}
		pk := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pk.N.BitLen() < 2048 {
			return nil, errors.New("RSA key shorter than 2048 bits")
		}
		return pk, nil
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
			return nil, errors.New("unsupported curve")
		}
		x, err1 := b64(k.X)
		y, err2 := b64(k.Y)
		if err1 != nil || err2 != nil {
			return nil, errors.New("bad EC key")
		}
		size := (curve.Params().BitSize + 7) / 8
		if len(x) != size || len(y) != size {
			return nil, errors.New("bad EC key size")
		}
		// ParseUncompressedPublicKey checks that the point is on the curve.
		raw := append(append([]byte{4}, x...), y...)
		pk, err := ecdsa.ParseUncompressedPublicKey(curve, raw)
		if err != nil {
			return nil, fmt.Errorf("bad EC point: %w", err)
		}
		return pk, nil
	case "OKP":
		if k.Crv != "Ed25519" {
			return nil, errors.New("unsupported OKP curve")
		}
		x, err := b64(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, errors.New("bad Ed25519 key")
		}
		return ed25519.PublicKey(x), nil
	}
	return nil, errors.New("unsupported key type")
}

// keyFits reports whether key can verify alg (so a key is never used with another family's
// algorithm, and an EC key only with its curve's ES algorithm).
func keyFits(key crypto.PublicKey, alg string) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		switch k.Curve.Params().BitSize {
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

// keyCache holds the issuer's keys. It refetches when older than ttl, and on a kid it does
// not know, but never more often than minRefresh, so tokens with made-up kids cannot make
// medscribe hammer the IdP.
type keyCache struct {
	url        string
	client     *http.Client
	ttl        time.Duration
	minRefresh time.Duration
	now        func() time.Time

	mu        sync.Mutex
	keys      []publicKey
	fetchedAt time.Time // last successful fetch
	triedAt   time.Time // last attempt
}

// lookup returns the candidate keys for kid, refreshing the set when it is stale or does not
// know kid (rate-limited).
func (c *keyCache) lookup(ctx context.Context, kid string) ([]publicKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	stale := c.fetchedAt.IsZero() || now.Sub(c.fetchedAt) >= c.ttl
	if !stale && kid != "" && !hasKid(c.keys, kid) {
		stale = true
	}
	var ferr error
	if stale && (c.triedAt.IsZero() || now.Sub(c.triedAt) >= c.minRefresh) {
		// Fetching under the lock serialises refreshes: concurrent requests wait for one
		// fetch instead of each starting their own.
		ferr = c.refreshLocked(ctx, now)
	}
	var out []publicKey
	for _, k := range c.keys {
		if kid == "" || k.kid == kid {
			out = append(out, k)
		}
	}
	if len(out) == 0 && ferr != nil {
		return nil, ferr
	}
	return out, nil
}

func hasKid(keys []publicKey, kid string) bool {
	for _, k := range keys {
		if k.kid == kid {
			return true
		}
	}
	return false
}

func (c *keyCache) refreshLocked(ctx context.Context, now time.Time) error {
	c.triedAt = now
	b, err := getJSON(ctx, c.client, c.url)
	if err != nil {
		return fmt.Errorf("fetch JWKS: %w", err)
	}
	keys, err := parseJWKS(b)
	if err != nil {
		return fmt.Errorf("JWKS %s: %w", c.url, err)
	}
	if len(keys) == 0 {
		return fmt.Errorf("JWKS %s has no usable signature keys", c.url)
	}
	c.keys, c.fetchedAt = keys, now
	return nil
}

// getJSON GETs url with the client's timeout and returns at most maxDocBytes of a 200 body.
func getJSON(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDocBytes))
		return nil, fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxDocBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if len(b) > maxDocBytes {
		return nil, fmt.Errorf("GET %s: document larger than %d bytes", url, maxDocBytes)
	}
	return b, nil
}
