package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// The YAML shapes of a pack's files (rules/packs/README.md describes them for
// a city's staff). Scalars that need a position in error messages decode into
// posString and source; everything else is decoded strictly, so a misspelt
// key is an error, not a silently ignored line.

// posString is a YAML scalar with its position.
type posString struct {
	S         string
	Line, Col int
}

func (p *posString) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: expected a single value", n.Line)
	}
	*p = posString{S: n.Value, Line: n.Line, Col: n.Column}
	return nil
}

// source is an expression as written in a pack file, with what is needed to
// map a position inside the expression back to the file.
type source struct {
	Text      string
	File      string
	Line, Col int
	style     yaml.Style
	fileLines []string // the whole file, for block scalars' indentation
}

func (s *source) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: an expression must be a string", n.Line)
	}
	*s = source{Text: n.Value, Line: n.Line, Col: n.Column, style: n.Style}
	return nil
}

// set reports whether the expression was given.
func (s source) set() bool { return strings.TrimSpace(s.Text) != "" }

// commentCut reports whether YAML may have cut a plain one-line value at a
// " #", which starts a comment there: expr's predicate shorthand #.field is
// the usual victim.
func (s source) commentCut() bool {
	if s.style != 0 || s.Line < 1 || s.Line > len(s.fileLines) {
		return false
	}
	line := s.fileLines[s.Line-1]
	rest := ""
	if c := s.Col - 1 + len(s.Text); c <= len(line) && c >= 0 {
		rest = line[c:]
	}
	return strings.Contains(" "+rest, " #") && strings.Contains(rest, "#")
}

// pos maps a 1-based line and 0-based column inside the expression to the
// file. Quoted scalars with escapes may be off by the escapes' length.
func (s source) pos(line, col int) (int, int) {
	if line < 1 {
		line, col = 1, 0
	}
	switch {
	case s.style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		// The text starts on the line after the indicator, at the block's
		// indentation.
		l := s.Line + line
		ind := 0
		if l-1 < len(s.fileLines) {
			t := s.fileLines[l-1]
			ind = len(t) - len(strings.TrimLeft(t, " "))
		}
		return l, ind + col + 1
	case line == 1:
		c := s.Col + col
		if s.style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 {
			c++
		}
		return s.Line, c
	default:
		return s.Line + line - 1, 0
	}
}

// label is a name in each of a pack's languages.
type label struct {
	Fa string `yaml:"fa"`
	En string `yaml:"en"`
}

type packSpec struct {
	ID             posString `yaml:"id"`
	Version        string    `yaml:"version"`
	Effective      string    `yaml:"effective"`
	Municipality   string    `yaml:"municipality"`
	MunicipalityFa string    `yaml:"municipality_fa"`
	Languages      []string  `yaml:"languages"`
	Description    string    `yaml:"description"`
}

type ruleSpec struct {
	ID    posString `yaml:"id"`
	Label label     `yaml:"label"`
	Kind  string    `yaml:"kind"`
	Unit  string    `yaml:"unit"`
	Expr  source    `yaml:"expr"`
	When  source    `yaml:"when"`
	Note  string    `yaml:"note"`
}

// noteSpec is a message shown when its condition holds; a stop note ends
// the estimate before any figure.
type noteSpec struct {
	ID   posString `yaml:"id"`
	When source    `yaml:"when"`
	Text label     `yaml:"text"`
	Stop bool      `yaml:"stop"`
}

type checkSpec struct {
	ID    posString `yaml:"id"`
	Label label     `yaml:"label"`
	Kind  string    `yaml:"kind"`
	Unit  string    `yaml:"unit"`
	Value source    `yaml:"value"`
	Op    string    `yaml:"op"`
	Limit source    `yaml:"limit"`
	When  source    `yaml:"when"`
	Note  string    `yaml:"note"`
}

type violationSpec struct {
	ID     posString `yaml:"id"`
	Label  label     `yaml:"label"`
	Kind   string    `yaml:"kind"`
	Unit   string    `yaml:"unit"`
	When   source    `yaml:"when"`
	Figure source    `yaml:"figure"`
	Ruling source    `yaml:"ruling"`
	Fine   source    `yaml:"fine"`
	Note   string    `yaml:"note"`
}

// jobSpec is one of estimate.yaml, validation.yaml, violations.yaml.
type jobSpec struct {
	Rules      []ruleSpec      `yaml:"rules"`
	Notes      []noteSpec      `yaml:"notes"`
	Checks     []checkSpec     `yaml:"checks"`
	Violations []violationSpec `yaml:"violations"`
}

// decodeStrict decodes one YAML document, refusing unknown keys.
func decodeStrict(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file is an empty section
		}
		return err
	}
	return nil
}

// addYAMLErr reports a yaml.v3 error, one problem per line it lists, with
// the line number pulled out and Go type names replaced by the keys allowed.
func addYAMLErr(ps *problems, file string, err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:")
	for _, m := range strings.Split(msg, "\n") {
		m = strings.TrimSpace(m)
		if m == "" {
			continue
		}
		var line int
		if _, e := fmt.Sscanf(m, "line %d:", &line); e == nil {
			m = strings.TrimSpace(m[strings.Index(m, ":")+1:])
		}
		ps.add(file, line, 0, "", "%s", friendlyYAML(m))
	}
}

var unknownField = regexp.MustCompile(`field (\S+) not found in type rules\.(\w+)`)

// specType returns the type pack or test YAML decodes into, by Go name.
func specType(name string) (reflect.Type, bool) {
	for _, v := range []any{packSpec{}, jobSpec{}, ruleSpec{}, noteSpec{}, checkSpec{}, violationSpec{}, label{},
		Site{}, ZoneShare{}, OverlayFact{}, Proposal{}, Floor{}, Permit{}, Survey{}} {
		if t := reflect.TypeOf(v); t.Name() == name {
			return t, true
		}
	}
	return nil, false
}

// friendlyYAML rewrites "field x not found in type rules.ruleSpec" into
// the keys a pack's author may write there.
func friendlyYAML(msg string) string {
	return unknownField.ReplaceAllStringFunc(msg, func(m string) string {
		sub := unknownField.FindStringSubmatch(m)
		t, ok := specType(sub[2])
		if !ok {
			return m
		}
		var keys []string
		for i := 0; i < t.NumField(); i++ {
			if k, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); k != "" {
				keys = append(keys, k)
			}
		}
		return fmt.Sprintf("unknown key %s (allowed: %s)", sub[1], strings.Join(keys, ", "))
	})
}

// fillSources gives every expression of a job file its file and lines.
func (j *jobSpec) fillSources(file string, lines []string) {
	fill := func(s *source) { s.File, s.fileLines = file, lines }
	for i := range j.Rules {
		fill(&j.Rules[i].Expr)
		fill(&j.Rules[i].When)
	}
	for i := range j.Notes {
		fill(&j.Notes[i].When)
	}
	for i := range j.Checks {
		c := &j.Checks[i]
		fill(&c.Value)
		fill(&c.Limit)
		fill(&c.When)
	}
	for i := range j.Violations {
		v := &j.Violations[i]
		fill(&v.When)
		fill(&v.Figure)
		fill(&v.Ruling)
		fill(&v.Fine)
	}
}
