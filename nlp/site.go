package nlp

import (
	"strings"

	"github.com/medscribe/medscribe/visit"
)

// Body sites. Generic findings and injuries ("tenderness", "fracture", "contusion") only mean
// something with the place they are at, so the engine names them with it: "knee fracture",
// "right index finger contusion", "sternoclavicular joint tenderness". The site comes from the
// words around the mention, else from the exam or image being read out just before, else (for
// injuries) from the part of the body the visit is about. Present problems carry the side the
// visit names; ruled-out injuries and findings are named by site alone, as clinicians list
// pertinent negatives ("no knee fracture").

// bodySites name where a generic finding is; the value is the form used in the item name.
var bodySites = map[string]string{
	"knee": "knee", "ankle": "ankle", "wrist": "wrist", "elbow": "elbow", "shoulder": "shoulder",
	"hip": "hip", "back": "back", "neck": "neck", "chest": "chest", "abdomen": "abdominal",
	"abdominal": "abdominal", "belly": "abdominal", "stomach": "abdominal", "leg": "leg", "arm": "arm",
	"hand": "hand", "foot": "foot", "feet": "foot", "finger": "finger", "toe": "toe", "calf": "calf",
	"thigh": "thigh", "spine": "spine", "lumbar": "lumbar", "joint": "joint", "head": "head",
	"throat": "throat", "eye": "eye", "ear": "ear", "flank": "flank", "pelvis": "pelvic",
	"pelvic": "pelvic", "jaw": "jaw", "rib": "rib", "forearm": "forearm", "heel": "heel",
	"groin": "groin", "buttock": "buttock", "face": "face", "extremity": "extremity",
	"bony": "bony", "muscle": "muscle", "thumb": "thumb", "hamstring": "hamstring",
	"supraclavicular": "supraclavicular", "sternoclavicular": "sternoclavicular joint",
	"acromioclavicular": "acromioclavicular joint", "metacarpophalangeal": "metacarpophalangeal joint",
	"interphalangeal": "interphalangeal joint", "sacroiliac": "sacroiliac joint",
	"temporomandibular": "temporomandibular joint", "humerus": "humerus", "clavicle": "clavicle",
	"tibia": "tibia", "fibula": "fibula", "radius": "radius", "ulna": "ulna", "femur": "femur",
	"scalp": "scalp", "skull": "skull", "nose": "nose", "lip": "lip", "tongue": "tongue",
	// four-letter plurals the word normalizer leaves alone
	"legs": "leg", "arms": "arm", "toes": "toe", "hips": "hip", "ribs": "rib", "eyes": "eye", "ears": "ear",
}

// compoundSites join a qualifier with the site word after it.
var compoundSites = map[string]string{
	"lumbar spine": "lumbar spine", "cervical spine": "cervical spine", "thoracic spine": "thoracic spine",
	"lower back": "lower back", "upper back": "upper back", "low back": "low back",
	"lower abdominal": "lower abdominal", "upper abdominal": "upper abdominal",
	"lower extremity": "lower extremity", "upper extremity": "upper extremity",
	"lower leg": "lower leg", "index finger": "index finger", "middle finger": "middle finger",
	"ring finger": "ring finger", "little finger": "little finger", "pinky finger": "little finger",
	"big toe": "big toe", "great toe": "big toe",
}

// siteQualifiers are the first words of compoundSites.
var siteQualifiers = map[string]bool{"lumbar": true, "cervical": true, "thoracic": true, "lower": true,
	"upper": true, "low": true, "index": true, "middle": true, "ring": true, "little": true,
	"pinky": true, "big": true, "great": true}

// genericSites say where without saying which part: never the visit's main site.
var genericSites = map[string]bool{"joint": true, "muscle": true, "bony": true, "extremity": true,
	"head": true, "face": true, "throat": true, "eye": true, "ear": true, "nose": true, "lip": true,
	"tongue": true}

var siteLinks = map[string]bool{"of": true, "over": true, "in": true, "on": true, "at": true,
	"the": true, "your": true, "my": true, "his": true, "her": true, "right": true, "left": true,
	"to": true, "palpation": true, "around": true, "along": true, "both": true, "that": true,
	"this": true, "those": true, "these": true}

var sitePreps = map[string]bool{"of": true, "over": true, "in": true, "on": true, "at": true,
	"to": true, "around": true, "along": true, "into": true}

// relativeWords may stand between a finding and its site in a relative clause ("the pain that
// you have in your calf").
var relativeWords = map[string]bool{"that": true, "you": true, "i": true, "have": true, "having": true,
	"feel": true, "get": true, "got": true, "are": true, "is": true, "there": true, "right": true,
	"down": true, "here": true, "up": true}

// latPass are words that may stand between a side and its site ("right hand , uh , index
// finger", "the left medial knee").
var latPass = map[string]bool{"the": true, "your": true, "my": true, "his": true, "her": true,
	"that": true, "this": true, "uh": true, "um": true, "medial": true, "lateral": true,
	"anterior": true, "posterior": true, "inner": true, "outer": true, "of": true, "proximal": true,
	"distal": true}

// place is a body site read from the text, with its side when said.
type place struct {
	site string // "knee", "lumbar spine", "sternoclavicular joint"
	lat  string // "right", "left", "bilateral" or ""
	// visitSide says lat is the side the visit gives the site, not one said with the mention.
	visitSide bool
}

// siteAt reads the site at token i of sentence s: the site word, joined with a qualifier
// before it ("lumbar spine"), and the side said before it.
func (e *Engine) siteAt(ti *turnInfo, s sentence, i int) (place, bool) {
	id := ti.toks[i].id
	if id < 0 || int(id) >= len(e.siteBy) || e.siteBy[id] == "" {
		return place{}, false
	}
	v := e.siteBy[id]
	if v == "back" && i+1 < s.to && e.word(ti, i+1) == "of" {
		return place{}, false // "the back of your eye": a position, not the back
	}
	first := i
	if i > s.from {
		if c, ok := compoundSites[e.word(ti, i-1)+" "+v]; ok {
			v, first = c, i-1
		}
	}
	return place{site: v, lat: e.sideBefore(ti, s, first)}, true
}

// sideBefore finds "right", "left" or "bilateral" a few words before token i.
func (e *Engine) sideBefore(ti *turnInfo, s sentence, i int) string {
	for j := i - 1; j >= s.from && j >= i-4; j-- {
		switch w := e.word(ti, j); w {
		case "right", "left":
			return w
		case "both", "bilateral":
			return "bilateral"
		default:
			if !latPass[w] && !siteQualifiers[w] {
				if _, site := bodySites[w]; !site {
					return ""
				}
			}
		}
	}
	return ""
}

// siteOf finds the body sites of a generic finding or injury: just before it ("knee
// tenderness", "right index finger contusion"), shortly after it ("tenderness over the
// sternoclavicular or acromioclavicular joints": both), or the site of the exam being read out
// ("on abdominal exam there is no tenderness").
func (e *Engine) siteOf(ti *turnInfo, s sentence, c span) []place {
	for i := c.from - 1; i >= s.from && i >= c.from-3; i-- {
		if p, ok := e.siteAt(ti, s, i); ok {
			return []place{p}
		}
		w := e.word(ti, i)
		if w == "lower" && i == c.from-1 {
			return []place{{site: "lower extremity"}} // "no lower edema": the legs
		}
		if w != "right" && w != "left" && !siteQualifiers[w] && w != "medial" && w != "lateral" {
			break
		}
	}
	out := e.sitesAfter(ti, s, c)
	if len(out) > 0 {
		return out
	}
	if !examSiteHeads[lastWord(e.m.concepts[c.idx].term)] {
		return nil // "on your neck exam, no lymphadenopathy": the finding names its own place
	}
	for i := c.from - 2; i >= s.from && i >= c.from-12; i-- {
		w := e.word(ti, i+1)
		if w != "exam" && w != "examination" {
			continue
		}
		if p, ok := e.siteAt(ti, s, i); ok {
			return []place{p}
		}
	}
	return nil
}

// sitesAfter reads the sites said shortly after a finding, behind a preposition ("tenderness
// over the sternoclavicular or acromioclavicular joints": both; "the pain that you have in
// your calf").
func (e *Engine) sitesAfter(ti *turnInfo, s sentence, c span) []place {
	var out []place
	prep, rel := false, 0
scan:
	for i := c.to; i < s.to && i < c.to+8; i++ {
		w := e.word(ti, i)
		if prep {
			if p, ok := e.siteAt(ti, s, i); ok {
				out = append(out, p)
				j := i + 1
				if j < s.to && e.word(ti, j) == "joint" {
					j++
				}
				// "... at the sternoclavicular or acromioclavicular joints": both sites
				if j < s.to && (e.word(ti, j) == "or" || e.word(ti, j) == "and") {
					i = j
					continue
				}
				break
			}
		}
		// only a closed set of words may stand between: a termination cue ("but") is not one
		if len(ti.consIn(i, i+1)) > 0 {
			break
		}
		// "some arthritis in that": the site just named ("so your left knee pain i think ...")
		if prep && (w == "that" || w == "it") && (i+1 >= s.to || !siteLinks[e.word(ti, i+1)] && bodySites[e.word(ti, i+1)] == "") {
			for j := c.from - 1; j >= 0 && j >= c.from-15; j-- {
				if p, ok := e.siteAt(ti, ti.sents[ti.toks[j].sent], j); ok && !genericSites[p.site] {
					return []place{p}
				}
			}
			break
		}
		switch {
		case siteLinks[w] || siteQualifiers[w] || latPass[w]:
		case relativeWords[w] && rel < 4:
			rel++
		default:
			break scan
		}
		// "edema , your shoulders ...": a site after the finding needs a preposition
		prep = prep || sitePreps[w]
	}
	if len(out) > 1 {
		// "over your proximal joint or your metacarpophalangeal joint": the specific site
		specific := out[:0:0]
		for _, p := range out {
			if !genericSites[p.site] {
				specific = append(specific, p)
			}
		}
		if len(specific) > 0 {
			out = specific
		}
	}
	return out
}

// recentSite is the last specific site named before token tok of turn: earlier in the same
// turn (within window tokens), else in the doctor's previous turns (at most back turns back).
// It is the part of the body an exam or an image is being read out for ("x-ray of your lumbar
// spine ... there's no fracture"; "let me examine your abdomen" ... "any tenderness?").
func (e *Engine) recentSite(d *dialogue, turn, tok, window, back int) (place, bool) {
	ti := d.turns[turn]
	for i := tok - 1; i >= 0 && i >= tok-window; i-- {
		if ti.covered(i) {
			continue // "chest pains , shortness of breath , any swelling": chest is chest pain's
		}
		if p, ok := e.siteAt(ti, ti.sents[ti.toks[i].sent], i); ok && !genericSites[p.site] {
			return p, true
		}
	}
	for t := turn - 1; t >= 0 && t >= turn-back; t-- {
		if d.speakers[t] != visit.Doctor {
			continue
		}
		pt := d.turns[t]
		for i := len(pt.toks) - 1; i >= 0; i-- {
			if p, ok := e.siteAt(pt, pt.sents[pt.toks[i].sent], i); ok && !genericSites[p.site] {
				return p, true
			}
		}
	}
	return place{}, false
}

// visitSites counts, over the whole dialogue, how often each specific site is named and on
// which side: the visit's main site and each site's side when a mention does not say.
type visitSites struct {
	count map[string]int
	side  map[string][3]int // right, left, bilateral
	main  string
}

func (e *Engine) siteCounts(d *dialogue) *visitSites {
	v := &visitSites{count: map[string]int{}, side: map[string][3]int{}}
	best := 0
	for _, ti := range d.turns {
		for i := range ti.toks {
			p, ok := e.siteAt(ti, ti.sents[ti.toks[i].sent], i)
			if !ok || genericSites[p.site] {
				continue
			}
			base := siteBase(p.site)
			v.count[base]++
			sd := v.side[base]
			switch p.lat {
			case "right":
				sd[0]++
			case "left":
				sd[1]++
			case "bilateral":
				sd[2]++
			}
			v.side[base] = sd
			if v.count[base] > best {
				best, v.main = v.count[base], base
			}
		}
	}
	return v
}

// sideOf is the side the visit gives a site: the only side named for it, or one named at least
// twice as often as the other.
func (v *visitSites) sideOf(site string) string {
	sd := v.side[siteBase(site)]
	r, l, b := sd[0], sd[1], sd[2]
	switch {
	case b > 0 && r == 0 && l == 0:
		return "bilateral"
	case r > 0 && r >= 2*l && b == 0:
		return "right"
	case l > 0 && l >= 2*r && b == 0:
		return "left"
	}
	return ""
}

// siteBase is the site word a compound site is counted under ("index finger" → finger).
func siteBase(site string) string {
	if i := strings.LastIndexByte(site, ' '); i >= 0 && !strings.HasSuffix(site, " joint") {
		return site[i+1:]
	}
	return site
}

// siteOfTerm returns the body site a vocabulary term names ("right knee pain" → knee,
// "medial epicondylitis of elbow" → elbow), or "".
func siteOfTerm(term string) string {
	for _, w := range strings.Fields(term) {
		if v, ok := bodySites[w]; ok && !genericSites[v] {
			return v
		}
	}
	return ""
}

// injuryHeads are the last words of problems that name an injury of some body part: with
// no site said, the visit's main site is theirs ("any fractures?" in a knee visit).
var injuryHeads = map[string]bool{"fracture": true, "dislocation": true, "contusion": true,
	"sprain": true, "strain": true, "laceration": true, "abrasion": true, "trauma": true}

// sitedHeads are the last words of problems that take a site said next to them ("some
// early arthritis in your knee", "a tick bite around my knee").
var sitedHeads = map[string]bool{"arthritis": true, "osteoarthritis": true, "bursitis": true,
	"tendinitis": true, "tendonitis": true, "tendinopathy": true, "bite": true, "pain": true,
	"swelling": true, "edema": true, "redness": true, "cramping": true, "stiffness": true}

// composable are multi-word problems that still need a site ("tick bite" → "tick bite of
// the right knee"); other multi-word terms name their structure ("medial meniscus sprain").
var composable = map[string]bool{"tick bite": true, "insect bite": true, "dog bite": true,
	"bug bite": true, "bee sting": true, "spider bite": true}

// sitedFindings are the findings that are at a body site: the site said beside them names
// them ("knee effusion"). Others are not: "cva tinnitus on your flank" is no flank finding, and
// numbness or weakness "in your arms or in your hands" is described by its distribution.
var sitedFindings = map[string]bool{"tenderness": true, "swelling": true, "edema": true, "pain": true,
	"effusion": true, "ecchymosis": true, "erythema": true, "redness": true, "warmth": true,
	"crepitus": true, "stiffness": true, "cramping": true, "deformity": true, "rash": true, "bruising": true,
	"injury": true, "trauma": true, "lymphadenopathy": true, "adenopathy": true, "mass": true,
	"lesion": true, "ulcer": true, "ulceration": true, "wound": true, "burning": true, "itching": true,
	"pruritus": true, "spasm": true, "instability": true, "atrophy": true, "abrasion": true,
	"laceration": true, "blister": true, "blistering": true, "discoloration": true, "hematoma": true,
	"drainage": true, "induration": true}

// examSiteHeads are exam signs named from the exam being read out when no site is said
// beside them ("let me examine your abdomen" ... "any tenderness where i'm pressing?").
var examSiteHeads = map[string]bool{"tenderness": true, "effusion": true, "edema": true, "swelling": true,
	"pain": true}

// readOutHeads are the exam signs that take the site of the exam being read out even from the
// doctor's previous turns: they are only ever examined at a site. Swelling and pain are also
// talked about in plans ("this will help the pain and swelling"), so they do not.
var readOutHeads = map[string]bool{"tenderness": true, "effusion": true}

// lastWord returns the last word of a term.
func lastWord(term string) string {
	if i := strings.LastIndexByte(term, ' '); i >= 0 {
		return term[i+1:]
	}
	return term
}

// surfaceHeads name a sited finding by the word said rather than its vocabulary term, as a
// clinician writes it: "knee swelling" (not "knee edema"), "knee injury" (not "knee trauma").
var surfaceHeads = map[string]string{"swelling": "swelling", "swollen": "swelling", "injury": "injury",
	"injure": "injury", "injured": "injury", "bruising": "bruising", "bruise": "bruising"}

// sitedName names a term at a place, preferring the vocabulary's own entry for the composed
// name (which has the specific code: "medial epicondylitis of right elbow" M77.01) and
// otherwise composing "<side> <site> <term>". idx is the vocabulary entry used, or -1; keep
// says the term's own code still fits (only a side was added to a term naming its site); a
// newly sited term's generic code does not fit the sited condition. withSide is false for
// ruled-out items and findings, which are named by site alone.
func (e *Engine) sitedName(con concept, p place, withSide bool) (name string, idx int32, keep bool) {
	lat := ""
	if withSide {
		lat = p.lat
	}
	if base := con.site; base != "" {
		// the term names its site: only the side is added
		if lat == "" {
			return con.term, -1, true
		}
		ofForm := strings.Replace(con.term, " of "+base, " of "+lat+" "+base, 1)
		for _, c := range []string{lat + " " + con.term, ofForm,
			strings.Replace(con.term, base+" ", lat+" "+base+" ", 1)} {
			if c == con.term {
				continue // the side could not be placed in this form
			}
			if j, ok := e.byTerm[c]; ok && e.m.concepts[j].kind == con.kind {
				return e.m.concepts[j].term, j, false
			}
		}
		if p.visitSide {
			// a side said elsewhere in the visit only selects a coded lateral entry; it is not
			// written into a term that names its own site ("diabetic foot ulcer")
			return con.term, -1, true
		}
		if ofForm != con.term {
			return ofForm, -1, true // "tick bite of right knee"
		}
		return lat + " " + con.term, -1, true
	}
	if p.site == "" {
		return con.term, -1, true
	}
	term := con.term
	var cands []string
	if lat != "" {
		cands = append(cands, term+" of "+lat+" "+p.site, lat+" "+p.site+" "+term)
	}
	cands = append(cands, term+" of "+p.site, p.site+" "+term)
	for k, c := range cands {
		j, ok := e.byTerm[c]
		if !ok || (e.m.concepts[j].kind != ckProblem && e.m.concepts[j].kind != ckFinding) {
			continue
		}
		if lat != "" && k >= 2 {
			// the vocabulary has the sited term but not its side: add the side to it
			q := p
			q.visitSide = false
			return e.sitedName(e.m.concepts[j], q, withSide)
		}
		return e.m.concepts[j].term, j, false
	}
	name = p.site + " " + strings.TrimPrefix(term, "joint ")
	if lat != "" {
		name = lat + " " + name
	}
	return name, -1, false
}

// placeMention sets the site of a problem or finding mention that needs one, and returns any
// further sites the same words name ("no tenderness at the sternoclavicular or
// acromioclavicular joints": two findings).
func (e *Engine) placeMention(d *dialogue, turn int, ti *turnInfo, s sentence, c span, con concept, m *mention) []place {
	head := lastWord(con.term)
	oneWord := c.to-c.from == 1
	if oneWord {
		w := e.word(ti, c.from)
		if h, ok := surfaceHeads[w]; ok {
			m.head = h
		} else if strings.Contains(con.term, " ") && con.site != "" && w == lastWord(con.term) {
			// "cramping" read as the vocabulary's "abdominal cramping": the site is yet to be read
			m.head = w
		}
		if m.head != "" {
			head = m.head
		}
	}
	if con.site != "" && m.head == "" {
		m.lat = e.sideBefore(ti, s, c.from)
		return nil
	}
	// a generic word said on its own; a phrase ("retaining a little bit of fluid") or a named
	// structure ("medial meniscus sprain") carries its own meaning
	short := oneWord || con.kind == ckFinding && con.term == "tenderness" && c.to-c.from <= 4 // "pain to palpation"
	bare := short && (!strings.Contains(con.term, " ") || m.head != "") ||
		oneWord && strings.HasPrefix(con.term, "joint ") || composable[con.term]
	generic := bare && (con.kind == ckFinding && sitedFindings[head] || con.kind == ckProblem && (injuryHeads[head] || sitedHeads[head]))
	if !generic {
		return nil
	}
	m.injury = con.kind == ckProblem && injuryHeads[head]
	places := e.siteOf(ti, s, c)
	if len(places) == 0 && d.speakers[turn] == visit.Doctor {
		// the exam being read out (this turn or the doctor's last ones); the image being read
		// out (this turn only)
		switch {
		case readOutHeads[head] && con.kind == ckFinding:
			if p, ok := e.recentSite(d, turn, c.from, 40, 3); ok {
				places = []place{p}
			}
		case examSiteHeads[head] && con.kind == ckFinding:
			// "on your lower extremities i appreciate no edema": the same sentence only
			if p, ok := e.recentSite(d, turn, c.from, c.from-s.from, 0); ok {
				places = []place{p}
			}
		case injuryHeads[head] && con.kind == ckProblem:
			if p, ok := e.recentSite(d, turn, c.from, 40, 0); ok {
				places = []place{p}
			}
		}
	}
	if len(places) == 0 {
		return nil
	}
	m.site, m.lat = places[0].site, places[0].lat
	return places[1:]
}

// lazySites counts the visit's sites the first time a mention needs them.
type lazySites struct {
	e *Engine
	d *dialogue
	v *visitSites
}

func (l *lazySites) get() *visitSites {
	if l.v == nil {
		l.v = l.e.siteCounts(l.d)
	}
	return l.v
}

// placedName is the item name and code of a problem or finding mention, named with its site.
// A problem takes the visit's side for its site when the mention does not say one (withSide),
// and an injury with no site said takes the visit's main site.
func (e *Engine) placedName(m mention, con concept, problem, withSide bool, sites *lazySites) (string, *visit.Code) {
	if m.site == "" && (!problem || !m.injury && con.site == "" && con.term != "edema") {
		if m.head != "" && !problem {
			return m.head, e.code(m.c) // "no swelling", "did you injure yourself?": as said
		}
		return con.term, e.code(m.c) // nothing to place: the common case, kept cheap
	}
	term := con
	if m.head != "" && m.site != "" {
		term.term = m.head // "calf cramping", "knee swelling"
	}
	if problem && term.term == "edema" {
		term.term = "swelling" // a problem list says "knee swelling"; the exam says "edema"
	}
	term.site = siteOfTerm(term.term)
	p := place{site: m.site, lat: m.lat}
	if problem {
		if p.site == "" && m.injury {
			p.site = sites.get().main
		}
		site := p.site
		if site == "" {
			site = con.site
		}
		if withSide && p.lat == "" && site != "" {
			p.lat, p.visitSide = sites.get().sideOf(site), true
		}
	}
	name, idx, keep := e.sitedName(term, p, withSide)
	switch {
	case idx >= 0:
		return name, e.code(idx)
	case keep:
		return name, e.code(m.c)
	}
	return name, nil
}
