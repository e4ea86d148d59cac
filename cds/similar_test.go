package cds

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/rules"
	"github.com/medscribe/medscribe/visit"
)

type fakeSimilar struct {
	delay time.Duration
	got   chan *PatientContext
}

func (f *fakeSimilar) SimilarCards(ctx context.Context, p *PatientContext, draft []rules.Med) (*visit.Card, error) {
	select {
	case f.got <- p:
	default:
	}
	select {
	case <-time.After(f.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return &visit.Card{Summary: "3 similar patients had GI bleeding on this combination", Indicator: "info",
		Source: visit.CardSource{Label: "medscribe similar cases"}}, nil
}

func TestSimilarCards(t *testing.T) {
	t.Parallel()
	body := hookBody(HookOrderSign, []map[string]any{medReq("d1", "draft", "5640", "ibuprofen")}, standardPrefetch())

	fast := &fakeSimilar{got: make(chan *PatientContext, 1)}
	e := newEnv(t, envOpts{similar: fast})
	w := e.call(pathSign, body)
	require.Equal(t, http.StatusOK, w.Code)
	requireValid(t, w.Body.Bytes())
	cards := decodeCards(t, w.Body.Bytes())
	require.Len(t, cards, 2)
	assert.Equal(t, "3 similar patients had GI bleeding on this combination", cards[1]["summary"])
	assert.NotEmpty(t, cards[1]["uuid"], "the service gives the similar card a uuid")
	pc := <-fast.got
	assert.Equal(t, "p1", pc.PatientID)
	assert.Equal(t, HookOrderSign, pc.Hook)

	// A similar search slower than SimilarTimeout does not hold back the rule cards.
	slow := &fakeSimilar{delay: time.Hour, got: make(chan *PatientContext, 1)}
	e = newEnv(t, envOpts{similar: slow})
	e.svc.cfg.SimilarTimeout = 20 * time.Millisecond
	w = e.call(pathSign, body)
	require.Equal(t, http.StatusOK, w.Code)
	cards = decodeCards(t, w.Body.Bytes())
	require.Len(t, cards, 1)
	assert.Equal(t, "test-warfarin-nsaid", ruleOf(cards[0]))
}
