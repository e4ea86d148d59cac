package evals

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// TimedTurn is one transcribed interval of a PriMock57 consultation.
type TimedTurn struct {
	Speaker string  `json:"speaker"`
	Start   float64 `json:"start"`
	End     float64 `json:"end"`
	Text    string  `json:"-"`
}

// LoadPriMock57 reads PriMock57: dir/transcripts/<id>_doctor.TextGrid and <id>_patient.TextGrid
// pairs and dir/notes/<id>.json ({"presenting_complaint", "note", ...}). Each consultation
// becomes an encounter whose Dialogue is the merged turns in time order, one
// "[doctor] …" / "[patient] …" line per interval, so the pipeline reads it like ACI-BENCH.
// A notes file without both transcripts, or a transcript pair without a note, is an error.
func LoadPriMock57(dir string) (*Dataset, error) {
	notes, err := filepath.Glob(filepath.Join(dir, "notes", "*.json"))
	if err != nil {
		return nil, fmt.Errorf("list primock57 notes: %w", err)
	}
	if len(notes) == 0 {
		return nil, &DataError{File: filepath.Join(dir, "notes"), Msg: "no notes (*.json) found"}
	}
	sort.Strings(notes)
	ds := &Dataset{Name: "primock57", Path: dir}
	seen := map[string]bool{}
	for _, np := range notes {
		id := strings.TrimSuffix(filepath.Base(np), ".json")
		data, err := os.ReadFile(np)
		if err != nil {
			return nil, fmt.Errorf("read primock57 note: %w", err)
		}
		if !utf8.Valid(data) {
			return nil, &DataError{File: np, Msg: "not valid UTF-8"}
		}
		var n struct {
			PresentingComplaint string  `json:"presenting_complaint"`
			Note                *string `json:"note"`
		}
		if err := json.Unmarshal(data, &n); err != nil {
			return nil, &DataError{File: np, Msg: "invalid JSON: " + err.Error()}
		}
		if n.Note == nil || strings.TrimSpace(*n.Note) == "" {
			return nil, &DataError{File: np, Column: "note", Msg: "missing or empty note"}
		}
		var turns []TimedTurn
		for _, side := range []string{"doctor", "patient"} {
			tg := filepath.Join(dir, "transcripts", id+"_"+side+".TextGrid")
			b, err := os.ReadFile(tg)
			if err != nil {
				return nil, &DataError{File: tg, Msg: "transcript missing for " + id}
			}
			tt, err := ParseTextGrid(tg, b, side)
			if err != nil {
				return nil, err
			}
			turns = append(turns, tt...)
		}
		sort.SliceStable(turns, func(i, j int) bool { return turns[i].Start < turns[j].Start })
		var b strings.Builder
		for _, t := range turns {
			fmt.Fprintf(&b, "[%s] %s\n", t.Speaker, t.Text)
		}
		seen[id] = true
		ds.Encounters = append(ds.Encounters, Encounter{ID: id, Dialogue: b.String(), Note: *n.Note,
			Meta: map[string]string{"presenting_complaint": n.PresentingComplaint}, Source: "primock57"})
	}
	grids, _ := filepath.Glob(filepath.Join(dir, "transcripts", "*_doctor.TextGrid"))
	for _, g := range grids {
		id := strings.TrimSuffix(filepath.Base(g), "_doctor.TextGrid")
		if !seen[id] {
			return nil, &DataError{File: g, Msg: fmt.Sprintf("no note %s.json for this transcript", id)}
		}
	}
	return ds, nil
}

// ParseTextGrid reads the non-empty intervals of a Praat TextGrid (long text format, as
// PriMock57 ships). It is a minimal reader for evaluation; ingest/transcript owns full
// transcript parsing. Errors name the file and line.
func ParseTextGrid(name string, data []byte, speaker string) ([]TimedTurn, error) {
	if !utf8.Valid(data) {
		return nil, &DataError{File: name, Msg: "not valid UTF-8"}
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	if !strings.Contains(text, `Object class = "TextGrid"`) {
		return nil, &DataError{File: name, Line: 1, Msg: "not a TextGrid (missing Object class = \"TextGrid\")"}
	}
	var out []TimedTurn
	var cur *TimedTurn
	inIntervals := false
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		ln := strings.TrimSpace(lines[i])
		switch {
		case strings.HasPrefix(ln, "intervals ["):
			inIntervals = true
			cur = &TimedTurn{Speaker: speaker}
		case inIntervals && cur != nil && strings.HasPrefix(ln, "xmin ="):
			v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(ln, "xmin =")), 64)
			if err != nil {
				return nil, &DataError{File: name, Line: i + 1, Column: "xmin", Msg: "not a number"}
			}
			cur.Start = v
		case inIntervals && cur != nil && strings.HasPrefix(ln, "xmax ="):
			v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(ln, "xmax =")), 64)
			if err != nil {
				return nil, &DataError{File: name, Line: i + 1, Column: "xmax", Msg: "not a number"}
			}
			cur.End = v
		case inIntervals && cur != nil && strings.HasPrefix(ln, "text ="):
			start := i + 1
			val := strings.TrimSpace(strings.TrimPrefix(ln, "text ="))
			// A quoted string may span lines; "" inside is an escaped quote.
			for !closedQuote(val) {
				i++
				if i >= len(lines) {
					return nil, &DataError{File: name, Line: start, Column: "text", Msg: "unterminated string"}
				}
				val += "\n" + lines[i]
				val = strings.TrimRight(val, " ")
			}
			val = strings.TrimSpace(val)
			val = strings.ReplaceAll(val[1:len(val)-1], `""`, `"`)
			if strings.TrimSpace(val) != "" {
				cur.Text = strings.Join(strings.Fields(val), " ")
				out = append(out, *cur)
			}
			cur = nil
		}
	}
	return out, nil
}

// closedQuote reports whether s is a complete Praat string literal: it starts with a quote and
// ends with an unescaped one.
func closedQuote(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return false
	}
	// Count the run of quotes at the end: odd means the last one closes the string.
	n := 0
	for i := len(s) - 1; i > 0 && s[i] == '"'; i-- {
		n++
	}
	return n%2 == 1
}
