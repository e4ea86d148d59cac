package cds

import (
	"sync"
	"time"

	"github.com/google/uuid"
)

// Card log sizing: a shown card's rule is remembered for cardLogWindow, which covers the
// clinician acting on the card and the EHR sending feedback. Memory is about 70 bytes per card
// (the uuid kept as 16 bytes, the rule id shared with the rule set, map overhead): cards per
// second × window, 13 MB at 300 cards/s. cardLogMax only guards against overload (70 MB).
const (
	cardLogWindow = 10 * time.Minute
	cardLogMax    = 1_000_000
)

// cardLog remembers which rule built a card, so feedback (which names only the card uuid)
// is kept per rule. It is in memory and bounded by time: feedback for a card older than the
// window, built by another replica or before a restart is stored under UnknownRule.
//
// Cards are kept in generations (a tenth of the window each), and a generation is dropped
// whole once its newest card is older than the window: a card is remembered for at least the
// window and at most 1.1 windows, and an idle log empties. When a put would make the log hold
// more than max cards, the oldest generation is dropped early.
type cardLog struct {
	mu     sync.Mutex
	window time.Duration
	width  time.Duration // of one generation
	max    int
	gens   []*cardGen // oldest first
	n      int
}

type cardGen struct {
	start time.Time // first card; the generation takes cards until start+width
	rules map[uuid.UUID]string
}

func newCardLog(window time.Duration, maxCards int) *cardLog {
	return &cardLog{window: window, width: max(window/10, time.Nanosecond), max: maxCards}
}

// put remembers that rule built the card with this uuid (a card uuid medscribe made; anything
// else is ignored).
func (l *cardLog) put(id, rule string, now time.Time) {
	u, err := uuid.Parse(id)
	if err != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expire(now)
	for l.n >= l.max && len(l.gens) > 0 {
		l.drop()
	}
	var g *cardGen
	if k := len(l.gens); k > 0 && now.Before(l.gens[k-1].start.Add(l.width)) {
		g = l.gens[k-1]
	} else {
		// Sized like the previous generation: a steady rate fills it without regrowing.
		hint := 0
		if k := len(l.gens); k > 0 {
			hint = len(l.gens[k-1].rules)
		}
		g = &cardGen{start: now, rules: make(map[uuid.UUID]string, hint)}
		l.gens = append(l.gens, g)
	}
	if _, ok := g.rules[u]; !ok {
		l.n++
	}
	g.rules[u] = rule
}

// rule returns the rule that built the card, or "" when the log does not know the card.
func (l *cardLog) rule(id string, now time.Time) string {
	u, err := uuid.Parse(id)
	if err != nil {
		return ""
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expire(now)
	for i := len(l.gens) - 1; i >= 0; i-- {
		if r, ok := l.gens[i].rules[u]; ok {
			return r
		}
	}
	return ""
}

// expire drops the generations whose newest card is older than the window.
func (l *cardLog) expire(now time.Time) {
	for len(l.gens) > 0 && now.Sub(l.gens[0].start.Add(l.width)) > l.window {
		l.drop()
	}
}

func (l *cardLog) drop() {
	l.n -= len(l.gens[0].rules)
	l.gens[0] = nil
	l.gens = l.gens[1:]
}

// len is the number of remembered cards.
func (l *cardLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}
