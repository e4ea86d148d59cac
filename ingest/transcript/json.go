package transcript

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// jsonTurn is one element of {"turns":[...]}. Times are milliseconds; "role" is accepted as
// a synonym of "speaker" (visit records use "speaker", some exporters "role").
type jsonTurn struct {
	Speaker *string  `json:"speaker"`
	Role    *string  `json:"role"`
	Text    *string  `json:"text"`
	StartMS *float64 `json:"start_ms"`
	EndMS   *float64 `json:"end_ms"`
}

// parseJSON reads {"turns":[...]}, a visit record's {"transcript":{"turns":[...]}}, or a
// bare array of turns. It streams so that an error can name the line of the bad turn.
func parseJSON(name, text string) ([]rawTurn, error) {
	p := &jsonParser{name: name, text: text, dec: json.NewDecoder(strings.NewReader(text))}
	turns, found, err := p.value(0)
	if err != nil {
		return nil, err
	}
	if _, err := p.dec.Token(); err != io.EOF {
		return nil, p.fail(ErrMalformed, "trailing data after the JSON value")
	}
	if !found {
		return nil, errAt(name, 0, ErrNoSpeakers, `no "turns" array`)
	}
	return turns, nil
}

type jsonParser struct {
	name, text string
	dec        *json.Decoder
	// lineOff and lineNo cache the line of an offset so that numbering every turn stays
	// linear in the input.
	lineOff, lineNo int
}

// lineOf returns the 1-based line of byte offset off.
func (p *jsonParser) lineOf(off int) int {
	off = max(0, min(off, len(p.text)))
	if off < p.lineOff {
		p.lineOff, p.lineNo = 0, 0
	}
	p.lineNo += strings.Count(p.text[p.lineOff:off], "\n")
	p.lineOff = off
	return p.lineNo + 1
}

func (p *jsonParser) line() int { return p.lineOf(int(p.dec.InputOffset())) }

func (p *jsonParser) fail(sentinel error, format string, args ...any) error {
	return errAt(p.name, p.line(), sentinel, format, args...)
}

func (p *jsonParser) syntax(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return errAt(p.name, p.lineOf(int(se.Offset)), ErrMalformed, "%v", se)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errAt(p.name, strings.Count(p.text, "\n")+1, ErrMalformed, "unexpected end of JSON (truncated?)")
	}
	return p.fail(ErrMalformed, "%v", err)
}

// value reads the top-level value, or the value of a "transcript" key (depth 1).
func (p *jsonParser) value(depth int) ([]rawTurn, bool, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return nil, false, p.syntax(err)
	}
	switch tok {
	case json.Delim('['):
		if depth == 0 {
			t, err := p.turnsArrayBody()
			return t, true, err
		}
	case json.Delim('{'):
		return p.object(depth)
	}
	return nil, false, p.fail(ErrMalformed, `expected an object with a "turns" array`)
}

func (p *jsonParser) object(depth int) ([]rawTurn, bool, error) {
	var turns []rawTurn
	found := false
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return nil, false, p.syntax(err)
		}
		key, _ := tok.(string)
		switch {
		case key == "turns" && !found:
			t, err := p.dec.Token()
			if err != nil {
				return nil, false, p.syntax(err)
			}
			if t != json.Delim('[') {
				return nil, false, p.fail(ErrMalformed, `"turns" must be an array`)
			}
			if turns, err = p.turnsArrayBody(); err != nil {
				return nil, false, err
			}
			found = true
		case key == "transcript" && depth == 0 && !found:
			t, f, err := p.value(1)
			if err != nil {
				return nil, false, err
			}
			turns, found = t, f
		default:
			var skip json.RawMessage
			if err := p.dec.Decode(&skip); err != nil {
				return nil, false, p.syntax(err)
			}
		}
	}
	if _, err := p.dec.Token(); err != nil { // closing brace
		return nil, false, p.syntax(err)
	}
	return turns, found, nil
}

func (p *jsonParser) turnsArrayBody() ([]rawTurn, error) {
	var turns []rawTurn
	for i := 0; p.dec.More(); i++ {
		// Line of the element's start: skip to the next token position.
		line := p.elementLine()
		var jt jsonTurn
		if err := p.dec.Decode(&jt); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return nil, errAt(p.name, line, ErrMalformed, "turns[%d]: field %q: want %s, got %s", i, te.Field, te.Type, te.Value)
			}
			return nil, p.syntax(err)
		}
		t, err := jt.toRaw(p.name, line, i)
		if err != nil {
			return nil, err
		}
		turns = append(turns, t)
	}
	if _, err := p.dec.Token(); err != nil {
		return nil, p.syntax(err)
	}
	return turns, nil
}

// elementLine is the line of the next non-space, non-comma character after the decoder.
func (p *jsonParser) elementLine() int {
	off := int(p.dec.InputOffset())
	for off < len(p.text) && strings.IndexByte(" \t\n\r,", p.text[off]) >= 0 {
		off++
	}
	return p.lineOf(off)
}

func (jt jsonTurn) toRaw(name string, line, i int) (rawTurn, error) {
	speaker := jt.Speaker
	if speaker == nil {
		speaker = jt.Role
	}
	if speaker == nil || strings.TrimSpace(*speaker) == "" {
		return rawTurn{}, errAt(name, line, ErrMalformed, "turns[%d]: missing speaker", i)
	}
	if jt.Text == nil {
		return rawTurn{}, errAt(name, line, ErrMalformed, "turns[%d]: missing text", i)
	}
	t := rawTurn{label: strings.TrimSpace(*speaker), text: *jt.Text, line: line}
	if r, ok := labelRole(t.label); ok {
		t.role = r
	}
	var err error
	if t.start, err = msField(jt.StartMS); err != nil {
		return rawTurn{}, errAt(name, line, ErrMalformed, "turns[%d]: start_ms %v", i, err)
	}
	if t.end, err = msField(jt.EndMS); err != nil {
		return rawTurn{}, errAt(name, line, ErrMalformed, "turns[%d]: end_ms %v", i, err)
	}
	if t.start != nil && t.end != nil && *t.end < *t.start {
		return rawTurn{}, errAt(name, line, ErrMalformed, "turns[%d]: end_ms %d before start_ms %d", i, *t.end, *t.start)
	}
	return t, nil
}

// maxMS is about 31 years: anything longer is not a visit.
const maxMS = 1e12

func msField(v *float64) (*int64, error) {
	if v == nil {
		return nil, nil
	}
	if math.IsNaN(*v) || *v < 0 || *v > maxMS {
		return nil, fmt.Errorf("out of range: %v", *v)
	}
	return ms(int64(math.Round(*v))), nil
}
