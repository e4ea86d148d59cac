package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
)

// env is what every subcommand gets: its streams. Subcommands parse their own flags.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand. Each lives in its own cmd_<name>.go file and registers itself
// from init, so packages owned by different people do not edit one switch statement.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

var commands = map[string]command{}

func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("duplicate command " + c.name)
	}
	commands[c.name] = c
}

// errUsage marks an error caused by how the command was called (exit status 2).
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "medscribe: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	err := c.run(ctx, e, args[1:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "medscribe %s: %v\n", c.name, err)
		return 2
	case errors.Is(err, errGateBreached):
		fmt.Fprintf(stderr, "medscribe %s: %v\n", c.name, err)
		return 1
	default:
		fmt.Fprintf(stderr, "medscribe %s: %v\n", c.name, err)
		return 1
	}
}

// errGateBreached is returned by eval commands when a regression gate fails (exit status 1).
var errGateBreached = errors.New("gate breached")

func usage(w io.Writer) {
	fmt.Fprintln(w, "medscribe: clinical documentation and decision support\n\nUsage: medscribe <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'medscribe <command> -h' for a command's flags.")
}

// newFlagSet makes a flag set whose errors are returned, not printed-and-exited.
func newFlagSet(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("medscribe "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}
