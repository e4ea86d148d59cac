package vocab

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
)

// classesFile lists the drug classes drugs.tsv may name; Load skips it.
const classesFile = "classes.tsv"

// Class is a drug class with the WHO ATC group that defines it, so a class such as "nsaid" has a
// citable meaning rather than being a free label.
type Class struct {
	Name string
	// ATC is the WHO ATC code(s) of the class, "|"-separated when several groups make it up;
	// empty for classes ATC does not have (then Source says what defines it).
	ATC    string
	Source string
}

var (
	classesOnce sync.Once
	classesList []Class
	classesErr  error
)

// Classes returns the embedded drug classes. Its validity is checked by tests.
func Classes() ([]Class, error) {
	classesOnce.Do(func() {
		b, err := embedded.ReadFile("data/" + classesFile)
		if err != nil {
			classesErr = fmt.Errorf("drug classes: %w", err)
			return
		}
		classesList, classesErr = parseClasses(b)
	})
	return classesList, classesErr
}

func parseClasses(b []byte) ([]Class, error) {
	var out []Class
	seen := map[string]int{}
	for i, line := range strings.Split(string(bytes.TrimRight(b, "\n")), "\n") {
		if i == 0 || line == "" || strings.HasPrefix(line, "#") {
			if i == 0 && line != "class\tatc\tsource" {
				return nil, fmt.Errorf("%s:1: header must be class, atc, source", classesFile)
			}
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 || f[0] == "" || f[2] == "" {
			return nil, fmt.Errorf("%s:%d: want class, atc, source (class and source required)", classesFile, i+1)
		}
		if prev, dup := seen[f[0]]; dup {
			return nil, fmt.Errorf("%s:%d: class %q repeats line %d", classesFile, i+1, f[0], prev)
		}
		seen[f[0]] = i + 1
		out = append(out, Class{Name: f[0], ATC: f[1], Source: f[2]})
	}
	return out, nil
}
