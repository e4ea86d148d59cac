package vocab

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/medscribe/medscribe/visit"
)

// ImportStats counts what an importer read and kept, for the command's report.
type ImportStats struct {
	Read    int // data lines read
	Kept    int // entries produced
	Skipped int // lines filtered out (other source/type, suppressed, non-billable, duplicates)
	Linked  int // brand or precise-ingredient names attached to an ingredient (RxNorm)
}

// RRF column positions (RxNorm Technical Documentation, RXNCONSO.RRF and RXNREL.RRF).
const (
	consoRXCUI    = 0
	consoSAB      = 11
	consoTTY      = 12
	consoSTR      = 14
	consoSUPPRESS = 16
	consoFields   = 18

	relRXCUI1 = 0
	relRXCUI2 = 4
	relRELA   = 7
	relSAB    = 10
	relFields = 16
)

// ImportRxNorm reads RXNCONSO.RRF (and RXNREL.RRF when rel is not nil) and returns one drug entry
// per RxNorm ingredient (SAB=RXNORM, TTY=IN, not suppressed), coded with its RxCUI. With RXNREL,
// precise ingredients (PIN, e.g. "metoprolol succinate") and single-ingredient brand names (BN)
// directly related to exactly one ingredient become that ingredient's synonyms; without it the
// link cannot be made safely, so only ingredients are kept.
func ImportRxNorm(conso, rel io.Reader, source string) ([]Entry, ImportStats, error) {
	var st ImportStats
	type concept struct{ tty, str string }
	concepts := map[string]concept{} // RXCUI → its RXNORM IN/PIN/BN name
	var order []string
	err := readRRF(conso, "RXNCONSO.RRF", consoFields, func(f []string) {
		st.Read++
		tty := f[consoTTY]
		if f[consoSAB] != "RXNORM" || f[consoSUPPRESS] != "N" || (tty != "IN" && tty != "PIN" && tty != "BN") {
			st.Skipped++
			return
		}
		if _, dup := concepts[f[consoRXCUI]]; dup {
			st.Skipped++
			return
		}
		concepts[f[consoRXCUI]] = concept{tty: tty, str: f[consoSTR]}
		order = append(order, f[consoRXCUI])
	})
	if err != nil {
		return nil, st, err
	}
	links := map[string][]string{} // PIN/BN RXCUI → related IN RXCUIs
	if rel != nil {
		err := readRRF(rel, "RXNREL.RRF", relFields, func(f []string) {
			if f[relSAB] != "RXNORM" {
				return
			}
			a, b := f[relRXCUI1], f[relRXCUI2]
			ca, okA := concepts[a]
			cb, okB := concepts[b]
			if !okA || !okB {
				return
			}
			switch f[relRELA] {
			case "has_tradename", "tradename_of", "has_form", "form_of":
			default:
				return
			}
			if cb.tty == "IN" && ca.tty != "IN" {
				a, b = b, a
				ca, cb = cb, ca
			}
			if ca.tty != "IN" || cb.tty == "IN" {
				return
			}
			if !containsString(links[b], a) {
				links[b] = append(links[b], a)
			}
		})
		if err != nil {
			return nil, st, err
		}
	}
	byCUI := map[string]int{}
	seen := map[string]bool{}
	var out []Entry
	for _, cui := range order {
		c := concepts[cui]
		if c.tty != "IN" {
			continue
		}
		term := importTerm(c.str)
		if term == "" || seen[Normalize(term)] || CheckCode(visit.SystemRxNorm, cui) != nil {
			st.Skipped++
			continue
		}
		seen[Normalize(term)] = true
		byCUI[cui] = len(out)
		out = append(out, Entry{
			Term: term, Kind: KindDrug, Source: source,
			Code: &visit.Code{System: visit.SystemRxNorm, Code: cui, Display: c.str},
		})
	}
	for _, cui := range order {
		c := concepts[cui]
		if c.tty == "IN" {
			continue
		}
		ins := links[cui]
		i, ok := byCUI[firstOr(ins)]
		syn := importTerm(c.str)
		if len(ins) != 1 || !ok || syn == "" || seen[Normalize(syn)] {
			st.Skipped++
			continue
		}
		seen[Normalize(syn)] = true
		out[i].Synonyms = append(out[i].Synonyms, syn)
		st.Linked++
	}
	st.Kept = len(out)
	return out, st, nil
}

func firstOr(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// readRRF calls fn with the fields of every line of a pipe-delimited RRF file (each line ends
// in "|"), checking the field count so a wrong file is reported rather than misread.
func readRRF(r io.Reader, name string, fields int, fn func([]string)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSuffix(sc.Text(), "\r")
		if text == "" {
			continue
		}
		f := strings.Split(strings.TrimSuffix(text, "|"), "|")
		if len(f) < fields {
			return fmt.Errorf("%s:%d: %d fields, want %d (is this %s?)", name, line, len(f), fields, name)
		}
		fn(f)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if line == 0 {
		return fmt.Errorf("%s: empty file", name)
	}
	return nil
}

// ImportICD10CM reads the ICD-10-CM order file (icd10cm_order_YYYY.txt: fixed width, order
// number in columns 1-5, code without its dot in 7-13, header flag in 15 where 1 marks a
// billable code, short description in 17-76, long description from 78) and returns one entry per
// billable code, its term the lowercase long description. Codes in chapter R (symptoms, signs
// and abnormal findings) become findings, all others problems.
func ImportICD10CM(order io.Reader, source string) ([]Entry, ImportStats, error) {
	var st ImportStats
	var out []Entry
	seen := map[string]bool{}
	sc := bufio.NewScanner(order)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r\n ")
		if text == "" {
			continue
		}
		st.Read++
		if len(text) < 78 || text[5] != ' ' || text[13] != ' ' || text[15] != ' ' || text[76] != ' ' {
			return nil, st, fmt.Errorf("icd10cm order file:%d: not in the fixed-width order-file layout", line)
		}
		raw := strings.TrimSpace(text[6:13])
		if text[14] != '1' {
			st.Skipped++ // category header, not billable
			continue
		}
		code := raw
		if len(raw) > 3 {
			code = raw[:3] + "." + raw[3:]
		}
		if err := CheckCode(visit.SystemICD10CM, code); err != nil {
			return nil, st, fmt.Errorf("icd10cm order file:%d: %w", line, err)
		}
		long := strings.TrimSpace(text[77:])
		term := importTerm(long)
		if term == "" || seen[Normalize(term)] {
			st.Skipped++
			continue
		}
		seen[Normalize(term)] = true
		k := KindProblem
		if code[0] == 'R' {
			k = KindFinding
		}
		e := Entry{Term: term, Kind: k, Source: source,
			Code: &visit.Code{System: visit.SystemICD10CM, Code: code, Display: long}}
		if short := importTerm(strings.TrimSpace(text[16:76])); short != "" && short != term && !seen[Normalize(short)] {
			seen[Normalize(short)] = true
			e.Synonyms = []string{short}
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, st, fmt.Errorf("icd10cm order file: %w", err)
	}
	st.Kept = len(out)
	return out, st, nil
}

// ImportLOINC reads LOINC's main table (Loinc.csv) and returns one lab entry per active
// laboratory term (CLASSTYPE 1; STATUS ACTIVE when the column is present), its term the
// lowercase LONG_COMMON_NAME and its SHORTNAME, when present, a synonym. Codes failing the
// check digit are rejected as a corrupt file.
func ImportLOINC(r io.Reader, source string) ([]Entry, ImportStats, error) {
	var st ImportStats
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, st, fmt.Errorf("Loinc.csv: header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimPrefix(h, "\ufeff")] = i
	}
	for _, need := range []string{"LOINC_NUM", "LONG_COMMON_NAME", "CLASSTYPE"} {
		if _, ok := col[need]; !ok {
			return nil, st, fmt.Errorf("Loinc.csv: no %s column (is this LOINC's Loinc.csv?)", need)
		}
	}
	get := func(rec []string, name string) string {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	var out []Entry
	seen := map[string]bool{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, st, fmt.Errorf("Loinc.csv: %w", err)
		}
		st.Read++
		line, _ := cr.FieldPos(0)
		if status := get(rec, "STATUS"); (status != "" && status != "ACTIVE") || get(rec, "CLASSTYPE") != "1" {
			st.Skipped++
			continue
		}
		code := get(rec, "LOINC_NUM")
		if err := CheckCode(visit.SystemLOINC, code); err != nil {
			return nil, st, fmt.Errorf("Loinc.csv:%d: %w", line, err)
		}
		long := get(rec, "LONG_COMMON_NAME")
		term := importTerm(long)
		if term == "" || seen[Normalize(term)] {
			st.Skipped++
			continue
		}
		seen[Normalize(term)] = true
		e := Entry{Term: term, Kind: KindLab, Source: source,
			Code: &visit.Code{System: visit.SystemLOINC, Code: code, Display: long}}
		if short := importTerm(get(rec, "SHORTNAME")); short != "" && !seen[Normalize(short)] {
			seen[Normalize(short)] = true
			e.Synonyms = []string{short}
		}
		out = append(out, e)
	}
	st.Kept = len(out)
	return out, st, nil
}

// importTerm makes an official name a valid data-file term: lowercase, no tabs or list
// separators, "" when nothing indexable is left.
func importTerm(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(cell(s)), " "))
	if Normalize(s) == "" {
		return ""
	}
	return s
}
