package rules

import (
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
)

// TestGetters checks that every field a formula can read of a zone or an
// overlay has a getter, and that it reads what expr reads.
func TestGetters(t *testing.T) {
	for _, v := range []any{
		ZoneShare{Code: "R121", Area: 300.5, Fraction: 0.6},
		OverlayFact{ID: "OV", Kind: "airport", HasMaxHeight: true, MaxHeightM: 21, HasMaxFloors: true, MaxFloors: 3, NoBuild: true, Area: 12.5},
	} {
		rv := reflect.ValueOf(v)
		ptr := reflect.New(rv.Type())
		ptr.Elem().Set(rv)
		for i := range rv.NumField() {
			name := rv.Type().Field(i).Tag.Get("expr")
			f, ok := fields[rv.Type()][name]
			if !ok {
				t.Errorf("%s.%s has no getter", rv.Type().Name(), name)
				continue
			}
			want := rv.Field(i).Interface()
			if got := f.get(ptr.Interface()); got != want {
				t.Errorf("%s.%s of a pointer = %v, want %v", rv.Type().Name(), name, got, want)
			}
			if got := f.get(v); got != want {
				t.Errorf("%s.%s of a value = %v, want %v", rv.Type().Name(), name, got, want)
			}
			if (f.key != nil) != (rv.Field(i).Kind() == reflect.String) || f.key != nil && f.key(v) != want {
				t.Errorf("%s.%s: wrong key", rv.Type().Name(), name)
			}
		}
		if n := len(fields[rv.Type()]); n != rv.NumField() {
			t.Errorf("%s: %d getters for %d fields", rv.Type().Name(), n, rv.NumField())
		}
	}
}

// TestPicks checks the two-argument min and max against expr's own.
func TestPicks(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	for _, args := range [][2]any{
		{1, 2}, {2, 1}, {2.5, 2}, {2, 2.5}, {int64(7), 3.0}, {3.0, 3},
		{inf, 4.0}, {4.0, inf}, {nan, 1.0}, {1.0, nan},
		{inf, []any{}}, {inf, []any{3.0, 2, 5.5}}, {[]any{1, 2}, 0.5}, {[]any{}, []any{}},
		{inf, []any{[]any{1.0}, 2.0}}, {[]float64{1, 2}, 3}, {nil, 1}, {1, "a"}, {[]any{"a"}, 1},
	} {
		for _, name := range []string{"min", "max"} {
			want, wantErr := builtin.Builtins[builtin.Index[name]].Func(args[0], args[1])
			got, gotErr := func() (v any, err error) {
				defer func() {
					if r := recover(); r != nil {
						err = fmt.Errorf("%v", r)
					}
				}()
				return picks[name](args[0], args[1]), nil
			}()
			if (gotErr != nil) != (wantErr != nil) || fmt.Sprintf("%T %v", got, got) != fmt.Sprintf("%T %v", want, want) {
				t.Errorf("%s(%v, %v) = %T %v, %v; expr gives %T %v, %v", name, args[0], args[1], got, got, gotErr, want, want, wantErr)
			}
		}
	}
}

// TestMoneyLine checks a fused money line against the same formula run by
// expr with its exact operations, then rounded.
func TestMoneyLine(t *testing.T) {
	c := newCompiler(jobEstimate, &tableSet{used: map[string]bool{}, broken: map[string]bool{}}, &problems{})
	e := &evaluator{vm: newVM(), env: jobEstimate.template()}
	for _, tc := range []struct {
		src string
		env map[string]any
	}{
		{"A * P * 0.10", map[string]any{"A": 256.03, "P": int64(1_200_500)}},
		{"A * 5 * P * 0.35", map[string]any{"A": 18.0, "P": int64(1_000_001)}},
		{"-(A * 0.35) + 100", map[string]any{"A": 90.0}},
		{"A / 3 * 3", map[string]any{"A": 10.0}},
		{"(A - W) * 0.5", map[string]any{"A": 0.03, "W": 0.02}},
		{"A * P", map[string]any{"A": 1e300, "P": int64(math.MaxInt64)}},
		{"A / W", map[string]any{"A": 1.0, "W": 0.0}},
		{"A * P * 1.5", map[string]any{"A": math.NaN(), "P": int64(3)}},
	} {
		for k, v := range tc.env {
			e.env[k] = v
		}
		cp, perr := c.compileExpr(source{Text: tc.src}, KindMoney)
		if perr != nil {
			t.Fatalf("%s: %s", tc.src, perr.msg)
		}
		want, wantErr := e.value(cp)
		fn, args := moneyLine(cp.prog.Node())
		if fn == nil {
			t.Errorf("%s: not fused", tc.src)
			continue
		}
		vals := make([]any, len(args))
		for i, a := range args {
			vals[i] = tc.env[a.(*ast.IdentifierNode).Value]
		}
		got, gotErr := func() (v any, err error) {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("%v", r)
				}
			}()
			if len(vals) == 1 {
				return fn.(func(any) any)(vals[0]), nil
			}
			return fn.(func(any, any) any)(vals[0], vals[1]), nil
		}()
		if (gotErr != nil) != (wantErr != nil) || wantErr == nil && got != want {
			t.Errorf("%s: fused gives %v, %v; expr gives %v, %v", tc.src, got, gotErr, want, wantErr)
		}
	}
}
