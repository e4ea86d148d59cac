package cds

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/medscribe/medscribe/internal/jwks"
)

// publicKey is a trusted verification key as internal/jwks parsed it, in the shape the
// verifier (and its tests) use.
type publicKey struct {
	kid string
	alg string // "" when the JWK did not restrict it
	key crypto.PublicKey
}

// fits reports whether the key may verify a token signed with alg (the JWK's own alg when it
// names one; the key's family and curve).
func (k publicKey) fits(alg string) bool {
	return jwks.Key{KID: k.kid, Alg: k.alg, Public: k.key}.Fits(alg)
}

// parseJWKS reads a JWK Set (internal/jwks does the key parsing) and returns the keys that
// can verify one of the algorithms CDS Hooks allows. Keys that are not for signatures, of an
// unsupported type (Ed25519 among them: CDS Hooks does not allow EdDSA), or malformed are
// skipped and counted; a set with no usable key is an error.
func parseJWKS(b []byte) ([]publicKey, int, error) {
	parsed, skipped, err := jwks.Parse(b)
	if err != nil {
		return nil, 0, fmt.Errorf("parse JWK Set: %w", err)
	}
	var keys []publicKey
	for _, k := range parsed {
		if !slices.ContainsFunc(allowedAlgs, k.Fits) {
			skipped++
			continue
		}
		keys = append(keys, publicKey{kid: k.KID, alg: k.Alg, key: k.Public})
	}
	if len(keys) == 0 {
		return nil, skipped, errors.New("JWK Set has no usable signature key")
	}
	return keys, skipped, nil
}

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
