package rules

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func shippedSet(t testing.TB) *RuleSet {
	t.Helper()
	rs, err := Default()
	require.NoError(t, err)
	return rs
}

// TestShippedRuleSetPassesCheck runs `rules check` on the shipped set: strict load, every rule
// with a firing test and a near-miss quiet test.
func TestShippedRuleSetPassesCheck(t *testing.T) {
	t.Parallel()
	fsys, root := ShippedFS()
	_, err := Check(fsys, root)
	if err != nil {
		t.Fatalf("shipped rule set fails check:\n%v", err)
	}
}

// TestShippedRuleTests runs every shipped rule test case as a subtest.
func TestShippedRuleTests(t *testing.T) {
	t.Parallel()
	fsys, root := ShippedFS()
	rs := shippedSet(t)
	cases, err := LoadTests(rs, fsys, root)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(cases), 2*len(rs.c.all), "every rule needs a firing and a quiet test")
	rep := rs.Run(cases)
	for _, r := range rep.Results {
		t.Run(filepath.Base(r.File)+"/"+r.Name, func(t *testing.T) {
			for _, f := range r.Failures {
				t.Error(f)
			}
		})
	}
	assert.Equal(t, len(cases), rep.Passed)
}

// oncPairs are the 15 interaction pairs of Phansalkar et al. 2012 and the rules covering them.
var oncPairs = map[string][]string{
	"amphetamine derivatives + MAOIs":          {"onc-amphetamine-maoi"},
	"atazanavir + PPIs":                        {"onc-atazanavir-ppi"},
	"azathioprine/mercaptopurine + febuxostat": {"onc-thiopurine-febuxostat"},
	"SSRIs + MAOIs":                            {"onc-ssri-maoi"},
	"irinotecan + strong CYP3A4 inhibitors":    {"onc-irinotecan-cyp3a4-inhibitor"},
	"narcotic analgesics + MAOIs":              {"onc-opioid-maoi", "onc-opioid-maoi-other"},
	"TCAs + MAOIs":                             {"onc-tca-maoi"},
	"QT-prolonging agents + QT agents":         {"onc-qt-qt"},
	"ramelteon + CYP1A2 inhibitors":            {"onc-ramelteon-cyp1a2-inhibitor"},
	"CYP3A4 inducers + protease inhibitors":    {"onc-cyp3a4-inducer-protease-inhibitor"},
	"statins + CYP3A4/protease inhibitors":     {"onc-statin-cyp3a4-inhibitor", "onc-atorvastatin-cyp3a4-inhibitor"},
	"ergot alkaloids + CYP3A4/PIs":             {"onc-ergot-cyp3a4-inhibitor"},
	"tizanidine + CYP1A2 inhibitors":           {"onc-tizanidine-cyp1a2-inhibitor"},
	"tranylcypromine + procarbazine":           {"onc-tranylcypromine-procarbazine"},
	"triptans + MAOIs":                         {"onc-triptan-maoi"},
}

func TestONCHighPriorityPairsCovered(t *testing.T) {
	t.Parallel()
	rs := shippedSet(t)
	require.Len(t, oncPairs, 15)
	covered := map[string]bool{}
	for pair, ids := range oncPairs {
		for _, id := range ids {
			r, ok := rs.c.ruleByID[id]
			if assert.True(t, ok, "%s: rule %s missing", pair, id) {
				assert.True(t, r.highPriority, "%s: rule %s not high priority", pair, id)
				assert.Equal(t, KindInteraction, r.kind)
				assert.Contains(t, r.citation.URL, "10.1136/amiajnl-2011-000612")
				covered[id] = true
			}
		}
	}
	// No rule claims high priority without being on the list.
	for _, r := range rs.c.all {
		if r.highPriority {
			assert.True(t, covered[r.id], "rule %s is high priority but not an ONC pair", r.id)
		}
	}
}

func TestEveryRuleCitesAPublicSource(t *testing.T) {
	t.Parallel()
	rs := shippedSet(t)
	for _, r := range rs.c.all {
		assert.NotEmpty(t, r.citation.Label, r.id)
		assert.Regexp(t, `^https?://`, r.citation.URL, r.id)
		assert.NotEmpty(t, r.mechanism, r.id)
		assert.NotEmpty(t, r.management, r.id)
	}
	for _, c := range rs.c.classes {
		assert.Regexp(t, `^https?://`, c.citation.URL, c.id)
	}
}

// TestBadRuleFiles loads each testdata/bad/*.bad.yaml alone and compares every reported problem
// with the golden *.bad.yaml.errors file (go test -update rewrites them).
func TestBadRuleFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.bad.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			name := filepath.Base(f)
			_, err = Load(fstest.MapFS{name: {Data: data}}, ".")
			var perrs *Errors
			require.True(t, errors.As(err, &perrs), "want *Errors, got %v", err)
			got := perrs.Error() + "\n"
			golden := f + ".errors"
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test -update to create %s", golden)
			assert.Equal(t, string(want), got)
			for _, p := range perrs.Problems {
				assert.Equal(t, name, p.File)
			}
		})
	}
}

func TestManyProblemsReportedAtOnce(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/bad/many-problems.bad.yaml")
	require.NoError(t, err)
	_, err = Load(fstest.MapFS{"r.yaml": {Data: data}}, ".")
	var perrs *Errors
	require.True(t, errors.As(err, &perrs))
	msgs := perrs.Error()
	for _, want := range []string{
		`r.yaml:9:9: rule nsaid: member name "Naproxen" must be lowercase`,
		`rule nsaid: member "ketorolac": rxcui "R123" is not an RxNorm concept id`,
		`r.yaml:11:5: rule nsaid: duplicate class id`,
		`rule anticoagulant: missing citation`,
		`rule ddi-warfarin-nsaid: b: unknown class "nsaids"`,
		`rule ddi-warfarin-nsaid: severity "severe" is not one of`,
		`r.yaml:27:5: rule ddi-warfarin-nsaid: unknown field "colour"`,
		`rule ddi-warfarin-nsaid: duplicate rule id`,
		`rule ddi-warfarin-nsaid: b: unknown drug "ibuprofin"`,
		`cards need under 140`,
		`rule ddi-no-management: missing management`,
		`rule ddi-no-management: summary placeholder {c} is not one of {a}, {b}`,
		`rule ddi-no-management: citation url "ftp://example.org" is not an http(s) URL`,
		`rule ddi-no-management: unknown lab kind "sodium"`,
		`rule ddi-no-management: a condition has exactly one of all, any, not, taking, age, lab, condition (got 2)`,
	} {
		assert.Contains(t, msgs, want)
	}
}

func TestRuleTestRunnerReportsFailures(t *testing.T) {
	t.Parallel()
	fsys := os.DirFS("testdata/failing")
	rs, err := Load(fsys, ".")
	require.NoError(t, err)
	cases, err := LoadTests(rs, fsys, ".")
	require.NoError(t, err)
	rep := rs.Run(cases)
	assert.Equal(t, 1, rep.Passed)
	assert.Equal(t, 2, rep.Failed)
	require.Len(t, rep.Results, 3)
	assert.Equal(t, []string{
		"expected ddi-warfarin-nsaid (minor), not raised; raised instead: ddi-warfarin-nsaid (major, meds warfarin+naproxen)",
		"unexpected alert ddi-warfarin-nsaid (major, meds warfarin+naproxen)",
	}, rep.Results[0].Failures)
	assert.Equal(t, []string{"rule ddi-warfarin-nsaid should stay quiet but raised ddi-warfarin-nsaid (major, meds warfarin+ibuprofen)"}, rep.Results[1].Failures)
	assert.Empty(t, rep.Results[2].Failures)
}

func TestCheckRequiresTestsForEveryRule(t *testing.T) {
	t.Parallel()
	rules, err := os.ReadFile("testdata/good/rules.yaml")
	require.NoError(t, err)
	fsys := fstest.MapFS{
		"rules.yaml": {Data: rules},
		"rules_test.yaml": {Data: []byte(`tests:
  - name: fires only
    patient: {meds: [{name: warfarin}, {name: naproxen}]}
    expect: [{rule: ddi-warfarin-nsaid}]
  - name: not a near miss
    patient: {meds: [{name: lisinopril}]}
    quiet: [ddi-warfarin-nsaid]
`)},
	}
	_, err = Check(fsys, ".")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `rules_test.yaml:5:5: rule ddi-warfarin-nsaid: test "not a near miss" lists the rule as quiet but the patient has none of the drugs it is about`)
	assert.Contains(t, err.Error(), "rules.yaml:12:5: rule ddi-warfarin-nsaid: no test checks that this rule stays quiet")

	_, err = Check(os.DirFS("testdata/good"), ".")
	assert.NoError(t, err)
}

func TestTestFileProblems(t *testing.T) {
	t.Parallel()
	rules, err := os.ReadFile("testdata/good/rules.yaml")
	require.NoError(t, err)
	fsys := fstest.MapFS{
		"rules.yaml": {Data: rules},
		"x_test.yaml": {Data: []byte(`tests:
  - name: bad
    patient: {meds: [{name: warfarin}], labs: [{kind: sodium, value: 1}], smoker: true}
    expect: [{rule: no-such-rule, meds: [ghost]}]
`)},
	}
	rs, err := Load(fsys, ".")
	require.NoError(t, err)
	_, err = LoadTests(rs, fsys, ".")
	require.Error(t, err)
	for _, want := range []string{
		`x_test.yaml:3:75: unknown field "smoker"`,
		`test "bad": unknown lab kind "sodium"`,
		`test "bad": expects unknown rule "no-such-rule"`,
		`test "bad": expects medication "ghost"`,
	} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestEvaluateAlertContents(t *testing.T) {
	t.Parallel()
	rs := shippedSet(t)
	age := 72
	p := &Patient{
		Age: &age,
		Medications: []Med{
			{ID: "m1", Name: "warfarin", RxCUI: "11289", Status: "active"},
			{ID: "m2", Name: "Ibuprofen 400 MG Oral Tablet", Status: "draft", Draft: true},
			{ID: "m3", Name: "prednisone", Status: "active", FromVisit: true},
		},
	}
	alerts := rs.Evaluate(p)
	require.Len(t, alerts, 1)
	a := alerts[0]
	assert.Equal(t, "ddi-warfarin-nsaid", a.RuleID)
	assert.Equal(t, KindInteraction, a.Kind)
	assert.Equal(t, SeverityMajor, a.Severity)
	assert.False(t, a.HighPriority)
	assert.Equal(t, []string{"m1", "m2"}, a.Meds)
	assert.Equal(t, "m2", a.DraftMedID)
	assert.Equal(t, "Warfarin with ibuprofen: increased bleeding risk, mainly upper GI bleeding", a.Summary)
	assert.Less(t, len([]rune(a.Summary)), 140)
	assert.Equal(t, []string{"not taking proton pump inhibitors or misoprostol", "age 72", "also taking prednisone"}, a.Factors, "every risk factor present is reported")
	assert.Contains(t, a.Detail, "**Major**: warfarin + ibuprofen (ordering).")
	assert.Contains(t, a.Detail, "**Patient factors:** not taking proton pump inhibitors or misoprostol; age 72; also taking prednisone.")
	assert.Contains(t, a.Detail, "use only if the benefit outweighs the risk")
	assert.Contains(t, a.Detail, "**Source:** [HL7 FHIR Potential Drug-Drug Interaction (PDDI) CDS IG: Warfarin + NSAIDs use case](https://hl7.org/fhir/uv/pddi/en/use-cases.html)")
	assert.Equal(t, []Alternative{{Name: "acetaminophen", RxCUI: "161"}}, a.Alternatives)
	assert.True(t, a.FromVisit, "the prednisone factor was said in the visit")
	assert.Equal(t, "ddi-warfarin-nsaid|m1|m2", a.Key())
}

func TestEvaluateOrderAndStatus(t *testing.T) {
	t.Parallel()
	rs := shippedSet(t)
	p := &Patient{
		Medications: []Med{
			{ID: "a", Name: "lisinopril"},
			{ID: "b", Name: "losartan", Draft: true},
			{ID: "c", Name: "simvastatin"},
			{ID: "d", Name: "clarithromycin", Draft: true},
			{ID: "e", Name: "phenelzine", Status: "entered-in-error"},
			{ID: "f", Name: "sumatriptan"},
		},
		Allergies: []Allergy{{Substance: "losartan", Reaction: "angioedema"}},
	}
	var ids []string
	for _, a := range rs.Evaluate(p) {
		ids = append(ids, a.RuleID+":"+a.Severity)
	}
	assert.Equal(t, []string{
		"onc-statin-cyp3a4-inhibitor:contraindicated",
		"allergy-same-ingredient:contraindicated",
		"dup-acei-arb:major",
	}, ids, "most severe first, high priority before others, ignored statuses drop out")
	for i := 0; i < 20; i++ {
		again := rs.Evaluate(p)
		assert.Len(t, again, 3)
		assert.Equal(t, "onc-statin-cyp3a4-inhibitor", again[0].RuleID)
	}
}

func TestAllergyAlertShowsReaction(t *testing.T) {
	t.Parallel()
	rs := shippedSet(t)
	alerts := rs.Evaluate(&Patient{
		Medications: []Med{{ID: "x", Name: "cephalexin", Draft: true}},
		Allergies:   []Allergy{{Substance: "Amoxicillin", Reaction: "hives", FromVisit: true}},
	})
	require.Len(t, alerts, 1)
	a := alerts[0]
	assert.Equal(t, "allergy-aminopenicillin-cephalosporin-side-chain", a.RuleID)
	assert.Equal(t, "Amoxicillin", a.Allergen)
	assert.True(t, a.FromVisit)
	assert.True(t, strings.HasPrefix(a.Detail, "Recorded reaction: hives."))
	assert.Equal(t, "Amoxicillin allergy: cephalexin shares its R1 side chain", a.Summary)
}

func TestClassesOfAndLookup(t *testing.T) {
	t.Parallel()
	rs := shippedSet(t)
	assert.Equal(t, []string{"nsaid", "nsaid-nonselective"}, rs.ClassesOf("", "Ibuprofen 200 MG Oral Tablet"))
	assert.Equal(t, []string{"anticoagulant", "vitamin-k-antagonist"}, rs.ClassesOf("11289", ""))
	assert.Equal(t, []string{"opioid", "opioid-serotonergic", "qt-high-risk"}, rs.ClassesOf("", "methadone"))
	assert.Nil(t, rs.ClassesOf("", "unobtainium"))
	name, rx, ok := rs.Lookup("", "Zestril 10 mg")
	assert.True(t, ok)
	assert.Equal(t, "lisinopril", name)
	assert.Equal(t, "29046", rx)
	_, _, ok = rs.Lookup("999999999", "")
	assert.False(t, ok)
}

func TestVersionAndCounts(t *testing.T) {
	t.Parallel()
	rs := shippedSet(t)
	assert.Regexp(t, `^medscribe-drug-safety@\d+\.\d+\.\d+\+sha256:[0-9a-f]{12}$`, rs.Version())
	c := rs.Counts()
	assert.Equal(t, c["rules"], c["interactions"]+c["duplicates"]+c["allergies"]+c["doses"]+c["conditions"])
	assert.Equal(t, 17, c["high_priority"])

	infos := rs.Rules()
	require.Len(t, infos, c["rules"])
	info, ok := rs.Rule("onc-atazanavir-ppi")
	require.True(t, ok)
	assert.Equal(t, RuleInfo{ID: "onc-atazanavir-ppi", Kind: KindInteraction, Severity: SeverityMajor, HighPriority: true,
		Summary:  "{a} with {b}: atazanavir levels fall, risk of HIV treatment failure",
		Citation: Citation{Label: "Phansalkar S et al. High-priority drug-drug interactions for use in EHRs. JAMIA 2012;19(5):735-43 (ONC list)", URL: "https://doi.org/10.1136/amiajnl-2011-000612"}}, info)
	_, ok = rs.Rule("no-such-rule")
	assert.False(t, ok)
}

func TestEvaluateConcurrent(t *testing.T) {
	t.Parallel()
	rs := shippedSet(t)
	p := benchPatient()
	want := rs.Evaluate(p)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				got := rs.Evaluate(p)
				if !assert.Equal(t, len(want), len(got)) {
					return
				}
				for j := range got {
					assert.Equal(t, want[j].RuleID, got[j].RuleID)
				}
			}
		}()
	}
	wg.Wait()
}

func TestPerDay(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"daily", 1, true}, {"BID", 2, true}, {"tid", 3, true}, {"q6h", 4, true}, {"q4-6h", 6, true},
		{"every 8 hours", 3, true}, {"weekly", 1.0 / 7, true}, {"q6h prn", 4, true}, {"3/1d", 3, true},
		{"1/8h", 3, true}, {"1/wk", 1.0 / 7, true}, {"2/1wk", 2.0 / 7, true}, {"prn", 0, false},
		{"as directed", 0, false}, {"", 0, false}, {"q0h", 0, false}, {"x/1d", 0, false},
	} {
		got, ok := perDay(tc.in)
		assert.Equal(t, tc.ok, ok, tc.in)
		assert.InDelta(t, tc.want, got, 1e-9, tc.in)
	}
	assert.Equal(t, "1/1wk", FrequencyFromTiming(1, 1, "wk"))
	assert.Equal(t, "3/1d", FrequencyFromTiming(3, 1, "d"))
}

func TestDuplicateCheckIgnoresVisitEchoOfEHRMed(t *testing.T) {
	t.Parallel()
	rs := shippedSet(t)
	alerts := rs.Evaluate(&Patient{Medications: []Med{
		{ID: "ehr", Name: "lisinopril"}, {ID: "visit", Name: "lisinopril", FromVisit: true}, {ID: "new", Name: "enalapril", Draft: true},
	}})
	var keys []string
	for _, a := range alerts {
		keys = append(keys, a.Key())
	}
	sort.Strings(keys)
	assert.Equal(t, []string{"dup-acei|ehr|new", "dup-acei|visit|new"}, keys)
}

func benchPatient() *Patient {
	age := 71
	return &Patient{
		Age: &age, Sex: "female",
		Medications: []Med{
			{ID: "1", Name: "warfarin", RxCUI: "11289", Status: "active"},
			{ID: "2", Name: "Lisinopril 10 MG Oral Tablet", Status: "active"},
			{ID: "3", Name: "metformin", RxCUI: "6809", Status: "active", Dose: &Quantity{1000, "mg"}, Frequency: "bid"},
			{ID: "4", Name: "atorvastatin", Status: "active"},
			{ID: "5", Name: "omeprazole", Status: "active"},
			{ID: "6", Name: "sertraline", Status: "active"},
			{ID: "7", Name: "furosemide", Status: "active"},
			{ID: "8", Name: "amlodipine", Status: "active"},
			{ID: "9", Name: "ibuprofen", Status: "draft", Draft: true, Dose: &Quantity{800, "mg"}, Frequency: "tid"},
			{ID: "10", Name: "clarithromycin", Status: "draft", Draft: true},
		},
		Allergies:  []Allergy{{Substance: "penicillin"}, {Substance: "sulfa"}, {Substance: "codeine", Reaction: "nausea"}},
		Conditions: []Condition{{Text: "atrial fibrillation", ICD10: "I48.91"}, {Text: "type 2 diabetes", ICD10: "E11.9"}},
		Labs:       []Lab{{Kind: "egfr", Value: 52}, {Kind: "potassium", Value: 4.6}, {Kind: "inr", Value: 2.6}},
	}
}

// BenchmarkEvaluate is the load shape: 8 active meds, 2 drafts, 3 allergies, labs.
func BenchmarkEvaluate(b *testing.B) {
	rs := shippedSet(b)
	p := benchPatient()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n = len(rs.Evaluate(p))
	}
	b.ReportMetric(float64(n), "alerts/op")
}

func TestRuleFilesHaveASizeLimit(t *testing.T) {
	big := append([]byte("# "), bytes.Repeat([]byte("x"), MaxFileBytes)...)
	fsys := fstest.MapFS{"r/big.yaml": {Data: big}}
	_, err := Load(fsys, "r")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "rule files are limited to")
}
