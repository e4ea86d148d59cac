// Package transcript owns the text input formats of a visit: it detects a file's format and
// parses it into visit.Transcript turns with speaker roles and, where the format has them,
// times.
//
// Supported: plain text with "[doctor]"/"[patient]" tags (ACI-BENCH) or "Doctor:",
// "Patient:", "Dr.", "Pt:", "Speaker 1:" style prefixes; JSON {"turns":[...]}; WebVTT with
// <v Name> voice tags; SRT; Praat TextGrid (long and short text formats, one tier per
// speaker), including a PriMock57-style doctor/patient pair of files merged by time.
//
// Speakers that carry a generic label ("Speaker 1", "SPEAKER_00", a name) get doctor or
// patient roles inferred from what they say (InferRoles). Bad input never panics: every
// failure is an *Error naming the file and, where it applies, the line, wrapping a sentinel
// (ErrEmpty, ErrTooLarge, ...) that callers branch on. Audio is ingest/asr's business.
package transcript
