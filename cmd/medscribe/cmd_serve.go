package main

import (
	"context"
	"fmt"
	"os"
)

func init() {
	register(command{name: "serve", summary: "run the HTTP API, CDS Hooks service, review UI and workers", run: runServe})
	register(command{name: "migrate", summary: "create or upgrade the database schema", run: runMigrate})
}

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "serve")
	cf := bindConfigFlags(fs, true)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := cf.resolve(os.Getenv)
	if err != nil {
		return err
	}
	if cfg.Dev {
		fmt.Fprintln(e.stderr, "WARNING: --dev: authentication is OFF. Every caller is an admin and unsigned CDS Hooks calls are accepted. Never use --dev with real patient data.")
	}
	a, err := newApp(ctx, cfg, e.stderr, appMode{queue: true, http: true})
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintf(e.stderr, "medscribe listening on %s (store: %s)\n", a.URL(), a.store.Dialect())
	return a.Run(ctx)
}

func runMigrate(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "migrate")
	cf := bindConfigFlags(fs, false)
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, _, err := openApp(ctx, cf, e.stderr, appMode{queue: true})
	if err != nil {
		return err
	}
	defer a.Close()
	fmt.Fprintf(e.stdout, "migrated %s store and job queue\n", a.store.Dialect())
	return nil
}
