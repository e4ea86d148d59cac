package nlp

import (
	"strings"

	"github.com/medscribe/medscribe/nlp/vocab"
)

// conceptKind is how the engine uses a recognized concept.
type conceptKind uint8

const (
	ckDrug conceptKind = iota + 1
	ckProblem
	ckFinding
	ckLab
	ckImaging
	ckProcedure
	ckReferral
	ckOther // internal plan words: devices, therapy, diets
	ckBlock // words that look like a concept but are not one here ("shock wave", "flu like")
)

type concept struct {
	entry *vocab.Entry
	kind  conceptKind
	term  string
	site  string // the body site the term names ("knee pain" → knee), computed once
}

type cue struct {
	mask  cueKind
	value string // normal form for frequency, route and unit cues
}

// matcher is a token trie over interned normalized words. Concepts and cues share the trie,
// so one walk from each token finds the longest concept and the longest cue starting there.
type matcher struct {
	dict     map[string]int32
	words    []string
	children map[uint64]int32
	concept  []int32 // per node: index into concepts, -1 if none
	cue      []int32 // per node: index into cues, -1 if none
	concepts []concept
	cues     []cue
}

func newMatcher() *matcher {
	return &matcher{
		dict:     map[string]int32{},
		children: map[uint64]int32{},
		concept:  []int32{-1},
		cue:      []int32{-1},
	}
}

func (m *matcher) intern(w string) int32 {
	if id, ok := m.dict[w]; ok {
		return id
	}
	id := int32(len(m.words))
	m.dict[w] = id
	m.words = append(m.words, w)
	return id
}

func (m *matcher) lookup(b []byte) int32 {
	if id, ok := m.dict[string(b)]; ok {
		return id
	}
	return -1
}

// node returns the trie node for phrase, creating it; ok is false for an empty phrase.
func (m *matcher) node(phrase string) (int32, bool) {
	ws := words(phrase)
	if len(ws) == 0 {
		return 0, false
	}
	n := int32(0)
	for _, w := range ws {
		id := m.intern(w)
		key := uint64(n)<<32 | uint64(uint32(id))
		next, ok := m.children[key]
		if !ok {
			next = int32(len(m.concept))
			m.children[key] = next
			m.concept = append(m.concept, -1)
			m.cue = append(m.cue, -1)
		}
		n = next
	}
	return n, true
}

// addConcept registers a surface form; the first concept registered for a form keeps it.
func (m *matcher) addConcept(phrase string, idx int32) {
	n, ok := m.node(phrase)
	if ok && m.concept[n] < 0 {
		m.concept[n] = idx
	}
}

// contractions are registered in both spellings: "don't" and "do not" ("do n't" in
// tokenized transcripts).
var contractions = []struct{ short, long string }{
	{"can't", "can not"}, {"cannot", "can not"}, {"won't", "will not"}, {"don't", "do not"},
	{"doesn't", "does not"}, {"didn't", "did not"}, {"haven't", "have not"}, {"hasn't", "has not"},
	{"isn't", "is not"}, {"wasn't", "was not"}, {"aren't", "are not"}, {"weren't", "were not"},
	{"i'm", "i am"}, {"i've", "i have"}, {"you're", "you are"}, {"we'll", "we will"},
	{"i'll", "i will"}, {"i'd", "i would"}, {"it's", "it is"}, {"let's", "let us"},
}

func (m *matcher) addCue(phrase string, k cueKind, value string) {
	m.addCue1(phrase, k, value)
	for _, c := range contractions {
		if strings.Contains(phrase, c.short) {
			m.addCue1(strings.ReplaceAll(phrase, c.short, c.long), k, value)
		}
	}
}

func (m *matcher) addCue1(phrase string, k cueKind, value string) {
	n, ok := m.node(phrase)
	if !ok {
		return
	}
	if m.cue[n] < 0 {
		m.cue[n] = int32(len(m.cues))
		m.cues = append(m.cues, cue{mask: k, value: value})
		return
	}
	c := &m.cues[m.cue[n]]
	c.mask |= k
	if c.value == "" {
		c.value = value
	}
}

func (m *matcher) child(n, id int32) (int32, bool) {
	if id < 0 {
		return 0, false
	}
	next, ok := m.children[uint64(n)<<32|uint64(uint32(id))]
	return next, ok
}

var subjects = map[string]bool{"it": true, "that": true, "this": true, "which": true, "he": true,
	"she": true, "kinda": true, "still": true, "really": true, "also": true}

var honorifics = map[string]bool{"ms": true, "mr": true, "mrs": true, "dr": true, "st": true, "miss": true}

// ambiguousAbbrev are short abbreviations that are also titles or everyday words ("ms",
// "pe" for gym class, "ed" the name): they name a condition only in clinical context.
var ambiguousAbbrev = map[string]bool{"ms": true, "pe": true, "ra": true, "ed": true, "ca": true,
	"mr": true, "dr": true, "st": true, "mi": true, "af": true, "as": true, "pad": true,
	"cad": true, "bs": true}

// greetings precede a name: "hi ms okafor", "thank you mr jones".
var greetings = map[string]bool{"hi": true, "hello": true, "hey": true, "morning": true,
	"afternoon": true, "evening": true, "thanks": true, "thank": true, "you": true, "bye": true,
	"dear": true, "welcome": true, "goodbye": true, "meet": true, "night": true}

// abbrevContextBefore and abbrevContextAfter are words that make an ambiguous abbreviation a
// clinical term: "history of pe", "diagnosed with ms", "my ra flares".
var abbrevContextBefore = map[string]bool{"history": true, "hx": true, "diagnosed": true,
	"diagnosis": true, "with": true, "have": true, "has": true, "had": true, "having": true,
	"of": true, "for": true, "my": true, "your": true, "his": true, "her": true, "their": true,
	"the": true, "rule": true, "possible": true, "known": true, "from": true, "about": true,
	"treat": true, "treated": true, "treating": true, "suspect": true, "likely": true,
	"probable": true, "probably": true, "chronic": true, "no": true, "not": true, "any": true,
	"denies": true, "like": true, "due": true, "secondary": true, "acute": true, "prior": true,
	"previous": true, "recent": true, "massive": true, "bilateral": true, "severe": true,
	"mild": true, "moderate": true}

var abbrevContextAfter = map[string]bool{"flare": true, "flares": true, "flare-up": true,
	"diagnosis": true, "symptoms": true, "symptom": true, "exacerbation": true, "relapse": true,
	"medication": true, "medications": true, "meds": true, "specialist": true, "diagnosed": true,
	"history": true, "treatment": true, "therapy": true, "is": true, "was": true, "has": true}

// clinicalAbbrev reports whether the ambiguous one-word abbreviation at token i is used as a
// clinical term: not followed by a name (a word outside the dictionary, or a capitalized
// word after a mixed-case title like "Ms"), not after a greeting, and with a clinical word
// or another concept right before it or a clinical word right after it.
func (m *matcher) clinicalAbbrev(text string, toks []token, i, cEnd int, hadConcept bool) bool {
	w := func(j int) string {
		if j < 0 || j >= len(toks) || toks[j].id < 0 {
			return ""
		}
		return m.words[toks[j].id]
	}
	if w(i+1) == "of" {
		return false // "the pad of my foot": a part of something, not a condition
	}
	sameSent := i+1 < len(toks) && toks[i+1].sent == toks[i].sent
	if i+1 < len(toks) && (sameSent || toks[i].punctAfter == '.' && honorifics[w(i)]) {
		// "ms. okafor": the title's period ends the sentence, but the name still follows
		next := toks[i+1]
		if next.id < 0 && !next.num {
			return false // "ms okafor": a name the dictionary does not know
		}
		a := text[toks[i].start]
		b := text[next.start]
		if a >= 'A' && a <= 'Z' && b >= 'A' && b <= 'Z' && toks[i].end-toks[i].start > 1 &&
			!(text[toks[i].start+1] >= 'A' && text[toks[i].start+1] <= 'Z') {
			return false // "Ms Rose": a title before a capitalized name
		}
	}
	if i > 0 && toks[i-1].sent == toks[i].sent && greetings[w(i-1)] {
		return false
	}
	if hadConcept && cEnd >= i-2 {
		return true // a list of conditions: "htn, ms and cad"
	}
	for j := i - 1; j >= 0 && j >= i-3 && toks[j].sent == toks[i].sent; j-- {
		if abbrevContextBefore[w(j)] {
			return true
		}
	}
	return sameSent && abbrevContextAfter[w(i+1)]
}

// maxPattern bounds how far one walk goes, so pathological input stays linear.
const maxPattern = 12

type span struct {
	from, to int // token range [from, to)
	idx      int32
}

// match finds the longest non-overlapping concepts and cues over toks.
func (m *matcher) match(text string, toks []token, concepts, cues []span) ([]span, []span) {
	concepts, cues = concepts[:0], cues[:0]
	cEnd, qEnd := 0, 0
	for i := range toks {
		if i < cEnd && i < qEnd {
			continue
		}
		n := int32(0)
		bestC, bestCTo := int32(-1), 0
		bestQ, bestQTo := int32(-1), 0
		for j := i; j < len(toks) && j-i < maxPattern; j++ {
			if j > i && toks[j].sent != toks[i].sent {
				break
			}
			next, ok := m.child(n, toks[j].id)
			if !ok {
				break
			}
			n = next
			if m.concept[n] >= 0 {
				bestC, bestCTo = m.concept[n], j+1
			}
			if m.cue[n] >= 0 {
				bestQ, bestQTo = m.cue[n], j+1
			}
		}
		if bestC >= 0 && bestCTo-i == 1 && ambiguousAbbrev[m.words[toks[i].id]] && !m.clinicalAbbrev(text, toks, i, cEnd, len(concepts) > 0) {
			bestC = -1 // "ms. cooper", "hi ms okafor": a title or a word, not multiple sclerosis
		}
		// "it burns": after a subject pronoun a folded plural is a verb, not the noun "burn"
		if bestC >= 0 && bestCTo-i == 1 && i > 0 && toks[i-1].id >= 0 && subjects[m.words[toks[i-1].id]] &&
			toks[i].end-toks[i].start > 3 && text[toks[i].end-1]|0x20 == 's' {
			bestC = -1
		}
		if bestC >= 0 && i >= cEnd {
			concepts = append(concepts, span{i, bestCTo, bestC})
			cEnd = bestCTo
		}
		if bestQ >= 0 && i >= qEnd {
			cues = append(cues, span{i, bestQTo, bestQ})
			qEnd = bestQTo
		}
	}
	return concepts, cues
}
