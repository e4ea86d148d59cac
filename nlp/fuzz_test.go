package nlp

import (
	"context"
	"strings"
	"testing"

	"github.com/medscribe/medscribe/visit"
)

// FuzzExtract feeds arbitrary text (split into turns on newlines, speakers alternating) to
// Extract: it must never panic or fail, and every evidence span must lie inside its turn and
// quote it exactly. Corpus: testdata/fuzz/FuzzExtract.
func FuzzExtract(f *testing.F) {
	seeds := []string{
		"",
		"any chest pain?\nno\n",
		"i take lisinopril 20 mg once a day\nlet's increase it to forty milligrams b.i.d.",
		"\xff\xfe\xfd lasix \xc3\x28 80 mg",
		strings.Repeat("no ", 2000) + "chest pain",
		strings.Repeat("twenty ", 500) + "milligrams of metformin",
		"follow up in 1,000,000 weeks. every 6 to 8 to 10 hours. 1,2,3 mg",
		"allergic to allergic to penicillin penicillin\n?\n.\n;;;;",
		"i'm going to prescribe. it's called metformin. one point point five",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	e := testEngine(f)
	f.Fuzz(func(t *testing.T, s string) {
		var tr visit.Transcript
		for i, line := range strings.Split(s, "\n") {
			sp := visit.Doctor
			if i%2 == 1 {
				sp = visit.Patient
			}
			tr.Turns = append(tr.Turns, visit.Turn{Index: i, Speaker: sp, Text: line})
		}
		res, err := e.Extract(context.Background(), tr)
		if err != nil {
			t.Fatalf("extract failed: %v", err)
		}
		var evs []visit.Evidence
		for _, x := range res.Problems {
			evs = append(evs, x.Evidence...)
		}
		for _, x := range res.Medications {
			evs = append(evs, x.Evidence...)
		}
		for _, x := range res.Orders {
			evs = append(evs, x.Evidence...)
		}
		for _, x := range res.Allergies {
			evs = append(evs, x.Evidence...)
		}
		for _, x := range res.Findings {
			evs = append(evs, x.Evidence...)
		}
		for _, ev := range evs {
			if err := tr.CheckEvidence(ev); err != nil {
				t.Fatalf("bad evidence %+v: %v", ev, err)
			}
		}
		_ = e.Concepts(s)
	})
}

func TestHugeInput(t *testing.T) {
	t.Parallel()
	e := testEngine(t)
	big := strings.Repeat("no chest pain . lisinopril 20 mg daily . "+string([]byte{0xff, 0xfe})+" ", 20000)
	tr := visit.Transcript{Turns: []visit.Turn{{Index: 0, Speaker: visit.Patient, Text: big}}}
	res := extractOK(t, e, tr)
	if len(res.Medications) != 1 {
		t.Fatalf("want one merged medication, got %d", len(res.Medications))
	}
}
