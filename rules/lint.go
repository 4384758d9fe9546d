package rules

import (
	"fmt"
	"io/fs"
	"slices"

	"gopkg.in/yaml.v3"
)

// Lint reads the pack in fsys and reports every problem: the errors that
// would refuse it (syntax, unknown names, type errors, cycles, budgets), the
// warnings (tables no formula calls), and test cases that cannot run or that
// name figures, checks or violations the pack does not have. The error is
// for failures to read the folder at all.
func Lint(fsys fs.FS) ([]Problem, error) {
	p, ps, err := load(fsys)
	if err != nil {
		return nil, err
	}
	cases, err := readTests(fsys)
	if err != nil {
		ps.add(dirTests, 0, 0, "", "%v", err)
		return ps.list, nil
	}
	if len(cases) == 0 {
		ps.warn(dirTests, 0, 0, "", "the pack has no test cases (%s/*.yaml)", dirTests)
	}
	for _, tc := range cases {
		where := "case " + fmt.Sprintf("%q", tc.name)
		for _, msg := range tc.problems {
			ps.add(tc.file, tc.line, 0, where, "%s", msg)
		}
		j := p.jobNamed(tc.job)
		if j == nil {
			ps.add(tc.file, tc.line, 0, where, "the pack has no %s job", tc.job)
			continue
		}
		for _, id := range keys(tc.expect["figures"]) {
			if j.rule(id) == nil {
				ps.add(tc.file, tc.line, 0, where, "expects figure %s, which is not a rule of the %s job", id, tc.job)
			}
		}
		for _, id := range keys(tc.expect["checks"]) {
			if !slices.ContainsFunc(j.checks, func(c *checkNode) bool { return c.id == id }) {
				ps.add(tc.file, tc.line, 0, where, "expects check %s, which the %s job does not have", id, tc.job)
			}
		}
		for _, id := range keys(tc.expect["violations"]) {
			if !slices.ContainsFunc(j.violations, func(v *violationNode) bool { return v.id == id }) {
				ps.add(tc.file, tc.line, 0, where, "expects violation %s, which the %s job does not have", id, tc.job)
			}
		}
	}
	return ps.list, nil
}

func keys(n *yaml.Node) []string {
	var out []string
	eachPair(n, func(k string, _ *yaml.Node) { out = append(out, k) })
	return out
}
