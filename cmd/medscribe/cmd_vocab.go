package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/medscribe/medscribe/nlp/vocab"
)

func init() {
	register(command{name: "vocab", summary: "import official terminology releases; check or describe a vocabulary", run: runVocab})
}

const vocabUsage = `usage:
  medscribe vocab import [--rxnorm RXNCONSO.RRF [--rxnrel RXNREL.RRF]] [--icd10 icd10cm_order_YYYY.txt] [--loinc Loinc.csv] --out DIR
  medscribe vocab check [DIR]     validate DIR's data files (default: the embedded vocabulary)
  medscribe vocab stats [DIR]     count entries per kind (DIR merged over the embedded set)

A directory written by "vocab import" replaces the embedded entries it names when the server
or ingest runs with MEDSCRIBE_VOCAB_DIR=DIR.`

func runVocab(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, vocabUsage)
		return fmt.Errorf("%w: give a subcommand: import, check or stats", errUsage)
	}
	switch args[0] {
	case "import":
		return runVocabImport(ctx, e, args[1:])
	case "check":
		return runVocabCheck(e, args[1:])
	case "stats":
		return runVocabStats(e, args[1:])
	case "-h", "--help", "help":
		fmt.Fprintln(e.stdout, vocabUsage)
		return nil
	}
	return fmt.Errorf("%w: unknown vocab subcommand %q (want import, check or stats)", errUsage, args[0])
}

func runVocabImport(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "vocab import")
	rxnorm := fs.String("rxnorm", "", "RxNorm RXNCONSO.RRF (ingredients, TTY=IN)")
	rxnrel := fs.String("rxnrel", "", "RxNorm RXNREL.RRF: also import brand names (BN) and precise ingredients (PIN) as synonyms of their ingredient")
	icd10 := fs.String("icd10", "", "ICD-10-CM order file (icd10cm_order_YYYY.txt)")
	loinc := fs.String("loinc", "", "LOINC table (Loinc.csv)")
	out := fs.String("out", "", "directory to write the data files to (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	case *out == "":
		return fmt.Errorf("%w: --out is required", errUsage)
	case *rxnorm == "" && *icd10 == "" && *loinc == "":
		return fmt.Errorf("%w: give at least one of --rxnorm, --icd10, --loinc", errUsage)
	case *rxnrel != "" && *rxnorm == "":
		return fmt.Errorf("%w: --rxnrel needs --rxnorm", errUsage)
	}

	var all []vocab.Entry
	report := func(what string, st vocab.ImportStats) {
		fmt.Fprintf(e.stdout, "%-7s read %d, kept %d, skipped %d", what, st.Read, st.Kept, st.Skipped)
		if st.Linked > 0 {
			fmt.Fprintf(e.stdout, ", linked %d brand/precise names", st.Linked)
		}
		fmt.Fprintln(e.stdout)
	}
	if *rxnorm != "" {
		conso, err := os.Open(*rxnorm)
		if err != nil {
			return fmt.Errorf("vocab import: %w", err)
		}
		defer conso.Close()
		var rel io.Reader
		if *rxnrel != "" {
			f, err := os.Open(*rxnrel)
			if err != nil {
				return fmt.Errorf("vocab import: %w", err)
			}
			defer f.Close()
			rel = f
		}
		es, st, err := vocab.ImportRxNorm(conso, rel, "RxNorm "+releaseName(*rxnorm))
		if err != nil {
			return fmt.Errorf("vocab import: %w", err)
		}
		report("rxnorm", st)
		all = append(all, es...)
	}
	type single struct {
		path, name string
		fn         func(io.Reader, string) ([]vocab.Entry, vocab.ImportStats, error)
		source     string
	}
	for _, s := range []single{
		{*icd10, "icd10cm", vocab.ImportICD10CM, "ICD-10-CM "},
		{*loinc, "loinc", vocab.ImportLOINC, "LOINC "},
	} {
		if s.path == "" {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := os.Open(s.path)
		if err != nil {
			return fmt.Errorf("vocab import: %w", err)
		}
		es, st, err := s.fn(f, s.source+releaseName(s.path))
		f.Close()
		if err != nil {
			return fmt.Errorf("vocab import: %w", err)
		}
		report(s.name, st)
		all = append(all, es...)
	}
	v, err := vocab.New(all)
	if err != nil {
		return fmt.Errorf("vocab import: %w", err)
	}
	if err := v.WriteDir(*out); err != nil {
		return fmt.Errorf("vocab import: %w", err)
	}
	// Read back what was written: a directory that the server could not load must fail here.
	back, err := vocab.Load(os.DirFS(*out), ".")
	if err != nil {
		return fmt.Errorf("vocab import: written files do not load: %w", err)
	}
	fmt.Fprintf(e.stdout, "wrote %d entries to %s (version %s); use it with %s=%s\n",
		len(back.Entries()), *out, back.Version(), vocab.EnvDir, *out)
	return nil
}

// releaseName names the release a file came from for the entries' source, e.g.
// "icd10cm_order_2025.txt" or "rrf/RXNCONSO.RRF".
func releaseName(path string) string {
	dir := filepath.Base(filepath.Dir(path))
	base := filepath.Base(path)
	if dir == "." || dir == string(filepath.Separator) {
		return base
	}
	return dir + "/" + base
}

func loadVocabArg(e *env, name string, args []string, merge bool) (*vocab.Vocabulary, error) {
	fs := newFlagSet(e, name)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch fs.NArg() {
	case 0:
		return vocab.Default(), nil
	case 1:
		if merge {
			return vocab.LoadDir(fs.Arg(0))
		}
		return vocab.Load(os.DirFS(fs.Arg(0)), ".")
	}
	return nil, fmt.Errorf("%w: at most one directory", errUsage)
}

func runVocabCheck(e *env, args []string) error {
	v, err := loadVocabArg(e, "vocab check", args, false)
	if err != nil {
		if errors.Is(err, errUsage) {
			return err
		}
		return fmt.Errorf("vocab check: %w", err)
	}
	_, err = fmt.Fprintf(e.stdout, "ok: %d entries, version %s\n", len(v.Entries()), v.Version())
	return err
}

func runVocabStats(e *env, args []string) error {
	v, err := loadVocabArg(e, "vocab stats", args, true)
	if err != nil {
		if errors.Is(err, errUsage) {
			return err
		}
		return fmt.Errorf("vocab stats: %w", err)
	}
	fmt.Fprintf(e.stdout, "version %s\n", v.Version())
	for _, k := range []vocab.Kind{vocab.KindDrug, vocab.KindProblem, vocab.KindFinding, vocab.KindLab,
		vocab.KindImaging, vocab.KindProcedure, vocab.KindReferral, vocab.KindAbbrev} {
		coded := 0
		for _, en := range v.Entries() {
			if en.Kind == k && en.Code != nil {
				coded++
			}
		}
		fmt.Fprintf(e.stdout, "%-13s %6d entries, %6d coded\n", k, v.Count(k), coded)
	}
	return nil
}
