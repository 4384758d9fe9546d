package rules

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/expr-lang/expr/vm"
)

// ErrNoJob is returned when a pack has no rules for the job asked of it.
var ErrNoJob = errors.New("the rule pack has no rules for this job")

// Estimate gives the applicant's estimate for a site: land use, floors,
// densities, areas, parking and dues (the pack contract in
// rules/packs/README.md lists the figure ids).
func (p *Pack) Estimate(site Site) (*Result, error) {
	return p.run(p.estimate, site, input{})
}

// Validate checks an engineer's proposal against the site's limits and
// prices its dues.
func (p *Pack) Validate(site Site, proposal Proposal) (*Result, error) {
	if p.validation == nil {
		return nil, fmt.Errorf("validating with pack %s: %w", p.Meta.ID, ErrNoJob)
	}
	return p.run(p.validation, site, input{proposal: &proposal})
}

// Violations measures an as-built survey against its permit (Article 100)
// and proposes a ruling for each violation. A nil permit is a building
// without one (note 4): it is measured against the site's estimate.
func (p *Pack) Violations(site Site, permit *Permit, survey Survey) (*Result, error) {
	if p.violations == nil {
		return nil, fmt.Errorf("measuring violations with pack %s: %w", p.Meta.ID, ErrNoJob)
	}
	return p.run(p.violations, site, input{permit: permit, survey: &survey})
}

// Rules describes the rules of a job ("estimate", "validation",
// "violations") in evaluation order: the figures the job can give. It is nil
// for a job the pack does not have.
func (p *Pack) Rules(job string) []RuleInfo {
	j := p.jobNamed(job)
	if j == nil || j.kind.name != job {
		return nil
	}
	out := make([]RuleInfo, len(j.rules))
	for i, r := range j.rules {
		out[i] = *r.info
	}
	return out
}

// Jobs lists the jobs the pack offers.
func (p *Pack) Jobs() []string {
	out := []string{jobEstimate.name}
	if p.validation != nil {
		out = append(out, jobValidation.name)
	}
	if p.violations != nil {
		out = append(out, jobViolations.name)
	}
	return out
}

// evaluator is what one evaluation needs besides the compiled job. A job
// keeps a pool of them: vm.VM is not safe for concurrent use, and reusing
// its stack and the environment map keeps an evaluation cheap.
type evaluator struct {
	vm  vm.VM
	env map[string]any
	// site and in hold the evaluation's input, so that the site, which
	// every job has, is not copied to the heap on each call.
	site   Site
	in     input
	state  []bool // per evaluation position: computed in this evaluation
	figure []int  // per evaluation position: its figure in the result
	vals   []any  // per evaluation position: the rule's value
	notes  []bool // per note: it holds
	facts  []any  // per fact of the job: its value, as explanations show it
	lists  []list // per list fact of the job: its items as the VM gets them
}

func (j *job) get() *evaluator {
	if e, ok := j.pool.Get().(*evaluator); ok {
		return e
	}
	return &evaluator{
		vm:     newVM(),
		env:    maps.Clone(j.template),
		state:  make([]bool, len(j.rules)),
		figure: make([]int, len(j.rules)),
		vals:   make([]any, len(j.rules)),
		notes:  make([]bool, len(j.notes)),
		facts:  make([]any, len(j.kind.facts)),
		lists:  make([]list, len(j.kind.facts)),
	}
}

func newVM() vm.VM { return vm.VM{MemoryBudget: MemoryBudget} }

// evalError names the pack expression that failed to run.
func evalError(c *compiled, where string, err error) error {
	return fmt.Errorf("%s:%d: %s: %w", c.src.File, c.src.Line, where, err)
}

// run evaluates the job on the site and the job's own facts in in.
func (p *Pack) run(j *job, site Site, in input) (*Result, error) {
	e := j.get()
	defer j.pool.Put(e)
	e.site, e.in = site, in
	e.in.site = &e.site
	e.load(j.kind, j.reads, &e.in)
	if j.needsEnv || j.fast == nil {
		e.fillEnv(j.kind, j.reads)
	}
	res := &Result{Pack: p.Meta.ID, Version: p.Meta.Version, Job: j.kind.name}

	stop, err := e.evaluate(j)
	if err != nil {
		return nil, err
	}
	if stop != nil {
		res.Stop = &Note{ID: stop.id, Fa: stop.text.Fa, En: stop.text.En}
		return res, nil
	}

	res.Figures = make([]Figure, 0, len(j.rules))
	buf := make([]Input, 0, j.nInputs)
	for i, r := range j.rules {
		if !e.state[i] {
			continue
		}
		e.figure[i] = len(res.Figures)
		if k := r.sameInputs; k >= 0 && e.state[k] {
			res.Figures = append(res.Figures, Figure{RuleInfo: r.info, Inputs: res.Figures[e.figure[k]].Inputs, Value: e.vals[i]})
			continue
		}
		start := len(buf)
		var err error
		if buf, err = e.inputs(buf, r.expr); err != nil {
			return nil, evalError(r.expr, "rule "+r.id, err)
		}
		res.Figures = append(res.Figures, Figure{RuleInfo: r.info, Inputs: buf[start:len(buf):len(buf)], Value: e.vals[i]})
	}
	if k := countTrue(e.notes); k > 0 {
		res.Notes = make([]Note, 0, k)
	}
	for k, n := range j.notes {
		if e.notes[k] {
			res.Notes = append(res.Notes, Note{ID: n.id, Fa: n.text.Fa, En: n.text.En})
		}
	}
	for _, c := range j.checks {
		if err := e.check(c, res); err != nil {
			return nil, err
		}
	}
	for _, v := range j.violations {
		if err := e.violation(v, res); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func countTrue(s []bool) int {
	n := 0
	for _, b := range s {
		if b {
			n++
		}
	}
	return n
}

// evaluate runs the job's stop notes, rules and notes: as one program when
// it can, else one VM run each. It returns the stop note that held, if any.
func (e *evaluator) evaluate(j *job) (*noteNode, error) {
	if j.fast != nil {
		if stop, err := e.runFast(j); err == nil {
			return stop, nil
		}
		if !j.needsEnv {
			e.fillEnv(j.kind, j.reads)
		}
	}
	for _, n := range j.stops {
		hold, err := e.flag(n.when)
		if err != nil {
			return nil, evalError(n.when, "note "+n.id, err)
		}
		if hold {
			return n, nil
		}
	}
	return nil, e.runEach(j)
}

// runFast runs the job's stop notes, rules and notes as one program (see
// combine.go). An error sends the job to runEach, which names the rule.
func (e *evaluator) runFast(j *job) (*noteNode, error) {
	out, err := e.vm.Run(j.fast.prog, e) // it reads the facts from e
	if err != nil {
		return nil, err
	}
	if k, ok := out.(int); ok {
		return j.stops[k], nil
	}
	// The rules' and then the notes' values are the program's variables.
	vars := e.vm.Variables[j.fast.first:]
	for i, r := range j.rules {
		v := vars[i]
		if v != nil && j.fast.convert[i] {
			if v, err = convert(r.kind, v); err != nil {
				return nil, err
			}
		}
		e.vals[i] = v
		e.state[i] = v != nil
	}
	for k := range j.notes {
		e.notes[k] = vars[len(j.rules)+k] == true
	}
	if len(j.checks) > 0 || len(j.violations) > 0 {
		for i, r := range j.rules {
			e.env[r.id] = e.vals[i] // checks and violations read rules from the map
		}
	}
	return nil, nil
}

// runEach runs the job's rules and notes one VM run each.
func (e *evaluator) runEach(j *job) error {
	for i, r := range j.rules {
		e.state[i], e.vals[i], e.env[r.id] = false, nil, nil
		if !e.ready(r.deps) {
			continue
		}
		if r.when != nil {
			hold, err := e.flag(r.when)
			if err != nil {
				return evalError(r.when, "rule "+r.id+" (when)", err)
			}
			if !hold {
				continue
			}
		}
		v, err := e.value(r.expr)
		if err != nil {
			return evalError(r.expr, "rule "+r.id, err)
		}
		e.env[r.id], e.vals[i], e.state[i] = v, v, true
	}
	for k, n := range j.notes {
		e.notes[k] = false
		if !e.ready(n.deps) {
			continue
		}
		hold, err := e.flag(n.when)
		if err != nil {
			return evalError(n.when, "note "+n.id, err)
		}
		e.notes[k] = hold
	}
	return nil
}

// ready reports whether every rule at the given positions was computed.
func (e *evaluator) ready(deps []int) bool {
	for _, d := range deps {
		if !e.state[d] {
			return false
		}
	}
	return true
}

func (e *evaluator) flag(c *compiled) (bool, error) {
	v, err := e.value(c)
	if err != nil {
		return false, err
	}
	return v.(bool), nil
}

// value runs an expression and gives its result the kind's type and
// rounding.
func (e *evaluator) value(c *compiled) (any, error) {
	v, err := e.vm.Run(c.prog, e.env)
	if err != nil {
		return nil, err
	}
	return convert(c.kind, v)
}

// convert gives a formula's result its kind's Go type and rounding (§0).
func convert(k Kind, v any) (any, error) {
	switch k {
	case KindArea:
		f, ok := toFloat(v)
		if !ok {
			return nil, kindErr(k, v)
		}
		if r := roundArea(f); r != f || !isFloat(v) {
			return r, nil
		}
		return v, nil
	case KindNumber:
		f, ok := toFloat(v)
		if !ok {
			return nil, kindErr(k, v)
		}
		if r := snapNumber(f); r != f || !isFloat(v) {
			return r, nil
		}
		return v, nil
	case KindCount:
		switch n := v.(type) {
		case int:
			return n, nil
		case int64:
			return int(n), nil
		case float64:
			if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
				return int(n), nil
			}
			return nil, fmt.Errorf("a count must be a whole number, got %v", n)
		}
		return nil, kindErr(k, v)
	case KindMoney:
		return roundRial(v)
	case KindFlag:
		if _, ok := v.(bool); !ok {
			return nil, kindErr(k, v)
		}
	case KindText:
		if _, ok := v.(string); !ok {
			return nil, kindErr(k, v)
		}
	}
	return v, nil
}

func isFloat(v any) bool { _, ok := v.(float64); return ok }

func kindErr(k Kind, v any) error {
	return fmt.Errorf("%s needs %s, got %v (%T)", k.article(), kindWants(k), v, v)
}

// inputs appends the values an expression read to buf.
func (e *evaluator) inputs(buf []Input, c *compiled) ([]Input, error) {
	for _, in := range c.inputs {
		switch {
		case in.rule >= 0:
			buf = append(buf, Input{Name: in.name, Value: e.vals[in.rule]})
			continue
		case in.fact >= 0:
			buf = append(buf, Input{Name: in.name, Value: e.facts[in.fact]})
			continue
		}
		v, err := e.vm.Run(in.path, e.env)
		if err != nil {
			return buf, err
		}
		buf = append(buf, Input{Name: in.name, Value: v})
	}
	return buf, nil
}

// partInputs gathers the inputs of several expressions, each name once.
func (e *evaluator) partInputs(cs ...*compiled) ([]Input, error) {
	var all []Input
	var err error
	for _, c := range cs {
		if all, err = e.inputs(all, c); err != nil {
			return nil, err
		}
	}
	out := all[:0]
	for i, in := range all {
		if !slices.ContainsFunc(all[:i], func(x Input) bool { return x.Name == in.Name }) {
			out = append(out, in)
		}
	}
	return out, nil
}

func (e *evaluator) number(c *compiled, where string) (float64, error) {
	v, err := e.value(c)
	if err != nil {
		return 0, evalError(c, where, err)
	}
	f, _ := toFloat(v)
	return f, nil
}

func (e *evaluator) check(c *checkNode, res *Result) error {
	if !e.ready(c.deps) {
		return nil
	}
	if c.when != nil {
		hold, err := e.flag(c.when)
		if err != nil {
			return evalError(c.when, part("check", c.id, "when"), err)
		}
		if !hold {
			return nil
		}
	}
	value, err := e.number(c.value, part("check", c.id, "value"))
	if err != nil {
		return err
	}
	limit, err := e.number(c.limit, part("check", c.id, "limit"))
	if err != nil {
		return err
	}
	out := Check{
		ID: c.id, LabelFa: c.label.Fa, LabelEn: c.label.En, Kind: c.kind, Unit: c.unit,
		Value: value, Op: c.op, Limit: limit,
		Formula: c.value.src.Text + " " + c.op + " " + c.limit.src.Text,
	}
	switch c.op {
	case "<=":
		out.Pass, out.Margin = value <= limit, limit-value
	case "<":
		out.Pass, out.Margin = value < limit, limit-value
	case ">=":
		out.Pass, out.Margin = value >= limit, value-limit
	case ">":
		out.Pass, out.Margin = value > limit, value-limit
	case "==":
		out.Pass, out.Margin = value == limit, -math.Abs(value-limit)
	}
	if c.kind == KindArea {
		out.Margin = roundArea(out.Margin)
	}
	if out.Inputs, err = e.partInputs(c.value, c.limit); err != nil {
		return evalError(c.value, part("check", c.id, "inputs"), err)
	}
	res.Checks = append(res.Checks, out)
	return nil
}

func (e *evaluator) violation(v *violationNode, res *Result) error {
	if !e.ready(v.deps) {
		return nil
	}
	hold, err := e.flag(v.when)
	if err != nil {
		return evalError(v.when, part("violation", v.id, "when"), err)
	}
	if !hold {
		return nil
	}
	fig, err := e.number(v.figure, part("violation", v.id, "figure"))
	if err != nil {
		return err
	}
	r, err := e.value(v.ruling)
	if err != nil {
		return evalError(v.ruling, part("violation", v.id, "ruling"), err)
	}
	ruling := r.(string)
	switch ruling {
	case RulingFine, RulingDemolition, RulingReferral:
	default:
		return evalError(v.ruling, part("violation", v.id, "ruling"),
			fmt.Errorf("a ruling must be %q, %q or %q, got %q", RulingFine, RulingDemolition, RulingReferral, ruling))
	}
	out := Violation{
		ID: v.id, LabelFa: v.label.Fa, LabelEn: v.label.En, Kind: v.kind, Unit: v.unit,
		Figure: fig, Ruling: ruling, Formula: v.figure.src.Text,
	}
	parts := []*compiled{v.figure, v.ruling}
	if ruling == RulingFine && v.fine != nil && e.ready(v.fineDeps) {
		f, err := e.value(v.fine)
		if err != nil {
			return evalError(v.fine, part("violation", v.id, "fine"), err)
		}
		rial := f.(int64)
		out.Fine = &rial
		out.FineFormula = v.fine.src.Text
		parts = append(parts, v.fine)
	}
	if out.Inputs, err = e.partInputs(parts...); err != nil {
		return evalError(v.figure, part("violation", v.id, "inputs"), err)
	}
	res.Violations = append(res.Violations, out)
	return nil
}
