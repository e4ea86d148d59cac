package vocab

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// header is the column order Write uses; Load accepts any order.
var header = []string{"term", "system", "code", "display", "source", "synonyms", "classes", "codes", "expansion", "category"}

// WriteTSV writes entries (all of one kind) in the data-file format. Tabs, newlines and "|"
// inside values would break the format, so they are replaced by spaces ("|" by "/").
func WriteTSV(w io.Writer, entries []Entry) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(strings.Join(header, "\t") + "\n")
	for i := range entries {
		e := &entries[i]
		var sys, code, display string
		if e.Code != nil {
			sys, code, display = shortSystem(e.Code.System), e.Code.Code, e.Code.Display
			if sys == "" {
				return fmt.Errorf("write %q: unknown code system %q", e.Term, e.Code.System)
			}
			if display == e.Term {
				display = ""
			}
		}
		var extra []string
		for _, c := range e.Codes {
			s := shortSystem(c.System)
			if s == "" {
				return fmt.Errorf("write %q: unknown code system %q", e.Term, c.System)
			}
			extra = append(extra, s+":"+c.Code)
		}
		row := []string{
			cell(e.Term), sys, code, cell(display), cell(e.Source),
			list(e.Synonyms), list(e.Classes), strings.Join(extra, "|"),
			cell(e.Expansion), cell(e.Category),
		}
		bw.WriteString(strings.Join(row, "\t") + "\n")
	}
	return bw.Flush()
}

func cell(s string) string {
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ", "|", "/").Replace(strings.TrimSpace(s))
}

func list(ss []string) string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if c := cell(s); c != "" {
			out = append(out, c)
		}
	}
	return strings.Join(out, "|")
}

// WriteDir writes v's entries to dir, one data file per kind that has entries, so that
// Load(os.DirFS(dir), ".") reads them back.
func (v *Vocabulary) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write vocabulary: %w", err)
	}
	byKind := map[Kind][]Entry{}
	for _, e := range v.entries {
		byKind[e.Kind] = append(byKind[e.Kind], e)
	}
	for _, f := range files {
		es := byKind[f.kind]
		if len(es) == 0 {
			continue
		}
		if err := writeFile(filepath.Join(dir, f.name), es); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(name string, es []Entry) (err error) {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("write vocabulary: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write vocabulary: %w", cerr)
		}
	}()
	if err := WriteTSV(f, es); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// New returns a vocabulary of the given entries, checked as Load checks a data file. It is how
// importers and tests build one without going through files.
func New(entries []Entry) (*Vocabulary, error) {
	var errs []string
	for i := range entries {
		e := &entries[i]
		if e.Term == "" || e.Term != strings.ToLower(e.Term) || Normalize(e.Term) == "" {
			errs = append(errs, fmt.Sprintf("entry %d: bad term %q", i, e.Term))
		}
		if FileName(e.Kind) == "" {
			errs = append(errs, fmt.Sprintf("entry %d: unknown kind %q", i, e.Kind))
		}
		if e.Code != nil {
			if err := CheckCode(e.Code.System, e.Code.Code); err != nil {
				errs = append(errs, fmt.Sprintf("entry %d (%s): %v", i, e.Term, err))
			}
			if e.Source == "" {
				errs = append(errs, fmt.Sprintf("entry %d (%s): code without source", i, e.Term))
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("vocabulary: %s", strings.Join(errs, "; "))
	}
	return build(append([]Entry(nil), entries...)), nil
}
