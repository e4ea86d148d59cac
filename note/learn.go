package note

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/medscribe/medscribe/visit"
)

// Example is one training encounter: the dialogue and the note a clinician wrote for it.
type Example struct {
	ID         string
	Transcript visit.Transcript
	Note       string
}

// ReadACI reads an ACI-BENCH style CSV (columns encounter_id, dialogue, note; others ignored).
func ReadACI(r io.Reader) ([]Example, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read csv header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(h)] = i
	}
	di, ok1 := col["dialogue"]
	ni, ok2 := col["note"]
	if !ok1 || !ok2 {
		return nil, errors.New("csv needs dialogue and note columns")
	}
	ii, hasID := col["encounter_id"]
	var out []Example
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read csv: %w", err)
		}
		if di >= len(rec) || ni >= len(rec) {
			return nil, fmt.Errorf("csv record %d: too few fields", line)
		}
		ex := Example{Transcript: ParseDialogue(rec[di]), Note: rec[ni]}
		if hasID && ii < len(rec) {
			ex.ID = rec[ii]
		}
		out = append(out, ex)
	}
	return out, nil
}

// ParseDialogue reads "[doctor] text" / "[patient] text" lines into turns. Lines without a tag
// continue the turn before them; unknown tags become speaker "other".
func ParseDialogue(s string) visit.Transcript {
	tr := visit.Transcript{Turns: []visit.Turn{}}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		sp := visit.Speaker("")
		if strings.HasPrefix(line, "[") {
			if j := strings.Index(line, "]"); j > 0 {
				tag := strings.ToLower(line[1:j])
				switch tag {
				case "doctor":
					sp = visit.Doctor
				case "patient":
					sp = visit.Patient
				default:
					sp = visit.Other
				}
				line = strings.TrimSpace(line[j+1:])
			}
		}
		if sp == "" {
			if n := len(tr.Turns); n > 0 {
				tr.Turns[n-1].Text += " " + line
				continue
			}
			sp = visit.Unknown
		}
		tr.Turns = append(tr.Turns, visit.Turn{Index: len(tr.Turns), Speaker: sp, Text: line})
	}
	return tr
}

// LearnConfig tunes Learn; the zero value uses the defaults.
type LearnConfig struct {
	// MinDocs is how many encounters a word must occur in to become a feature (default 3): rare
	// words (names, places) are not learned.
	MinDocs int
	// Epochs of stochastic gradient descent (default 12).
	Epochs int
	// Source is recorded in the model file (e.g. "aci-bench train").
	Source string
}

// Learn trains the section classifier on examples and tunes its inclusion threshold for ROUGE-1
// by two-fold cross-fitting. Everything runs in a fixed order, so the same examples always give
// the same model.
func Learn(examples []Example, cfg *LearnConfig) (*Model, error) {
	c := LearnConfig{}
	if cfg != nil {
		c = *cfg
	}
	if c.MinDocs <= 0 {
		c.MinDocs = 3
	}
	if c.Epochs <= 0 {
		c.Epochs = 12
	}
	if len(examples) < 4 {
		return nil, fmt.Errorf("learn: need at least 4 examples, have %d", len(examples))
	}
	data := make([]labeled, len(examples))
	for i := range examples {
		data[i] = label(&examples[i])
	}
	var folds [2][]int
	for i := range data {
		folds[i%2] = append(folds[i%2], i)
	}
	type setting struct{ keep, scale float64 }
	var grid []setting
	for _, keep := range []float64{0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5} {
		for _, scale := range []float64{0.6, 0.8, 1, 1.25, 1.5} {
			grid = append(grid, setting{keep, scale})
		}
	}
	score := make([]float64, len(grid))
	for f := 0; f < 2; f++ {
		m := train(data, folds[1-f], c)
		for gi, g := range grid {
			m.Keep, m.CapScale = g.keep, g.scale
			d := &Drafter{cfg: Config{Logger: discardLogger}, tmpl: templates["full"], model: m}
			for _, i := range folds[f] {
				n, _, err := d.Draft(context.Background(), Input{Transcript: examples[i].Transcript})
				if err != nil {
					return nil, err
				}
				score[gi] += rouge1F(n.Text, examples[i].Note)
			}
		}
	}
	best := 0
	for gi := range grid {
		if score[gi] > score[best]+1e-12 {
			best = gi
		}
	}
	all := make([]int, len(data))
	for i := range all {
		all[i] = i
	}
	m := train(data, all, c)
	m.Keep, m.CapScale = grid[best].keep, grid[best].scale
	m.Source = c.Source
	return m, nil
}

// labeled is an encounter's candidates with their features and target classes.
type labeled struct {
	feats  [][]string
	target []int
}

// label marks each candidate with the note section whose sentence covers most of its content
// words, or none when no note sentence covers at least half of them.
func label(ex *Example) labeled {
	refs := refSentences(ex.Note)
	cs := candidates(&ex.Transcript)
	var l labeled
	for i := range cs {
		c := &cs[i]
		l.feats = append(l.feats, c.features())
		set := map[string]bool{}
		for _, w := range c.words {
			set[w] = true
		}
		best, bestCls := 0.0, clsNone
		for _, r := range refs {
			hit := 0
			for w := range set {
				if r.words[w] {
					hit++
				}
			}
			if hit < 2 {
				continue
			}
			if s := float64(hit) / float64(len(set)); s > best {
				best, bestCls = s, r.cls
			}
		}
		if best < 0.5 {
			bestCls = clsNone
		}
		l.target = append(l.target, bestCls)
	}
	return l
}

type refSentence struct {
	cls   int
	words map[string]bool
}

// refSentences splits a reference note into sentences labeled with the class of their section.
func refSentences(note string) []refSentence {
	var out []refSentence
	cls := clsHPI
	for _, line := range strings.Split(note, "\n") {
		t := strings.TrimSpace(line)
		if t == "" {
			continue
		}
		if isHeader(t) {
			cls = headerClass(t)
			continue
		}
		for _, s := range splitSentences(t) {
			ws := map[string]bool{}
			for _, w := range contentWords(t[s.start:s.end]) {
				ws[w] = true
			}
			if len(ws) >= 2 {
				out = append(out, refSentence{cls: cls, words: ws})
			}
		}
	}
	return out
}

func isHeader(t string) bool {
	if len(t) > 40 || t != strings.ToUpper(t) {
		return false
	}
	letters := 0
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= 'A' && c <= 'Z':
			letters++
		case c == ' ' || c == '&' || c == '/' || c == ',' || c == '-' || c == ':':
		default:
			return false
		}
	}
	return letters >= 3
}

func headerClass(h string) int {
	switch {
	case strings.Contains(h, "REVIEW OF SYSTEMS"):
		return clsROS
	case strings.Contains(h, "EXAM") || strings.Contains(h, "VITALS"):
		return clsExam
	case strings.Contains(h, "RESULT") || strings.Contains(h, "IMAGING") || strings.Contains(h, "LAB") || strings.Contains(h, "DATA"):
		return clsResults
	case strings.Contains(h, "ASSESSMENT") || strings.Contains(h, "PLAN") || strings.Contains(h, "IMPRESSION") ||
		strings.Contains(h, "INSTRUCTIONS") || strings.Contains(h, "PROCEDURE"):
		return clsAP
	}
	return clsHPI
}

// train fits the multinomial logistic regression on the encounters idx, in order.
func train(data []labeled, idx []int, c LearnConfig) *Model {
	docs := map[string]int{}
	for _, i := range idx {
		seen := map[string]bool{}
		for _, fs := range data[i].feats {
			for _, f := range fs {
				if !seen[f] {
					seen[f] = true
					docs[f]++
				}
			}
		}
	}
	keepFeat := func(f string) bool {
		return !strings.HasPrefix(f, "w:") || docs[f] >= c.MinDocs
	}
	w := map[string][]float64{}
	k := len(classes)
	p := make([]float64, k)
	for ep := 0; ep < c.Epochs; ep++ {
		lr := 0.2 / (1 + 0.3*float64(ep))
		for _, i := range idx {
			d := &data[i]
			for j, fs := range d.feats {
				for x := range p {
					p[x] = 0
				}
				for _, f := range fs {
					if v, ok := w[f]; ok {
						for x := range p {
							p[x] += v[x]
						}
					}
				}
				softmax(p)
				for _, f := range fs {
					if !keepFeat(f) {
						continue
					}
					v, ok := w[f]
					if !ok {
						v = make([]float64, k)
						w[f] = v
					}
					for x := range v {
						y := 0.0
						if x == d.target[j] {
							y = 1
						}
						// Explicit conversion keeps the update unfused on every architecture.
						v[x] -= float64(lr * (p[x] - y))
					}
				}
			}
		}
	}
	for f, v := range w {
		for x := range v {
			v[x] = math.Round(v[x]*1e4) / 1e4
		}
		w[f] = v
	}
	return &Model{Format: modelFormat, Classes: append([]string(nil), classes...), MinDocs: c.MinDocs, Epochs: c.Epochs, Weights: w}
}

// Marshal writes the model as JSON with one feature per line, keys sorted, so the file diffs well
// and the same model always gives the same bytes.
func (m *Model) Marshal() []byte {
	var b bytes.Buffer
	q := func(s string) string { return strconv.Quote(s) }
	fmt.Fprintf(&b, "{\n\"format\": %s,\n\"source\": %s,\n\"classes\": [", q(m.Format), q(m.Source))
	for i, c := range m.Classes {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(q(c))
	}
	fmt.Fprintf(&b, "],\n\"min_docs\": %d,\n\"epochs\": %d,\n\"keep_threshold\": %s,\n\"cap_scale\": %s,\n\"weights\": {\n",
		m.MinDocs, m.Epochs, strconv.FormatFloat(m.Keep, 'f', -1, 64), strconv.FormatFloat(m.CapScale, 'f', -1, 64))
	keys := make([]string, 0, len(m.Weights))
	for k := range m.Weights {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		b.WriteString(q(k))
		b.WriteString(": [")
		for x, v := range m.Weights[k] {
			if x > 0 {
				b.WriteString(",")
			}
			if v == 0 {
				v = 0 // normalize -0
			}
			b.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
		}
		b.WriteString("]")
		if i+1 < len(keys) {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("}\n}\n")
	return b.Bytes()
}

// rouge1F is ROUGE-1 F1 (0-1) with the rouge-score tokenization (lower case, alphanumeric runs);
// Learn uses it to tune the inclusion threshold.
func rouge1F(cand, ref string) float64 {
	c, r := words(cand), words(ref)
	if len(c) == 0 || len(r) == 0 {
		return 0
	}
	counts := map[string]int{}
	for _, w := range r {
		counts[w]++
	}
	hit := 0
	for _, w := range c {
		if counts[w] > 0 {
			counts[w]--
			hit++
		}
	}
	if hit == 0 {
		return 0
	}
	p, rc := float64(hit)/float64(len(c)), float64(hit)/float64(len(r))
	return 2 * p * rc / (p + rc)
}
