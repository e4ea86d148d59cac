package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/medscribe/medscribe/api"
	"github.com/medscribe/medscribe/store"
	"github.com/medscribe/medscribe/web"
)

func init() {
	register(command{name: "users", summary: "review-UI users: add (password from MEDSCRIBE_PASSWORD or stdin)", run: runUsers})
}

func runUsers(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return fmt.Errorf("%w: users add --name NAME --role physician|quality|admin", errUsage)
	}
	fs := newFlagSet(e, "users add")
	cf := bindConfigFlags(fs, false)
	name := fs.String("name", "", "user name")
	role := fs.String("role", "", "physician, quality or admin")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *name == "" || !api.ValidRole(*role) {
		return fmt.Errorf("%w: users add --name NAME --role physician|quality|admin", errUsage)
	}
	pw := os.Getenv("MEDSCRIBE_PASSWORD")
	if pw == "" {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && err != io.EOF {
			return err
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	hash, err := web.HashPassword(pw)
	if err != nil {
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
	if err := st.PutUser(ctx, store.User{Name: *name, Role: *role, PasswordHash: hash, CreatedAt: time.Now().UTC()}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "user %s (%s) saved\n", *name, *role)
	return nil
}
