package seed

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The seed file is decoded from yaml.Node by hand rather than by yaml's
// own decoder, so that every error names the line it is about: an unknown
// key (with the keys that are known), a value of the wrong type, a bad
// duration, a missing required key.

// LineError is a problem at one line of the seed file.
type LineError struct {
	File string
	Line int
	Msg  string
}

// Error is "<file>:<line>: <message>".
func (e *LineError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// unmarshaler is implemented by field types that decode themselves.
type unmarshaler interface {
	decodeNode(n *yaml.Node) error
}

type decoder struct{ file string }

func (d *decoder) errf(n *yaml.Node, format string, args ...any) error {
	return &LineError{File: d.file, Line: n.Line, Msg: fmt.Sprintf(format, args...)}
}

// kindName describes a node for error messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	switch n.Tag {
	case "!!null":
		return "nothing (null)"
	case "!!bool":
		return "a boolean (" + n.Value + ")"
	case "!!int", "!!float":
		return "a number (" + n.Value + ")"
	}
	return strconv.Quote(n.Value)
}

// decode fills v (a pointer) from n; what names the value in errors.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, what string) error {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if u, ok := v.Addr().Interface().(unmarshaler); ok {
		if err := u.decodeNode(n); err != nil {
			return d.errf(n, "%s: %v", what, err)
		}
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		if err := d.decode(n, p.Elem(), what); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			return d.errf(n, "%s: want a string, not %s", what, kindName(n))
		}
		v.SetString(n.Value)
		return nil
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			return d.errf(n, "%s: want true or false, not %s", what, kindName(n))
		}
		b, _ := strconv.ParseBool(strings.ToLower(n.Value))
		v.SetBool(b)
		return nil
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			return d.errf(n, "%s: want a whole number, not %s", what, kindName(n))
		}
		i, err := strconv.Atoi(n.Value)
		if err != nil {
			return d.errf(n, "%s: want a whole number, not %s", what, kindName(n))
		}
		v.SetInt(int64(i))
		return nil
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return d.errf(n, "%s: want a list, not %s", what, kindName(n))
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			if err := d.decode(item, s.Index(i), fmt.Sprintf("%s[%d]", what, i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return d.errf(n, "%s: want a mapping, not %s", what, kindName(n))
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if m.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
				return d.errf(k, "%s: key %q appears twice", what, k.Value)
			}
			e := reflect.New(v.Type().Elem()).Elem()
			if err := d.decode(val, e, what+"."+k.Value); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k.Value), e)
		}
		v.Set(m)
		return nil
	case reflect.Struct:
		return d.decodeStruct(n, v, what)
	}
	return fmt.Errorf("seed: cannot decode into %s", v.Type()) // a bug in this package's types
}

// decodeStruct fills a struct from a mapping: keys are the fields' yaml
// tags; a field tagged seed:"required" must be present; a field named Line
// receives the mapping's line.
func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, what string) error {
	if n.Kind != yaml.MappingNode {
		return d.errf(n, "%s: want a mapping, not %s", what, kindName(n))
	}
	t := v.Type()
	fields := map[string]int{}
	var known []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		fields[name] = i
		known = append(known, name)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		idx, ok := fields[k.Value]
		if !ok {
			return d.errf(k, "%s: unknown key %q%s (known keys: %s)", what, k.Value, suggest(k.Value, known), strings.Join(known, ", "))
		}
		if seen[k.Value] {
			return d.errf(k, "%s: key %q appears twice", what, k.Value)
		}
		seen[k.Value] = true
		if err := d.decode(val, v.Field(idx), what+"."+k.Value); err != nil {
			return err
		}
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if f.Tag.Get("seed") == "required" && !seen[name] {
			return d.errf(n, "%s: missing required key %q", what, name)
		}
		if f.Name == "Line" && f.Type.Kind() == reflect.Int {
			v.Field(i).SetInt(int64(n.Line))
		}
	}
	return nil
}

// suggest proposes the known key closest to a misspelt one.
func suggest(key string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if d := distance(strings.ToLower(key), strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(": did you mean %q?", best)
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = slices.Min([]int{prev[j] + 1, cur[j-1] + 1, prev[j-1] + cost})
		}
		prev = cur
	}
	return prev[len(b)]
}
