// Package api owns medscribe's own REST API under /v1 and the operational endpoints
// (/healthz, /readyz, /metrics, /openapi.json): routing, authentication of principals (API
// keys, sessions, bearer JWTs), the per-route role table, the audit trail of patient-data
// access, request limits, and the one place where errors become RFC 9457 problem+json.
//
// CDS Hooks (package cds) and the review UI (package web) mount their own routes on the same
// engine through the Mounter interface.
package api
