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
			if !e.orderedAt(ti, s, c) {
				continue
			}
			if a, hypo := e.assert(ti, s, c); a == visit.Absent || a == visit.Family || hypo {
				continue
			}
			d.orders = append(d.orders, orderItem{kind: kind, text: con.term, c: c.idx, turn: turn,
				start: int(ti.toks[c.from].start), end: int(ti.toks[c.to-1].end)})
		}
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
		if q.to <= c.from && c.from-q.to <= orderScope && mk&cueMedConsidered != 0 {
			return false
		}
		if mk&cueOrderPast != 0 && q.from >= c.from-pastScope && q.from <= c.to+pastScope {
			return false
		}
	}
	return ordered
}

// followup reads "follow up in 3 months", "see you back in a couple of weeks".
func (e *Engine) followup(d *dialogue, turn int, text string, ti *turnInfo, s sentence, q span) {
	// "come back in a month", and "in a month you come back"
	for i := max(s.from, q.from-5); i < s.to && i <= q.to+6; i++ {
		if e.word(ti, i) != "in" || (i < q.from && i+5 < q.from) {
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
			for _, c := range ti.consIn(sub.to, min(s.to, sub.to+attrScope)) {
				if e.m.concepts[c.idx].kind == ckFinding {
					it.reaction = e.m.concepts[c.idx].term
					if end := int(ti.toks[c.to-1].end); end > it.end {
						it.end = end
					}
					break
				}
			}
			d.allergy = append(d.allergy, it)
		}
	}
	return asked
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
	probIdx := map[key]int{}
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
		if e.assessedAt(d.turns[m.turn], m.tokFrom) {
			assessed[m.c] = true
		}
	}
	// The presenting complaints: what the patient reports early and is talked about again.
	early := map[int32]bool{}
	count := map[int32]int{}
	for _, m := range d.mentions {
		if e.m.concepts[m.c].kind != ckFinding || m.hypo || m.pending || m.assertion != visit.Present {
			continue
		}
		count[m.c]++
		if m.voice && m.turn*3 < len(tr.Turns) {
			early[m.c] = true
		}
	}
	for c := range early {
		if count[c] >= 2 {
			assessed[c] = true
		}
	}
	// A symptom's assertion is the patient's word when they gave one ("i haven't had any
	// nausea" over the doctor's "you've tolerated the nausea"); otherwise the doctor's.
	patientSaid := map[key]bool{}
	for _, m := range d.mentions {
		if m.voice && !m.hypo && !m.pending && e.m.concepts[m.c].kind == ckFinding {
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
			if m.status == "" {
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
			if m.hypo || m.pending {
				continue
			}
			k := key{m.c, m.assertion == visit.Family, m.site}
			name, code := con.term, e.code(m.c)
			if m.site != "" {
				// "knee tenderness" is its own finding; the generic code does not fit it
				name, code = m.site+" "+con.term, nil
			}
			if (con.kind == ckProblem && !situational(con)) || assessed[m.c] {
				i, seen := probIdx[k]
				if !seen {
					i = len(res.Problems)
					probIdx[k] = i
					res.Problems = append(res.Problems, visit.Problem{Text: name, Code: code, Assertion: m.assertion})
				}
				p := &res.Problems[i]
				p.Evidence = append(p.Evidence, ev)
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
				if patientSaid[k] && !m.voice {
					break
				}
				if !patientSaid[k] && f.Assertion != "" {
					f.Assertion = m.assertion // the doctor's latest statement
				} else if assertionRank(m.assertion) > assertionRank(f.Assertion) {
					f.Assertion = m.assertion
				}
			}
		}
	}
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
	if len(res.Allergies) > 1 {
		// a stated allergy contradicts "none known"; keep the specific ones
		if i, ok := allIdx["none known"]; ok {
			res.Allergies = append(res.Allergies[:i], res.Allergies[i+1:]...)
		}
	}
	return res
}

func ptr(s string) *string { return &s }

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
