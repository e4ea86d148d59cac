package evals

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"
)

// Gold is one encounter's gold items, in the JSONL format of the gold annotation guideline
// (../shared/evaldata/gold/GUIDELINE.md).
type Gold struct {
	EncounterID     string           `json:"encounter_id"`
	Medications     []GoldMedication `json:"medications"`
	Problems        []GoldProblem    `json:"problems"`
	NegatedFindings []GoldFinding    `json:"negated_findings"`
	Orders          []GoldOrder      `json:"orders"`
	Allergies       []GoldAllergy    `json:"allergies"`
}

// GoldMedication is a gold medication: generic name, RxNorm ingredient code when certain.
type GoldMedication struct {
	Name      string  `json:"name"`
	RxCUI     *string `json:"rxcui"`
	Status    string  `json:"status"`
	Dose      *string `json:"dose"`
	Route     *string `json:"route"`
	Frequency *string `json:"frequency"`
	Evidence  string  `json:"evidence"`
}

// GoldProblem is a gold problem with its assertion.
type GoldProblem struct {
	Name      string  `json:"name"`
	ICD10     *string `json:"icd10"`
	Assertion string  `json:"assertion"`
	Evidence  string  `json:"evidence"`
}

// GoldFinding is a finding the dialogue says is absent.
type GoldFinding struct {
	Name     string `json:"name"`
	Evidence string `json:"evidence"`
}

// GoldOrder is something ordered at the visit.
type GoldOrder struct {
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	Evidence string `json:"evidence"`
}

// GoldAllergy is a stated allergy ("none known" for NKDA).
type GoldAllergy struct {
	Substance string  `json:"substance"`
	Reaction  *string `json:"reaction"`
	Evidence  string  `json:"evidence"`
}

// GoldSet is a loaded gold file, in file order.
type GoldSet struct {
	Path       string
	Encounters []*Gold
	byID       map[string]*Gold
}

// Get returns the gold items for an encounter, or nil.
func (g *GoldSet) Get(id string) *Gold { return g.byID[id] }

// LoadGold reads a gold JSONL file strictly: unknown fields, missing names, invalid status or
// assertion values, duplicate encounters and bad encoding are errors naming the line.
func LoadGold(path string) (*GoldSet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read gold: %w", err)
	}
	return parseGold(path, data)
}

var (
	validMedStatus = set("active", "new", "changed", "stopped", "historical", "considered")
	validAssertion = set("present", "absent", "possible", "history", "family")
	validOrderKind = set("lab", "imaging", "referral", "procedure", "medication", "followup", "other")
)

func set(xs ...string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func parseGold(path string, data []byte) (*GoldSet, error) {
	gs := &GoldSet{Path: path, byID: map[string]*Gold{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		bad := func(col, msg string) error {
			return &DataError{File: path, Line: line, Row: line, Column: col, Msg: msg}
		}
		if !utf8.Valid(b) {
			return nil, bad("", "not valid UTF-8")
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		var g Gold
		if err := dec.Decode(&g); err != nil {
			return nil, bad("", "invalid gold record: "+err.Error())
		}
		if g.EncounterID == "" {
			return nil, bad("encounter_id", "missing")
		}
		if _, dup := gs.byID[g.EncounterID]; dup {
			return nil, bad("encounter_id", fmt.Sprintf("duplicate encounter %q", g.EncounterID))
		}
		for i, m := range g.Medications {
			if strings.TrimSpace(m.Name) == "" {
				return nil, bad(fmt.Sprintf("medications[%d].name", i), "empty")
			}
			if !validMedStatus[m.Status] {
				return nil, bad(fmt.Sprintf("medications[%d].status", i), fmt.Sprintf("invalid status %q", m.Status))
			}
		}
		for i, p := range g.Problems {
			if strings.TrimSpace(p.Name) == "" {
				return nil, bad(fmt.Sprintf("problems[%d].name", i), "empty")
			}
			if !validAssertion[p.Assertion] {
				return nil, bad(fmt.Sprintf("problems[%d].assertion", i), fmt.Sprintf("invalid assertion %q", p.Assertion))
			}
		}
		for i, f := range g.NegatedFindings {
			if strings.TrimSpace(f.Name) == "" {
				return nil, bad(fmt.Sprintf("negated_findings[%d].name", i), "empty")
			}
		}
		for i, o := range g.Orders {
			if strings.TrimSpace(o.Name) == "" {
				return nil, bad(fmt.Sprintf("orders[%d].name", i), "empty")
			}
			if !validOrderKind[o.Kind] {
				return nil, bad(fmt.Sprintf("orders[%d].kind", i), fmt.Sprintf("invalid kind %q", o.Kind))
			}
		}
		for i, a := range g.Allergies {
			if strings.TrimSpace(a.Substance) == "" {
				return nil, bad(fmt.Sprintf("allergies[%d].substance", i), "empty")
			}
		}
		gg := g
		gs.Encounters = append(gs.Encounters, &gg)
		gs.byID[g.EncounterID] = &gg
	}
	if err := sc.Err(); err != nil {
		return nil, &DataError{File: path, Line: line + 1, Msg: err.Error()}
	}
	if len(gs.Encounters) == 0 {
		return nil, &DataError{File: path, Msg: "no gold encounters"}
	}
	return gs, nil
}

// Check verifies the gold set covers exactly the dataset's encounters.
func (g *GoldSet) Check(ds *Dataset) error {
	var missing, extra []string
	for _, e := range ds.Encounters {
		if g.byID[e.ID] == nil {
			missing = append(missing, e.ID)
		}
	}
	for _, ge := range g.Encounters {
		if ds.ByID(ge.EncounterID) == nil {
			extra = append(extra, ge.EncounterID)
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return nil
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "no gold for "+abbrevList(missing))
	}
	if len(extra) > 0 {
		parts = append(parts, "gold for encounters not in "+ds.Path+": "+abbrevList(extra))
	}
	return &DataError{File: g.Path, Column: "encounter_id", Msg: "mismatched encounter ids: " + strings.Join(parts, "; ")}
}
