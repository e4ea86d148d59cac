package rules

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
)

// The rule test format (files ending in _test.yaml beside the rule files), like promtool's rule
// tests: each case gives a patient and the exact list of alerts expected. An alert not listed
// fails the case, so every case also checks that the other rules stay quiet; `quiet` names the
// rules the case is meant to keep quiet, which `rules check` counts for coverage.

type testFileDoc struct {
	Tests []testCaseDoc `yaml:"tests"`
}

type testCaseDoc struct {
	Pos     pos         `yaml:"-"`
	Name    string      `yaml:"name"`
	Patient patientDoc  `yaml:"patient"`
	Expect  []expectDoc `yaml:"expect"`
	Quiet   []string    `yaml:"quiet"`
}

type patientDoc struct {
	Pos        pos           `yaml:"-"`
	Age        *int          `yaml:"age"`
	Sex        string        `yaml:"sex"`
	Meds       []testMedDoc  `yaml:"meds"`
	Allergies  []testAllergy `yaml:"allergies"`
	Conditions []testCondDoc `yaml:"conditions"`
	Labs       []testLabDoc  `yaml:"labs"`
}

type testMedDoc struct {
	Pos       pos          `yaml:"-"`
	ID        string       `yaml:"id"`
	Name      string       `yaml:"name"`
	RxCUI     string       `yaml:"rxcui"`
	Status    string       `yaml:"status"`
	Dose      *quantityDoc `yaml:"dose"`
	Frequency string       `yaml:"frequency"`
	Route     string       `yaml:"route"`
	Draft     bool         `yaml:"draft"`
	FromVisit bool         `yaml:"from_visit"`
}

type testAllergy struct {
	Pos       pos    `yaml:"-"`
	Substance string `yaml:"substance"`
	RxCUI     string `yaml:"rxcui"`
	Reaction  string `yaml:"reaction"`
	FromVisit bool   `yaml:"from_visit"`
}

type testCondDoc struct {
	Pos       pos    `yaml:"-"`
	Text      string `yaml:"text"`
	ICD10     string `yaml:"icd10"`
	SNOMED    string `yaml:"snomed"`
	FromVisit bool   `yaml:"from_visit"`
}

type testLabDoc struct {
	Pos   pos     `yaml:"-"`
	Kind  string  `yaml:"kind"`
	Value float64 `yaml:"value"`
	Unit  string  `yaml:"unit"`
}

type expectDoc struct {
	Pos          pos      `yaml:"-"`
	Rule         string   `yaml:"rule"`
	Severity     string   `yaml:"severity"`
	HighPriority *bool    `yaml:"high_priority"`
	Meds         []string `yaml:"meds"`
	Draft        string   `yaml:"draft"`
	FromVisit    *bool    `yaml:"from_visit"`
}

// TestCase is one loaded rule test.
type TestCase struct {
	File      string
	Line, Col int
	Name      string
	Patient   Patient
	expect    []expectDoc
	quiet     []string
}

// TestResult is the outcome of one case; Failures is empty when it passed.
type TestResult struct {
	File     string
	Line     int
	Name     string
	Failures []string
}

// TestReport is the outcome of a rule test run.
type TestReport struct {
	Results        []TestResult
	Passed, Failed int
}

// LoadTests reads every *_test.yaml directly under root, strictly, checking that the rules they
// name exist in rs. Problems come back as an *Errors.
func LoadTests(rs *RuleSet, fsys fs.FS, root string) ([]TestCase, error) {
	names, err := listFiles(fsys, root, isTestFile)
	if err != nil {
		return nil, err
	}
	errs := &Errors{}
	var cases []TestCase
	for _, n := range names {
		p := path.Join(root, n)
		data, err := readRuleFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("read rule test file: %w", err)
		}
		doc := &testFileDoc{}
		decodeFile(p, data, doc, errs)
		seen := map[string]bool{}
		for _, tc := range doc.Tests {
			cases = append(cases, buildCase(rs, p, tc, errs, seen))
		}
	}
	if err := errs.orNil(); err != nil {
		return nil, err
	}
	return cases, nil
}

func buildCase(rs *RuleSet, file string, tc testCaseDoc, errs *Errors, seen map[string]bool) TestCase {
	fail := func(p pos, format string, args ...any) {
		errs.add(file, p.Line, p.Col, "", "test %q: %s", tc.Name, fmt.Sprintf(format, args...))
	}
	if tc.Name == "" {
		fail(tc.Pos, "test has no name")
	} else if seen[tc.Name] {
		fail(tc.Pos, "duplicate test name in this file")
	}
	seen[tc.Name] = true
	c := TestCase{File: file, Line: tc.Pos.Line, Col: tc.Pos.Col, Name: tc.Name, expect: tc.Expect, quiet: tc.Quiet}
	p := &c.Patient
	p.Age, p.Sex = tc.Patient.Age, tc.Patient.Sex
	ids := map[string]bool{}
	for _, m := range tc.Patient.Meds {
		id := m.ID
		if id == "" {
			id = m.Name
		}
		if id == "" {
			fail(m.Pos, "medication needs a name or id")
		}
		if ids[id] {
			fail(m.Pos, "medication id %q used twice; give ids", id)
		}
		ids[id] = true
		med := Med{ID: id, Name: m.Name, RxCUI: m.RxCUI, Status: m.Status, Frequency: m.Frequency,
			Route: m.Route, Draft: m.Draft, FromVisit: m.FromVisit}
		if m.Dose != nil {
			med.Dose = &Quantity{Value: m.Dose.Value, Unit: m.Dose.Unit}
		}
		p.Medications = append(p.Medications, med)
	}
	for _, a := range tc.Patient.Allergies {
		p.Allergies = append(p.Allergies, Allergy{Substance: a.Substance, RxCUI: a.RxCUI, Reaction: a.Reaction, FromVisit: a.FromVisit})
	}
	for _, cd := range tc.Patient.Conditions {
		p.Conditions = append(p.Conditions, Condition{Text: cd.Text, ICD10: cd.ICD10, SNOMED: cd.SNOMED, FromVisit: cd.FromVisit})
	}
	for _, l := range tc.Patient.Labs {
		if _, ok := knownLabs[l.Kind]; !ok {
			fail(l.Pos, "unknown lab kind %q", l.Kind)
		}
		p.Labs = append(p.Labs, Lab{Kind: l.Kind, Value: l.Value, Unit: l.Unit})
	}
	for _, e := range tc.Expect {
		if _, ok := rs.c.ruleByID[e.Rule]; !ok {
			fail(e.Pos, "expects unknown rule %q", e.Rule)
		}
		if e.Severity != "" {
			if _, ok := parseSev(e.Severity); !ok {
				fail(e.Pos, "unknown severity %q", e.Severity)
			}
		}
		for _, m := range e.Meds {
			if !ids[m] {
				fail(e.Pos, "expects medication %q, which the patient does not have", m)
			}
		}
		if e.Draft != "" && !ids[e.Draft] {
			fail(e.Pos, "expects draft %q, which the patient does not have", e.Draft)
		}
	}
	for _, q := range tc.Quiet {
		if _, ok := rs.c.ruleByID[q]; !ok {
			fail(tc.Pos, "quiet names unknown rule %q", q)
		}
		for _, e := range tc.Expect {
			if e.Rule == q {
				fail(tc.Pos, "rule %q is both expected and quiet", q)
			}
		}
	}
	return c
}

// Run evaluates every case against rs.
func (rs *RuleSet) Run(cases []TestCase) *TestReport {
	rep := &TestReport{}
	for i := range cases {
		tc := &cases[i]
		res := TestResult{File: tc.File, Line: tc.Line, Name: tc.Name, Failures: check(rs.Evaluate(&tc.Patient), tc)}
		if len(res.Failures) == 0 {
			rep.Passed++
		} else {
			rep.Failed++
		}
		rep.Results = append(rep.Results, res)
	}
	return rep
}

func describe(a *Alert) string {
	s := fmt.Sprintf("%s (%s", a.RuleID, a.Severity)
	if a.HighPriority {
		s += ", high priority"
	}
	return s + ", meds " + strings.Join(a.Meds, "+") + ")"
}

func check(alerts []Alert, tc *TestCase) []string {
	var fails []string
	used := make([]bool, len(alerts))
	for _, e := range tc.expect {
		found := false
		for i := range alerts {
			a := &alerts[i]
			if used[i] || a.RuleID != e.Rule {
				continue
			}
			if e.Severity != "" && a.Severity != e.Severity {
				continue
			}
			if e.HighPriority != nil && a.HighPriority != *e.HighPriority {
				continue
			}
			if e.FromVisit != nil && a.FromVisit != *e.FromVisit {
				continue
			}
			if e.Draft != "" && a.DraftMedID != e.Draft {
				continue
			}
			if len(e.Meds) > 0 {
				x, y := slices.Clone(e.Meds), slices.Clone(a.Meds)
				sort.Strings(x)
				sort.Strings(y)
				if !slices.Equal(x, y) {
					continue
				}
			}
			used[i], found = true, true
			break
		}
		if !found {
			want := e.Rule
			if e.Severity != "" {
				want += " (" + e.Severity + ")"
			}
			if len(e.Meds) > 0 {
				want += " for " + strings.Join(e.Meds, "+")
			}
			var got []string
			for i := range alerts {
				if alerts[i].RuleID == e.Rule {
					got = append(got, describe(&alerts[i]))
				}
			}
			msg := "expected " + want + ", not raised"
			if len(got) > 0 {
				msg += "; raised instead: " + strings.Join(got, ", ")
			}
			fails = append(fails, msg)
		}
	}
	for i := range alerts {
		if used[i] {
			continue
		}
		a := &alerts[i]
		if slices.Contains(tc.quiet, a.RuleID) {
			fails = append(fails, "rule "+a.RuleID+" should stay quiet but raised "+describe(a))
		} else {
			fails = append(fails, "unexpected alert "+describe(a))
		}
	}
	return fails
}

// Check lints a rule directory as `medscribe rules check` does: a strict load, then the tests
// beside it, requiring for every rule at least one case where it fires and one near-miss case
// (a patient with a drug the rule is about) where it stays quiet. All problems come back at once
// as an *Errors; the rule set is returned when it loads.
func Check(fsys fs.FS, root string) (*RuleSet, error) {
	rs, err := Load(fsys, root)
	if err != nil {
		return nil, err
	}
	cases, err := LoadTests(rs, fsys, root)
	if err != nil {
		return rs, err
	}
	errs := &Errors{}
	if len(cases) == 0 {
		errs.add(root, 0, 0, "", "no rule tests (*_test.yaml): every rule needs tests")
	}
	fires := map[string]bool{}
	quiet := map[string]bool{}
	for i := range cases {
		tc := &cases[i]
		for _, e := range tc.expect {
			fires[e.Rule] = true
		}
		for _, q := range tc.quiet {
			r := rs.c.ruleByID[q]
			if !rs.c.nearMiss(r, &tc.Patient) {
				errs.add(tc.File, tc.Line, tc.Col, q, "test %q lists the rule as quiet but the patient has none of the drugs it is about", tc.Name)
				continue
			}
			quiet[q] = true
		}
	}
	for _, r := range rs.c.all {
		if !fires[r.id] {
			errs.add(r.file, r.line, r.col, r.id, "no test expects this rule to fire")
		}
		if !quiet[r.id] {
			errs.add(r.file, r.line, r.col, r.id, "no test checks that this rule stays quiet (list it under quiet: in a near-miss case)")
		}
	}
	return rs, errs.orNil()
}

// nearMiss says whether p has something r is about, so a quiet result means something.
func (c *compiled) nearMiss(r *rule, p *Patient) bool {
	meds := c.resolveMeds(p)
	anyMed := func(s *selector) bool {
		for i := range meds {
			if s != nil && s.matchDrug(c, meds[i].drug) {
				return true
			}
		}
		return false
	}
	switch r.kind {
	case KindInteraction, KindDuplicate:
		return anyMed(r.a) || anyMed(r.b)
	case KindAllergy:
		if r.sameIngredient {
			return len(p.Allergies) > 0 && len(meds) > 0
		}
		if anyMed(r.drug) {
			return true
		}
		for _, a := range p.Allergies {
			d := c.resolveDrug(a.RxCUI, a.Substance)
			if r.allergen.drugs.has(d) || (d >= 0 && r.allergen.classes.intersects(c.drugs[d].classes)) {
				return true
			}
			if ci := scanNames(norm(a.Substance), c.maxAliasWords, c.classAlias); ci >= 0 && r.allergen.classes.intersects(c.allergenClasses[ci]) {
				return true
			}
		}
		return false
	default:
		return anyMed(r.drug)
	}
}
