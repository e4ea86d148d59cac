package evals

import (
	"errors"
	"fmt"
)

// ErrData marks a dataset that cannot be scored as given (missing column, duplicate or
// mismatched id, empty note, bad encoding). Callers branch on it with errors.Is.
var ErrData = errors.New("bad dataset")

// DataError says exactly where a dataset is wrong, so a quality lead can fix the file rather
// than guess. Row is the 1-based record number (the header is record 1), Line the 1-based line
// in the file where that record starts; zero when not applicable.
type DataError struct {
	File   string
	Row    int
	Line   int
	Column string
	Msg    string
}

func (e *DataError) Error() string {
	s := e.File
	if e.Line > 0 {
		s += fmt.Sprintf(":%d", e.Line)
	}
	if e.Row > 0 {
		s += fmt.Sprintf(": row %d", e.Row)
	}
	if e.Column != "" {
		s += fmt.Sprintf(": column %q", e.Column)
	}
	return s + ": " + e.Msg
}

// Unwrap lets errors.Is(err, ErrData) match.
func (e *DataError) Unwrap() error { return ErrData }
