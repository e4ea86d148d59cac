package store

import (
	"bufio"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed queries/*.sql
var queryFS embed.FS

//go:embed migrations/*/*.sql
var migrationFS embed.FS

// queries holds one dialect's named SQL statements, read from queries/<dialect>.sql, where
// each statement follows a "-- name: NAME" line.
type queries map[string]string

// get returns the statement; a missing name is a programming error caught by every test.
func (q queries) get(name string) string {
	s, ok := q[name]
	if !ok {
		panic("store: no query named " + strconv.Quote(name))
	}
	return s
}

func mustLoadQueries(dialect string) queries {
	q, err := loadQueries(queryFS, "queries/"+dialect+".sql")
	if err != nil {
		panic(err)
	}
	return q
}

func loadQueries(fsys fs.FS, path string) (queries, error) {
	b, err := fs.ReadFile(fsys, path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	q := queries{}
	var name string
	var body strings.Builder
	flush := func() error {
		if name == "" {
			return nil
		}
		s := strings.TrimSpace(body.String())
		if s == "" {
			return fmt.Errorf("%s: query %q is empty", path, name)
		}
		if _, dup := q[name]; dup {
			return fmt.Errorf("%s: query %q defined twice", path, name)
		}
		q[name] = s
		body.Reset()
		return nil
	}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		trimmed := strings.TrimSpace(text)
		if n, ok := strings.CutPrefix(trimmed, "-- name:"); ok {
			if err := flush(); err != nil {
				return nil, err
			}
			name = strings.TrimSpace(n)
			if name == "" {
				return nil, fmt.Errorf("%s:%d: query without a name", path, line)
			}
			continue
		}
		if strings.HasPrefix(trimmed, "--") || name == "" {
			continue
		}
		body.WriteString(text)
		body.WriteByte('\n')
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return q, nil
}

// migration is one numbered schema change, migrations/<dialect>/NNNN_name.sql.
type migration struct {
	Version int
	Name    string
	SQL     string
}

func loadMigrations(dialect string) ([]migration, error) {
	dir := "migrations/" + dialect
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	var out []migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("%s/%s: migration files are named NNNN_name.sql", dir, name)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("%s: migrations %s and %s share number %d", dir, prev, name, v)
		}
		seen[v] = name
		b, err := fs.ReadFile(migrationFS, dir+"/"+name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{Version: v, Name: rest, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("%s: migration %d is missing (found %d)", dir, i+1, m.Version)
		}
	}
	return out, nil
}
