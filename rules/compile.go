package rules

import (
	"fmt"
	"math/bits"
	"regexp"
	"sort"
	"strings"
)

// bitset is a fixed-size set of small integers (drug or class indexes).
type bitset []uint64

func newBitset(n int) bitset    { return make(bitset, (n+63)/64) }
func (b bitset) set(i int)      { b[i/64] |= 1 << (uint(i) % 64) }
func (b bitset) has(i int) bool { return i >= 0 && i/64 < len(b) && b[i/64]&(1<<(uint(i)%64)) != 0 }
func (b bitset) intersects(o bitset) bool {
	for i := range b {
		if i < len(o) && b[i]&o[i] != 0 {
			return true
		}
	}
	return false
}
func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

type sev int

const (
	sevContraindicated sev = iota
	sevMajor
	sevModerate
	sevMinor
)

var sevNames = []string{SeverityContraindicated, SeverityMajor, SeverityModerate, SeverityMinor}

func parseSev(s string) (sev, bool) {
	for i, n := range sevNames {
		if n == s {
			return sev(i), true
		}
	}
	return 0, false
}

type drug struct {
	name    string
	rxcui   string
	classes bitset
}

type class struct {
	id, name string
	citation Citation
	drugs    []int
}

type selector struct {
	drugs         bitset
	classes       bitset
	all           bitset // every drug the selector matches, by ingredient or class (set after compile)
	excludeRoutes []string
	label         string
}

type condOp int

const (
	opAll condOp = iota
	opAny
	opNot
	opTaking
	opAge
	opLab
	opCondition
)

type bound struct {
	lt, lte, gt, gte             float64
	hasLt, hasLte, hasGt, hasGte bool
}

func (b *bound) holds(v float64) bool {
	return (!b.hasLt || v < b.lt) && (!b.hasLte || v <= b.lte) && (!b.hasGt || v > b.gt) && (!b.hasGte || v >= b.gte)
}

type cond struct {
	op      condOp
	kids    []*cond
	sel     *selector
	bound   bound
	labKind string
	label   string
	icd10   []string
	snomed  []string
	text    []string
}

type modifier struct {
	when   *cond
	sev    sev
	hasSev bool
	note   string
	quiet  bool
}

type rule struct {
	file         string
	line, col    int
	id           string
	kind         string
	order        int
	sev          sev
	highPriority bool
	summary      string
	mechanism    string
	management   string
	citation     Citation
	alternatives []Alternative
	when         *cond
	modifiers    []modifier

	a, b           *selector // interactions and duplicates
	allergen, drug *selector // allergies (drug also for doses and conditions)
	sameIngredient bool
	maxSingle      *quantity
	maxDaily       *quantity
	maxPerWeek     float64
}

// quantity is a normalized amount: mass in mg, anything else by its unit.
type quantity struct {
	value float64
	unit  string
}

// compiled is the evaluable form of a rule set.
type compiled struct {
	drugs      []drug
	byName     map[string]int // ingredient name or alias → drug
	byRxCUI    map[string]int
	maxWords   int // most words in a known name, for matching inside display names
	classes    []class
	classByID  map[string]int
	classAlias map[string]int // allergen name → class
	// maxAliasWords is the most words in a class alias, for matching inside free text.
	maxAliasWords int
	anc           []bitset // per class: itself and every class that includes it
	// allergenClasses per class: the classes an allergy recorded by class name matches, i.e.
	// the class, the classes that include it and the classes it includes.
	allergenClasses []bitset
	pairs           []*rule // interactions and duplicates
	allergies       []*rule
	doses           []*rule
	conditions      []*rule
	all             []*rule
	ruleByID        map[string]*rule
}

var (
	idPattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*[a-z0-9]$`)
	rxcuiPattern  = regexp.MustCompile(`^[0-9]{1,9}$`)
	semverPattern = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)
	placeholder   = regexp.MustCompile(`\{[a-z]*\}`)
)

var knownLabs = map[string]string{
	"egfr":       "eGFR",
	"creatinine": "creatinine",
	"potassium":  "potassium",
	"inr":        "INR",
	"digoxin":    "digoxin level",
}

// placeholderWidth is what a {a}/{b}/{drug}/{allergen} placeholder counts for when checking the
// summary length at load time; longer names are shortened at evaluation time.
const placeholderWidth = 20

type fileDocs struct {
	name string
	doc  *fileDoc
}

// compiler turns decoded documents into a compiled rule set, collecting problems.
type compiler struct {
	errs *Errors
	c    *compiled
	file string
}

func (cp *compiler) fail(p pos, id, format string, args ...any) {
	cp.errs.add(cp.file, p.Line, p.Col, id, format, args...)
}

func compile(files []fileDocs, errs *Errors, syntaxErrors bool) (*compiled, *metaDoc) {
	cp := &compiler{errs: errs, c: &compiled{
		byName: map[string]int{}, byRxCUI: map[string]int{}, classByID: map[string]int{},
		classAlias: map[string]int{}, ruleByID: map[string]*rule{},
	}}
	var meta *metaDoc
	var metaFile string
	// Pass 1: class ids, so that includes and selectors can refer to classes in any file.
	type classAt struct {
		file string
		doc  *classDoc
	}
	var classDocs []classAt
	for _, f := range files {
		cp.file = f.name
		if f.doc.Ruleset != nil {
			if meta != nil {
				cp.fail(f.doc.Ruleset.Pos, "", "second ruleset header (the first is in %s)", metaFile)
			} else {
				meta, metaFile = f.doc.Ruleset, f.name
			}
		}
		for i := range f.doc.Classes {
			cd := &f.doc.Classes[i]
			if !idPattern.MatchString(cd.ID) {
				cp.fail(cd.Pos, cd.ID, "class id must be lowercase letters, digits and dashes")
			}
			if _, dup := cp.c.classByID[cd.ID]; dup {
				cp.fail(cd.Pos, cd.ID, "duplicate class id")
				continue
			}
			cp.c.classByID[cd.ID] = len(cp.c.classes)
			cp.c.classes = append(cp.c.classes, class{id: cd.ID, name: cd.Name})
			classDocs = append(classDocs, classAt{f.name, cd})
		}
	}
	if meta == nil {
		if len(files) > 0 && !syntaxErrors {
			errs.add(files[0].name, 1, 1, "", "no file has a ruleset header (name, version)")
		}
	} else {
		cp.file = metaFile
		if meta.Name == "" || !idPattern.MatchString(meta.Name) {
			cp.fail(meta.Pos, "", "ruleset name must be lowercase letters, digits and dashes")
		}
		if !semverPattern.MatchString(meta.Version) {
			cp.fail(meta.Pos, "", "ruleset version %q is not a semantic version (1.2.3)", meta.Version)
		}
	}
	// Pass 2: members and drugs.
	for _, ca := range classDocs {
		cp.file = ca.file
		cd := ca.doc
		ci := cp.c.classByID[cd.ID]
		cl := &cp.c.classes[ci]
		if cd.Name == "" {
			cp.fail(cd.Pos, cd.ID, "class has no name")
		}
		cl.citation = cp.citation(cd.Pos, cd.ID, cd.Citation)
		if len(cd.Members) == 0 && len(cd.Includes) == 0 {
			cp.fail(cd.Pos, cd.ID, "class has no members and includes no class")
		}
		for _, a := range cd.Aliases {
			a = norm(a)
			if prev, dup := cp.c.classAlias[a]; dup && prev != ci {
				cp.fail(cd.Pos, cd.ID, "alias %q already names class %s", a, cp.c.classes[prev].id)
				continue
			}
			cp.c.classAlias[a] = ci
			if w := len(strings.Fields(a)); w > cp.c.maxAliasWords {
				cp.c.maxAliasWords = w
			}
		}
		seen := map[string]bool{}
		for _, m := range cd.Members {
			name := norm(m.Name)
			if name == "" || name != m.Name {
				cp.fail(m.Pos, cd.ID, "member name %q must be lowercase, trimmed and non-empty", m.Name)
				continue
			}
			if seen[name] {
				cp.fail(m.Pos, cd.ID, "member %q listed twice", name)
				continue
			}
			seen[name] = true
			if m.RxCUI != "" && !rxcuiPattern.MatchString(m.RxCUI) {
				cp.fail(m.Pos, cd.ID, "member %q: rxcui %q is not an RxNorm concept id", name, m.RxCUI)
			}
			di := cp.drugIndex(m, cd.ID)
			cl.drugs = append(cl.drugs, di)
		}
	}
	nc := len(cp.c.classes)
	for i := range cp.c.drugs {
		cp.c.drugs[i].classes = newBitset(nc)
	}
	cp.c.anc = make([]bitset, nc)
	desc := make([]bitset, nc)
	for i := range cp.c.anc {
		cp.c.anc[i], desc[i] = newBitset(nc), newBitset(nc)
	}
	// Class membership with includes, transitively; cycles are problems.
	for _, ca := range classDocs {
		cp.file = ca.file
		ci := cp.c.classByID[ca.doc.ID]
		var visit func(c int, path []int)
		visit = func(c int, path []int) {
			for _, p := range path {
				if p == c {
					cp.fail(ca.doc.Pos, ca.doc.ID, "class includes itself (cycle through %s)", cp.c.classes[c].id)
					return
				}
			}
			cp.c.anc[c].set(ci)
			desc[ci].set(c)
			for _, d := range cp.c.classes[c].drugs {
				cp.c.drugs[d].classes.set(ci)
			}
			for _, inc := range classDocs[c].doc.Includes {
				if ii, ok := cp.c.classByID[inc]; ok {
					visit(ii, append(path, c))
				}
			}
		}
		for _, inc := range ca.doc.Includes {
			if _, ok := cp.c.classByID[inc]; !ok {
				cp.fail(ca.doc.Pos, ca.doc.ID, "includes unknown class %q", inc)
			}
		}
		visit(ci, nil)
	}
	cp.c.allergenClasses = make([]bitset, nc)
	for i := range desc {
		b := newBitset(nc)
		for w := range b {
			b[w] = cp.c.anc[i][w] | desc[i][w]
		}
		cp.c.allergenClasses[i] = b
	}
	// Pass 3: rules.
	order := 0
	for _, f := range files {
		cp.file = f.name
		for i := range f.doc.Interactions {
			d := &f.doc.Interactions[i]
			r := cp.rule(&d.common, KindInteraction, order, []string{"a", "b"})
			if d.Of != nil {
				cp.fail(d.Of.Pos, d.ID, "interactions take a and b, not of")
			}
			r.a = cp.selector(d.Pos, d.ID, "a", d.A)
			r.b = cp.selector(d.Pos, d.ID, "b", d.B)
			cp.add(r, &cp.c.pairs, d.Pos)
			order++
		}
		for i := range f.doc.Duplicates {
			d := &f.doc.Duplicates[i]
			r := cp.rule(&d.common, KindDuplicate, order, []string{"a", "b"})
			switch {
			case d.Of != nil && (d.A != nil || d.B != nil):
				cp.fail(d.Pos, d.ID, "give either of, or a and b, not both")
			case d.Of != nil:
				r.a = cp.selector(d.Pos, d.ID, "of", d.Of)
				r.b = r.a
			default:
				r.a = cp.selector(d.Pos, d.ID, "a", d.A)
				r.b = cp.selector(d.Pos, d.ID, "b", d.B)
			}
			cp.add(r, &cp.c.pairs, d.Pos)
			order++
		}
		for i := range f.doc.Allergies {
			d := &f.doc.Allergies[i]
			r := cp.rule(&d.common, KindAllergy, order, []string{"drug", "allergen"})
			r.sameIngredient = d.SameIngredient
			switch {
			case d.SameIngredient && (d.Allergen != nil || d.Drug != nil):
				cp.fail(d.Pos, d.ID, "same_ingredient rules take no allergen or drug selector")
			case !d.SameIngredient:
				r.allergen = cp.selector(d.Pos, d.ID, "allergen", d.Allergen)
				r.drug = cp.selector(d.Pos, d.ID, "drug", d.Drug)
			}
			cp.add(r, &cp.c.allergies, d.Pos)
			order++
		}
		for i := range f.doc.Doses {
			d := &f.doc.Doses[i]
			r := cp.rule(&d.common, KindDose, order, []string{"drug"})
			r.drug = cp.selector(d.Pos, d.ID, "drug", d.Drug)
			r.maxSingle = cp.quantity(d.ID, "max_single", d.MaxSingle)
			r.maxDaily = cp.quantity(d.ID, "max_daily", d.MaxDaily)
			if d.MaxPerWeek != nil {
				if *d.MaxPerWeek <= 0 {
					cp.fail(d.Pos, d.ID, "max_administrations_per_week must be positive")
				}
				r.maxPerWeek = *d.MaxPerWeek
			}
			if r.maxSingle == nil && r.maxDaily == nil && r.maxPerWeek == 0 {
				cp.fail(d.Pos, d.ID, "dose rule needs max_single, max_daily or max_administrations_per_week")
			}
			cp.add(r, &cp.c.doses, d.Pos)
			order++
		}
		for i := range f.doc.Conditions {
			d := &f.doc.Conditions[i]
			r := cp.rule(&d.common, KindCondition, order, []string{"drug"})
			r.drug = cp.selector(d.Pos, d.ID, "drug", d.Drug)
			if d.When == nil {
				cp.fail(d.Pos, d.ID, "condition rule needs when")
			}
			cp.add(r, &cp.c.conditions, d.Pos)
			order++
		}
	}
	cp.expandSelectors()
	return cp.c, meta
}

// expandSelectors precomputes, for each selector, the set of drugs it matches, so evaluation is
// one bit test per medication.
func (cp *compiler) expandSelectors() {
	seen := map[*selector]bool{}
	expand := func(s *selector) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		s.all = newBitset(len(cp.c.drugs))
		for d := range cp.c.drugs {
			if s.drugs.has(d) || s.classes.intersects(cp.c.drugs[d].classes) {
				s.all.set(d)
			}
		}
	}
	var walk func(c *cond)
	walk = func(c *cond) {
		if c == nil {
			return
		}
		expand(c.sel)
		for _, k := range c.kids {
			walk(k)
		}
	}
	for _, r := range cp.c.all {
		expand(r.a)
		expand(r.b)
		expand(r.allergen)
		expand(r.drug)
		walk(r.when)
		for _, m := range r.modifiers {
			walk(m.when)
		}
	}
}

func (cp *compiler) add(r *rule, list *[]*rule, p pos) {
	if r.id == "" {
		return
	}
	if _, dup := cp.c.ruleByID[r.id]; dup {
		cp.fail(p, r.id, "duplicate rule id")
		return
	}
	if _, clash := cp.c.classByID[r.id]; clash {
		cp.fail(p, r.id, "rule id is also a class id")
	}
	cp.c.ruleByID[r.id] = r
	cp.c.all = append(cp.c.all, r)
	*list = append(*list, r)
}

func (cp *compiler) drugIndex(m memberDoc, classID string) int {
	name := m.Name
	if di, ok := cp.c.byName[name]; ok {
		d := &cp.c.drugs[di]
		if d.name != name {
			cp.fail(m.Pos, classID, "member %q is already an alias of %q", name, d.name)
			return di
		}
		switch {
		case m.RxCUI != "" && d.rxcui != "" && m.RxCUI != d.rxcui:
			cp.fail(m.Pos, classID, "member %q: rxcui %s conflicts with rxcui %s given in another class", name, m.RxCUI, d.rxcui)
		case m.RxCUI != "" && d.rxcui == "":
			cp.setRxCUI(m, classID, di)
		}
		cp.aliases(m, classID, di)
		return di
	}
	di := len(cp.c.drugs)
	cp.c.drugs = append(cp.c.drugs, drug{name: name})
	cp.c.byName[name] = di
	if w := len(strings.Fields(name)); w > cp.c.maxWords {
		cp.c.maxWords = w
	}
	if m.RxCUI != "" {
		cp.setRxCUI(m, classID, di)
	}
	cp.aliases(m, classID, di)
	return di
}

func (cp *compiler) setRxCUI(m memberDoc, classID string, di int) {
	if prev, ok := cp.c.byRxCUI[m.RxCUI]; ok && prev != di {
		cp.fail(m.Pos, classID, "rxcui %s is given to both %q and %q", m.RxCUI, cp.c.drugs[prev].name, m.Name)
		return
	}
	cp.c.byRxCUI[m.RxCUI] = di
	cp.c.drugs[di].rxcui = m.RxCUI
}

func (cp *compiler) aliases(m memberDoc, classID string, di int) {
	for _, a := range m.Aliases {
		a = norm(a)
		if prev, ok := cp.c.byName[a]; ok && prev != di {
			cp.fail(m.Pos, classID, "alias %q of %q already names %q", a, m.Name, cp.c.drugs[prev].name)
			continue
		}
		cp.c.byName[a] = di
		if w := len(strings.Fields(a)); w > cp.c.maxWords {
			cp.c.maxWords = w
		}
	}
}

func (cp *compiler) citation(p pos, id string, c *Citation) Citation {
	if c == nil {
		cp.fail(p, id, "missing citation (label and url of a public source)")
		return Citation{}
	}
	if strings.TrimSpace(c.Label) == "" {
		cp.fail(p, id, "citation has no label")
	}
	if !strings.HasPrefix(c.URL, "https://") && !strings.HasPrefix(c.URL, "http://") {
		cp.fail(p, id, "citation url %q is not an http(s) URL", c.URL)
	}
	return *c
}

// at is where field of a rule starts, or the rule itself when the field is absent.
func (d *common) at(field string) pos {
	if p, ok := d.Keys[field]; ok {
		return p
	}
	return d.Pos
}

func (cp *compiler) rule(d *common, kind string, order int, slots []string) *rule {
	r := &rule{file: cp.file, line: d.Pos.Line, col: d.Pos.Col, id: d.ID, kind: kind, order: order, highPriority: d.HighPriority,
		summary: d.Summary, mechanism: strings.TrimSpace(d.Mechanism), management: strings.TrimSpace(d.Management)}
	if d.ID == "" {
		cp.fail(d.Pos, "", "rule has no id")
	} else if !idPattern.MatchString(d.ID) {
		cp.fail(d.at("id"), d.ID, "rule id must be lowercase letters, digits and dashes")
	}
	s, ok := parseSev(d.Severity)
	if !ok {
		cp.fail(d.at("severity"), d.ID, "severity %q is not one of %s", d.Severity, strings.Join(sevNames, ", "))
	}
	r.sev = s
	cp.summary(d.at("summary"), d.ID, d.Summary, slots)
	if r.mechanism == "" {
		cp.fail(d.Pos, d.ID, "missing mechanism")
	}
	if r.management == "" {
		cp.fail(d.Pos, d.ID, "missing management (what to do)")
	}
	r.citation = cp.citation(d.at("citation"), d.ID, d.Citation)
	for _, a := range d.Alternatives {
		n := norm(a.Name)
		di, known := cp.c.byName[n]
		switch {
		case !known:
			cp.fail(d.at("alternatives"), d.ID, "alternative %q is not a known drug", a.Name)
		case a.RxCUI != "" && a.RxCUI != cp.c.drugs[di].rxcui:
			cp.fail(d.at("alternatives"), d.ID, "alternative %q: rxcui %s differs from the class member's %q", a.Name, a.RxCUI, cp.c.drugs[di].rxcui)
		default:
			r.alternatives = append(r.alternatives, Alternative{Name: cp.c.drugs[di].name, RxCUI: cp.c.drugs[di].rxcui})
		}
	}
	if d.When != nil {
		r.when = cp.cond(d.ID, d.When)
	}
	for _, m := range d.Modifiers {
		mod := modifier{note: strings.TrimSpace(m.Note), quiet: m.Quiet}
		if m.When == nil {
			cp.fail(m.Pos, d.ID, "modifier needs when")
		} else {
			mod.when = cp.cond(d.ID, m.When)
		}
		if m.Severity != "" {
			s, ok := parseSev(m.Severity)
			if !ok {
				cp.fail(m.Pos, d.ID, "modifier severity %q is not one of %s", m.Severity, strings.Join(sevNames, ", "))
			}
			mod.sev, mod.hasSev = s, true
		}
		if m.Quiet && (m.Severity != "") {
			cp.fail(m.Pos, d.ID, "a quiet modifier sets no severity")
		}
		if !m.Quiet && m.Severity == "" && mod.note == "" {
			cp.fail(m.Pos, d.ID, "modifier changes nothing (give severity, note or quiet)")
		}
		r.modifiers = append(r.modifiers, mod)
	}
	return r
}

func (cp *compiler) summary(p pos, id, s string, slots []string) {
	if strings.TrimSpace(s) == "" {
		cp.fail(p, id, "missing summary")
		return
	}
	n := len([]rune(s))
	for _, ph := range placeholder.FindAllString(s, -1) {
		name := strings.Trim(ph, "{}")
		ok := false
		for _, sl := range slots {
			ok = ok || sl == name
		}
		if !ok {
			cp.fail(p, id, "summary placeholder %s is not one of {%s}", ph, strings.Join(slots, "}, {"))
		}
		n += placeholderWidth - len(ph)
	}
	if n >= 140 {
		cp.fail(p, id, "summary is %d characters with names filled in; cards need under 140", n)
	}
}

func (cp *compiler) selector(p pos, id, slot string, d *selectorDoc) *selector {
	s := &selector{drugs: newBitset(len(cp.c.drugs)), classes: newBitset(len(cp.c.classes))}
	if d == nil {
		cp.fail(p, id, "missing %s", slot)
		return s
	}
	if len(d.Drugs) == 0 && len(d.Classes) == 0 {
		cp.fail(d.Pos, id, "%s names no drugs and no classes", slot)
	}
	var labels []string
	for _, c := range d.Classes {
		ci, ok := cp.c.classByID[c]
		if !ok {
			cp.fail(d.Pos, id, "%s: unknown class %q", slot, c)
			continue
		}
		s.classes.set(ci)
		labels = append(labels, cp.c.classes[ci].name)
	}
	for _, n := range d.Drugs {
		di, ok := cp.c.byName[norm(n)]
		if !ok {
			cp.fail(d.Pos, id, "%s: unknown drug %q (not a member of any class)", slot, n)
			continue
		}
		s.drugs.set(di)
		labels = append(labels, cp.c.drugs[di].name)
	}
	for _, r := range d.ExcludeRoutes {
		s.excludeRoutes = append(s.excludeRoutes, norm(r))
	}
	s.label = strings.Join(labels, " or ")
	return s
}

func (cp *compiler) quantity(id, field string, q *quantityDoc) *quantity {
	if q == nil {
		return nil
	}
	if q.Value <= 0 {
		cp.fail(q.Pos, id, "%s must be positive", field)
	}
	v, u, ok := normQuantity(q.Value, q.Unit)
	if !ok {
		cp.fail(q.Pos, id, "%s: unknown unit %q (mg, g, mcg, units, ml)", field, q.Unit)
	}
	return &quantity{value: v, unit: u}
}

func (cp *compiler) cond(id string, d *condDoc) *cond {
	set := 0
	c := &cond{}
	if d.All != nil {
		set++
		c.op = opAll
	}
	if d.Any != nil {
		set++
		c.op = opAny
	}
	if d.Not != nil {
		set++
		c.op = opNot
	}
	if d.Taking != nil {
		set++
		c.op = opTaking
	}
	if d.Age != nil {
		set++
		c.op = opAge
	}
	if d.Lab != nil {
		set++
		c.op = opLab
	}
	if d.Condition != nil {
		set++
		c.op = opCondition
	}
	if set != 1 {
		cp.fail(d.Pos, id, "a condition has exactly one of all, any, not, taking, age, lab, condition (got %d)", set)
		return c
	}
	switch c.op {
	case opAll, opAny:
		kids := d.All
		if c.op == opAny {
			kids = d.Any
		}
		if len(kids) == 0 {
			cp.fail(d.Pos, id, "all/any needs at least one condition")
		}
		for i := range kids {
			c.kids = append(c.kids, cp.cond(id, &kids[i]))
		}
	case opNot:
		c.kids = []*cond{cp.cond(id, d.Not)}
	case opTaking:
		c.sel = cp.selector(d.Pos, id, "taking", d.Taking)
	case opAge:
		c.bound = cp.bound(d.Age.Pos, id, "age", d.Age.Lt, d.Age.Lte, d.Age.Gt, d.Age.Gte)
	case opLab:
		if _, ok := knownLabs[d.Lab.Kind]; !ok {
			kinds := make([]string, 0, len(knownLabs))
			for k := range knownLabs {
				kinds = append(kinds, k)
			}
			sort.Strings(kinds)
			cp.fail(d.Lab.Pos, id, "unknown lab kind %q (known: %s)", d.Lab.Kind, strings.Join(kinds, ", "))
		}
		c.labKind = d.Lab.Kind
		c.bound = cp.bound(d.Lab.Pos, id, "lab", d.Lab.Lt, d.Lab.Lte, d.Lab.Gt, d.Lab.Gte)
	case opCondition:
		m := d.Condition
		if len(m.ICD10) == 0 && len(m.SNOMED) == 0 && len(m.Text) == 0 {
			cp.fail(m.Pos, id, "condition needs icd10, snomed or text")
		}
		if m.Label == "" {
			cp.fail(m.Pos, id, "condition needs a label (shown as the reason)")
		}
		c.label = m.Label
		for _, code := range m.ICD10 {
			c.icd10 = append(c.icd10, strings.ToUpper(strings.ReplaceAll(code, ".", "")))
		}
		c.snomed = m.SNOMED
		for _, t := range m.Text {
			c.text = append(c.text, norm(t))
		}
	}
	return c
}

func (cp *compiler) bound(p pos, id, what string, lt, lte, gt, gte *float64) bound {
	var b bound
	if lt == nil && lte == nil && gt == nil && gte == nil {
		cp.fail(p, id, "%s needs lt, lte, gt or gte", what)
	}
	if lt != nil {
		b.lt, b.hasLt = *lt, true
	}
	if lte != nil {
		b.lte, b.hasLte = *lte, true
	}
	if gt != nil {
		b.gt, b.hasGt = *gt, true
	}
	if gte != nil {
		b.gte, b.hasGte = *gte, true
	}
	return b
}

// norm lowercases and collapses spaces, for names.
func norm(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// normQuantity converts mass to mg; other units are kept (lowercase).
func normQuantity(v float64, unit string) (float64, string, bool) {
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "mg":
		return v, "mg", true
	case "g":
		return v * 1000, "mg", true
	case "mcg", "ug", "µg", "microgram", "micrograms":
		return v / 1000, "mg", true
	case "unit", "units", "u", "[iu]", "iu":
		return v, "units", true
	case "ml", "mL":
		return v, "ml", true
	}
	return v, unit, false
}

func (r *rule) String() string { return fmt.Sprintf("%s rule %s", r.kind, r.id) }
