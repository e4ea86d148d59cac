package note

import (
	"strings"

	"github.com/medscribe/medscribe/visit"
)

// pronouns are the third-person forms used for the patient.
type pronouns struct{ subj, obj, poss, refl, possStart string }

func pronounsFor(sex string) pronouns {
	switch sex {
	case "female":
		return pronouns{"she", "her", "her", "herself", "her"}
	case "male":
		return pronouns{"he", "him", "his", "himself", "his"}
	}
	return pronouns{"the patient", "them", "their", "themselves", "the patient's"}
}

// rawTokens splits a transcript span into lower-cased word tokens (apostrophes kept inside words)
// and commas; everything else is dropped. Transcribers' split contractions ("do n't", "gon na")
// are joined back.
func rawTokens(s string) []string {
	var out []string
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ',' || c == ';' || c == ':':
			if len(out) > 0 && out[len(out)-1] != "," {
				out = append(out, ",")
			}
			i++
		case isWordByte(c) || c == '\'' && i+1 < len(s) && isWordByte(s[i+1]):
			j := i + 1
			for j < len(s) && (isWordByte(s[j]) || s[j] == '\'' || (s[j] == '-' || s[j] == '/' || s[j] == '.') && j+1 < len(s) && isWordByte(s[j+1]) && (s[j] != '.' || isDigit(s[j+1]))) {
				j++
			}
			out = append(out, strings.ToLower(s[i:j]))
			i = j
		default:
			i++
		}
	}
	// Join split contractions.
	joined := out[:0]
	for i := 0; i < len(out); i++ {
		t := out[i]
		if len(joined) > 0 && (t == "n't" || t == "'s" || t == "'re" || t == "'ve" || t == "'ll" || t == "'m" || t == "'d") {
			joined[len(joined)-1] += t
			continue
		}
		if i+1 < len(out) && out[i+1] == "na" && (t == "gon" || t == "wan") {
			if t == "gon" {
				joined = append(joined, "going", "to")
			} else {
				joined = append(joined, "want", "to")
			}
			i++
			continue
		}
		if i+1 < len(out) && out[i+1] == "ta" && t == "got" {
			joined = append(joined, "got", "to")
			i++
			continue
		}
		joined = append(joined, t)
	}
	return joined
}

// fillers carry no content and are dropped anywhere in a sentence.
var fillers = map[string]bool{
	"um": true, "uh": true, "uhm": true, "umm": true, "hmm": true, "mm": true, "mhm": true, "mm-hmm": true,
	"uh-huh": true, "huh": true, "oh": true, "ah": true, "er": true,
}

// leadWords are dropped from the start of a sentence ("okay so, ...").
var leadWords = map[string]bool{
	"okay": true, "ok": true, "alright": true, "so": true, "well": true, "yeah": true, "yes": true,
	"now": true, "and": true, "but": true, "great": true, "good": true, "right": true, "sure": true,
	"all": false, "perfect": true, "then": true, "also": true, "because": true, "or": true, "wow": true,
	"hi": true, "hey": true, "gotcha": true, "awesome": true, "excellent": true, "cool": true, "like": true,
}

// trailWords are dropped from the end of a sentence ("..., okay").
var trailWords = setOf(`okay ok alright and but so or right um uh yeah`)

// fillerPhrases are multi-word fillers dropped anywhere.
var fillerPhrases = [][]string{
	{"you", "know"}, {"i", "mean"}, {"go", "ahead", "and"}, {"kind", "of"}, {"sort", "of"}, {"all", "right"},
	{"let", "me", "see"}, {"let's", "see"},
}

// whWords may follow a hesitating "let's see" ("let's see what else", "let me see if").
var whWords = setOf(`what how if where when which who whether`)

// thirdPerson conjugates verbs that follow a third-person subject.
var thirdPerson = map[string]string{
	"have": "has", "do": "does", "go": "goes", "am": "is", "are": "is", "were": "was", "don't": "doesn't",
	"haven't": "hasn't", "aren't": "isn't", "weren't": "wasn't", "try": "tries", "'m": "is",
}

var regularVerbs = map[string]bool{
	"take": true, "feel": true, "get": true, "need": true, "think": true, "want": true, "know": true,
	"use": true, "notice": true, "see": true, "eat": true, "drink": true, "smoke": true, "work": true,
	"live": true, "check": true, "walk": true, "run": true, "play": true, "like": true, "love": true,
	"sleep": true, "wake": true, "remember": true, "forget": true, "wear": true, "drive": true,
	"keep": true, "make": true, "say": true, "mean": true, "believe": true, "hope": true, "sit": true,
	"stand": true, "lift": true, "bend": true, "agree": true, "understand": true, "stay": true,
	"follow": true, "put": true, "come": true, "start": true, "get's": false, "bike": true, "swim": true,
	"hike": true, "cook": true, "travel": true, "exercise": true, "experience": true, "monitor": true,
	"tend": true, "seem": true, "wonder": true, "hurt": true, "lose": true, "cough": true,
}

// auxBefore words put the subject after an auxiliary ("do you take"), where the verb stays bare.
var auxBefore = setOf(`do does did can could would will should to let's might may must don't didn't`)

var adverbs = map[string]bool{
	"usually": true, "always": true, "never": true, "still": true, "also": true, "just": true,
	"really": true, "only": true, "sometimes": true, "normally": true, "definitely": true,
	"actually": true, "typically": true, "often": true, "generally": true, "occasionally": true,
}

// rewrite turns one transcript sentence into clinical prose: fillers dropped, the speaker's first
// person (patient) or second person (doctor addressing the patient) turned into the third
// person, spoken numbers and units normalized. It only removes words or swaps function words, so
// every content word of the result is in the source.
func rewrite(raw string, sp visit.Speaker, pr pronouns) string {
	return finish(rewriteTokens(raw, sp, pr))
}

// rewriteTokens is rewrite before the tokens are joined into a sentence.
func rewriteTokens(raw string, sp visit.Speaker, pr pronouns) []string {
	toks := rawTokens(raw)
	toks = dropFillers(toks)
	patient := sp == visit.Patient
	doctor := sp == visit.Doctor
	var out []string
	subjectBefore := false
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		rep := ""
		isSubj := false
		switch {
		case patient && t == "i":
			rep, isSubj = pr.subj, true
		case patient && t == "i'm":
			rep = pr.subj + " is"
		case patient && t == "i've":
			rep = pr.subj + " has"
		case patient && t == "i'll":
			rep = pr.subj + " will"
		case patient && t == "i'd":
			rep = pr.subj + " would"
		case patient && t == "me":
			rep = pr.obj
		case patient && t == "my":
			rep = pr.poss
		case patient && t == "myself":
			rep = pr.refl
		case doctor && t == "you're":
			rep = pr.subj + " is"
		case doctor && t == "you've":
			rep = pr.subj + " has"
		case doctor && t == "you'll":
			rep = pr.subj + " will"
		case doctor && t == "you'd":
			rep = pr.subj + " would"
		case doctor && t == "your":
			rep = pr.poss
		case doctor && t == "yourself":
			rep = pr.refl
		case doctor && t == "you":
			if i == 0 || subjectSlot(toks[i-1]) || auxBefore[toks[i-1]] || toks[i-1] == "are" || toks[i-1] == "were" || toks[i-1] == "have" || i+1 < len(toks) && (thirdPerson[toks[i+1]] != "" || regularVerbs[toks[i+1]] || adverbs[toks[i+1]]) {
				rep, isSubj = pr.subj, true
			} else {
				rep = pr.obj
			}
		case doctor && (t == "i'm") && i+2 < len(toks) && toks[i+1] == "going" && toks[i+2] == "to":
			rep = "I will"
			i += 2
		case t == "i":
			rep = "I"
		case t == "i'm":
			rep = "I'm"
		case t == "i've":
			rep = "I've"
		case t == "i'll":
			rep = "I'll"
		case t == "i'd":
			rep = "I'd"
		case subjectBefore && thirdPerson[t] != "":
			rep = thirdPerson[t]
		case subjectBefore && regularVerbs[t]:
			rep = t + "s"
		}
		if rep == "" {
			rep = t
		}
		if rep == pr.poss && len(out) == 0 {
			rep = pr.possStart
		}
		out = append(out, rep)
		if isSubj {
			subjectBefore = i == 0 || !auxBefore[toks[i-1]]
		} else if !adverbs[t] {
			subjectBefore = false
		}
	}
	return canonicalPhrase(out)
}

// subjectSlot reports whether a word is usually followed by a clause subject.
func subjectSlot(prev string) bool {
	switch prev {
	case ",", "and", "but", "if", "when", "that", "so", "because", "as", "since", "until", "while", "or", "before", "after", "whether", "once":
		return true
	}
	return false
}

// dropFillers removes fillers, filler phrases, leading discourse words and stutters.
func dropFillers(toks []string) []string {
	out := make([]string, 0, len(toks))
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if fillers[t] {
			continue
		}
		skip := 0
		for _, p := range fillerPhrases {
			if i+len(p) <= len(toks) {
				ok := true
				for k := range p {
					if toks[i+k] != p[k] {
						ok = false
						break
					}
				}
				// "let's see, ..." hesitates; "let's see you back in 3 months" does not
				if ok && p[len(p)-1] == "see" && i+len(p) < len(toks) && toks[i+len(p)] != "," &&
					!whWords[toks[i+len(p)]] {
					ok = false
				}
				if ok {
					skip = len(p)
					break
				}
			}
		}
		if skip > 0 {
			i += skip - 1
			continue
		}
		if len(out) > 0 && out[len(out)-1] == t {
			continue // stutter: "the the"
		}
		if t == "," && (len(out) == 0 || out[len(out)-1] == ",") {
			continue
		}
		out = append(out, t)
	}
	// Leading discourse words and commas.
	for len(out) > 0 && (leadWords[out[0]] || out[0] == ",") {
		out = out[1:]
	}
	for len(out) > 0 && (out[len(out)-1] == "," || trailWords[out[len(out)-1]]) {
		out = out[:len(out)-1]
	}
	return out
}

// canonicalPhrase applies the number and unit normalization to a rewritten token list, keeping a
// lone "one" that is not a quantity ("one of them") as a word.
func canonicalPhrase(toks []string) []string {
	out := make([]string, 0, len(toks))
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if u, ok := unitWords[t]; ok {
			out = append(out, u)
			continue
		}
		if _, ok := numberWords[t]; ok {
			v, n := parseNumber(toks[i:])
			if t == "one" && n == 1 && !(i+1 < len(toks) && quantityNext[toks[i+1]]) {
				out = append(out, t)
				continue
			}
			out = append(out, itoa(v))
			i += n - 1
			continue
		}
		out = append(out, t)
	}
	return out
}

var quantityNext = map[string]bool{
	"mg": true, "milligram": true, "milligrams": true, "mcg": true, "micrograms": true, "tablet": true,
	"pill": true, "day": true, "week": true, "month": true, "year": true, "time": true, "dose": true,
	"hour": true, "minute": true, "unit": true, "percent": true, "ml": true, "cup": true, "glass": true,
}

// finish joins tokens into a sentence: commas attached, first letter capitalized, final period.
func finish(toks []string) string {
	var b strings.Builder
	for i, t := range toks {
		if t == "," {
			if i+1 < len(toks) {
				b.WriteString(",")
			}
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t)
	}
	s := b.String()
	if s == "" {
		return ""
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	return s + "."
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	for v > 0 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return string(buf[i:])
}
