package cds

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// jwk is one key of a JSON Web Key Set (RFC 7517), the members medscribe reads.
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

// publicKey is a parsed verification key.
type publicKey struct {
	kid string
	alg string // "" when the JWK did not restrict it
	key crypto.PublicKey
}

// parseJWKS reads a JWK Set and returns its signature keys. Keys that are not for
// signatures, of an unsupported type, or malformed are skipped and counted; a set with no
// usable key is an error.
func parseJWKS(b []byte) ([]publicKey, int, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, 0, fmt.Errorf("parse JWK Set: %w", err)
	}
	var keys []publicKey
	skipped := 0
	for _, raw := range set.Keys {
		var k jwk
		if err := json.Unmarshal(raw, &k); err != nil {
			skipped++
			continue
		}
		pk, err := k.publicKey()
		if err != nil {
			skipped++
			continue
		}
		keys = append(keys, pk)
	}
	if len(keys) == 0 {
		return nil, skipped, errors.New("JWK Set has no usable signature key")
	}
	return keys, skipped, nil
}

func (k *jwk) publicKey() (publicKey, error) {
	if k.Use != "" && k.Use != "sig" {
		return publicKey{}, fmt.Errorf("key %q is not for signatures", k.Kid)
	}
	pk := publicKey{kid: k.Kid, alg: k.Alg}
	switch k.Kty {
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
			return publicKey{}, fmt.Errorf("unsupported curve %q", k.Crv)
		}
		x, err1 := b64(k.X)
		y, err2 := b64(k.Y)
		if err1 != nil || err2 != nil {
			return publicKey{}, errors.New("bad EC coordinates")
		}
		size := (curve.Params().BitSize + 7) / 8
		if len(x) != size || len(y) != size {
			return publicKey{}, errors.New("EC coordinates of the wrong length")
		}
		point := append(append([]byte{4}, x...), y...)
		ec, err := ecdsa.ParseUncompressedPublicKey(curve, point)
		if err != nil {
			return publicKey{}, fmt.Errorf("EC point: %w", err)
		}
		pk.key = ec
	case "RSA":
		n, err1 := b64(k.N)
		e, err2 := b64(k.E)
		if err1 != nil || err2 != nil || len(n) == 0 || len(e) == 0 || len(e) > 4 {
			return publicKey{}, errors.New("bad RSA modulus or exponent")
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < 2048 || pub.E < 3 || pub.E%2 == 0 {
			return publicKey{}, errors.New("RSA key too small or bad exponent")
		}
		pk.key = pub
	default:
		return publicKey{}, fmt.Errorf("unsupported key type %q", k.Kty)
	}
	return pk, nil
}

func b64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// jwksCache fetches allow-listed JWK Sets and keeps them for a while.
type jwksCache struct {
	client   *http.Client
	ttl      time.Duration
	timeout  time.Duration
	now      func() time.Time
	mu       sync.Mutex
	entries  map[string]*jwksEntry
	maxBytes int64
}

type jwksEntry struct {
	mu        sync.Mutex
	keys      []publicKey
	fetchedAt time.Time
	triedAt   time.Time
	err       error
}

// minRefetch limits refetches of one URL caused by unknown kids.
const minRefetch = time.Minute

func newJWKSCache(client *http.Client, ttl, timeout time.Duration, now func() time.Time) *jwksCache {
	return &jwksCache{client: client, ttl: ttl, timeout: timeout, now: now, entries: map[string]*jwksEntry{}, maxBytes: 1 << 20}
}

// keys returns the key set at url, fetching it when absent or stale, or when kid is not in the
// cached set and the last attempt is more than a minute old.
func (c *jwksCache) keys(ctx context.Context, url, kid string) ([]publicKey, error) {
	c.mu.Lock()
	e := c.entries[url]
	if e == nil {
		e = &jwksEntry{}
		c.entries[url] = e
	}
	c.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	now := c.now()
	fresh := e.keys != nil && now.Sub(e.fetchedAt) < c.ttl
	if fresh && (kid == "" || hasKid(e.keys, kid) || now.Sub(e.triedAt) < minRefetch) {
		return e.keys, nil
	}
	if !fresh && e.err != nil && now.Sub(e.triedAt) < time.Second {
		return nil, e.err // do not hammer a failing endpoint
	}
	e.triedAt = now
	keys, err := c.fetch(ctx, url)
	if err != nil {
		e.err = err
		if e.keys != nil && now.Sub(e.fetchedAt) < 2*c.ttl {
			return e.keys, nil // serve slightly stale keys rather than fail every call
		}
		return nil, err
	}
	e.keys, e.fetchedAt, e.err = keys, now, nil
	return keys, nil
}

func (c *jwksCache) fetch(ctx context.Context, url string) ([]publicKey, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch JWK Set: %w", err)
	}
	req.Header.Set("Accept", "application/json, application/jwk-set+json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch JWK Set: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch JWK Set: HTTP %d", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch JWK Set: %w", err)
	}
	if int64(len(b)) > c.maxBytes {
		return nil, errors.New("fetch JWK Set: larger than 1 MiB")
	}
	keys, _, err := parseJWKS(b)
	return keys, err
}

func hasKid(keys []publicKey, kid string) bool {
	for _, k := range keys {
		if k.kid == kid {
			return true
		}
	}
	return false
}
