// Package evals owns medscribe's quality measurement: dataset loaders (ACI-BENCH CSV, metadata
// and division JSON, MTS-Dialog, PriMock57, gold item JSONL, medscribe's own YAML cases), the
// metrics, eval suites with regression gates, and the JSON, Markdown and HTML reports.
//
// Metrics and how they are defined:
//   - ROUGE-1/2/L/Lsum exactly as rouge-score 0.1.2 without stemming (Rouge); dataset figures
//     are mean per-encounter F1 × 100. Reproduces the MEDIQA-Chat 2023 / ACI-BENCH scripts
//     (checked against WangLab's published JSON to 1e-9 when the data is present).
//   - Per-division ROUGE with the ACI-BENCH section tagger (DivideNote), scored the way the
//     benchmark scripts do (see divisionText).
//   - Extraction precision/recall/F1 per item type against gold, attribute accuracy on matched
//     medications, assertion accuracy on matched problems (matching rules: see matcher).
//   - Concept F1 between generated and reference notes with medscribe's concept recognizer
//     (ConceptScore documents how it differs from MEDCON).
//   - Grounding (share of note sentences and items without valid evidence) and omissions (gold
//     items the note never mentions).
//   - ASR word error rate with a documented normalizer (NormalizeForWER).
//   - CDS alert precision/recall over rule test cases and latency percentiles (ScoreAlerts).
//
// The package does not import the engines it measures: a run takes them through the small
// Pipeline, ConceptRecognizer and TermNormalizer interfaces, so it can score any system's
// output and stays independent of how the engines are built (cmd/medscribe wires them).
// Reports carry ids and figures; note text appears only in the HTML drill-down, which is
// written for the quality team like the dataset it came from.
package evals
