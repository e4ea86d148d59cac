package fhir

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// FuzzUnmarshal feeds arbitrary bytes to Decode and to the UnmarshalJSON of every modelled
// resource. Whatever the bytes, nothing panics; whatever decodes
//   - has the resourceType PeekType reads (Decode) and validates without panicking;
//   - re-marshals, and that JSON decodes again to an equal value and marshals to the same
//     bytes (marshal∘decode is idempotent after one round).
//
// "Equal" is reflect.DeepEqual after erasing the two differences JSON cannot carry: an empty
// slice is written like a nil one (omitempty), and an Unknown keeps its JSON as received,
// which json.Marshal re-emits compacted and HTML-escaped. Corpus: testdata/fuzz/FuzzUnmarshal.
func FuzzUnmarshal(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	examples, _ := filepath.Glob("../cds/testdata/examples/*/*.json")
	for _, p := range append(files, examples...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if _, err := PeekType(b); err == nil {
			f.Add(b)
		}
		// CDS Hooks requests carry resources in context and prefetch: seed each of them.
		var doc any
		if json.Unmarshal(b, &doc) == nil {
			for _, r := range embeddedResources(doc) {
				f.Add(r)
			}
		}
	}
	for _, s := range []string{
		`{"resourceType":"Condition","clinicalStatus":"active","category":{"coding":[]},"subject":{"reference":"Patient/1"}}`,
		`{"resourceType":"MedicationRequest","dosageInstruction":{"doseAndRate":{"doseQuantity":{"value":-0,"unit":"mg"}}},"subject":{}}`,
		`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Bundle","entry":[{"resource":null},{}]}},{"resource":{"resourceType":"Foo","x":"<&>\u2028"}}]}`,
		`{"resourceType":"DocumentReference","content":[{"attachment":{"data":"","url":"x"}}],"category":[]}`,
		`{"resourceType":"Patient","resourceType":"Observation"}`,
		`{"resourcetype":"Patient","ID":"x","birthDate":"1950-02"}`,
		`{"resourceType":"Observation","code":null,"valueQuantity":{"value":1e308},"category":"laboratory"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if r, err := Decode(data); err == nil {
			rt, perr := PeekType(data)
			if perr != nil || rt != r.ResourceType() {
				t.Fatalf("Decode gave a %s, PeekType says %q, %v", r.ResourceType(), rt, perr)
			}
			exercise(r)
			roundTrip(t, r)
		}
		for _, r := range []Resource{&Patient{}, &MedicationRequest{}, &MedicationStatement{}, &AllergyIntolerance{},
			&Condition{}, &Observation{}, &Encounter{}, &ServiceRequest{}, &DocumentReference{}, &Bundle{}} {
			if err := json.Unmarshal(data, r); err == nil {
				exercise(r)
				roundTrip(t, r)
			}
		}
	})
}

// embeddedResources returns the JSON of every object in doc that has a resourceType.
func embeddedResources(doc any) [][]byte {
	var out [][]byte
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if rt, ok := x["resourceType"].(string); ok && rt != "" {
				if b, err := json.Marshal(x); err == nil {
					out = append(out, b)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc)
	return out
}

// roundTrip checks that r1 marshals, decodes back to an equal value, and marshals again to
// the same bytes.
func roundTrip(t *testing.T, r1 Resource) {
	t.Helper()
	b1, err := json.Marshal(r1)
	if err != nil {
		t.Fatalf("marshal a decoded %s: %v", r1.ResourceType(), err)
	}
	r2, err := Decode(b1)
	if err != nil {
		t.Fatalf("decode a marshalled %s: %v\n%s", r1.ResourceType(), err, b1)
	}
	b2, err := json.Marshal(r2)
	if err != nil {
		t.Fatalf("marshal a re-decoded %s: %v", r1.ResourceType(), err)
	}
	if !bytes.Equal(b1, b2) {
		t.Fatalf("marshal is not stable:\n%s\n%s", b1, b2)
	}
	normalize(t, reflect.ValueOf(r1))
	normalize(t, reflect.ValueOf(r2))
	if !reflect.DeepEqual(r1, r2) {
		t.Fatalf("round trip changed the %s:\n%#v\n%#v\n%s", r1.ResourceType(), r1, r2, b1)
	}
}

// normalize rewrites v in place: empty slices become nil and an Unknown's JSON is compacted
// as json.Marshal writes it.
func normalize(t *testing.T, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return
		}
		if u, ok := v.Interface().(*Unknown); ok {
			b, err := json.Marshal(json.RawMessage(u.Raw))
			if err != nil {
				t.Fatalf("an Unknown keeps JSON that does not marshal: %v", err)
			}
			u.Raw = b
			return
		}
		normalize(t, v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			normalize(t, v.Field(i))
		}
	case reflect.Slice:
		if v.Len() == 0 {
			if !v.IsNil() {
				v.SetZero()
			}
			return
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := range v.Len() {
			normalize(t, v.Index(i))
		}
	}
}

// exercise calls the accessors readers use on decoded resources; they must not panic on
// anything that decodes.
func exercise(r Resource) {
	_ = r.Validate()
	now := time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)
	dosages := func(ds []Dosage) {
		for i := range ds {
			_ = ds[i].Dose().String()
			_ = ds[i].Frequency()
			_ = ds[i].Route.Label()
		}
	}
	switch x := r.(type) {
	case *Patient:
		_, _ = x.Age(now)
	case *MedicationRequest:
		cc, _ := x.Medication()
		_ = cc.CodeIn(SystemRxNorm)
		_ = x.Subject.ID()
		dosages(x.DosageInstruction)
	case *MedicationStatement:
		cc, _ := x.Medication()
		_ = cc.HasCode("", "x")
		_ = x.Subject.ID()
		dosages(x.Dosage)
	case *AllergyIntolerance:
		_ = x.Code.Label()
		_ = x.ClinicalStatus.IsEmpty()
		_ = x.Patient.ID()
	case *Condition:
		_ = x.Code.CodeIn(SystemICD10)
		_ = x.ClinicalStatus.HasCode("", "active")
	case *Observation:
		_ = x.Code.CodeIn(SystemLOINC)
		_ = x.ValueQuantity.String()
		_ = x.Subject.ID()
	case *Bundle:
		for _, res := range x.Resources() {
			exercise(res)
		}
	}
}
