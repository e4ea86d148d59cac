package oidc

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/medscribe/medscribe/internal/jwks"
)

// maxDocBytes bounds discovery documents and key sets read from the IdP.
const maxDocBytes = 1 << 20

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
	keys      []jwks.Key // parsed by internal/jwks: signature keys only
	fetchedAt time.Time  // last successful fetch
	triedAt   time.Time  // last attempt
}

// lookup returns the candidate keys for kid, refreshing the set when it is stale or does not
// know kid (rate-limited).
func (c *keyCache) lookup(ctx context.Context, kid string) ([]jwks.Key, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	stale := c.fetchedAt.IsZero() || now.Sub(c.fetchedAt) >= c.ttl
	if !stale && kid != "" && !jwks.HasKID(c.keys, kid) {
		stale = true
	}
	var ferr error
	if stale && (c.triedAt.IsZero() || now.Sub(c.triedAt) >= c.minRefresh) {
		// Fetching under the lock serialises refreshes: concurrent requests wait for one
		// fetch instead of each starting their own.
		ferr = c.refreshLocked(ctx, now)
	}
	var out []jwks.Key
	for _, k := range c.keys {
		if kid == "" || k.KID == kid {
			out = append(out, k)
		}
	}
	if len(out) == 0 && ferr != nil {
		return nil, ferr
	}
	return out, nil
}

func (c *keyCache) refreshLocked(ctx context.Context, now time.Time) error {
	c.triedAt = now
	b, err := getJSON(ctx, c.client, c.url)
	if err != nil {
		return fmt.Errorf("fetch JWKS: %w", err)
	}
	keys, _, err := jwks.Parse(b)
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
