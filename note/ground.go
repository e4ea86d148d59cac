package note

import (
	"strings"

	"github.com/medscribe/medscribe/visit"
)

// functionWords may appear in a sentence without occurring in its evidence: pronouns, articles,
// auxiliaries, prepositions, conjunctions and the few framing words notes use ("reports",
// "denies"). Everything else (content words, numbers, drug names) must be in the cited spans.
var functionWords = setOf(`a an the this that these those it its it's they them their there here
i me my we us our you your he him his himself they them their theirs she her herself themselves patient patient's
is are was were be been being am has have had having do does did doing done will would shall should
can could may might must ll ve re d s t m don doesn didn isn wasn aren weren hasn haven hadn won
wouldn shouldn can't couldn cannot not no nor never none
and or but if then so as because since while when where which who whom whose what why how than
of in on at to for from with without by about into onto over under up down out off again further
also just only very too more most some any all each both few other such own same
reports report reported reporting states stated notes noted endorses endorsed denies denied deny
presents presented who year old years-old year-old
`)

// negations mark a sentence whose meaning flips with them; a sentence that negates must rest on
// evidence that negates too.
var negations = setOf(`no not never none nothing without denies denied deny don doesn didn isn wasn aren weren hasn haven hadn won wouldn can't cannot nobody negative`)

func setOf(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// supported reports whether every content word and number of sentence occurs in the quotes of
// its evidence (after the shared number/unit normalization), and a negated sentence cites a
// negation. extra holds words known from outside the transcript (the patient's recorded sex).
func supported(sentence string, ev []visit.Evidence, extra map[string]bool) bool {
	if len(ev) == 0 {
		return false
	}
	have := evidenceWords(ev)
	negated, negEvidence := false, false
	for w := range have {
		if negations[w] {
			negEvidence = true
			break
		}
	}
	content := 0
	for _, w := range canonical(words(sentence)) {
		if negations[w] {
			negated = true
		}
		if functionWords[w] || extra[w] {
			continue
		}
		content++
		if !has(have, w) {
			return false
		}
	}
	if negated && !negEvidence {
		return false
	}
	return content > 0
}

// unsupportedWords lists the content words of sentence missing from its evidence (for tests and
// diagnostics; never logged, it is note text).
func unsupportedWords(sentence string, ev []visit.Evidence) []string {
	have := evidenceWords(ev)
	var out []string
	for _, w := range canonical(words(sentence)) {
		if !functionWords[w] && !has(have, w) {
			out = append(out, w)
		}
	}
	return out
}

// evidenceWords are the normalized words of the evidence quotes, read both as plain words and
// with the rewriter's phrase-level number reading ("three hundred, twenty" -> 300, 20).
func evidenceWords(ev []visit.Evidence) map[string]bool {
	have := map[string]bool{}
	for _, e := range ev {
		for _, w := range canonical(words(e.Quote)) {
			have[w] = true
		}
		for _, t := range canonicalPhrase(rawTokens(e.Quote)) {
			for _, w := range words(t) {
				have[w] = true
			}
		}
	}
	return have
}

// has reports whether w, or w without a third-person or plural ending, is among the evidence
// words: "she takes" rests on "i take".
func has(have map[string]bool, w string) bool {
	if have[w] {
		return true
	}
	if s, ok := synonyms[w]; ok && have[s] {
		return true
	}
	n := len(w)
	switch {
	case n > 4 && strings.HasSuffix(w, "ies"):
		return have[w[:n-3]+"y"]
	case n > 3 && strings.HasSuffix(w, "es") && have[w[:n-2]]:
		return true
	case n > 2 && strings.HasSuffix(w, "s"):
		return have[w[:n-1]]
	}
	return false
}

// synonyms are note words that restate a spoken word without adding a fact ("daily" for "a day").
var synonyms = map[string]string{
	"daily": "day", "nightly": "night", "weekly": "week", "monthly": "month", "yearly": "year",
	"annually": "year", "annual": "year", "hourly": "hour",
}
