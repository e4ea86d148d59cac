package evals

import (
	"fmt"
	"regexp"
	"strings"
)

// WER normalizer, documented because WER figures are meaningless without it. Both reference
// and hypothesis go through the same steps:
//  1. markup in angle brackets is removed (PriMock57's <UNSURE>, </UNSURE>, <UNIN/>,
//     <INAUDIBLE/> tags; the words inside <UNSURE>…</UNSURE> are kept), and so are square-
//     bracket labels such as ACI-BENCH's speaker tags ([doctor], [patient]);
//  2. lowercase;
//  3. apostrophes inside words are dropped ("don't" -> "dont"), every other character outside
//     [a-z0-9] becomes a space;
//  4. hesitation fillers are removed: um, umm, uh, uhh, uhm, erm, er, hmm, mm, mhm, ah;
//  5. split on whitespace.
//
// Numbers are not spelled out, so "twenty" vs "20" counts as an error, as in most ASR
// leaderboards without a number normalizer.
var (
	markupRe = regexp.MustCompile(`<[^>]*>|\[[^\]\n]*\]`)
	fillers  = set("um", "umm", "uh", "uhh", "uhm", "erm", "er", "hmm", "mm", "mhm", "ah")
)

// NormalizeForWER applies the documented normalizer and returns the words.
func NormalizeForWER(text string) []string {
	text = markupRe.ReplaceAllString(text, " ")
	text = strings.ToLower(text)
	var b strings.Builder
	rs := []rune(text)
	for i, r := range rs {
		switch {
		case (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9'):
			b.WriteRune(r)
		case (r == '\'' || r == '’') && i > 0 && i+1 < len(rs) && isAlnum(rs[i-1]) && isAlnum(rs[i+1]):
			// drop intra-word apostrophe
		default:
			b.WriteByte(' ')
		}
	}
	var out []string
	for _, w := range strings.Fields(b.String()) {
		if !fillers[w] {
			out = append(out, w)
		}
	}
	return out
}

func isAlnum(r rune) bool { return (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') }

// WERCounts are word edit counts against a reference of Ref words.
type WERCounts struct {
	Ref           int `json:"ref_words"`
	Substitutions int `json:"substitutions"`
	Deletions     int `json:"deletions"`
	Insertions    int `json:"insertions"`
}

// WER is (S+D+I)/N; 0 for an empty reference and empty hypothesis.
func (c WERCounts) WER() float64 {
	e := c.Substitutions + c.Deletions + c.Insertions
	if c.Ref == 0 {
		if e == 0 {
			return 0
		}
		return 1
	}
	return float64(e) / float64(c.Ref)
}

// Add sums counts, for a corpus WER (total edits over total reference words).
func (c *WERCounts) Add(o WERCounts) {
	c.Ref += o.Ref
	c.Substitutions += o.Substitutions
	c.Deletions += o.Deletions
	c.Insertions += o.Insertions
}

// ScoreWER aligns hypothesis to reference (after normalization) with a minimum edit distance
// and counts the edits. Ties prefer substitution, then deletion, then insertion.
func ScoreWER(reference, hypothesis string) WERCounts {
	var in interner
	r := in.ids(NormalizeForWER(reference))
	h := in.ids(NormalizeForWER(hypothesis))
	type cell struct{ cost, s, d, i int32 }
	prev := make([]cell, len(h)+1)
	cur := make([]cell, len(h)+1)
	for j := range prev {
		prev[j] = cell{int32(j), 0, 0, int32(j)}
	}
	for i := 1; i <= len(r); i++ {
		cur[0] = cell{int32(i), 0, int32(i), 0}
		for j := 1; j <= len(h); j++ {
			if r[i-1] == h[j-1] {
				cur[j] = prev[j-1]
				continue
			}
			sub, del, ins := prev[j-1], prev[j], cur[j-1]
			best := sub
			best.s++
			if del.cost < best.cost {
				best = del
				best.d++
			}
			if ins.cost < best.cost {
				best = ins
				best.i++
			}
			best.cost++
			cur[j] = best
		}
		prev, cur = cur, prev
	}
	c := prev[len(h)]
	return WERCounts{Ref: len(r), Substitutions: int(c.s), Deletions: int(c.d), Insertions: int(c.i)}
}

// EncounterWER is one encounter's word error counts.
type EncounterWER struct {
	ID string `json:"id"`
	WERCounts
	WER float64 `json:"wer"`
}

// ScoreTranscripts computes WER of hypothesis transcripts (e.g. ASR output) against reference
// transcripts of the same encounters, matched by id; every id must be on both sides. The
// corpus figure is total edits over total reference words.
func ScoreTranscripts(ref, hyp *Dataset) (WERCounts, []EncounterWER, error) {
	var total WERCounts
	var per []EncounterWER
	for _, h := range hyp.Encounters {
		if ref.ByID(h.ID) == nil {
			return WERCounts{}, nil, &DataError{File: hyp.Path, Column: "id", Msg: fmt.Sprintf("encounter %q has no reference transcript in %s", h.ID, ref.Path)}
		}
	}
	for _, r := range ref.Encounters {
		h := hyp.ByID(r.ID)
		if h == nil {
			return WERCounts{}, nil, &DataError{File: ref.Path, Column: "id", Msg: fmt.Sprintf("encounter %q has no hypothesis transcript in %s", r.ID, hyp.Path)}
		}
		c := ScoreWER(r.Dialogue, h.Dialogue)
		total.Add(c)
		per = append(per, EncounterWER{ID: r.ID, WERCounts: c, WER: c.WER()})
	}
	return total, per, nil
}
