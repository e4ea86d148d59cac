package vocab

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/visit"
)

// The minimums: at least 1,000 drugs and 1,500 problems, symptoms and exam findings.
func TestDefaultCounts(t *testing.T) {
	v := Default()
	assert.GreaterOrEqual(t, v.Count(KindDrug), 1000, "drugs")
	assert.GreaterOrEqual(t, v.Count(KindProblem)+v.Count(KindFinding), 1500, "problems + findings")
	assert.GreaterOrEqual(t, v.Count(KindFinding), 300, "findings")
	assert.GreaterOrEqual(t, v.Count(KindLab), 80, "labs")
	assert.GreaterOrEqual(t, v.Count(KindImaging), 80, "imaging")
	assert.GreaterOrEqual(t, v.Count(KindProcedure), 100, "procedures")
	assert.GreaterOrEqual(t, v.Count(KindReferral), 40, "referrals")
	assert.GreaterOrEqual(t, v.Count(KindAbbrev), 150, "abbreviations")
	coded := 0
	for _, e := range v.Entries() {
		if e.Kind == KindDrug && e.Code != nil {
			coded++
		}
	}
	assert.GreaterOrEqual(t, coded, 300, "drugs with an RxCUI")
}

// Independent of CheckCode: the shapes the brief states, per system, over every code.
var shapes = map[string]*regexp.Regexp{
	visit.SystemRxNorm:  regexp.MustCompile(`^[0-9]+$`),
	visit.SystemICD10CM: regexp.MustCompile(`^([A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?|U0[79]\.[0-9])$`),
	visit.SystemLOINC:   regexp.MustCompile(`^\d{1,5}-\d$`),
	visit.SystemSNOMED:  regexp.MustCompile(`^[0-9]{6,18}$`),
}

func TestEveryCodeWellFormed(t *testing.T) {
	for _, e := range Default().Entries() {
		codes := e.Codes
		if e.Code != nil {
			codes = append([]visit.Code{*e.Code}, codes...)
			assert.NotEmpty(t, e.Code.Display, "%s: display", e.Term)
		}
		if len(codes) > 0 {
			assert.NotEmpty(t, e.Source, "%s: a coded entry needs a source", e.Term)
		}
		for _, c := range codes {
			re, ok := shapes[c.System]
			if !assert.True(t, ok, "%s: unknown system %s", e.Term, c.System) {
				continue
			}
			assert.Regexp(t, re, c.Code, "%s", e.Term)
			assert.NoError(t, CheckCode(c.System, c.Code), "%s", e.Term)
			switch c.System {
			case visit.SystemLOINC:
				assert.True(t, LOINCCheckDigitValid(c.Code), "%s: LOINC check digit of %s", e.Term, c.Code)
			case visit.SystemSNOMED:
				assert.True(t, VerhoeffValid(c.Code), "%s: Verhoeff check digit of %s", e.Term, c.Code)
			}
		}
		if e.Kind == KindDrug && e.Code != nil {
			assert.Equal(t, visit.SystemRxNorm, e.Code.System, e.Term)
		}
		if (e.Kind == KindProblem || e.Kind == KindFinding) && e.Code != nil {
			assert.Contains(t, []string{visit.SystemICD10CM, visit.SystemSNOMED}, e.Code.System, e.Term)
		}
	}
}

// A surface form must not name two different concepts of the same kind: the engine could not
// choose between them.
func TestNoAmbiguousForms(t *testing.T) {
	type owner struct{ term, code string }
	for _, k := range []Kind{KindDrug, KindProblem, KindFinding, KindLab, KindImaging, KindProcedure, KindReferral, KindAbbrev} {
		seen := map[string]owner{}
		codes := map[string]string{}
		for _, e := range Default().Entries() {
			if e.Kind != k {
				continue
			}
			o := owner{term: e.Term}
			if e.Code != nil {
				o.code = e.Code.System + "|" + e.Code.Code
				if prev, dup := codes[o.code]; dup {
					t.Errorf("%s: code %s used by %q and %q", k, o.code, prev, e.Term)
				}
				codes[o.code] = e.Term
			}
			for _, f := range append([]string{e.Term}, e.Synonyms...) {
				n := Normalize(f)
				if prev, dup := seen[n]; dup && prev != o {
					t.Errorf("%s: %q names both %q and %q", k, f, prev.term, e.Term)
				}
				seen[n] = o
			}
		}
	}
}

// Code pairs checked by hand against the source releases; each one must be in the data with
// exactly this code. (A test that merely re-reads the data would not catch a wrong code.)
var knownCodes = []struct {
	term   string
	kind   Kind
	system string
	code   string
}{
	// RxNorm ingredient RxCUIs.
	{"lisinopril", KindDrug, visit.SystemRxNorm, "29046"},
	{"metformin", KindDrug, visit.SystemRxNorm, "6809"},
	{"atorvastatin", KindDrug, visit.SystemRxNorm, "83367"},
	{"furosemide", KindDrug, visit.SystemRxNorm, "4603"},
	{"warfarin", KindDrug, visit.SystemRxNorm, "11289"},
	{"ibuprofen", KindDrug, visit.SystemRxNorm, "5640"},
	{"aspirin", KindDrug, visit.SystemRxNorm, "1191"},
	{"amlodipine", KindDrug, visit.SystemRxNorm, "17767"},
	{"omeprazole", KindDrug, visit.SystemRxNorm, "7646"},
	{"acetaminophen", KindDrug, visit.SystemRxNorm, "161"},
	{"losartan", KindDrug, visit.SystemRxNorm, "52175"},
	{"hydrochlorothiazide", KindDrug, visit.SystemRxNorm, "5487"},
	{"metoprolol", KindDrug, visit.SystemRxNorm, "6918"},
	{"simvastatin", KindDrug, visit.SystemRxNorm, "36567"},
	{"levothyroxine", KindDrug, visit.SystemRxNorm, "10582"},
	{"gabapentin", KindDrug, visit.SystemRxNorm, "25480"},
	{"sertraline", KindDrug, visit.SystemRxNorm, "36437"},
	{"prednisone", KindDrug, visit.SystemRxNorm, "8640"},
	{"amoxicillin", KindDrug, visit.SystemRxNorm, "723"},
	{"albuterol", KindDrug, visit.SystemRxNorm, "435"},
	{"clopidogrel", KindDrug, visit.SystemRxNorm, "32968"},
	{"fluoxetine", KindDrug, visit.SystemRxNorm, "4493"},
	{"tramadol", KindDrug, visit.SystemRxNorm, "10689"},
	{"oxycodone", KindDrug, visit.SystemRxNorm, "7804"},
	{"meloxicam", KindDrug, visit.SystemRxNorm, "41493"},
	{"bumetanide", KindDrug, visit.SystemRxNorm, "1808"},
	{"dapagliflozin", KindDrug, visit.SystemRxNorm, "1488564"},
	{"digoxin", KindDrug, visit.SystemRxNorm, "3407"},
	{"doxycycline", KindDrug, visit.SystemRxNorm, "3640"},
	{"apixaban", KindDrug, visit.SystemRxNorm, "1364430"},
	{"cisplatin", KindDrug, visit.SystemRxNorm, "2555"},
	{"etoposide", KindDrug, visit.SystemRxNorm, "4179"},
	// ICD-10-CM.
	{"hypertension", KindProblem, visit.SystemICD10CM, "I10"},
	{"type 2 diabetes mellitus", KindProblem, visit.SystemICD10CM, "E11.9"},
	{"heart failure", KindProblem, visit.SystemICD10CM, "I50.9"},
	{"asthma", KindProblem, visit.SystemICD10CM, "J45.909"},
	{"hyperlipidemia", KindProblem, visit.SystemICD10CM, "E78.5"},
	{"atrial fibrillation", KindProblem, visit.SystemICD10CM, "I48.91"},
	{"chronic obstructive pulmonary disease", KindProblem, visit.SystemICD10CM, "J44.9"},
	{"gastroesophageal reflux disease", KindProblem, visit.SystemICD10CM, "K21.9"},
	{"hypothyroidism", KindProblem, visit.SystemICD10CM, "E03.9"},
	{"anemia", KindProblem, visit.SystemICD10CM, "D64.9"},
	{"iron deficiency anemia", KindProblem, visit.SystemICD10CM, "D50.9"},
	{"anxiety", KindProblem, visit.SystemICD10CM, "F41.9"},
	{"constipation", KindProblem, visit.SystemICD10CM, "K59.00"},
	{"urinary tract infection", KindProblem, visit.SystemICD10CM, "N39.0"},
	{"mitral regurgitation", KindProblem, visit.SystemICD10CM, "I34.0"},
	{"uterine fibroids", KindProblem, visit.SystemICD10CM, "D25.9"},
	{"lyme disease", KindProblem, visit.SystemICD10CM, "A69.20"},
	{"autism spectrum disorder", KindProblem, visit.SystemICD10CM, "F84.0"},
	{"pituitary adenoma", KindProblem, visit.SystemICD10CM, "D35.2"},
	{"iga deficiency", KindProblem, visit.SystemICD10CM, "D80.2"},
	{"osteoarthritis of knee", KindProblem, visit.SystemICD10CM, "M17.9"},
	{"medial epicondylitis of right elbow", KindProblem, visit.SystemICD10CM, "M77.01"},
	{"chest pain", KindFinding, visit.SystemICD10CM, "R07.9"},
	{"headache", KindFinding, visit.SystemICD10CM, "R51.9"},
	{"low back pain", KindFinding, visit.SystemICD10CM, "M54.50"},
	{"fatigue", KindFinding, visit.SystemICD10CM, "R53.83"},
	{"palpitations", KindFinding, visit.SystemICD10CM, "R00.2"},
	{"heart murmur", KindFinding, visit.SystemICD10CM, "R01.1"},
	{"dizziness", KindFinding, visit.SystemICD10CM, "R42"},
	{"dysphagia", KindFinding, visit.SystemICD10CM, "R13.10"},
	{"right knee pain", KindFinding, visit.SystemICD10CM, "M25.561"},
	{"left knee pain", KindFinding, visit.SystemICD10CM, "M25.562"},
	{"left shoulder pain", KindFinding, visit.SystemICD10CM, "M25.512"},
	{"right elbow pain", KindFinding, visit.SystemICD10CM, "M25.521"},
	{"right wrist pain", KindFinding, visit.SystemICD10CM, "M25.531"},
	{"right finger pain", KindFinding, visit.SystemICD10CM, "M79.644"},
	// LOINC.
	{"hemoglobin a1c", KindLab, visit.SystemLOINC, "4548-4"},
	{"creatinine", KindLab, visit.SystemLOINC, "2160-0"},
	{"potassium", KindLab, visit.SystemLOINC, "2823-3"},
	{"inr", KindLab, visit.SystemLOINC, "6301-6"},
	{"thyroid stimulating hormone", KindLab, visit.SystemLOINC, "3016-3"},
	{"hemoglobin", KindLab, visit.SystemLOINC, "718-7"},
}

func TestKnownCodes(t *testing.T) {
	require.GreaterOrEqual(t, len(knownCodes), 60)
	v := Default()
	for _, kc := range knownCodes {
		es := v.LookupKind(kc.term, kc.kind)
		if !assert.Len(t, es, 1, "%s %s", kc.kind, kc.term) {
			continue
		}
		e := es[0]
		if assert.NotNil(t, e.Code, kc.term) {
			assert.Equal(t, kc.system, e.Code.System, kc.term)
			assert.Equal(t, kc.code, e.Code.Code, kc.term)
		}
		assert.Same(t, e, v.ByCode(kc.kind, kc.system, kc.code), kc.term)
	}
}

func TestSurfaceForms(t *testing.T) {
	v := Default()
	for _, tc := range []struct {
		said string
		kind Kind
		want string
	}{
		{"lasix", KindDrug, "furosemide"},
		{"Tylenol", KindDrug, "acetaminophen"},
		{"advil", KindDrug, "ibuprofen"},
		{"Motrin", KindDrug, "ibuprofen"},
		{"aleve", KindDrug, "naproxen"},
		{"lipitor", KindDrug, "atorvastatin"},
		{"norvasc", KindDrug, "amlodipine"},
		{"cozaar", KindDrug, "losartan"},
		{"prozac", KindDrug, "fluoxetine"},
		{"farxiga", KindDrug, "dapagliflozin"},
		{"bumex", KindDrug, "bumetanide"},
		{"ultram", KindDrug, "tramadol"},
		{"paracetamol", KindDrug, "acetaminophen"},
		{"salbutamol", KindDrug, "albuterol"},
		{"co-codamol", KindDrug, "codeine and acetaminophen"},
		{"miralax", KindDrug, "polyethylene glycol 3350"},
		{"vitamin d", KindDrug, "cholecalciferol"},
		{"fish oil", KindDrug, "fish oil"},
		{"melatonin", KindDrug, "melatonin"},
		{"vitamin b12", KindDrug, "cyanocobalamin"},
		{"norco", KindDrug, "hydrocodone and acetaminophen"},
		{"high blood pressure", KindProblem, "hypertension"},
		{"HTN", KindProblem, "hypertension"},
		{"sugar diabetes", KindProblem, "type 2 diabetes mellitus"},
		{"diabetes type 2", KindProblem, "type 2 diabetes mellitus"},
		{"diabetes type two", KindProblem, "type 2 diabetes mellitus"},
		{"diabetes mellitus type ii", KindProblem, "type 2 diabetes mellitus"},
		{"type two diabetes mellitus", KindProblem, "type 2 diabetes mellitus"},
		{"diabetes type one", KindProblem, "type 1 diabetes mellitus"},
		{"penicillin", KindDrug, "penicillin"},
		{"pcn", KindDrug, "penicillin"},
		{"retaining fluid", KindFinding, "edema"},
		{"straight leg raise", KindFinding, "positive straight leg raise"},
		{"heart attack", KindProblem, "myocardial infarction"},
		{"afib", KindProblem, "atrial fibrillation"},
		{"A-Fib", KindProblem, "atrial fibrillation"},
		{"Crohn's", KindProblem, "crohn's disease"},
		{"swelling", KindFinding, "edema"},
		{"short of breath", KindFinding, "shortness of breath"},
		{"a1c", KindLab, "hemoglobin a1c"},
		{"ekg", KindImaging, "electrocardiogram"},
		{"knee x-ray", KindImaging, "knee x-ray"},
		{"x ray of the knee", KindImaging, "knee x-ray"},
		{"physical therapy", KindProcedure, "physical therapy"},
		{"refer you to cardiology", KindReferral, "cardiology"},
		{"b.i.d.", KindAbbrev, "bid"},
		{"q8h", KindAbbrev, "q8h"},
	} {
		es := v.LookupKind(tc.said, tc.kind)
		if assert.Len(t, es, 1, tc.said) {
			assert.Equal(t, tc.want, es[0].Term, tc.said)
		}
	}
	// Ambiguous lay terms are deliberately absent.
	assert.Empty(t, v.LookupKind("sugar", KindProblem))
	assert.Empty(t, v.LookupKind("allergies", KindProblem))
	// "pt" in a visit is physical therapy (or the patient), not a prothrombin time order.
	assert.Empty(t, v.LookupKind("pt", KindLab))
	// A normal echo result or a normal temperature is not a diagnosis or a fever.
	assert.Empty(t, v.LookupKind("preserved ejection fraction", KindProblem))
	assert.Empty(t, v.LookupKind("reduced ejection fraction", KindProblem))
	assert.Empty(t, v.LookupKind("temperature", KindFinding))
	// Plain penicillin names the class's drug, with no guessed ingredient code.
	if pen := v.LookupKind("penicillin", KindDrug); assert.Len(t, pen, 1) {
		assert.Nil(t, pen[0].Code)
		assert.Contains(t, pen[0].Classes, "penicillin")
	}
}

func TestAbbreviations(t *testing.T) {
	v := Default()
	for _, tc := range []struct{ abbr, expansion, category string }{
		{"bid", "twice daily", CategoryFrequency},
		{"tid", "three times daily", CategoryFrequency},
		{"qid", "four times daily", CategoryFrequency},
		{"prn", "as needed", CategoryFrequency},
		{"q8h", "every 8 hours", CategoryFrequency},
		{"qhs", "at bedtime", CategoryFrequency},
		{"po", "by mouth", CategoryRoute},
		{"iv", "intravenous", CategoryRoute},
		{"im", "intramuscular", CategoryRoute},
		{"subq", "subcutaneous", CategoryRoute},
		{"mg", "milligrams", CategoryUnit},
		{"mcg", "micrograms", CategoryUnit},
		{"htn", "hypertension", CategoryProblem},
		{"dm2", "type 2 diabetes mellitus", CategoryProblem},
		{"t2dm", "type 2 diabetes mellitus", CategoryProblem},
		{"chf", "heart failure", CategoryProblem},
		{"copd", "chronic obstructive pulmonary disease", CategoryProblem},
		{"cad", "coronary artery disease", CategoryProblem},
		{"afib", "atrial fibrillation", CategoryProblem},
		{"gerd", "gastroesophageal reflux disease", CategoryProblem},
		{"ckd", "chronic kidney disease", CategoryProblem},
		{"uti", "urinary tract infection", CategoryProblem},
		{"uri", "upper respiratory infection", CategoryProblem},
		{"a1c", "hemoglobin a1c", CategoryLab},
	} {
		es := v.LookupKind(tc.abbr, KindAbbrev)
		if assert.Len(t, es, 1, tc.abbr) {
			assert.Equal(t, tc.expansion, es[0].Expansion, tc.abbr)
			assert.Equal(t, tc.category, es[0].Category, tc.abbr)
		}
	}
}

// An abbreviation of an entry's kind expands to that entry's preferred term, so the engine can
// resolve it exactly; a drug-category one may instead name a drug class.
func TestAbbreviationExpansionsResolve(t *testing.T) {
	v := Default()
	cs, err := Classes()
	require.NoError(t, err)
	classes := map[string]bool{}
	for _, c := range cs {
		classes[c.Name] = true
	}
	kinds := map[string][]Kind{
		CategoryProblem: {KindProblem, KindFinding}, CategoryFinding: {KindFinding, KindProblem},
		CategoryLab: {KindLab}, CategoryImaging: {KindImaging}, CategoryProcedure: {KindProcedure},
		CategoryDrug: {KindDrug},
	}
	for _, e := range v.Entries() {
		ks, ok := kinds[e.Category]
		if e.Kind != KindAbbrev || !ok {
			continue
		}
		found := false
		for _, k := range ks {
			for _, x := range v.LookupKind(e.Expansion, k) {
				found = found || x.Term == e.Expansion
			}
		}
		if e.Category == CategoryDrug && classes[e.Expansion] {
			found = true
		}
		assert.True(t, found, "abbreviation %q: expansion %q is not the term of a %s entry", e.Term, e.Expansion, e.Category)
	}
}

var reATC = regexp.MustCompile(`^[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?$`)

func TestDrugClassesAreDefined(t *testing.T) {
	cs, err := Classes()
	require.NoError(t, err)
	defined := map[string]bool{}
	for _, c := range cs {
		defined[c.Name] = true
		assert.NotEmpty(t, c.Source, c.Name)
		if c.ATC != "" {
			for _, a := range strings.Split(c.ATC, "|") {
				assert.Regexp(t, reATC, a, "class %s", c.Name)
			}
		}
	}
	used := map[string]bool{}
	for _, e := range Default().Entries() {
		for _, c := range e.Classes {
			assert.True(t, defined[c], "%s: class %q is not in classes.tsv", e.Term, c)
			used[c] = true
		}
	}
	for name := range defined {
		assert.True(t, used[name], "class %q is defined but no drug has it", name)
	}
	for _, tc := range []struct{ drug, class string }{
		{"lisinopril", "ace inhibitor"}, {"ibuprofen", "nsaid"}, {"warfarin", "anticoagulant"},
		{"sertraline", "ssri"}, {"atorvastatin", "statin"}, {"omeprazole", "ppi"},
		{"metoprolol", "beta blocker"}, {"oxycodone", "opioid"}, {"apixaban", "anticoagulant"},
	} {
		es := Default().LookupKind(tc.drug, KindDrug)
		if assert.Len(t, es, 1, tc.drug) {
			assert.Contains(t, es[0].Classes, tc.class, tc.drug)
		}
	}
}

func TestCheckCode(t *testing.T) {
	for _, tc := range []struct {
		system, code string
		ok           bool
	}{
		{visit.SystemRxNorm, "29046", true},
		{visit.SystemRxNorm, "029046", false},
		{visit.SystemRxNorm, "RX1", false},
		{visit.SystemICD10CM, "I10", true},
		{visit.SystemICD10CM, "E11.9", true},
		{visit.SystemICD10CM, "M54.50", true},
		{visit.SystemICD10CM, "S93.401A", true},
		{visit.SystemICD10CM, "M22.2X1", true},
		{visit.SystemICD10CM, "U07.1", true},
		{visit.SystemICD10CM, "U99.9", false},
		{visit.SystemICD10CM, "i10", false},
		{visit.SystemICD10CM, "E119", false},
		{visit.SystemICD10CM, "E11.", false},
		{visit.SystemLOINC, "4548-4", true},
		{visit.SystemLOINC, "2160-0", true},
		{visit.SystemLOINC, "2823-3", true},
		{visit.SystemLOINC, "6301-6", true},
		{visit.SystemLOINC, "98979-8", true},
		{visit.SystemLOINC, "4548-5", false},
		{visit.SystemLOINC, "2160-1", false},
		{visit.SystemLOINC, "123456-7", false},
		{visit.SystemSNOMED, "38341003", true},
		{visit.SystemSNOMED, "44054006", true},
		{visit.SystemSNOMED, "38341004", false},
		{visit.SystemSNOMED, "38341013", false}, // partition 01 is a description id
		{"urn:other", "1", false},
	} {
		err := CheckCode(tc.system, tc.code)
		if tc.ok {
			assert.NoError(t, err, tc.code)
		} else {
			assert.Error(t, err, tc.code)
		}
	}
}

func TestLoadReportsEveryProblemWithFileAndLine(t *testing.T) {
	_, err := Load(os.DirFS("testdata"), "bad")
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		`bad/drugs.tsv:2: rxnorm code "12a"`,
		`bad/drugs.tsv:3: term "Bar" must be lowercase`,
		`bad/drugs.tsv:4: loinc code "4548-5": check digit does not match`,
		`bad/problems.tsv:2: term "alpha" has a code but no source`,
		`bad/problems.tsv:3: icd10cm code "U99.9"`,
		`bad/problems.tsv:4: snomed code "38341004": Verhoeff check digit does not match`,
		`bad/labs.tsv:1: column 2: unknown column "nope"`,
		`bad/unknown.tsv: unknown vocabulary file`,
	} {
		assert.Contains(t, msg, want)
	}
}

func TestLoadRejectsDuplicates(t *testing.T) {
	fsys := fstest.MapFS{
		"d/problems.tsv": {Data: []byte("term\tsystem\tcode\tsource\tsynonyms\n" +
			"hypertension\ticd10cm\tI10\tICD-10-CM\thtn\n" +
			"high blood pressure\ticd10cm\tI10\tICD-10-CM\t\n" +
			"Hypertension\t\t\t\t\n" +
			"hypertension.\t\t\t\t\n")},
	}
	_, err := Load(fsys, "d")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "d/problems.tsv:3: code I10 repeats line 2")
	assert.Contains(t, err.Error(), "d/problems.tsv:4: term \"Hypertension\" must be lowercase")
	assert.Contains(t, err.Error(), "d/problems.tsv:5: term \"hypertension.\" repeats line 2")
}

func TestLoadEmptyDirIsAnError(t *testing.T) {
	_, err := Load(fstest.MapFS{"d/readme.txt": {Data: []byte("x")}}, "d")
	assert.ErrorContains(t, err, "no vocabulary files")
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"  Crohn's   Disease ": "crohns disease",
		"co-codamol":           "co codamol",
		"B.I.D.":               "b i d",
		"x-ray":                "x ray",
		"Lasix®":               "lasix",
		"q8h":                  "q8h",
		"\xff\xfeabc":          "abc",
		"":                     "",
	} {
		assert.Equal(t, want, Normalize(in), in)
	}
}

func TestMergeImportedWins(t *testing.T) {
	base, err := New([]Entry{
		{Term: "furosemide", Kind: KindDrug, Code: &visit.Code{System: visit.SystemRxNorm, Code: "4603", Display: "furosemide"},
			Source: "embedded", Synonyms: []string{"lasix"}, Classes: []string{"loop diuretic"}},
		{Term: "widget", Kind: KindDrug, Synonyms: []string{"gizmo"}},
		{Term: "bid", Kind: KindAbbrev, Expansion: "twice daily", Category: CategoryFrequency},
	})
	require.NoError(t, err)
	imported, err := New([]Entry{
		{Term: "furosemide", Kind: KindDrug, Code: &visit.Code{System: visit.SystemRxNorm, Code: "4603", Display: "Furosemide"},
			Source: "RxNorm full release", Synonyms: []string{"furosemide oral"}},
		{Term: "gizmo", Kind: KindDrug, Code: &visit.Code{System: visit.SystemRxNorm, Code: "99", Display: "Gizmo"}, Source: "RxNorm full release"},
	})
	require.NoError(t, err)

	m := base.Merge(imported)
	f := m.LookupKind("lasix", KindDrug)
	require.Len(t, f, 1)
	assert.Equal(t, "Furosemide", f[0].Code.Display, "imported display wins")
	assert.Equal(t, "RxNorm full release", f[0].Source)
	assert.ElementsMatch(t, []string{"furosemide oral", "lasix"}, f[0].Synonyms, "embedded synonyms kept")
	assert.Equal(t, []string{"loop diuretic"}, f[0].Classes, "embedded classes kept")

	g := m.LookupKind("gizmo", KindDrug)
	require.Len(t, g, 1)
	assert.Equal(t, "gizmo", g[0].Term, "imported entry owns a form it names")
	w := m.LookupKind("widget", KindDrug)
	require.Len(t, w, 1)
	assert.Empty(t, w[0].Synonyms, "embedded synonym claimed by an imported concept is dropped")
	assert.Len(t, m.LookupKind("bid", KindAbbrev), 1)
	assert.Equal(t, 3, m.Count(KindDrug))
	assert.NotEqual(t, base.Version(), m.Version())

	// Inputs unchanged.
	assert.Equal(t, []string{"lasix"}, base.LookupKind("furosemide", KindDrug)[0].Synonyms)
	assert.Equal(t, []string{"furosemide oral"}, imported.LookupKind("furosemide", KindDrug)[0].Synonyms)
}

func TestWriteDirRoundTrip(t *testing.T) {
	dir := t.TempDir()
	v := Default()
	require.NoError(t, v.WriteDir(dir))
	back, err := Load(os.DirFS(dir), ".")
	require.NoError(t, err)
	assert.Equal(t, v.Version(), back.Version(), "same content, same version")
	assert.Equal(t, len(v.Entries()), len(back.Entries()))
}

func TestLoadDirAndFromEnv(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "drugs.tsv"), []byte(
		"term\tsystem\tcode\tsource\tsynonyms\n"+
			"furosemide\trxnorm\t4603\tRxNorm test release\tfurosemide injection\n"+
			"zzexampledrug\t\t\t\t\n"), 0o644))
	t.Setenv(EnvDir, dir)
	v, err := FromEnv()
	require.NoError(t, err)
	assert.Len(t, v.LookupKind("zzexampledrug", KindDrug), 1)
	f := v.LookupKind("lasix", KindDrug)
	require.Len(t, f, 1)
	assert.Equal(t, "RxNorm test release", f[0].Source)
	assert.Equal(t, Default().Count(KindProblem), v.Count(KindProblem))

	t.Setenv(EnvDir, filepath.Join(dir, "missing"))
	_, err = FromEnv()
	assert.ErrorContains(t, err, EnvDir)

	t.Setenv(EnvDir, "")
	v, err = FromEnv()
	require.NoError(t, err)
	assert.Same(t, Default(), v)
}

func TestVersionIsStable(t *testing.T) {
	a, err := Load(embedded, "data")
	require.NoError(t, err)
	assert.Equal(t, Default().Version(), a.Version())
	assert.Regexp(t, `^sha256:[0-9a-f]{16}$`, a.Version())
}
