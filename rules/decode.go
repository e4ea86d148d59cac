package rules

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a rule or test file. Line and Col are 1-based; 0 when the
// problem concerns no particular place.
type Problem struct {
	File   string
	Line   int
	Col    int
	RuleID string
	Msg    string
}

// String formats the problem as "file:line:col: rule ID: message", the form editors jump to.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", p.Line, p.Col)
	}
	b.WriteString(": ")
	if p.RuleID != "" {
		b.WriteString("rule ")
		b.WriteString(p.RuleID)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Errors is every problem found in a rule set, in file and line order. Load returns it so that
// an author fixes everything in one pass, as promtool does.
type Errors struct {
	Problems []Problem
}

// Error lists every problem, one a line.
func (e *Errors) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func (e *Errors) add(file string, line, col int, ruleID, format string, args ...any) {
	e.Problems = append(e.Problems, Problem{File: file, Line: line, Col: col, RuleID: ruleID, Msg: fmt.Sprintf(format, args...)})
}

func (e *Errors) sort() {
	sort.SliceStable(e.Problems, func(i, j int) bool {
		a, b := e.Problems[i], e.Problems[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

func (e *Errors) orNil() error {
	if len(e.Problems) == 0 {
		return nil
	}
	e.sort()
	return e
}

// pos records where a YAML element starts; the strict decoder fills it in every struct that
// has a field named Pos of this type.
type pos struct {
	Line, Col int
}

var (
	posType  = reflect.TypeOf(pos{})
	keysType = reflect.TypeOf(map[string]pos(nil))
)

// decoder decodes yaml nodes into the rule-file structs strictly: unknown keys, duplicate keys
// and wrongly typed values are problems, and decoding continues so all problems are reported.
type decoder struct {
	file string
	errs *Errors
	// ruleID is the id of the rule being decoded, for messages.
	ruleID string
	// aliases counts alias expansions, bounded so a crafted file cannot blow up (billion laughs).
	aliases int
}

const maxAliasExpansions = 10000

func (d *decoder) fail(n *yaml.Node, format string, args ...any) {
	d.errs.add(d.file, n.Line, n.Column, d.ruleID, format, args...)
}

// decode fills v (a pointer) from n.
func (d *decoder) decode(n *yaml.Node, v reflect.Value) {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return
		}
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		// Aliases (*name) let a file repeat a citation; problems point at the anchor.
		if n.Alias == nil {
			d.fail(n, "unresolved YAML alias")
			return
		}
		if d.aliases++; d.aliases > maxAliasExpansions {
			if d.aliases == maxAliasExpansions+1 {
				d.fail(n, "more than %d alias expansions", maxAliasExpansions)
			}
			return
		}
		n = n.Alias
	}
	t := v.Type()
	switch t.Kind() {
	case reflect.Pointer:
		if n.Tag == "!!null" {
			return
		}
		nv := reflect.New(t.Elem())
		d.decode(n, nv.Elem())
		v.Set(nv)
	case reflect.Struct:
		d.decodeStruct(n, v)
	case reflect.Slice:
		if n.Tag == "!!null" {
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.fail(n, "expected a list, got %s", nodeKind(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i))
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			d.fail(n, "expected a string, got %s", nodeKind(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			d.fail(n, "expected true or false, got %s", nodeKind(n))
			return
		}
		v.SetBool(n.Value == "true")
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			d.fail(n, "expected an integer, got %s", nodeKind(n))
			return
		}
		i, err := strconv.Atoi(n.Value)
		if err != nil {
			d.fail(n, "bad integer %q", n.Value)
			return
		}
		v.SetInt(int64(i))
	case reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
			d.fail(n, "expected a number, got %s", nodeKind(n))
			return
		}
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			d.fail(n, "bad number %q", n.Value)
			return
		}
		v.SetFloat(f)
	default:
		panic("rules: decoder cannot fill " + t.String())
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value) {
	t := v.Type()
	if f, ok := t.FieldByName("Pos"); ok && f.Type == posType {
		v.FieldByIndex(f.Index).Set(reflect.ValueOf(pos{Line: n.Line, Col: n.Column}))
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, "expected a mapping, got %s", nodeKind(n))
		return
	}
	// Rules are identified by id in every message, so read it first.
	if f, ok := t.FieldByName("ID"); ok && f.Type.Kind() == reflect.String {
		old := d.ruleID
		defer func() { d.ruleID = old }()
		d.ruleID = ""
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "id" && n.Content[i+1].Kind == yaml.ScalarNode {
				d.ruleID = n.Content[i+1].Value
			}
		}
	}
	var keys reflect.Value
	if f, ok := t.FieldByName("Keys"); ok && f.Type == keysType {
		keys = reflect.MakeMap(keysType)
		v.FieldByIndex(f.Index).Set(keys)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if keys.IsValid() {
			keys.SetMapIndex(reflect.ValueOf(k.Value), reflect.ValueOf(pos{Line: val.Line, Col: val.Column}))
		}
		if seen[k.Value] {
			d.fail(k, "duplicate key %q", k.Value)
			continue
		}
		seen[k.Value] = true
		idx, ok := fieldByTag(t, k.Value)
		if !ok {
			d.fail(k, "unknown field %q (allowed: %s)", k.Value, strings.Join(tags(t), ", "))
			continue
		}
		d.decode(val, v.FieldByIndex(idx))
	}
}

func fieldByTag(t reflect.Type, name string) ([]int, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Tag.Get("yaml") == ",inline" {
			if idx, ok := fieldByTag(f.Type, name); ok {
				return append([]int{i}, idx...), true
			}
			continue
		}
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag != "" && tag != "-" && tag == name {
			return f.Index, true
		}
	}
	return nil, false
}

func tags(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Tag.Get("yaml") == ",inline" {
			out = append(out, tags(f.Type)...)
			continue
		}
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag != "" && tag != "-" {
			out = append(out, tag)
		}
	}
	return out
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unexpected YAML node"
}

// decodeFile parses data as one YAML document and decodes it into out (a pointer to a struct);
// it returns false when the file is not valid YAML.
func decodeFile(file string, data []byte, out any, errs *Errors) bool {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		line := 0
		msg := err.Error()
		// yaml.v3 reports "yaml: line N: ..."; keep the position in our format.
		if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
			if num, tail, ok := strings.Cut(rest, ": "); ok {
				if l, err := strconv.Atoi(num); err == nil {
					line, msg = l, tail
				}
			}
		}
		errs.add(file, line, 1, "", "YAML syntax: %s", msg)
		return false
	}
	if root.Kind == 0 {
		return true
	}
	d := &decoder{file: file, errs: errs}
	d.decode(&root, reflect.ValueOf(out).Elem())
	return true
}
