package rules

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// A job is one entry point of a pack (estimate, validation, violations),
// compiled against its own environment. The estimate's rules are part of
// every job: validation checks a proposal against F, D and the allowed
// area, and Article 100 measures a case without a permit against the
// estimate.

type job struct {
	kind jobKind
	// rules in evaluation order: as written, except that a rule comes after
	// the rules it reads. Figures come out in this order.
	rules      []*ruleNode
	stops      []*noteNode
	notes      []*noteNode
	checks     []*checkNode
	violations []*violationNode
	nInputs    int   // inputs of all rules, the size of a result's backing array
	reads      []int // positions of the facts the job's expressions read
	// needsEnv is set when every evaluation runs programs of single
	// formulas (checks, violations, inputs such as proposal.height_m),
	// which read the facts from the evaluator's map, as the rules do when
	// the job runs rule by rule; the combined program reads the evaluator.
	needsEnv bool
	template map[string]any
	pool     sync.Pool // of *evaluator
	fast     *combined // nil: the job runs rule by rule
}

type ruleNode struct {
	id    string
	label label
	kind  Kind
	unit  string
	info  *RuleInfo
	expr  *compiled
	when  *compiled // nil: always
	deps  []int     // evaluation positions of the rules expr and when read
	// sameInputs is the evaluation position of an earlier rule whose
	// formula reads exactly the same inputs (zone(governing).use and
	// zone(governing).use_fa both read governing), or −1: a result's two
	// figures then share one list of inputs.
	sameInputs int
}

type noteNode struct {
	id   string
	text label
	stop bool
	when *compiled
	deps []int
}

type checkNode struct {
	id           string
	label        label
	kind         Kind
	unit         string
	op           string
	value, limit *compiled
	when         *compiled
	deps         []int
}

type violationNode struct {
	id                   string
	label                label
	kind                 Kind
	unit                 string
	when, figure, ruling *compiled
	fine                 *compiled // nil: the row never has a fine
	deps                 []int     // of when, figure and ruling
	fineDeps             []int
}

var checkOps = []string{"<=", "<", ">=", ">", "=="}

// Rulings a violation may propose; permits records the commission's decision
// against them.
const (
	RulingFine       = "fine"
	RulingDemolition = "demolition"
	RulingReferral   = "referral"
)

// jobBuilder compiles one job.
type jobBuilder struct {
	j   *job
	c   *compiler
	ps  *problems
	pos map[string]int // rule id → evaluation position
}

// buildJob compiles a job from the estimate's spec (nil when building the
// estimate itself) and the job's own spec.
// The tables the job calls are marked used in ts.
func buildJob(kind jobKind, ts *tableSet, est, own *jobSpec, ps *problems) *job {
	j := &job{kind: kind}
	var specs []ruleSpec
	var notes []noteSpec
	if est != nil {
		specs = append(specs, est.Rules...)
		notes = append(notes, est.Notes...)
	}
	specs = append(specs, own.Rules...)
	notes = append(notes, own.Notes...)
	if est == nil && (len(own.Checks) > 0 || len(own.Violations) > 0) {
		ps.add(fileEstimate, 0, 0, "", "checks belong in %s and violations in %s", fileValidation, fileViolations)
	}
	if kind.name == jobValidation.name && len(own.Violations) > 0 {
		ps.add(fileValidation, 0, 0, "", "violations belong in %s", fileViolations)
	}
	if kind.name == jobViolations.name && len(own.Checks) > 0 {
		ps.add(fileViolations, 0, 0, "", "checks belong in %s", fileValidation)
	}

	b := &jobBuilder{j: j, ps: ps, pos: map[string]int{}}
	b.c = newCompiler(kind, ts, ps)
	j.template = b.c.env // the facts, and each rule once declared
	ids := b.declareRules(specs)
	nodes := make([]*ruleNode, len(specs))
	for i, s := range specs {
		if !ids[i] {
			continue
		}
		where := "rule " + s.ID.S
		n := &ruleNode{id: s.ID.S, label: s.Label, kind: Kind(s.Kind), unit: s.Unit}
		n.expr = b.c.compile(s.Expr, n.kind, where)
		n.info = &RuleInfo{ID: n.id, LabelFa: n.label.Fa, LabelEn: n.label.En, Kind: n.kind, Unit: n.unit, Formula: s.Expr.Text}
		n.info.encoded = encodeMembers(n.info)
		if s.When.set() {
			n.when = b.c.compile(s.When, KindFlag, where+" (when)")
		}
		nodes[i] = n
	}
	j.rules = b.order(specs, nodes)
	for i, n := range j.rules {
		b.pos[n.id] = i
	}
	for _, n := range j.rules {
		n.deps = b.deps(n.expr, n.when)
	}
	b.notes(notes)
	b.checks(own.Checks)
	b.violations(own.Violations)
	b.resolveInputs()
	b.shareInputs()
	for i, read := range b.c.reads {
		if read {
			j.reads = append(j.reads, i)
		}
	}
	if len(errorsOnly(ps.list)) == 0 {
		fast, err := b.combine()
		if err != nil {
			ps.warn(kind.name+".yaml", 0, 0, "", "the %s job cannot run as one program, so it runs rule by rule (slower): %v", kind.name, err)
		}
		j.fast = fast
	}
	j.needsEnv = len(j.checks) > 0 || len(j.violations) > 0 || slices.ContainsFunc(j.rules, func(r *ruleNode) bool {
		return r.expr != nil && slices.ContainsFunc(r.expr.inputs, func(in inputRef) bool { return in.path != nil })
	})
	return j
}

// resolveInputs points each input that is a rule at its evaluation position.
func (b *jobBuilder) resolveInputs() {
	var all []*compiled
	for _, r := range b.j.rules {
		all = append(all, r.expr, r.when)
	}
	for _, c := range b.j.checks {
		all = append(all, c.value, c.limit, c.when)
	}
	for _, v := range b.j.violations {
		all = append(all, v.when, v.figure, v.ruling, v.fine)
	}
	for _, n := range append(b.j.stops, b.j.notes...) {
		all = append(all, n.when)
	}
	for _, c := range all {
		if c == nil {
			continue
		}
		for i := range c.inputs {
			if p, ok := b.pos[c.inputs[i].name]; ok && c.inputs[i].path == nil {
				c.inputs[i].rule = p
			}
		}
	}
}

// shareInputs finds the rules whose inputs an earlier rule already lists,
// and sizes a result's inputs for the others.
func (b *jobBuilder) shareInputs() {
	for i, r := range b.j.rules {
		r.sameInputs = -1
		if r.expr == nil {
			continue
		}
		for k, earlier := range b.j.rules[:i] {
			if earlier.expr != nil && len(r.expr.inputs) > 0 && slices.EqualFunc(r.expr.inputs, earlier.expr.inputs, sameInput) {
				r.sameInputs = k
				break
			}
		}
		if r.sameInputs < 0 {
			b.j.nInputs += len(r.expr.inputs)
		}
	}
}

// sameInput reports whether two inputs are the same fact or rule (a path,
// such as proposal.height_m, is run each time: it is never shared).
func sameInput(a, b inputRef) bool {
	return a.path == nil && b.path == nil && a.name == b.name && a.rule == b.rule && a.fact == b.fact
}

// declareRules checks ids, kinds and labels and makes each good rule known
// to the compiler, so that rules may read each other in any order.
func (b *jobBuilder) declareRules(specs []ruleSpec) []bool {
	all := jobViolations.template()
	for k := range jobValidation.template() {
		all[k] = nil
	}
	ok := make([]bool, len(specs))
	for i, s := range specs {
		file := s.Expr.File
		id := s.ID.S
		where := "rule " + id
		_, fact := all[id]
		_, table := b.c.tables[id]
		_, dup := b.c.rules[id]
		switch {
		case id == "":
			b.ps.add(file, s.Expr.Line, 0, "rule", "a rule needs an id")
		case !isIdent(id):
			b.ps.add(file, s.ID.Line, s.ID.Col, where, "an id must be a name usable in a formula (letters, digits, _)")
		case fact || table || slices.Contains(builtins, id) || slices.Contains(reserved, id):
			b.ps.add(file, s.ID.Line, s.ID.Col, where, "the id %s is taken by a fact, table or built-in", id)
		case dup:
			b.ps.add(file, s.ID.Line, s.ID.Col, where, "a rule with this id is already defined")
		case kindSample[Kind(s.Kind)] == nil:
			b.ps.add(file, s.ID.Line, s.ID.Col, where, "kind must be one of area, money, number, count, flag, text; got %q", s.Kind)
		case s.Label.Fa == "" || s.Label.En == "":
			b.ps.add(file, s.ID.Line, s.ID.Col, where, "label needs fa and en")
		case !s.Expr.set():
			b.ps.add(file, s.ID.Line, s.ID.Col, where, "expr is missing")
		default:
			b.c.addRule(id, Kind(s.Kind), i)
			ok[i] = true
		}
	}
	return ok
}

// order sorts the rules so each comes after the rules it reads, keeping the
// written order otherwise, and refuses cycles.
func (b *jobBuilder) order(specs []ruleSpec, nodes []*ruleNode) []*ruleNode {
	const (
		fresh = iota
		visiting
		done
	)
	state := make([]int, len(nodes))
	var out []*ruleNode
	var stack []int
	var visit func(i int)
	visit = func(i int) {
		switch state[i] {
		case done:
			return
		case visiting:
			at := slices.Index(stack, i)
			names := make([]string, 0, len(stack)-at+1)
			for _, k := range stack[at:] {
				names = append(names, nodes[k].id)
			}
			names = append(names, nodes[i].id)
			s := specs[i]
			b.ps.add(s.Expr.File, s.ID.Line, s.ID.Col, "rule "+nodes[i].id, "rules form a cycle: %s", strings.Join(names, " → "))
			return
		}
		state[i] = visiting
		stack = append(stack, i)
		n := nodes[i]
		for _, c := range []*compiled{n.expr, n.when} {
			if c == nil {
				continue
			}
			for _, d := range c.ruleNames(b.c.rules) {
				if k := b.c.rules[d]; nodes[k] != nil {
					visit(k)
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = done
		out = append(out, n)
	}
	for i, n := range nodes {
		if n != nil {
			visit(i)
		}
	}
	return out
}

// deps returns the evaluation positions of the rules the expressions read.
func (b *jobBuilder) deps(cs ...*compiled) []int {
	var out []int
	for _, c := range cs {
		if c == nil {
			continue
		}
		for _, d := range c.ruleNames(b.c.rules) {
			if p, ok := b.pos[d]; ok && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// part names one expression of a note, check or violation in messages.
func part(what, id, field string) string { return fmt.Sprintf("%s %s (%s)", what, id, field) }

func (b *jobBuilder) notes(specs []noteSpec) {
	for _, s := range specs {
		file := s.When.File
		if s.ID.S == "" || !s.When.set() || s.Text.Fa == "" || s.Text.En == "" {
			b.ps.add(file, s.ID.Line, s.ID.Col, "note "+s.ID.S, "a note needs id, when and text with fa and en")
			continue
		}
		n := &noteNode{id: s.ID.S, text: s.Text, stop: s.Stop}
		n.when = b.c.compile(s.When, KindFlag, part("note", n.id, "when"))
		if n.when == nil {
			continue
		}
		n.deps = b.deps(n.when)
		if n.stop {
			if file != fileEstimate {
				b.ps.add(file, s.ID.Line, s.ID.Col, "note "+n.id, "stop notes belong in %s", fileEstimate)
			}
			if len(n.deps) > 0 {
				b.ps.add(file, s.When.Line, s.When.Col, "note "+n.id, "a stop note is decided before any rule, so it may read facts only, not %s", strings.Join(n.when.ruleNames(b.c.rules), ", "))
			}
			b.j.stops = append(b.j.stops, n)
			continue
		}
		b.j.notes = append(b.j.notes, n)
	}
}

// numeric kinds a check or violation figure may have.
func numericKind(k Kind) bool { return k == KindArea || k == KindNumber || k == KindCount }

func (b *jobBuilder) checks(specs []checkSpec) {
	for _, s := range specs {
		file, id := s.Value.File, s.ID.S
		where := "check " + id
		if s.Kind == "" {
			s.Kind = string(KindNumber)
		}
		switch {
		case id == "" || s.Label.Fa == "" || s.Label.En == "" || !s.Value.set() || !s.Limit.set():
			b.ps.add(file, s.ID.Line, s.ID.Col, where, "a check needs id, label (fa, en), value, op and limit")
			continue
		case !slices.Contains(checkOps, s.Op):
			b.ps.add(file, s.ID.Line, s.ID.Col, where, "op must be one of %s; got %q", strings.Join(checkOps, " "), s.Op)
			continue
		case !numericKind(Kind(s.Kind)):
			b.ps.add(file, s.ID.Line, s.ID.Col, where, "kind must be area, number or count; got %q", s.Kind)
			continue
		}
		n := &checkNode{id: id, label: s.Label, kind: Kind(s.Kind), unit: s.Unit, op: s.Op}
		n.value = b.c.compile(s.Value, n.kind, part("check", id, "value"))
		n.limit = b.c.compile(s.Limit, n.kind, part("check", id, "limit"))
		if s.When.set() {
			n.when = b.c.compile(s.When, KindFlag, part("check", id, "when"))
		}
		if n.value == nil || n.limit == nil || (s.When.set() && n.when == nil) {
			continue
		}
		n.deps = b.deps(n.value, n.limit, n.when)
		b.j.checks = append(b.j.checks, n)
	}
}

func (b *jobBuilder) violations(specs []violationSpec) {
	for _, s := range specs {
		file, id := s.Figure.File, s.ID.S
		where := "violation " + id
		if s.Kind == "" {
			s.Kind = string(KindArea)
		}
		switch {
		case id == "" || s.Label.Fa == "" || s.Label.En == "" || !s.When.set() || !s.Figure.set() || !s.Ruling.set():
			b.ps.add(file, s.ID.Line, s.ID.Col, where, "a violation needs id, label (fa, en), when, figure and ruling")
			continue
		case !numericKind(Kind(s.Kind)):
			b.ps.add(file, s.ID.Line, s.ID.Col, where, "kind must be area, number or count; got %q", s.Kind)
			continue
		}
		n := &violationNode{id: id, label: s.Label, kind: Kind(s.Kind), unit: s.Unit}
		n.when = b.c.compile(s.When, KindFlag, part("violation", id, "when"))
		n.figure = b.c.compile(s.Figure, n.kind, part("violation", id, "figure"))
		n.ruling = b.c.compile(s.Ruling, KindText, part("violation", id, "ruling"))
		if s.Fine.set() {
			n.fine = b.c.compile(s.Fine, KindMoney, part("violation", id, "fine"))
			if n.fine == nil {
				continue
			}
			n.fineDeps = b.deps(n.fine)
		}
		if n.when == nil || n.figure == nil || n.ruling == nil {
			continue
		}
		n.deps = b.deps(n.when, n.figure, n.ruling)
		b.j.violations = append(b.j.violations, n)
	}
}
