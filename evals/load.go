package evals

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

// Encounter is one visit of a dataset: the dialogue, the reference note, and what else the
// dataset gives about it.
type Encounter struct {
	ID string `json:"id"`
	// Dataset is the source subset (ACI-BENCH: aci, virtassist, virtscribe); "" when none.
	Dataset  string `json:"dataset,omitempty"`
	Dialogue string `json:"-"`
	Note     string `json:"-"`
	// Meta holds the metadata CSV's columns for this encounter (patient_gender, cc, ...).
	Meta map[string]string `json:"meta,omitempty"`
	// Divisions holds reference division texts when the dataset ships them (ACI-BENCH JSON).
	Divisions map[string]string `json:"-"`
	// Source names the loader that produced the encounter (aci-bench, mts-dialog, ...).
	Source string `json:"source,omitempty"`
}

// Dataset is a loaded evaluation set, in file order.
type Dataset struct {
	Name       string
	Path       string
	Encounters []Encounter
}

// ByID returns the encounter with the id, or nil.
func (d *Dataset) ByID(id string) *Encounter {
	for i := range d.Encounters {
		if d.Encounters[i].ID == id {
			return &d.Encounters[i]
		}
	}
	return nil
}

// table is a CSV file read strictly: a header, every field valid UTF-8, and the line each
// record starts on, for error messages.
type table struct {
	file   string
	header map[string]int
	cols   []string
	rows   [][]string
	lines  []int
}

func readTable(path string) (*table, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read dataset: %w", err)
	}
	return parseTable(path, data)
}

func parseTable(path string, data []byte) (*table, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	t := &table{file: path, header: map[string]int{}}
	for rec := 1; ; rec++ {
		fields, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &DataError{File: path, Row: rec, Line: pe.StartLine, Msg: "malformed CSV: " + pe.Err.Error()}
			}
			return nil, &DataError{File: path, Row: rec, Msg: err.Error()}
		}
		line, _ := r.FieldPos(0)
		for i, f := range fields {
			if !utf8.ValidString(f) {
				col := ""
				if rec > 1 && i < len(t.cols) {
					col = t.cols[i]
				}
				l, _ := r.FieldPos(i)
				return nil, &DataError{File: path, Row: rec, Line: l, Column: col, Msg: "not valid UTF-8"}
			}
		}
		if rec == 1 {
			for i, c := range fields {
				c = strings.TrimSpace(c)
				t.cols = append(t.cols, c)
				if _, dup := t.header[c]; !dup {
					t.header[c] = i
				}
			}
			continue
		}
		if len(fields) == 1 && fields[0] == "" {
			continue
		}
		if len(fields) != len(t.cols) {
			return nil, &DataError{File: path, Row: rec, Line: line, Msg: fmt.Sprintf("has %d fields, header has %d", len(fields), len(t.cols))}
		}
		t.rows = append(t.rows, fields)
		t.lines = append(t.lines, line)
	}
	if len(t.cols) == 0 {
		return nil, &DataError{File: path, Msg: "empty file (no header)"}
	}
	return t, nil
}

// col finds the first of the candidate column names present; the error names them all.
func (t *table) col(names ...string) (int, error) {
	for _, n := range names {
		if i, ok := t.header[n]; ok {
			return i, nil
		}
	}
	return -1, &DataError{File: t.file, Row: 1, Line: 1, Column: names[0],
		Msg: fmt.Sprintf("missing column (want one of %s; have %s)", strings.Join(names, ", "), strings.Join(t.cols, ", "))}
}

func (t *table) errAt(i int, col, msg string) error {
	return &DataError{File: t.file, Row: i + 2, Line: t.lines[i], Column: col, Msg: msg}
}

// uniqueID reads row i's id from column idc, refusing an empty id or one seen before.
func (t *table) uniqueID(i, idc int, seen map[string]bool) (string, error) {
	id := strings.TrimSpace(t.rows[i][idc])
	if id == "" {
		return "", t.errAt(i, t.cols[idc], "empty id")
	}
	if seen[id] {
		return "", t.errAt(i, t.cols[idc], fmt.Sprintf("duplicate id %q", id))
	}
	seen[id] = true
	return id, nil
}

// LoadACIBench reads an ACI-BENCH challenge CSV (columns dataset, encounter_id, dialogue,
// note). Every encounter must have an id and a note, ids must be unique, and when the file has
// a dialogue column every dialogue must be non-empty (a references-only CSV without the column
// is accepted for scoring notes; running medscribe on it is refused).
func LoadACIBench(path string) (*Dataset, error) {
	t, err := readTable(path)
	if err != nil {
		return nil, err
	}
	idc, err := t.col("encounter_id", "id", "TestID")
	if err != nil {
		return nil, err
	}
	dc, _ := t.col("dialogue", "conversation")
	nc, err := t.col("note", "SystemOutput")
	if err != nil {
		return nil, err
	}
	setc, _ := t.col("dataset")
	ds := &Dataset{Name: strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)), Path: path}
	seen := map[string]int{}
	for i, row := range t.rows {
		id := strings.TrimSpace(row[idc])
		if id == "" {
			return nil, t.errAt(i, t.cols[idc], "empty encounter id")
		}
		if prev, dup := seen[id]; dup {
			return nil, t.errAt(i, t.cols[idc], fmt.Sprintf("duplicate encounter id %q (first at row %d)", id, prev+2))
		}
		seen[id] = i
		e := Encounter{ID: id, Note: row[nc], Source: "aci-bench"}
		if dc >= 0 {
			if strings.TrimSpace(row[dc]) == "" {
				return nil, t.errAt(i, t.cols[dc], fmt.Sprintf("empty dialogue for %s", id))
			}
			e.Dialogue = row[dc]
		}
		if strings.TrimSpace(row[nc]) == "" {
			return nil, t.errAt(i, t.cols[nc], fmt.Sprintf("empty note for %s", id))
		}
		if setc >= 0 {
			e.Dataset = row[setc]
		}
		ds.Encounters = append(ds.Encounters, e)
	}
	if len(ds.Encounters) == 0 {
		return nil, &DataError{File: path, Msg: "no encounters"}
	}
	return ds, nil
}

// LoadACIMetadata adds an ACI-BENCH metadata CSV (encounter_id, dataset, patient_gender, cc,
// ...) to ds. Every metadata row must name an encounter of ds and every encounter must have a
// row, so a metadata file from another split is caught.
func LoadACIMetadata(ds *Dataset, path string) error {
	t, err := readTable(path)
	if err != nil {
		return err
	}
	idc, err := t.col("encounter_id", "id")
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, row := range t.rows {
		id := strings.TrimSpace(row[idc])
		if seen[id] {
			return t.errAt(i, t.cols[idc], fmt.Sprintf("duplicate encounter id %q", id))
		}
		seen[id] = true
		e := ds.ByID(id)
		if e == nil {
			return t.errAt(i, t.cols[idc], fmt.Sprintf("encounter %q is not in %s", id, ds.Path))
		}
		e.Meta = map[string]string{}
		for c, name := range t.cols {
			if c != idc {
				e.Meta[name] = row[c]
			}
		}
	}
	for _, e := range ds.Encounters {
		if !seen[e.ID] {
			return &DataError{File: path, Column: t.cols[idc], Msg: fmt.Sprintf("no metadata row for encounter %q", e.ID)}
		}
	}
	return nil
}

// Divisions are the four note divisions ACI-BENCH scores separately.
var Divisions = []string{"subjective", "objective_exam", "objective_results", "assessment_and_plan"}

// LoadACIDivisions adds the reference division texts from ACI-BENCH's challenge_data_json
// folder (<split>_<division>.json, each {"data": [{"src", "tgt", "file"}]} where file is
// "<encounter_id>-<subset>-<division>"), so division scores can use the benchmark's own split of the
// reference instead of re-tagging it.
func LoadACIDivisions(ds *Dataset, dir, split string) error {
	for _, div := range Divisions {
		path := filepath.Join(dir, split+"_"+div+".json")
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read division file: %w", err)
		}
		if !utf8.Valid(data) {
			return &DataError{File: path, Msg: "not valid UTF-8"}
		}
		var doc struct {
			Data []struct {
				Src  *string `json:"src"`
				Tgt  *string `json:"tgt"`
				File string  `json:"file"`
			} `json:"data"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			return &DataError{File: path, Msg: "invalid JSON: " + err.Error()}
		}
		for i, d := range doc.Data {
			if d.Tgt == nil {
				return &DataError{File: path, Row: i + 1, Column: "tgt", Msg: "missing"}
			}
			// file is "<encounter_id>-<subset>-<division>": the longest "-"-separated prefix that
			// names an encounter of ds.
			var e *Encounter
			parts := strings.Split(d.File, "-")
			for k := len(parts); k >= 1 && e == nil; k-- {
				e = ds.ByID(strings.Join(parts[:k], "-"))
			}
			if e == nil {
				return &DataError{File: path, Row: i + 1, Column: "file", Msg: fmt.Sprintf("%q names no encounter of %s", d.File, ds.Path)}
			}
			if e.Divisions == nil {
				e.Divisions = map[string]string{}
			}
			e.Divisions[div] = *d.Tgt
		}
	}
	return nil
}

// LoadMTSDialog reads an MTS-Dialog CSV (ID, section_header, section_text, dialogue): each row
// is a dialogue snippet and the note section written from it.
func LoadMTSDialog(path string) (*Dataset, error) {
	t, err := readTable(path)
	if err != nil {
		return nil, err
	}
	idc, err := t.col("ID", "id", "encounter_id")
	if err != nil {
		return nil, err
	}
	hc, err := t.col("section_header")
	if err != nil {
		return nil, err
	}
	tc, err := t.col("section_text")
	if err != nil {
		return nil, err
	}
	dc, err := t.col("dialogue")
	if err != nil {
		return nil, err
	}
	ds := &Dataset{Name: strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)), Path: path}
	seen := map[string]bool{}
	for i, row := range t.rows {
		id, err := t.uniqueID(i, idc, seen)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(row[tc]) == "" {
			return nil, t.errAt(i, t.cols[tc], fmt.Sprintf("empty section text for %s", id))
		}
		if strings.TrimSpace(row[dc]) == "" {
			return nil, t.errAt(i, t.cols[dc], fmt.Sprintf("empty dialogue for %s", id))
		}
		ds.Encounters = append(ds.Encounters, Encounter{ID: id, Dialogue: row[dc], Note: row[tc],
			Meta: map[string]string{"section_header": row[hc]}, Source: "mts-dialog"})
	}
	if len(ds.Encounters) == 0 {
		return nil, &DataError{File: path, Msg: "no rows"}
	}
	return ds, nil
}

// Predictions are one system's notes keyed by encounter id, in file order.
type Predictions struct {
	Path  string
	IDs   []string
	Notes map[string]string
}

// LoadPredictions reads a system-output CSV: an id column (encounter_id, TestID or id) and a
// note column (note, SystemOutput, prediction). The wanglab/MEDIQA-Chat layout (TestID,
// SystemOutput) is accepted as is. Empty notes are an error: an empty output is a failure of
// the system, and scoring it silently as zero would hide that.
func LoadPredictions(path string) (*Predictions, error) {
	t, err := readTable(path)
	if err != nil {
		return nil, err
	}
	idc, err := t.col("encounter_id", "TestID", "id", "ID")
	if err != nil {
		return nil, err
	}
	nc, err := t.col("note", "SystemOutput", "prediction", "generated_note")
	if err != nil {
		return nil, err
	}
	p := &Predictions{Path: path, Notes: map[string]string{}}
	for i, row := range t.rows {
		id := strings.TrimSpace(row[idc])
		if id == "" {
			return nil, t.errAt(i, t.cols[idc], "empty encounter id")
		}
		if _, dup := p.Notes[id]; dup {
			return nil, t.errAt(i, t.cols[idc], fmt.Sprintf("duplicate encounter id %q", id))
		}
		if strings.TrimSpace(row[nc]) == "" {
			return nil, t.errAt(i, t.cols[nc], fmt.Sprintf("empty note for %s", id))
		}
		p.IDs = append(p.IDs, id)
		p.Notes[id] = row[nc]
	}
	return p, nil
}

// Match pairs predictions with the dataset's encounters. Every encounter needs a prediction
// and every prediction an encounter: a partial set is an error, never a partial score.
func (p *Predictions) Match(ds *Dataset) error {
	var missing, extra []string
	for _, e := range ds.Encounters {
		if _, ok := p.Notes[e.ID]; !ok {
			missing = append(missing, e.ID)
		}
	}
	for _, id := range p.IDs {
		if ds.ByID(id) == nil {
			extra = append(extra, id)
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return nil
	}
	var parts []string
	if len(missing) > 0 {
		sort.Strings(missing)
		parts = append(parts, fmt.Sprintf("no prediction for %d encounter(s) of %s: %s", len(missing), ds.Path, abbrevList(missing)))
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		parts = append(parts, fmt.Sprintf("%d prediction id(s) not in the dataset: %s", len(extra), abbrevList(extra)))
	}
	return &DataError{File: p.Path, Column: "encounter_id", Msg: "mismatched encounter ids: " + strings.Join(parts, "; ")}
}

func abbrevList(ids []string) string {
	if len(ids) > 8 {
		return strings.Join(ids[:8], ", ") + fmt.Sprintf(", … (%d more)", len(ids)-8)
	}
	return strings.Join(ids, ", ")
}

// LoadTranscripts reads a CSV of transcripts: an id column (id, encounter_id, TestID) and a
// dialogue column; other columns are ignored. Used for ASR word error rate.
func LoadTranscripts(path string) (*Dataset, error) {
	t, err := readTable(path)
	if err != nil {
		return nil, err
	}
	idc, err := t.col("id", "encounter_id", "TestID")
	if err != nil {
		return nil, err
	}
	dc, err := t.col("dialogue", "transcript")
	if err != nil {
		return nil, err
	}
	ds := &Dataset{Name: strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)), Path: path}
	seen := map[string]bool{}
	for i, row := range t.rows {
		id, err := t.uniqueID(i, idc, seen)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(row[dc]) == "" {
			return nil, t.errAt(i, t.cols[dc], fmt.Sprintf("empty transcript for %s", id))
		}
		ds.Encounters = append(ds.Encounters, Encounter{ID: id, Dialogue: row[dc], Source: "transcripts"})
	}
	if len(ds.Encounters) == 0 {
		return nil, &DataError{File: path, Msg: "no transcripts"}
	}
	return ds, nil
}
