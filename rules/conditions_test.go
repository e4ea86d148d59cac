package rules

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// condRules exercises the condition language on a small rule set.
const condRules = `
ruleset: {name: cond-set, version: 1.0.0}
classes:
  - id: a-class
    name: class A
    citation: {label: "c", url: "https://example.org/a"}
    members: [{name: alpha}, {name: alphaprime}]
  - id: b-class
    name: class B
    citation: {label: "c", url: "https://example.org/b"}
    members: [{name: beta}]
  - id: protector
    name: protective drugs
    citation: {label: "c", url: "https://example.org/p"}
    members: [{name: gamma}]
interactions:
  - id: ab
    a: {classes: [a-class]}
    b: {classes: [b-class]}
    severity: moderate
    summary: "{a} with {b}"
    mechanism: m
    management: w
    citation: {label: "c", url: "https://example.org/r"}
    when: {not: {condition: {label: "on dialysis", text: [dialysis]}}}
    modifiers:
      - when: {all: [{not: {taking: {classes: [protector]}}}, {age: {gte: 65}}]}
        severity: major
        note: older and unprotected
      - when: {lab: {kind: potassium, gte: 6}}
        quiet: true
      - when: {any: [{condition: {label: "ulcer", snomed: ["13200003"]}}, {lab: {kind: egfr, lte: 15}}]}
        severity: contraindicated
`

func TestConditionLanguage(t *testing.T) {
	t.Parallel()
	rs, err := Load(fstest.MapFS{"r.yaml": {Data: []byte(condRules)}}, ".")
	require.NoError(t, err)
	age := func(n int) *int { return &n }
	meds := []Med{{ID: "a", Name: "alpha"}, {ID: "b", Name: "beta", Draft: true}}
	for _, tc := range []struct {
		name     string
		p        Patient
		severity string // "" = quiet
		factors  []string
	}{
		{"no modifier applies", Patient{Age: age(40), Medications: meds}, SeverityModerate, nil},
		{"age without protector escalates", Patient{Age: age(70), Medications: meds}, SeverityMajor,
			[]string{"not taking protective drugs", "age 70"}},
		{"protector present keeps the base severity", Patient{Age: age(70),
			Medications: append([]Med{{ID: "g", Name: "gamma"}}, meds...)}, SeverityModerate, nil},
		{"potassium 6.2 keeps the rule quiet", Patient{Age: age(40), Medications: meds,
			Labs: []Lab{{Kind: "potassium", Value: 6.2}}}, "", nil},
		{"snomed-coded ulcer makes it contraindicated", Patient{Age: age(40), Medications: meds,
			Conditions: []Condition{{Text: "PUD", SNOMED: "13200003"}}}, SeverityContraindicated, []string{"ulcer"}},
		{"eGFR at the lte bound", Patient{Medications: meds, Labs: []Lab{{Kind: "egfr", Value: 15}}},
			SeverityContraindicated, []string{"eGFR 15"}},
		{"the first lab of a kind counts", Patient{Medications: meds,
			Labs: []Lab{{Kind: "egfr", Value: 40}, {Kind: "egfr", Value: 10}}}, SeverityModerate, nil},
		{"precondition false: dialysis", Patient{Medications: meds,
			Conditions: []Condition{{Text: "ESRD on Dialysis"}}}, "", nil},
		{"two members of class A with beta give two alerts", Patient{Medications: append(meds, Med{ID: "a2", Name: "alphaprime"})},
			SeverityModerate, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			alerts := rs.Evaluate(&tc.p)
			if tc.severity == "" {
				assert.Empty(t, alerts)
				return
			}
			require.NotEmpty(t, alerts)
			for _, a := range alerts {
				assert.Equal(t, tc.severity, a.Severity)
				assert.Equal(t, "b", a.DraftMedID)
			}
			assert.Equal(t, tc.factors, alerts[0].Factors)
		})
	}
}
