package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// version is set by -ldflags "-X main.version=..." in release builds.
var version = "dev"

func init() {
	register(command{name: "version", summary: "print the version", run: func(ctx context.Context, e *env, args []string) error {
		v := version
		if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					v = "dev+" + s.Value[:12]
				}
			}
		}
		_, err := fmt.Fprintf(e.stdout, "medscribe %s\n", v)
		return err
	}})
}
