package vocab

import "github.com/medscribe/medscribe/visit"

// Kind is what a vocabulary entry names.
type Kind string

// Entry kinds.
const (
	KindDrug      Kind = "drug"
	KindProblem   Kind = "problem"
	KindFinding   Kind = "finding"
	KindLab       Kind = "lab"
	KindImaging   Kind = "imaging"
	KindProcedure Kind = "procedure"
	KindReferral  Kind = "referral"
	KindAbbrev    Kind = "abbreviation"
)

// Entry is one concept with the surface forms that name it.
type Entry struct {
	// Term is the preferred name, lowercase (for drugs: the generic ingredient).
	Term string `json:"term"`
	Kind Kind   `json:"kind"`
	// Code is the concept's code, nil when not certain.
	Code *visit.Code `json:"code"`
	// Source names where the code was taken from (e.g. "RxNorm 2024-11 RXNCONSO", "ICD-10-CM FY2025").
	Source string `json:"source"`
	// Synonyms are other surface forms: brand names, lay terms, abbreviations, misspellings.
	Synonyms []string `json:"synonyms,omitempty"`
	// Classes are drug classes (e.g. "nsaid", "ace inhibitor"); drugs only.
	Classes []string `json:"classes,omitempty"`
	// Codes holds extra codes for the same concept (e.g. SNOMED CT beside ICD-10-CM).
	Codes []visit.Code `json:"codes,omitempty"`
	// Expansion is what an abbreviation stands for; abbreviations only. When it names a concept
	// of the vocabulary it is that entry's preferred term ("htn" → "hypertension", "chf" →
	// "heart failure") or, for drugs, a class name ("ppi"); otherwise the plain meaning ("bid" →
	// "twice daily"). Added after the first contract: additive.
	Expansion string `json:"expansion,omitempty"`
	// Category groups abbreviations by what they expand to (see the Category constants), so the
	// engine can tell a frequency ("bid") from a route ("po") or a problem ("htn").
	Category string `json:"category,omitempty"`
}

// Abbreviation categories (Entry.Category).
const (
	CategoryProblem   = "problem"
	CategoryFinding   = "finding"
	CategoryDrug      = "drug"
	CategoryLab       = "lab"
	CategoryImaging   = "imaging"
	CategoryProcedure = "procedure"
	CategoryFrequency = "frequency"
	CategoryRoute     = "route"
	CategoryUnit      = "unit"
	CategoryForm      = "form"
	CategoryOther     = "other"
)
