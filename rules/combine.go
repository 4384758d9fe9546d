package rules

import (
	"fmt"
	"maps"
	"reflect"
	"slices"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	exprcompiler "github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// The fast path. Each rule is compiled on its own at load, for its errors,
// its types and its explanation; that is also how a job can run, one VM run
// per rule. A job's stop notes, rules and notes are in addition stitched into
// one program, which runs them all in a single VM run:
//
//	let ·N = N; let ·governing = governing; …     // each fact read, once
//	·in_street ? 0 : ·outside_plan ? 1 :          // a stop note's position
//	let governing_zone = ·governing;
//	let allowed_area = ·area(·N * D / 100);
//	let dues = ·has_value_block ? ·money(allowed_area * ·P * 0.10) : nil;
//	…
//	let ·note0 = !zone(·governing).buildable;
//	…
//	nil
//
// Rules read earlier rules, and facts, as variables: a variable is a slice
// index, where a map entry is a hashed lookup. Each fact is read once, from
// the evaluator, the program's environment (see typed.go), so the
// evaluation writes no map. The values of the rules and notes are read after
// the run from the VM's variables (vm.VM.Variables, numbered in the order
// they are declared), not from a result array, which would be the run's
// largest allocation. Areas are rounded and money made exact in the program,
// before the rules that read them; the other kinds are checked after the
// run. A rule whose when is false — or that reads such a rule — is nil.
// Should the combined run fail, the job runs again rule by rule, which names
// the failing rule precisely (and gives each rule its own memory budget).

// combined is a job's stitched program.
type combined struct {
	prog *vm.Program
	// first is the variable of the first rule: the facts' come before.
	first int
	// convert marks the rules whose value still needs its kind's type after
	// the run (number, count, flag, text: what reads them works on any
	// number or value; areas and money are converted in the program, where
	// the rules reading them see the rounded value).
	convert []bool
}

// conversions are the ·area and ·money functions: a rule's result rounded
// in the program, before the rules that read it.
func conversions() []function {
	var fns []function
	for _, k := range []Kind{KindArea, KindNumber, KindMoney} {
		fns = append(fns, function{name: "·" + string(k), one: func(v any) (any, error) {
			return convert(k, v)
		}, types: []any{funcOf([]reflect.Type{anyType}, reflect.TypeOf(kindSample[k]))}})
	}
	return fns
}

var anyType = reflect.TypeOf((*any)(nil)).Elem()

// combine stitches the job's rules and notes into one program. It returns
// nil when they cannot be combined; the job then runs rule by rule.
func (b *jobBuilder) combine() (*combined, error) {
	j := b.j
	maybeNil := make([]bool, len(j.rules)) // the rule may be skipped
	convert := make([]bool, len(j.rules))
	values := make([]ast.Node, len(j.rules))
	var money []*ast.Node // the value nodes of money rules, to patch once typed
	for i, r := range j.rules {
		if r.expr == nil {
			return nil, fmt.Errorf("rule %s did not compile", r.id)
		}
		v, err := b.parse(r.expr)
		if err != nil {
			return nil, err
		}
		node := v
		switch {
		case r.kind == KindArea || r.kind == KindNumber || r.kind == KindMoney:
			call := &ast.CallNode{Callee: &ast.IdentifierNode{Value: "·" + string(r.kind)}, Arguments: []ast.Node{v}}
			if r.kind == KindMoney {
				money = append(money, &call.Arguments[0])
			}
			node = call
		case r.expr.prog.Node().Type() != reflect.TypeOf(kindSample[r.kind]):
			convert[i] = true
		}
		if r.when != nil {
			w, err := b.parse(r.when)
			if err != nil {
				return nil, err
			}
			node = &ast.ConditionalNode{Cond: w, Exp1: node, Exp2: &ast.NilNode{}}
			maybeNil[i] = true
		}
		node, maybeNil[i] = b.guard(node, r.deps, maybeNil, maybeNil[i])
		values[i] = node
	}
	names := make([]string, len(j.rules), len(j.rules)+len(j.notes))
	for i, r := range j.rules {
		names[i] = r.id
	}
	for k, n := range j.notes {
		w, err := b.parse(n.when)
		if err != nil {
			return nil, err
		}
		cond, _ := b.guard(w, n.deps, maybeNil, false)
		names = append(names, fmt.Sprintf("·note%d", k)) // no rule id has a ·
		values = append(values, cond)
	}
	var body ast.Node = &ast.NilNode{}
	for i := len(values) - 1; i >= 0; i-- {
		body = &ast.VariableDeclaratorNode{Name: names[i], Value: values[i], Expr: body}
	}
	// A stop note that holds gives its position instead of nil.
	for k := len(j.stops) - 1; k >= 0; k-- {
		w, err := b.parse(j.stops[k].when)
		if err != nil {
			return nil, err
		}
		body = &ast.ConditionalNode{Cond: w, Exp1: &ast.IntegerNode{Value: k}, Exp2: body}
	}
	facts := j.kind.template()
	body, first := factVars(body, facts)
	readers := map[string]func(any) any{}
	for _, i := range j.reads {
		readers[j.kind.facts[i].name] = factReader(j.kind, i)
	}
	cfg := conf.CreateNew()
	fns := maps.Clone(b.c.functions)
	opts := append([]expr.Option{expr.Env(facts)}, b.c.funcs...)
	for _, f := range conversions() {
		fns[f.name] = f
		opts = append(opts, f.option())
	}
	for _, op := range opts {
		op(cfg)
	}
	for name := range cfg.Disabled {
		delete(cfg.Builtins, name)
	}
	tree := &parser.Tree{Node: body, Source: file.NewSource("")}
	if _, err := checker.Check(tree, cfg); err != nil {
		return nil, err
	}
	for _, m := range money {
		ex := &exactPatcher{}
		ast.Walk(m, ex)
		if ex.err != nil {
			return nil, fmt.Errorf("%s", ex.err.msg)
		}
	}
	if _, err := checker.Check(tree, cfg); err != nil {
		return nil, err
	}
	if err := optimizer.Optimize(&tree.Node, cfg); err != nil {
		return nil, err
	}
	ast.Walk(&tree.Node, fuse{fns})
	ast.Walk(&tree.Node, typedCalls{fns: fns, facts: readers})
	prog, err := exprcompiler.Compile(tree, cfg)
	if err != nil {
		return nil, err
	}
	if !storesInOrder(prog, first+len(values)) {
		return nil, fmt.Errorf("expr did not number the rules' variables in order")
	}
	return &combined{prog: prog, first: first, convert: convert}, nil
}

// factVars gives each fact body reads a variable ·name, read once, before
// body: it returns the new body and the number of variables.
func factVars(body ast.Node, facts map[string]any) (ast.Node, int) {
	reads := map[string]int{}
	ast.Walk(&body, identifiers(func(n *ast.IdentifierNode) {
		if _, ok := facts[n.Value]; ok {
			reads[n.Value]++
		}
	}))
	var names []string
	for name := range reads {
		names = append(names, name)
	}
	slices.Sort(names)
	ast.Walk(&body, identifiers(func(n *ast.IdentifierNode) {
		if reads[n.Value] > 0 {
			n.Value = "·" + n.Value // no fact has a ·
		}
	}))
	for i := len(names) - 1; i >= 0; i-- {
		body = &ast.VariableDeclaratorNode{Name: "·" + names[i], Value: &ast.IdentifierNode{Value: names[i]}, Expr: body}
	}
	return body, len(names)
}

// identifiers visits each identifier of a tree (a pack formula has no let,
// so each names a fact, a rule or a function).
type identifiers func(*ast.IdentifierNode)

func (f identifiers) Visit(node *ast.Node) {
	if n, ok := (*node).(*ast.IdentifierNode); ok {
		f(n)
	}
}

// storesInOrder reports whether the program stores n variables, the k-th
// store writing variable k: what runFast assumes when it reads variable i
// as the i-th rule or note (should a later expr number them otherwise, the
// job runs rule by rule, and TestFastPathAgrees fails).
func storesInOrder(prog *vm.Program, n int) bool {
	k := 0
	for i, op := range prog.Bytecode {
		if op != vm.OpStore {
			continue
		}
		if prog.Arguments[i] != k {
			return false
		}
		k++
	}
	return k == n
}

// parse reads a compiled formula again, for the combined program, with
// table columns read the fast way.
func (b *jobBuilder) parse(c *compiled) (ast.Node, error) {
	t, err := parser.Parse(c.src.Text)
	if err != nil {
		return nil, err
	}
	ast.Walk(&t.Node, columnPatcher{b.c.tables})
	return t.Node, nil
}

// guard makes node nil (or false, for a note) when a rule it reads may have
// been skipped and was.
func (b *jobBuilder) guard(node ast.Node, deps []int, maybeNil []bool, already bool) (ast.Node, bool) {
	var cond ast.Node
	for _, d := range deps {
		if !maybeNil[d] {
			continue
		}
		isNil := &ast.BinaryNode{Operator: "==", Left: &ast.IdentifierNode{Value: b.j.rules[d].id}, Right: &ast.NilNode{}}
		if cond == nil {
			cond = isNil
		} else {
			cond = &ast.BinaryNode{Operator: "||", Left: cond, Right: isNil}
		}
	}
	if cond == nil {
		return node, already
	}
	return &ast.ConditionalNode{Cond: cond, Exp1: &ast.NilNode{}, Exp2: node}, true
}
