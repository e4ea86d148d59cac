package transcript

import (
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/medscribe/medscribe/visit"
)

// Praat's text formats, long ("xmin = 0") and short, are the same token stream: Praat reads
// numbers, "strings" and <flags> and skips every other word as a comment. Reading tokens
// that way handles both formats with one parser.

type tgTokKind int

const (
	tgNum tgTokKind = iota
	tgStr
	tgFlag
)

type tgTok struct {
	kind tgTokKind
	s    string
	n    float64
	line int
}

type interval struct {
	start, end int64
	text       string
	line       int
}

type tier struct {
	name      string
	line      int
	role      visit.Speaker // forced role (a pair's side); "" to decide from the name
	intervals []interval
}

func tgTokens(name, text string) ([]tgTok, error) {
	var toks []tgTok
	line := 1
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\f' || c == '\v':
			i++
		case c == '!': // comment to end of line (short format)
			for i < len(text) && text[i] != '\n' {
				i++
			}
		case c == '"':
			startLine := line
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(text) {
				if text[j] == '"' {
					if j+1 < len(text) && text[j+1] == '"' {
						b.WriteByte('"')
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				if text[j] == '\n' {
					line++
				}
				b.WriteByte(text[j])
				j++
			}
			if !closed {
				return nil, errAt(name, startLine, ErrMalformed, "unterminated string (truncated file?)")
			}
			toks = append(toks, tgTok{kind: tgStr, s: b.String(), line: startLine})
			i = j
		default:
			j := i
			for j < len(text) && !strings.ContainsRune(" \t\n\f\v\"", rune(text[j])) {
				j++
			}
			w := text[i:j]
			switch {
			case w == "<exists>" || w == "<absent>":
				toks = append(toks, tgTok{kind: tgFlag, s: w, line: line})
			case (w[0] >= '0' && w[0] <= '9') || ((w[0] == '-' || w[0] == '+' || w[0] == '.') && len(w) > 1):
				if v, err := strconv.ParseFloat(w, 64); err == nil && !math.IsInf(v, 0) && !math.IsNaN(v) {
					toks = append(toks, tgTok{kind: tgNum, n: v, line: line})
				}
			}
			i = j
		}
	}
	return toks, nil
}

type tgReader struct {
	name string
	toks []tgTok
	pos  int
	last int
}

func (r *tgReader) next(kind tgTokKind, what string) (tgTok, error) {
	if r.pos >= len(r.toks) {
		return tgTok{}, errAt(r.name, r.last, ErrMalformed, "truncated TextGrid: expected %s", what)
	}
	t := r.toks[r.pos]
	r.pos++
	r.last = t.line
	if t.kind != kind {
		return tgTok{}, errAt(r.name, t.line, ErrMalformed, "expected %s", what)
	}
	return t, nil
}

func (r *tgReader) count(what string) (int, tgTok, error) {
	t, err := r.next(tgNum, what)
	if err != nil {
		return 0, t, err
	}
	if t.n < 0 || t.n != math.Trunc(t.n) || t.n > float64(len(r.toks)) {
		return 0, t, errAt(r.name, t.line, ErrMalformed, "bad %s %v", what, t.n)
	}
	return int(t.n), t, nil
}

func (r *tgReader) seconds(what string) (int64, tgTok, error) {
	t, err := r.next(tgNum, what)
	if err != nil {
		return 0, t, err
	}
	if t.n < 0 || t.n*1000 > maxMS {
		return 0, t, errAt(r.name, t.line, ErrMalformed, "%s %v out of range", what, t.n)
	}
	return int64(math.Round(t.n * 1000)), t, nil
}

// parseTextGrid reads a Praat TextGrid. Interval tiers become tiers of turns; point tiers
// are skipped (they mark events, not speech). Intervals of one tier must not overlap.
func parseTextGrid(name, text string) ([]tier, error) {
	toks, err := tgTokens(name, text)
	if err != nil {
		return nil, err
	}
	r := &tgReader{name: name, toks: toks, last: 1}
	if t, err := r.next(tgStr, `File type = "ooTextFile"`); err != nil || t.s != "ooTextFile" {
		return nil, errAt(name, 1, ErrMalformed, `not a Praat TextGrid: missing File type = "ooTextFile"`)
	}
	if t, err := r.next(tgStr, `Object class = "TextGrid"`); err != nil || t.s != "TextGrid" {
		return nil, errAt(name, max(r.last, 1), ErrMalformed, `not a Praat TextGrid: Object class is not "TextGrid"`)
	}
	if _, _, err := r.seconds("xmin"); err != nil {
		return nil, err
	}
	if _, _, err := r.seconds("xmax"); err != nil {
		return nil, err
	}
	flag, err := r.next(tgFlag, "tiers? <exists>")
	if err != nil {
		return nil, err
	}
	if flag.s == "<absent>" {
		return nil, errAt(name, flag.line, ErrNoSpeakers, "TextGrid has no tiers")
	}
	n, _, err := r.count("tier count (size)")
	if err != nil {
		return nil, err
	}
	var tiers []tier
	for k := 0; k < n; k++ {
		class, err := r.next(tgStr, `tier class "IntervalTier" or "TextTier"`)
		if err != nil {
			return nil, err
		}
		tname, err := r.next(tgStr, "tier name")
		if err != nil {
			return nil, err
		}
		if _, _, err := r.seconds("tier xmin"); err != nil {
			return nil, err
		}
		if _, _, err := r.seconds("tier xmax"); err != nil {
			return nil, err
		}
		m, _, err := r.count("interval count (size)")
		if err != nil {
			return nil, err
		}
		switch class.s {
		case "IntervalTier":
			tr := tier{name: tname.s, line: class.line}
			prevEnd := int64(-1)
			for j := 0; j < m; j++ {
				start, st, err := r.seconds("interval xmin")
				if err != nil {
					return nil, err
				}
				end, _, err := r.seconds("interval xmax")
				if err != nil {
					return nil, err
				}
				txt, err := r.next(tgStr, "interval text")
				if err != nil {
					return nil, err
				}
				if end < start {
					return nil, errAt(name, st.line, ErrMalformed, "tier %q interval %d ends before it starts", tname.s, j+1)
				}
				if prevEnd >= 0 && start < prevEnd {
					return nil, errAt(name, st.line, ErrOverlap, "tier %q interval %d starts at %.3fs, before the previous one ends at %.3fs", tname.s, j+1, float64(start)/1000, float64(prevEnd)/1000)
				}
				prevEnd = end
				tr.intervals = append(tr.intervals, interval{start: start, end: end, text: txt.s, line: st.line})
			}
			tiers = append(tiers, tr)
		case "TextTier":
			for j := 0; j < m; j++ {
				if _, _, err := r.seconds("point time"); err != nil {
					return nil, err
				}
				if _, err := r.next(tgStr, "point mark"); err != nil {
					return nil, err
				}
			}
		default:
			return nil, errAt(name, class.line, ErrMalformed, "unknown tier class %q", class.s)
		}
	}
	if len(tiers) == 0 {
		return nil, errAt(name, 0, ErrNoSpeakers, "TextGrid has no interval tiers")
	}
	return tiers, nil
}

// tiersToTurns makes one turn per non-empty interval, the tier naming the speaker; a lone
// tier with a generic name takes fileRole (PriMock57 names files X_doctor / X_patient).
func tiersToTurns(tiers []tier, fileRole visit.Speaker) []rawTurn {
	var turns []rawTurn
	for _, t := range tiers {
		role := t.role
		if role == "" {
			if r, ok := labelRole(t.name); ok {
				role = r
			} else if len(tiers) == 1 && fileRole != "" {
				role = fileRole
			}
		}
		label := t.name
		if label == "" {
			label = "tier"
		}
		for _, iv := range t.intervals {
			if strings.TrimSpace(iv.text) == "" {
				continue
			}
			turns = append(turns, rawTurn{label: label, role: role, text: iv.text, start: ms(iv.start), end: ms(iv.end), line: iv.line})
		}
	}
	sortByStart(turns)
	return turns
}

// roleFromFileName reads PriMock57's "<id>_doctor.TextGrid" / "<id>_patient.TextGrid".
func roleFromFileName(name string) visit.Speaker {
	base := strings.ToLower(strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)))
	switch {
	case strings.HasSuffix(base, "_doctor") || strings.HasSuffix(base, "-doctor"):
		return visit.Doctor
	case strings.HasSuffix(base, "_patient") || strings.HasSuffix(base, "-patient"):
		return visit.Patient
	}
	return ""
}
