package evals

import (
	"regexp"
	"sort"
	"strings"
)

// The section tagger below follows ACI-BENCH's evaluation/sectiontagger.py (also shipped as
// MEDIQA-Chat 2023 scripts/sectiontagger.py), which the published division scores come from:
// a line is a section header when it starts (after spaces, case-insensitive) with one of the
// header phrases; a phrase ending in ":" also matches without the colon when nothing else
// follows on the line; "IMPRESSION" in capitals counts as assessment. Only the first section
// of each division is kept and it runs until the next kept division starts, so a division's
// text includes its header line and any other sections up to there.

type subsection struct {
	name     string
	division string
	re       *regexp.Regexp
}

var headerPhrases = []struct {
	division string
	sub      string
	phrases  []string
}{
	{"subjective", "cc", []string{"cc :", "chief complaint :", "reason for visit :"}},
	{"subjective", "hpi", []string{"history :", "history of present illness :", "history of present illness", "hpi :", "hpi", "hpi notes :", "interval history :", "interval hx :", "subjective :"}},
	{"subjective", "ros", []string{"ros :", "review of system :", "review of systems :"}},
	{"objective_exam", "pe", []string{"physical exam :", "physical examination :", "pe :", "physical findings :", "examination :", "exam :"}},
	{"objective_results", "findings", []string{"results :", "findings :"}},
	{"assessment_and_plan", "assessment", []string{"assessment :", "a:"}},
	{"assessment_and_plan", "plan", []string{"plan :", "plan of care :", "p:", "medical decision-making plan :", "summary plan"}},
	{"assessment_and_plan", "ap", []string{"ap :", "a / p :", "assessment and plan :", "assessment & plan :", "disposition / plan :"}},
}

var (
	subsections     = compileSubsections()
	impressionRegex = regexp.MustCompile(`^` + pyWS + `*IMPRESSION`)
)

// pyWS is Python's Unicode \s (RE2's \s is ASCII only and lacks \v).
const pyWS = `[\t\n\v\f\r \x{1c}-\x{1f}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]`

// pyEscape is Python 3.7+ re.escape followed by the tagger's replace('\\ ', '\\s*').
func pyEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ':
			b.WriteString(pyWS + `*`)
		case strings.ContainsRune(`.^$*+?{}[]\|()&~#-`, r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func compileSubsections() []subsection {
	var out []subsection
	for _, h := range headerPhrases {
		var with, without []string
		for _, p := range h.phrases {
			with = append(with, "(?:"+pyEscape(p)+")")
			if strings.HasSuffix(p, ":") {
				without = append(without, "(?:"+pyEscape(p[:len(p)-1])+")")
			}
		}
		// Group 1: header followed by anything; group 2: colon-less header alone on the line.
		pat := `(?i)^(?:` + pyWS + `*(` + strings.Join(with, "|") + `).*`
		if len(without) > 0 {
			pat += `|` + pyWS + `*(` + strings.Join(without, "|") + `)` + pyWS + `*$`
		}
		pat += `)`
		out = append(out, subsection{name: h.sub, division: h.division, re: regexp.MustCompile(pat)})
	}
	return out
}

// Division is one detected division of a note: its name and byte span (header line included).
type Division struct {
	Name       string
	Start, End int
}

// DivideNote splits a note into the four ACI-BENCH divisions, as the benchmark's tagger does.
// Text before the first header (or a note with no header at all) is subjective.
func DivideNote(text string) []Division {
	type hdr struct {
		sub   string
		div   string
		start int
	}
	lines := strings.Split(text, "\n")
	byLine := map[int]hdr{}
	offset := 0
	for n, line := range lines {
		for _, s := range subsections {
			if s.re.MatchString(line) {
				if _, ok := byLine[n]; !ok {
					byLine[n] = hdr{s.name, s.division, offset}
				}
			}
		}
		if _, ok := byLine[n]; !ok && impressionRegex.MatchString(line) {
			byLine[n] = hdr{"impression", "assessment_and_plan", offset}
		}
		offset += len(line) + 1
	}
	type sect struct {
		div        string
		start, end int
	}
	var list []sect
	prev, ok := byLine[0]
	if !ok {
		prev = hdr{"default", "subjective", 0}
	}
	offset = len(lines[0]) + 1
	for n := 1; n < len(lines); n++ {
		if h, ok := byLine[n]; ok {
			list = append(list, sect{prev.div, prev.start, offset})
			prev = h
		}
		offset += len(lines[n]) + 1
	}
	list = append(list, sect{prev.div, prev.start, len(text)})

	var kept []Division
	seen := map[string]bool{}
	for _, s := range list {
		if !seen[s.div] {
			seen[s.div] = true
			kept = append(kept, Division{Name: s.div, Start: s.start, End: s.end})
		}
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].Start < kept[j].Start })
	for i := 1; i < len(kept); i++ {
		kept[i-1].End = kept[i].Start
	}
	if len(kept) > 0 {
		kept[len(kept)-1].End = len(text)
	}
	return kept
}

// DivisionTexts returns each detected division's text keyed by division name.
func DivisionTexts(text string) map[string]string {
	out := map[string]string{}
	for _, d := range DivideNote(text) {
		out[d.Name] = text[d.Start:d.End]
	}
	return out
}
