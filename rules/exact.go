package rules

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
)

// Exact arithmetic for money, and the rule book's rounding (§0).
//
// A money rule's arithmetic is rewritten at compile time (see moneyPatcher)
// into calls that work on decimal: an exact rational. A float operand enters
// as the shortest decimal that reads back as the same float (0.1 is 1/10,
// not 0.1000000000000000055…), so a formula like A × P × 0.10 is computed
// as the decimals a person would write. The line is then rounded half up to
// whole Rial.

// decimal is an exact number: n / 10^s while that fits in int64 (money
// formulas multiply areas with two decimals by whole prices and factors with
// two, so it nearly always does), else the exact rational r. Formulas handle
// *decimal: a pointer, which an interface holds without allocating.
type decimal struct {
	n int64
	s int32    // 0 … maxScale
	r *big.Rat // when set, the value; n and s are unused
}

const maxScale = 18

var pow10i = func() (p [maxScale + 1]int64) {
	p[0] = 1
	for i := 1; i <= maxScale; i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

var pow10f = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// String shows the exact value, for error messages.
func (d *decimal) String() string { return d.rat().RatString() }

func (d *decimal) rat() *big.Rat {
	if d.r != nil {
		return d.r
	}
	return new(big.Rat).SetFrac64(d.n, pow10i[d.s])
}

// ratFromFloat returns the shortest decimal that reads back as x, exactly.
func ratFromFloat(x float64) (*big.Rat, error) {
	d, err := decFromFloat(x)
	if err != nil {
		return nil, err
	}
	return d.rat(), nil
}

// decFromFloat returns the shortest decimal that reads back as x.
func decFromFloat(x float64) (decimal, error) {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return decimal{}, fmt.Errorf("money needs a finite number, got %v", x)
	}
	// The first k for which x·10^k is an integer that divides back to x
	// gives the shortest decimal with k places.
	for k, p := range pow10f {
		y := x * p
		if y == math.Trunc(y) && math.Abs(y) < 1<<53 && y/p == x {
			return decimal{n: int64(y), s: int32(k)}, nil
		}
	}
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(x, 'g', -1, 64))
	if !ok {
		return decimal{}, fmt.Errorf("cannot read %v as a decimal", x)
	}
	return decimal{r: r}, nil
}

// toDec converts a number of any type a money formula can produce.
func toDec(v any) (decimal, error) {
	switch n := v.(type) {
	case *decimal:
		return *n, nil
	case int:
		return decimal{n: int64(n)}, nil
	case int64:
		return decimal{n: n}, nil
	case int32:
		return decimal{n: int64(n)}, nil
	case float64:
		return decFromFloat(n)
	case float32:
		return decFromFloat(float64(n))
	case nil:
		return decimal{}, fmt.Errorf("money needs a number, got nothing")
	}
	return decimal{}, fmt.Errorf("money needs a number, got %T", v)
}

// toRat converts a number a money formula can produce to a big.Rat.
func toRat(v any) (*big.Rat, error) {
	d, err := toDec(v)
	if err != nil {
		return nil, err
	}
	return d.rat(), nil
}

// align brings two small decimals to one scale; ok is false on overflow.
func align(a, b decimal) (x, y int64, s int32, ok bool) {
	x, y, s = a.n, b.n, a.s
	switch {
	case a.s < b.s:
		x, ok = mul64(a.n, pow10i[b.s-a.s])
		s = b.s
	case a.s > b.s:
		y, ok = mul64(b.n, pow10i[a.s-b.s])
	default:
		ok = true
	}
	return x, y, s, ok
}

// mul64 multiplies, reporting false on overflow.
func mul64(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	c := a * b
	if c/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, false
	}
	return c, true
}

// trim drops trailing zeros, keeping scales (and so products) small.
func trim(d decimal) decimal {
	for d.s > 0 && d.n%10 == 0 {
		d.n /= 10
		d.s--
	}
	return d
}

// decOp applies one exact arithmetic operator.
func decOp(op string, a, b any) (*decimal, error) {
	x, err := toDec(a)
	if err != nil {
		return nil, err
	}
	y, err := toDec(b)
	if err != nil {
		return nil, err
	}
	z, err := decArith(op, x, y)
	if err != nil {
		return nil, err
	}
	return &z, nil
}

// decArith applies one exact arithmetic operator to two decimals.
func decArith(op string, x, y decimal) (decimal, error) {
	if op == "/" {
		if y.r == nil && y.n == 0 || y.r != nil && y.r.Sign() == 0 {
			return decimal{}, fmt.Errorf("division by zero")
		}
		return decimal{r: new(big.Rat).Quo(x.rat(), y.rat())}, nil
	}
	if x.r == nil && y.r == nil {
		switch op {
		case "+", "-":
			if p, q, s, ok := align(x, y); ok && q != math.MinInt64 {
				if op == "-" {
					q = -q
				}
				if z := p + q; (z > p) == (q > 0) || q == 0 {
					return decimal{n: z, s: s}, nil
				}
			}
		case "*":
			if z, ok := mul64(x.n, y.n); ok && x.s+y.s <= maxScale {
				return trim(decimal{n: z, s: x.s + y.s}), nil
			}
		}
	}
	z := new(big.Rat)
	switch op {
	case "+":
		z.Add(x.rat(), y.rat())
	case "-":
		z.Sub(x.rat(), y.rat())
	case "*":
		z.Mul(x.rat(), y.rat())
	default:
		return decimal{}, fmt.Errorf("operator %s has no exact form", op)
	}
	return decimal{r: z}, nil
}

// decCmp compares two numbers exactly.
func decCmp(a, b any) (int, error) {
	x, err := toDec(a)
	if err != nil {
		return 0, err
	}
	y, err := toDec(b)
	if err != nil {
		return 0, err
	}
	if x.r == nil && y.r == nil {
		if p, q, _, ok := align(x, y); ok {
			return cmp.Compare(p, q), nil
		}
	}
	return x.rat().Cmp(y.rat()), nil
}

var ratHalf = big.NewRat(1, 2)

// roundRial rounds a money value half up (toward +∞) to whole Rial.
func roundRial(v any) (int64, error) {
	d, err := toDec(v)
	if err != nil {
		return 0, err
	}
	return roundDec(d)
}

// roundDec rounds a decimal half up (toward +∞) to whole Rial.
func roundDec(d decimal) (int64, error) {
	if d.r == nil {
		p := pow10i[d.s]
		q, r := d.n/p, d.n%p
		if r < 0 { // floor division
			q, r = q-1, r+p
		}
		if 2*r >= p {
			q++
		}
		return q, nil
	}
	// floor(r + ½): Int.Div is Euclidean division, which floors for a
	// positive divisor (big.Rat keeps the denominator positive).
	s := new(big.Rat).Add(d.r, ratHalf)
	q := new(big.Int).Div(s.Num(), s.Denom())
	if !q.IsInt64() {
		return 0, fmt.Errorf("amount %s Rial does not fit in int64", d.r.RatString())
	}
	return q.Int64(), nil
}

// roundArea rounds an area half up (toward +∞) to 0.01 m². Binary floats
// cannot hold most decimals, so a value that should be exactly x.xx5 may
// arrive as x.xx4999999999; when the value lies within float noise of a half
// cent (1e-13 of its size, some hundreds of ulps: more than a few float
// operations on areas make, less than two distinct sums of areas given to
// 0.01 can differ by), it is decided on its decimal form at 12 significant
// digits. A value farther off, however close, is rounded as it is.
func roundArea(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	y := x * 100
	if fr := y - math.Floor(y); math.Abs(fr-0.5) > max(math.Abs(y)*1e-13, 1e-12) {
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

// snapNumber takes the float noise off a number (a ratio, a density) that a
// person would write as a short decimal: 300.24 / 1000.80 is 0.3, but
// arrives as 0.30000000000000004, which a rule comparing it with 30% would
// take for more. A value whose 14 significant digits end in two zeros is
// that shorter decimal (0.30000000000000 is 0.3): float64 holds 15 to 17,
// so only the noise of some tens of float operations is taken off. Any other
// value is kept (2/3, or 0.3000000000001, a value and not noise), and so is
// any from 10¹² up, where 14 digits would no longer hold two decimals.
// Cancellation is not noise it can see: 5000.3 − 5000 is 0.3000000000001819,
// so a pack divides areas (rounded to 0.01 as rules of their own), not raw
// differences, as the sample city's r = excess_residential / permitted does.
func snapNumber(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) >= 1e12 {
		return x
	}
	// Most numbers are short decimals as they stand (1.2, 0.6): a product
	// tells so without printing them.
	if y := x * 1e6; y == math.Trunc(y) && math.Abs(y) < 1<<53 && y/1e6 == x {
		return x
	}
	var buf [32]byte
	if s := strconv.AppendFloat(buf[:0], x, 'g', -1, 64); sigDigits(s) <= 12 {
		return x // already the shortest decimal it reads as
	}
	s := strconv.AppendFloat(buf[:0], x, 'e', 13, 64) // d.ddddddddddddde±XX
	if i := bytes.IndexByte(s, 'e'); i < 2 || s[i-1] != '0' || s[i-2] != '0' {
		return x
	}
	y, err := strconv.ParseFloat(string(s), 64)
	if err != nil {
		return x
	}
	return y
}

// sigDigits counts the significant digits of a float written by strconv.
func sigDigits(s []byte) int {
	n, leading := 0, true
	for _, c := range s {
		switch {
		case c == 'e' || c == 'E':
			return n
		case c >= '1' && c <= '9', c == '0' && !leading:
			leading = false
			n++
		}
	}
	return n
}

// decFold sums its arguments exactly (better == nil), or picks the one for
// which better(cmp(candidate, current)) holds. Lists are flattened, as expr's
// own sum, min and max do.
func decFold(args []any, better func(int) bool) (*decimal, error) {
	var acc *decimal
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
		if acc == nil {
			x, err := toDec(v)
			acc = &x
			return err
		}
		if better == nil {
			sum, err := decOp("+", acc, v)
			acc = sum
			return err
		}
		c, err := decCmp(v, acc)
		if err == nil && better(c) {
			x, _ := toDec(v)
			acc = &x
		}
		return err
	}
	for _, a := range args {
		if err := walk(a); err != nil {
			return nil, err
		}
	}
	if acc == nil {
		if better != nil {
			return nil, fmt.Errorf("min or max of nothing")
		}
		acc = &decimal{}
	}
	return acc, nil
}
