package transcript

import (
	"errors"
	"fmt"
)

// Sentinels callers branch on (errors.Is); every error Parse returns is an *Error wrapping one.
var (
	ErrEmpty         = errors.New("empty input")
	ErrTooLarge      = errors.New("input too large")
	ErrBinary        = errors.New("binary data, not text")
	ErrInvalidUTF8   = errors.New("invalid UTF-8")
	ErrNoSpeakers    = errors.New("no recognisable speaker turns")
	ErrMalformed     = errors.New("malformed input")
	ErrOverlap       = errors.New("overlapping intervals")
	ErrAudio         = errors.New("audio input needs speech recognition")
	ErrUnknownFormat = errors.New("unknown input format")
)

// Error locates a parse failure so a user can fix the file: Error() reads "FILE:LINE: msg",
// without LINE when it is 0 (the whole file, or a format without lines).
type Error struct {
	File string
	Line int
	Msg  string
	// Err is the sentinel the failure belongs to.
	Err error
}

func (e *Error) Error() string {
	msg := e.Msg
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	file := e.File
	if file == "" {
		file = "<input>"
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", file, e.Line, msg)
	}
	return fmt.Sprintf("%s: %s", file, msg)
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// errAt builds an *Error; msg is formatted and prefixed by the sentinel's text so the message
// says what kind of failure it is.
func errAt(file string, line int, sentinel error, format string, args ...any) *Error {
	msg := sentinel.Error()
	if format != "" {
		msg += ": " + fmt.Sprintf(format, args...)
	}
	return &Error{File: file, Line: line, Msg: msg, Err: sentinel}
}
