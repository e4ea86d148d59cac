package vocab

import (
	"bytes"
	"strings"
	"testing"

	"github.com/medscribe/medscribe/visit"
)

// FuzzParse feeds arbitrary TSV to the strict loader under each kind. It never panics; a
// failure names the file; every entry it accepts keeps the loader's contract: a lowercase term
// with letters or digits, unique after normalization, the kind asked for, well-formed codes
// with a source, drug codes in RxNorm, classes only on drugs, an expansion and category only
// on abbreviations. Corpus: testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add("term\tsystem\tcode\tsource\nfoo\tloinc\t4548-4\tLOINC\n", uint8(3))
	f.Add("term\tsynonyms\nx|y\t|\n", uint8(3))
	f.Add("\xff\n\t\t\n", uint8(3))
	// The head of every shipped file, under its own kind.
	for i, fl := range files {
		b, err := embedded.ReadFile("data/" + fl.name)
		if err != nil {
			f.Fatal(err)
		}
		lines := bytes.SplitAfterN(b, []byte("\n"), 13)
		f.Add(string(bytes.Join(lines[:len(lines)-1], nil)), uint8(i))
	}
	f.Fuzz(func(t *testing.T, s string, kind uint8) {
		k := files[int(kind)%len(files)].kind
		es, err := Parse("f.tsv", k, strings.NewReader(s))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.tsv:") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, e := range es {
			nt := Normalize(e.Term)
			if e.Term == "" || e.Term != strings.ToLower(e.Term) || nt == "" || seen[nt] {
				t.Fatalf("accepted bad or repeated term %q", e.Term)
			}
			seen[nt] = true
			if e.Kind != k {
				t.Fatalf("entry kind %q, want %q", e.Kind, k)
			}
			if e.Code != nil && CheckCode(e.Code.System, e.Code.Code) != nil {
				t.Fatalf("accepted bad code %q", e.Code.Code)
			}
			for _, c := range e.Codes {
				if CheckCode(c.System, c.Code) != nil {
					t.Fatalf("accepted bad extra code %q", c.Code)
				}
			}
			if (e.Code != nil || len(e.Codes) > 0) && e.Source == "" {
				t.Fatalf("coded term %q without a source", e.Term)
			}
			if k == KindDrug && e.Code != nil && e.Code.System != visit.SystemRxNorm {
				t.Fatalf("drug %q coded in %s", e.Term, e.Code.System)
			}
			if k != KindDrug && len(e.Classes) > 0 {
				t.Fatalf("classes on a %s", k)
			}
			if (k == KindAbbrev) != (e.Expansion != "") || (k != KindAbbrev && e.Category != "") {
				t.Fatalf("expansion %q / category %q on a %s", e.Expansion, e.Category, k)
			}
		}
	})
}
