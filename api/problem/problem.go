// Package problem writes RFC 9457 problem+json answers. Every HTTP error medscribe returns
// goes through here, so clients see one shape and no handler leaks internal detail (or PHI).
package problem

import (
	"encoding/json"
	"net/http"
)

// ContentType is the media type of an RFC 9457 problem document.
const ContentType = "application/problem+json"

// Details is an RFC 9457 problem document.
type Details struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Instance is the request path (never a query string: it may carry identifiers).
	Instance string `json:"instance,omitempty"`
	// Errors lists field-level problems ("where": JSON pointer or file:line, "message").
	Errors []FieldError `json:"errors,omitempty"`
}

// FieldError says what is wrong and where.
type FieldError struct {
	Where   string `json:"where"`
	Message string `json:"message"`
}

// New builds a problem with the standard title for status and the given detail.
func New(status int, detail string) *Details {
	return &Details{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail}
}

// Write sends p to w with status p.Status.
func Write(w http.ResponseWriter, r *http.Request, p *Details) {
	if p.Instance == "" && r != nil {
		p.Instance = r.URL.Path
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// Error is shorthand for Write(w, r, New(status, detail)).
func Error(w http.ResponseWriter, r *http.Request, status int, detail string) {
	Write(w, r, New(status, detail))
}
