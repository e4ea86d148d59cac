// Package visit owns the visit record, the JSON contract `medscribe.visit/v1` that
// `medscribe ingest --out`, the REST API, the review UI and the evals all share.
//
// It holds plain types and their invariants only: no I/O, no engines. Every other package
// (ingest, nlp, note, cds, store, web, evals) speaks in these types, so the contract is
// defined exactly once. Lists are never nil once a record is Normalized: the contract says
// "empty lists, not null".
package visit
