package rules

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// resolved is one counted medication with its drug in the rule set (-1 when unknown).
type resolved struct {
	med  *Med
	idx  int // index in Patient.Medications
	drug int
	name string // ingredient name when known, else the normalized medication name
}

// activeStatus says whether a medication with this FHIR status is taken or about to be.
func activeStatus(s string) bool {
	switch strings.ToLower(s) {
	case "", "active", "draft", "on-hold", "intended", "unknown":
		return true
	}
	return false
}

// resolveDrug finds the rule set's drug for a code and/or a name (exact, then a known
// ingredient name as whole words inside the name, leftmost and longest first).
func (c *compiled) resolveDrug(rxcui, name string) int {
	if rxcui != "" {
		if d, ok := c.byRxCUI[rxcui]; ok {
			return d
		}
	}
	if name == "" {
		return -1
	}
	return scanNames(norm(name), c.maxWords, c.byName)
}

// scanNames looks n up in names whole, then as runs of up to maxWords words (leftmost, longest
// first); words are split at punctuation, and at hyphens only when that finds nothing, so
// "co-trimoxazole" and "amoxicillin-clavulanate" both resolve. It returns -1 when nothing matches.
func scanNames(n string, maxWords int, names map[string]int) int {
	if d, ok := names[n]; ok {
		return d
	}
	for _, hyphen := range []bool{false, true} {
		words := strings.FieldsFunc(n, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && (hyphen || r != '-') && r != '\''
		})
		for i := range words {
			for w := min(maxWords, len(words)-i); w >= 1; w-- {
				if d, ok := names[strings.Join(words[i:i+w], " ")]; ok {
					return d
				}
			}
		}
	}
	return -1
}

func (c *compiled) lookup(rxcui, name string) (string, string, bool) {
	d := c.resolveDrug(rxcui, name)
	if d < 0 {
		return "", "", false
	}
	return c.drugs[d].name, c.drugs[d].rxcui, true
}

func (c *compiled) classesOf(rxcui, name string) []string {
	d := c.resolveDrug(rxcui, name)
	if d < 0 {
		return nil
	}
	var out []string
	for i := range c.classes {
		if c.drugs[d].classes.has(i) {
			out = append(out, c.classes[i].id)
		}
	}
	sort.Strings(out)
	return out
}

func (c *compiled) counts() map[string]int {
	n := map[string]int{"classes": len(c.classes), "drugs": len(c.drugs), "allergies": len(c.allergies),
		"doses": len(c.doses), "conditions": len(c.conditions), "rules": len(c.all)}
	for _, r := range c.pairs {
		if r.kind == KindInteraction {
			n["interactions"]++
			if r.highPriority {
				n["high_priority"]++
			}
		} else {
			n["duplicates"]++
		}
	}
	return n
}

func (s *selector) matchDrug(c *compiled, d int) bool {
	if d < 0 {
		return false
	}
	if s.all != nil {
		return s.all.has(d)
	}
	return s.drugs.has(d) || s.classes.intersects(c.drugs[d].classes)
}

func (s *selector) match(c *compiled, m *resolved) bool {
	if !s.matchDrug(c, m.drug) {
		return false
	}
	if len(s.excludeRoutes) > 0 && m.med.Route != "" {
		route := strings.ToLower(m.med.Route)
		for _, r := range s.excludeRoutes {
			if r == route {
				return false
			}
		}
	}
	return true
}

// evalCtx carries one evaluation's facts for conditions.
type evalCtx struct {
	c         *compiled
	p         *Patient
	meds      []resolved
	involved  [2]int // indexes into meds; -1 when unused
	factors   []string
	fromVisit bool
}

func (x *evalCtx) holds(cd *cond) bool {
	switch cd.op {
	case opAll:
		mark := len(x.factors)
		for _, k := range cd.kids {
			if !x.holds(k) {
				x.factors = x.factors[:mark]
				return false
			}
		}
		return true
	case opAny:
		ok := false
		for _, k := range cd.kids {
			mark := len(x.factors)
			if x.holds(k) {
				ok = true
			} else {
				x.factors = x.factors[:mark]
			}
		}
		return ok
	case opNot:
		mark, fv := len(x.factors), x.fromVisit
		inner := x.holds(cd.kids[0])
		x.factors, x.fromVisit = x.factors[:mark], fv
		// The absence of a protective co-medication is worth saying ("not taking a PPI");
		// other negations are not shown.
		if k := cd.kids[0]; !inner && k.op == opTaking {
			x.factors = append(x.factors, "not taking "+k.sel.label)
		}
		return !inner
	case opTaking:
		for i := range x.meds {
			if i == x.involved[0] || i == x.involved[1] {
				continue
			}
			m := &x.meds[i]
			if cd.sel.match(x.c, m) && (x.involved[0] < 0 || m.drug != x.meds[x.involved[0]].drug) &&
				(x.involved[1] < 0 || m.drug != x.meds[x.involved[1]].drug) {
				x.factors = append(x.factors, "also taking "+m.name)
				x.fromVisit = x.fromVisit || m.med.FromVisit
				return true
			}
		}
		return false
	case opAge:
		if x.p.Age == nil || !cd.bound.holds(float64(*x.p.Age)) {
			return false
		}
		x.factors = append(x.factors, "age "+strconv.Itoa(*x.p.Age))
		return true
	case opLab:
		for i := range x.p.Labs {
			l := &x.p.Labs[i]
			if strings.ToLower(l.Kind) != cd.labKind {
				continue
			}
			v := labValue(l)
			if !cd.bound.holds(v) {
				return false
			}
			f := knownLabs[cd.labKind] + " " + strconv.FormatFloat(l.Value, 'g', 4, 64)
			if l.Unit != "" {
				f += " " + l.Unit
			}
			x.factors = append(x.factors, f)
			return true
		}
		return false
	case opCondition:
		for i := range x.p.Conditions {
			pc := &x.p.Conditions[i]
			if matchCondition(cd, pc) {
				f := cd.label
				if pc.FromVisit {
					f += " (from the visit)"
					x.fromVisit = true
				}
				x.factors = append(x.factors, f)
				return true
			}
		}
		return false
	}
	return false
}

// labValue converts a result to the unit the rules use (see Lab.Kind) when it is reported in
// the common SI alternative.
func labValue(l *Lab) float64 {
	u := strings.ToLower(strings.ReplaceAll(l.Unit, "µ", "u"))
	switch strings.ToLower(l.Kind) {
	case "digoxin":
		if strings.HasPrefix(u, "nmol") {
			return l.Value / 1.281 // digoxin 780.9 g/mol: 1 ng/mL = 1.281 nmol/L
		}
	case "creatinine":
		if strings.HasPrefix(u, "umol") {
			return l.Value / 88.42 // creatinine 113.12 g/mol: 1 mg/dL = 88.42 µmol/L
		}
	}
	return l.Value
}

func matchCondition(cd *cond, pc *Condition) bool {
	if pc.ICD10 != "" {
		code := strings.ToUpper(strings.ReplaceAll(pc.ICD10, ".", ""))
		for _, p := range cd.icd10 {
			if strings.HasPrefix(code, p) {
				return true
			}
		}
	}
	if pc.SNOMED != "" {
		for _, s := range cd.snomed {
			if s == pc.SNOMED {
				return true
			}
		}
	}
	if pc.Text != "" && len(cd.text) > 0 {
		t := " " + strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return unicode.ToLower(r)
			}
			return ' '
		}, pc.Text) + " "
		t = " " + strings.Join(strings.Fields(t), " ") + " "
		for _, w := range cd.text {
			if strings.Contains(t, " "+w+" ") {
				return true
			}
		}
	}
	return false
}

// outcome applies a rule's when and modifiers; ok is false when the rule stays quiet.
func (x *evalCtx) outcome(r *rule) (s sev, note string, ok bool) {
	x.factors = x.factors[:0]
	if r.when != nil && !x.holds(r.when) {
		return 0, "", false
	}
	s = r.sev
	for _, m := range r.modifiers {
		mark, fv := len(x.factors), x.fromVisit
		if !x.holds(m.when) {
			x.factors, x.fromVisit = x.factors[:mark], fv
			continue
		}
		if m.quiet {
			return 0, "", false
		}
		if m.hasSev {
			s = m.sev
		}
		return s, m.note, true
	}
	return s, "", true
}

func (c *compiled) resolveMeds(p *Patient) []resolved {
	meds := make([]resolved, 0, len(p.Medications))
	for i := range p.Medications {
		m := &p.Medications[i]
		if !activeStatus(m.Status) {
			continue
		}
		r := resolved{med: m, idx: i, drug: c.resolveDrug(m.RxCUI, m.Name)}
		if r.drug >= 0 {
			r.name = c.drugs[r.drug].name
		} else {
			r.name = norm(m.Name)
		}
		meds = append(meds, r)
	}
	return meds
}

func sameIngredient(a, b *resolved) bool {
	if a.drug >= 0 || b.drug >= 0 {
		return a.drug == b.drug
	}
	return a.name != "" && a.name == b.name
}

func (c *compiled) evaluate(p *Patient) []Alert {
	if p == nil {
		return nil
	}
	meds := c.resolveMeds(p)
	x := &evalCtx{c: c, p: p, meds: meds, factors: make([]string, 0, 8)}
	var alerts []Alert

	// Interactions and duplicate therapy. Each rule first marks which medications match either
	// side, so most rules are dismissed without looking at pairs.
	var ma, mb []bool
	if len(meds) > 0 {
		ma, mb = make([]bool, len(meds)), make([]bool, len(meds))
	}
	for _, r := range c.pairs {
		na, nb := 0, 0
		for i := range meds {
			ma[i] = r.a.match(c, &meds[i])
			mb[i] = ma[i]
			if r.b != r.a {
				mb[i] = r.b.match(c, &meds[i])
			}
			if ma[i] {
				na++
			}
			if mb[i] {
				nb++
			}
		}
		if na == 0 || nb == 0 {
			continue
		}
		for i := range meds {
			if !ma[i] && !mb[i] {
				continue
			}
			for j := i + 1; j < len(meds); j++ {
				ai, bi := -1, -1
				switch {
				case ma[i] && mb[j]:
					ai, bi = i, j
				case ma[j] && mb[i]:
					ai, bi = j, i
				default:
					continue
				}
				pa, pb := &meds[ai], &meds[bi]
				if sameIngredient(pa, pb) {
					// The same ingredient twice is no interaction; as a duplicate it counts unless
					// it is one medication said in the visit and also on the EHR list.
					if r.kind == KindInteraction || pa.med.FromVisit != pb.med.FromVisit {
						continue
					}
				}
				x.involved, x.fromVisit = [2]int{ai, bi}, pa.med.FromVisit || pb.med.FromVisit
				s, note, ok := x.outcome(r)
				if !ok {
					continue
				}
				alerts = append(alerts, c.alert(r, s, note, x, []*resolved{pa, pb}, map[string]string{"a": pa.name, "b": pb.name}, ""))
			}
		}
	}

	// Allergies: per allergy and medication the first matching rule speaks.
	if len(p.Allergies) > 0 && len(c.allergies) > 0 {
		for ai := range p.Allergies {
			al := &p.Allergies[ai]
			ad := c.resolveDrug(al.RxCUI, al.Substance)
			aname := norm(al.Substance)
			var aclasses bitset
			if ad >= 0 {
				aclasses = c.drugs[ad].classes
			}
			if ad < 0 {
				if ci := scanNames(aname, c.maxAliasWords, c.classAlias); ci >= 0 {
					aclasses = c.allergenClasses[ci]
				}
			}
			for i := range meds {
				m := &meds[i]
				for _, r := range c.allergies {
					hit := false
					if r.sameIngredient {
						hit = (ad >= 0 && ad == m.drug) || (ad < 0 && m.drug < 0 && aname != "" && aname == m.name)
					} else {
						hit = (r.allergen.drugs.has(ad) || r.allergen.classes.intersects(aclasses)) && r.drug.match(c, m)
					}
					if !hit {
						continue
					}
					x.involved, x.fromVisit = [2]int{i, -1}, m.med.FromVisit || al.FromVisit
					s, note, ok := x.outcome(r)
					if !ok {
						break
					}
					allergen := al.Substance
					a := c.alert(r, s, note, x, []*resolved{m}, map[string]string{"drug": m.name, "allergen": aname}, allergen)
					if al.Reaction != "" {
						a.Detail = "Recorded reaction: " + al.Reaction + ".\n\n" + a.Detail
					}
					alerts = append(alerts, a)
					break
				}
			}
		}
	}

	// Doses.
	for i := range meds {
		m := &meds[i]
		for _, r := range c.doses {
			if !r.drug.match(c, m) {
				continue
			}
			found := checkDose(r, m.med)
			if len(found) == 0 {
				continue
			}
			x.involved, x.fromVisit = [2]int{i, -1}, m.med.FromVisit
			s, note, ok := x.outcome(r)
			if !ok {
				continue
			}
			x.factors = append(found, x.factors...)
			alerts = append(alerts, c.alert(r, s, note, x, []*resolved{m}, map[string]string{"drug": m.name}, ""))
		}
	}

	// Drug-condition and drug-lab rules.
	for i := range meds {
		m := &meds[i]
		for _, r := range c.conditions {
			if !r.drug.match(c, m) {
				continue
			}
			x.involved, x.fromVisit = [2]int{i, -1}, m.med.FromVisit
			s, note, ok := x.outcome(r)
			if !ok {
				continue
			}
			alerts = append(alerts, c.alert(r, s, note, x, []*resolved{m}, map[string]string{"drug": m.name}, ""))
		}
	}

	sort.SliceStable(alerts, func(i, j int) bool {
		a, b := &alerts[i], &alerts[j]
		sa, _ := parseSev(a.Severity)
		sb, _ := parseSev(b.Severity)
		if sa != sb {
			return sa < sb
		}
		if a.HighPriority != b.HighPriority {
			return a.HighPriority
		}
		return a.RuleID < b.RuleID
	})
	return alerts
}

func (c *compiled) alert(r *rule, s sev, note string, x *evalCtx, ms []*resolved, names map[string]string, allergen string) Alert {
	a := Alert{
		RuleID: r.id, Kind: r.kind, Severity: sevNames[s], HighPriority: r.highPriority,
		Mechanism: r.mechanism, Management: r.management, Citation: r.citation,
		Allergen: allergen, FromVisit: x.fromVisit, Alternatives: slices.Clone(r.alternatives),
	}
	a.Meds = make([]string, len(ms))
	for i, m := range ms {
		a.Meds[i] = m.med.ID
		if m.med.Draft && a.DraftMedID == "" {
			a.DraftMedID = m.med.ID
		}
	}
	if len(x.factors) > 0 {
		a.Factors = append([]string(nil), x.factors...)
	}
	a.Summary = renderSummary(r.summary, names)
	a.Detail = renderDetail(r, &a, note, ms)
	return a
}

func renderSummary(tmpl string, names map[string]string) string {
	s := tmpl
	if strings.IndexByte(s, '{') >= 0 {
		for k, v := range names {
			if len(v) > placeholderWidth+10 {
				v = v[:placeholderWidth+9] + "…"
			}
			s = strings.ReplaceAll(s, "{"+k+"}", v)
		}
	}
	if len(s) >= 140 && utf8.RuneCountInString(s) >= 140 {
		rs := []rune(s)
		s = string(rs[:138]) + "…"
	}
	// Sentence case: summaries often start with a drug name.
	if r, size := utf8.DecodeRuneInString(s); size > 0 && unicode.IsLower(r) {
		s = string(unicode.ToUpper(r)) + s[size:]
	}
	return s
}

func renderDetail(r *rule, a *Alert, note string, ms []*resolved) string {
	var b strings.Builder
	b.WriteString("**")
	b.WriteString(strings.ToUpper(a.Severity[:1]) + a.Severity[1:])
	b.WriteString("**")
	if a.HighPriority {
		b.WriteString(" (ONC high-priority interaction)")
	}
	b.WriteString(": ")
	for i, m := range ms {
		if i > 0 {
			b.WriteString(" + ")
		}
		b.WriteString(m.name)
		if m.med.Draft {
			b.WriteString(" (ordering)")
		}
		if m.med.FromVisit {
			b.WriteString(" (from the visit)")
		}
	}
	if a.Allergen != "" {
		b.WriteString(", recorded allergy to ")
		b.WriteString(a.Allergen)
	}
	b.WriteString(".\n\n")
	if len(a.Factors) > 0 {
		b.WriteString("**Patient factors:** ")
		b.WriteString(strings.Join(a.Factors, "; "))
		b.WriteString(".\n\n")
	}
	if note != "" {
		b.WriteString(note)
		b.WriteString("\n\n")
	}
	b.WriteString("**Mechanism:** ")
	b.WriteString(r.mechanism)
	b.WriteString("\n\n**What to do:** ")
	b.WriteString(r.management)
	b.WriteString("\n\n**Source:** [")
	b.WriteString(r.citation.Label)
	b.WriteString("](")
	b.WriteString(r.citation.URL)
	b.WriteString(")")
	return b.String()
}
