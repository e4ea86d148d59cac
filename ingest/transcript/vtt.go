package transcript

import (
	"html"
	"regexp"
	"strings"

	"github.com/medscribe/medscribe/visit"
)

var (
	voiceTag = regexp.MustCompile(`<v(?:\.[^ \t>]*)?[ \t]+([^>]*)>`)
	anyTag   = regexp.MustCompile(`<[^>]*>`)
)

// subCue is one subtitle cue before speakers are resolved.
type subCue struct {
	line       int
	start, end int64
	payload    []string
}

// parseVTT reads WebVTT: speakers from <v Name> voice tags or "Name:" prefixes; cues without
// a speaker continue the previous one; consecutive cues of one speaker become one turn.
func parseVTT(name, text string) ([]rawTurn, error) {
	lines := strings.Split(text, "\n")
	first := strings.TrimSpace(lines[0])
	if !strings.HasPrefix(first, "WEBVTT") || (len(first) > 6 && first[6] != ' ' && first[6] != '\t') {
		return nil, errAt(name, 1, ErrMalformed, `WebVTT must start with "WEBVTT"`)
	}
	cues, err := readCues(name, lines, 1, true)
	if err != nil {
		return nil, err
	}
	return cuesToTurns(name, cues)
}

// parseSRT reads SubRip: numbered cues with "00:00:01,000 --> 00:00:02,500" timings.
func parseSRT(name, text string) ([]rawTurn, error) {
	cues, err := readCues(name, strings.Split(text, "\n"), 0, false)
	if err != nil {
		return nil, err
	}
	return cuesToTurns(name, cues)
}

func readCues(name string, lines []string, from int, vtt bool) ([]subCue, error) {
	var cues []subCue
	i := from
	if vtt { // header block runs to the first blank line
		for i < len(lines) && strings.TrimSpace(lines[i]) != "" {
			if strings.Contains(lines[i], "-->") {
				return nil, errAt(name, i+1, ErrMalformed, "cue timing inside the WEBVTT header: a blank line must follow the header")
			}
			i++
		}
	}
	for i < len(lines) {
		if strings.TrimSpace(lines[i]) == "" {
			i++
			continue
		}
		start := i
		var block []string
		for i < len(lines) && strings.TrimSpace(lines[i]) != "" {
			block = append(block, strings.TrimRight(lines[i], " \t"))
			i++
		}
		head := strings.TrimSpace(block[0])
		if vtt && (strings.HasPrefix(head, "NOTE") || strings.HasPrefix(head, "STYLE") || strings.HasPrefix(head, "REGION")) && !strings.Contains(head, "-->") {
			continue
		}
		timing := 0
		if !strings.Contains(block[0], "-->") {
			if len(block) < 2 || !strings.Contains(block[1], "-->") {
				return nil, errAt(name, start+1, ErrMalformed, "cue without a timing line (start --> end)")
			}
			if !vtt && strings.Trim(head, "0123456789") != "" {
				return nil, errAt(name, start+1, ErrMalformed, "SRT cue number is not a number") // the line may be dialogue: not quoted (PHI)
			}
			timing = 1
		}
		c := subCue{line: start + timing + 1, payload: block[timing+1:]}
		var err error
		if c.start, c.end, err = parseTiming(block[timing]); err != nil {
			return nil, errAt(name, c.line, ErrMalformed, "%v", err)
		}
		cues = append(cues, c)
	}
	if len(cues) == 0 {
		return nil, errAt(name, 0, ErrNoSpeakers, "no cues")
	}
	return cues, nil
}

type timingError string

func (e timingError) Error() string { return string(e) }

func parseTiming(l string) (int64, int64, error) {
	a, b, ok := strings.Cut(l, "-->")
	if !ok {
		return 0, 0, timingError("timing line without -->")
	}
	startS := strings.TrimSpace(a)
	endFields := strings.Fields(b)
	if len(endFields) == 0 {
		return 0, 0, timingError("cue timing has no end time")
	}
	start, ok1 := clockMS(startS)
	end, ok2 := clockMS(endFields[0])
	if !ok1 || !ok2 {
		// The line is not quoted: cue settings can carry dialogue (PHI) into error bodies and logs.
		return 0, 0, timingError("bad cue timing (want HH:MM:SS.mmm --> HH:MM:SS.mmm)")
	}
	if end < start {
		return 0, 0, timingError("cue ends before it starts")
	}
	return start, end, nil
}

func cuesToTurns(name string, cues []subCue) ([]rawTurn, error) {
	counts := map[string]int{}
	for _, c := range cues {
		for _, l := range c.payload {
			if m := matchColon(strings.TrimLeft(l, "- ")); m != nil {
				counts[canonLabel(m[1])]++
			}
		}
	}
	accept := func(label string, lineStart bool) bool {
		return knownLabel(label) || (lineStart && nameLike(label) && counts[canonLabel(label)] >= 2)
	}
	var turns []rawTurn
	labelled := 0
	add := func(c subCue, label, text string) {
		text = strings.TrimSpace(html.UnescapeString(anyTag.ReplaceAllString(text, " ")))
		if text == "" {
			return
		}
		if label == "" && len(turns) > 0 {
			label = turns[len(turns)-1].label
		}
		if label != "" && len(turns) > 0 && canonLabel(turns[len(turns)-1].label) == canonLabel(label) {
			last := &turns[len(turns)-1]
			last.more = append(last.more, text)
			last.end = ms(max(*last.end, c.end))
			return
		}
		t := rawTurn{label: label, text: text, start: ms(c.start), end: ms(c.end), line: c.line}
		if label == "" {
			t.role = visit.Unknown
		} else if r, ok := labelRole(label); ok {
			t.role = r
		}
		turns = append(turns, t)
	}
	for _, c := range cues {
		payload := strings.Join(c.payload, "\n")
		if idx := voiceTag.FindAllStringSubmatchIndex(payload, -1); idx != nil {
			if pre := payload[:idx[0][0]]; strings.TrimSpace(anyTag.ReplaceAllString(pre, "")) != "" {
				add(c, "", pre)
			}
			for k, m := range idx {
				end := len(payload)
				if k+1 < len(idx) {
					end = idx[k+1][0]
				}
				labelled++
				add(c, strings.TrimSpace(payload[m[2]:m[3]]), payload[m[1]:end])
			}
			continue
		}
		for _, l := range c.payload {
			l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "- "))
			for _, seg := range splitLine(stripTags(l), accept) {
				if seg.label != "" {
					labelled++
				}
				add(c, seg.label, seg.text)
			}
		}
	}
	if labelled == 0 {
		return nil, errAt(name, 0, ErrNoSpeakers, "no cue names a speaker (<v Name> or Name:)")
	}
	return turns, nil
}

// stripTags strips formatting tags (<i>, <b>, <c.x>, timestamps) before prefix
// detection so "<i>Doctor:</i> hello" is seen as labelled.
func stripTags(l string) string {
	if strings.IndexByte(l, '<') < 0 {
		return l
	}
	return strings.TrimSpace(anyTag.ReplaceAllString(l, ""))
}
