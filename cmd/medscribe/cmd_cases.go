package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/medscribe/medscribe/cds/similar"
	"github.com/medscribe/medscribe/ingest"
	"github.com/medscribe/medscribe/ingest/transcript"
	"github.com/medscribe/medscribe/nlp/embed"
	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/visit"
)

func init() {
	register(command{name: "cases", summary: "similar-case base: import, reindex, idf, eval", run: runCases})
}

func runCases(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: cases import|reindex|idf|eval", errUsage)
	}
	switch args[0] {
	case "import":
		return casesImport(ctx, e, args[1:])
	case "reindex":
		return casesReindex(ctx, e, args[1:])
	case "idf":
		return casesIDF(ctx, e, args[1:])
	case "eval":
		return casesEval(ctx, e, args[1:])
	}
	return fmt.Errorf("%w: unknown cases subcommand %q (import, reindex, idf, eval)", errUsage, args[0])
}

// dialogueRow is one dialogue of a public dataset CSV, with its reference text: the note
// (ACI-BENCH) or the section text (MTS-Dialog).
type dialogueRow struct {
	id, dialogue, reference string
}

// readDialogueCSV reads ACI-BENCH (encounter_id, dialogue) or MTS-Dialog (ID, dialogue) CSVs.
func readDialogueCSV(path string) ([]dialogueRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	idc, ok := col["encounter_id"]
	if !ok {
		if idc, ok = col["ID"]; !ok {
			return nil, fmt.Errorf("%s: no encounter_id or ID column", path)
		}
	}
	dc, ok := col["dialogue"]
	if !ok {
		return nil, fmt.Errorf("%s: no dialogue column", path)
	}
	refc, hasRef := col["note"]
	if !hasRef {
		refc, hasRef = col["section_text"]
	}
	var rows []dialogueRow
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		row := dialogueRow{id: rec[idc], dialogue: rec[dc]}
		if hasRef {
			row.reference = rec[refc]
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func casesImport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "cases import")
	cf := bindConfigFlags(fs, false)
	aci := fs.String("aci", "", "ACI-BENCH CSV (encounter_id, dialogue): each dialogue goes through the pipeline")
	mts := fs.String("mts", "", "MTS-Dialog CSV (ID, dialogue): each dialogue goes through the pipeline")
	visits := fs.String("visits", "", "folder of visit records (medscribe ingest --out)")
	jsonl := fs.String("jsonl", "", "JSONL cases with outcomes (one store.Case per line)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *aci == "" && *mts == "" && *visits == "" && *jsonl == "" {
		return fmt.Errorf("%w: give --aci, --mts, --visits or --jsonl", errUsage)
	}
	a, _, err := openApp(ctx, cf, io.Discard, appMode{})
	if err != nil {
		return err
	}
	defer a.Close()
	eng := a.engines.sim
	total := 0
	for src, path := range map[string]string{"aci-bench": *aci, "mts-dialog": *mts} {
		if path == "" {
			continue
		}
		rows, err := readDialogueCSV(path)
		if err != nil {
			return err
		}
		bar := newProgress(e.stderr, len(rows), "dialogues")
		for _, row := range rows {
			tr, err := transcript.Parse(row.id+".txt", []byte(row.dialogue), nil)
			if err != nil {
				fmt.Fprintf(e.stderr, "%s %s: %v (skipped)\n", path, row.id, err)
				bar.add(1)
				continue
			}
			rec, _, err := a.pipeline.Submit(ctx, ingest.Submission{Source: src, ExternalID: row.id, Transcript: tr})
			if err != nil {
				return err
			}
			if err := a.pipeline.Process(ctx, rec.ID); err != nil {
				return fmt.Errorf("%s %s: %w", path, row.id, err)
			}
			total++
			bar.add(1)
		}
		bar.done()
	}
	if *visits != "" {
		n, err := importVisitFolder(ctx, eng, *visits)
		total += n
		if err != nil {
			return err
		}
	}
	if *jsonl != "" {
		n, err := importCaseJSONL(ctx, eng, *jsonl)
		total += n
		if err != nil {
			return err
		}
	}
	st, err := a.store.CaseStats(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "imported %d cases; case base: %d cases, %d dims, embedder %s\n", total, st.Count, st.Dims, st.Embedder)
	return nil
}

func importVisitFolder(ctx context.Context, eng *similar.Engine, dir string) (int, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return n, err
		}
		var rec visit.Record
		if err := json.Unmarshal(data, &rec); err != nil {
			return n, fmt.Errorf("%s: %w", p, err)
		}
		if rec.Schema != visit.Schema || rec.ID == "" {
			return n, fmt.Errorf("%s: not a %s visit record", p, visit.Schema)
		}
		if err := eng.IndexVisit(ctx, &rec); err != nil {
			return n, fmt.Errorf("%s: %w", p, err)
		}
		n++
	}
	return n, nil
}

func importCaseJSONL(ctx context.Context, eng *similar.Engine, path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	n := 0
	for i, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		var c store.Case
		if err := dec.Decode(&c); err != nil {
			return n, fmt.Errorf("%s:%d: %w", path, i+1, err)
		}
		if c.ExternalID == "" {
			return n, fmt.Errorf("%s:%d: external_id is required", path, i+1)
		}
		if c.ID == "" {
			c.ID = "jsonl:" + c.ExternalID
		}
		if c.Source == "" {
			c.Source = "jsonl"
		}
		for _, o := range c.Outcomes {
			switch o.Kind {
			case "adverse_event", "diagnosis", "plan", "other":
			default:
				return n, fmt.Errorf("%s:%d: outcome kind %q: want adverse_event, diagnosis, plan or other", path, i+1, o.Kind)
			}
		}
		if err := eng.Put(ctx, &c); err != nil {
			return n, fmt.Errorf("%s:%d: %w", path, i+1, err)
		}
		n++
	}
	return n, nil
}

func casesReindex(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "cases reindex")
	cf := bindConfigFlags(fs, false)
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, _, err := openApp(ctx, cf, io.Discard, appMode{})
	if err != nil {
		return err
	}
	defer a.Close()
	st, err := a.store.CaseStats(ctx)
	if err != nil {
		return err
	}
	bar := newProgress(e.stderr, st.Count, "cases")
	n, err := a.engines.sim.Reindex(ctx, func(int) { bar.add(1) })
	bar.done()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "re-embedded %d cases\n", n)
	return nil
}

// casesIDF builds the offline embedder's document-frequency table from dialogues run
// through the extraction engine: `medscribe cases idf --aci train.csv --mts train.csv --out nlp/embed/idf.tsv`.
func casesIDF(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "cases idf")
	var inputs multiFlag
	fs.Var(&inputs, "data", "ACI-BENCH or MTS-Dialog CSV (repeatable)")
	out := fs.String("out", "nlp/embed/idf.tsv", "where to write the table")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if len(inputs) == 0 {
		return fmt.Errorf("%w: give --data CSV at least once", errUsage)
	}
	eng, err := newExtractor()
	if err != nil {
		return err
	}
	emb, err := embed.NewOffline(nil)
	if err != nil {
		return err
	}
	var docs []embed.Doc
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
			items, err := eng.ExtractItems(ctx, tr)
			if err != nil {
				return err
			}
			rec := &visit.Record{Problems: items.Problems, Medications: items.Medications, Findings: items.Findings, Orders: items.Orders}
			docs = append(docs, similar.DocOf(similar.CaseFromVisit(rec)))
		}
	}
	df := emb.CountDocFreq(docs)
	if err := os.WriteFile(*out, df.Format(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d documents, %d features\n", *out, df.N, len(df.DF))
	return nil
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
