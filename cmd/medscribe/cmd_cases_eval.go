package main

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/medscribe/medscribe/cds/similar"
	"github.com/medscribe/medscribe/evals/retrieval"
	"github.com/medscribe/medscribe/ingest/transcript"
	"github.com/medscribe/medscribe/nlp"
	"github.com/medscribe/medscribe/nlp/embed"
	"github.com/medscribe/medscribe/nlp/vocab"
	"github.com/medscribe/medscribe/visit"
)

// casesEval is the similar-case retrieval eval: leave-one-out over the dialogues of the given
// CSVs, is a retrieved case relevant when its reference assessment shares a problem with the
// held-out case's? The offline embedder and BM25 run in one report.
//
//	medscribe cases eval --data aci-bench/.../train.csv --data aci-bench/.../valid.csv --data mts-dialog/.../MTS-Dialog-TrainingSet.csv
//
// Gold: problems and findings that medscribe's concept recognizer finds in the reference
// assessment: the ASSESSMENT (AND PLAN) section of an ACI-BENCH note, or the section text of
// an MTS-Dialog row. Queries: the case features medscribe extracts from the dialogue.
func casesEval(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "cases eval")
	var inputs multiFlag
	fs.Var(&inputs, "data", "ACI-BENCH or MTS-Dialog CSV (repeatable)")
	asJSON := fs.Bool("json", false, "print JSON")
	dims := fs.Int("dims", 1024, "offline embedder dimension")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(inputs) == 0 {
		return fmt.Errorf("%w: give --data CSV at least once", errUsage)
	}
	eng, err := nlp.New(&nlp.Config{})
	if err != nil {
		return err
	}
	var cases []retrieval.Case
	for _, path := range inputs {
		rows, err := readDialogueCSV(path)
		if err != nil {
			return err
		}
		for _, row := range rows {
			tr, err := transcript.Parse(row.id+".txt", []byte(row.dialogue), nil)
			if err != nil {
				continue
			}
			res, err := eng.Extract(ctx, tr)
			if err != nil {
				return err
			}
			rec := &visit.Record{Problems: res.Problems, Medications: res.Medications, Findings: res.Findings}
			doc := similar.DocOf(similar.CaseFromVisit(rec))
			doc.Text = row.dialogue
			cases = append(cases, retrieval.Case{ID: row.id, Doc: doc, Text: row.dialogue, Gold: goldConcepts(eng, assessmentOf(row.reference))})
		}
	}
	emb, err := embed.NewOffline(&embed.OfflineConfig{Dims: *dims, Recognize: recognizer(eng)})
	if err != nil {
		return err
	}
	er, err := retrieval.NewEmbedRanker(ctx, emb, cases)
	if err != nil {
		return err
	}
	results := []retrieval.Metrics{retrieval.LeaveOneOut(cases, er), retrieval.LeaveOneOut(cases, retrieval.NewBM25(cases))}
	if *asJSON {
		return writeJSON(e.stdout, map[string]any{"cases": len(cases), "results": results})
	}
	fmt.Fprintf(e.stdout, "leave-one-out over %d cases\n%-28s %8s %8s %8s %8s\n", len(cases), "ranker", "queries", "P@5", "R@10", "MRR")
	for _, m := range results {
		fmt.Fprintf(e.stdout, "%-28s %8d %8.3f %8.3f %8.3f\n", m.Ranker, m.Queries, m.P5, m.R10, m.MRR)
	}
	return nil
}

var sectionHeader = regexp.MustCompile(`(?m)^[A-Z][A-Z /&]{3,}$`)

// assessmentOf returns the ASSESSMENT / ASSESSMENT AND PLAN section of a note, or the whole
// text when there is no such header (an MTS-Dialog section text).
func assessmentOf(note string) string {
	locs := sectionHeader.FindAllStringIndex(note, -1)
	for i, l := range locs {
		h := strings.TrimSpace(note[l[0]:l[1]])
		if strings.HasPrefix(h, "ASSESSMENT") || h == "IMPRESSION" {
			end := len(note)
			if i+1 < len(locs) {
				end = locs[i+1][0]
			}
			return note[l[1]:end]
		}
	}
	return note
}

// goldConcepts are the problem and finding concepts of a text, as codes when coded.
func goldConcepts(eng *nlp.Engine, text string) []string {
	seen := map[string]bool{}
	for _, c := range eng.Concepts(text) {
		if c.Entry.Kind != vocab.KindProblem && c.Entry.Kind != vocab.KindFinding {
			continue
		}
		k := c.Entry.Term
		if c.Entry.Code != nil && c.Entry.Code.Code != "" {
			k = c.Entry.Code.Code
		}
		seen[k] = true
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// recognizer adapts the concept recognizer to the embedder.
func recognizer(eng *nlp.Engine) func(string) []*vocab.Entry {
	return func(text string) []*vocab.Entry {
		cs := eng.Concepts(text)
		out := make([]*vocab.Entry, len(cs))
		for i, c := range cs {
			out[i] = c.Entry
		}
		return out
	}
}
