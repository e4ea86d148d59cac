package nlp

import (
	"bytes"
	"strings"
)

// token is one word of a turn. Offsets are byte offsets into the turn text; token boundaries
// always fall on ASCII bytes, so a span never splits a multi-byte rune.
type token struct {
	start, end int32
	id         int32 // interned normalized form, -1 when not in the engine's dictionary
	sent       int32 // sentence index within the turn
	// punctAfter is the first punctuation byte after the token before the next token (0 if none).
	punctAfter byte
	num        bool // all digits (with an optional decimal point)
}

// sentence is a run of tokens [from, to) of one turn.
type sentence struct {
	from, to int
	question bool
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// scan splits text into tokens and sentences. lookup maps a normalized word to its id.
// buf is scratch space reused across calls.
func scan(text string, lookup func([]byte) int32, toks []token, sents []sentence, buf []byte) ([]token, []sentence, []byte) {
	toks = toks[:0]
	sents = sents[:0]
	sentStart := 0
	closeSent := func(q bool) {
		if len(toks) > sentStart {
			sents = append(sents, sentence{from: sentStart, to: len(toks), question: q})
			sentStart = len(toks)
		}
	}
	n := len(text)
	i := 0
	for i < n {
		c := text[i]
		if !isWordByte(c) {
			switch c {
			case '.':
				// "b.i.d" and "p.o." keep their sentence: only a period before a space ends one
				if i+1 >= n || !isWordByte(text[i+1]) {
					closeSent(false)
				}
			case '!', ';':
				closeSent(false)
			case '?':
				closeSent(true)
			}
			if len(toks) > 0 && toks[len(toks)-1].punctAfter == 0 && c != ' ' && c != '\t' && c != '\n' && c != '\r' {
				toks[len(toks)-1].punctAfter = c
			}
			i++
			continue
		}
		start := i
		num := true
		for i < n {
			c := text[i]
			if isWordByte(c) {
				if !isDigit(c) {
					num = false
				}
				i++
				continue
			}
			// keep apostrophes inside words (don't, i'm) and decimal points inside numbers (2.5)
			if i+1 < n && i > start {
				if c == '\'' && isWordByte(text[i+1]) && !isDigit(text[i+1]) {
					num = false
					i++
					continue
				}
				if c == '.' && isDigit(text[i-1]) && isDigit(text[i+1]) && num {
					i++
					continue
				}
			}
			break
		}
		buf = normalizeWord(buf[:0], text[start:i])
		id := lookup(buf)
		// A word said twice in a row ("shortness of breath with with exertion") is a
		// disfluency: the repeat is skipped; a match running past it still quotes it.
		if k := len(toks) - 1; k >= sentStart && !num && id >= 0 && toks[k].id == id && toks[k].punctAfter == 0 {
			continue
		}
		toks = append(toks, token{start: int32(start), end: int32(i), id: id, sent: int32(len(sents)), num: num})
	}
	closeSent(false)
	return toks, sents, buf
}

// normalizeWord lowercases w and folds plurals, so "Tablets" and "tablet" share a form. The
// same function normalizes vocabulary patterns, so both sides always agree.
func normalizeWord(dst []byte, w string) []byte {
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		// a typographic apostrophe (U+2019) is an apostrophe
		if c == 0xe2 && i+2 < len(w) && w[i+1] == 0x80 && w[i+2] == 0x99 {
			dst = append(dst, '\'')
			i += 2
			continue
		}
		dst = append(dst, c)
	}
	if v, ok := variants[string(dst)]; ok {
		return append(dst[:0], v...)
	}
	n := len(dst)
	if n > 4 && !isDigit(dst[0]) && dst[n-1] == 's' {
		suffix := func(x string) bool { return bytes.HasSuffix(dst, []byte(x)) }
		switch {
		case dst[n-2] == 'e' && dst[n-3] == 'i':
			dst = append(dst[:n-3], 'y')
		// "rashes", "masses", "boxes", "sinuses", "patches" drop "es"; "headaches" only "s"
		case suffix("shes") || suffix("sses") || suffix("xes") || suffix("nuses") || (suffix("ches") && !suffix("aches")):
			dst = dst[:n-2]
		case dst[n-2] == 's' || dst[n-2] == 'u' || dst[n-2] == 'i':
		default:
			dst = dst[:n-1]
		}
	}
	return dst
}

// variants fold spelling and speech-recognition variants onto one form before plural folding.
var variants = map[string]string{
	"xray":        "x-ray",
	"calves":      "calf",
	"colour":      "color",
	"oesophagus":  "esophagus",
	"haemoglobin": "hemoglobin",
	"anaemia":     "anemia",
	"oedema":      "edema",
	"diarrhoea":   "diarrhea",
	"paediatric":  "pediatric",
	"tumour":      "tumor",
	"ischaemic":   "ischemic",
	"milligram":   "mg",
	"milligrams":  "mg",
	"mgs":         "mg",
	"microgram":   "mcg",
	"micrograms":  "mcg",
	"gram":        "g",
	"grams":       "g",
	"milliliter":  "ml",
	"milliliters": "ml",
	"millilitre":  "ml",
	"millilitres": "ml",
	"cc":          "ml",
	"ccs":         "ml",
	"gonna":       "going",
	"gon":         "going", // ASR writes "gon na", "wan na"
	"wan":         "want",
	"na":          "to",
	"n't":         "not",   // "do n't" as tokenized transcripts write it
	"dont":        "don't", // ASR output often drops apostrophes
	"cant":        "can't",
	"wont":        "won't",
	"didnt":       "didn't",
	"doesnt":      "doesn't",
	"havent":      "haven't",
	"hasnt":       "hasn't",
	"isnt":        "isn't",
	"wasnt":       "wasn't",
	"arent":       "aren't",
	"im":          "i'm",
	"ive":         "i've",
	"youre":       "you're",
	"youve":       "you've",
	"theyre":      "they're",
	"wanna":       "want",
	"okay":        "ok",
	"yep":         "yes",
	"yeah":        "yes",
	"yup":         "yes",
	"nope":        "no",
	"nah":         "no",
	"diabetic":    "diabetes",
	"hrs":         "hour",
	"hr":          "hour",
	"wks":         "week",
	"wk":          "week",
	"mos":         "month",
	"tabs":        "tablet",
	"tab":         "tablet",
	"pills":       "pill",
	"caps":        "capsule",
}

// words splits a phrase into normalized words, the form patterns are stored in.
func words(phrase string) []string {
	var out []string
	var buf []byte
	toks, _, _ := scan(phrase, func([]byte) int32 { return -1 }, nil, nil, nil)
	for _, t := range toks {
		buf = normalizeWord(buf[:0], phrase[t.start:t.end])
		out = append(out, string(buf))
	}
	return out
}

// spokenNumbers are number words; spoken doses and intervals are converted to digits.
var spokenNumbers = map[string]int{
	"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
	"eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
	"fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
	"nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
	"seventy": 70, "eighty": 80, "ninety": 90, "a": 1, "an": 1, "single": 1, "couple": 2,
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s
}
