package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Code systems medscribe reads and writes.
const (
	SystemRxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm"
	SystemLOINC  = "http://loinc.org"
	SystemSNOMED = "http://snomed.info/sct"
	SystemICD10  = "http://hl7.org/fhir/sid/icd-10-cm"
	SystemUCUM   = "http://unitsofmeasure.org"
)

// Resource is any FHIR resource medscribe models.
type Resource interface {
	// ResourceType is the FHIR resourceType.
	ResourceType() string
	// Validate reports every required element that is missing or has a bad value.
	Validate() error
}

// ErrInvalid is wrapped by every Validate error, so callers map it to a 400.
var ErrInvalid = errors.New("invalid FHIR resource")

// ErrWrongType is returned when JSON names a resourceType other than the one expected.
var ErrWrongType = errors.New("wrong FHIR resourceType")

// ErrNotResource is returned when JSON is not an object with a resourceType.
var ErrNotResource = errors.New("not a FHIR resource")

// Unknown is a resource of a type medscribe does not model; it keeps its JSON so a Bundle
// round-trips, and its type so callers can count what they skipped.
type Unknown struct {
	TypeName string
	ID       string
	Raw      json.RawMessage
}

// Type returns the resourceType as given.
func (u *Unknown) ResourceType() string { return u.TypeName }

// Validate accepts any resource type medscribe does not interpret.
func (u *Unknown) Validate() error { return nil }

// MarshalJSON writes the JSON as received.
func (u *Unknown) MarshalJSON() ([]byte, error) { return u.Raw, nil }

type header struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
}

// PeekType returns the resourceType of a JSON object, or ErrNotResource. It stops at the
// resourceType member (first in practice), so peeking a large Bundle costs little; the full
// document is validated when it is decoded.
func PeekType(b []byte) (string, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return "", fmt.Errorf("%w: not a JSON object", ErrNotResource)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return "", fmt.Errorf("%w: %v", ErrNotResource, err)
	}
	for dec.More() {
		t, err := dec.Token()
		key, ok := t.(string)
		if err != nil || !ok {
			return "", fmt.Errorf("%w: malformed object", ErrNotResource)
		}
		if key == "resourceType" {
			var rt string
			if err := dec.Decode(&rt); err != nil {
				return "", fmt.Errorf("%w: resourceType is not a string", ErrNotResource)
			}
			if rt == "" {
				break
			}
			return rt, nil
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "", fmt.Errorf("%w: %v", ErrNotResource, err)
		}
	}
	return "", fmt.Errorf("%w: no resourceType", ErrNotResource)
}

// MaxDepth bounds how deeply JSON may nest in a resource. Real resources nest a dozen levels;
// a Bundle nested in a Bundle thousands deep would otherwise cost time quadratic in its size,
// since every level's decoder rescans what it holds.
const MaxDepth = 64

// ErrTooDeep is returned for JSON nested deeper than MaxDepth.
var ErrTooDeep = errors.New("fhir: JSON nested too deeply")

// jsonDepth returns how deeply objects and arrays nest in b, stopping early past limit. It
// skips strings; malformed JSON is left to the decoder.
func jsonDepth(b []byte, limit int) int {
	depth, max := 0, 0
	inStr := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inStr {
			switch c {
			case '\\':
				i++
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			depth++
			if depth > max {
				max = depth
				if max > limit {
					return max
				}
			}
		case '}', ']':
			depth--
		}
	}
	return max
}

// Decode reads one resource of any type; types medscribe does not model come back as *Unknown.
// It does not Validate: tolerant readers decide what they need. JSON nested deeper than
// MaxDepth is refused with ErrTooDeep before any decoding.
func Decode(b []byte) (Resource, error) {
	if jsonDepth(b, MaxDepth) > MaxDepth {
		return nil, fmt.Errorf("%w (more than %d levels)", ErrTooDeep, MaxDepth)
	}
	rt, err := PeekType(b)
	if err != nil {
		return nil, err
	}
	var r Resource
	switch rt {
	case "Patient":
		r = &Patient{}
	case "MedicationRequest":
		r = &MedicationRequest{}
	case "MedicationStatement":
		r = &MedicationStatement{}
	case "AllergyIntolerance":
		r = &AllergyIntolerance{}
	case "Condition":
		r = &Condition{}
	case "Observation":
		r = &Observation{}
	case "Encounter":
		r = &Encounter{}
	case "ServiceRequest":
		r = &ServiceRequest{}
	case "DocumentReference":
		r = &DocumentReference{}
	case "Bundle":
		r = &Bundle{}
	default:
		var h header
		if err := json.Unmarshal(b, &h); err != nil {
			return nil, fmt.Errorf("decode %s: %w", rt, err)
		}
		return &Unknown{TypeName: rt, ID: h.ID, Raw: append(json.RawMessage(nil), bytes.TrimSpace(b)...)}, nil
	}
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("decode %s: %w", rt, err)
	}
	return r, nil
}

// checkType enforces the resourceType when decoding into a concrete struct.
func checkType(got *string, want string) error {
	switch {
	case got == nil || *got == "":
		return fmt.Errorf("%w: no resourceType", ErrNotResource)
	case *got != want:
		return fmt.Errorf("%w: got %q, want %q", ErrWrongType, *got, want)
	}
	return nil
}

// problems collects missing-element messages for Validate.
type problems struct {
	rt   string
	errs []error
}

func (p *problems) add(format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%w: %s.%s", ErrInvalid, p.rt, fmt.Sprintf(format, args...)))
}

func (p *problems) require(ok bool, path string) {
	if !ok {
		p.add("%s is required", path)
	}
}

func (p *problems) oneOf(path, v string, allowed ...string) {
	if v == "" {
		p.add("%s is required", path)
		return
	}
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	p.add("%s: %q is not one of %v", path, v, allowed)
}

func (p *problems) err() error { return errors.Join(p.errs...) }
