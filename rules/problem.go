package rules

import (
	"fmt"
	"strings"
)

// Problem is one finding about a pack: an error that refuses it, or (from
// Lint) a warning. Line and Col are 1-based positions in File, 0 when unknown.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Col     int    `json:"col,omitempty"`
	Rule    string `json:"rule,omitempty"` // the rule, table, check … the problem is in
	Msg     string `json:"msg"`
	Warning bool   `json:"warning,omitempty"`
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Col > 0 {
			fmt.Fprintf(&b, ":%d", p.Col)
		}
	}
	b.WriteString(": ")
	if p.Warning {
		b.WriteString("warning: ")
	}
	if p.Rule != "" {
		fmt.Fprintf(&b, "%s: ", p.Rule)
	}
	b.WriteString(p.Msg)
	return b.String()
}

// LoadError refuses a pack: it lists every problem found, so a city's staff
// can fix them in one pass. A pack with any problem is never half-loaded.
type LoadError struct {
	Pack     string // the pack's id, or its folder when the id is unknown
	Problems []Problem
}

func (e *LoadError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rule pack %s refused (%d problem", e.Pack, len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteByte('s')
	}
	b.WriteString("):")
	for _, p := range e.Problems {
		b.WriteString("\n")
		b.WriteString(indent(p.String()))
	}
	return b.String()
}

// indent prefixes each line, so a multi-line expr snippet stays readable
// under its problem.
func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// problems collects findings while a pack is read.
type problems struct {
	list []Problem
}

func (ps *problems) add(file string, line, col int, rule, format string, args ...any) {
	ps.list = append(ps.list, Problem{File: file, Line: line, Col: col, Rule: rule, Msg: fmt.Sprintf(format, args...)})
}

func (ps *problems) warn(file string, line, col int, rule, format string, args ...any) {
	ps.list = append(ps.list, Problem{File: file, Line: line, Col: col, Rule: rule, Msg: fmt.Sprintf(format, args...), Warning: true})
}

// dedupe drops repeated findings, keeping the first of each.
func (ps *problems) dedupe() {
	seen := map[Problem]bool{}
	out := ps.list[:0]
	for _, p := range ps.list {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	ps.list = out
}
