package transcript

import (
	"bytes"
	"encoding/binary"
	"sort"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/medscribe/medscribe/visit"
)

// Default limits; see Options.
const (
	DefaultMaxBytes = 8 << 20
	DefaultMaxTurns = 20000
)

// Options bounds what Parse accepts; nil means the defaults.
type Options struct {
	// MaxBytes is the largest input accepted, checked before parsing. Default 8 MiB.
	MaxBytes int64
	// MaxTurns is the most turns one transcript may have. Default 20000.
	MaxTurns int
}

func (o *Options) withDefaults() Options {
	out := Options{MaxBytes: DefaultMaxBytes, MaxTurns: DefaultMaxTurns}
	if o != nil {
		if o.MaxBytes > 0 {
			out.MaxBytes = o.MaxBytes
		}
		if o.MaxTurns > 0 {
			out.MaxTurns = o.MaxTurns
		}
	}
	return out
}

// rawTurn is a turn before roles are settled: label is what the file called the speaker.
type rawTurn struct {
	label string
	role  visit.Speaker // "" while the label is generic and the role still to infer
	text  string
	// more holds continuation text, joined in finish: appending to text line by line
	// would be quadratic in a long turn.
	more  []string
	start *int64
	end   *int64
	line  int
}

// Parse detects the format of one transcript file by extension and content, parses its turns,
// numbers them 0..n-1 and infers doctor/patient roles where speakers are unlabelled or
// generic. name is used for detection and in error messages only.
func Parse(name string, data []byte, opts *Options) (visit.Transcript, error) {
	o := opts.withDefaults()
	text, err := prepare(name, data, o)
	if err != nil {
		return visit.Transcript{}, err
	}
	var turns []rawTurn
	switch f := DetectFormat(name, data); f {
	case FormatAudio:
		return visit.Transcript{}, errAt(name, 0, ErrAudio, "transcribe it with ingest/asr")
	case FormatJSON:
		turns, err = parseJSON(name, text)
	case FormatVTT:
		turns, err = parseVTT(name, text)
	case FormatSRT:
		turns, err = parseSRT(name, text)
	case FormatTextGrid:
		var tiers []tier
		tiers, err = parseTextGrid(name, text)
		if err == nil {
			turns = tiersToTurns(tiers, roleFromFileName(name))
		}
	case FormatText:
		turns, err = parseText(name, text)
	default:
		return visit.Transcript{}, errAt(name, 0, ErrUnknownFormat, "")
	}
	if err != nil {
		return visit.Transcript{}, err
	}
	return finish(name, turns, o)
}

// ParseTextGridPair merges a doctor's and a patient's TextGrid (PriMock57 records each side
// on its own channel and transcribes it separately) into one transcript ordered by start
// time. Overlap between the two files is ordinary crosstalk; overlap within one tier is an
// error.
func ParseTextGridPair(doctorName string, doctor []byte, patientName string, patient []byte, opts *Options) (visit.Transcript, error) {
	o := opts.withDefaults()
	var all []rawTurn
	for _, side := range []struct {
		name string
		data []byte
		role visit.Speaker
	}{{doctorName, doctor, visit.Doctor}, {patientName, patient, visit.Patient}} {
		text, err := prepare(side.name, side.data, o)
		if err != nil {
			return visit.Transcript{}, err
		}
		tiers, err := parseTextGrid(side.name, text)
		if err != nil {
			return visit.Transcript{}, err
		}
		for i := range tiers {
			tiers[i].role = side.role
		}
		all = append(all, tiersToTurns(tiers, side.role)...)
	}
	sortByStart(all)
	return finish(doctorName+"+"+patientName, all, o)
}

// prepare enforces size and encoding rules and returns the text with a BOM removed and line
// endings normalised to "\n" (line numbers are unchanged).
func prepare(name string, data []byte, o Options) (string, error) {
	if int64(len(data)) > o.MaxBytes {
		return "", errAt(name, 0, ErrTooLarge, "%d bytes, limit %d", len(data), o.MaxBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return "", errAt(name, 0, ErrEmpty, "")
	}
	if audioMagic(data) {
		return "", errAt(name, 0, ErrAudio, "transcribe it with ingest/asr")
	}
	if isUTF16(data) {
		data = []byte(decodeUTF16(data))
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return "", errAt(name, lineAt(data, i), ErrBinary, "NUL byte at offset %d", i)
	}
	if !utf8.Valid(data) {
		i := firstInvalidUTF8(data)
		return "", errAt(name, lineAt(data, i), ErrInvalidUTF8, "at byte offset %d", i)
	}
	if n := controlBytes(data); n*20 > len(data) {
		return "", errAt(name, 0, ErrBinary, "%d control characters", n)
	}
	s := string(data)
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	if strings.TrimSpace(s) == "" {
		return "", errAt(name, 0, ErrEmpty, "")
	}
	return s, nil
}

func isUTF16(b []byte) bool {
	return len(b) >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF))
}

// decodeUTF16 converts BOM-marked UTF-16 (Praat writes TextGrids with non-ASCII text so).
func decodeUTF16(b []byte) string {
	var order binary.ByteOrder = binary.LittleEndian
	if b[0] == 0xFE {
		order = binary.BigEndian
	}
	b = b[2:]
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = order.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

func lineAt(b []byte, off int) int {
	if off > len(b) {
		off = len(b)
	}
	return bytes.Count(b[:off], []byte("\n")) + 1
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// controlBytes counts C0 controls other than whitespace: text files have next to none.
func controlBytes(b []byte) int {
	n := 0
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' {
			n++
		}
	}
	return n
}

// finish drops empty turns, checks limits, settles roles and numbers the turns.
func finish(name string, turns []rawTurn, o Options) (visit.Transcript, error) {
	kept := turns[:0]
	for _, t := range turns {
		if len(t.more) > 0 {
			t.text = t.text + " " + strings.Join(t.more, " ")
			t.more = nil
		}
		t.text = cleanText(t.text)
		if t.text != "" {
			kept = append(kept, t)
		}
	}
	if len(kept) == 0 {
		return visit.Transcript{}, errAt(name, 0, ErrNoSpeakers, "")
	}
	if len(kept) > o.MaxTurns {
		return visit.Transcript{}, errAt(name, 0, ErrTooLarge, "%d turns, limit %d", len(kept), o.MaxTurns)
	}
	inferLabelRoles(kept)
	tr := visit.Transcript{Turns: make([]visit.Turn, len(kept))}
	for i, t := range kept {
		tr.Turns[i] = visit.Turn{Index: i, Speaker: t.role, Text: t.text, StartMS: t.start, EndMS: t.end}
	}
	return tr, nil
}

func sortByStart(ts []rawTurn) {
	sort.SliceStable(ts, func(i, j int) bool {
		a, b := ts[i].start, ts[j].start
		switch {
		case a == nil || b == nil:
			return false
		default:
			return *a < *b
		}
	})
}

func ms(v int64) *int64 { return &v }
