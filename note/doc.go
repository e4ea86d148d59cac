// Package note owns the clinical note drafted from a visit: the note templates (embedded data
// files), the offline drafter that turns dialogue into sectioned clinical prose without a model,
// the model drafter that asks any OpenAI-compatible endpoint for sentences with the transcript
// turns they rest on, and the grounding check both drafters pass every sentence through.
//
// Every sentence of a drafted note carries evidence (turn spans that pass
// visit.Transcript.CheckEvidence), and every content word or number of a sentence must occur in
// its evidence: a sentence that cannot be grounded is dropped and counted, never shown.
//
// The offline drafter's section classifier is learned from ACI-BENCH train by
// `medscribe note learn`; it stores word weights only (no sentences of the dataset) in
// data/sections.json, and the same input always yields a byte-identical file.
package note
