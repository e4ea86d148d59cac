package evals

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTokenize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"Blood-pressure: 120/80 mmHg;", []string{"blood", "pressure", "120", "80", "mmhg"}},
		{"CAFÉ naïve", []string{"caf", "na", "ve"}},
		{"  __lf1__ x ", []string{"lf1", "x"}},
		{"\u212Aelvin", []string{"kelvin"}},
		{"\u0130x", []string{"i", "x"}},
		{"", nil},
		{"--- !!!", nil},
	} {
		require.Equal(t, tc.want, Tokenize(tc.in), tc.in)
	}
}

// The expected values below are worked by hand (see the comments); they pin the metric
// independently of the reproduction against published figures.
func TestRougeHandChecked(t *testing.T) {
	const eps = 1e-12
	t.Run("ngrams and lcs", func(t *testing.T) {
		// ref: the cat sat on the mat / it was happy (9 tokens)
		// pred: the cat was on the mat / happy it was (9 tokens)
		// unigram overlap 8 (all but "sat") -> 8/9; bigram overlap 4 of 8 (the cat, on the,
		// the mat, it was) -> 0.5; LCS "the cat on the mat it was" = 7 -> 7/9.
		// rougeLsum: sentence 1 union LCS = the cat on the mat (5), sentence 2 = it was (2) -> 7/9.
		s := Rouge("The cat sat on the mat.\nIt was happy.", "The cat was on the mat.\nHappy, it was.")
		require.InDelta(t, 8.0/9, s.Rouge1.F, eps)
		require.InDelta(t, 0.5, s.Rouge2.F, eps)
		require.InDelta(t, 7.0/9, s.RougeL.F, eps)
		require.InDelta(t, 7.0/9, s.RougeLsum.F, eps)
	})
	t.Run("union lcs tie-break and double counting", func(t *testing.T) {
		// ref sentences [a b] [a], pred [b a]. LCS(a b, b a) has length 1; rouge-score's
		// backtrack keeps "a" (it steps up on ties). "a" is then used up in the prediction,
		// so sentence 2's "a" is not a hit: hits = 1, m = 3, n = 2.
		// P = 1/2, R = 1/3, F = 0.4. Picking "b" instead would give hits = 2.
		s := Rouge("a b\na", "b a")
		require.InDelta(t, 0.5, s.RougeLsum.Precision, eps)
		require.InDelta(t, 1.0/3, s.RougeLsum.Recall, eps)
		require.InDelta(t, 0.4, s.RougeLsum.F, eps)
		// Whole-text LCS of "a b a" and "b a" is 2: P = 1, R = 2/3, F = 0.8.
		require.InDelta(t, 0.8, s.RougeL.F, eps)
	})
	t.Run("empty lines dropped, blank lines kept as empty sentences", func(t *testing.T) {
		a := Rouge("x y\n\n\nz", "x y z")
		b := Rouge("x y\n   \nz", "x y z")
		require.Equal(t, a, b)
		// ref sentences [x y] [z], pred [x y z]: union LCS hits 3 of 3.
		require.InDelta(t, 1.0, a.RougeLsum.F, eps)
	})
	t.Run("empty side scores zero", func(t *testing.T) {
		require.Equal(t, RougeScores{}, Rouge("", "something"))
		require.Equal(t, RougeScores{}, Rouge("!!!", "???"))
	})
	t.Run("identical texts score one", func(t *testing.T) {
		s := Rouge("Hypertension.\nContinue lisinopril 20 mg daily.", "Hypertension.\nContinue lisinopril 20 mg daily.")
		for _, v := range []float64{s.Rouge1.F, s.Rouge2.F, s.RougeL.F, s.RougeLsum.F} {
			require.InDelta(t, 1.0, v, eps)
		}
	})
}

func TestLCSLen(t *testing.T) {
	var in interner
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"a b c d", "a c d", 3},
		{"a b c", "c b a", 1},
		{"", "a", 0},
		{"a a a", "a a", 2},
	} {
		require.Equal(t, tc.want, lcsLen(in.ids(Tokenize(tc.a)), in.ids(Tokenize(tc.b))), tc.a+" / "+tc.b)
	}
}

// syntheticNote makes a note-like text (about 165 tokens over 11 lines) from a seed, so the
// benchmark needs no dataset. Three of them make one note of ~500 tokens, a little longer
// than an ACI-BENCH reference note (430 words on average).
func syntheticNote(seed int) string {
	words := strings.Fields("patient reports chest pain shortness of breath for three days denies fever chills nausea vomiting blood pressure is elevated continue lisinopril 20 mg daily order echocardiogram follow up in two weeks exam shows regular rate and rhythm lungs clear to auscultation bilaterally")
	var b strings.Builder
	x := uint32(seed*2654435761 + 1)
	for line := 0; line < 11; line++ {
		for w := 0; w < 15; w++ {
			x = x*1664525 + 1013904223
			b.WriteString(words[int(x>>8)%len(words)])
			b.WriteByte(' ')
		}
		b.WriteString(".\n")
	}
	return b.String()
}

// BenchmarkRouge100Notes scores 100 full-length note pairs with all four ROUGE variants and the
// four divisions (the issue's budget is under 5 s on one core for all text metrics).
func BenchmarkRouge100Notes(b *testing.B) {
	refs := make([]string, 100)
	preds := make([]string, 100)
	for i := range refs {
		refs[i] = "CHIEF COMPLAINT\n" + syntheticNote(i) + "PHYSICAL EXAM\n" + syntheticNote(i+1000) + "ASSESSMENT AND PLAN\n" + syntheticNote(i+2000)
		preds[i] = "HISTORY OF PRESENT ILLNESS\n" + syntheticNote(i+7) + "EXAM\n" + syntheticNote(i+1000) + "PLAN\n" + syntheticNote(i+3000)
	}
	b.ResetTimer()
	for b.Loop() {
		for i := range refs {
			_ = ScoreNote(refs[i], preds[i], nil)
		}
	}
}

func ExampleRouge() {
	s := Rouge("The cat sat on the mat.", "The cat was on the mat.")
	fmt.Printf("%.4f %.4f %.4f\n", s.Rouge1.F, s.Rouge2.F, s.RougeL.F)
	// Output: 0.8333 0.6000 0.8333
}
