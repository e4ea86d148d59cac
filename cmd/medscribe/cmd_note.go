package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/medscribe/medscribe/note"
)

func init() {
	register(command{name: "note", summary: "note drafter tools: learn the section model from a dataset", run: runNote})
}

func runNote(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "learn" {
		fmt.Fprintln(e.stderr, "usage: medscribe note learn --data TRAIN.csv --out note/data/sections.json")
		return fmt.Errorf("%w: want subcommand learn", errUsage)
	}
	fs := newFlagSet(e, "note learn")
	data := fs.String("data", "", "ACI-BENCH style CSV with dialogue and note columns (required)")
	out := fs.String("out", "", "model file to write, e.g. note/data/sections.json (required)")
	source := fs.String("source", "", "dataset name recorded in the model file (default: the data file's name)")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *data == "" || *out == "" {
		return fmt.Errorf("%w: --data and --out are required", errUsage)
	}
	if *source == "" {
		*source = filepath.Base(*data)
	}
	f, err := os.Open(*data)
	if err != nil {
		return fmt.Errorf("open data: %w", err)
	}
	defer f.Close()
	exs, err := note.ReadACI(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *data, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m, err := note.Learn(exs, &note.LearnConfig{Source: *source})
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, m.Marshal(), 0o644); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	fmt.Fprintf(e.stdout, "learned from %d encounters: %d features, keep threshold %g -> %s\n", len(exs), len(m.Weights), m.Keep, *out)
	return nil
}
