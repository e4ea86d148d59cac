package transcript

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// Input is one visit to ingest: usually one file; a PriMock57-style doctor/patient TextGrid
// pair is one input whose Paths are the doctor's file then the patient's.
type Input struct {
	ExternalID string
	Paths      []string
}

// pairName matches "<id>_doctor.TextGrid" and "<id>_patient.TextGrid" (also "-").
var pairName = regexp.MustCompile(`(?i)^(.+)[_-](doctor|patient)\.textgrid$`)

// GroupInputs turns file paths into inputs, in the order first seen: one per file (its
// name without extension is the external id), except that X_doctor.TextGrid and
// X_patient.TextGrid in the same folder become the single input "X". A path listed twice
// counts once. Two inputs with the same external id are an error, because each becomes
// "<external_id>.json" and one would overwrite the other.
func GroupInputs(paths []string) ([]Input, error) {
	type side struct{ doctor, patient string }
	pairs := map[string]*side{}
	for _, p := range paths {
		if m := pairName.FindStringSubmatch(filepath.Base(p)); m != nil {
			key := filepath.Join(filepath.Dir(p), m[1])
			s := pairs[key]
			if s == nil {
				s = &side{}
				pairs[key] = s
			}
			if strings.EqualFold(m[2], "doctor") {
				s.doctor = p
			} else {
				s.patient = p
			}
		}
	}
	var out []Input
	seenPath := map[string]bool{}
	byID := map[string]string{}
	emitted := map[string]bool{}
	for _, p := range paths {
		if seenPath[p] {
			continue
		}
		seenPath[p] = true
		in := Input{ExternalID: strings.TrimSuffix(filepath.Base(p), filepath.Ext(p)), Paths: []string{p}}
		if m := pairName.FindStringSubmatch(filepath.Base(p)); m != nil {
			key := filepath.Join(filepath.Dir(p), m[1])
			if s := pairs[key]; s.doctor != "" && s.patient != "" {
				if emitted[key] {
					continue
				}
				emitted[key] = true
				in = Input{ExternalID: m[1], Paths: []string{s.doctor, s.patient}}
			}
		}
		if prev, dup := byID[in.ExternalID]; dup {
			return nil, fmt.Errorf("inputs %s and %s have the same external id %q", prev, strings.Join(in.Paths, "+"), in.ExternalID)
		}
		byID[in.ExternalID] = strings.Join(in.Paths, "+")
		out = append(out, in)
	}
	return out, nil
}
