package note

import (
	"regexp"
	"sort"
	"strings"

	"github.com/medscribe/medscribe/visit"
)

// draft is what a drafter produces before a template arranges it: sentences per block key
// (cc, hpi, meds, allergies, ros, exam, results, ap, assessment, plan).
type draft struct {
	blocks      map[string][]visit.Sentence
	unsupported int
	unplaced    int
}

// Section caps keep a very long visit's note readable; what does not fit is counted as unplaced.
var sectionCaps = map[int]int{clsHPI: 30, clsROS: 14, clsExam: 20, clsResults: 12, clsAP: 30}

// candidates cuts the transcript into candidate sentences and pairs short yes/no answers with the
// doctor's question before them.
func candidates(tr *visit.Transcript) []cand {
	n := len(tr.Turns)
	var out []cand
	cue := "none"
	for i, t := range tr.Turns {
		pos := 0
		if n > 0 {
			pos = i * 5 / n
		}
		sp := t.Speaker
		if sp != visit.Doctor && sp != visit.Patient {
			sp = visit.Other
		}
		spans := splitSentences(t.Text)
		if sp == visit.Patient && i > 0 {
			if qa := yesNo(t.Text); qa != 0 {
				prev := tr.Turns[i-1]
				if prev.Speaker == visit.Doctor {
					ps := splitSentences(prev.Text)
					if len(ps) > 0 {
						q := ps[len(ps)-1]
						if isQuestion(prev.Text, q) && len(contentWords(prev.Text[q.start:q.end])) > 0 {
							a := spans[0]
							c := cand{turn: i, sp: visit.Patient, qa: qa, pos: pos, cue: cue,
								raw: prev.Text[q.start:q.end],
								ev:  []visit.Evidence{tr.NewEvidence(i-1, q.start, q.end), tr.NewEvidence(i, a.start, a.end)}}
							c.words = contentWords(c.raw)
							out = append(out, c)
							continue
						}
					}
				}
			}
		}
		for _, s := range spans {
			raw := t.Text[s.start:s.end]
			c := cand{turn: i, sp: sp, pos: pos, cue: cue, raw: raw, ev: []visit.Evidence{tr.NewEvidence(i, s.start, s.end)}}
			c.words = contentWords(raw)
			if len(c.words) < minContentWords || sp == visit.Doctor && askLike(raw) || pleasantry(raw) {
				continue
			}
			out = append(out, c)
			if sp == visit.Doctor {
				for _, w := range words(raw) {
					if k, ok := cueWords[w]; ok {
						cue = k
					}
				}
			}
		}
	}
	return out
}

// pleasantryPhrases mark the social talk of a visit ("it's nice to see you again"), which no
// section of a note records.
var pleasantryPhrases = []string{"nice to see you", "good to see you", "nice to meet you", "good to meet you",
	"great to see you", "pleasure to meet you", "how are you doing today", "how are you today",
	"have a good day", "have a great day", "have a nice day", "take care", "thanks for coming",
	"thank you for coming"}

// pleasantry reports whether a sentence is social talk.
func pleasantry(raw string) bool {
	s := strings.Join(strings.Fields(strings.ToLower(strings.ReplaceAll(raw, "\u2019", "'"))), " ")
	for _, p := range pleasantryPhrases {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func contentWords(s string) []string {
	var out []string
	for _, w := range canonical(words(s)) {
		if !functionWords[w] && !chatter[w] {
			out = append(out, w)
		}
	}
	return out
}

// minContentWords is the least a transcript sentence must say to become a candidate.
var minContentWords = 3

// chatter words say nothing clinical; a sentence of only these is no candidate.
var chatter = setOf(`okay ok alright yeah yes yep um uh hmm mm mhm right good great sure well oh hi hello bye thanks thank know like
just really mean get got go going gonna kind sort thing things let see okay's`)

var yesWords = setOf(`yes yeah yep yup correct right sure mm-hmm uh-huh definitely absolutely i do i have`)
var noWords = setOf(`no nope nah never none negative`)

// yesNo classifies a short answer turn: 1 yes, 2 no, 0 neither.
func yesNo(text string) int {
	toks := dropFillers(rawTokens(text))
	n := 0
	for _, t := range toks {
		if t != "," {
			n++
		}
	}
	if n == 0 || n > 6 {
		return 0
	}
	// dropFillers removes a leading "yes"/"yeah"; look at the raw first word too.
	raw := rawTokens(text)
	for _, t := range raw {
		if fillers[t] || t == "," || t == "okay" || t == "um" {
			continue
		}
		switch {
		case noWords[t] || t == "not" || t == "don't" || t == "haven't" || t == "didn't":
			return 2
		case yesWords[t]:
			return 1
		}
		return 0
	}
	return 0
}

var questionLead = setOf(`any do does did are is have has were was can could anything had ever`)

func isQuestion(text string, s span) bool {
	if s.end < len(text) && text[s.end-1] == '?' || strings.HasSuffix(strings.TrimSpace(text[s.start:s.end]), "?") {
		return true
	}
	ws := words(text[s.start:s.end])
	for i, w := range ws {
		if i > 3 {
			break
		}
		if questionLead[w] {
			return true
		}
	}
	return false
}

// askLeads open a doctor's question even when the transcript has no question mark.
var askLeads = setOf(`do does did have has can could are were would`)

// askLike reports whether a doctor's sentence is a question to the patient: notes state answers,
// not questions.
func askLike(raw string) bool {
	if strings.HasSuffix(strings.TrimSpace(raw), "?") {
		return true
	}
	toks := dropFillers(rawTokens(raw))
	var ws []string
	for _, t := range toks {
		if t != "," {
			ws = append(ws, t)
		}
		if len(ws) == 4 {
			break
		}
	}
	if len(ws) < 2 || !askLeads[ws[0]] {
		return false
	}
	for _, w := range ws[1:] {
		if w == "you" || w == "me" || w == "your" {
			return true
		}
	}
	return false
}

// questionStrip are leading words of a yes/no question that are not its topic.
var questionStrip = setOf(`any do does did are is have has had were was been having experiencing experienced noticed notice
get gotten getting feel felt ever got you she he the patient there anything other any can could also still so and or
okay um uh`)

// auxThird gives the third-person form of a question's auxiliary: "do you smoke?" "no." becomes
// "He does not smoke."
var auxThird = map[string]string{
	"do": "does", "does": "does", "did": "did", "are": "is", "is": "is", "were": "was", "was": "was",
	"have": "has", "has": "has", "had": "had", "can": "can", "could": "could", "will": "will", "would": "would",
}

// qaSentence renders a question answered yes or no: "Have you noticed any tingling?" "Yes." becomes
// "She has noticed tingling."; "Any fever?" "No." becomes "She denies fever."
func qaSentence(c *cand, pr pronouns) string {
	toks := rewriteTokens(c.raw, visit.Doctor, pr)
	if len(toks) >= 3 && auxThird[toks[0]] != "" && toks[1] == pr.subj {
		rest := toks[2:]
		for len(rest) > 0 && (rest[0] == "any" || rest[0] == "ever" || rest[0] == ",") {
			rest = rest[1:]
		}
		if len(rest) > 0 && len(contentWords(strings.Join(rest, " "))) > 0 {
			out := []string{pr.subj, auxThird[toks[0]]}
			if c.qa == 2 {
				out = append(out, "not")
			}
			return finish(append(out, rest...))
		}
	}
	for len(toks) > 0 && (questionStrip[toks[0]] || toks[0] == pr.subj || toks[0] == ",") {
		toks = toks[1:]
	}
	if len(toks) == 0 {
		return ""
	}
	verb := "reports"
	if c.qa == 2 {
		verb = "denies"
	}
	return finish(append([]string{pr.subj, verb}, toks...))
}

// ageRe finds "58 year old male", "58-year-old woman", "fifty eight year old".
var ageRe = regexp.MustCompile(`(?i)\b(\d{1,3}|(?:[a-z]+[ -]){0,2}[a-z]+)[ -]years?[ -]old(?:[ ,]+(male|female|man|woman|gentleman|lady|boy|girl))?\b`)

type ageMention struct {
	age     int
	sexWord string
	sex     string
	ev      visit.Evidence
}

// findAge finds the patient's age as a note would state it: "a 58-year-old male". A mention
// with a sex word wins; "13 years old" without one ("since she was 13 years old") is not the
// patient's age and is skipped.
func findAge(tr *visit.Transcript) *ageMention {
	var first *ageMention
	for i, t := range tr.Turns {
		if !strings.Contains(t.Text, "old") && !strings.Contains(t.Text, "OLD") && !strings.Contains(t.Text, "Old") {
			continue // the regexp is the slow part of a draft; most turns cannot match
		}
		for _, m := range ageRe.FindAllStringSubmatchIndex(t.Text, -1) {
			num := t.Text[m[2]:m[3]]
			toks := canonical(words(num))
			if len(toks) == 0 {
				continue
			}
			last := toks[len(toks)-1]
			if !isNumber(last) {
				continue
			}
			age := atoi(last)
			if age < 1 || age > 120 {
				continue
			}
			phrase := strings.ToLower(t.Text[m[0]:m[1]])
			descriptor := m[4] >= 0 || !strings.Contains(phrase, "years")
			if !descriptor {
				continue
			}
			// Find where the number starts, so the evidence holds it.
			start := m[2]
			if !isNumber(strings.ToLower(num)) {
				ws := strings.FieldsFunc(num, func(r rune) bool { return r == ' ' || r == '-' })
				k := len(ws) - 1
				for k > 0 {
					if _, ok := numberWords[strings.ToLower(ws[k-1])]; !ok {
						break
					}
					k--
				}
				start = m[2] + strings.Index(num, ws[k])
			}
			a := &ageMention{age: age, ev: tr.NewEvidence(i, start, m[1])}
			if m[4] >= 0 {
				a.sexWord = strings.ToLower(t.Text[m[4]:m[5]])
				switch a.sexWord {
				case "male", "man", "gentleman", "boy":
					a.sex = "male"
				default:
					a.sex = "female"
				}
				return a
			}
			if first == nil {
				first = a
			}
		}
	}
	return first
}

func atoi(s string) int {
	v := 0
	for i := 0; i < len(s) && i < 9; i++ {
		v = v*10 + int(s[i]-'0')
	}
	return v
}

// inferSex counts third-person pronouns in the doctor's dictation; it decides only on a clear
// majority, otherwise the note says "the patient".
func inferSex(tr *visit.Transcript) string {
	she, he := 0, 0
	for _, t := range tr.Turns {
		if t.Speaker != visit.Doctor {
			continue
		}
		for _, w := range words(t.Text) {
			switch w {
			case "she", "her", "herself":
				she++
			case "he", "him", "his", "himself":
				he++
			case "mister", "mr", "sir":
				he += 3
			case "mrs", "ms", "miss", "ma'am", "madam":
				she += 3
			}
		}
	}
	switch {
	case she >= 3 && she >= 3*he:
		return "female"
	case he >= 3 && he >= 3*she:
		return "male"
	}
	return ""
}

// offline drafts the note from the dialogue and the extracted items without a model.
func (d *Drafter) offline(in *Input) *draft {
	tr := &in.Transcript
	dr := &draft{blocks: map[string][]visit.Sentence{}}
	sex := ""
	if in.Patient.Sex != nil {
		sex = strings.ToLower(*in.Patient.Sex)
	}
	age := findAge(tr)
	if sex == "" && age != nil {
		sex = age.sex
	}
	if sex == "" {
		sex = inferSex(tr)
	}
	if sex != "male" && sex != "female" {
		sex = ""
	}
	pr := pronounsFor(sex)
	extra := map[string]bool{}
	if in.Patient.Sex != nil {
		extra[strings.ToLower(*in.Patient.Sex)] = true
	}
	if in.Patient.Age != nil {
		extra[itoa(*in.Patient.Age)] = true
	}

	seen := map[string]bool{}
	add := func(key string, s visit.Sentence) bool {
		if s.Text == "" || seen[s.Text] {
			return false
		}
		if !supported(s.Text, s.Evidence, extra) {
			dr.unsupported++
			return false
		}
		seen[s.Text] = true
		dr.blocks[key] = append(dr.blocks[key], s)
		return true
	}

	problems := presentProblems(in.Problems)
	// Chief complaint: the first problem the visit is about.
	var cc *visit.Problem
	if len(problems) > 0 {
		cc = &problems[0]
		add("cc", itemSentence(cc.Text, cc.Evidence, extra))
	}
	// Opening line of the history (added below, unless the dictation already says it).
	open, hasOpen := opener(age, in.Patient, cc, extra)

	cs := candidates(tr)
	type pick struct {
		c     *cand
		cls   int
		score float64
		text  string
	}
	var picks []pick
	p := make([]float64, len(classes))
	picked := map[string]bool{}
	planEv := planEvidence(in)
	for i := range cs {
		c := &cs[i]
		cls, keep := d.classify(c, p)
		if !keep && c.qa == 0 && holdsAny(c, planEv) {
			// An order or medication change always reaches the plan, in the doctor's words.
			cls, keep, p[clsNone] = clsAP, true, 0
		}
		if !keep {
			continue
		}
		text := ""
		if c.qa != 0 {
			text = qaSentence(c, pr)
		} else {
			text = rewrite(c.raw, c.sp, pr)
		}
		if text == "" || picked[text] {
			continue // repeated sentences add nothing
		}
		picked[text] = true
		picks = append(picks, pick{c, cls, 1 - p[clsNone], text})
	}
	// Apply per-section caps, keeping the most likely sentences.
	byCls := map[int][]int{}
	for i, pk := range picks {
		byCls[pk.cls] = append(byCls[pk.cls], i)
	}
	drop := map[int]bool{}
	for cls, idx := range byCls {
		limit := d.capOf(cls)
		if len(idx) <= limit {
			continue
		}
		sorted := append([]int(nil), idx...)
		sort.SliceStable(sorted, func(a, b int) bool { return picks[sorted[a]].score > picks[sorted[b]].score })
		for _, k := range sorted[limit:] {
			drop[k] = true
			dr.unplaced++
		}
	}
	blockOf := map[int]string{clsHPI: "hpi", clsROS: "ros", clsExam: "exam", clsResults: "results", clsAP: "plan"}
	var apCands []*cand
	var apSents []visit.Sentence
	for i, pk := range picks {
		if drop[i] {
			continue
		}
		s := visit.Sentence{Text: pk.text, Evidence: pk.c.ev}
		if pk.cls == clsAP {
			if add("plan", s) {
				apCands = append(apCands, pk.c)
				apSents = append(apSents, s)
			}
			continue
		}
		add(blockOf[pk.cls], s)
	}
	if hasOpen && !(age != nil && spoken(dr.blocks["hpi"], age.ev)) {
		rest := dr.blocks["hpi"]
		dr.blocks["hpi"] = nil
		if add("hpi", open) {
			dr.blocks["hpi"] = append(dr.blocks["hpi"], rest...)
		} else {
			dr.blocks["hpi"] = rest
		}
	}

	// Medications, allergies and the review of systems from the extracted items.
	for _, m := range in.Medications {
		if m.Status == visit.MedConsidered || m.Status == visit.MedStopped || len(m.Evidence) == 0 {
			continue
		}
		text := m.Text
		if m.Dose != nil {
			text += " " + *m.Dose
		}
		if m.Frequency != nil {
			text += " " + *m.Frequency
		}
		add("meds", itemSentence(text, m.Evidence, extra))
	}
	for _, a := range in.Allergies {
		if len(a.Evidence) == 0 {
			continue
		}
		text := a.Substance
		if a.Reaction != nil {
			text += ", " + *a.Reaction
		}
		add("allergies", itemSentence(text, a.Evidence, extra))
	}
	d.rosFromFindings(in, tr, pr, extra, add)

	// Assessment and plan: each problem on its own line, followed by the plan sentences about it.
	d.assessmentPlan(dr, problems, apCands, apSents, extra)
	dr.unplaced += unplacedItems(in, dr)
	return dr
}

// capOf is the sentence cap of a section class, scaled by the learned factor.
func (d *Drafter) capOf(cls int) int {
	scale := 1.0
	if d.model != nil && d.model.CapScale > 0 {
		scale = d.model.CapScale
	}
	return int(float64(sectionCaps[cls])*scale + 0.5)
}

// classify returns the section class of a candidate and whether it goes into the note.
func (d *Drafter) classify(c *cand, p []float64) (int, bool) {
	if d.model == nil {
		return 0, false
	}
	c.feats = c.features()
	d.model.probs(c.feats, p)
	if 1-p[clsNone] < d.model.Keep {
		return 0, false
	}
	best := clsHPI
	for k := clsHPI; k < len(p); k++ {
		if p[k] > p[best] {
			best = k
		}
	}
	return best, true
}

func presentProblems(ps []visit.Problem) []visit.Problem {
	var out []visit.Problem
	seen := map[string]bool{}
	for _, p := range ps {
		if p.Assertion != visit.Present && p.Assertion != visit.Possible || len(p.Evidence) == 0 {
			continue
		}
		k := strings.ToLower(p.Text)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Evidence[0].Turn < out[j].Evidence[0].Turn })
	return out
}

// itemSentence states an extracted item; when its normalized name is not in the transcript words
// ("hypertension" said as "high blood pressure"), the words of its evidence are used instead.
func itemSentence(text string, ev []visit.Evidence, extra map[string]bool) visit.Sentence {
	s := visit.Sentence{Text: finish(canonicalPhrase(rawTokens(text))), Evidence: ev}
	if supported(s.Text, ev, extra) || len(ev) == 0 {
		return s
	}
	s.Text = rewrite(ev[0].Quote, visit.Patient, pronounsFor(""))
	s.Evidence = ev[:1]
	return s
}

// opener is the note's first history line: "The patient is a 58-year-old male who presents with
// knee pain."
func opener(age *ageMention, pi visit.PatientInfo, cc *visit.Problem, extra map[string]bool) (visit.Sentence, bool) {
	var ev []visit.Evidence
	var b strings.Builder
	switch {
	case age != nil:
		ev = append(ev, age.ev)
		b.WriteString("The patient is a " + itoa(age.age) + "-year-old")
		if age.sexWord != "" {
			b.WriteString(" " + age.sexWord)
		}
	case pi.Age != nil && cc != nil:
		b.WriteString("The patient is a " + itoa(*pi.Age) + "-year-old")
		if pi.Sex != nil && (*pi.Sex == "male" || *pi.Sex == "female") {
			b.WriteString(" " + *pi.Sex)
		}
	default:
		return visit.Sentence{}, false
	}
	if cc != nil {
		t := finish(canonicalPhrase(rawTokens(cc.Text)))
		if supported(t, cc.Evidence, extra) {
			b.WriteString(" who presents with " + strings.ToLower(strings.TrimSuffix(t, ".")))
			ev = append(ev, cc.Evidence...)
		}
	}
	if len(ev) == 0 {
		return visit.Sentence{}, false
	}
	b.WriteString(".")
	return visit.Sentence{Text: b.String(), Evidence: ev}, true
}

// rosFromFindings states the symptoms the patient reported or denied, one line each way.
func (d *Drafter) rosFromFindings(in *Input, tr *visit.Transcript, pr pronouns, extra map[string]bool, add func(string, visit.Sentence) bool) {
	var pos, neg []visit.Finding
	for _, f := range in.Findings {
		if len(f.Evidence) == 0 {
			continue
		}
		t := f.Evidence[0].Turn
		if t < 0 || t >= len(tr.Turns) {
			continue
		}
		// Symptoms come from the patient's side of the dialogue; the doctor's dictated findings
		// belong to the examination, which the sentence classifier places.
		patientSide := tr.Turns[t].Speaker == visit.Patient || t+1 < len(tr.Turns) && tr.Turns[t+1].Speaker == visit.Patient
		if !patientSide {
			continue
		}
		switch f.Assertion {
		case visit.Present:
			pos = append(pos, f)
		case visit.Absent:
			// A denial rests on the words that deny: the symptom's turn, or the answer to it.
			if ev, ok := withNegation(tr, f.Evidence); ok {
				f.Evidence = ev
				neg = append(neg, f)
			}
		}
	}
	emit := func(fs []visit.Finding, verb string) {
		var names []string
		var ev []visit.Evidence
		seen := map[string]bool{}
		for _, f := range fs {
			name := strings.ToLower(f.Text)
			t := finish([]string{name})
			if !supported(t, f.Evidence, extra) {
				continue
			}
			if seen[name] {
				continue
			}
			seen[name] = true
			names = append(names, name)
			ev = append(ev, f.Evidence...)
		}
		if len(names) == 0 {
			return
		}
		add("ros", visit.Sentence{Text: capitalize(verb) + " " + joinList(names) + ".", Evidence: dedupeEvidence(ev)})
	}
	emit(pos, "reports")
	emit(neg, "denies")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func joinList(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	case 2:
		return xs[0] + " and " + xs[1]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + ", and " + xs[len(xs)-1]
}

func dedupeEvidence(ev []visit.Evidence) []visit.Evidence {
	seen := map[visit.Evidence]bool{}
	out := ev[:0:0]
	for _, e := range ev {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}

// assessmentPlan builds the "ap" block (problem lines each followed by the plan sentences that
// mention the problem, problems in the order the plan takes them up) and the SOAP "assessment"
// block (the problem lines).
func (d *Drafter) assessmentPlan(dr *draft, problems []visit.Problem, apCands []*cand, apSents []visit.Sentence, extra map[string]bool) {
	// Each problem's line, in the transcript's words; a line whose words another line already
	// holds ("Diabetes." after "Diabetes type 2.") is the same problem.
	type prob struct {
		line  visit.Sentence
		names []string
		sents []visit.Sentence
		first int
	}
	var ps []*prob
	for _, p := range problems {
		line := itemSentence(p.Text, p.Evidence, extra)
		if line.Text == "" || !supported(line.Text, line.Evidence, extra) {
			dr.unsupported++
			continue
		}
		names := contentWords(line.Text)
		dup := false
		for _, q := range ps {
			if mentions(q.names, names) || mentions(names, q.names) {
				dup = true
				break
			}
		}
		if !dup {
			ps = append(ps, &prob{line: line, names: names, first: -1})
		}
	}
	var general []visit.Sentence
	last, lastTurn := -1, -10
	for i, c := range apCands {
		g, best := -1, 0.0
		for k, p := range ps {
			if f := nameMatch(c.words, p.names); f > best {
				g, best = k, f
			}
		}
		if g < 0 && last >= 0 && c.turn-lastTurn <= 1 {
			g = last
		}
		if g < 0 {
			general = append(general, apSents[i])
			continue
		}
		if ps[g].first < 0 {
			ps[g].first = i
		}
		ps[g].sents = append(ps[g].sents, apSents[i])
		last, lastTurn = g, c.turn
	}
	sort.SliceStable(ps, func(a, b int) bool {
		fa, fb := ps[a].first, ps[b].first
		if fa < 0 || fb < 0 {
			return fa >= 0 && fb < 0
		}
		return fa < fb
	})
	for _, p := range ps {
		dr.blocks["assessment"] = append(dr.blocks["assessment"], p.line)
		dr.blocks["ap"] = append(dr.blocks["ap"], p.line)
		dr.blocks["ap"] = append(dr.blocks["ap"], p.sents...)
	}
	dr.blocks["ap"] = append(dr.blocks["ap"], general...)
}

// genericNames are problem words too common to tie a sentence to a problem on their own.
var genericNames = setOf(`pain type left right chronic acute history problem disease syndrome disorder bilateral mild severe`)

// nameMatch is the share of a problem's name words a sentence holds; 0 unless at least half of
// them and one specific (non-generic, non-numeric) word are there.
func nameMatch(ws, name []string) float64 {
	set := map[string]bool{}
	for _, w := range ws {
		set[w] = true
	}
	hit, specific, n := 0, false, 0
	for _, w := range name {
		if isNumber(w) {
			continue
		}
		n++
		if set[w] {
			hit++
			if !genericNames[w] {
				specific = true
			}
		}
	}
	if n == 0 || !specific || 2*hit < n {
		return 0
	}
	return float64(hit) / float64(n)
}

func mentions(ws, name []string) bool {
	if len(name) == 0 {
		return false
	}
	set := map[string]bool{}
	for _, w := range ws {
		set[w] = true
	}
	for _, n := range name {
		if !set[n] {
			return false
		}
	}
	return true
}

// unplacedItems counts extracted items none of whose evidence turns made it into the note.
func unplacedItems(in *Input, dr *draft) int {
	turns := map[int]bool{}
	for _, ss := range dr.blocks {
		for _, s := range ss {
			for _, e := range s.Evidence {
				turns[e.Turn] = true
			}
		}
	}
	placed := func(ev []visit.Evidence) bool {
		for _, e := range ev {
			if turns[e.Turn] {
				return true
			}
		}
		return false
	}
	n := 0
	for _, p := range in.Problems {
		if !placed(p.Evidence) {
			n++
		}
	}
	for _, m := range in.Medications {
		if !placed(m.Evidence) {
			n++
		}
	}
	for _, o := range in.Orders {
		if !placed(o.Evidence) {
			n++
		}
	}
	for _, a := range in.Allergies {
		if !placed(a.Evidence) {
			n++
		}
	}
	return n
}

// withNegation returns ev extended, when needed, with the answer turn that negates it ("any
// fever?" "no."); ok is false when no negation can be cited.
func withNegation(tr *visit.Transcript, ev []visit.Evidence) ([]visit.Evidence, bool) {
	negates := func(s string) bool {
		for _, w := range words(s) {
			if negations[w] {
				return true
			}
		}
		return false
	}
	for _, e := range ev {
		if negates(e.Quote) {
			return ev, true
		}
	}
	t := ev[0].Turn
	for _, s := range splitSentences(tr.Turns[t].Text) {
		if s.start <= ev[0].Start && ev[0].End <= s.end && negates(tr.Turns[t].Text[s.start:s.end]) {
			return append([]visit.Evidence{tr.NewEvidence(t, s.start, s.end)}, ev[1:]...), true
		}
	}
	if t+1 < len(tr.Turns) && tr.Turns[t+1].Speaker != tr.Turns[t].Speaker {
		for _, s := range splitSentences(tr.Turns[t+1].Text) {
			if negates(tr.Turns[t+1].Text[s.start:s.end]) {
				return append(append([]visit.Evidence(nil), ev...), tr.NewEvidence(t+1, s.start, s.end)), true
			}
			break
		}
	}
	return nil, false
}

// planEvidence is the evidence of what the plan must hold: orders and medication changes.
func planEvidence(in *Input) []visit.Evidence {
	var out []visit.Evidence
	for _, o := range in.Orders {
		out = append(out, o.Evidence...)
	}
	for _, m := range in.Medications {
		if m.Status == visit.MedNew || m.Status == visit.MedChanged || m.Status == visit.MedStopped {
			out = append(out, m.Evidence...)
		}
	}
	return out
}

// sp reports whether a candidate's sentence span holds one of the evidence spans.
func holdsAny(c *cand, ev []visit.Evidence) bool {
	for _, e := range ev {
		for _, ce := range c.ev {
			if ce.Turn == e.Turn && ce.Start <= e.Start && e.End <= ce.End {
				return true
			}
		}
	}
	return false
}

// spoken reports whether one of the sentences already rests on the span e.
func spoken(ss []visit.Sentence, e visit.Evidence) bool {
	for _, s := range ss {
		for _, x := range s.Evidence {
			if x.Turn == e.Turn && x.Start <= e.Start && e.End <= x.End {
				return true
			}
		}
	}
	return false
}
