package rules

import (
	"math"
	"math/big"
	"testing"
)

func TestRatFromFloat(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		want string
	}{
		{0.1, "1/10"},
		{0.35, "7/20"},
		{256.03, "25603/100"},
		{1200500, "1200500"},
		{-2.5, "-5/2"},
		{1e-20, "1/100000000000000000000"},
		{123456789.123, "123456789123/1000"},
		{math.Nextafter(0.3, 1), "7500000000000001/25000000000000000"}, // 0.30000000000000004, as written
	} {
		r, err := ratFromFloat(tc.x)
		if err != nil {
			t.Fatalf("%v: %v", tc.x, err)
		}
		if r.RatString() != tc.want {
			t.Errorf("ratFromFloat(%v) = %s, want %s", tc.x, r.RatString(), tc.want)
		}
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := ratFromFloat(bad); err == nil {
			t.Errorf("ratFromFloat(%v) did not fail", bad)
		}
	}
}

func TestRoundRial(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want int64
	}{
		{&decimal{r: big.NewRat(61473203, 2)}, 30736602}, // 30,736,601.5 → up
		{&decimal{r: big.NewRat(-5, 2)}, -2},             // half up is toward +∞
		{&decimal{r: big.NewRat(7, 3)}, 2},
		{&decimal{r: big.NewRat(8, 3)}, 3},
		{&decimal{n: 25, s: 1}, 3},
		{&decimal{n: 24, s: 1}, 2},
		{&decimal{n: -25, s: 1}, -2},
		{&decimal{n: -26, s: 1}, -3},
		{&decimal{n: 307364015, s: 1}, 30736402},
		{int64(5), 5},
		{12, 12},
		{2.5, 3},
	} {
		got, err := roundRial(tc.v)
		if err != nil || got != tc.want {
			t.Errorf("roundRial(%v) = %d, %v; want %d", tc.v, got, err, tc.want)
		}
	}
	if _, err := roundRial(&decimal{r: new(big.Rat).SetFrac(new(big.Int).Lsh(big.NewInt(1), 70), big.NewInt(1))}); err == nil {
		t.Error("an amount beyond int64 did not fail")
	}
}

// TestMoneyIsExact compiles money formulas and checks them against exact
// arithmetic; where float64 arithmetic would round an exact half Rial the
// wrong way, the same formula run as plain floats shows it.
func TestMoneyIsExact(t *testing.T) {
	c := newCompiler(jobEstimate, &tableSet{used: map[string]bool{}, broken: map[string]bool{}}, &problems{})
	e := &evaluator{vm: newVM(), env: jobEstimate.template()}
	for _, tc := range []struct {
		src        string
		env        map[string]any
		want       int64
		floatWrong bool // float64 gives want − 1
	}{
		{"A * P * 0.10", map[string]any{"A": 256.03, "P": int64(1_200_500)}, 30_736_402, true},
		{"A * 5 * P * 0.35", map[string]any{"A": 18.0, "P": int64(1_000_001)}, 31_500_032, true},
		{"sum(zones, .area * 5 * P * 0.35)", map[string]any{"zones": []ZoneShare{{Area: 18}, {Area: 34}}, "P": int64(1_000_001)}, 91_000_091, false},
		{"max(A, W) * P * 0.35 - 0.5", map[string]any{"A": 18.0, "W": 2.0, "P": int64(1_000_001)}, 6_300_006, false},
		{"A > W ? A * 0.35 : -W", map[string]any{"A": 90.0, "W": 1.0}, 32, true},
		{"-(A * 0.35) + 100", map[string]any{"A": 90.0}, 69, false},
		{"A / 3 * 3", map[string]any{"A": 10.0}, 10, false},
	} {
		for k, v := range tc.env {
			e.env[k] = v
		}
		cp, perr := c.compileExpr(source{Text: tc.src}, KindMoney)
		if perr != nil {
			t.Fatalf("%s: %s", tc.src, perr.msg)
		}
		got, err := e.value(cp)
		if err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		if got != tc.want {
			t.Errorf("%s = %v, want %d", tc.src, got, tc.want)
		}
		fp, perr := c.compileExpr(source{Text: tc.src}, KindNumber)
		if perr != nil {
			t.Fatalf("%s as a number: %s", tc.src, perr.msg)
		}
		// The program's own float, before a number's noise is taken off.
		f, err := e.vm.Run(fp.prog, e.env)
		if err != nil {
			t.Fatal(err)
		}
		if naive := int64(math.Floor(f.(float64) + 0.5)); (naive != tc.want) != tc.floatWrong {
			t.Errorf("%s: float64 gives %v → %d; the case says floatWrong=%v", tc.src, f, naive, tc.floatWrong)
		}
	}
}

func TestRoundArea(t *testing.T) {
	for _, tc := range []struct{ x, want float64 }{
		{256.032, 256.03},
		{54.9945, 54.99},
		{800.02 / 4, 200.01}, // 200.005, stored as 200.00499999999999
		{1.005, 1.01},        // stored as 1.00499999999999989
		{2.675, 2.68},
		{-0.005, 0},
		{1079.9999999999998, 1080},
		{0, 0},
		{1e7 + 0.125, 1e7 + 0.13},
		// Truly below the half cent by 3.3e-9 m² (a sum of zone shares),
		// not float noise: rounded down.
		{9152.484999996704, 9152.48},
	} {
		if got := roundArea(tc.x); got != tc.want {
			t.Errorf("roundArea(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
	if !math.IsInf(roundArea(math.Inf(1)), 1) {
		t.Error("roundArea(+Inf) is not +Inf")
	}
}

// TestSnapNumber: a ratio that is a short decimal but arrives with float
// noise reads as that decimal; any other number is left as it is.
func TestSnapNumber(t *testing.T) {
	for _, tc := range []struct{ x, want float64 }{
		{300.24 / 1000.80, 0.3}, // 0.30000000000000004
		{51.38 / 1027.60, 0.05}, // 0.05000000000000001
		{102.51 / 1025.10, 0.1},
		{0.1 + 0.2, 0.3},
		{2.0 / 3, 2.0 / 3},
		{0.30001, 0.30001},
		{0.3000000000001, 0.3000000000001}, // 13 digits: a value, not noise
		{1e-20, 1e-20},
		{-1.0 / 3, -1.0 / 3},
		{123456789.00000001, 123456789},
		{1e15 + 0.5, 1e15 + 0.5}, // beyond 10¹²: kept
		{0, 0},
	} {
		if got := snapNumber(tc.x); got != tc.want {
			t.Errorf("snapNumber(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
	for _, x := range []float64{math.Inf(1), math.Inf(-1)} {
		if snapNumber(x) != x {
			t.Errorf("snapNumber(%v) changed it", x)
		}
	}
}

func TestDecOp(t *testing.T) {
	for _, tc := range []struct {
		op   string
		a, b any
		want string
	}{
		{"*", 256.03, int64(1_200_500), "307364015"},
		{"*", 2560.3, 0.1, "25603/100"},
		{"*", 0.1, 0.1, "1/100"},
		{"+", 0.1, 0.2, "3/10"},
		{"-", 0.1, 0.3, "-1/5"},
		{"/", 1, 3, "1/3"},
		{"*", int64(1) << 62, 4, "18446744073709551616"}, // past int64: exact all the same
		{"+", int64(math.MaxInt64), 1, "9223372036854775808"},
		{"-", int64(math.MinInt64), 1, "-9223372036854775809"},
		{"-", 1, int64(math.MinInt64), "9223372036854775809"},
		{"*", 1e-15, 1e-15, "1/1000000000000000000000000000000"}, // scale past 18
		{"+", &decimal{r: big.NewRat(1, 3)}, 0.5, "5/6"},
	} {
		d, err := decOp(tc.op, tc.a, tc.b)
		if err != nil || d.String() != tc.want {
			t.Errorf("%v %s %v = %v, %v; want %s", tc.a, tc.op, tc.b, d, err, tc.want)
		}
	}
	if _, err := decOp("/", 1, 0.0); err == nil {
		t.Error("division by zero did not fail")
	}
	for _, tc := range []struct {
		a, b any
		want int
	}{
		{0.1, &decimal{n: 1, s: 1}, 0},
		{int64(math.MaxInt64), 1e30, -1},
		{&decimal{r: big.NewRat(1, 3)}, 0.333, 1},
	} {
		if c, err := decCmp(tc.a, tc.b); err != nil || c != tc.want {
			t.Errorf("cmp(%v, %v) = %d, %v; want %d", tc.a, tc.b, c, err, tc.want)
		}
	}
}

func TestDecFold(t *testing.T) {
	d, err := decFold([]any{[]any{0.1, 0.2}, []float64{0.3}, int64(1)}, nil)
	if err != nil || d.String() != "8/5" {
		t.Errorf("sum = %v, %v; want 8/5", d, err)
	}
	d, err = decFold([]any{3, []any{0.5, 7.25}}, func(c int) bool { return c < 0 })
	if err != nil || d.String() != "1/2" {
		t.Errorf("min = %v, %v; want 1/2", d, err)
	}
	if _, err := decFold(nil, func(c int) bool { return c > 0 }); err == nil {
		t.Error("max of nothing did not fail")
	}
	if _, err := decFold([]any{"x"}, nil); err == nil {
		t.Error("sum of text did not fail")
	}
}
