package cds

import (
	"crypto/sha256"
	"sync"
	"time"
)

// replayGeneration is the width of one generation of the replay cache: entries are grouped
// by expiry time so that whole groups are dropped at once.
const replayGeneration = 15 * time.Second

// replayCache remembers the jti of every accepted token until the token expires, so that a
// second presentation is refused. It is bounded by time, not by a count: the verifier keeps a
// jti only until min(exp, iat+MaxTokenAge)+Leeway (after that the token is refused anyway),
// so the cache holds about call rate × token lifetime entries (80 calls/s with five-minute
// tokens: 26,400 entries, about 1.2 MB), and an idle cache empties.
//
// Entries are grouped in generations by expiry (replayGeneration wide) and a generation is
// dropped whole once its last expiry has passed: no per-entry queue, and a token with a long
// lifetime cannot hold back the expiry of the others. Keys are SHA-256 of iss and jti cut to
// 128 bits, so an entry takes about 45 bytes whatever the jti's length.
//
// max is an overload guard, not the bound in normal operation: when a call would make the
// cache hold more than max entries, the generation that expires first is dropped early (a
// replay of one of its tokens would then be accepted until it expires). Size it above the
// peak call rate × (MaxTokenAge + Leeway).
type replayCache struct {
	mu   sync.Mutex
	max  int
	gens []*replayGen // by end, soonest first
	n    int          // entries in all generations
}

type replayGen struct {
	end  time.Time          // every entry's expiry is before end: dropped once now >= end
	seen map[[16]byte]int64 // key → expiry, Unix nanoseconds (24 bytes a slot)
}

func newReplayCache(max int) *replayCache {
	return &replayCache{max: max}
}

// add records key until exp (inclusive); it reports false when key is already recorded and
// unexpired.
func (c *replayCache) add(key string, exp, now time.Time) bool {
	sum := sha256.Sum256([]byte(key))
	var k [16]byte
	copy(k[:], sum[:])
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	for _, g := range c.gens {
		if e, ok := g.seen[k]; ok && now.UnixNano() <= e {
			return false
		}
	}
	if now.After(exp) {
		return true // expired already: nothing to remember
	}
	for c.max > 0 && c.n >= c.max && len(c.gens) > 0 {
		c.n -= len(c.gens[0].seen)
		c.gens = c.gens[1:]
	}
	c.gen(exp).seen[k] = exp.UnixNano()
	c.n++
	return true
}

// expire drops the generations whose entries have all expired.
func (c *replayCache) expire(now time.Time) {
	i := 0
	for i < len(c.gens) && !now.Before(c.gens[i].end) {
		c.n -= len(c.gens[i].seen)
		i++
	}
	if i > 0 {
		c.gens = append(c.gens[:0], c.gens[i:]...)
	}
}

// gen returns the generation an entry expiring at exp belongs to, making it when missing.
func (c *replayCache) gen(exp time.Time) *replayGen {
	end := exp.Truncate(replayGeneration).Add(replayGeneration)
	// New entries nearly always belong to the last generation: search from the end.
	i := len(c.gens)
	for i > 0 && c.gens[i-1].end.After(end) {
		i--
	}
	if i > 0 && c.gens[i-1].end.Equal(end) {
		return c.gens[i-1]
	}
	g := &replayGen{end: end, seen: map[[16]byte]int64{}}
	c.gens = append(c.gens, nil)
	copy(c.gens[i+1:], c.gens[i:])
	c.gens[i] = g
	return g
}

// len is the number of remembered entries.
func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
