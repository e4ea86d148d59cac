// Package rules owns medscribe's drug-safety rules: the rule file format (YAML), its strict loader
// and linter (every problem reported as file:line:col with the rule id, all at once), the engine
// that evaluates a Patient into Alerts, the reloadable Manager, rule unit tests (the `rules test`
// format), and the shipped rule set embedded in the binary with a public citation on every class
// and rule. It never reads FHIR or visit records: cds turns those into a Patient.
//
// # Rule files
//
// A rule set is a directory of *.yaml files (files ending in _test.yaml are tests). Each file is
// a mapping with any of these sections; exactly one file carries the `ruleset` header (name and
// semantic version). Unknown keys, wrong types, duplicate ids, unknown class or drug references,
// missing citations and summaries of 140 characters or more are errors.
//
//   - classes: drug classes: id, name, citation, members (ingredient name, RxNorm ingredient
//     RxCUI only when certain, brand or spelling aliases), includes (other classes), and aliases
//     an allergy record may use for the class ("penicillin", "sulfa").
//   - interactions: a medication matching selector a together with another matching b.
//   - duplicates: two medications both matching `of` (or a and b): duplicate therapy.
//   - allergies: a recorded allergen matching `allergen` and a medication matching `drug`, or
//     `same_ingredient: true`. Per allergy and medication the first matching rule speaks.
//   - doses: max_single, max_daily (dose × frequency) and max_administrations_per_week.
//   - conditions: a medication matching `drug` when `when` holds (drug-condition, drug-lab).
//
// A selector names drugs and/or classes and may exclude routes (topical, ophthalmic, ...).
// Every rule has severity (contraindicated, major, moderate, minor), high_priority (the ONC
// list), a summary template with {a}, {b}, {drug} or {allergen}, mechanism, management (what to
// do), citation (label and http(s) URL), optional alternatives, an optional precondition `when`,
// and modifiers. Conditions are one of all, any, not, taking (another active medication),
// age, lab (egfr, creatinine, potassium, inr, digoxin with lt/lte/gt/gte) and condition
// (ICD-10-CM prefix, SNOMED CT code or words in the text). The first modifier whose condition
// holds sets the severity, adds its note to the detail, or keeps the rule quiet; the facts that
// made conditions true become the alert's Factors ("age 72", "eGFR 24", "not taking ...").
//
// # Rule tests
//
// A test case gives a patient (meds, allergies, conditions, labs, age) and the exact alerts
// expected (rule, optionally severity, meds, draft, high_priority, from_visit); any other alert
// fails the case. `quiet` lists the rules the case shows staying quiet; Check requires every
// rule to be expected somewhere and listed as quiet in a near-miss case (the patient has a drug
// the rule is about).
package rules
