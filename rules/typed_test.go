package rules

import (
	"fmt"
	"math"
	"reflect"
	"testing"

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
			get := getters[rv.Type()][name]
			if get == nil {
				t.Errorf("%s.%s has no getter", rv.Type().Name(), name)
				continue
			}
			want := rv.Field(i).Interface()
			if got := get(ptr.Interface()); got != want {
				t.Errorf("%s.%s of a pointer = %v, want %v", rv.Type().Name(), name, got, want)
			}
			if got := get(v); got != want {
				t.Errorf("%s.%s of a value = %v, want %v", rv.Type().Name(), name, got, want)
			}
		}
		if n := len(getters[rv.Type()]); n != rv.NumField() {
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
