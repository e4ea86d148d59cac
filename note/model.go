package note

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/medscribe/medscribe/visit"
)

// classes are what the section classifier predicts for a transcript sentence: left out of the
// note, or the note section it feeds.
var classes = []string{"none", "hpi", "ros", "exam", "results", "ap"}

const (
	clsNone = iota
	clsHPI
	clsROS
	clsExam
	clsResults
	clsAP
)

// Model is the learned section classifier: a multinomial logistic regression over word, speaker,
// position and cue features, plus the inclusion threshold tuned for ROUGE on the training set.
// It holds weights only, never sentences.
type Model struct {
	Format  string   `json:"format"`
	Source  string   `json:"source"`
	Classes []string `json:"classes"`
	MinDocs int      `json:"min_docs"`
	Epochs  int      `json:"epochs"`
	Keep    float64  `json:"keep_threshold"`
	// CapScale scales the per-section sentence caps (sectionCaps); tuned with Keep.
	CapScale float64              `json:"cap_scale"`
	Weights  map[string][]float64 `json:"weights"`
}

const modelFormat = "medscribe.note.sections/v1"

//go:embed data/sections.json
var modelJSON []byte

// loadModel parses the embedded model; a missing or empty file yields a nil model (the drafter
// then uses cue rules only).
func loadModel(b []byte) (*Model, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse note model: %w", err)
	}
	if m.Format != modelFormat {
		return nil, fmt.Errorf("note model: format %q, want %q", m.Format, modelFormat)
	}
	if len(m.Classes) != len(classes) {
		return nil, fmt.Errorf("note model: %d classes, want %d", len(m.Classes), len(classes))
	}
	for k, w := range m.Weights {
		if len(w) != len(classes) {
			return nil, fmt.Errorf("note model: feature %q has %d weights", k, len(w))
		}
	}
	return &m, nil
}

// probs returns the class probabilities for a feature list.
func (m *Model) probs(feats []string, out []float64) {
	for c := range out {
		out[c] = 0
	}
	for _, f := range feats {
		if w, ok := m.Weights[f]; ok {
			for c := range out {
				out[c] += w[c]
			}
		}
	}
	softmax(out)
}

func softmax(z []float64) {
	mx := z[0]
	for _, v := range z[1:] {
		mx = math.Max(mx, v)
	}
	sum := 0.0
	for i, v := range z {
		z[i] = math.Exp(v - mx)
		sum += z[i]
	}
	for i := range z {
		z[i] /= sum
	}
}

// cue words move the doctor's dictation into a section ("on exam", "x-ray", "my impression").
var cueWords = map[string]string{
	"exam": "exam", "examination": "exam", "palpation": "exam", "auscultation": "exam", "vitals": "exam",
	"x-ray": "results", "xray": "results", "mri": "results", "ct": "results", "labs": "results", "results": "results",
	"echocardiogram": "results", "ekg": "results", "ultrasound": "results", "a1c": "results",
	"assessment": "ap", "impression": "ap", "plan": "ap", "diagnosis": "ap", "prescribe": "ap", "recommend": "ap",
	"order": "ap", "refer": "ap", "referral": "ap", "follow": "ap",
	"systems": "ros",
}

// cand is one candidate note sentence: a transcript sentence, or a doctor's question with the
// patient's yes/no answer.
type cand struct {
	turn  int
	sp    visit.Speaker
	ev    []visit.Evidence
	raw   string // text used for features and rewriting
	qa    int    // 0: plain sentence; 1: question answered yes; 2: answered no
	pos   int    // position bucket 0..4 in the visit
	cue   string // last dictation cue before this sentence
	feats []string
	words []string // canonical content words (for labeling and grouping)
}

func (c *cand) features() []string {
	f := make([]string, 0, 24)
	f = append(f, "b", "s:"+string(c.sp), "p:"+strconv.Itoa(c.pos), "sp:"+string(c.sp)+strconv.Itoa(c.pos), "cue:"+c.cue,
		"scue:"+string(c.sp)+c.cue)
	switch c.qa {
	case 1:
		f = append(f, "qa:yes")
	case 2:
		f = append(f, "qa:no")
	}
	n := len(c.words)
	switch {
	case n <= 2:
		f = append(f, "len:0")
	case n <= 5:
		f = append(f, "len:1")
	case n <= 10:
		f = append(f, "len:2")
	default:
		f = append(f, "len:3")
	}
	seen := map[string]bool{}
	for _, w := range canonical(words(c.raw)) {
		if isNumber(w) {
			w = "#num"
		}
		if !seen[w] {
			seen[w] = true
			f = append(f, "w:"+w)
		}
	}
	return f
}

func isNumber(w string) bool {
	if w == "" {
		return false
	}
	for i := 0; i < len(w); i++ {
		if !isDigit(w[i]) {
			return false
		}
	}
	return true
}
