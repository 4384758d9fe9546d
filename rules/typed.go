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
//     call of its getter.
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
	types []any // the signatures the checker knows it by
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

// typedCalls is the rewriting described above; it also turns each read of
// a fact (the program reads each once, see factVars) into a call of its
// reader on the evaluator, the program's environment.
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
		if get := getters[t][prop.Value]; get != nil {
			ast.Patch(node, typedCall(get, n.Nature(), n.Node))
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

// getters read the fields of zones and overlays, the list facts every job
// has, by name: the VM gets their items as pointers (facts.go).
var getters = map[reflect.Type]map[string]func(any) any{
	reflect.TypeFor[ZoneShare](): {
		"code":     getter(func(z *ZoneShare) any { return z.Code }),
		"area":     getter(func(z *ZoneShare) any { return z.Area }),
		"fraction": getter(func(z *ZoneShare) any { return z.Fraction }),
	},
	reflect.TypeFor[OverlayFact](): {
		"id":             getter(func(o *OverlayFact) any { return o.ID }),
		"kind":           getter(func(o *OverlayFact) any { return o.Kind }),
		"has_max_height": getter(func(o *OverlayFact) any { return o.HasMaxHeight }),
		"max_height_m":   getter(func(o *OverlayFact) any { return o.MaxHeightM }),
		"has_max_floors": getter(func(o *OverlayFact) any { return o.HasMaxFloors }),
		"max_floors":     getter(func(o *OverlayFact) any { return o.MaxFloors }),
		"no_build":       getter(func(o *OverlayFact) any { return o.NoBuild }),
		"area":           getter(func(o *OverlayFact) any { return o.Area }),
	},
}

// getter reads a field of a *T (or of a T, should one come).
func getter[T any](get func(*T) any) func(any) any {
	return func(v any) any {
		switch x := v.(type) {
		case *T:
			return get(x)
		case T:
			return get(&x)
		}
		panic(fmt.Errorf("cannot read a field of %T", v))
	}
}
