package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/medscribe/medscribe/rules"
)

func init() {
	register(command{name: "rules", summary: "check or test drug-safety rule files (check|test [DIR])", run: runRules})
}

func runRules(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || (args[0] != "check" && args[0] != "test") {
		fmt.Fprintln(e.stderr, "Usage: medscribe rules check [DIR]   lint a rule directory (default: the shipped rules)")
		fmt.Fprintln(e.stderr, "       medscribe rules test [DIR]    run the *_test.yaml rule tests in DIR")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return fmt.Errorf("%w: want check or test", errUsage)
	}
	sub := args[0]
	fl := newFlagSet(e, "rules "+sub)
	verbose := fl.Bool("v", false, "list every test case (test only)")
	if err := fl.Parse(args[1:]); err != nil {
		return err
	}
	if fl.NArg() > 1 {
		return fmt.Errorf("%w: give one rule directory", errUsage)
	}
	fsys, root := rules.ShippedFS()
	label := "shipped rules (embedded)"
	if fl.NArg() == 1 {
		dir := fl.Arg(0)
		st, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		if !st.IsDir() {
			// A single rule file: check its directory.
			dir = filepath.Dir(dir)
		}
		fsys, root, label = os.DirFS(dir), ".", dir
	}
	if sub == "check" {
		return rulesCheck(e, fsys, root, label)
	}
	return rulesTest(e, fsys, root, label, *verbose)
}

func printProblems(e *env, err error) error {
	var perrs *rules.Errors
	if errors.As(err, &perrs) {
		for _, p := range perrs.Problems {
			fmt.Fprintln(e.stderr, "  "+p.String())
		}
		return fmt.Errorf("%d problem(s)", len(perrs.Problems))
	}
	return err
}

func rulesCheck(e *env, fsys fs.FS, root, label string) error {
	fmt.Fprintf(e.stdout, "Checking %s\n", label)
	rs, err := rules.Check(fsys, root)
	if err != nil {
		fmt.Fprintln(e.stderr, "  FAILED:")
		return printProblems(e, err)
	}
	c := rs.Counts()
	fmt.Fprintf(e.stdout, "  SUCCESS: %s: %d rules (%d interactions, %d ONC high-priority, %d duplicate-therapy, %d allergy, %d dose, %d condition), %d classes, %d drugs\n",
		rs.Version(), c["rules"], c["interactions"], c["high_priority"], c["duplicates"], c["allergies"], c["doses"], c["conditions"], c["classes"], c["drugs"])
	return nil
}

func rulesTest(e *env, fsys fs.FS, root, label string, verbose bool) error {
	fmt.Fprintf(e.stdout, "Unit testing %s\n", label)
	rs, err := rules.Load(fsys, root)
	if err != nil {
		fmt.Fprintln(e.stderr, "  FAILED to load rules:")
		return printProblems(e, err)
	}
	cases, err := rules.LoadTests(rs, fsys, root)
	if err != nil {
		fmt.Fprintln(e.stderr, "  FAILED to load tests:")
		return printProblems(e, err)
	}
	rep := rs.Run(cases)
	for _, r := range rep.Results {
		if len(r.Failures) == 0 {
			if verbose {
				fmt.Fprintf(e.stdout, "  ok   %s:%d %s\n", r.File, r.Line, r.Name)
			}
			continue
		}
		fmt.Fprintf(e.stdout, "  FAIL %s:%d %s\n", r.File, r.Line, r.Name)
		for _, f := range r.Failures {
			fmt.Fprintf(e.stdout, "         %s\n", f)
		}
	}
	if rep.Failed > 0 {
		fmt.Fprintf(e.stdout, "  FAILED: %d of %d tests\n", rep.Failed, rep.Passed+rep.Failed)
		return fmt.Errorf("%d rule test(s) failed", rep.Failed)
	}
	fmt.Fprintf(e.stdout, "  SUCCESS: %d tests passed (%s)\n", rep.Passed, rs.Version())
	return nil
}
