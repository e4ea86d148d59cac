package evals

import (
	"fmt"
	"strings"
)

// ConceptRecognizer finds the clinical concepts a text mentions, as stable keys (a code such
// as "rxnorm:29046" when known, else the normalized preferred term). medscribe's own
// recognizer is adapted to it by the command line; tests use a small fake.
type ConceptRecognizer interface {
	ConceptKeys(text string) []string
}

// NoteOpts tunes note scoring. A nil *NoteOpts means: divisions on, no concept F1.
type NoteOpts struct {
	// Concepts, when set, adds concept precision/recall/F1 between reference and generated note.
	Concepts ConceptRecognizer
	// SkipDivisions turns off per-division ROUGE (default: on).
	SkipDivisions bool
	// Progress is called after each encounter is scored (for a progress bar); may be nil.
	Progress func()
}

// NoteScore is one encounter's note scores.
type NoteScore struct {
	ID      string      `json:"id"`
	Dataset string      `json:"dataset,omitempty"`
	Rouge   RougeScores `json:"rouge"`
	// Divisions maps division name to its ROUGE scores (benchmark-compatible, see divisionText).
	Divisions map[string]RougeScores `json:"divisions,omitempty"`
	// Concepts is concept P/R/F1 (nil when no recognizer was given).
	Concepts *PRF `json:"concepts,omitempty"`
	// Reference and Prediction are kept for the HTML drill-down only; never written to JSON.
	Reference  string `json:"-"`
	Prediction string `json:"-"`
}

// RougeFigures are mean per-encounter F-measures on the 0-100 scale, the published convention.
type RougeFigures struct {
	Rouge1    float64 `json:"rouge1"`
	Rouge2    float64 `json:"rouge2"`
	RougeL    float64 `json:"rougeL"`
	RougeLsum float64 `json:"rougeLsum"`
}

// NotesSummary aggregates a notes run.
type NotesSummary struct {
	N int `json:"n"`
	RougeFigures
	Divisions map[string]RougeFigures `json:"divisions,omitempty"`
	// Subsets holds figures per source subset (ACI-BENCH: aci, virtassist, virtscribe) when the
	// dataset names more than one.
	Subsets map[string]RougeFigures `json:"subsets,omitempty"`
	// ConceptF1 etc. are means of per-encounter values on the 0-1 scale (absent without a recognizer).
	ConceptPrecision *float64 `json:"concept_precision,omitempty"`
	ConceptRecall    *float64 `json:"concept_recall,omitempty"`
	ConceptF1        *float64 `json:"concept_f1,omitempty"`
}

// NotesResult is a complete notes evaluation: every encounter of the dataset was scored.
type NotesResult struct {
	Summary    NotesSummary `json:"summary"`
	Encounters []NoteScore  `json:"encounters"`
}

// ScoreNotes scores every encounter's predicted note against its reference. Predictions must
// cover the dataset exactly (see Predictions.Match); nothing partial is returned.
func ScoreNotes(ds *Dataset, p *Predictions, opts *NoteOpts) (*NotesResult, error) {
	if opts == nil {
		opts = &NoteOpts{}
	}
	if err := p.Match(ds); err != nil {
		return nil, err
	}
	res := &NotesResult{}
	for _, e := range ds.Encounters {
		pred := p.Notes[e.ID]
		s := ScoreNote(e.Note, pred, opts)
		s.ID, s.Dataset = e.ID, e.Dataset
		res.Encounters = append(res.Encounters, s)
		if opts.Progress != nil {
			opts.Progress()
		}
	}
	res.Summary = SummarizeNotes(res.Encounters)
	return res, nil
}

// ScoreNote scores one generated note against its reference.
func ScoreNote(reference, prediction string, opts *NoteOpts) NoteScore {
	if opts == nil {
		opts = &NoteOpts{}
	}
	s := NoteScore{Rouge: Rouge(reference, prediction), Reference: reference, Prediction: prediction}
	if !opts.SkipDivisions {
		rd, pd := DivisionTexts(reference), DivisionTexts(prediction)
		s.Divisions = map[string]RougeScores{}
		for _, d := range Divisions {
			s.Divisions[d] = Rouge(divisionText(rd, d), divisionText(pd, d))
		}
	}
	if opts.Concepts != nil {
		c := ConceptScore(opts.Concepts.ConceptKeys(reference), opts.Concepts.ConceptKeys(prediction))
		s.Concepts = &c
	}
	return s
}

// divisionText reproduces how the MEDIQA-Chat 2023 / ACI-BENCH scripts feed a division to
// ROUGE, so division figures match the published ones: newlines become the literal
// "__lf1__" (which tokenizes to an extra "lf1" token and makes rougeLsum equal rougeL), and
// a division the tagger did not find becomes "#####EMPTY#####", which tokenizes to the one
// word "empty": when both notes lack a division it scores ROUGE-1 and ROUGE-L 1 and ROUGE-2 0;
// when only one lacks it, close to 0.
func divisionText(divs map[string]string, name string) string {
	t, ok := divs[name]
	if !ok {
		return "#####EMPTY#####"
	}
	return strings.ReplaceAll(t, "\n", "__lf1__")
}

// SummarizeNotes averages per-encounter scores.
func SummarizeNotes(scores []NoteScore) NotesSummary {
	sum := NotesSummary{N: len(scores)}
	if len(scores) == 0 {
		return sum
	}
	all := make([]RougeScores, len(scores))
	for i, s := range scores {
		all[i] = s.Rouge
	}
	sum.RougeFigures = meanRouge(all)
	if scores[0].Divisions != nil {
		sum.Divisions = map[string]RougeFigures{}
		for _, d := range Divisions {
			for i, s := range scores {
				all[i] = s.Divisions[d]
			}
			sum.Divisions[d] = meanRouge(all)
		}
	}
	bySet := map[string][]RougeScores{}
	for _, s := range scores {
		bySet[s.Dataset] = append(bySet[s.Dataset], s.Rouge)
	}
	if len(bySet) > 1 {
		sum.Subsets = map[string]RougeFigures{}
		for k, v := range bySet {
			if k == "" {
				k = "unnamed"
			}
			sum.Subsets[k] = meanRouge(v)
		}
	}
	if scores[0].Concepts != nil {
		var p, r, f float64
		for _, s := range scores {
			p += s.Concepts.Precision
			r += s.Concepts.Recall
			f += s.Concepts.F
		}
		n := float64(len(scores))
		p, r, f = p/n, r/n, f/n
		sum.ConceptPrecision, sum.ConceptRecall, sum.ConceptF1 = &p, &r, &f
	}
	return sum
}

func meanRouge(all []RougeScores) RougeFigures {
	var a [4][]float64
	for _, s := range all {
		a[0] = append(a[0], s.Rouge1.F)
		a[1] = append(a[1], s.Rouge2.F)
		a[2] = append(a[2], s.RougeL.F)
		a[3] = append(a[3], s.RougeLsum.F)
	}
	return RougeFigures{100 * mean(a[0]), 100 * mean(a[1]), 100 * mean(a[2]), 100 * mean(a[3])}
}

// mean uses pairwise summation like numpy.mean, so figures agree with the Python scripts to
// the last digit more often than a naive loop would.
func mean(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	return pairwiseSum(x) / float64(len(x))
}

func pairwiseSum(x []float64) float64 {
	if len(x) <= 8 {
		s := 0.0
		for _, v := range x {
			s += v
		}
		return s
	}
	h := len(x) / 2
	return pairwiseSum(x[:h]) + pairwiseSum(x[h:])
}

// ConceptScore is set-based precision/recall/F1 of generated concepts against reference ones.
// Both empty scores 1 (nothing to find, nothing invented); one empty scores 0.
//
// With medscribe's recognizer this is a MEDCON-like measure (ACI-BENCH's UMLS concept F1)
// without UMLS. It differs from MEDCON in that: concepts come from medscribe's own vocabulary
// (drugs, problems, findings, labs, imaging, procedures, referrals) rather than QuickUMLS over
// the UMLS Metathesaurus restricted to clinical semantic groups, so the concept inventory is
// much smaller and coverage of rare terms is lower; matching is by vocabulary entry (code when
// coded, else preferred term), so synonyms the vocabulary knows collapse but UMLS CUIs do not
// apply; there is no fuzzy (Jaccard-threshold) matching; negation is ignored ("no fever" and
// "fever" give the same concept), as in MEDCON. Figures are therefore not comparable with
// published MEDCON numbers, only between medscribe runs.
func ConceptScore(reference, prediction []string) PRF {
	rs, ps := toSet(reference), toSet(prediction)
	if len(rs) == 0 && len(ps) == 0 {
		return PRF{1, 1, 1}
	}
	inter := 0
	for k := range ps {
		if rs[k] {
			inter++
		}
	}
	var p, r float64
	if len(ps) > 0 {
		p = float64(inter) / float64(len(ps))
	}
	if len(rs) > 0 {
		r = float64(inter) / float64(len(rs))
	}
	return PRF{p, r, fmeasure(p, r)}
}

func toSet(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" {
			m[x] = true
		}
	}
	return m
}

// String is a one-line summary for logs (figures only, no text).
func (s NotesSummary) String() string {
	return fmt.Sprintf("n=%d rouge1=%.2f rouge2=%.2f rougeL=%.2f rougeLsum=%.2f", s.N, s.Rouge1, s.Rouge2, s.RougeL, s.RougeLsum)
}
