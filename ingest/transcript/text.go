package transcript

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/medscribe/medscribe/visit"
)

var (
	// bracketTag is an ACI-BENCH style "[doctor]" tag; ACI-BENCH's ASR variants put several
	// on one line.
	bracketTag = regexp.MustCompile(`\[([^\[\]\n]{1,40})\]`)
	// colonPrefix is "Doctor:", "**Dr. Smith:**", "Speaker 1 (00:12):".
	colonPrefix = regexp.MustCompile(`^\**([^:*\n]{1,48}?(?:\s*[\(\[][0-9:.,]{3,12}[\)\]])?)\**\s*:\s*\**\s*(.*)$`)
	// dotPrefix is the bare "Dr." / "Pt." abbreviation used as a prefix without a colon.
	dotPrefix = regexp.MustCompile(`^(Dr|DR|Pt|PT)\.\s+(.*)$`)
	// leadingTime is a "[00:01:23]" or "00:01:23" stamp in front of a line.
	leadingTime = regexp.MustCompile(`^\[?(\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)\]?\s+`)
	// labelTime is a time after a label: "Speaker 1 (00:12)".
	labelTime = regexp.MustCompile(`^(.*?)\s*[\(\[](\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?)[\)\]]$`)
)

// segment is a piece of a line: label == "" continues the current turn.
type segment struct {
	label string
	text  string
	start *int64
}

// parseText reads dialogue text where a speaker label starts each turn and unlabelled lines
// continue the previous turn. Labels that are names ("Maria:") count only when the same
// label starts at least two lines, so "Note: ..." in a single line stays text.
func parseText(name, text string) ([]rawTurn, error) {
	lines := strings.Split(text, "\n")
	counts := map[string]int{}
	for _, l := range lines {
		l = stripLeadingTime(strings.TrimSpace(l), nil)
		if m := matchColon(l); m != nil {
			lab, _ := splitLabelTime(m[1])
			counts[canonLabel(lab)]++
		}
		if strings.HasPrefix(l, "[") {
			if m := bracketTag.FindStringSubmatchIndex(l); m != nil && m[0] == 0 {
				counts[canonLabel(l[m[2]:m[3]])]++
			}
		}
	}
	accept := func(label string, lineStart bool) bool {
		if knownLabel(label) {
			return true
		}
		return lineStart && nameLike(label) && counts[canonLabel(label)] >= 2
	}

	var turns []rawTurn
	labelled := 0
	for i, raw := range lines {
		lineNo := i + 1
		l := strings.TrimSpace(raw)
		if l == "" {
			continue
		}
		for _, seg := range splitLine(l, accept) {
			if seg.label == "" {
				if len(turns) == 0 {
					turns = append(turns, rawTurn{label: "", role: visit.Unknown, line: lineNo})
				}
				last := &turns[len(turns)-1]
				last.more = append(last.more, seg.text)
				continue
			}
			labelled++
			t := rawTurn{label: seg.label, text: seg.text, line: lineNo, start: seg.start}
			if r, ok := labelRole(seg.label); ok {
				t.role = r
			}
			turns = append(turns, t)
		}
	}
	if labelled == 0 {
		return nil, errAt(name, 0, ErrNoSpeakers, "no line starts with a speaker label such as [doctor] or Doctor:")
	}
	return turns, nil
}

// splitLine cuts one line into labelled segments.
func splitLine(l string, accept func(string, bool) bool) []segment {
	var start *int64
	l = stripLeadingTime(l, &start)
	// Bracket tags, possibly several per line.
	var idx [][]int
	if strings.IndexByte(l, '[') >= 0 {
		idx = bracketTag.FindAllStringSubmatchIndex(l, -1)
	}
	if idx != nil {
		var segs []segment
		prev, label := 0, ""
		for _, m := range idx {
			lab := l[m[2]:m[3]]
			if !accept(lab, m[0] == 0) {
				continue
			}
			if m[0] > prev || label != "" {
				segs = append(segs, segment{label: label, text: strings.TrimSpace(l[prev:m[0]])})
			}
			label, prev = strings.TrimSpace(lab), m[1]
		}
		if label != "" {
			segs = append(segs, segment{label: label, text: strings.TrimSpace(l[prev:])})
			for i := range segs {
				if segs[i].label != "" {
					segs[i].start = start
					break
				}
			}
			return segs
		}
	}
	if m := matchColon(l); m != nil {
		lab, t := splitLabelTime(m[1])
		if accept(lab, true) {
			if t != nil {
				start = t
			}
			return []segment{{label: strings.TrimSpace(lab), text: m[2], start: start}}
		}
	}
	if m := dotPrefix.FindStringSubmatch(l); m != nil {
		return []segment{{label: m[1], text: m[2], start: start}}
	}
	return []segment{{text: l}}
}

// matchColon runs colonPrefix only when a colon is near the start, where a label can be.
func matchColon(l string) []string {
	i := strings.IndexByte(l, ':')
	if i < 0 || i > 72 {
		return nil
	}
	return colonPrefix.FindStringSubmatch(l)
}

func stripLeadingTime(l string, start **int64) string {
	if l == "" || (l[0] != '[' && (l[0] < '0' || l[0] > '9')) {
		return l
	}
	m := leadingTime.FindStringSubmatchIndex(l)
	if m == nil {
		return l
	}
	if start != nil {
		if v, ok := clockMS(l[m[2]:m[3]]); ok {
			*start = ms(v)
		}
	}
	return l[m[1]:]
}

func splitLabelTime(label string) (string, *int64) {
	if m := labelTime.FindStringSubmatch(label); m != nil {
		if v, ok := clockMS(m[2]); ok {
			return m[1], ms(v)
		}
	}
	return label, nil
}

// clockMS parses "m:ss", "h:mm:ss" with an optional ".ttt" or ",ttt" fraction.
func clockMS(s string) (int64, bool) {
	frac := int64(0)
	if i := strings.IndexAny(s, ".,"); i >= 0 {
		f := s[i+1:]
		if f == "" || len(f) > 3 {
			return 0, false
		}
		for len(f) < 3 {
			f += "0"
		}
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil || v < 0 {
			return 0, false
		}
		frac, s = v, s[:i]
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	var total int64
	for i, p := range parts {
		if p == "" || len(p) > 3 {
			return 0, false
		}
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil || v < 0 || (i > 0 && v >= 60) {
			return 0, false
		}
		total = total*60 + v
	}
	return total*1000 + frac, true
}
