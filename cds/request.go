package cds

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/medscribe/medscribe/fhir"
)

// Hook names medscribe serves (CDS Hooks library, hooks at 2.0 / R4).
const (
	HookPatientView = "patient-view"
	HookOrderSelect = "order-select"
	HookOrderSign   = "order-sign"
)

// hookRequest is a CDS Hooks 2.0 request as sent by a CDS client.
type hookRequest struct {
	Hook              string                     `json:"hook"`
	HookInstance      string                     `json:"hookInstance"`
	FHIRServer        string                     `json:"fhirServer"`
	FHIRAuthorization *fhirAuthorization         `json:"fhirAuthorization"`
	Context           map[string]json.RawMessage `json:"context"`
	Prefetch          map[string]json.RawMessage `json:"prefetch"`
	Extension         map[string]json.RawMessage `json:"extension"`
	// User, UserID and Patient are pre-2.0 top-level fields (PDDI-CDS examples); read for
	// tolerance. A request carrying one of them is treated as pre-2.0: context.userId and
	// order-select's context.selections are then optional.
	User    string `json:"user"`
	UserID  string `json:"userId"`
	Patient string `json:"patient"`
}

// fhirAuthorization is the OAuth 2.0 access token the client grants for its FHIR server.
type fhirAuthorization struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
	Subject     string `json:"subject"`
}

// hookContext is the decoded context of one of the served hooks.
type hookContext struct {
	UserID      string
	PatientID   string
	EncounterID string
	Selections  []string
	DraftOrders *fhir.Bundle
	// primitives are the root-level primitive context fields, for prefetch tokens.
	primitives map[string]string
}

// requestError is a 400/412/413 with a message safe for the client and field pointers.
type requestError struct {
	status int
	msg    string
	where  string
}

func (e *requestError) Error() string {
	if e.where != "" {
		return e.where + ": " + e.msg
	}
	return e.msg
}

func badRequest(where, format string, args ...any) error {
	return &requestError{status: 400, msg: fmt.Sprintf(format, args...), where: where}
}

// decodeRequest parses and checks a hook request for a service of hook wantHook.
// maxResources bounds the FHIR resources in draftOrders and prefetch together.
func decodeRequest(body []byte, wantHook string, maxResources int) (*hookRequest, *hookContext, error) {
	var req hookRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&req); err != nil {
		return nil, nil, badRequest("", "request body is not a CDS Hooks request object: %s", jsonReason(err))
	}
	if dec.More() {
		return nil, nil, badRequest("", "request body has data after the JSON object")
	}
	if req.Hook == "" {
		return nil, nil, badRequest("/hook", "hook is required")
	}
	if req.Hook != wantHook {
		return nil, nil, badRequest("/hook", "hook %q is not the hook of this service (%s)", req.Hook, wantHook)
	}
	if strings.TrimSpace(req.HookInstance) == "" {
		return nil, nil, badRequest("/hookInstance", "hookInstance is required")
	}
	if req.Context == nil {
		return nil, nil, badRequest("/context", "context is required")
	}
	if req.FHIRAuthorization != nil {
		a := req.FHIRAuthorization
		if req.FHIRServer == "" {
			return nil, nil, badRequest("/fhirAuthorization", "fhirAuthorization given without fhirServer")
		}
		if a.AccessToken == "" {
			return nil, nil, badRequest("/fhirAuthorization/access_token", "access_token is required")
		}
		if !strings.EqualFold(a.TokenType, "Bearer") {
			return nil, nil, badRequest("/fhirAuthorization/token_type", "token_type must be Bearer")
		}
	}
	if req.FHIRServer != "" {
		u, err := url.Parse(req.FHIRServer)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, nil, badRequest("/fhirServer", "fhirServer is not an absolute http(s) URL")
		}
	}
	hc, err := decodeContext(&req, wantHook)
	if err != nil {
		return nil, nil, err
	}
	n := 0
	if hc.DraftOrders != nil {
		n += countResources(hc.DraftOrders)
	}
	for _, raw := range req.Prefetch {
		n += bytes.Count(raw, []byte(`"resourceType"`))
	}
	if n > maxResources {
		return nil, nil, &requestError{status: 413, msg: fmt.Sprintf("request carries %d FHIR resources; the limit is %d", n, maxResources)}
	}
	return &req, hc, nil
}

func countResources(b *fhir.Bundle) int {
	n := 1
	for _, e := range b.Entry {
		if nb, ok := e.Resource.(*fhir.Bundle); ok {
			n += countResources(nb)
		} else if e.Resource != nil {
			n++
		}
	}
	return n
}

func decodeContext(req *hookRequest, hook string) (*hookContext, error) {
	hc := &hookContext{primitives: map[string]string{}}
	for k, raw := range req.Context {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			continue
		}
		switch raw[0] {
		case '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, badRequest("/context/"+k, "not a string")
			}
			hc.primitives[k] = s
		case '{', '[', 'n':
		default: // numbers and booleans are primitives too
			hc.primitives[k] = string(raw)
		}
	}
	str := func(name string, required bool) (string, error) {
		raw, ok := req.Context[name]
		if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			if required {
				return "", badRequest("/context/"+name, "%s is required by %s", name, hook)
			}
			return "", nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || strings.TrimSpace(s) == "" {
			return "", badRequest("/context/"+name, "%s must be a non-empty string", name)
		}
		return s, nil
	}
	var err error
	if hc.PatientID, err = str("patientId", true); err != nil {
		return nil, err
	}
	// userId is required in 2.0; pre-2.0 clients (PDDI-CDS) send a top-level user instead.
	legacy := req.User != "" || req.UserID != "" || req.Patient != ""
	if hc.UserID, err = str("userId", !legacy); err != nil {
		return nil, err
	}
	if hc.UserID == "" {
		hc.UserID = req.User
		if hc.UserID == "" {
			hc.UserID = req.UserID
		}
		if hc.UserID != "" {
			hc.primitives["userId"] = hc.UserID
		}
	}
	if hc.EncounterID, err = str("encounterId", false); err != nil {
		return nil, err
	}
	if hook == HookOrderSelect || hook == HookOrderSign {
		raw, ok := req.Context["draftOrders"]
		if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			return nil, badRequest("/context/draftOrders", "draftOrders is required by %s", hook)
		}
		rt, err := fhir.PeekType(raw)
		if err != nil {
			return nil, badRequest("/context/draftOrders", "draftOrders must be a FHIR Bundle: %v", err)
		}
		if rt != "Bundle" {
			return nil, badRequest("/context/draftOrders", "draftOrders must be a FHIR Bundle, got %s", rt)
		}
		res, err := fhir.Decode(raw) // bounded nesting: refused before any decoding
		if errors.Is(err, fhir.ErrTooDeep) {
			return nil, badRequest("/context/draftOrders", "draftOrders: JSON nested more than %d levels", fhir.MaxDepth)
		}
		if err != nil {
			return nil, badRequest("/context/draftOrders", "draftOrders: %s", jsonReason(err))
		}
		b := res.(*fhir.Bundle)
		for i, e := range b.Entry {
			if mr, ok := e.Resource.(*fhir.MedicationRequest); ok {
				if mr.MedicationCodeableConcept.IsEmpty() && mr.MedicationReference.IsEmpty() {
					return nil, badRequest(fmt.Sprintf("/context/draftOrders/entry/%d/resource", i), "MedicationRequest has no medication[x]")
				}
			}
		}
		hc.DraftOrders = b
	}
	if hook == HookOrderSelect {
		raw, ok := req.Context["selections"]
		if ok && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
			if err := json.Unmarshal(raw, &hc.Selections); err != nil {
				return nil, badRequest("/context/selections", "selections must be an array of references")
			}
		} else if !legacy { // required in 2.0; PDDI-CDS's pre-2.0 examples omit it
			return nil, badRequest("/context/selections", "selections is required by order-select")
		}
	}
	return hc, nil
}

// jsonReason turns a decoding error into a short message without echoing input.
func jsonReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("%s has the wrong JSON type (%s, want %s)", te.Field, te.Value, te.Type)
		}
		return fmt.Sprintf("wrong JSON type (%s, want %s)", te.Value, te.Type)
	case errors.Is(err, fhir.ErrWrongType), errors.Is(err, fhir.ErrNotResource):
		return err.Error()
	case errors.Is(err, io.EOF):
		return "empty body"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON (truncated)"
	}
	var ue *json.UnsupportedValueError
	if errors.As(err, &ue) {
		return "unsupported value"
	}
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}
