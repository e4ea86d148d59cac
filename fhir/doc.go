// Package fhir owns the FHIR R4 resources medscribe reads (CDS Hooks prefetch and draft
// orders) and writes (a visit as a Bundle): plain structs with JSON round-trip and
// required-field checks. Only the elements medscribe uses are modelled; unknown elements are
// ignored on read, so a richer resource from an EHR still decodes.
//
// Decoding is tolerant where EHRs in the wild differ from R4 in ways that do not change the
// meaning medscribe needs: a code given as a bare string where R4 wants a CodeableConcept
// (DSTU3's Condition.clinicalStatus), a single CodeableConcept where R4 wants a list
// (DSTU3's MedicationRequest.category), and DSTU3's Dosage.doseQuantity. Validate then says
// what R4 requires and is missing.
//
// The types are hand-written: no FHIR model module is available from the Go module proxy,
// and medscribe needs a small, stable subset.
package fhir
