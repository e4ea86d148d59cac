package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/medscribe/medscribe/api"
	"github.com/medscribe/medscribe/store"
)

func init() {
	register(command{name: "keys", summary: "API keys: create, list, revoke", run: runKeys})
}

func runKeys(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: keys create|list|revoke", errUsage)
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet(e, "keys "+sub)
	cf := bindConfigFlags(fs, false)
	name := fs.String("name", "", "what the key is for (create)")
	role := fs.String("role", "", "physician, integrator, quality or admin (create)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := cf.resolve(os.Getenv)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, store.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: newLogger(io.Discard, "error")})
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "create":
		if *name == "" || !api.ValidRole(*role) {
			return fmt.Errorf("%w: keys create --name NAME --role physician|integrator|quality|admin", errUsage)
		}
		key, hash, err := api.NewAPIKey()
		if err != nil {
			return err
		}
		k := store.APIKey{ID: uuid.NewString(), Name: *name, Role: *role, Hash: hash, CreatedAt: time.Now().UTC()}
		if err := st.PutAPIKey(ctx, k); err != nil {
			return err
		}
		if err := st.AppendAudit(ctx, store.AuditEvent{At: k.CreatedAt, Actor: "cli", Role: "admin", Action: "keys create", Object: "key:" + k.ID, Client: "local"}); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "Created key %s (%s, role %s). It is shown once; store it now.\n", k.ID, k.Name, k.Role)
		fmt.Fprintln(e.stdout, key)
		return nil
	case "list":
		keys, err := st.ListAPIKeys(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tREVOKED")
		for _, k := range keys {
			rev := "-"
			if k.RevokedAt != nil {
				rev = k.RevokedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Role, k.CreatedAt.Format(time.RFC3339), rev)
		}
		return tw.Flush()
	case "revoke":
		if fs.NArg() != 1 {
			return fmt.Errorf("%w: keys revoke ID", errUsage)
		}
		now := time.Now().UTC()
		if err := st.RevokeAPIKey(ctx, fs.Arg(0), now); err != nil {
			return err
		}
		if err := st.AppendAudit(ctx, store.AuditEvent{At: now, Actor: "cli", Role: "admin", Action: "keys revoke", Object: "key:" + fs.Arg(0), Client: "local"}); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "revoked %s\n", fs.Arg(0))
		return nil
	}
	return fmt.Errorf("%w: unknown keys subcommand %q", errUsage, sub)
}
