package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Pack tests: a pack ships test cases in its folder (tests/*.yaml), each an
// input (site, and the proposal, permit or survey of its job) and the figures
// it must give. rules/packs/README.md describes the format.

// TestReport is the outcome of a pack's test cases.
type TestReport struct {
	Pack  string       `json:"pack"`
	Cases []CaseResult `json:"cases"`
}

// CaseResult is one test case; it passed when Failures is empty.
type CaseResult struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Name     string   `json:"name"`
	Job      string   `json:"job"`
	Failures []string `json:"failures,omitempty"`
}

// Failed counts the cases that failed.
func (r *TestReport) Failed() int {
	n := 0
	for _, c := range r.Cases {
		if len(c.Failures) > 0 {
			n++
		}
	}
	return n
}

// testCase is one parsed case.
type testCase struct {
	file     string
	line     int
	name     string
	job      string
	in       input
	expect   map[string]*yaml.Node // stop, notes, figures, checks, violations
	problems []string              // errors reading the case itself
}

// RunTests runs the test cases in the pack's tests folder.
func (p *Pack) RunTests() (*TestReport, error) {
	cases, err := readTests(p.fsys)
	if err != nil {
		return nil, err
	}
	rep := &TestReport{Pack: p.Meta.ID}
	for _, tc := range cases {
		rep.Cases = append(rep.Cases, p.runCase(tc))
	}
	return rep, nil
}

func (p *Pack) runCase(tc *testCase) CaseResult {
	cr := CaseResult{File: tc.file, Line: tc.line, Name: tc.name, Job: tc.job, Failures: tc.problems}
	if len(cr.Failures) > 0 {
		return cr
	}
	res, err := p.runInput(tc)
	if err != nil {
		cr.Failures = append(cr.Failures, err.Error())
		return cr
	}
	cr.Failures = append(cr.Failures, p.compare(tc, res)...)
	return cr
}

// runInput runs a case's job on its input.
func (p *Pack) runInput(tc *testCase) (*Result, error) {
	switch tc.job {
	case jobValidation.name:
		return p.Validate(*tc.in.site, *tc.in.proposal)
	case jobViolations.name:
		return p.Violations(*tc.in.site, tc.in.permit, *tc.in.survey)
	}
	return p.Estimate(*tc.in.site)
}

// readTests reads every tests/*.yaml file of a pack, in name order.
func readTests(fsys fs.FS) ([]*testCase, error) {
	names, err := fs.Glob(fsys, dirTests+"/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("listing pack tests: %w", err)
	}
	var out []*testCase
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		cases, err := parseTests(name, data)
		if err != nil {
			return nil, err
		}
		out = append(out, cases...)
	}
	return out, nil
}

// parseTests reads one test file. A file may give defaults (site, proposal,
// permit, survey) that each case's own values override key by key.
func parseTests(file string, data []byte) ([]*testCase, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	ps := &problems{}
	top := mapping(file, doc.Content[0], ps, "", "defaults", "cases")
	if len(ps.list) > 0 {
		return nil, errors.New(ps.list[0].String())
	}
	var defaults map[string]*yaml.Node
	if d := top["defaults"]; d != nil {
		defaults = mapping(file, d, ps, "defaults", "site", "proposal", "permit", "survey")
		if len(ps.list) > 0 {
			return nil, errors.New(ps.list[0].String())
		}
	}
	cn := top["cases"]
	if cn == nil || cn.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s: cases must be a list", file)
	}
	var out []*testCase
	for _, n := range cn.Content {
		out = append(out, parseCase(file, n, defaults))
	}
	return out, nil
}

func parseCase(file string, n *yaml.Node, defaults map[string]*yaml.Node) *testCase {
	tc := &testCase{file: file, line: n.Line, job: jobEstimate.name}
	ps := &problems{}
	f := mapping(file, n, ps, "", "name", "job", "site", "proposal", "permit", "survey", "expect")
	for _, p := range ps.list {
		tc.problems = append(tc.problems, p.String())
	}
	if v := f["name"]; v != nil {
		tc.name = v.Value
	}
	if v := f["job"]; v != nil {
		tc.job = v.Value
	}
	if !slices.Contains([]string{jobEstimate.name, jobValidation.name, jobViolations.name}, tc.job) {
		tc.problems = append(tc.problems, fmt.Sprintf("job must be estimate, validation or violations, got %q", tc.job))
	}
	layers := func(key string) []*yaml.Node {
		var out []*yaml.Node
		if d := defaults[key]; d != nil {
			out = append(out, d)
		}
		if v := f[key]; v != nil {
			out = append(out, v)
		}
		return out
	}
	fail := func(key string, err error) {
		tc.problems = append(tc.problems, fmt.Sprintf("%s: %v", key, err))
	}

	site := &Site{}
	given := map[string]bool{}
	for _, l := range layers("site") {
		if err := decodeNodeStrict(l, site); err != nil {
			fail("site", err)
		}
		for i := 0; i+1 < len(l.Content); i += 2 {
			given[l.Content[i].Value] = true
		}
	}
	fillDerived(site, given)
	tc.in.site = site
	tc.in.proposal, tc.in.survey = &Proposal{}, &Survey{}
	for _, l := range layers("proposal") {
		if err := decodeNodeStrict(l, tc.in.proposal); err != nil {
			fail("proposal", err)
		}
	}
	if ls := layers("permit"); len(ls) > 0 {
		tc.in.permit = &Permit{}
		for _, l := range ls {
			if err := decodeNodeStrict(l, tc.in.permit); err != nil {
				fail("permit", err)
			}
		}
	}
	for _, l := range layers("survey") {
		if err := decodeNodeStrict(l, tc.in.survey); err != nil {
			fail("survey", err)
		}
	}
	if e := f["expect"]; e != nil {
		eps := &problems{}
		tc.expect = mapping(file, e, eps, "expect", "stop", "notes", "figures", "checks", "violations")
		for _, p := range eps.list {
			tc.problems = append(tc.problems, p.String())
		}
	} else {
		tc.problems = append(tc.problems, "a case needs expect")
	}
	return tc
}

// decodeNodeStrict decodes a YAML subtree refusing unknown keys (yaml.v3's
// Node.Decode is never strict, so the subtree is re-read by a Decoder).
func decodeNodeStrict(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		ps := &problems{}
		addYAMLErr(ps, "", err)
		var msgs []string
		for _, p := range ps.list {
			msgs = append(msgs, p.Msg)
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	return nil
}

// fillDerived completes a test site the way rule book §1 derives facts from
// others, for the facts a case leaves out: N = A − W, each zone's fraction,
// the governing zone (largest overlap, tie: smaller code), in_street (N = 0),
// outside_plan (no zone) and has_value_block (P > 0).
func fillDerived(s *Site, given map[string]bool) {
	if !given["N"] {
		s.N = roundArea(s.A - s.W)
	}
	var total float64
	for _, z := range s.Zones {
		total += z.Area
	}
	for i := range s.Zones {
		if s.Zones[i].Fraction == 0 && total > 0 {
			s.Zones[i].Fraction = s.Zones[i].Area / total
		}
	}
	if !given["governing"] {
		for _, z := range s.Zones {
			if s.Governing == "" || z.Area > s.areaOf(s.Governing) || (z.Area == s.areaOf(s.Governing) && z.Code < s.Governing) {
				s.Governing = z.Code
			}
		}
	}
	if !given["in_street"] {
		s.InStreet = s.N == 0
	}
	if !given["outside_plan"] {
		s.OutsidePlan = len(s.Zones) == 0
	}
	if !given["has_value_block"] {
		s.HasValueBlock = s.P > 0
	}
}

func (s *Site) areaOf(code string) float64 {
	for _, z := range s.Zones {
		if z.Code == code {
			return z.Area
		}
	}
	return 0
}

// compare checks a result against a case's expectations.
func (p *Pack) compare(tc *testCase, res *Result) []string {
	var fails []string
	failf := func(format string, args ...any) { fails = append(fails, fmt.Sprintf(format, args...)) }

	stop := ""
	if res.Stop != nil {
		stop = res.Stop.ID
	}
	if n := tc.expect["stop"]; n != nil {
		if n.Value != stop {
			failf("stop: want %q, got %q", n.Value, stop)
		}
	} else if stop != "" {
		failf("stop: got %q, want none", stop)
	}
	if n := tc.expect["notes"]; n != nil {
		var want []string
		if err := n.Decode(&want); err != nil {
			failf("notes: %v", err)
		}
		var got []string
		for _, note := range res.Notes {
			got = append(got, note.ID)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			failf("notes: want %v, got %v", want, got)
		}
	}
	j := p.jobNamed(tc.job)
	eachPair(tc.expect["figures"], func(id string, want *yaml.Node) {
		r := j.rule(id)
		if r == nil {
			failf("figures: %s is not a rule of the %s job", id, tc.job)
			return
		}
		f, ok := res.Figure(id)
		if isNull(want) {
			if ok {
				failf("%s: want no figure, got %v", id, f.Value)
			}
			return
		}
		if !ok {
			failf("%s: want %s, got no figure", id, want.Value)
			return
		}
		if msg := matchValue(r.kind, f.Value, want); msg != "" {
			failf("%s: %s", id, msg)
		}
	})
	eachPair(tc.expect["checks"], func(id string, want *yaml.Node) {
		if !slices.ContainsFunc(j.checks, func(c *checkNode) bool { return c.id == id }) {
			failf("checks: %s is not a check of the %s job", id, tc.job)
			return
		}
		c, ok := res.Check(id)
		if isNull(want) || want.Value == "absent" {
			if ok {
				failf("check %s: want it not to apply, got pass=%v", id, c.Pass)
			}
			return
		}
		if !ok {
			failf("check %s: did not apply", id)
			return
		}
		fails = append(fails, matchCheck(c, want)...)
	})
	if vn := tc.expect["violations"]; vn != nil {
		listed := map[string]bool{}
		eachPair(vn, func(id string, want *yaml.Node) {
			listed[id] = true
			if !slices.ContainsFunc(j.violations, func(v *violationNode) bool { return v.id == id }) {
				failf("violations: %s is not a violation of the %s job", id, tc.job)
				return
			}
			v, ok := res.Violation(id)
			if !ok {
				failf("violation %s: not found", id)
				return
			}
			fails = append(fails, matchViolation(v, want)...)
		})
		for _, v := range res.Violations {
			if !listed[v.ID] {
				failf("violation %s: found but not expected (figure %v, ruling %s)", v.ID, v.Figure, v.Ruling)
			}
		}
	}
	return fails
}

func (p *Pack) jobNamed(name string) *job {
	switch name {
	case jobValidation.name:
		return p.validation
	case jobViolations.name:
		return p.violations
	}
	return p.estimate
}

func (j *job) rule(id string) *ruleNode {
	if j == nil {
		return nil
	}
	for _, r := range j.rules {
		if r.id == id {
			return r
		}
	}
	return nil
}

func eachPair(n *yaml.Node, fn func(key string, v *yaml.Node)) {
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		fn(n.Content[i].Value, n.Content[i+1])
	}
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// parseNumber reads an expected number; _ and , may group digits.
func parseNumber(s string) (float64, error) {
	s = strings.NewReplacer("_", "", ",", "").Replace(strings.TrimSpace(s))
	switch strings.ToLower(s) {
	case ".inf", "inf", "+inf":
		return math.Inf(1), nil
	case "-.inf", "-inf":
		return math.Inf(-1), nil
	}
	return strconv.ParseFloat(s, 64)
}

// matchValue compares a figure with its expected value; "" when they match.
func matchValue(k Kind, got any, want *yaml.Node) string {
	switch k {
	case KindMoney:
		w, err := strconv.ParseInt(strings.NewReplacer("_", "", ",", "").Replace(want.Value), 10, 64)
		if err != nil {
			return fmt.Sprintf("expected money %q is not a whole number of Rial", want.Value)
		}
		if g, _ := got.(int64); g != w {
			return fmt.Sprintf("want %d Rial, got %d", w, g)
		}
	case KindFlag:
		var w bool
		if err := want.Decode(&w); err != nil {
			return fmt.Sprintf("expected %q is not true/false", want.Value)
		}
		if got != w {
			return fmt.Sprintf("want %v, got %v", w, got)
		}
	case KindText:
		if got != want.Value {
			return fmt.Sprintf("want %q, got %q", want.Value, got)
		}
	default:
		w, err := parseNumber(want.Value)
		if err != nil {
			return fmt.Sprintf("expected %q is not a number", want.Value)
		}
		g, _ := toFloat(got)
		if !closeTo(k, g, w) {
			return fmt.Sprintf("want %v, got %v", w, g)
		}
	}
	return ""
}

// closeTo compares numbers at the precision of their kind: areas to the
// 0.01 they are rounded to, counts exactly, ratios to 1e-9 relative.
func closeTo(k Kind, got, want float64) bool {
	switch {
	case got == want:
		return true
	case math.IsInf(got, 0) || math.IsInf(want, 0) || math.IsNaN(got) || math.IsNaN(want):
		return false
	case k == KindArea:
		return math.Abs(got-roundArea(want)) < 1e-9
	case k == KindCount:
		return false
	}
	return math.Abs(got-want) <= 1e-9*math.Max(1, math.Abs(want))
}

func matchCheck(c Check, want *yaml.Node) []string {
	var fails []string
	if want.Kind == yaml.ScalarNode {
		if w := want.Value == "pass"; w != c.Pass || (want.Value != "pass" && want.Value != "fail") {
			fails = append(fails, fmt.Sprintf("check %s: want %s, got pass=%v (%v %s %v)", c.ID, want.Value, c.Pass, c.Value, c.Op, c.Limit))
		}
		return fails
	}
	eachPair(want, func(key string, w *yaml.Node) {
		var msg string
		switch key {
		case "pass":
			msg = matchValue(KindFlag, c.Pass, w)
		case "value":
			msg = matchValue(c.Kind, c.Value, w)
		case "limit":
			msg = matchValue(c.Kind, c.Limit, w)
		case "margin":
			msg = matchValue(c.Kind, c.Margin, w)
		default:
			msg = "unknown key (pass, value, limit, margin)"
		}
		if msg != "" {
			fails = append(fails, fmt.Sprintf("check %s %s: %s", c.ID, key, msg))
		}
	})
	return fails
}

func matchViolation(v Violation, want *yaml.Node) []string {
	var fails []string
	eachPair(want, func(key string, w *yaml.Node) {
		var msg string
		switch key {
		case "ruling":
			msg = matchValue(KindText, v.Ruling, w)
		case "figure":
			msg = matchValue(v.Kind, v.Figure, w)
		case "fine":
			switch {
			case isNull(w) && v.Fine != nil:
				msg = fmt.Sprintf("want no fine, got %d", *v.Fine)
			case isNull(w):
			case v.Fine == nil:
				msg = fmt.Sprintf("want %s Rial, got no fine", w.Value)
			default:
				msg = matchValue(KindMoney, *v.Fine, w)
			}
		default:
			msg = "unknown key (ruling, figure, fine)"
		}
		if msg != "" {
			fails = append(fails, fmt.Sprintf("violation %s %s: %s", v.ID, key, msg))
		}
	})
	return fails
}
