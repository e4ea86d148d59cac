package nlp

import (
	"strings"

	"github.com/medscribe/medscribe/visit"
)

// orders finds what is ordered or planned in turn ti: tests, imaging, procedures, referrals,
// plan items, follow-up visits. An order needs an ordering cue shortly before it, and must
// not sit in a question, after a condition ("MRI if not better": the "if" comes first in
// speech too: "if it's not better we'll get an MRI"), or next to a report of past results.
// Any speaker counts: diarized transcripts mislabel speakers, and patients rarely order.
func (e *Engine) orders(d *dialogue, turn int, t visit.Turn, ti *turnInfo) {
	for _, s := range ti.sents {
		if s.question && t.Speaker == visit.Doctor {
			continue
		}
		for _, q := range ti.cuesIn(s) {
			if e.mask(q)&cueFollowup != 0 {
				e.followup(d, turn, t.Text, ti, s, q)
			}
		}
		prevOrderEnd := -1
		for _, c := range ti.consIn(s.from, s.to) {
			con := e.m.concepts[c.idx]
			var kind visit.OrderKind
			switch con.kind {
			case ckLab:
				kind = visit.OrderLab
			case ckImaging:
				kind = visit.OrderImaging
			case ckProcedure:
				if strings.Contains(con.term, "follow") {
					continue // return visits are read with their interval by followup
				}
				kind = visit.OrderProcedure
				if planLike(con.term) {
					kind = visit.OrderOther
				}
			case ckReferral:
				kind = visit.OrderReferral
			case ckOther:
				kind = visit.OrderOther
			default:
				continue
			}
			if !e.orderedAt(ti, s, c) || e.yesNoAsked(ti, s, c) {
				continue
			}
			if kind == visit.OrderLab && prevOrderEnd >= 0 && e.purposeOf(ti, prevOrderEnd, c.from) {
				continue
			}
			if a, hypo := e.assert(ti, s, c); a == visit.Absent || a == visit.Family || hypo {
				continue
			}
			it := orderItem{kind: kind, text: con.term, c: c.idx, turn: turn,
				start: int(ti.toks[c.from].start), end: int(ti.toks[c.to-1].end)}
			if kind == visit.OrderImaging && !strings.Contains(con.term, " ") {
				e.imagingSite(ti, t.Text, s, c, &it)
			}
			d.orders = append(d.orders, it)
			prevOrderEnd = c.to
		}
	}
}

// imagingSite names a generic imaging order with its body site ("x-ray of the right knee" →
// knee x-ray), using the vocabulary's entry for the composed name when there is one.
func (e *Engine) imagingSite(ti *turnInfo, text string, s sentence, c span, it *orderItem) {
	site, at := "", -1
	for i := c.to; i < s.to && i < c.to+5; i++ {
		w := e.word(ti, i)
		if _, ok := bodySites[w]; ok {
			site, at = w, i
			break
		}
		if !siteLinks[w] || w == "to" || w == "palpation" {
			break
		}
	}
	if site == "" {
		for i := c.from - 1; i >= s.from && i >= c.from-2; i-- {
			w := e.word(ti, i)
			if _, ok := bodySites[w]; ok {
				site, at = w, i
				break
			}
			if w != "right" && w != "left" {
				break
			}
		}
	}
	if site == "" {
		return
	}
	for _, name := range []string{site + " " + it.text, bodySites[site] + " " + it.text} {
		if idx, ok := e.byTerm[name]; ok && e.m.concepts[idx].kind == ckImaging {
			it.text, it.c = name, idx
			break
		}
	}
	if !strings.Contains(it.text, " ") {
		it.text = bodySites[site] + " " + it.text
	}
	if end := int(ti.toks[at].end); end > it.end {
		it.end = end
	}
	if st := int(ti.toks[at].start); st < it.start {
		it.start = st
	}
}

// planWords mark a vocabulary "procedure" that the contract files as an "other" order:
// devices, therapies, diets and home monitoring.
var planWords = []string{"brace", "crutch", "splint", "sling", "boot", "cast", "walker", "cane",
	"physical therapy", "occupational therapy", "diet", "monitoring", "weights", "exercise",
	"stockings", "cpap", "strainer", "ice", "heat", "wheelchair", "orthotic", "insole"}

func planLike(term string) bool {
	for _, w := range planWords {
		if strings.Contains(term, w) {
			return true
		}
	}
	return false
}

// Order cue scopes, in tokens.
const (
	orderScope = 12
	pastScope  = 5
)

func (e *Engine) orderedAt(ti *turnInfo, s sentence, c span) bool {
	ordered := false
	for _, q := range ti.cuesNear(s, c.from-orderScope-maxPattern, c.to+pastScope) {
		mk := e.mask(q)
		if q.to <= c.from && c.from-q.to <= orderScope && mk&(cueOrder|cueMedNewRx) != 0 {
			ordered = true
		}
		// "we could do an egd": an option floated is not an order
		if q.to <= c.from && c.from-q.to <= orderScope && mk&(cueMedConsidered|cueFloated) != 0 {
			return false
		}
		if mk&cueOrderPast != 0 && q.from >= c.from-pastScope && q.from <= c.to+pastScope && !e.nextClause(ti, c.to, q.from) {
			return false
		}
	}
	return ordered
}

// yesNoAsked reports whether a yes/no question leads up to the item ("have you been checking
// your blood pressure at home"): asked about, not ordered, even without a question mark.
func (e *Engine) yesNoAsked(ti *turnInfo, s sentence, c span) bool {
	for _, q := range ti.cuesNear(s, c.from-askScope-maxPattern, c.from) {
		if q.to > c.from || c.from-q.to > askScope || e.mask(q)&cueQuestion == 0 || ti.blocked(q.to, c.from) {
			continue
		}
		switch e.word(ti, q.from) {
		case "have", "did", "do", "are", "were", "has", "does", "is", "was":
			return e.word(ti, q.from+1) == "you"
		}
	}
	return false
}

// nextClause reports whether tokens [from, to) start a new clause: "order an a1c and
// continue the metformin": the "continue" is not about the a1c.
func (e *Engine) nextClause(ti *turnInfo, from, to int) bool {
	if ti.blocked(from, to) {
		return true
	}
	for i := from; i < to; i++ {
		if w := e.word(ti, i); w == "and" || w == "then" || w == "also" {
			return true
		}
	}
	return false
}

// purposeOf reports whether a lab named after another order in the same sentence is that
// order's purpose ("a metabolic panel to check your kidney function and potassium").
func (e *Engine) purposeOf(ti *turnInfo, prevEnd, at int) bool {
	purpose := -1
	for i := max(prevEnd, at-8); i < at-1; i++ {
		if e.word(ti, i) != "to" {
			continue
		}
		switch e.word(ti, i+1) {
		case "check", "see", "make", "monitor", "look", "evaluate", "assess", "ensure", "follow", "keep", "watch":
			purpose = i
		}
	}
	if purpose < 0 {
		return false
	}
	// "... to see if we need to adjust it , and i'm also going to order a lipid panel"
	for _, q := range ti.cues {
		if q.from > purpose+1 && q.to <= at && e.mask(q)&cueOrder != 0 {
			return false
		}
	}
	return true
}

// followup reads "follow up in 3 months", "see you back in a couple of weeks".
func (e *Engine) followup(d *dialogue, turn int, text string, ti *turnInfo, s sentence, q span) {
	// "come back in a month", and "in a month you come back"
	for i := max(s.from, q.from-7); i < s.to && i <= q.to+6; i++ {
		if e.word(ti, i) != "in" || (i < q.from && i+7 < q.from) {
			continue
		}
		at := i + 1
		for at < s.to && intervalFiller[e.word(ti, at)] {
			at++
		}
		v, next, ok := e.number(ti, text, at, s.to, true)
		if !ok {
			continue
		}
		v2 := ""
		if w := e.word(ti, next); w == "to" || w == "or" {
			if x, n2, ok := e.number(ti, text, next+1, s.to, false); ok {
				v2, next = x, n2
			}
		}
		u, ok := timeUnits[e.word(ti, next)]
		if !ok || u == "hour" || (u == "year" && v != "1") {
			continue
		}
		name := "follow up in " + v
		last := v
		if v2 != "" {
			name += " to " + v2
			last = v2
		}
		name += " " + plural(u, last)
		d.orders = append(d.orders, orderItem{kind: visit.OrderFollowup, text: name, c: -1, turn: turn,
			start: int(ti.toks[min(i, q.from)].start), end: int(ti.toks[max(next, q.to-1)].end)})
		return
	}
}

var intervalFiller = map[string]bool{"about": true, "approximately": true, "roughly": true,
	"around": true, "like": true, "maybe": true, "another": true, "the": true, "next": true, "just": true}

// allergyStop ends an uncoded allergy substance, or shows there is none.
var allergyStop = map[string]bool{"any": true, "anything": true, "the": true, "a": true, "an": true,
	"some": true, "that": true, "it": true, "medication": true, "medicine": true, "drug": true,
	"and": true, "or": true, "but": true, "which": true, "so": true, "because": true, "when": true,
	"nothing": true, "them": true, "this": true, "those": true, "what": true, "if": true, "i": true,
	"you": true, "me": true, "my": true, "your": true, "ok": true, "um": true, "uh": true}

// allergies finds stated allergies and their absence. It reports whether the turn asks
// about allergies, so the patient's "no" can answer it.
func (e *Engine) allergies(d *dialogue, turn int, t visit.Turn, ti *turnInfo) (asked bool) {
	for _, s := range ti.sents {
		for _, q := range ti.cuesIn(s) {
			mk := e.mask(q)
			if mk&cueNKDA != 0 {
				d.allergy = append(d.allergy, allergyItem{substance: "none known", c: -1, turn: turn,
					start: int(ti.toks[q.from].start), end: int(ti.toks[q.to-1].end)})
				continue
			}
			if mk&cueAllergy == 0 {
				continue
			}
			if s.question {
				asked = true
				continue
			}
			if a, _ := e.assert(ti, s, span{from: q.from, to: q.to}); a == visit.Absent || a == visit.Family {
				continue
			}
			// the substance: a drug right after "allergic to", or a drug right before "allergy"
			var sub *span
			cons := ti.consIn(max(s.from, q.from-2), min(s.to, q.to+4))
			for i := range cons {
				c := &cons[i]
				if e.m.concepts[c.idx].kind != ckDrug {
					continue
				}
				if (c.from >= q.to && c.from-q.to <= 3) || (c.to <= q.from && q.from-c.to <= 1) {
					sub = c
					break
				}
			}
			if sub == nil {
				// "allergic to penicillin": a substance the vocabulary has no drug entry for
				// (a class, a food) is kept as said, uncoded
				if e.word(ti, q.to-1) != "to" {
					continue
				}
				to := q.to
				for to < s.to && to < q.to+3 && !allergyStop[e.word(ti, to)] && !ti.blocked(to, to+1) {
					to++
					if ti.toks[to-1].punctAfter != 0 {
						break
					}
				}
				if to == q.to {
					continue
				}
				sub = &span{from: q.to, to: to, idx: -1}
			}
			name := ""
			if sub.idx >= 0 {
				name = e.m.concepts[sub.idx].term
			} else {
				name = strings.ToLower(t.Text[ti.toks[sub.from].start:ti.toks[sub.to-1].end])
			}
			it := allergyItem{substance: name, c: sub.idx, turn: turn,
				start: int(ti.toks[min(sub.from, q.from)].start), end: int(ti.toks[max(sub.to, q.to)-1].end)}
			if sub.idx >= 0 {
				d.markAllergen(turn, sub.from)
			}
			e.reaction(d, turn, t, ti, s, sub.to, &it)
			d.allergy = append(d.allergy, it)
		}
	}
	return asked
}

// reaction reads the reaction named after an allergy's substance ("penicillin gives me
// hives"), as the patient said it. The reaction's mention is the allergy's, not a problem.
func (e *Engine) reaction(d *dialogue, turn int, t visit.Turn, ti *turnInfo, s sentence, from int, it *allergyItem) {
	for _, c := range ti.consIn(from, min(s.to, from+attrScope)) {
		if e.m.concepts[c.idx].kind != ckFinding && e.m.concepts[c.idx].kind != ckProblem {
			continue
		}
		st, en := int(ti.toks[c.from].start), int(ti.toks[c.to-1].end)
		it.reaction = strings.ToLower(t.Text[st:en])
		if en > it.end {
			it.end = en
		}
		d.markAllergen(turn, c.from)
		return
	}
}

// markAllergen marks the mention at token tok of turn as part of an allergy.
func (d *dialogue) markAllergen(turn, tok int) {
	for i := len(d.mentions) - 1; i >= 0 && d.mentions[i].turn >= turn; i-- {
		if d.mentions[i].turn == turn && d.mentions[i].tokFrom == tok {
			d.mentions[i].allergen = true
		}
	}
}

// allergyAnswer reads the patient's answer to an allergy question: "yes , penicillin gives
// me hives" names the substance (a drug the vocabulary knows) and its reaction.
func (e *Engine) allergyAnswer(d *dialogue, turn int, t visit.Turn, ti *turnInfo) {
	for si, s := range ti.sents {
		if si >= 2 {
			break
		}
		for _, c := range ti.consIn(s.from, s.to) {
			if e.m.concepts[c.idx].kind != ckDrug {
				continue
			}
			if a, hypo := e.assert(ti, s, c); a == visit.Absent || a == visit.Family || hypo {
				continue
			}
			it := allergyItem{substance: e.m.concepts[c.idx].term, c: c.idx, turn: turn,
				start: int(ti.toks[c.from].start), end: int(ti.toks[c.to-1].end)}
			d.markAllergen(turn, c.from)
			e.reaction(d, turn, t, ti, s, c.to, &it)
			d.allergy = append(d.allergy, it)
		}
	}
}

func (e *Engine) ev(tr visit.Transcript, turn, start, end int) (visit.Evidence, bool) {
	if turn < 0 || turn >= len(tr.Turns) {
		return visit.Evidence{}, false
	}
	text := tr.Turns[turn].Text
	if start < 0 || end > len(text) || start >= end {
		return visit.Evidence{}, false
	}
	return visit.Evidence{Turn: turn, Start: start, End: end, Quote: text[start:end]}, true
}

func (e *Engine) code(c int32) *visit.Code {
	if c < 0 {
		return nil
	}
	en := e.m.concepts[c].entry
	if en == nil || en.Code == nil {
		return nil
	}
	cp := *en.Code
	return &cp
}

func assertionRank(a visit.Assertion) int {
	switch a {
	case visit.Family: // family mentions are kept apart, so this never competes
		return 5
	case visit.Present:
		return 4
	case visit.Possible:
		return 3
	case visit.History:
		return 2
	case visit.Absent:
		return 1
	}
	return 0
}

// collect merges mentions into one item per concept (family mentions kept apart), with the
// evidence of every mention.
func (e *Engine) collect(d *dialogue, tr visit.Transcript) *Result {
	res := &Result{
		Problems: []visit.Problem{}, Medications: []visit.Medication{}, Orders: []visit.Order{},
		Allergies: []visit.Allergy{}, Findings: []visit.Finding{},
	}
	type key struct {
		c    int32
		fam  bool
		site string
	}
	type pkey struct {
		name string
		fam  bool
	}
	probIdx := map[pkey]int{}
	sites := &lazySites{e: e, d: d}
	var genericInjury []bool   // by problem index: named from a bare injury word ("fracture")
	ruledOut := map[int]bool{} // problems the doctor states absent, outside a question
	denied := map[int]bool{}   // problems the patient denies
	findIdx := map[key]int{}
	medIdx := map[int32]int{}
	medBest := map[int32]int{}
	patientHad := map[int32]bool{}
	// A symptom becomes a problem when the doctor assesses it: named right after an
	// assessment cue ("for your knee pain", "you have some swelling") outside a question.
	assessed := map[int32]bool{}
	for _, m := range d.mentions {
		con := e.m.concepts[m.c]
		if con.kind != ckFinding || m.hypo || m.pending || m.question || m.speaker != visit.Doctor {
			continue
		}
		if m.assertion != visit.Present && m.assertion != visit.Possible {
			continue
		}
		if e.assessedAt(d.turns[m.turn], m.tokFrom) || (m.assertion == visit.Present && conditionFindings[con.term]) {
			assessed[m.c] = true
		}
	}
	// The presenting complaints: what the patient reports early and is talked about again.
	// A doctor's question answered "yes" is the same report as the answer, not a second one.
	// The patient's first complaint, said in the opening turns, is the chief complaint.
	early := map[int32]bool{}
	count := map[int32]int{}
	first := int32(-1)
	for _, m := range d.mentions {
		if e.m.concepts[m.c].kind != ckFinding || m.hypo || m.pending || m.assertion != visit.Present || m.allergen {
			continue
		}
		if !m.question {
			count[m.c]++
		}
		if m.voice && m.turn*3 < len(tr.Turns) {
			early[m.c] = true
		}
		if first < 0 && m.speaker == visit.Patient && !m.question && m.turn <= 3 {
			first = m.c
		}
	}
	for c := range early {
		if count[c] >= 2 {
			assessed[c] = true
		}
	}
	if first >= 0 {
		assessed[first] = true
	}
	for c := range assessed {
		if examSigns[e.m.concepts[c].term] {
			delete(assessed, c) // "you have some tenderness": a sign of the problem, not one
		}
	}
	// A symptom's assertion is the patient's word when they gave one ("i haven't had any
	// nausea" over the doctor's "you've tolerated the nausea"); otherwise the doctor's.
	patientSaid := map[key]bool{}
	for _, m := range d.mentions {
		if m.voice && m.speaker != visit.Doctor && !m.hypo && !m.pending && e.m.concepts[m.c].kind == ckFinding {
			patientSaid[key{m.c, m.assertion == visit.Family, m.site}] = true
		}
	}
	for _, m := range d.mentions {
		con := e.m.concepts[m.c]
		ev, ok := e.ev(tr, m.turn, m.start, m.end)
		if !ok {
			continue
		}
		switch con.kind {
		case ckDrug:
			if m.status == "" || m.allergen {
				continue
			}
			i, seen := medIdx[m.c]
			if !seen {
				i = len(res.Medications)
				medIdx[m.c] = i
				res.Medications = append(res.Medications, visit.Medication{Text: con.term, Code: e.code(m.c), Status: m.status})
				medBest[m.c] = -1
			}
			med := &res.Medications[i]
			med.Evidence = append(med.Evidence, ev)
			if m.speaker == visit.Patient && (m.status == visit.MedActive || m.status == visit.MedHistorical) {
				patientHad[m.c] = true
			}
			// a drug the patient already takes or took, now prescribed: a change, not a start
			if m.status == visit.MedNew && patientHad[m.c] {
				m.status = visit.MedChanged
				m.rx = m.rx || m.dose != "" // now prescribed at a set dose
			}
			r := statusRank(m.status)
			// the doctor's latest decision stands: "increase it", later "then stop it"
			if m.speaker == visit.Doctor && (m.status == visit.MedStopped || m.status == visit.MedChanged) &&
				(med.Status == visit.MedStopped || med.Status == visit.MedChanged) && m.status != med.Status {
				medBest[m.c] = r
				med.Status = m.status
			}
			if r > medBest[m.c] {
				medBest[m.c] = r
				med.Status = m.status
			}
			// the latest stated attributes win: a changed dose is said after the old one
			if m.dose != "" && (med.Dose == nil || r >= statusRank(med.Status)) {
				med.Dose = ptr(m.dose)
			}
			if m.freq != "" && (med.Frequency == nil || r >= statusRank(med.Status)) {
				med.Frequency = ptr(m.freq)
			}
			if m.route != "" && med.Route == nil {
				med.Route = ptr(m.route)
			}
			if m.dur != "" && med.Duration == nil {
				med.Duration = ptr(m.dur)
			}
			if m.rx && m.speaker == visit.Doctor {
				d.orders = append(d.orders, orderItem{kind: visit.OrderMedication, text: con.term, c: m.c,
					turn: m.turn, start: m.start, end: m.end})
			}
		case ckProblem, ckFinding:
			if m.hypo || m.pending || m.allergen {
				continue
			}
			fam := m.assertion == visit.Family
			k := key{m.c, fam, m.site}
			// "knee tenderness" is its own finding, named by site alone
			name, code := e.placedName(m, con, false, false, sites)
			if (con.kind == ckProblem && !situational(con)) || assessed[m.c] {
				pname, pcode := e.placedName(m, con, true, m.assertion != visit.Absent, sites)
				pk := pkey{pname, fam}
				i, seen := probIdx[pk]
				if !seen {
					i = len(res.Problems)
					probIdx[pk] = i
					res.Problems = append(res.Problems, visit.Problem{Text: pname, Code: pcode, Assertion: m.assertion})
					genericInjury = append(genericInjury, m.injury)
				}
				p := &res.Problems[i]
				p.Evidence = append(p.Evidence, ev)
				if m.assertion == visit.Absent && m.speaker == visit.Doctor && !m.voice {
					ruledOut[i] = true
				}
				if m.assertion == visit.Absent && m.voice {
					denied[i] = true
				}
				if assertionRank(m.assertion) > assertionRank(p.Assertion) {
					p.Assertion = m.assertion
				}
			}
			if con.kind == ckFinding {
				i, seen := findIdx[k]
				if !seen {
					i = len(res.Findings)
					findIdx[k] = i
					res.Findings = append(res.Findings, visit.Finding{Text: name, Code: code})
				}
				f := &res.Findings[i]
				f.Evidence = append(f.Evidence, ev)
				if patientSaid[k] && m.speaker == visit.Doctor {
					break // the patient's own words; an answered question is the doctor's
				}
				if !patientSaid[k] && f.Assertion != "" {
					f.Assertion = m.assertion // the doctor's latest statement
				} else if assertionRank(m.assertion) > assertionRank(f.Assertion) {
					f.Assertion = m.assertion
				}
			}
		}
	}
	mergeInjuries(res.Problems, genericInjury)
	// A problem is listed absent only when the doctor rules it out ("you do not have a
	// fracture"); a patient's denial of a condition is not a problem of the visit.
	// A condition the patient denies ("any sleep apnea?" "no") is a pertinent negative instead.
	kept := res.Problems[:0]
	for i, p := range res.Problems {
		if p.Assertion == visit.Absent && denied[i] && !ruledOut[i] && !e.findingNamed(res.Findings, p.Text) {
			res.Findings = append(res.Findings, visit.Finding{Text: p.Text, Code: p.Code,
				Assertion: visit.Absent, Evidence: append([]visit.Evidence(nil), p.Evidence...)})
		}
		if len(p.Evidence) > 0 && (p.Assertion != visit.Absent || ruledOut[i]) {
			kept = append(kept, p)
		}
	}
	res.Problems = mergeProblems(kept)
	orderIdx := map[string]int{}
	for _, o := range d.orders {
		ev, ok := e.ev(tr, o.turn, o.start, o.end)
		if !ok {
			continue
		}
		k := string(o.kind) + "\x00" + o.text
		if o.kind == visit.OrderFollowup {
			k = string(o.kind) // one follow-up visit; the first stated interval names it
		}
		i, seen := orderIdx[k]
		if !seen {
			i = len(res.Orders)
			orderIdx[k] = i
			res.Orders = append(res.Orders, visit.Order{Kind: o.kind, Text: o.text, Code: e.code(o.c)})
		}
		res.Orders[i].Evidence = append(res.Orders[i].Evidence, ev)
	}
	res.Orders = mergeOrders(res.Orders)
	allIdx := map[string]int{}
	for _, a := range d.allergy {
		ev, ok := e.ev(tr, a.turn, a.start, a.end)
		if !ok {
			continue
		}
		i, seen := allIdx[a.substance]
		if !seen {
			i = len(res.Allergies)
			allIdx[a.substance] = i
			res.Allergies = append(res.Allergies, visit.Allergy{Substance: a.substance, Code: e.code(a.c)})
		}
		al := &res.Allergies[i]
		al.Evidence = append(al.Evidence, ev)
		if a.reaction != "" && al.Reaction == nil {
			al.Reaction = ptr(a.reaction)
		}
	}
	drugAllergy := false
	for _, a := range d.allergy {
		if !a.env && a.substance != "none known" {
			drugAllergy = true
		}
	}
	if len(res.Allergies) > 1 && drugAllergy {
		// a stated drug allergy contradicts "none known"; keep the specific ones
		if i, ok := allIdx["none known"]; ok {
			res.Allergies = append(res.Allergies[:i], res.Allergies[i+1:]...)
		}
	}
	return res
}

func ptr(s string) *string { return &s }

// mergeInjuries folds a bare injury ("evidence of a fracture", named "wrist fracture") into
// the named injury of the same kind the doctor diagnoses in the visit ("a colles' fracture"):
// one fracture talked about twice. Ruled-out injuries stay apart. Folded problems are left
// with no evidence, and dropped by the caller's filter.
func mergeInjuries(ps []visit.Problem, generic []bool) {
	for i := range ps {
		if !generic[i] || ps[i].Assertion == visit.Absent || ps[i].Assertion == visit.Family {
			continue
		}
		head := lastWord(ps[i].Text)
		for j := range ps {
			if j == i || generic[j] || ps[j].Assertion == visit.Absent || ps[j].Assertion == visit.Family ||
				len(ps[j].Evidence) == 0 || lastWord(ps[j].Text) != head {
				continue
			}
			ps[j].Evidence = append(ps[j].Evidence, ps[i].Evidence...)
			ps[i].Evidence = nil
			break
		}
	}
}

// mergeOrders folds an order into a more specific one of the same kind ("ultrasound" into
// "kidney ultrasound"): they are one order named twice.
func mergeOrders(os []visit.Order) []visit.Order {
	out := os[:0:0]
	for _, o := range os {
		merged := false
		for i := range out {
			p := &out[i]
			if p.Kind != o.Kind || o.Kind == visit.OrderFollowup {
				continue
			}
			switch {
			case containsWords(p.Text, o.Text):
				p.Evidence = append(p.Evidence, o.Evidence...)
				merged = true
			case containsWords(o.Text, p.Text):
				p.Text, p.Code = o.Text, o.Code
				p.Evidence = append(p.Evidence, o.Evidence...)
				merged = true
			}
			if merged {
				break
			}
		}
		if !merged {
			out = append(out, o)
		}
	}
	return out
}

func (e *Engine) findingNamed(fs []visit.Finding, name string) bool {
	for _, f := range fs {
		if f.Text == name {
			return true
		}
	}
	return false
}

// mergeProblems folds a problem into a more specific one named in the same visit ("your
// diabetes" into "type 2 diabetes mellitus"): one condition named twice with one assertion.
func mergeProblems(ps []visit.Problem) []visit.Problem {
	out := ps[:0:0]
	for _, p := range ps {
		merged := false
		for i := range out {
			q := &out[i]
			// "possible metastatic cancer" beside "cancer" are two statements, kept apart
			if q.Assertion != p.Assertion || q.Text == p.Text {
				continue
			}
			switch {
			case containsWords(q.Text, p.Text):
			case containsWords(p.Text, q.Text):
				q.Text, q.Code = p.Text, p.Code
			default:
				continue
			}
			q.Evidence = append(q.Evidence, p.Evidence...)
			merged = true
			break
		}
		if !merged {
			out = append(out, p)
		}
	}
	return out
}

// containsWords reports whether every word of small is a word of big.
func containsWords(big, small string) bool {
	bw := strings.Fields(big)
	for _, w := range strings.Fields(small) {
		found := false
		for _, b := range bw {
			if b == w {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// conditionFindings are exam findings that are conditions to follow up in their own right
// when the doctor finds them ("i hear a systolic murmur").
var conditionFindings = map[string]bool{"heart murmur": true, "carotid bruit": true,
	"hepatomegaly": true, "splenomegaly": true, "goiter": true}

// examSigns are exam signs that describe a problem without being one; they stay findings.
var examSigns = map[string]bool{"tenderness": true, "redness": true, "warmth": true,
	"erythema": true, "crepitus": true, "joint effusion": true, "pain with range of motion": true}

// assessScope is how close an assessment cue must precede the symptom it names.
const assessScope = 4

func (e *Engine) assessedAt(ti *turnInfo, tok int) bool {
	s := ti.sents[ti.toks[tok].sent]
	for _, q := range ti.cuesNear(s, tok-assessScope-maxPattern, tok) {
		if q.to <= tok && tok-q.to <= assessScope && e.mask(q)&cueAssess != 0 {
			return true
		}
	}
	return false
}

// situational reports whether a problem entry names a circumstance rather than a condition:
// ICD-10-CM chapter XXI (Z codes: encounters, status, history) and chapter XX (V-Y: external
// causes such as a fall). The contract's problems are diagnoses and conditions.
func situational(c concept) bool {
	if c.entry == nil || c.entry.Code == nil || c.entry.Code.System != visit.SystemICD10CM || c.entry.Code.Code == "" {
		return false
	}
	switch c.entry.Code.Code[0] {
	case 'Z', 'V', 'W', 'X', 'Y':
		return true
	}
	return false
}
