package rules

// The rule file format. Every rule file is a YAML mapping with any of the keys below; exactly
// one file of a rule set carries `ruleset` (name and semantic version). Unknown keys are errors.

type fileDoc struct {
	Ruleset      *metaDoc      `yaml:"ruleset"`
	Classes      []classDoc    `yaml:"classes"`
	Interactions []pairDoc     `yaml:"interactions"`
	Duplicates   []pairDoc     `yaml:"duplicates"`
	Allergies    []allergyDoc  `yaml:"allergies"`
	Doses        []doseDoc     `yaml:"doses"`
	Conditions   []condRuleDoc `yaml:"conditions"`
	// Notes are free text for authors (e.g. the list a section implements).
	Notes []string `yaml:"notes"`
}

type metaDoc struct {
	Pos         pos    `yaml:"-"`
	Name        string `yaml:"name"`
	Version     string `yaml:"version"`
	Description string `yaml:"description"`
}

// classDoc is a drug class: its members, the classes it includes, and the names an allergy
// record may use for it ("penicillin", "sulfa").
type classDoc struct {
	Pos      pos         `yaml:"-"`
	ID       string      `yaml:"id"`
	Name     string      `yaml:"name"`
	Citation *Citation   `yaml:"citation"`
	Members  []memberDoc `yaml:"members"`
	Includes []string    `yaml:"includes"`
	Aliases  []string    `yaml:"aliases"`
}

type memberDoc struct {
	Pos     pos      `yaml:"-"`
	Name    string   `yaml:"name"`
	RxCUI   string   `yaml:"rxcui"`
	Aliases []string `yaml:"aliases"`
}

// selectorDoc picks medications: any listed ingredient or any member of a listed class,
// except when given by one of ExcludeRoutes.
type selectorDoc struct {
	Pos           pos      `yaml:"-"`
	Drugs         []string `yaml:"drugs"`
	Classes       []string `yaml:"classes"`
	ExcludeRoutes []string `yaml:"exclude_routes"`
}

// common is what every rule has.
type common struct {
	Pos pos `yaml:"-"`
	// Keys holds where each field's value starts, so problems point at the field.
	Keys         map[string]pos `yaml:"-"`
	ID           string         `yaml:"id"`
	Severity     string         `yaml:"severity"`
	HighPriority bool           `yaml:"high_priority"`
	Summary      string         `yaml:"summary"`
	Mechanism    string         `yaml:"mechanism"`
	Management   string         `yaml:"management"`
	Citation     *Citation      `yaml:"citation"`
	Alternatives []Alternative  `yaml:"alternatives"`
	When         *condDoc       `yaml:"when"`
	Modifiers    []modifierDoc  `yaml:"modifiers"`
}

// pairDoc is an interaction or a duplicate-therapy rule: a medication matching A together with
// another matching B. Duplicates may give Of instead (two medications both matching Of).
type pairDoc struct {
	common `yaml:",inline"`
	A      *selectorDoc `yaml:"a"`
	B      *selectorDoc `yaml:"b"`
	Of     *selectorDoc `yaml:"of"`
}

// allergyDoc fires when a recorded allergen matching Allergen meets a medication matching Drug,
// or, with SameIngredient, when the medication is the allergen itself.
type allergyDoc struct {
	common         `yaml:",inline"`
	Allergen       *selectorDoc `yaml:"allergen"`
	Drug           *selectorDoc `yaml:"drug"`
	SameIngredient bool         `yaml:"same_ingredient"`
}

// doseDoc checks one medication's dose.
type doseDoc struct {
	common    `yaml:",inline"`
	Drug      *selectorDoc `yaml:"drug"`
	MaxSingle *quantityDoc `yaml:"max_single"`
	MaxDaily  *quantityDoc `yaml:"max_daily"`
	// MaxPerWeek is the most administrations a week (methotrexate for arthritis: 1).
	MaxPerWeek *float64 `yaml:"max_administrations_per_week"`
}

// condRuleDoc fires for a medication matching Drug when When holds (drug-condition and
// drug-lab rules).
type condRuleDoc struct {
	common `yaml:",inline"`
	Drug   *selectorDoc `yaml:"drug"`
}

type quantityDoc struct {
	Pos   pos     `yaml:"-"`
	Value float64 `yaml:"value"`
	Unit  string  `yaml:"unit"`
}

// modifierDoc changes a rule's outcome when When holds. The first matching modifier of a rule
// applies: it sets the severity, appends its note to the detail, or keeps the rule quiet.
type modifierDoc struct {
	Pos      pos      `yaml:"-"`
	When     *condDoc `yaml:"when"`
	Severity string   `yaml:"severity"`
	Note     string   `yaml:"note"`
	Quiet    bool     `yaml:"quiet"`
}

// condDoc is a condition on the patient; exactly one key is set.
type condDoc struct {
	Pos       pos           `yaml:"-"`
	All       []condDoc     `yaml:"all"`
	Any       []condDoc     `yaml:"any"`
	Not       *condDoc      `yaml:"not"`
	Taking    *selectorDoc  `yaml:"taking"`
	Age       *cmpDoc       `yaml:"age"`
	Lab       *labDoc       `yaml:"lab"`
	Condition *condMatchDoc `yaml:"condition"`
}

type cmpDoc struct {
	Pos pos      `yaml:"-"`
	Lt  *float64 `yaml:"lt"`
	Lte *float64 `yaml:"lte"`
	Gt  *float64 `yaml:"gt"`
	Gte *float64 `yaml:"gte"`
}

type labDoc struct {
	Pos  pos      `yaml:"-"`
	Kind string   `yaml:"kind"`
	Lt   *float64 `yaml:"lt"`
	Lte  *float64 `yaml:"lte"`
	Gt   *float64 `yaml:"gt"`
	Gte  *float64 `yaml:"gte"`
}

// condMatchDoc matches an active condition by ICD-10-CM code prefix, SNOMED CT code, or words
// in its text.
type condMatchDoc struct {
	Pos    pos      `yaml:"-"`
	Label  string   `yaml:"label"`
	ICD10  []string `yaml:"icd10"`
	SNOMED []string `yaml:"snomed"`
	Text   []string `yaml:"text"`
}
