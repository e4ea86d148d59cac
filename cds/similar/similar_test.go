package similar

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/cds"
	"github.com/medscribe/medscribe/nlp/embed"
	"github.com/medscribe/medscribe/rules"
	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/visit"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newEngine(t *testing.T, st store.Store, dims int) *Engine {
	t.Helper()
	emb, err := embed.NewOffline(&embed.OfflineConfig{Dims: dims})
	require.NoError(t, err)
	e, err := New(&Config{Store: st, Embedder: emb, K: 5, MinScore: 0.2, MinCases: 2, Logger: quiet})
	require.NoError(t, err)
	return e
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "db"), quiet)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

// rec builds a processed visit with the given problems and drugs (no transcript needed: the
// case is built from items).
func rec(id, patient string, problems, drugs []string, plan ...string) *visit.Record {
	r := &visit.Record{ID: id, ExternalID: "ext-" + id, PatientID: patient}
	for _, p := range problems {
		r.Problems = append(r.Problems, visit.Problem{Text: p, Assertion: visit.Present})
	}
	for _, d := range drugs {
		r.Medications = append(r.Medications, visit.Medication{Text: d, Status: visit.MedActive})
	}
	for _, p := range plan {
		r.Orders = append(r.Orders, visit.Order{Kind: visit.OrderReferral, Text: p})
	}
	return r
}

func TestCaseFromVisitKeepsWhatThePatientHas(t *testing.T) {
	r := &visit.Record{ID: "v", Problems: []visit.Problem{
		{Text: "Hypertension", Assertion: visit.Present}, {Text: "fracture", Assertion: visit.Absent}, {Text: "breast cancer", Assertion: visit.Family},
	}, Medications: []visit.Medication{
		{Text: "lisinopril", Status: visit.MedActive}, {Text: "empagliflozin", Status: visit.MedConsidered}, {Text: "ibuprofen", Status: visit.MedStopped},
	}, Findings: []visit.Finding{{Text: "fever", Assertion: visit.Absent}, {Text: "cough", Assertion: visit.Present}}}
	c := CaseFromVisit(r)
	assert.Equal(t, []string{"hypertension"}, c.Problems)
	assert.Equal(t, []string{"lisinopril", "ibuprofen"}, c.Medications)
	assert.Equal(t, []string{"no fever", "cough"}, c.Findings)
	assert.Equal(t, "visit:v", c.ID)
}

func TestSearchCardAndSelfExclusion(t *testing.T) {
	st := openStore(t)
	e := newEngine(t, st, 128)
	ctx := context.Background()
	for i := 0; i < 4; i++ {
		require.NoError(t, e.IndexVisit(ctx, rec(fmt.Sprintf("knee%d", i), fmt.Sprintf("p%d", i), []string{"knee pain", "osteoarthritis"}, []string{"ibuprofen"}, "physical therapy")))
	}
	require.NoError(t, e.IndexVisit(ctx, rec("dm", "p9", []string{"type 2 diabetes"}, []string{"metformin"})))
	q := rec("q", "pq", []string{"osteoarthritis", "knee pain"}, []string{"naproxen"})
	require.NoError(t, e.IndexVisit(ctx, q))
	// SimilarToVisit needs the stored visit: store q as a visit too.
	q.Schema, q.Source, q.ContentHash, q.Status = visit.Schema, "t", "h", visit.StatusDraft
	q.Normalize()
	stored, _, err := st.PutVisit(ctx, q)
	require.NoError(t, err)
	stored.Problems, stored.Medications = q.Problems, q.Medications
	require.NoError(t, st.UpdateVisit(ctx, stored))

	res, err := e.SimilarToVisit(ctx, stored.ID, 3)
	require.NoError(t, err)
	r := res.(*Response)
	require.Len(t, r.Cases, 3)
	for _, m := range r.Cases {
		assert.True(t, strings.HasPrefix(m.VisitID, "knee"), "knee patients first, got %s", m.VisitID)
		assert.NotEqual(t, "visit:"+stored.ID, m.CaseID)
	}

	card, err := e.Card(ctx, DocOf(CaseFromVisit(q)), []string{"ibuprofen"}, "pq")
	require.NoError(t, err)
	require.NotNil(t, card)
	assert.LessOrEqual(t, len(card.Summary), 140)
	assert.Equal(t, "info", card.Indicator)
	assert.Contains(t, card.Detail, "referral: physical therapy")
	assert.Contains(t, card.Detail, "of them were on **ibuprofen**")
	for _, l := range card.Links {
		assert.Equal(t, "absolute", l.Type)
	}

	none, err := e.Card(ctx, embed.Doc{Problems: []string{"appendicitis"}}, nil, "")
	require.NoError(t, err)
	assert.Nil(t, none, "too few similar cases: no card")
}

func TestReindexAfterEmbedderChange(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	old := newEngine(t, st, 64)
	require.NoError(t, old.IndexVisit(ctx, rec("a", "p1", []string{"asthma"}, []string{"albuterol"})))
	require.NoError(t, old.IndexVisit(ctx, rec("b", "p2", []string{"asthma"}, []string{"budesonide"})))

	e := newEngine(t, st, 128)
	_, err := e.Search(ctx, embed.Doc{Problems: []string{"asthma"}}, 2, nil)
	assert.ErrorIs(t, err, ErrEmbedderChanged, "vectors of another embedder are never compared")
	n, err := e.Reindex(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	stats, err := st.CaseStats(ctx)
	require.NoError(t, err)
	assert.Equal(t, 128, stats.Dims)
	m, err := e.Search(ctx, embed.Doc{Problems: []string{"asthma"}}, 2, nil)
	require.NoError(t, err)
	assert.Len(t, m, 2)
}

func TestSimilarCardsOnlyAtPatientViewAndOrderSign(t *testing.T) {
	st := openStore(t)
	e := newEngine(t, st, 128)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		require.NoError(t, e.IndexVisit(ctx, rec(fmt.Sprintf("af%d", i), fmt.Sprintf("p%d", i), []string{"atrial fibrillation"}, []string{"warfarin"}, "cardiology")))
	}
	p := &cds.PatientContext{PatientID: "ehr-1", Hook: "order-sign", Patient: rules.Patient{
		Conditions:  []rules.Condition{{Text: "Atrial fibrillation"}},
		Medications: []rules.Med{{Name: "warfarin", Status: "active"}, {Name: "ibuprofen", Draft: true}},
	}}
	card, err := e.SimilarCards(ctx, p, []rules.Med{{Name: "ibuprofen", Draft: true}})
	require.NoError(t, err)
	require.NotNil(t, card)
	assert.Contains(t, card.Detail, "None of them was on **ibuprofen**")
	p.Hook = "order-select"
	card, err = e.SimilarCards(ctx, p, nil)
	require.NoError(t, err)
	assert.Nil(t, card, "no similar-case card at order-select")
}
