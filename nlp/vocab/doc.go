// Package vocab owns medscribe's clinical vocabulary: the embedded data files (drugs with RxNorm
// ingredient codes and classes, problems and findings with ICD-10-CM/SNOMED CT codes, labs with
// LOINC, imaging, procedures, referrals, abbreviations), their loader and checks, and the
// importers that turn full official releases (RxNorm RRF, the ICD-10-CM order file, LOINC CSV)
// into the same format (see Import*). It does not recognise text: package nlp does, using the
// surface forms normalized by Normalize.
//
// Every code carries the source it was taken from. A code that is not certain is left empty:
// never guessed. A wrong code is a clinical-safety defect; a missing one is acceptable.
//
// # Data format
//
// One UTF-8 TSV file per kind in data/: drugs.tsv, problems.tsv, findings.tsv, labs.tsv,
// imaging.tsv, procedures.tsv, referrals.tsv, abbreviations.tsv, plus classes.tsv (the drug
// classes used in drugs.tsv, each with its WHO ATC code and source; checked by tests). The file
// names the kind. The first non-comment line is a header naming the columns, in any order:
//
//	term       preferred name, lowercase (drugs: the generic ingredient). Required.
//	system     code system of code: rxnorm, icd10cm, snomed or loinc; empty with code.
//	code       the concept's code, empty when not certain (then the entry still matches text).
//	display    the code's display name; empty means the term.
//	source     where the code was taken from; required when there is a code.
//	synonyms   other surface forms separated by "|": brand names, lay terms, abbreviations,
//	           misspellings and speech-recognition variants. Lowercase.
//	classes    drug classes separated by "|" (drugs only), names from classes.tsv.
//	codes      extra codes for the same concept, "system:code" separated by "|"
//	           (e.g. snomed:38341003 beside I10).
//	expansion  what an abbreviation stands for (abbreviations only, required there): the
//	           preferred term of the entry it names ("chf" → "heart failure"), a drug class
//	           name ("ppi"), or the plain meaning ("bid" → "twice daily").
//	category   what an abbreviation names: problem, finding, drug, lab, imaging, procedure,
//	           frequency, route, unit, form, other (abbreviations only, required there).
//
// Blank lines and lines starting with "#" are ignored. Values hold no tabs; lists no "|".
// Within one file a term (normalized) and a code may appear once: other names of the same
// concept go in its synonyms. Loading checks every code's shape and check digit (LOINC mod 10,
// SNOMED CT Verhoeff) and reports all problems at once as file:line.
//
// # Replacing the embedded vocabulary
//
// `medscribe vocab import --out DIR` writes files in this format from the official releases.
// LoadDir(DIR), or FromEnv with MEDSCRIBE_VOCAB_DIR=DIR, merges them over the embedded set
// (Merge: the imported entry wins on the same code or term; embedded synonyms and classes are
// kept).
package vocab
