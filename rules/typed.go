package rules

import (
	"fmt"
	"reflect"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/checker/nature"
	"github.com/expr-lang/expr/vm/runtime"
)

// Typed calls in the combined program (combine.go). expr calls a function
// registered with expr.Function, or its own min and max, through an
// argument buffer that every run allocates after scanning the whole program
// to size it, and it reads a struct field by reflection. A Go function of a
// signature expr knows (func(any) any, func(any, any) any) it calls directly
// instead, taking the arguments off its stack. So, once the combined program
// is type-checked and optimized, typedCalls rewrites
//
//   - each call of a pack function of one or two arguments (a table, a
//     column, ·area, ·money, an exact money operation) into a call of the
//     same function in that form;
//   - min and max into a chain of two-argument calls;
//   - a field of a zone or an overlay (.fraction, .max_height_m) into a
//     call of its getter;
//   - the read of a fact (one per fact, see factVars) into a call of its
//     reader on the evaluator, which is the program's environment.
//
// Before that, fuse joins two patterns into one call each: a table lookup
// by a text field of an item (zone(.code).density), which then takes the
// field without boxing it, and a money line (·money(allowed_area × P ×
// 0.10)), computed on decimal values, its constants converted once, so that
// no intermediate decimal is allocated.
//
// Each rewritten node keeps the nature the checker gave the original, so the
// program around it compiles as it did. A typed function cannot return an
// error: it panics with it, which the VM recovers into the run's error, and a
// failed combined run sends the job rule by rule, whose programs (which keep
// expr's own calls) report the error as they always did.

// function is a function a formula can call besides expr's built-ins: a
// table, a table's column, rounding, an exact money operation. one or two
// is set for a function of that many arguments, many for a variadic one.
type function struct {
	name  string
	one   func(any) (any, error)
	two   func(any, any) (any, error)
	many  func(...any) (any, error)
	key   func(string) (any, error) // a column's lookup by its key, for fuse
	types []any                     // the signatures the checker knows it by
}

// option registers the function with expr.
func (f function) option() expr.Option {
	call := f.many
	switch {
	case f.one != nil:
		one := f.one
		call = func(p ...any) (any, error) { return one(p[0]) }
	case f.two != nil:
		two := f.two
		call = func(p ...any) (any, error) { return two(p[0], p[1]) }
	}
	return expr.Function(f.name, call, f.types...)
}

// typed returns the function as a typed Go function of n arguments, or nil.
func (f function) typed(n int) any {
	switch {
	case n == 1 && f.one != nil:
		return typed1(f.one)
	case n == 2 && f.two != nil:
		return typed2(f.two)
	}
	return nil
}

func typed1(f func(any) (any, error)) func(any) any {
	return func(a any) any {
		v, err := f(a)
		if err != nil {
			panic(err)
		}
		return v
	}
}

func typed2(f func(any, any) (any, error)) func(any, any) any {
	return func(a, b any) any {
		v, err := f(a, b)
		if err != nil {
			panic(err)
		}
		return v
	}
}

// typedCalls is the rewriting described above.
type typedCalls struct {
	fns   map[string]function
	facts map[string]func(any) any
}

func (t typedCalls) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if read := t.facts[n.Value]; read != nil {
			env := &ast.IdentifierNode{Value: "$env"}
			env.SetType(anyType)
			ast.Patch(node, typedCall(read, n.Nature(), env))
		}
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			return
		}
		if fn := t.fns[id.Value].typed(len(n.Arguments)); fn != nil {
			n.Callee = constant(fn)
		}
	case *ast.BuiltinNode:
		pick := picks[n.Name]
		if pick == nil || len(n.Arguments) < 2 {
			return // min(list) is left to expr
		}
		// min(a, b, c) is min(min(a, b), c): expr's min folds its
		// arguments left to right the same way.
		acc := n.Arguments[0]
		for _, arg := range n.Arguments[1:] {
			acc = typedCall(pick, n.Nature(), acc, arg)
		}
		ast.Patch(node, acc)
	case *ast.MemberNode:
		prop, ok := n.Property.(*ast.StringNode)
		if !ok || n.Optional || n.Node.Type() == nil {
			return
		}
		t := n.Node.Type()
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if f, ok := fields[t][prop.Value]; ok {
			ast.Patch(node, typedCall(f.get, n.Nature(), n.Node))
		}
	}
}

// typedCall calls the typed function fn; the call has the given nature.
func typedCall(fn any, nt *nature.Nature, args ...ast.Node) *ast.CallNode {
	call := &ast.CallNode{Callee: constant(fn), Arguments: args}
	call.SetNature(*nt)
	return call
}

func constant(v any) *ast.ConstantNode {
	c := &ast.ConstantNode{Value: v}
	c.SetType(reflect.TypeOf(v))
	return c
}

// picks are expr's min and max of two values. Of numbers, and lists of
// numbers (min(inf, map(overlays, …))), they pick as expr does, left to
// right, the first value unless runtime.More (min) or runtime.Less (max)
// says the next, without boxing any again; anything else (a nested list, a
// value of the wrong type) goes to expr's own min or max, on the values
// dereferenced as expr hands them to a built-in.
var picks = map[string]func(any, any) any{
	"min": pick("min", runtime.More),
	"max": pick("max", runtime.Less),
}

func pick(name string, replace func(a, b any) bool) func(any, any) any {
	f := builtin.Builtins[builtin.Index[name]].Func
	return func(a, b any) any {
		if isNumber(a) && isNumber(b) { // the usual case, first
			if replace(a, b) {
				return b
			}
			return a
		}
		if v, ok := pickIn(nil, a, replace); ok {
			if v, ok = pickIn(v, b, replace); ok && v != nil {
				return v
			}
		}
		v, err := f(deref(a), deref(b))
		if err != nil {
			panic(err)
		}
		return v
	}
}

// pickIn picks from v and arg, a number or a list of numbers; ok is false
// for any other arg.
func pickIn(v, arg any, replace func(a, b any) bool) (any, bool) {
	list, isList := arg.([]any)
	if !isList {
		list = []any{arg}
	}
	for _, x := range list {
		if !isNumber(x) {
			return nil, false
		}
		if v == nil || replace(v, x) {
			v = x
		}
	}
	return v, true
}

// isNumber reports whether v is a number expr's min and max compare.
func isNumber(v any) bool {
	switch v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return true
	}
	return false
}

// deref is expr's OpDeref: the value a pointer points to.
func deref(v any) any {
	if v == nil {
		return nil
	}
	r := reflect.ValueOf(v)
	for r.Kind() == reflect.Pointer || r.Kind() == reflect.Interface {
		if r.IsNil() {
			return nil
		}
		r = r.Elem()
	}
	return r.Interface()
}

// fields are the fields of zones and overlays, the list facts every job
// has, by name: the VM gets their items as pointers (facts.go). get reads a
// field as expr does; key, for a text field, reads it unboxed.
var fields = map[reflect.Type]map[string]field{
	reflect.TypeFor[ZoneShare](): {
		"code":     text(func(z *ZoneShare) string { return z.Code }),
		"area":     value(func(z *ZoneShare) any { return z.Area }),
		"fraction": value(func(z *ZoneShare) any { return z.Fraction }),
	},
	reflect.TypeFor[OverlayFact](): {
		"id":             text(func(o *OverlayFact) string { return o.ID }),
		"kind":           text(func(o *OverlayFact) string { return o.Kind }),
		"has_max_height": value(func(o *OverlayFact) any { return o.HasMaxHeight }),
		"max_height_m":   value(func(o *OverlayFact) any { return o.MaxHeightM }),
		"has_max_floors": value(func(o *OverlayFact) any { return o.HasMaxFloors }),
		"max_floors":     value(func(o *OverlayFact) any { return o.MaxFloors }),
		"no_build":       value(func(o *OverlayFact) any { return o.NoBuild }),
		"area":           value(func(o *OverlayFact) any { return o.Area }),
	},
}

type field struct {
	get func(any) any
	key func(any) string // nil but for text
}

func value[T any](get func(*T) any) field {
	return field{get: func(v any) any { return get(item[T](v)) }}
}

func text[T any](get func(*T) string) field {
	key := func(v any) string { return get(item[T](v)) }
	return field{get: func(v any) any { return key(v) }, key: key}
}

// item is the item v (a *T, or a T should one come).
func item[T any](v any) *T {
	switch x := v.(type) {
	case *T:
		return x
	case T:
		return &x
	}
	panic(fmt.Errorf("cannot read a field of %T", v))
}

// fuse is the joining of patterns described above.
type fuse struct{ fns map[string]function }

func (f fuse) Visit(node *ast.Node) {
	call, ok := (*node).(*ast.CallNode)
	if !ok || len(call.Arguments) != 1 {
		return
	}
	id, ok := call.Callee.(*ast.IdentifierNode)
	if !ok {
		return
	}
	if id.Value == "·"+string(KindMoney) {
		if fn, args := moneyLine(call.Arguments[0]); fn != nil {
			ast.Patch(node, typedCall(fn, call.Nature(), args...))
		}
		return
	}
	lookup := f.fns[id.Value].key
	m, ok := call.Arguments[0].(*ast.MemberNode)
	if lookup == nil || !ok || m.Optional {
		return
	}
	prop, ok := m.Property.(*ast.StringNode)
	t := m.Node.Type()
	if !ok || t == nil {
		return
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if key := fields[t][prop.Value].key; key != nil {
		ast.Patch(node, typedCall(func(v any) any {
			r, err := lookup(key(v))
			if err != nil {
				panic(err)
			}
			return r
		}, call.Nature(), m.Node))
	}
}

// exactArith are the exact operations of a money line, by function name.
var exactArith = map[string]string{exactOps["+"]: "+", exactOps["-"]: "-", exactOps["*"]: "*", exactOps["/"]: "/"}

// term computes one node of a money line from the line's one or two
// operands, a and b.
type term func(a, b any) (decimal, error)

// moneyLine returns the line n (exact operations on numbers) rounded to
// Rial as one typed function of its operands, and those operands; nil when n
// is no such line, or has more than two operands that are not constants.
func moneyLine(n ast.Node) (any, []ast.Node) {
	var args []ast.Node
	var build func(n ast.Node) term
	build = func(n ast.Node) term {
		if call, ok := n.(*ast.CallNode); ok && len(call.Arguments) == 2 {
			if id, ok := call.Callee.(*ast.IdentifierNode); ok && exactArith[id.Value] != "" {
				op, l, r := exactArith[id.Value], build(call.Arguments[0]), build(call.Arguments[1])
				if l == nil || r == nil {
					return nil
				}
				return func(a, b any) (decimal, error) {
					x, err := l(a, b)
					if err != nil {
						return x, err
					}
					y, err := r(a, b)
					if err != nil {
						return y, err
					}
					return decArith(op, x, y)
				}
			}
		}
		if c, ok := constantDec(n); ok {
			return func(any, any) (decimal, error) { return c, nil }
		}
		args = append(args, n)
		switch len(args) {
		case 1:
			return func(a, _ any) (decimal, error) { return toDec(a) }
		case 2:
			return func(_, b any) (decimal, error) { return toDec(b) }
		}
		return nil
	}
	call, ok := n.(*ast.CallNode)
	if !ok || len(call.Arguments) != 2 {
		return nil, nil // a single number is rounded as it is
	}
	line := build(n)
	if line == nil || len(args) == 0 {
		return nil, nil
	}
	rial := func(a, b any) any {
		d, err := line(a, b)
		if err == nil {
			var r int64
			if r, err = roundDec(d); err == nil {
				return r
			}
		}
		panic(err)
	}
	if len(args) == 1 {
		return func(a any) any { return rial(a, nil) }, args
	}
	return rial, args
}

// constantDec is the decimal a number written in a formula enters a money
// operation as: what toDec gives for the value the compiler pushes.
func constantDec(n ast.Node) (decimal, bool) {
	var v any
	switch c := n.(type) {
	case *ast.IntegerNode:
		switch n.Type() {
		case intType:
			v = c.Value
		case floatType:
			v = float64(c.Value)
		}
	case *ast.FloatNode:
		if n.Type() == floatType {
			v = c.Value
		}
	}
	if v == nil {
		return decimal{}, false
	}
	d, err := toDec(v)
	return d, err == nil
}
