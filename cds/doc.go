// Package cds owns medscribe's CDS Hooks 2.0 service: discovery with prefetch templates, the
// patient-view, order-select and order-sign services, feedback and its per-rule summary, the
// EHR's JWT verification (JWKS, iss/aud/exp/jti checks), prefetch (from the request or fetched
// from the EHR's FHIR server with its access token), the translation of FHIR resources and of
// the patient's latest medscribe visit into what the rules engine sees, card building, and
// order-select/order-sign de-duplication. The same card building serves the ingest pipeline
// (CardsForVisit).
//
// The rules themselves (facts, engine, reload) belong to package rules; similar-case cards
// come through the SimilarFinder seam.
package cds
