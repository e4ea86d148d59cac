package cds

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReplayCacheExpiresByTime(t *testing.T) {
	t.Parallel()
	c := newReplayCache(1000)
	now := time.Unix(1000, 0)
	exp := now.Add(time.Minute)
	assert.True(t, c.add("a", exp, now))
	assert.False(t, c.add("a", exp, now), "replay")
	assert.False(t, c.add("a", exp, exp), "replay at the last instant")
	assert.True(t, c.add("b", exp, now))
	assert.Equal(t, 2, c.len())
	// After expiry the id may come back (its token is refused by exp anyway), and the expired
	// entries are gone.
	later := exp.Add(replayGeneration)
	assert.True(t, c.add("a", later.Add(time.Minute), later))
	assert.Equal(t, 1, c.len())
	// An already expired entry is not kept.
	assert.True(t, c.add("old", later.Add(-time.Second), later))
	assert.Equal(t, 1, c.len())
}

// TestReplayCacheSizeFollowsRate: a steady stream of tokens keeps about rate × lifetime
// entries however long it runs, and the cache empties when the calls stop.
func TestReplayCacheSizeFollowsRate(t *testing.T) {
	t.Parallel()
	c := newReplayCache(1 << 30)
	now := time.Unix(1_700_000_000, 0)
	const rate = 50 // calls per second
	lifetime := 5 * time.Minute
	bound := rate * int((lifetime + 2*replayGeneration).Seconds())
	peak := 0
	for s := 0; s < 30*60; s++ { // 30 minutes, 90,000 tokens
		for i := 0; i < rate; i++ {
			require.True(t, c.add(fmt.Sprintf("jti-%d-%d", s, i), now.Add(lifetime), now))
		}
		peak = max(peak, c.len())
		now = now.Add(time.Second)
	}
	assert.LessOrEqual(t, peak, bound)
	assert.GreaterOrEqual(t, peak, rate*int(lifetime.Seconds()), "every live token is remembered")
	assert.False(t, c.add(fmt.Sprintf("jti-%d-%d", 30*60-1, 0), now.Add(lifetime), now), "a recent jti is still refused")
	now = now.Add(lifetime + replayGeneration)
	assert.True(t, c.add("after-the-pause", now.Add(lifetime), now))
	assert.Equal(t, 1, c.len())
}

// TestReplayCacheLongLivedTokenHoldsNothingBack: entries expire by their own expiry, not in
// arrival order, so one long-lived entry does not keep the later short-lived ones.
func TestReplayCacheLongLivedTokenHoldsNothingBack(t *testing.T) {
	t.Parallel()
	c := newReplayCache(1 << 30)
	now := time.Unix(1_700_000_000, 0)
	require.True(t, c.add("long", now.Add(365*24*time.Hour), now))
	for i := range 1000 {
		require.True(t, c.add(fmt.Sprint("short-", i), now.Add(time.Minute), now))
	}
	assert.Equal(t, 1001, c.len())
	now = now.Add(time.Minute + replayGeneration)
	assert.True(t, c.add("next", now.Add(time.Minute), now))
	assert.Equal(t, 2, c.len())
	assert.False(t, c.add("long", now.Add(time.Minute), now), "the long-lived entry is still refused")
}

// TestReplayCacheOverloadGuard: beyond max, the entries that expire first are dropped.
func TestReplayCacheOverloadGuard(t *testing.T) {
	t.Parallel()
	c := newReplayCache(10)
	now := time.Unix(1_700_000_000, 0)
	for i := range 5 {
		require.True(t, c.add(fmt.Sprint("soon-", i), now.Add(time.Minute), now))
	}
	for i := range 5 {
		require.True(t, c.add(fmt.Sprint("late-", i), now.Add(time.Hour), now))
	}
	assert.Equal(t, 10, c.len())
	require.True(t, c.add("one-more", now.Add(time.Hour), now))
	assert.LessOrEqual(t, c.len(), 10)
	assert.True(t, c.add("soon-0", now.Add(time.Minute), now), "dropped early: the soonest to expire")
	assert.False(t, c.add("late-0", now.Add(time.Hour), now), "kept")
}

// TestVerifierForgetsJTIByTokenAge: a token whose exp is far off is remembered only while its
// iat lets it be accepted (MaxTokenAge + Leeway), and a replay before that is refused.
func TestVerifierForgetsJTIByTokenAge(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	v := e.svc.auth
	aud := testBase + pathView
	far := e.sign(t, pathView, tok{claims: map[string]any{"exp": e.now.Add(365 * 24 * time.Hour).Unix(), "jti": "far"}})
	_, err := v.verify(context.Background(), "Bearer "+far, aud)
	require.NoError(t, err)
	assert.Equal(t, 1, v.replay.len())
	e.now = e.now.Add(v.cfg.MaxTokenAge) // still young enough: a replay is refused
	_, err = v.verify(context.Background(), "Bearer "+far, aud)
	require.ErrorContains(t, err, "replayed")

	e.now = e.now.Add(v.cfg.Leeway + replayGeneration + time.Second)
	_, err = v.verify(context.Background(), "Bearer "+far, aud)
	require.ErrorContains(t, err, "issued too long ago", "too old now, refused without the cache")
	_, err = v.verify(context.Background(), "Bearer "+e.sign(t, pathView, tok{}), aud)
	require.NoError(t, err)
	assert.Equal(t, 1, v.replay.len(), "the far-exp jti is forgotten; only the new one is kept")
}
