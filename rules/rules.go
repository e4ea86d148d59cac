package rules

// Patient is what the rules see. The cds package builds it from FHIR resources (CDS Hooks
// prefetch) and from the patient's latest visit record; the rules never read FHIR themselves.
type Patient struct {
	// Age in whole years; nil when unknown (age-dependent modifiers then do not apply).
	Age *int
	// Sex is the FHIR administrative gender ("female", "male", "other", "unknown" or "").
	Sex         string
	Medications []Med
	Allergies   []Allergy
	Conditions  []Condition
	Labs        []Lab
}

// Med is one medication the patient takes or is being ordered.
type Med struct {
	// ID identifies the medication for the caller (FHIR resource id or visit medication id);
	// alerts name the meds they involve by ID. Must be unique within a Patient.
	ID string
	// Name is the ingredient name, ideally generic and lowercase ("warfarin"). Display strings such
	// as "Warfarin Sodium 5 MG Oral Tablet" also match: the engine looks for known ingredient
	// names as whole words inside the name when RxCUI does not match.
	Name string
	// RxCUI is the RxNorm ingredient concept id when known. Product-level codes (SCD/SBD) match
	// only by name.
	RxCUI string
	// Status is the FHIR status. Only "", "active", "draft", "on-hold", "intended" and "unknown" count;
	// "stopped", "completed", "cancelled", "entered-in-error" and anything else is ignored.
	Status string
	// Dose is one administered dose (e.g. 500 mg); nil when unknown (dose rules then stay quiet).
	Dose *Quantity
	// Frequency says how often a dose is given. Accepted: "daily", "qd", "once daily", "bid",
	// "tid", "qid", "q4h".."q24h", "every 6 hours", "weekly", "once weekly", "qw", "prn" (unknown),
	// and the FHIR Timing form "N/Pu" (N administrations per P units, u one of h, d, wk, mo; see
	// FrequencyFromTiming). Unknown text means unknown frequency.
	Frequency string
	// Route is the route of administration, lowercase ("oral", "topical", "ophthalmic",
	// "intravenous", ...); "" when unknown. Some interactions ignore topical or ophthalmic use.
	Route string
	// Draft marks the order being selected or signed (CDS Hooks draftOrders).
	Draft bool
	// FromVisit marks a medication said in a medscribe visit but not (yet) in the EHR.
	FromVisit bool
}

// Quantity is an amount with a unit ("mg", "g", "mcg", "units").
type Quantity struct {
	Value float64
	Unit  string
}

// Allergy is one recorded allergy or intolerance.
type Allergy struct {
	// Substance is the allergen as recorded: an ingredient ("amoxicillin") or a class the rule set
	// knows by name or alias ("penicillin", "sulfa", "nsaids").
	Substance string
	// RxCUI is the RxNorm ingredient code of the substance when coded.
	RxCUI string
	// Reaction is the recorded reaction text, if any (shown in the alert, never matched on).
	Reaction  string
	FromVisit bool
}

// Condition is one active problem.
type Condition struct {
	Text      string
	ICD10     string
	SNOMED    string
	FromVisit bool
}

// Lab is one recent lab result. When several of a kind are given, the first one counts
// (the caller orders them newest first).
type Lab struct {
	// Kind is one of the lab kinds the rules know: "egfr" (mL/min/1.73m2), "creatinine" (mg/dL;
	// µmol/L is converted), "potassium" (mmol/L or mEq/L), "inr", "digoxin" (ng/mL; nmol/L is
	// converted).
	Kind  string
	Value float64
	Unit  string
	LOINC string
}

// Alert kinds.
const (
	KindInteraction = "interaction"
	KindAllergy     = "allergy"
	KindDuplicate   = "duplicate"
	KindDose        = "dose"
	KindCondition   = "condition"
)

// Severities, most severe first. Cards use "critical" only for contraindicated or
// HighPriority alerts.
const (
	SeverityContraindicated = "contraindicated"
	SeverityMajor           = "major"
	SeverityModerate        = "moderate"
	SeverityMinor           = "minor"
)

// Alert is one rule firing for one set of medications.
type Alert struct {
	// RuleID is the id of the rule in the rule files (stable across versions; feedback is kept per rule).
	RuleID string
	// Kind is one of the Kind constants.
	Kind string
	// Severity is one of the Severity constants, after modifiers.
	Severity string
	// HighPriority marks a pair on the ONC high-priority drug-drug interaction list (Phansalkar 2012).
	HighPriority bool
	// Summary is one line for the card, under 140 characters.
	Summary string
	// Detail is markdown for the card: what was found, mechanism, what to do, evidence.
	Detail     string
	Mechanism  string
	Management string
	Citation   Citation
	// Meds are the IDs of the medications involved: for interactions and duplicates the
	// medication matching the rule's first side, then the second; otherwise the one medication.
	Meds []string
	// DraftMedID is the ID of the draft order involved, "" when none is (patient-view alerts).
	// Suggestions act on this order.
	DraftMedID string
	// Allergen is the recorded allergy substance for allergy alerts.
	Allergen string
	// FromVisit is true when any fact the alert rests on came from the visit, not the EHR.
	FromVisit bool
	// Factors are short phrases naming what changed severity ("no PPI", "age 72", "eGFR 24").
	Factors []string
	// Alternatives are candidates to replace the draft order with.
	Alternatives []Alternative
}

// Citation is the public source a rule rests on.
type Citation struct {
	Label string `yaml:"label"`
	URL   string `yaml:"url"`
}

// Alternative is a drug that may replace the draft order.
type Alternative struct {
	Name  string `yaml:"name"`
	RxCUI string `yaml:"rxcui"`
}

// Key identifies what an alert is about (rule and meds involved), so callers can avoid showing
// the same alert twice (order-select then order-sign for the same draft).
func (a *Alert) Key() string {
	k := a.RuleID
	for _, m := range a.Meds {
		k += "|" + m
	}
	if a.Allergen != "" {
		k += "|allergen:" + a.Allergen
	}
	return k
}
