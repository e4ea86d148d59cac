package cds

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCardLogExpiresByTime(t *testing.T) {
	t.Parallel()
	l := newCardLog(10*time.Minute, 1000)
	now := time.Unix(1_700_000_000, 0)
	a, b := uuid.NewString(), uuid.NewString()
	l.put(a, "rule-a", now)
	l.put(b, "rule-b", now.Add(5*time.Minute))
	assert.Equal(t, "rule-a", l.rule(a, now.Add(10*time.Minute)), "kept for the whole window")
	assert.Equal(t, "rule-b", l.rule(b, now.Add(10*time.Minute)))
	assert.Equal(t, "", l.rule(uuid.NewString(), now), "unknown card")
	assert.Equal(t, "", l.rule("not-a-uuid", now))

	assert.Equal(t, "", l.rule(a, now.Add(11*time.Minute+time.Second)), "forgotten after 1.1 windows")
	assert.Equal(t, "rule-b", l.rule(b, now.Add(11*time.Minute+time.Second)))
	assert.Equal(t, 1, l.len())
	assert.Equal(t, "", l.rule(b, now.Add(17*time.Minute)))
	assert.Equal(t, 0, l.len(), "an idle log empties")

	l.put("not-a-uuid", "rule-x", now)
	assert.Equal(t, 0, l.len(), "only card uuids are kept")
}

// TestCardLogSizeFollowsRate: a steady stream of cards keeps about rate × window cards however
// long it runs.
func TestCardLogSizeFollowsRate(t *testing.T) {
	t.Parallel()
	window := 10 * time.Minute
	l := newCardLog(window, 1<<30)
	now := time.Unix(1_700_000_000, 0)
	const rate = 20 // cards per second
	peak := 0
	var last string
	for s := 0; s < 60*60; s++ { // an hour, 72,000 cards
		for range rate {
			last = uuid.NewString()
			l.put(last, "r", now)
		}
		peak = max(peak, l.len())
		now = now.Add(time.Second)
	}
	assert.LessOrEqual(t, peak, rate*int((window+window/10).Seconds())+rate)
	assert.GreaterOrEqual(t, peak, rate*int(window.Seconds()))
	assert.Equal(t, "r", l.rule(last, now))
}

func TestCardLogOverloadGuard(t *testing.T) {
	t.Parallel()
	l := newCardLog(10*time.Minute, 10)
	now := time.Unix(1_700_000_000, 0)
	first := uuid.NewString()
	l.put(first, "old", now)
	for range 9 {
		l.put(uuid.NewString(), "old", now)
	}
	newer := uuid.NewString()
	l.put(newer, "new", now.Add(2*time.Minute)) // a later generation
	assert.LessOrEqual(t, l.len(), 10)
	assert.Equal(t, "", l.rule(first, now.Add(2*time.Minute)), "the oldest generation went first")
	assert.Equal(t, "new", l.rule(newer, now.Add(2*time.Minute)))
}

// TestFeedbackAfterTheWindow: feedback on a card shown longer ago than the card log window is
// stored under UnknownRule, not dropped; within the window it is kept under its rule.
func TestFeedbackAfterTheWindow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{noDedupe: true}) // the same order is shown twice
	show := func() string {
		w := e.call(pathSign, hookBody(HookOrderSign, []map[string]any{medReq("d1", "draft", "5640", "ibuprofen")}, standardPrefetch()),
			"Bearer "+e.sign(t, pathSign, tok{}))
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		cards := decodeCards(t, w.Body.Bytes())
		require.Len(t, cards, 1)
		return cards[0]["uuid"].(string)
	}
	send := func(id string) {
		fb := `{"feedback":[{"card":"` + id + `","outcome":"overridden","outcomeTimestamp":"2026-03-01T12:01:00Z"}]}`
		w := e.call(pathSign+"/feedback", []byte(fb), "Bearer "+e.sign(t, pathSign+"/feedback", tok{}))
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	}
	late := show()
	e.now = e.now.Add(cardLogWindow + cardLogWindow/10 + time.Second)
	send(late)
	onTime := show()
	e.now = e.now.Add(cardLogWindow - time.Second)
	send(onTime)

	w := e.get("/v1/cds/feedback/summary")
	require.Equal(t, http.StatusOK, w.Code)
	var sum struct {
		Rules []struct {
			RuleID     string `json:"rule_id"`
			Overridden int    `json:"overridden"`
		} `json:"rules"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &sum), w.Body.String())
	got := map[string]int{}
	for _, r := range sum.Rules {
		got[r.RuleID] = r.Overridden
	}
	assert.Equal(t, map[string]int{UnknownRule: 1, "test-warfarin-nsaid": 1}, got)
}
