package evals

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Case is medscribe's own evaluation case file (YAML), for a team's local data:
//
//	id: clinic-0001
//	transcript: |
//	  [doctor] what brings you in today ?
//	  [patient] my knee hurts .
//	reference_note: |          # optional: enables note metrics
//	  CHIEF COMPLAINT ...
//	gold:                      # optional: enables extraction metrics (gold JSONL fields)
//	  medications: [{name: ibuprofen, rxcui: "5640", status: new, evidence: "..."}]
//
// Unknown fields are errors, so a typo never silently drops a metric.
type Case struct {
	ID            string `yaml:"id"`
	Transcript    string `yaml:"transcript"`
	ReferenceNote string `yaml:"reference_note"`
	Gold          *struct {
		Medications     []GoldMedication `yaml:"medications"`
		Problems        []GoldProblem    `yaml:"problems"`
		NegatedFindings []GoldFinding    `yaml:"negated_findings"`
		Orders          []GoldOrder      `yaml:"orders"`
		Allergies       []GoldAllergy    `yaml:"allergies"`
	} `yaml:"gold"`
}

// LoadCases reads YAML case files: a single file (one or more "---"-separated documents) or
// every *.yaml / *.yml in a directory. It returns the dataset and, when any case has gold, a
// gold set (then every case must have gold, so extraction figures are never over a subset).
func LoadCases(path string) (*Dataset, *GoldSet, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read cases: %w", err)
	}
	files := []string{path}
	if st.IsDir() {
		a, _ := filepath.Glob(filepath.Join(path, "*.yaml"))
		b, _ := filepath.Glob(filepath.Join(path, "*.yml"))
		files = append(a, b...)
		sort.Strings(files)
		if len(files) == 0 {
			return nil, nil, &DataError{File: path, Msg: "no *.yaml case files"}
		}
	}
	ds := &Dataset{Name: strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)), Path: path}
	gs := &GoldSet{Path: path, byID: map[string]*Gold{}}
	where := map[string]string{}
	withGold, withNote := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, fmt.Errorf("read cases: %w", err)
		}
		if !utf8.Valid(data) {
			return nil, nil, &DataError{File: f, Msg: "not valid UTF-8"}
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		for doc := 1; ; doc++ {
			var node yaml.Node
			if err := dec.Decode(&node); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, nil, &DataError{File: f, Row: doc, Msg: "invalid YAML: " + err.Error()}
			}
			var c Case
			if err := decodeStrict(&node, &c); err != nil {
				return nil, nil, &DataError{File: f, Row: doc, Line: node.Line, Msg: err.Error()}
			}
			bad := func(col, msg string) error {
				return &DataError{File: f, Row: doc, Line: node.Line, Column: col, Msg: msg}
			}
			if strings.TrimSpace(c.ID) == "" {
				return nil, nil, bad("id", "missing")
			}
			if prev, dup := where[c.ID]; dup {
				return nil, nil, bad("id", fmt.Sprintf("duplicate case id %q (first in %s)", c.ID, prev))
			}
			where[c.ID] = f
			if strings.TrimSpace(c.Transcript) == "" {
				return nil, nil, bad("transcript", "empty")
			}
			ds.Encounters = append(ds.Encounters, Encounter{ID: c.ID, Dialogue: c.Transcript, Note: c.ReferenceNote, Source: "cases"})
			if c.ReferenceNote != "" {
				withNote++
			}
			if c.Gold != nil {
				withGold++
				g := &Gold{EncounterID: c.ID, Medications: c.Gold.Medications, Problems: c.Gold.Problems,
					NegatedFindings: c.Gold.NegatedFindings, Orders: c.Gold.Orders, Allergies: c.Gold.Allergies}
				gs.Encounters = append(gs.Encounters, g)
				gs.byID[c.ID] = g
			}
		}
	}
	if withNote > 0 && withNote < len(ds.Encounters) {
		return nil, nil, &DataError{File: path, Column: "reference_note", Msg: fmt.Sprintf("%d of %d cases have a reference note: all or none must", withNote, len(ds.Encounters))}
	}
	if withGold == 0 {
		return ds, nil, nil
	}
	if withGold < len(ds.Encounters) {
		return nil, nil, &DataError{File: path, Column: "gold", Msg: fmt.Sprintf("%d of %d cases have gold: all or none must", withGold, len(ds.Encounters))}
	}
	return ds, gs, nil
}

// decodeStrict decodes a node rejecting unknown fields (yaml.Node.Decode ignores KnownFields).
func decodeStrict(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	return dec.Decode(v)
}
