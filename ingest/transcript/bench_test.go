package transcript

import (
	"fmt"
	"strings"
	"testing"
)

// syntheticDialogue builds an ACI-BENCH-sized visit (about 1,300 words) from the fixture's
// own lines, labelled or generic.
func syntheticDialogue(tb testing.TB, generic bool) []byte {
	base := strings.Split(strings.TrimSpace(string(readFixture(tb, "generic_speakers.txt"))), "\n")
	var b strings.Builder
	words := 0
	for i := 0; words < 1300; i++ {
		line := base[i%len(base)]
		if !generic {
			line = strings.Replace(strings.Replace(line, "Speaker 1:", "[doctor]", 1), "Speaker 2:", "[patient]", 1)
		}
		fmt.Fprintln(&b, line)
		words += len(strings.Fields(line)) - 1
	}
	return []byte(b.String())
}

func BenchmarkParseACISized(b *testing.B) {
	for _, generic := range []bool{false, true} {
		data := syntheticDialogue(b, generic)
		b.Run(fmt.Sprintf("generic=%v", generic), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse("visit.txt", data, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
