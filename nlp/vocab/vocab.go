// Package vocab owns medscribe's clinical vocabulary: the embedded data files (drugs with RxNorm
// ingredient codes and classes, problems and findings with ICD-10-CM/SNOMED CT codes, labs and
// imaging with LOINC, abbreviations) and the importer for full official releases.
//
// Every code carries the source it was taken from. A code that is not certain is left nil:
// never guessed.
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
}
