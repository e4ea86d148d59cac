package rules

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
)

// FuzzLoad feeds arbitrary bytes to the strict loader: it must never panic, and every failure
// must be reported as problems with a file name.
func FuzzLoad(f *testing.F) {
	for _, g := range []string{"testdata/good/rules.yaml", "testdata/bad/*.bad.yaml", "ruleset/3*.yaml"} {
		files, _ := filepath.Glob(g)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("a: &a [*a, *a]\nb: &b [*a, *a, *a]\nruleset: *b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := Load(fstest.MapFS{"f.yaml": {Data: data}}, ".")
		if err != nil {
			var perrs *Errors
			if !errors.As(err, &perrs) || len(perrs.Problems) == 0 {
				t.Fatalf("failure without problems: %v", err)
			}
			for _, p := range perrs.Problems {
				if p.File != "f.yaml" {
					t.Fatalf("problem without the file name: %v", p)
				}
			}
			return
		}
		// A rule set that loads must evaluate any patient without panicking.
		rs.Evaluate(benchPatient())
		rs.Evaluate(&Patient{Medications: []Med{{ID: "x"}, {ID: "y", Name: "  "}}, Allergies: []Allergy{{}}})
	})
}

// FuzzEvaluate gives the shipped rules odd medication names, frequencies and units.
func FuzzEvaluate(f *testing.F) {
	f.Add("Warfarin Sodium 5 MG", "q4-6h prn", "mg", 500.0, "penicillin")
	f.Add("", "", "", 0.0, "")
	f.Add("ibuprofen/ibuprofen ibuprofen", "1/0d", "g", -3.0, "NSAIDs")
	rs, err := Default()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name, freq, unit string, dose float64, allergen string) {
		p := benchPatient()
		p.Medications = append(p.Medications, Med{ID: "fz", Name: name, Frequency: freq, Dose: &Quantity{Value: dose, Unit: unit}, Draft: true})
		p.Allergies = append(p.Allergies, Allergy{Substance: allergen})
		for _, a := range rs.Evaluate(p) {
			if len([]rune(a.Summary)) >= 140 {
				t.Fatalf("summary too long: %q", a.Summary)
			}
		}
	})
}
