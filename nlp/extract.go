package nlp

import (
	"strconv"
	"strings"

	"github.com/medscribe/medscribe/visit"
)

// Scope limits, in tokens, for ConText triggers. Spoken sentences run long, so a trigger
// reaches only this far unless a termination word ends it sooner.
const (
	preScope    = 10
	postScope   = 4
	familyScope = 14
	medCueScope = 12
	attrScope   = 12
)

type turnInfo struct {
	toks       []token
	sents      []sentence
	cons       []span
	cues       []span
	termPrefix []int32 // termPrefix[i] = number of termination cues starting before token i
}

type mention struct {
	c         int32
	turn      int
	tokFrom   int
	start     int
	end       int
	speaker   visit.Speaker
	assertion visit.Assertion
	hypo      bool
	pending   bool   // asked by the doctor, not yet answered
	voice     bool   // the patient's own word: said by the patient or answered by them
	site      string // body site qualifying a generic finding or injury ("knee" tenderness)
	lat       string // the side said with the site or the term ("right")
	head      string // the word said, naming a sited finding ("swelling" rather than "edema")
	injury    bool   // a bare injury ("fracture"): with no site said, the visit's main site
	question  bool
	negated   bool
	allergen  bool // an allergy's substance or reaction, not a medication or problem
	status    visit.MedStatus
	rx        bool // a prescription written or changed today
	dose      string
	route     string
	freq      string
	dur       string
}

// arena hands out the per-turn slices of one dialogue from shared backing arrays, so a
// dialogue costs a few allocations rather than a few per turn.
type arena struct {
	toks  []token
	sents []sentence
	spans []span
	terms []int32
	buf   []byte
	cues  []span // scratch for one turn's cues before they join spans
}

func newArena(tr visit.Transcript) *arena {
	n := 0
	for _, t := range tr.Turns {
		n += len(t.Text)
	}
	// about one token per five bytes of speech, a concept or cue per two tokens
	return &arena{toks: make([]token, 0, n/5+16), sents: make([]sentence, 0, n/40+16),
		spans: make([]span, 0, n/8+16), terms: make([]int32, 0, n/5+16+len(tr.Turns))}
}

func (e *Engine) analyze(a *arena, t visit.Turn) *turnInfo {
	ti := &turnInfo{}
	ti.toks, ti.sents, a.buf = scan(t.Text, e.m.lookup, a.toks[len(a.toks):len(a.toks)], a.sents[len(a.sents):len(a.sents)], a.buf)
	if len(ti.toks) <= cap(a.toks)-len(a.toks) {
		a.toks = a.toks[:len(a.toks)+len(ti.toks)]
	}
	if len(ti.sents) <= cap(a.sents)-len(a.sents) {
		a.sents = a.sents[:len(a.sents)+len(ti.sents)]
	}
	ti.cons, a.cues = e.m.match(t.Text, ti.toks, a.spans[len(a.spans):len(a.spans)], a.cues)
	ti.cues = a.cues
	if len(ti.cons) <= cap(a.spans)-len(a.spans) {
		a.spans = a.spans[:len(a.spans)+len(ti.cons)]
	}
	ti.cues = append(a.spans[len(a.spans):len(a.spans)], ti.cues...)
	if len(ti.cues) <= cap(a.spans)-len(a.spans) {
		a.spans = a.spans[:len(a.spans)+len(ti.cues)]
	}
	if need := len(ti.toks) + 1; need <= cap(a.terms)-len(a.terms) {
		ti.termPrefix = a.terms[len(a.terms) : len(a.terms)+need : len(a.terms)+need]
		clear(ti.termPrefix)
		a.terms = a.terms[:len(a.terms)+need]
	} else {
		ti.termPrefix = make([]int32, need)
	}
	q := 0
	for i := range ti.toks {
		ti.termPrefix[i+1] = ti.termPrefix[i]
		for q < len(ti.cues) && ti.cues[q].from < i {
			q++
		}
		if q < len(ti.cues) && ti.cues[q].from == i && e.m.cues[ti.cues[q].idx].mask&cueTerm != 0 {
			ti.termPrefix[i+1]++
		}
	}
	return ti
}

func (e *Engine) mask(s span) cueKind { return e.m.cues[s.idx].mask }

func (e *Engine) word(ti *turnInfo, i int) string {
	if i < 0 || i >= len(ti.toks) || ti.toks[i].id < 0 {
		return ""
	}
	return e.m.words[ti.toks[i].id]
}

// blocked reports whether a termination cue lies in tokens [from, to).
func (ti *turnInfo) blocked(from, to int) bool {
	if from >= to {
		return false
	}
	return ti.termPrefix[to]-ti.termPrefix[from] > 0
}

// consIn returns the concept spans starting in tokens [from, to).
func (ti *turnInfo) consIn(from, to int) []span {
	lo, hi := 0, len(ti.cons)
	for lo < hi {
		m := (lo + hi) / 2
		if ti.cons[m].from < from {
			lo = m + 1
		} else {
			hi = m
		}
	}
	end := lo
	for end < len(ti.cons) && ti.cons[end].from < to {
		end++
	}
	return ti.cons[lo:end]
}

// covered reports whether a concept span covers token i (spans are at most maxPattern long).
func (ti *turnInfo) covered(i int) bool {
	for _, c := range ti.consIn(i-maxPattern+1, i+1) {
		if c.to > i {
			return true
		}
	}
	return false
}

// mentionAt is the mention of concept span c in sentence s of a turn, with its ConText
// assertion; callers add what their reading knows beyond that (side, question, status).
func (e *Engine) mentionAt(turn int, t visit.Turn, ti *turnInfo, s sentence, c span) mention {
	m := mention{c: c.idx, turn: turn, tokFrom: c.from, start: int(ti.toks[c.from].start),
		end: int(ti.toks[c.to-1].end), speaker: t.Speaker, question: s.question,
		voice: t.Speaker == visit.Patient}
	m.assertion, m.hypo = e.assert(ti, s, c)
	m.negated = m.assertion == visit.Absent
	return m
}

// cuesIn returns the cue spans starting inside sentence s.
func (ti *turnInfo) cuesIn(s sentence) []span { return ti.cuesNear(s, s.from, s.to) }

// cuesNear returns the cue spans of sentence s starting in tokens [from, to): triggers only
// reach a few tokens, so a long unpunctuated turn stays linear.
func (ti *turnInfo) cuesNear(s sentence, from, to int) []span {
	from, to = max(from, s.from), min(to, s.to)
	lo, hi := 0, len(ti.cues)
	for lo < hi {
		m := (lo + hi) / 2
		if ti.cues[m].from < from {
			lo = m + 1
		} else {
			hi = m
		}
	}
	end := lo
	for end < len(ti.cues) && ti.cues[end].from < to {
		end++
	}
	return ti.cues[lo:end]
}

// isAnswerNo reports whether a bare "no," is an answer rather than a negation trigger: it is
// followed by punctuation or ends its sentence.
func (ti *turnInfo) isAnswerNo(e *Engine, q span, s sentence) bool {
	if q.to-q.from != 1 || e.word(ti, q.from) != "no" {
		return false
	}
	return ti.toks[q.from].punctAfter != 0 || q.to == s.to
}

// opensSentence reports whether only fillers come before cue q in its sentence: an answer's
// "no ," opens it ("no , i haven't"), while "there's no , um , fracture" is a negation.
func (e *Engine) opensSentence(ti *turnInfo, q span, s sentence) bool {
	for i := s.from; i < q.from; i++ {
		if w := e.word(ti, i); !answerFillers[w] && !questionFillers[w] && w != "no" {
			return false
		}
	}
	return true
}

// assert applies ConText triggers of sentence s to concept span c.
func (e *Engine) assert(ti *turnInfo, s sentence, c span) (a visit.Assertion, hypo bool) {
	var neg, poss, hist, fam bool
	for _, q := range ti.cuesNear(s, c.from-familyScope-maxPattern, c.to+familyScope+1) {
		m := e.mask(q)
		switch {
		case q.to <= c.from:
			dist := c.from - q.to
			if m&cueFamPre != 0 && dist <= familyScope && !ti.blocked(q.to, c.from) {
				fam = true
			}
			// "there's no , um , fracture": a hesitation right after the trigger does not end it
			after := q.to
			for after < c.from && (e.word(ti, after) == "um" || e.word(ti, after) == "uh") {
				after++
			}
			if dist > preScope || ti.blocked(after, c.from) {
				continue
			}
			if m&cueNegPre != 0 && !(ti.isAnswerNo(e, q, s) && e.opensSentence(ti, q, s)) {
				neg = true
			}
			if m&cuePossPre != 0 {
				poss = true
			}
			if m&cueHypoPre != 0 {
				hypo = true
			}
			if m&cueHistPre != 0 {
				hist = true
			}
		case q.from >= c.to:
			dist := q.from - c.to
			if m&cueFamPost != 0 && dist <= familyScope {
				fam = true
			}
			if dist > postScope || ti.blocked(c.to, q.from) {
				continue
			}
			if m&cueNegPost != 0 {
				neg = true
			}
			// "diarrhea , no": a review of systems read out item by item
			if dist <= 1 && ti.isAnswerNo(e, q, s) {
				neg = true
			}
			if m&cuePossPost != 0 {
				poss = true
			}
			if m&cueHistPost != 0 {
				hist = true
			}
		}
	}
	switch {
	case fam:
		return visit.Family, hypo
	case neg:
		return visit.Absent, hypo
	case poss:
		return visit.Possible, hypo
	case hist:
		return visit.History, hypo
	}
	return visit.Present, hypo
}

// answerFillers are hesitations before a yes or no ("uh , no").
var answerFillers = map[string]bool{"uh": true, "um": true, "oh": true, "well": true, "so": true,
	"hmm": true, "ah": true, "mm": true, "er": true, "and": true, "ok": true, "honestly": true}

// answer classifies the start of a patient turn as a yes (1), a no (-1) or neither (0).
func (e *Engine) answer(ti *turnInfo) int {
	first := 0
	for first < len(ti.toks) && first < 4 && answerFillers[e.word(ti, first)] {
		first++
	}
	q, ok := e.cueAt(ti, first)
	if !ok {
		return 0
	}
	m := e.mask(q)
	// "no, but i do get headaches": the "no" still answers the question; what follows the
	// "but" is the patient's own statement and is asserted on its own.
	switch {
	case m&cueAnswerNo != 0:
		return -1
	case m&cueAnswerYes != 0:
		return 1
	}
	return 0
}

// questionLead is how many words, fillers aside, may precede the interrogative cue that
// marks a sentence as a question: "okay and have you had any fever" asks, "we'll have you
// come back" does not.
const questionLead = 0

var questionFillers = map[string]bool{"ok": true, "okay": true, "alright": true, "and": true,
	"so": true, "now": true, "yes": true, "right": true, "good": true, "great": true, "um": true,
	"uh": true, "well": true, "then": true, "also": true, "all": true, "hmm": true, "oh": true}

// namesRelative reports whether a turn names a relative and no condition of its own: the
// patient's answer to a family history question ("my mother did"), not another history
// ("my father had asthma").
func (e *Engine) namesRelative(ti *turnInfo) bool {
	for _, c := range ti.cons {
		if k := e.m.concepts[c.idx].kind; k == ckProblem || k == ckFinding {
			return false
		}
	}
	for _, q := range ti.cues {
		if e.mask(q)&cueFamPre != 0 {
			return true
		}
	}
	return false
}

// hasWord reports whether the turn's first sentence has one of ws ("nope , just penicillin").
func (e *Engine) hasWord(ti *turnInfo, ws ...string) bool {
	if len(ti.sents) == 0 {
		return false
	}
	s := ti.sents[0]
	for i := s.from; i < s.to; i++ {
		for _, w := range ws {
			if e.word(ti, i) == w {
				return true
			}
		}
	}
	return false
}

// tagWords end a statement turned into a tag question ("..., okay?", "..., right?").
var tagWords = map[string]bool{"okay": true, "ok": true, "right": true, "alright": true,
	"correct": true, "yeah": true, "huh": true, "good": true}

// markQuestions marks the doctor's sentences that ask something even when the transcript
// has no question mark ("and have you had any fever or chills").
func (e *Engine) markQuestions(ti *turnInfo) {
	for si := range ti.sents {
		s := &ti.sents[si]
		if s.question && s.to-s.from >= 4 && tagWords[e.word(ti, s.to-1)] && ti.toks[s.to-2].punctAfter == ',' {
			// "it shows the leaky valve that you have , okay ?": a statement with a tag
			s.question = false
		}
		if s.question {
			continue
		}
		for _, q := range ti.cuesNear(*s, s.from, s.to) {
			if e.mask(q)&cueQuestion == 0 {
				continue
			}
			lead := 0
			for i := s.from; i < q.from; i++ {
				if !questionFillers[e.word(ti, i)] {
					lead++
				}
			}
			if lead <= questionLead || q.to == s.to {
				s.question = true
				break
			}
		}
	}
}

// askScope is how far an interrogative cue reaches inside a run-on sentence ("... is there
// any decreased range of motion do you feel ...").
const askScope = 5

func (e *Engine) askedAt(ti *turnInfo, s sentence, c span) bool {
	for _, q := range ti.cuesNear(s, c.from-askScope-maxPattern, c.from) {
		if q.to <= c.from && c.from-q.to <= askScope && e.mask(q)&cueQuestion != 0 && !ti.blocked(q.to, c.from) &&
			!e.relativeWhat(ti, q) {
			return true
		}
	}
	return false
}

// relativeWhat reports whether a "what" opens a relative clause rather than a question:
// "what that means for the chf", "what we call hydronephrosis".
func (e *Engine) relativeWhat(ti *turnInfo, q span) bool {
	if q.to-q.from != 1 || e.word(ti, q.from) != "what" {
		return false
	}
	switch e.word(ti, q.to) {
	case "that", "this", "it", "we", "i", "they", "he", "she", "look", "looks", "appear", "appears", "seem", "seems", "sound", "sounds":
		return true
	}
	return false
}

func (e *Engine) sentenceOf(ti *turnInfo, tok int) sentence {
	return ti.sents[ti.toks[tok].sent]
}

type dialogue struct {
	turns    []*turnInfo
	speakers []visit.Speaker
	mentions []mention
	orders   []orderItem
	allergy  []allergyItem
}

type orderItem struct {
	kind       visit.OrderKind
	text       string
	c          int32
	turn       int
	start, end int
}

type allergyItem struct {
	substance  string
	c          int32
	reaction   string
	turn       int
	start, end int
	env        bool // an environmental allergen (pollen), beside which "no drug allergies" holds
}

// envAllergy is an environmental allergen the visit talks about ("congestion from the
// pollen") and whether allergies come up at all: both make a seasonal allergy.
type envAllergy struct {
	substance   string
	turn        int
	start, end  int
	allergyTalk bool
}

// envAllergenWords are environmental allergens that, talked about in a visit that mentions
// allergies, are the patient's allergy.
var envAllergenWords = map[string]bool{"pollen": true, "pollens": true, "ragweed": true, "dander": true}

func (e *Engine) envAllergens(d *dialogue, turn int, ti *turnInfo, env *envAllergy) {
	for _, q := range ti.cues {
		if e.mask(q)&cueAllergy != 0 {
			env.allergyTalk = true
			break
		}
	}
	if env.turn >= 0 {
		return
	}
	for i := range ti.toks {
		w := e.word(ti, i)
		if !envAllergenWords[w] {
			continue
		}
		s := e.sentenceOf(ti, i)
		if a, hypo := e.assert(ti, s, span{from: i, to: i + 1}); a == visit.Absent || a == visit.Family || hypo {
			continue
		}
		if w == "pollens" {
			w = "pollen"
		}
		env.substance, env.turn = w, turn
		env.start, env.end = int(ti.toks[i].start), int(ti.toks[i].end)
		return
	}
}

func (e *Engine) extract(tr visit.Transcript) *Result {
	d := &dialogue{turns: make([]*turnInfo, len(tr.Turns)), speakers: make([]visit.Speaker, len(tr.Turns))}
	a := newArena(tr)
	var pending []int // mentions asked about in the last doctor turn
	last := lastDrug{c: -1}
	allergyAsked := -1
	env := envAllergy{turn: -1}
	for ti, t := range tr.Turns {
		answeredAllergy := false
		info := e.analyze(a, t)
		d.turns[ti], d.speakers[ti] = info, t.Speaker
		if t.Speaker == visit.Doctor {
			e.markQuestions(info)
		}
		if t.Speaker != visit.Doctor && ti > 0 {
			ans := e.answer(info)
			for _, mi := range pending {
				m := &d.mentions[mi]
				m.pending = false
				switch {
				case m.assertion == visit.Family && (ans == 1 || e.namesRelative(info)):
					m.voice = true // "yes", or "my mother did"
				case m.assertion == visit.Family && ans == -1:
					m.hypo = true // "no family history of it": nothing to record
				case ans == -1:
					m.assertion, m.voice = visit.Absent, true
				case ans == 1:
					m.assertion, m.voice = visit.Present, true
				default:
					m.pending = true
				}
			}
			if ans == -1 && allergyAsked >= 0 && len(info.toks) > 0 {
				d.allergy = append(d.allergy, allergyItem{substance: "none known", c: -1, turn: ti,
					start: int(info.toks[0].start), end: int(info.toks[0].end)})
			}
			answeredAllergy = allergyAsked >= 0 && (ans != -1 || e.hasWord(info, "just", "only"))
			pending = pending[:0]
			allergyAsked = -1
		}
		if t.Speaker == visit.Doctor {
			pending = pending[:0]
			allergyAsked = -1
		}
		riskFrom := e.riskTalk(info, t.Speaker)
		for _, c := range info.cons {
			s := e.sentenceOf(info, c.from)
			con := e.m.concepts[c.idx]
			m := e.mentionAt(ti, t, info, s, c)
			var extra []place
			switch con.kind {
			case ckDrug:
				e.medAttributes(info, t, s, c, &m)
				last = lastDrug{c: c.idx, turn: ti}
			case ckProblem, ckFinding:
				extra = e.placeMention(d, ti, info, s, c, con, &m)
				if c.from >= riskFrom {
					m.hypo = true // a risk the doctor lists, not a condition the patient has
				}
				if t.Speaker == visit.Doctor && !s.question && e.askedAt(info, s, c) {
					m.question = true
				}
				if t.Speaker == visit.Doctor && m.question && (m.assertion == visit.Present || m.assertion == visit.Family) && !m.hypo {
					m.pending = true
					pending = append(pending, len(d.mentions))
				}
			}
			d.mentions = append(d.mentions, m)
			for _, p := range extra {
				mm := m
				mm.site, mm.lat = p.site, p.lat
				if mm.pending {
					pending = append(pending, len(d.mentions))
				}
				d.mentions = append(d.mentions, mm)
			}
		}
		e.sitePain(d, ti, t, info)
		for _, m := range e.painNouns(ti, t, info) {
			if t.Speaker == visit.Doctor && m.question && m.assertion == visit.Present && !m.hypo {
				m.pending = true // "any pain down here in your calves?" waits for the answer
				pending = append(pending, len(d.mentions))
			}
			d.mentions = append(d.mentions, m)
		}
		e.bareTear(d, ti, t, info)
		if answeredAllergy {
			e.allergyAnswer(d, ti, t, info)
		}
		e.anaphora(d, ti, t, info, &last)
		e.orders(d, ti, t, info)
		if e.allergies(d, ti, t, info) && t.Speaker == visit.Doctor {
			allergyAsked = ti
		}
		e.envAllergens(d, ti, info, &env)
	}
	noneKnown := false
	for _, a := range d.allergy {
		noneKnown = noneKnown || a.substance == "none known"
	}
	// a denial of allergies outweighs pollen talked about in passing
	if env.allergyTalk && env.turn >= 0 && !noneKnown {
		d.allergy = append(d.allergy, allergyItem{substance: env.substance, c: -1, turn: env.turn,
			start: env.start, end: env.end, env: true})
	}
	return e.collect(d, tr)
}

// sitePain reads a body site with a pain verb as that site's pain finding ("my right knee
// has been killing me" → knee pain), when the vocabulary has the composed term.
func (e *Engine) sitePain(d *dialogue, turn int, t visit.Turn, ti *turnInfo) {
	for _, q := range ti.cues {
		if e.mask(q)&cuePainVerb == 0 {
			continue
		}
		s := e.sentenceOf(ti, q.from)
		for i := q.from - 1; i >= s.from && i >= q.from-4; i-- {
			site, ok := bodySites[e.word(ti, i)]
			if !ok {
				continue
			}
			if len(ti.consIn(i, q.to)) > 0 || ti.blocked(i+1, q.from) {
				break
			}
			idx, ok := e.byTerm[site+" pain"]
			if !ok {
				break
			}
			c := span{from: i, to: q.to, idx: idx}
			m := e.mentionAt(turn, t, ti, s, c)
			m.lat = e.sideBefore(ti, s, i)
			if t.Speaker == visit.Doctor && (s.question || e.askedAt(ti, s, c)) {
				break // the doctor's "does your knee hurt" is answered, not stated
			}
			d.mentions = append(d.mentions, m)
			break
		}
	}
}

// riskTalk returns the first token of a doctor's turn where the risks of a procedure or drug
// are listed ("risk of surgery include infection ... seizure, stroke"), or a number past the
// turn's end when there is none.
func (e *Engine) riskTalk(ti *turnInfo, sp visit.Speaker) int {
	if sp != visit.Doctor {
		return len(ti.toks) + 1
	}
	for _, q := range ti.cues {
		if e.mask(q)&cueRisk != 0 {
			return q.from
		}
	}
	return len(ti.toks) + 1
}

// painNouns reads the noun "pain" with the site said after it ("any other pain down here in
// your calves?") as that site's pain finding, when the vocabulary has the composed term.
func (e *Engine) painNouns(turn int, t visit.Turn, ti *turnInfo) []mention {
	var out []mention
	for i := range ti.toks {
		if e.word(ti, i) != "pain" || ti.covered(i) {
			continue
		}
		s := e.sentenceOf(ti, i)
		c := span{from: i, to: i + 1, idx: -1}
		places := e.sitesAfter(ti, s, c)
		if len(places) == 0 {
			continue
		}
		idx, ok := e.byTerm[places[0].site+" pain"]
		if !ok || e.m.concepts[idx].kind != ckFinding {
			continue
		}
		c.idx = idx
		m := e.mentionAt(turn, t, ti, s, c)
		m.question = m.question || t.Speaker == visit.Doctor && e.askedAt(ti, s, c)
		m.lat = places[0].lat
		out = append(out, m)
	}
	return out
}

// bareTear reads "rule out a tear" after a structure's injury was named in the same turn
// ("a medial meniscus strain, but i'd like to rule out a tear") as that structure's tear,
// when the vocabulary has it.
func (e *Engine) bareTear(d *dialogue, turn int, t visit.Turn, ti *turnInfo) {
	for i := range ti.toks {
		if w := e.word(ti, i); w != "tear" || len(ti.consIn(i, i+1)) > 0 {
			continue
		}
		prev := ti.consIn(0, i)
		if len(prev) == 0 {
			continue
		}
		pc := prev[len(prev)-1]
		con := e.m.concepts[pc.idx]
		if con.kind != ckProblem {
			continue
		}
		ws := strings.Fields(con.term)
		idx := int32(-1)
		for k := 0; k < len(ws)-1 && idx < 0; k++ {
			if j, ok := e.byTerm[strings.Join(ws[k:len(ws)-1], " ")+" tear"]; ok && e.m.concepts[j].kind == ckProblem {
				idx = j
			}
		}
		if idx < 0 {
			continue
		}
		s := e.sentenceOf(ti, i)
		m := e.mentionAt(turn, t, ti, s, span{from: i, to: i + 1, idx: idx})
		if s.question {
			continue
		}
		d.mentions = append(d.mentions, m)
	}
}

// --- medications ----------------------------------------------------------------------

type lastDrug struct {
	c    int32
	turn int
}

// anaphoraTurns is how many turns back "it" may point at the last drug named.
const anaphoraTurns = 1

var drugPronouns = map[string]bool{"it": true, "that": true, "this": true, "them": true, "dose": true,
	"medication": true, "medicine": true, "pill": true}

// anaphora reads "let's increase it to 40 mg": a status cue aimed at a pronoun, in a sentence
// naming no drug, is about the drug named last.
func (e *Engine) anaphora(d *dialogue, turn int, t visit.Turn, ti *turnInfo, last *lastDrug) {
	if t.Speaker != visit.Doctor || last.c < 0 || turn-last.turn > anaphoraTurns {
		return
	}
	for _, s := range ti.sents {
		if s.question {
			continue
		}
		hasDrug := false
		for _, c := range ti.consIn(s.from, s.to) {
			if e.m.concepts[c.idx].kind == ckDrug {
				hasDrug = true
				break
			}
		}
		if hasDrug {
			continue
		}
		for _, q := range ti.cuesIn(s) {
			if e.mask(q)&(cueMedChanged|cueMedStopped|cueMedRefill|cueMedActive) == 0 {
				continue
			}
			p := -1
			for i := q.from + 1; i < s.to && i <= q.to+2; i++ {
				if drugPronouns[e.word(ti, i)] {
					p = i
					break
				}
			}
			if p < 0 {
				continue
			}
			c := span{from: p, to: p + 1, idx: last.c}
			m := mention{c: last.c, turn: turn, tokFrom: p, start: int(ti.toks[q.from].start),
				speaker: t.Speaker, voice: false}
			m.assertion, m.hypo = e.assert(ti, s, c)
			m.negated = m.assertion == visit.Absent
			e.medAttributes(ti, t, s, c, &m)
			m.start = int(ti.toks[q.from].start)
			switch mk := e.mask(q); {
			case mk&cueMedStopped != 0:
				m.status, m.rx = visit.MedStopped, false
			case mk&cueMedChanged != 0:
				m.status, m.rx = visit.MedChanged, true
			case mk&cueMedRefill != 0:
				m.status, m.rx = visit.MedActive, true
			default:
				m.status, m.rx = visit.MedActive, false
			}
			// a change needs its new dose said; "it" alone is too loose to move a status
			if m.negated || (m.status == visit.MedChanged && m.dose == "") || m.status == visit.MedActive && !m.rx {
				continue
			}
			d.mentions = append(d.mentions, m)
			break
		}
	}
}

const medStatusMask = cueMedNewRx | cueMedNewOTC | cueMedChanged | cueMedStopped | cueMedHist |
	cueMedConsidered | cueMedActive | cueMedRefill

func statusRank(s visit.MedStatus) int {
	switch s {
	case visit.MedChanged:
		return 6
	case visit.MedStopped:
		return 5
	case visit.MedNew:
		return 4
	case visit.MedActive:
		return 3
	case visit.MedHistorical:
		return 2
	case visit.MedConsidered:
		return 1
	}
	return 0
}

func (e *Engine) medAttributes(ti *turnInfo, t visit.Turn, s sentence, c span, m *mention) {
	// Status: the nearest status cue before the drug in its sentence, else just after it,
	// else the last one earlier in the same turn ("i'm going to prescribe something. it's X").
	var before, after *span
	considered := false
	cues := ti.cuesNear(s, c.from-medCueScope-maxPattern, c.to+7)
	// a condition ("to see if we need to adjust your metformin") cuts off the cues before it
	hypoAt := -1
	for _, q := range cues {
		if q.to <= c.from && e.mask(q)&cueHypoPre != 0 {
			hypoAt = q.from
		}
	}
	for i := range cues {
		q := &cues[i]
		mk := e.mask(*q)
		if mk&medStatusMask == 0 || q.from < hypoAt {
			continue
		}
		if q.to <= c.from && c.from-q.to <= medCueScope {
			before = q
			if mk&cueMedConsidered != 0 {
				considered = true
			}
		}
		if q.from >= c.to && q.from-c.to <= 6 && after == nil && !ti.blocked(c.to, q.from) {
			after = q
		}
	}
	pick := before
	if pick == nil {
		pick = after
	}
	if pick == nil && s.from > 0 {
		prev := ti.cuesIn(ti.sents[ti.toks[s.from].sent-1])
		for i := len(prev) - 1; i >= 0 && i >= len(prev)-8; i-- {
			if e.mask(prev[i])&medStatusMask != 0 {
				pick = &prev[i]
				break
			}
		}
	}
	var mk cueKind
	if pick != nil {
		mk = e.mask(*pick)
	}
	doctor := t.Speaker == visit.Doctor
	switch {
	case doctor && (considered || mk&cueMedConsidered != 0):
		m.status = visit.MedConsidered
	case mk&cueMedStopped != 0:
		m.status = visit.MedStopped
	case doctor && mk&cueMedRefill != 0:
		m.status, m.rx = visit.MedActive, true
	case doctor && mk&cueMedChanged != 0:
		m.status, m.rx = visit.MedChanged, true
	case doctor && mk&cueMedNewRx != 0 && !s.question:
		m.status, m.rx = visit.MedNew, true
	case doctor && mk&cueMedNewOTC != 0 && !s.question:
		m.status = visit.MedNew
	case mk&cueMedHist != 0:
		m.status = visit.MedHistorical
	default:
		m.status = visit.MedActive
	}
	if m.negated && m.status != visit.MedStopped {
		m.status = "" // "i'm not on any aspirin": not a medication of this visit
	}
	e.doseFreq(ti, t.Text, s, c, m)
}

// doseFreq reads dose, route, frequency and duration near a drug mention.
func (e *Engine) doseFreq(ti *turnInfo, text string, s sentence, c span, m *mention) {
	limit := c.to + attrScope
	if limit > s.to {
		limit = s.to
	}
	// another drug ends this drug's attributes
	for _, o := range ti.consIn(c.to, limit) {
		if e.m.concepts[o.idx].kind == ckDrug {
			limit = o.from
			break
		}
	}
	lastTok := c.to - 1
	ranges := [][2]int{{c.to, limit}}
	// "some motrin, 800 milligrams. you can take it every six hours": a drug's attributes may
	// follow in the next sentence of the same turn, when that sentence names no other drug.
	if limit == s.to && int(ti.toks[s.from].sent)+1 < len(ti.sents) {
		ns := ti.sents[ti.toks[s.from].sent+1]
		nl := min(ns.to, ns.from+attrScope)
		other := false
		for _, o := range ti.consIn(ns.from, nl) {
			if e.m.concepts[o.idx].kind == ckDrug {
				other = true
			}
		}
		if !other {
			ranges = append(ranges, [2]int{ns.from, nl})
		}
	}
	for _, r := range ranges {
		e.scanAttrs(ti, text, r[0], r[1], c, m, &lastTok)
	}
	// "80 mg of lasix", "take 2 tablets of ..."
	if m.dose == "" {
		from := c.from - 5
		if from < s.from {
			from = s.from
		}
		for i := from; i < c.from; i++ {
			if v, next, ok := e.number(ti, text, i, c.from, false); ok {
				if q, ok := e.cueAt(ti, next); ok && e.mask(q)&cueUnit != 0 && q.to <= c.from {
					m.dose = v + " " + e.m.cues[q.idx].value
					m.start = int(ti.toks[i].start)
				}
				i = next - 1
			}
		}
	}
	if m.freq == "" {
		from := c.from - 4
		if from < s.from {
			from = s.from
		}
		for _, q := range ti.cuesNear(s, from, c.from) {
			if q.to <= c.from && e.mask(q)&cueFreq != 0 {
				m.freq = e.m.cues[q.idx].value
			}
		}
	}
	m.end = int(ti.toks[lastTok].end)
}

// scanAttrs reads frequency, route, dose and duration cues in tokens [from, limit).
func (e *Engine) scanAttrs(ti *turnInfo, text string, from, limit int, c span, m *mention, lastTok *int) {
	use := func(i int) {
		if i > *lastTok {
			*lastTok = i
		}
	}
	for i := from; i < limit; {
		if q, ok := e.cueAt(ti, i); ok {
			cq := e.m.cues[q.idx]
			switch {
			case cq.mask&cueFreq != 0:
				if m.freq == "" {
					m.freq = cq.value
				} else if cq.value == "as needed" && !strings.Contains(m.freq, "as needed") {
					m.freq += " as needed"
				}
				use(q.to - 1)
				i = q.to
				continue
			case cq.mask&cueRoute != 0 && m.route == "":
				m.route = cq.value
				use(q.to - 1)
			}
		}
		w := e.word(ti, i)
		if w == "every" {
			if v, next, ok := e.number(ti, text, i+1, limit, true); ok {
				v2, next2 := "", next
				if e.word(ti, next) == "to" || e.word(ti, next) == "or" {
					if x, n2, ok := e.number(ti, text, next+1, limit, false); ok {
						v2, next2 = x, n2
					}
				}
				if u := e.word(ti, next2); u == "hour" || u == "hours" {
					f := "every " + v
					if v2 != "" {
						f += " to " + v2
					}
					f += " hours"
					if m.freq == "as needed" {
						f += " as needed"
					}
					if m.freq == "" || m.freq == "as needed" {
						m.freq = f
					}
					use(next2)
					i = next2 + 1
					continue
				}
			}
		}
		if w == "for" && m.dur == "" {
			if v, next, ok := e.number(ti, text, i+1, limit, true); ok {
				if u, ok := timeUnits[e.word(ti, next)]; ok {
					m.dur = "for " + v + " " + plural(u, v)
					use(next)
					i = next + 1
					continue
				}
			}
		}
		if m.dose == "" {
			if v, next, ok := e.number(ti, text, i, limit, false); ok {
				if q, ok := e.cueAt(ti, next); ok && e.mask(q)&cueUnit != 0 {
					unit := e.m.cues[q.idx].value
					m.dose = v + " " + unit
					use(q.to - 1)
					i = q.to
					// "from 10 mg to 20 mg": the dose is where it goes
					if e.word(ti, i) == "to" {
						if v2, n2, ok := e.number(ti, text, i+1, limit, false); ok {
							m.dose = v2 + " " + unit
							i = n2
							if q2, ok := e.cueAt(ti, n2); ok && e.mask(q2)&cueUnit != 0 {
								m.dose = v2 + " " + e.m.cues[q2.idx].value
								i = q2.to
							}
							use(i - 1)
						}
					}
					continue
				}
				_, isTime := timeUnits[e.word(ti, next)]
				// "lisinopril 20 a day": a bare number right after the drug is its strength.
				if i <= c.to+1 && !isTime && plausibleStrength(v) {
					m.dose = v + " " + impliedUnit(e.m.concepts[m.c].term)
					use(next - 1)
				}
				i = next
				continue
			}
		}
		i++
	}
}

func plural(unit, n string) string {
	if n == "1" {
		return unit
	}
	return unit + "s"
}

// impliedUnit is the unit a bare strength after a drug name means: insulin is dosed in
// units, everything else said as a bare number in conversation is milligrams.
func impliedUnit(term string) string {
	if strings.Contains(term, "insulin") {
		return "units"
	}
	return "mg"
}

func plausibleStrength(v string) bool {
	f, err := strconv.ParseFloat(v, 64)
	return err == nil && f > 0 && f <= 2000 && !(f >= 1900 && f <= 2100 && !strings.Contains(v, "."))
}

// cueAt returns the cue span starting at token i.
func (e *Engine) cueAt(ti *turnInfo, i int) (span, bool) {
	lo, hi := 0, len(ti.cues)
	for lo < hi {
		m := (lo + hi) / 2
		if ti.cues[m].from < i {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(ti.cues) && ti.cues[lo].from == i {
		return ti.cues[lo], true
	}
	return span{}, false
}

// number reads a number at token i, in digits ("20", "2.5", "1,000") or words ("twenty",
// "two hundred fifty", "two point five"). article allows "a"/"an"/"couple" as a count ("in a
// week"). It returns the number in digits and the token after it.
func (e *Engine) number(ti *turnInfo, text string, i, limit int, article bool) (string, int, bool) {
	if i >= limit || i >= len(ti.toks) {
		return "", i, false
	}
	t := ti.toks[i]
	if t.num {
		v := text[t.start:t.end]
		next := i + 1
		if t.punctAfter == ',' && next < limit && ti.toks[next].num && ti.toks[next].end-ti.toks[next].start == 3 &&
			ti.toks[next].start == t.end+1 && len(v) <= 3 {
			v += text[ti.toks[next].start:ti.toks[next].end]
			next++
		}
		return trimZeros(v), next, true
	}
	total, cur := 0, 0
	seen := false
	j := i
	for ; j < limit && j-i < 8; j++ {
		w := e.word(ti, j)
		if n, ok := spokenNumbers[w]; ok {
			if (w == "a" || w == "an" || w == "single" || w == "couple") && (!article || seen) {
				break
			}
			if w == "couple" && e.word(ti, j+1) == "of" {
				j++
			}
			cur += n
			seen = true
			continue
		}
		if !seen {
			break
		}
		switch w {
		case "hundred":
			if cur == 0 {
				cur = 1
			}
			cur *= 100
			continue
		case "thousand":
			if cur == 0 {
				cur = 1
			}
			total += cur * 1000
			cur = 0
			continue
		case "and":
			if _, ok := spokenNumbers[e.word(ti, j+1)]; ok && e.word(ti, j+1) != "a" {
				continue
			}
		case "point":
			if d, ok := spokenNumbers[e.word(ti, j+1)]; ok && d < 10 && e.word(ti, j+1) != "a" {
				return strconv.Itoa(total+cur) + "." + strconv.Itoa(d), j + 2, true
			}
		}
		break
	}
	if !seen {
		return "", i, false
	}
	return strconv.Itoa(total + cur), j, true
}
