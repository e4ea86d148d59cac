package transcript

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// addFixtures seeds a fuzz target with every fixture whose name has one of the suffixes;
// the corpus found by fuzzing lives in testdata/fuzz/<Target> and replays in go test.
func addFixtures(f *testing.F, suffixes ...string) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		for _, s := range suffixes {
			if !e.IsDir() && strings.HasSuffix(e.Name(), s) {
				b, err := os.ReadFile(filepath.Join("testdata", e.Name()))
				if err != nil {
					f.Fatal(err)
				}
				f.Add(e.Name(), b)
			}
		}
	}
}

// checkParse asserts the invariants every successful parse keeps, and that failures are
// *Error values.
func checkParse(t *testing.T, name string, data []byte) {
	tr, err := Parse(name, data, &Options{MaxBytes: 1 << 20, MaxTurns: 5000})
	if err != nil {
		if _, ok := err.(*Error); !ok {
			t.Fatalf("error is %T, want *Error: %v", err, err)
		}
		return
	}
	if len(tr.Turns) == 0 {
		t.Fatal("success with no turns")
	}
	for i, turn := range tr.Turns {
		if turn.Index != i || !turn.Speaker.Valid() || turn.Text == "" || !utf8.ValidString(turn.Text) {
			t.Fatalf("bad turn %d: %+v", i, turn)
		}
		if turn.StartMS != nil && turn.EndMS != nil && *turn.EndMS < *turn.StartMS {
			t.Fatalf("turn %d ends before it starts", i)
		}
	}
}

func FuzzParse(f *testing.F) {
	addFixtures(f, ".txt", ".json", ".vtt", ".srt", ".TextGrid")
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		checkParse(t, name, data)
	})
}

func FuzzParseTextGrid(f *testing.F) {
	addFixtures(f, ".TextGrid")
	f.Fuzz(func(t *testing.T, _ string, data []byte) {
		checkParse(t, "x.TextGrid", data)
	})
}

func FuzzParseVTT(f *testing.F) {
	addFixtures(f, ".vtt", ".srt")
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		ext := ".vtt"
		if strings.HasSuffix(name, ".srt") {
			ext = ".srt"
		}
		checkParse(t, "x"+ext, data)
	})
}

func FuzzParseJSON(f *testing.F) {
	addFixtures(f, ".json")
	f.Fuzz(func(t *testing.T, _ string, data []byte) {
		checkParse(t, "x.json", data)
	})
}

func FuzzParseText(f *testing.F) {
	addFixtures(f, ".txt")
	f.Fuzz(func(t *testing.T, _ string, data []byte) {
		checkParse(t, "x.txt", data)
	})
}
