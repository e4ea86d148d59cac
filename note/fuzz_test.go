package note

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/medscribe/medscribe/visit"
)

// FuzzDraft: any dialogue text drafts without error or panic, and every sentence is grounded.
func FuzzDraft(f *testing.F) {
	for _, name := range []string{"knee", "diabetes", "contradictory", "patient_only"} {
		b, err := os.ReadFile(filepath.Join("testdata", name+".txt"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("[doctor] a 45-year-old . any ? \n[patient] no\n[doctor] dr. you're one twenty over eighty")
	f.Add("[patient] yes\n[doctor] ?\n[patient] no , no")
	d, err := New(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tr := ParseDialogue(s)
		n, _, err := d.Draft(context.Background(), Input{Transcript: tr, Findings: []visit.Finding{
			{Text: "fever", Assertion: visit.Absent, Evidence: []visit.Evidence{{Turn: 0, Start: 0, End: 1}}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		for _, sec := range n.Sections {
			for _, sen := range sec.Sentences {
				if len(sen.Evidence) == 0 {
					t.Fatalf("sentence without evidence: %q", sen.Text)
				}
				for _, e := range sen.Evidence {
					if err := tr.CheckEvidence(e); err != nil {
						t.Fatal(err)
					}
				}
				if !supported(sen.Text, sen.Evidence, nil) {
					t.Fatalf("unsupported sentence %q", sen.Text)
				}
			}
		}
	})
}
