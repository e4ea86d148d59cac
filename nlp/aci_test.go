package nlp

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/medscribe/medscribe/nlp/vocab"
	"github.com/medscribe/medscribe/visit"
)

// This file scores the engine on the ACI-BENCH valid gold annotations when the data set is
// available at run time (MEDSCRIBE_EVALDATA=/path/to/evaldata). No data set text is stored in
// the repository. It is a first version of the evals package's extraction scorer.

type goldItem struct {
	Name      string  `json:"name"`
	Substance string  `json:"substance"`
	Kind      string  `json:"kind"`
	RxCUI     *string `json:"rxcui"`
	ICD10     *string `json:"icd10"`
	Status    string  `json:"status"`
	Assertion string  `json:"assertion"`
	Dose      *string `json:"dose"`
	Frequency *string `json:"frequency"`
}

type goldEncounter struct {
	ID              string     `json:"encounter_id"`
	Medications     []goldItem `json:"medications"`
	Problems        []goldItem `json:"problems"`
	NegatedFindings []goldItem `json:"negated_findings"`
	Orders          []goldItem `json:"orders"`
	Allergies       []goldItem `json:"allergies"`
}

// parseDialogue turns "[doctor] ..." lines into turns.
func parseDialogue(s string) visit.Transcript {
	var tr visit.Transcript
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		sp := visit.Unknown
		for _, p := range []struct {
			tag string
			sp  visit.Speaker
		}{{"[doctor]", visit.Doctor}, {"[patient]", visit.Patient}, {"[patient_guest]", visit.Other}, {"[guest]", visit.Other}} {
			if strings.HasPrefix(line, p.tag) {
				sp = p.sp
				line = strings.TrimSpace(line[len(p.tag):])
				break
			}
		}
		if sp == visit.Unknown && strings.HasPrefix(line, "[") {
			if k := strings.Index(line, "]"); k > 0 {
				sp = visit.Other
				line = strings.TrimSpace(line[k+1:])
			}
		}
		tr.Turns = append(tr.Turns, visit.Turn{Index: len(tr.Turns), Speaker: sp, Text: line})
	}
	return tr
}

type prf struct{ tp, fp, fn int }

func (p prf) f1() float64 {
	if p.tp == 0 {
		return 0
	}
	pr := float64(p.tp) / float64(p.tp+p.fp)
	rc := float64(p.tp) / float64(p.tp+p.fn)
	return 2 * pr * rc / (pr + rc)
}

func (p prf) String() string {
	return fmt.Sprintf("F1 %.3f (tp %d fp %d fn %d)", p.f1(), p.tp, p.fp, p.fn)
}

var stop = map[string]bool{"of": true, "the": true, "a": true, "to": true, "and": true, "in": true, "left": true, "right": true, "level": true, "test": true, "with": true, "for": true}

func nameWords(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range words(s) {
		if !stop[w] {
			out[w] = true
		}
	}
	return out
}

// sameName matches names by vocabulary concept, or by containment of their content words.
func sameName(e *Engine, a, b string) bool {
	a, b = strings.ToLower(a), strings.ToLower(b)
	if a == b {
		return true
	}
	ca, cb := e.Concepts(a), e.Concepts(b)
	for _, x := range ca {
		for _, y := range cb {
			if x.Entry == y.Entry {
				return true
			}
		}
	}
	wa, wb := nameWords(a), nameWords(b)
	if len(wa) == 0 || len(wb) == 0 {
		return false
	}
	inter := 0
	for w := range wa {
		if wb[w] {
			inter++
		}
	}
	return inter == len(wa) || inter == len(wb)
}

// score greedily pairs gold and predicted items with match.
func score(nGold, nPred int, match func(g, p int) bool) (prf, [][2]int) {
	used := make([]bool, nPred)
	var pairs [][2]int
	for g := 0; g < nGold; g++ {
		for p := 0; p < nPred; p++ {
			if !used[p] && match(g, p) {
				used[p] = true
				pairs = append(pairs, [2]int{g, p})
				break
			}
		}
	}
	return prf{tp: len(pairs), fp: nPred - len(pairs), fn: nGold - len(pairs)}, pairs
}

func add(a *prf, b prf) { a.tp += b.tp; a.fp += b.fp; a.fn += b.fn }

func sval(s *string) string {
	if s == nil {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(*s))
}

func TestACIBenchValid(t *testing.T) {
	dir := os.Getenv("MEDSCRIBE_EVALDATA")
	if dir == "" {
		t.Skip("MEDSCRIBE_EVALDATA not set: scoring against ACI-BENCH valid needs the data set at run time")
	}
	verbose := os.Getenv("MEDSCRIBE_EVAL_VERBOSE") != ""
	cfg := &Config{}
	if dir := os.Getenv("MEDSCRIBE_EVAL_VOCAB"); dir != "" {
		// score with another vocabulary directory (e.g. one written by `medscribe vocab import`)
		v, err := vocab.Load(os.DirFS(dir), ".")
		require.NoError(t, err)
		cfg.Vocab = v
	}
	e, err := New(cfg)
	require.NoError(t, err)

	f, err := os.Open(filepath.Join(dir, "aci-bench/data/challenge_data/valid.csv"))
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	dialogues := map[string]string{}
	for _, r := range rows[1:] {
		dialogues[r[1]] = r[2]
	}
	gf, err := os.Open(filepath.Join(dir, "gold/aci-bench-valid.jsonl"))
	require.NoError(t, err)
	defer gf.Close()
	var meds, probs, neg, ords, alls prf
	var doseOK, freqOK, matched int
	sc := bufio.NewScanner(gf)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var g goldEncounter
		require.NoError(t, json.Unmarshal(sc.Bytes(), &g))
		tr := parseDialogue(dialogues[g.ID])
		res, err := e.Extract(context.Background(), tr)
		require.NoError(t, err)
		if os.Getenv("MEDSCRIBE_EVAL_DUMP") == g.ID {
			for _, f := range res.Findings {
				for _, ev := range f.Evidence {
					t.Logf("finding %s [%s] turn %d %q", f.Text, f.Assertion, ev.Turn, ev.Quote)
				}
			}
			for _, f := range res.Problems {
				t.Logf("problem %s [%s] turn %d", f.Text, f.Assertion, f.Evidence[0].Turn)
			}
		}
		rec := visit.Record{Transcript: tr, Problems: res.Problems, Medications: res.Medications, Orders: res.Orders, Allergies: res.Allergies, Findings: res.Findings}
		require.NoError(t, rec.Validate())

		m, pairs := score(len(g.Medications), len(res.Medications), func(i, j int) bool {
			gi, p := g.Medications[i], res.Medications[j]
			if gi.RxCUI != nil && p.Code != nil && *gi.RxCUI == p.Code.Code {
				return true
			}
			return sameName(e, gi.Name, p.Text)
		})
		add(&meds, m)
		for _, pr := range pairs {
			gi, p := g.Medications[pr[0]], res.Medications[pr[1]]
			matched++
			if sval(gi.Dose) == sval(p.Dose) {
				doseOK++
			} else if verbose {
				t.Logf("%s dose %s: gold %q got %q", g.ID, gi.Name, sval(gi.Dose), sval(p.Dose))
			}
			if sval(gi.Frequency) == sval(p.Frequency) {
				freqOK++
			} else if verbose {
				t.Logf("%s freq %s: gold %q got %q", g.ID, gi.Name, sval(gi.Frequency), sval(p.Frequency))
			}
			if verbose && gi.Status != string(p.Status) {
				t.Logf("%s status %s: gold %q got %q", g.ID, gi.Name, gi.Status, p.Status)
			}
		}
		if verbose {
			logMisses(t, g.ID, "med", len(g.Medications), len(res.Medications), pairs,
				func(i int) string { return g.Medications[i].Name },
				func(j int) string { return res.Medications[j].Text + " [" + string(res.Medications[j].Status) + "]" })
		}
		p, pairs := score(len(g.Problems), len(res.Problems), func(i, j int) bool {
			gi, p := g.Problems[i], res.Problems[j]
			if gi.ICD10 != nil && p.Code != nil && *gi.ICD10 == p.Code.Code {
				return true
			}
			return sameName(e, gi.Name, p.Text)
		})
		add(&probs, p)
		if verbose {
			logMisses(t, g.ID, "problem", len(g.Problems), len(res.Problems), pairs,
				func(i int) string { return g.Problems[i].Name + " [" + g.Problems[i].Assertion + "]" },
				func(j int) string { return res.Problems[j].Text + " [" + string(res.Problems[j].Assertion) + "]" })
		}
		var absent []visit.Finding
		for _, f := range res.Findings {
			if f.Assertion == visit.Absent {
				absent = append(absent, f)
			}
		}
		if verbose {
			for _, nf := range g.NegatedFindings {
				if len(e.Concepts(nf.Name)) == 0 {
					t.Logf("%s vocabulary gap (negated finding): %s", g.ID, nf.Name)
				}
			}
		}
		n, pairs := score(len(g.NegatedFindings), len(absent), func(i, j int) bool {
			return sameName(e, g.NegatedFindings[i].Name, absent[j].Text)
		})
		add(&neg, n)
		if verbose {
			logMisses(t, g.ID, "negated", len(g.NegatedFindings), len(absent), pairs,
				func(i int) string { return g.NegatedFindings[i].Name },
				func(j int) string { return absent[j].Text })
		}
		o, pairs := score(len(g.Orders), len(res.Orders), func(i, j int) bool {
			gi, p := g.Orders[i], res.Orders[j]
			if gi.Kind != string(p.Kind) {
				return false
			}
			return gi.Kind == "followup" || sameName(e, gi.Name, p.Text)
		})
		add(&ords, o)
		if verbose {
			logMisses(t, g.ID, "order", len(g.Orders), len(res.Orders), pairs,
				func(i int) string { return g.Orders[i].Kind + ":" + g.Orders[i].Name },
				func(j int) string { return string(res.Orders[j].Kind) + ":" + res.Orders[j].Text })
		}
		a, pairs := score(len(g.Allergies), len(res.Allergies), func(i, j int) bool {
			return sameName(e, g.Allergies[i].Substance, res.Allergies[j].Substance)
		})
		add(&alls, a)
		if verbose {
			logMisses(t, g.ID, "allergy", len(g.Allergies), len(res.Allergies), pairs,
				func(i int) string { return g.Allergies[i].Substance },
				func(j int) string { return res.Allergies[j].Substance })
		}
	}
	require.NoError(t, sc.Err())
	t.Logf("medications  %s; dose acc %.3f freq acc %.3f on %d matched", meds, ratio(doseOK, matched), ratio(freqOK, matched), matched)
	t.Logf("problems     %s", probs)
	t.Logf("neg findings %s", neg)
	t.Logf("orders       %s", ords)
	t.Logf("allergies    %s", alls)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func logMisses(t *testing.T, id, what string, nGold, nPred int, pairs [][2]int, gold, pred func(int) string) {
	gm, pm := make([]bool, nGold), make([]bool, nPred)
	for _, p := range pairs {
		gm[p[0]], pm[p[1]] = true, true
	}
	for i, ok := range gm {
		if !ok {
			t.Logf("%s %s FN %s", id, what, gold(i))
		}
	}
	for j, ok := range pm {
		if !ok {
			t.Logf("%s %s FP %s", id, what, pred(j))
		}
	}
}
