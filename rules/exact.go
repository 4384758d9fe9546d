package rules

import (
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
)

// Exact arithmetic for money, and the rule book's rounding (§0).
//
// A money rule's arithmetic is rewritten at compile time (see moneyPatcher)
// into calls that work on decimal: an exact rational. A float operand enters
// as the shortest decimal that reads back as the same float (0.1 is 1/10,
// not 0.1000000000000000055…), so a formula like A × P × 0.10 is computed
// as the decimals a person would write. The line is then rounded half up to
// whole Rial.

// decimal is an exact rational. Its one pointer field keeps it pointer-shaped,
// so storing it in an interface does not allocate.
type decimal struct{ r *big.Rat }

// String shows the exact value, for error messages and explanations.
func (d decimal) String() string { return d.r.RatString() }

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// ratFromFloat returns the shortest decimal that reads back as x, exactly.
func ratFromFloat(x float64) (*big.Rat, error) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil, fmt.Errorf("money needs a finite number, got %v", x)
	}
	// Fast path: the first k for which x·10^k is an integer that divides back
	// to x gives the shortest decimal with k places (areas have two).
	for k, p := range pow10 {
		y := x * p
		if y == math.Trunc(y) && math.Abs(y) < 1<<53 && y/p == x {
			return new(big.Rat).SetFrac64(int64(y), int64(pow10[k])), nil
		}
	}
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(x, 'g', -1, 64))
	if !ok {
		return nil, fmt.Errorf("cannot read %v as a decimal", x)
	}
	return r, nil
}

// toRat converts a number of any type a money expression can produce.
func toRat(v any) (*big.Rat, error) {
	switch n := v.(type) {
	case decimal:
		return n.r, nil
	case int:
		return new(big.Rat).SetInt64(int64(n)), nil
	case int64:
		return new(big.Rat).SetInt64(n), nil
	case int32:
		return new(big.Rat).SetInt64(int64(n)), nil
	case float64:
		return ratFromFloat(n)
	case float32:
		return ratFromFloat(float64(n))
	case nil:
		return nil, fmt.Errorf("money needs a number, got nothing")
	}
	return nil, fmt.Errorf("money needs a number, got %T", v)
}

// decOp applies one exact arithmetic operator.
func decOp(op string, a, b any) (decimal, error) {
	x, err := toRat(a)
	if err != nil {
		return decimal{}, err
	}
	y, err := toRat(b)
	if err != nil {
		return decimal{}, err
	}
	z := new(big.Rat)
	switch op {
	case "+":
		z.Add(x, y)
	case "-":
		z.Sub(x, y)
	case "*":
		z.Mul(x, y)
	case "/":
		if y.Sign() == 0 {
			return decimal{}, fmt.Errorf("division by zero")
		}
		z.Quo(x, y)
	default:
		return decimal{}, fmt.Errorf("operator %s has no exact form", op)
	}
	return decimal{z}, nil
}

// decCmp compares two numbers exactly.
func decCmp(a, b any) (int, error) {
	x, err := toRat(a)
	if err != nil {
		return 0, err
	}
	y, err := toRat(b)
	if err != nil {
		return 0, err
	}
	return x.Cmp(y), nil
}

var ratHalf = big.NewRat(1, 2)

// roundRial rounds a money value half up (toward +∞) to whole Rial.
func roundRial(v any) (int64, error) {
	switch n := v.(type) {
	case int:
		return int64(n), nil
	case int64:
		return n, nil
	}
	r, err := toRat(v)
	if err != nil {
		return 0, err
	}
	if r.IsInt() {
		if !r.Num().IsInt64() {
			return 0, fmt.Errorf("amount %s Rial does not fit in int64", r.RatString())
		}
		return r.Num().Int64(), nil
	}
	// floor(r + ½): Int.Div is Euclidean division, which floors for a
	// positive divisor (big.Rat keeps the denominator positive).
	s := new(big.Rat).Add(r, ratHalf)
	q := new(big.Int).Div(s.Num(), s.Denom())
	if !q.IsInt64() {
		return 0, fmt.Errorf("amount %s Rial does not fit in int64", r.RatString())
	}
	return q.Int64(), nil
}

// roundArea rounds an area half up (toward +∞) to 0.01 m². Binary floats
// cannot hold most decimals, so a value that should be exactly x.xx5 may
// arrive as x.xx4999999999; when the value is that close to a half cent, it
// is decided on its decimal form at 12 significant digits, which absorbs the
// noise of a few float operations on areas up to 10⁷ m².
func roundArea(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	y := x * 100
	if fr := y - math.Floor(y); math.Abs(fr-0.5) > 1e-6 {
		return math.Floor(y+0.5) / 100
	}
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(x, 'e', 11, 64))
	if !ok {
		return math.Floor(y+0.5) / 100
	}
	r.Mul(r, big.NewRat(100, 1)).Add(r, ratHalf)
	q := new(big.Int).Div(r.Num(), r.Denom())
	f, _ := new(big.Rat).SetFrac(q, big.NewInt(100)).Float64()
	return f
}

// formatRial writes an amount with thousands separators, for messages.
func formatRial(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// decFold sums its arguments exactly (better == nil), or picks the one for
// which better(cmp(candidate, current)) holds. Lists are flattened, as expr's
// own sum, min and max do.
func decFold(args []any, better func(int) bool) (decimal, error) {
	var acc *big.Rat
	var walk func(v any) error
	walk = func(v any) error {
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice {
			for i := 0; i < rv.Len(); i++ {
				if err := walk(rv.Index(i).Interface()); err != nil {
					return err
				}
			}
			return nil
		}
		x, err := toRat(v)
		switch {
		case err != nil:
			return err
		case acc == nil:
			acc = new(big.Rat).Set(x)
		case better == nil:
			acc.Add(acc, x)
		case better(x.Cmp(acc)):
			acc.Set(x)
		}
		return nil
	}
	for _, a := range args {
		if err := walk(a); err != nil {
			return decimal{}, err
		}
	}
	if acc == nil {
		if better != nil {
			return decimal{}, fmt.Errorf("min or max of nothing")
		}
		acc = new(big.Rat)
	}
	return decimal{acc}, nil
}
