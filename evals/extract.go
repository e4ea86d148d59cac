package evals

import (
	"sort"
	"strings"

	"github.com/medscribe/medscribe/visit"
)

// TermNormalizer maps a surface form (brand, synonym, abbreviation) to a canonical key, so
// "lasix" and "furosemide" match. ok is false for unknown terms. medscribe's vocabulary is
// adapted to it by the command line; nil means plain name normalization only.
type TermNormalizer interface {
	Canonical(term string) (key string, ok bool)
}

// ItemTypes are the gold item types, in report order.
var ItemTypes = []string{"medication", "problem", "negated_finding", "order", "allergy"}

// Counts are match counts for one item type.
type Counts struct {
	TP int `json:"tp"`
	FP int `json:"fp"`
	FN int `json:"fn"`
}

// PRF returns micro precision/recall/F1 from the counts. With nothing predicted and nothing
// expected all three are 1; otherwise an empty side gives 0.
func (c Counts) PRF() PRF {
	if c.TP+c.FP+c.FN == 0 {
		return PRF{1, 1, 1}
	}
	var p, r float64
	if c.TP+c.FP > 0 {
		p = float64(c.TP) / float64(c.TP+c.FP)
	}
	if c.TP+c.FN > 0 {
		r = float64(c.TP) / float64(c.TP+c.FN)
	}
	return PRF{p, r, fmeasure(p, r)}
}

func (c *Counts) add(o Counts) { c.TP += o.TP; c.FP += o.FP; c.FN += o.FN }

// Accuracy is correct out of total (matched items whose attribute was compared).
type Accuracy struct {
	Correct int `json:"correct"`
	Total   int `json:"total"`
}

// Value is the share correct; 1 when nothing was compared (nothing to get wrong).
func (a Accuracy) Value() float64 {
	if a.Total == 0 {
		return 1
	}
	return float64(a.Correct) / float64(a.Total)
}

func (a *Accuracy) add(ok bool) {
	a.Total++
	if ok {
		a.Correct++
	}
}

func (a *Accuracy) merge(o Accuracy) { a.Correct += o.Correct; a.Total += o.Total }

// ItemMiss names one gold item the system missed or one item it invented, for the drill-down.
type ItemMiss struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// ExtractionScore is one encounter's extraction scores.
type ExtractionScore struct {
	ID     string            `json:"id"`
	Counts map[string]Counts `json:"counts"`
	// Attributes holds medication dose/route/frequency/status and problem assertion accuracy.
	Attributes map[string]Accuracy `json:"attributes"`
	Missed     []ItemMiss          `json:"missed,omitempty"`
	Spurious   []ItemMiss          `json:"spurious,omitempty"`
}

// ExtractionSummary aggregates extraction over a dataset (micro-averaged counts).
type ExtractionSummary struct {
	N          int                 `json:"n"`
	Counts     map[string]Counts   `json:"counts"`
	Attributes map[string]Accuracy `json:"attributes"`
}

// Matching, documented because the figures depend on it:
//  1. Items are matched one-to-one within a type, greedily in gold order.
//  2. First by code: a gold rxcui equals the medication's RxNorm code, or a gold icd10 equals
//     the problem's ICD-10-CM code (the predicted code's system must be that system).
//  3. Then by name: both names are normalized (lowercase, non-alphanumerics to spaces,
//     whitespace collapsed) and, when a TermNormalizer is given, mapped to its canonical key;
//     equal keys match. A name also matches when one normalized name equals the other with a
//     trailing plural "s" removed, or when both have the same content words in any order
//     (function words such as "of", "the", "in" left out, plurals folded): "fracture of the
//     right wrist" is "right wrist fracture", but "knee pain" is not "right knee pain".
//  4. Negated findings are compared with the system's findings asserted "absent" (and, since
//     the contract lets a denied symptom be recorded either way, problems asserted "absent").
//  5. Orders match by name regardless of kind; kind agreement is reported as an attribute.
//  6. Attributes compare normalized strings; null equals null; a stated value against null
//     is wrong.
type matcher struct {
	norm TermNormalizer
}

func normName(s string) string {
	return strings.Join(Tokenize(s), " ")
}

func (m matcher) keys(name string) []string {
	n := normName(name)
	keys := []string{n}
	if strings.HasSuffix(n, "s") && len(n) > 3 {
		keys = append(keys, strings.TrimSuffix(n, "s"))
	}
	if b := contentBag(n); b != "" {
		keys = append(keys, "bag:"+b)
	}
	if m.norm != nil {
		if k, ok := m.norm.Canonical(name); ok {
			keys = append(keys, "canon:"+k)
		}
	}
	return keys
}

// functionWords carry no clinical content in an item name.
var functionWords = map[string]bool{"a": true, "an": true, "the": true, "of": true, "in": true,
	"on": true, "at": true, "to": true, "with": true, "for": true, "from": true, "my": true, "your": true}

// contentBag is a name's content words, plural-folded and sorted, so word order and function
// words do not decide a match. Empty when the name has no content word.
func contentBag(norm string) string {
	var ws []string
	for _, w := range strings.Fields(norm) {
		if functionWords[w] {
			continue
		}
		if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is") {
			w = strings.TrimSuffix(w, "s")
		}
		ws = append(ws, w)
	}
	sort.Strings(ws)
	return strings.Join(ws, " ")
}

func (m matcher) nameMatch(a, b string) bool {
	ka, kb := m.keys(a), m.keys(b)
	for _, x := range ka {
		for _, y := range kb {
			if x == y {
				return true
			}
		}
	}
	return false
}

// pairing matches gold indices to predicted indices; -1 means unmatched.
func pairing(nGold, nPred int, codeEq func(g, p int) bool, nameEq func(g, p int) bool) []int {
	out := make([]int, nGold)
	used := make([]bool, nPred)
	for i := range out {
		out[i] = -1
	}
	for _, eq := range []func(g, p int) bool{codeEq, nameEq} {
		if eq == nil {
			continue
		}
		for g := 0; g < nGold; g++ {
			if out[g] >= 0 {
				continue
			}
			for p := 0; p < nPred; p++ {
				if !used[p] && eq(g, p) {
					out[g], used[p] = p, true
					break
				}
			}
		}
	}
	return out
}

func codeOf(c *visit.Code, system string) string {
	if c == nil || c.System != system {
		return ""
	}
	return c.Code
}

func strEq(a, b *string) bool {
	na, nb := "", ""
	if a != nil {
		na = normName(*a)
	}
	if b != nil {
		nb = normName(*b)
	}
	return na == nb
}

func pstr(s string) *string { return &s }

// ScoreExtraction compares a record's items with the gold items of one encounter.
func ScoreExtraction(g *Gold, rec *visit.Record, norm TermNormalizer) ExtractionScore {
	m := matcher{norm}
	s := ExtractionScore{ID: g.EncounterID, Counts: map[string]Counts{}, Attributes: map[string]Accuracy{}}
	count := func(typ string, pairs []int, nPred int, goldName func(int) string, predName func(int) string) {
		c := Counts{}
		used := make([]bool, nPred)
		for gi, p := range pairs {
			if p >= 0 {
				c.TP++
				used[p] = true
			} else {
				c.FN++
				s.Missed = append(s.Missed, ItemMiss{typ, goldName(gi)})
			}
		}
		for p := 0; p < nPred; p++ {
			if !used[p] {
				c.FP++
				s.Spurious = append(s.Spurious, ItemMiss{typ, predName(p)})
			}
		}
		s.Counts[typ] = c
	}
	attr := func(name string, ok bool) {
		a := s.Attributes[name]
		a.add(ok)
		s.Attributes[name] = a
	}

	// Medications.
	meds := rec.Medications
	mp := pairing(len(g.Medications), len(meds),
		func(gi, p int) bool {
			c := codeOf(meds[p].Code, visit.SystemRxNorm)
			return g.Medications[gi].RxCUI != nil && c != "" && *g.Medications[gi].RxCUI == c
		},
		func(gi, p int) bool { return m.nameMatch(g.Medications[gi].Name, meds[p].Text) })
	count("medication", mp, len(meds), func(i int) string { return g.Medications[i].Name }, func(i int) string { return meds[i].Text })
	for gi, p := range mp {
		if p < 0 {
			continue
		}
		gm, pm := g.Medications[gi], meds[p]
		attr("medication_status", gm.Status == string(pm.Status))
		attr("medication_dose", strEq(gm.Dose, pm.Dose))
		attr("medication_route", strEq(gm.Route, pm.Route))
		attr("medication_frequency", strEq(gm.Frequency, pm.Frequency))
	}

	// Problems.
	probs := rec.Problems
	pp := pairing(len(g.Problems), len(probs),
		func(gi, p int) bool {
			c := codeOf(probs[p].Code, visit.SystemICD10CM)
			return g.Problems[gi].ICD10 != nil && c != "" && *g.Problems[gi].ICD10 == c
		},
		func(gi, p int) bool { return m.nameMatch(g.Problems[gi].Name, probs[p].Text) })
	count("problem", pp, len(probs), func(i int) string { return g.Problems[i].Name }, func(i int) string { return probs[i].Text })
	for gi, p := range pp {
		if p >= 0 {
			attr("problem_assertion", g.Problems[gi].Assertion == string(probs[p].Assertion))
		}
	}

	// Negated findings: absent findings (and absent problems not already matched as problems).
	var negNames []string
	for _, f := range rec.Findings {
		if f.Assertion == visit.Absent {
			negNames = append(negNames, f.Text)
		}
	}
	matchedProb := map[int]bool{}
	for _, p := range pp {
		if p >= 0 {
			matchedProb[p] = true
		}
	}
	for i, p := range probs {
		if p.Assertion == visit.Absent && !matchedProb[i] {
			negNames = append(negNames, p.Text)
		}
	}
	np := pairing(len(g.NegatedFindings), len(negNames), nil,
		func(gi, p int) bool { return m.nameMatch(g.NegatedFindings[gi].Name, negNames[p]) })
	count("negated_finding", np, len(negNames), func(i int) string { return g.NegatedFindings[i].Name }, func(i int) string { return negNames[i] })

	// Orders.
	ords := rec.Orders
	op := pairing(len(g.Orders), len(ords), nil,
		func(gi, p int) bool { return m.nameMatch(g.Orders[gi].Name, ords[p].Text) })
	count("order", op, len(ords), func(i int) string { return g.Orders[i].Name }, func(i int) string { return ords[i].Text })
	for gi, p := range op {
		if p >= 0 {
			attr("order_kind", g.Orders[gi].Kind == string(ords[p].Kind))
		}
	}

	// Allergies.
	als := rec.Allergies
	ap := pairing(len(g.Allergies), len(als), nil,
		func(gi, p int) bool { return m.nameMatch(g.Allergies[gi].Substance, als[p].Substance) })
	count("allergy", ap, len(als), func(i int) string { return g.Allergies[i].Substance }, func(i int) string { return als[i].Substance })
	return s
}

// SummarizeExtraction sums per-encounter counts (micro average).
func SummarizeExtraction(scores []ExtractionScore) ExtractionSummary {
	sum := ExtractionSummary{N: len(scores), Counts: map[string]Counts{}, Attributes: map[string]Accuracy{}}
	for _, s := range scores {
		for k, c := range s.Counts {
			cc := sum.Counts[k]
			cc.add(c)
			sum.Counts[k] = cc
		}
		for k, a := range s.Attributes {
			aa := sum.Attributes[k]
			aa.merge(a)
			sum.Attributes[k] = aa
		}
	}
	return sum
}

// Figures flattens the summary into gate-able metrics: <type>_precision/_recall/_f1 per item
// type, extraction_f1 over all types, and <attribute>_accuracy.
func (s ExtractionSummary) Figures() map[string]float64 {
	out := map[string]float64{}
	var all Counts
	for _, t := range ItemTypes {
		c := s.Counts[t]
		all.add(c)
		p := c.PRF()
		out[t+"_precision"], out[t+"_recall"], out[t+"_f1"] = p.Precision, p.Recall, p.F
	}
	p := all.PRF()
	out["extraction_precision"], out["extraction_recall"], out["extraction_f1"] = p.Precision, p.Recall, p.F
	keys := make([]string, 0, len(s.Attributes))
	for k := range s.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out[k+"_accuracy"] = s.Attributes[k].Value()
	}
	return out
}
