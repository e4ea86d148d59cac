package note

import (
	"strconv"
	"strings"
)

// span is a byte range [start,end) of one turn's text.
type span struct{ start, end int }

// isWordByte reports whether b belongs to a word (letters, digits, apostrophes inside words).
func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b >= 0x80
}

// words splits s into lower-cased alphanumeric tokens, the tokenization ROUGE and the grounding
// check share: every non-alphanumeric byte separates tokens.
func words(s string) []string {
	var out []string
	i := 0
	for i < len(s) {
		for i < len(s) && !isWordByte(s[i]) {
			i++
		}
		j := i
		for j < len(s) && isWordByte(s[j]) {
			j++
		}
		if j > i {
			out = append(out, strings.ToLower(s[i:j]))
		}
		i = j
	}
	return out
}

// splitSentences cuts a turn's text into sentence spans. Transcripts often lack punctuation, so a
// long unpunctuated stretch is also cut before discourse markers ("okay", "so", "now", ...).
func splitSentences(text string) []span {
	var out []span
	start := 0
	flush := func(end int) {
		s, e := trimSpan(text, start, end)
		if e > s {
			out = append(out, splitLong(text, s, e)...)
		}
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == '.' || c == '?' || c == '!' || c == '\n' {
			// A dot inside a number ("2.5") does not end a sentence.
			if c == '.' && i > 0 && i+1 < len(text) && isDigit(text[i-1]) && isDigit(text[i+1]) {
				continue
			}
			// Nor does the dot of a title ("dr. flores").
			if c == '.' && abbrevBefore(text, i) {
				continue
			}
			flush(i + 1)
			start = i + 1
		}
	}
	flush(len(text))
	return out
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func trimSpan(text string, s, e int) (int, int) {
	for s < e && (text[s] == ' ' || text[s] == ',' || text[s] == '\t' || text[s] == '.' || text[s] == '-') {
		s++
	}
	for e > s && (text[e-1] == ' ' || text[e-1] == ',' || text[e-1] == '\t' || text[e-1] == '\n') {
		e--
	}
	return s, e
}

// breakWords start a new sentence inside long unpunctuated speech.
var breakWords = map[string]bool{"okay": true, "alright": true, "so": true, "now": true, "um": true, "uh": true, "yeah": true, "and": false}

const maxSentenceWords = 30

// splitLong cuts [s,e) at discourse markers when it is longer than maxSentenceWords.
func splitLong(text string, s, e int) []span {
	type w struct{ start, end int }
	var ws []w
	i := s
	for i < e {
		for i < e && !isWordByte(text[i]) {
			i++
		}
		j := i
		for j < e && (isWordByte(text[j]) || text[j] == '\'') {
			j++
		}
		if j > i {
			ws = append(ws, w{i, j})
		}
		i = j
	}
	if len(ws) <= maxSentenceWords {
		return []span{{s, e}}
	}
	var out []span
	cur := s
	n := 0
	for k, x := range ws {
		n++
		if n >= 6 && k+1 < len(ws) && breakWords[strings.ToLower(text[x.start:x.end])] && len(ws)-k >= 4 {
			a, b := trimSpan(text, cur, x.start)
			if b > a {
				out = append(out, span{a, b})
			}
			cur = x.start
			n = 0
		}
	}
	a, b := trimSpan(text, cur, e)
	if b > a {
		out = append(out, span{a, b})
	}
	return out
}

var numberWords = map[string]int{
	"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
	"sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
	"forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}

// unitWords map spoken units to the abbreviations notes use; the grounding check applies the same
// mapping to both sides, so "20 mg" is supported by "twenty milligrams".
var unitWords = map[string]string{
	"milligrams": "mg", "milligram": "mg", "micrograms": "mcg", "microgram": "mcg",
	"milliliters": "ml", "milliliter": "ml", "kilograms": "kg", "kilogram": "kg",
}

// canonical rewrites a token sequence so spoken numbers become digits and units become
// abbreviations. It is the one normalization the rewriter and the grounding check share.
func canonical(toks []string) []string {
	out := make([]string, 0, len(toks))
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if u, ok := unitWords[t]; ok {
			out = append(out, u)
			continue
		}
		if i+1 < len(toks) && toks[i+1] == "na" && (t == "gon" || t == "wan") {
			if t == "gon" {
				out = append(out, "going", "to")
			} else {
				out = append(out, "want", "to")
			}
			i++
			continue
		}
		if _, ok := numberWords[t]; ok {
			v, n := parseNumber(toks[i:])
			out = append(out, strconv.Itoa(v))
			i += n - 1
			continue
		}
		out = append(out, t)
	}
	return out
}

// parseNumber reads spoken number words ("five hundred", "twenty five") from the start of toks,
// returning the value and how many tokens it used.
func parseNumber(toks []string) (int, int) {
	total, cur, used := 0, 0, 0
	for used < len(toks) {
		t := toks[used]
		if v, ok := numberWords[t]; ok {
			if used == 1 && cur >= 1 && cur <= 9 && v >= 10 {
				cur = cur*100 + v // "one twenty over eighty": 120/80
				used++
				continue
			}
			if cur == 0 || cur >= 100 && cur%100 == 0 && v < 100 || cur%100 >= 20 && cur%10 == 0 && v < 10 {
				cur += v
			} else {
				break
			}
			used++
			continue
		}
		if t == "hundred" && used > 0 && cur > 0 && cur < 100 {
			cur *= 100
			used++
			continue
		}
		if t == "thousand" && used > 0 && cur+total > 0 {
			total = (total + cur) * 1000
			cur = 0
			used++
			continue
		}
		break
	}
	if used == 0 {
		return 0, 1
	}
	return total + cur, used
}

var abbrevs = map[string]bool{"dr": true, "mr": true, "mrs": true, "ms": true, "st": true, "vs": true, "jr": true, "sr": true, "prof": true}

// abbrevBefore reports whether the word ending at text[i] (a dot) is a title abbreviation.
func abbrevBefore(text string, i int) bool {
	j := i
	for j > 0 && isWordByte(text[j-1]) {
		j--
	}
	if j == i || i-j > 4 {
		return false
	}
	return abbrevs[strings.ToLower(text[j:i])]
}
