package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/visit"
)

// Run runs the conformance suite. open must return a fresh, empty, migrated store; Run closes it.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Ping", testPing},
		{"VisitPutGet", testVisitPutGet},
		{"VisitIdempotentAndVersions", testVisitVersions},
		{"VisitRequiredFields", testVisitRequired},
		{"VisitConcurrentSameContent", testVisitConcurrentSame},
		{"VisitConcurrentNewContent", testVisitConcurrentNew},
		{"VisitUpdate", testVisitUpdate},
		{"VisitListPaging", testVisitList},
		{"VisitLatestAndStatus", testVisitLatest},
		{"CasePutGet", testCasePutGet},
		{"CaseSimilar", testCaseSimilar},
		{"CaseSimilarRandom", testCaseSimilarRandom},
		{"CaseDimensions", testCaseDimensions},
		{"Feedback", testFeedback},
		{"CardShown", testCardShown},
		{"Audit", testAudit},
		{"Users", testUsers},
		{"APIKeys", testAPIKeys},
		{"Sessions", testSessions},
		{"ReviewSign", testReviewSign},
		{"SignConcurrent", testSignConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { _ = s.Close() })
			tc.fn(t, s)
		})
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

// newVisit makes a small record; its content differs by hash.
func newVisit(ext, hash string) *visit.Record {
	start, end := int64(0), int64(1500)
	r := &visit.Record{
		ExternalID:  ext,
		PatientID:   "pt-" + ext,
		Source:      "test",
		ContentHash: hash,
		Status:      visit.StatusQueued,
		Transcript: visit.Transcript{Turns: []visit.Turn{
			{Index: 0, Speaker: visit.Doctor, Text: "Any chest pain?", StartMS: &start, EndMS: &end},
			{Index: 1, Speaker: visit.Patient, Text: "No chest pain."},
		}},
	}
	r.Normalize()
	return r
}

func testPing(t *testing.T, s store.Store) {
	require.NoError(t, s.Ping(ctx(t)))
	assert.Contains(t, []string{"sqlite", "postgres"}, s.Dialect())
}

func testVisitPutGet(t *testing.T, s store.Store) {
	c := ctx(t)
	in := newVisit("enc-1", "h1")
	in.Problems = []visit.Problem{{Text: "hypertension", Assertion: visit.Present,
		Code: &visit.Code{System: visit.SystemICD10CM, Code: "I10", Display: "Essential hypertension"}}}
	got, created, err := s.PutVisit(c, in)
	require.NoError(t, err)
	assert.True(t, created)
	assert.NotEmpty(t, got.ID)
	assert.Equal(t, 1, got.Version)
	assert.False(t, got.CreatedAt.IsZero())
	assert.Equal(t, visit.Schema, got.Schema)

	back, err := s.GetVisit(c, got.ID)
	require.NoError(t, err)
	assert.Equal(t, got.ID, back.ID)
	assert.True(t, got.CreatedAt.Equal(back.CreatedAt), "created_at %v vs %v", got.CreatedAt, back.CreatedAt)
	assert.Equal(t, in.Transcript, back.Transcript)
	assert.Equal(t, in.Problems, back.Problems)
	assert.Equal(t, "pt-enc-1", back.PatientID)
	assert.Equal(t, []visit.Card{}, back.Alerts, "lists are empty, not null")

	_, err = s.GetVisit(c, "no-such-visit")
	assert.ErrorIs(t, err, store.ErrNotFound)

	// An explicit id that is taken is a conflict, not a silent overwrite.
	dup := newVisit("enc-other", "hx")
	dup.ID = got.ID
	_, _, err = s.PutVisit(c, dup)
	assert.ErrorIs(t, err, store.ErrConflict)
}

func testVisitVersions(t *testing.T, s store.Store) {
	c := ctx(t)
	v1, created, err := s.PutVisit(c, newVisit("enc-2", "a"))
	require.NoError(t, err)
	require.True(t, created)

	again, created, err := s.PutVisit(c, newVisit("enc-2", "a"))
	require.NoError(t, err)
	assert.False(t, created, "same source, external id and content: nothing written")
	assert.Equal(t, v1.ID, again.ID)
	assert.Equal(t, 1, again.Version)

	v2, created, err := s.PutVisit(c, newVisit("enc-2", "b"))
	require.NoError(t, err)
	assert.True(t, created)
	assert.Equal(t, 2, v2.Version)
	assert.NotEqual(t, v1.ID, v2.ID)

	// Same external id from another source is another visit.
	other := newVisit("enc-2", "a")
	other.Source = "other"
	o, created, err := s.PutVisit(c, other)
	require.NoError(t, err)
	assert.True(t, created)
	assert.Equal(t, 1, o.Version)

	vs, err := s.VisitVersions(c, "test", "enc-2")
	require.NoError(t, err)
	require.Len(t, vs, 2)
	assert.Equal(t, []int{1, 2}, []int{vs[0].Version, vs[1].Version})
	assert.Equal(t, v1.ID, vs[0].ID)

	old, err := s.GetVisit(c, v1.ID)
	require.NoError(t, err, "earlier versions are kept")
	assert.Equal(t, 1, old.Version)

	none, err := s.VisitVersions(c, "test", "no-such")
	require.NoError(t, err)
	assert.Empty(t, none)
}

func testVisitRequired(t *testing.T, s store.Store) {
	c := ctx(t)
	for _, tc := range []struct {
		name string
		mod  func(r *visit.Record)
	}{
		{"no source", func(r *visit.Record) { r.Source = "" }},
		{"no external id", func(r *visit.Record) { r.ExternalID = "" }},
		{"no content hash", func(r *visit.Record) { r.ContentHash = "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newVisit("enc-r", "h")
			tc.mod(r)
			_, _, err := s.PutVisit(c, r)
			assert.Error(t, err)
		})
	}
	page, err := s.ListVisits(c, store.VisitFilter{})
	require.NoError(t, err)
	assert.Empty(t, page.Visits, "nothing stored half-way")
}

func testVisitConcurrentSame(t *testing.T, s store.Store) {
	c := ctx(t)
	const n = 8
	var wg sync.WaitGroup
	ids := make([]string, n)
	createdN := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, created, err := s.PutVisit(c, newVisit("enc-race", "same"))
			errs[i], createdN[i] = err, created
			if err == nil {
				ids[i] = r.ID
			}
		}()
	}
	wg.Wait()
	nCreated := 0
	for i := range n {
		require.NoError(t, errs[i])
		assert.Equal(t, ids[0], ids[i], "every caller gets the same visit")
		if createdN[i] {
			nCreated++
		}
	}
	assert.Equal(t, 1, nCreated)
	vs, err := s.VisitVersions(c, "test", "enc-race")
	require.NoError(t, err)
	assert.Len(t, vs, 1)
}

func testVisitConcurrentNew(t *testing.T, s store.Store) {
	c := ctx(t)
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = s.PutVisit(c, newVisit("enc-ver", fmt.Sprintf("h%d", i)))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	vs, err := s.VisitVersions(c, "test", "enc-ver")
	require.NoError(t, err)
	require.Len(t, vs, n)
	for i, v := range vs {
		assert.Equal(t, i+1, v.Version)
	}
}

func testVisitUpdate(t *testing.T, s store.Store) {
	c := ctx(t)
	v, _, err := s.PutVisit(c, newVisit("enc-u", "h"))
	require.NoError(t, err)
	upd := *v
	upd.Status = visit.StatusDraft
	upd.Alerts = []visit.Card{{Summary: "warfarin + aspirin", Indicator: "warning", Source: visit.CardSource{Label: "rules"}}}
	upd.Note = visit.Note{Text: "ASSESSMENT\nStable."}
	upd.Version = 99          // identity is kept: ignored
	upd.ContentHash = "other" // ditto
	require.NoError(t, s.UpdateVisit(c, &upd))

	got, err := s.GetVisit(c, v.ID)
	require.NoError(t, err)
	assert.Equal(t, visit.StatusDraft, got.Status)
	assert.Equal(t, "ASSESSMENT\nStable.", got.Note.Text)
	assert.Len(t, got.Alerts, 1)
	assert.Equal(t, 1, got.Version)
	assert.Equal(t, "h", got.ContentHash)

	page, err := s.ListVisits(c, store.VisitFilter{})
	require.NoError(t, err)
	require.Len(t, page.Visits, 1)
	assert.Equal(t, 1, page.Visits[0].Alerts)
	assert.Equal(t, visit.StatusDraft, page.Visits[0].Status)
	assert.False(t, page.Visits[0].UpdatedAt.Before(page.Visits[0].CreatedAt))

	missing := *v
	missing.ID = "no-such"
	assert.ErrorIs(t, s.UpdateVisit(c, &missing), store.ErrNotFound)
}

func testVisitList(t *testing.T, s store.Store) {
	c := ctx(t)
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var want []string // newest first
	for i := range 7 {
		r := newVisit(fmt.Sprintf("ENC_%d", i), "h")
		r.PatientID = []string{"alice", "bob"}[i%2]
		r.CreatedAt = base.Add(time.Duration(i) * time.Minute)
		if i == 3 {
			r.Status = visit.StatusFailed
		}
		if i == 5 {
			r.CreatedAt = base.Add(4 * time.Minute) // a tie with visit 4: the id breaks it
		}
		got, _, err := s.PutVisit(c, r)
		require.NoError(t, err)
		want = append(want, got.ID)
	}
	var all []store.VisitSummary
	cursor := ""
	pages := 0
	for {
		page, err := s.ListVisits(c, store.VisitFilter{Limit: 3, Cursor: cursor})
		require.NoError(t, err)
		pages++
		all = append(all, page.Visits...)
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
		require.Less(t, pages, 5)
	}
	assert.Equal(t, 3, pages)
	require.Len(t, all, 7)
	seen := map[string]bool{}
	for i, v := range all {
		assert.False(t, seen[v.ID], "no visit twice")
		seen[v.ID] = true
		if i > 0 {
			prev := all[i-1]
			assert.True(t, prev.CreatedAt.After(v.CreatedAt) || (prev.CreatedAt.Equal(v.CreatedAt) && prev.ID > v.ID),
				"newest first")
		}
	}
	assert.Equal(t, want[6], all[0].ID)

	for _, tc := range []struct {
		name string
		f    store.VisitFilter
		want int
	}{
		{"patient", store.VisitFilter{PatientID: "alice"}, 4},
		{"status", store.VisitFilter{Status: visit.StatusFailed}, 1},
		{"patient and status", store.VisitFilter{PatientID: "bob", Status: visit.StatusQueued}, 2},
		{"query is case-insensitive", store.VisitFilter{Query: "enc_"}, 7},
		{"query on patient id", store.VisitFilter{Query: "ALI"}, 4},
		{"query wildcards are literal", store.VisitFilter{Query: "%"}, 0},
		{"underscore is literal", store.VisitFilter{Query: "en__1"}, 0},
		{"underscore matches itself", store.VisitFilter{Query: "c_1"}, 1},
		{"limit", store.VisitFilter{Limit: 2}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := s.ListVisits(c, tc.f)
			require.NoError(t, err)
			assert.Len(t, page.Visits, tc.want)
		})
	}
	_, err := s.ListVisits(c, store.VisitFilter{Cursor: "not a cursor!"})
	assert.ErrorIs(t, err, store.ErrBadCursor)
}

func testVisitLatest(t *testing.T, s store.Store) {
	c := ctx(t)
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	mk := func(ext string, at time.Time, st visit.Status) *visit.Record {
		r := newVisit(ext, "h")
		r.PatientID, r.CreatedAt, r.Status = "carol", at, st
		got, _, err := s.PutVisit(c, r)
		require.NoError(t, err)
		return got
	}
	mk("a", base, visit.StatusDraft)
	b := mk("b", base.Add(time.Hour), visit.StatusSigned)
	mk("c", base.Add(2*time.Hour), visit.StatusFailed)
	q := mk("d", base.Add(-time.Hour), visit.StatusQueued)

	got, err := s.LatestVisitForPatient(c, "carol")
	require.NoError(t, err)
	assert.Equal(t, b.ID, got.ID, "failed visits are skipped")
	_, err = s.LatestVisitForPatient(c, "nobody")
	assert.ErrorIs(t, err, store.ErrNotFound)

	ids, err := s.VisitIDsWithStatus(c, visit.StatusQueued, visit.StatusProcessing)
	require.NoError(t, err)
	assert.Equal(t, []string{q.ID}, ids)
	ids, err = s.VisitIDsWithStatus(c, visit.StatusProcessing)
	require.NoError(t, err)
	assert.Empty(t, ids)
}

func unit(v ...float32) []float32 { return v }

func testCasePutGet(t *testing.T, s store.Store) {
	c := ctx(t)
	st, err := s.CaseStats(c)
	require.NoError(t, err)
	assert.Equal(t, store.CaseStats{}, st)

	in := &store.Case{ID: "case-b", VisitID: "v1", ExternalID: "enc-1", PatientID: "p1", Source: "visit",
		Problems: []string{"I10"}, Medications: []string{"lisinopril"},
		Outcomes: []store.Outcome{{Kind: "adverse_event", Text: "angioedema", Drug: "lisinopril"}},
		Text:     "hypertension on lisinopril", Embedding: unit(0.25, -0.5, 1.5), Embedder: "test@3"}
	require.NoError(t, s.PutCase(c, in))
	require.NoError(t, s.PutCase(c, &store.Case{ID: "case-a", Source: "jsonl", Embedding: unit(1, 0, 0), Embedder: "test@3"}))
	require.NoError(t, s.PutCase(c, &store.Case{ID: "case-c", Source: "jsonl"})) // waiting for an embedding

	got, err := s.GetCase(c, "case-b")
	require.NoError(t, err)
	assert.Equal(t, in.Problems, got.Problems)
	assert.Equal(t, in.Outcomes, got.Outcomes)
	assert.Equal(t, []string{}, got.Findings)
	assert.Equal(t, in.Embedding, got.Embedding)
	assert.Equal(t, "hypertension on lisinopril", got.Text)
	assert.True(t, in.CreatedAt.Equal(got.CreatedAt))
	_, err = s.GetCase(c, "nope")
	assert.ErrorIs(t, err, store.ErrNotFound)

	// Replace by id.
	in.Problems = []string{"I10", "E11.9"}
	require.NoError(t, s.PutCase(c, in))
	got, err = s.GetCase(c, "case-b")
	require.NoError(t, err)
	assert.Equal(t, []string{"I10", "E11.9"}, got.Problems)

	var order []string
	require.NoError(t, s.EachCase(c, func(cs *store.Case) error {
		order = append(order, cs.ID)
		return nil
	}))
	assert.Equal(t, []string{"case-a", "case-b", "case-c"}, order)
	stop := errors.New("stop")
	assert.ErrorIs(t, s.EachCase(c, func(*store.Case) error { return stop }), stop)

	st, err = s.CaseStats(c)
	require.NoError(t, err)
	assert.Equal(t, store.CaseStats{Count: 3, Dims: 3, Embedder: "test@3", Missing: 1}, st)
}

func testCaseSimilar(t *testing.T, s store.Store) {
	c := ctx(t)
	// Empty base: no matches, no error.
	got, err := s.SimilarCases(c, unit(1, 0, 0), 3, nil)
	require.NoError(t, err)
	assert.Empty(t, got)

	require.NoError(t, s.PutCase(c, &store.Case{ID: "only", Embedding: unit(1, 1, 0)}))
	got, err = s.SimilarCases(c, unit(0, 0, 1), 5, nil)
	require.NoError(t, err)
	require.Len(t, got, 1, "a base of one")
	assert.Equal(t, "only", got[0].Case.ID)
	assert.InDelta(t, 0, got[0].Score, 1e-6)

	vecs := map[string][]float32{
		"x":     unit(1, 0, 0),
		"x-ish": unit(0.9, 0.1, 0),
		"y":     unit(0, 1, 0),
		"z":     unit(0, 0, 1),
		"anti":  unit(-1, 0, 0),
	}
	for id, v := range vecs {
		require.NoError(t, s.PutCase(c, &store.Case{ID: id, Embedding: v, Problems: []string{id}}))
	}
	for _, tc := range []struct {
		name  string
		q     []float32
		k     int
		opts  *store.SimilarOpts
		want  []string
		score float64 // of the first
	}{
		{"nearest first", unit(2, 0, 0), 2, nil, []string{"x", "x-ish"}, 1},
		{"exact flag", unit(2, 0, 0), 2, &store.SimilarOpts{Exact: true}, []string{"x", "x-ish"}, 1},
		{"exclusion", unit(1, 0, 0), 2, &store.SimilarOpts{ExcludeIDs: []string{"x"}}, []string{"x-ish", "only"}, 0.9 / math.Sqrt(0.82)},
		{"min score", unit(1, 0, 0), 10, &store.SimilarOpts{MinScore: 0.75}, []string{"x", "x-ish"}, 1},
		{"k larger than the base", unit(1, 0, 0), 50, nil, []string{"x", "x-ish", "only", "y", "z", "anti"}, 1},
		{"ef_search", unit(0, 1, 0), 1, &store.SimilarOpts{EfSearch: 64}, []string{"y"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.SimilarCases(c, tc.q, tc.k, tc.opts)
			require.NoError(t, err)
			ids := make([]string, len(got))
			for i, m := range got {
				ids[i] = m.Case.ID
			}
			if tc.name == "k larger than the base" {
				// y and z tie at 0: order between them is not specified.
				require.Len(t, ids, 6)
				assert.Equal(t, tc.want[:3], ids[:3])
				assert.ElementsMatch(t, tc.want[3:5], ids[3:5])
				assert.Equal(t, "anti", ids[5])
			} else {
				assert.Equal(t, tc.want, ids)
			}
			require.NotEmpty(t, got)
			assert.InDelta(t, tc.score, got[0].Score, 1e-5)
			if got[0].Case.ID != "only" {
				assert.Equal(t, []string{got[0].Case.ID}, got[0].Case.Problems, "cases come back whole")
			}
			for i := 1; i < len(got); i++ {
				assert.GreaterOrEqual(t, got[i-1].Score, got[i].Score, "best first")
			}
		})
	}
	for _, tc := range []struct {
		name string
		q    []float32
		k    int
		err  error
	}{
		{"wrong dimension", unit(1, 0), 3, store.ErrDimension},
		{"NaN", unit(float32(math.NaN()), 0, 0), 3, store.ErrDimension},
		{"Inf", unit(float32(math.Inf(1)), 0, 0), 3, store.ErrDimension},
		{"zero vector", unit(0, 0, 0), 3, store.ErrDimension},
		{"empty vector", nil, 3, store.ErrDimension},
		{"k zero", unit(1, 0, 0), 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.SimilarCases(c, tc.q, tc.k, nil)
			require.Error(t, err)
			assert.Empty(t, got)
			if tc.err != nil {
				assert.ErrorIs(t, err, tc.err)
			}
		})
	}
}

// clustered makes n deterministic unit-ish vectors of dim dims around a few centres.
func clustered(seed uint64, n, dims, clusters int) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	centres := make([][]float32, clusters)
	for i := range centres {
		centres[i] = make([]float32, dims)
		for j := range centres[i] {
			centres[i][j] = float32(rng.NormFloat64())
		}
	}
	out := make([][]float32, n)
	for i := range out {
		c := centres[rng.IntN(clusters)]
		v := make([]float32, dims)
		for j := range v {
			v[j] = c[j] + float32(0.6*rng.NormFloat64())
		}
		out[i] = v
	}
	return out
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}

func testCaseSimilarRandom(t *testing.T, s store.Store) {
	c := ctx(t)
	const n, dims, k = 400, 24, 10
	vecs := clustered(42, n, dims, 8)
	ids := make([]string, n)
	for i, v := range vecs {
		ids[i] = fmt.Sprintf("c%04d", i)
		require.NoError(t, s.PutCase(c, &store.Case{ID: ids[i], Embedding: v}))
	}
	queries := clustered(7, 20, dims, 8)
	recallHits := 0
	for qi, q := range queries {
		type pair struct {
			id    string
			score float64
		}
		all := make([]pair, n)
		for i, v := range vecs {
			all[i] = pair{ids[i], cosine(q, v)}
		}
		sort.Slice(all, func(i, j int) bool { return all[i].score > all[j].score })
		exact, err := s.SimilarCases(c, q, k, &store.SimilarOpts{Exact: true})
		require.NoError(t, err)
		require.Len(t, exact, k)
		for i := range k {
			assert.Equal(t, all[i].id, exact[i].Case.ID, "query %d rank %d", qi, i)
			assert.InDelta(t, all[i].score, exact[i].Score, 1e-4)
		}
		approx, err := s.SimilarCases(c, q, k, &store.SimilarOpts{EfSearch: 100})
		require.NoError(t, err)
		want := map[string]bool{}
		for i := range k {
			want[all[i].id] = true
		}
		for _, m := range approx {
			if want[m.Case.ID] {
				recallHits++
			}
		}
	}
	recall := float64(recallHits) / float64(len(queries)*k)
	assert.GreaterOrEqual(t, recall, 0.9, "recall@10 of the default search")
}

func testCaseDimensions(t *testing.T, s store.Store) {
	c := ctx(t)
	require.NoError(t, s.PutCase(c, &store.Case{ID: "a", Embedding: unit(1, 2, 3, 4), Embedder: "m1"}))
	for _, tc := range []struct {
		name string
		vec  []float32
	}{
		{"mixed dimensions", unit(1, 2, 3)},
		{"NaN", unit(1, float32(math.NaN()), 3, 4)},
		{"Inf", unit(1, float32(math.Inf(-1)), 3, 4)},
		{"zero", unit(0, 0, 0, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.PutCase(c, &store.Case{ID: "b", Embedding: tc.vec})
			assert.ErrorIs(t, err, store.ErrDimension)
			_, err = s.GetCase(c, "b")
			assert.ErrorIs(t, err, store.ErrNotFound, "nothing stored")
		})
	}
	require.NoError(t, s.ResetEmbeddings(c))
	st, err := s.CaseStats(c)
	require.NoError(t, err)
	assert.Equal(t, store.CaseStats{Count: 1, Missing: 1}, st)
	got, err := s.GetCase(c, "a")
	require.NoError(t, err)
	assert.Empty(t, got.Embedding)

	// After a reset another embedder with another dimension is accepted.
	require.NoError(t, s.PutCase(c, &store.Case{ID: "a", Embedding: unit(1, 0), Embedder: "m2"}))
	st, err = s.CaseStats(c)
	require.NoError(t, err)
	assert.Equal(t, store.CaseStats{Count: 1, Dims: 2, Embedder: "m2"}, st)
	m, err := s.SimilarCases(c, unit(1, 0.1), 3, nil)
	require.NoError(t, err)
	require.Len(t, m, 1)
	assert.Equal(t, "a", m[0].Case.ID)
}

func testFeedback(t *testing.T, s store.Store) {
	c := ctx(t)
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, fb := range []store.Feedback{
		{ServiceID: "medscribe-order-sign", CardUUID: "u1", RuleID: "ddi-warfarin-nsaid", Outcome: "accepted", OutcomeTimestamp: at},
		{ServiceID: "medscribe-order-sign", CardUUID: "u2", RuleID: "ddi-warfarin-nsaid", Outcome: "overridden", OverrideCode: "benefit-outweighs-risk", OutcomeTimestamp: at},
		{ServiceID: "medscribe-order-sign", CardUUID: "u3", RuleID: "ddi-warfarin-nsaid", Outcome: "overridden", OverrideCode: "benefit-outweighs-risk", OutcomeTimestamp: at},
		{ServiceID: "medscribe-order-sign", CardUUID: "u4", RuleID: "ddi-warfarin-nsaid", Outcome: "accepted", AcceptedSuggests: []string{"s1"}, OutcomeTimestamp: at},
		{ServiceID: "medscribe-patient-view", CardUUID: "u5", RuleID: "allergy-penicillin", Outcome: "overridden", OverrideCode: "not-allergic", OutcomeTimestamp: at},
	} {
		require.NoError(t, s.PutFeedback(c, fb))
	}
	assert.Error(t, s.PutFeedback(c, store.Feedback{RuleID: "r", Outcome: "ignored"}))
	sum, err := s.FeedbackSummary(c)
	require.NoError(t, err)
	assert.Equal(t, []store.RuleFeedback{
		{RuleID: "allergy-penicillin", Overridden: 1, OverrideRate: 1, Reasons: map[string]int{"not-allergic": 1}},
		{RuleID: "ddi-warfarin-nsaid", Accepted: 2, Overridden: 2, AcceptRate: 0.5, OverrideRate: 0.5,
			Reasons: map[string]int{"benefit-outweighs-risk": 2}},
	}, sum)
}

func testCardShown(t *testing.T, s store.Store) {
	c := ctx(t)
	now := time.Now()
	already, err := s.MarkCardShown(c, "pt1|ddi-warfarin-nsaid", now)
	require.NoError(t, err)
	assert.False(t, already)
	already, err = s.MarkCardShown(c, "pt1|ddi-warfarin-nsaid", now.Add(time.Minute))
	require.NoError(t, err)
	assert.True(t, already)
	already, err = s.MarkCardShown(c, "pt2|ddi-warfarin-nsaid", now)
	require.NoError(t, err)
	assert.False(t, already)

	// Pruning forgets what was shown before the cut, and only that.
	_, err = s.MarkCardShown(c, "pt3|later", now.Add(2*time.Hour))
	require.NoError(t, err)
	n, err := s.PruneCardsShown(c, now.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, int64(2), n)
	already, err = s.MarkCardShown(c, "pt1|ddi-warfarin-nsaid", now.Add(3*time.Hour))
	require.NoError(t, err)
	assert.False(t, already, "a pruned card is shown again")
	already, err = s.MarkCardShown(c, "pt3|later", now.Add(3*time.Hour))
	require.NoError(t, err)
	assert.True(t, already, "a card shown after the cut is still remembered")
}

func testAudit(t *testing.T, s store.Store) {
	c := ctx(t)
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i, ev := range []store.AuditEvent{
		{Actor: "dr.a", Role: "physician", Action: "visit.read", Object: "visit:1", Client: "10.0.0.1"},
		{Actor: "dr.a", Role: "physician", Action: "visit.sign", Object: "visit:1", Client: "10.0.0.1", Detail: "status=200"},
		{Actor: "ehr", Role: "integrator", Action: "visit.create", Object: "visit:2", Client: "10.0.0.2"},
	} {
		ev.At = base.Add(time.Duration(i) * time.Minute)
		require.NoError(t, s.AppendAudit(c, ev))
	}
	all, err := s.ListAudit(c, store.AuditFilter{})
	require.NoError(t, err)
	require.Len(t, all, 3)
	assert.Equal(t, "visit.create", all[0].Action, "newest first")
	assert.Equal(t, "status=200", all[1].Detail)
	assert.True(t, base.Equal(all[2].At))
	assert.NotZero(t, all[0].ID)
	for _, tc := range []struct {
		name string
		f    store.AuditFilter
		want int
	}{
		{"actor", store.AuditFilter{Actor: "dr.a"}, 2},
		{"object", store.AuditFilter{Object: "visit:2"}, 1},
		{"action", store.AuditFilter{Action: "visit.sign"}, 1},
		{"since", store.AuditFilter{Since: base.Add(time.Minute)}, 2},
		{"limit", store.AuditFilter{Limit: 1}, 1},
		{"none", store.AuditFilter{Actor: "nobody"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := s.ListAudit(c, tc.f)
			require.NoError(t, err)
			assert.Len(t, evs, tc.want)
		})
	}
}

func testUsers(t *testing.T, s store.Store) {
	c := ctx(t)
	_, err := s.GetUser(c, "dr.a")
	assert.ErrorIs(t, err, store.ErrNotFound)
	require.NoError(t, s.PutUser(c, store.User{Name: "dr.a", Role: "physician", PasswordHash: "h1"}))
	require.NoError(t, s.PutUser(c, store.User{Name: "dr.a", Role: "admin", PasswordHash: "h2"}))
	u, err := s.GetUser(c, "dr.a")
	require.NoError(t, err)
	assert.Equal(t, "admin", u.Role)
	assert.Equal(t, "h2", u.PasswordHash)
	assert.False(t, u.CreatedAt.IsZero())
}

func testAPIKeys(t *testing.T, s store.Store) {
	c := ctx(t)
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	require.NoError(t, s.PutAPIKey(c, store.APIKey{ID: "k1", Name: "ehr", Role: "integrator", Hash: "hash1", CreatedAt: t0}))
	require.NoError(t, s.PutAPIKey(c, store.APIKey{ID: "k2", Name: "qa", Role: "quality", Hash: "hash2", CreatedAt: t0.Add(time.Second)}))
	assert.ErrorIs(t, s.PutAPIKey(c, store.APIKey{ID: "k1", Name: "again", Role: "admin", Hash: "hash3"}), store.ErrConflict)
	assert.ErrorIs(t, s.PutAPIKey(c, store.APIKey{ID: "k9", Name: "dup hash", Role: "admin", Hash: "hash1"}), store.ErrConflict)

	k, err := s.APIKeyByHash(c, "hash1")
	require.NoError(t, err)
	assert.Equal(t, "k1", k.ID)
	assert.Equal(t, "integrator", k.Role)
	assert.Nil(t, k.RevokedAt)

	require.NoError(t, s.RevokeAPIKey(c, "k1", t0.Add(time.Hour)))
	require.NoError(t, s.RevokeAPIKey(c, "k1", t0.Add(2*time.Hour)), "revoking twice is fine")
	_, err = s.APIKeyByHash(c, "hash1")
	assert.ErrorIs(t, err, store.ErrNotFound, "revoked keys do not authenticate")
	assert.ErrorIs(t, s.RevokeAPIKey(c, "nope", t0), store.ErrNotFound)

	keys, err := s.ListAPIKeys(c)
	require.NoError(t, err)
	require.Len(t, keys, 2)
	assert.Equal(t, "k1", keys[0].ID)
	require.NotNil(t, keys[0].RevokedAt)
	assert.True(t, t0.Add(time.Hour).Equal(*keys[0].RevokedAt), "first revocation time kept")
	assert.Equal(t, "hash2", keys[1].Hash)
}

func testSessions(t *testing.T, s store.Store) {
	c := ctx(t)
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	require.NoError(t, s.PutSession(c, store.Session{TokenHash: "t1", User: "dr.a", Role: "physician", CSRF: "x",
		ExpiresAt: now.Add(time.Hour), CreatedAt: now}))
	got, err := s.GetSession(c, "t1", now.Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, "dr.a", got.User)
	assert.Equal(t, "x", got.CSRF)
	_, err = s.GetSession(c, "t1", now.Add(2*time.Hour))
	assert.ErrorIs(t, err, store.ErrNotFound, "expired")
	require.NoError(t, s.DeleteSession(c, "t1"))
	_, err = s.GetSession(c, "t1", now)
	assert.ErrorIs(t, err, store.ErrNotFound)
	require.NoError(t, s.DeleteSession(c, "t1"), "deleting twice is fine")
}

func testReviewSign(t *testing.T, s store.Store) {
	c := ctx(t)
	v, _, err := s.PutVisit(c, newVisit("enc-s", "h"))
	require.NoError(t, err)
	other, _, err := s.PutVisit(c, newVisit("enc-t", "h"))
	require.NoError(t, err)

	_, err = s.GetReview(c, v.ID)
	assert.ErrorIs(t, err, store.ErrNotFound)

	note := visit.Note{Text: "ASSESSMENT\nHypertension, controlled.", Sections: []visit.Section{{Key: "assessment", Title: "Assessment", Text: "Hypertension, controlled."}}}
	r := &store.Review{VisitID: v.ID, Note: note, UpdatedBy: "dr.a",
		Decisions: map[string]store.Decision{"medications/0": {Action: "edited", Value: []byte(`{"text":"lisinopril"}`)}}}
	rev, err := s.SaveReview(c, r, 0)
	require.NoError(t, err)
	assert.Equal(t, 1, rev)
	_, err = s.SaveReview(c, r, 0)
	assert.ErrorIs(t, err, store.ErrConflict, "stale revision")
	rev, err = s.SaveReview(c, r, 1)
	require.NoError(t, err)
	assert.Equal(t, 2, rev)
	got, err := s.GetReview(c, v.ID)
	require.NoError(t, err)
	assert.Equal(t, 2, got.Revision)
	assert.Equal(t, note.Text, got.Note.Text)
	assert.Equal(t, `{"text":"lisinopril"}`, string(got.Decisions["medications/0"].Value))

	_, err = s.SaveReview(c, &store.Review{VisitID: "no-such"}, 0)
	assert.ErrorIs(t, err, store.ErrNotFound)

	assert.ErrorIs(t, s.AddAddendum(c, store.Addendum{VisitID: v.ID, Author: "dr.a", Text: "x"}), store.ErrConflict,
		"addenda only on signed visits")

	sig := store.Signature{VisitID: v.ID, SignedBy: "dr.a", Note: note, DraftText: "ASSESSMENT\nHTN.", Diff: "-HTN.\n+Hypertension, controlled."}
	assert.ErrorIs(t, s.Sign(c, sig, 1), store.ErrConflict, "stale revision")
	_, err = s.GetSignature(c, v.ID)
	assert.ErrorIs(t, err, store.ErrNotFound, "nothing signed by a refused Sign")
	require.NoError(t, s.Sign(c, sig, 2))
	assert.ErrorIs(t, s.Sign(c, sig, 2), store.ErrConflict, "signing twice")

	signed, err := s.GetVisit(c, v.ID)
	require.NoError(t, err)
	assert.Equal(t, visit.StatusSigned, signed.Status)
	assert.Equal(t, note.Text, signed.Note.Text)
	gs, err := s.GetSignature(c, v.ID)
	require.NoError(t, err)
	assert.Equal(t, "dr.a", gs.SignedBy)
	assert.Equal(t, sig.Diff, gs.Diff)
	assert.False(t, gs.SignedAt.IsZero())

	upd := *signed
	upd.Note.Text = "changed"
	assert.ErrorIs(t, s.UpdateVisit(c, &upd), store.ErrConflict, "a signed visit is not changed")
	_, err = s.SaveReview(c, r, 2)
	assert.ErrorIs(t, err, store.ErrConflict, "no review after signing")

	require.NoError(t, s.AddAddendum(c, store.Addendum{VisitID: v.ID, Author: "dr.a", Text: "BP recheck in 2 weeks."}))
	require.NoError(t, s.AddAddendum(c, store.Addendum{VisitID: v.ID, Author: "dr.b", Text: "Reviewed."}))
	ads, err := s.ListAddenda(c, v.ID)
	require.NoError(t, err)
	require.Len(t, ads, 2)
	assert.Equal(t, "dr.a", ads[0].Author)
	assert.Less(t, ads[0].ID, ads[1].ID)
	assert.ErrorIs(t, s.AddAddendum(c, store.Addendum{VisitID: other.ID, Author: "dr.a", Text: "x"}), store.ErrConflict)

	require.NoError(t, s.Sign(c, store.Signature{VisitID: other.ID, SignedBy: "dr.b", Note: visit.Note{Text: "t"}}, 0))
	sigs, err := s.ListSignatures(c)
	require.NoError(t, err)
	require.Len(t, sigs, 2)
	assert.Equal(t, v.ID, sigs[0].VisitID, "oldest first")
	assert.ErrorIs(t, s.Sign(c, store.Signature{VisitID: "no-such", SignedBy: "dr.b"}, 0), store.ErrNotFound)
}

func testSignConcurrent(t *testing.T, s store.Store) {
	c := ctx(t)
	v, _, err := s.PutVisit(c, newVisit("enc-cs", "h"))
	require.NoError(t, err)
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Sign(c, store.Signature{VisitID: v.ID, SignedBy: fmt.Sprintf("dr.%d", i), Note: visit.Note{Text: "n"}}, 0)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		assert.ErrorIs(t, err, store.ErrConflict)
	}
	assert.Equal(t, 1, ok, "exactly one signature")
}
