package layers

import (
	"testing"
	"time"
)

func TestInForce(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// Seq ascending, as the stores list them; 3 re-imports 1's date.
	vs := []PlanVersion{
		{Seq: 1, EffectiveFrom: day("2024-03-20")},
		{Seq: 2, EffectiveFrom: day("2025-03-21")},
		{Seq: 3, EffectiveFrom: day("2024-03-20")},
	}
	for _, tc := range []struct {
		asOf string
		want int // Seq; 0 none
	}{
		{"2024-03-19", 0},
		{"2024-03-20", 3},
		{"2025-03-20", 3},
		{"2025-03-21", 2},
		{"2030-01-01", 2},
	} {
		v, ok := InForce(vs, day(tc.asOf))
		if got := map[bool]int{true: v.Seq}[ok]; got != tc.want {
			t.Errorf("as of %s: seq %d (ok %v), want %d", tc.asOf, v.Seq, ok, tc.want)
		}
	}
	if _, ok := InForce(nil, day("2025-01-01")); ok {
		t.Error("a version in force among none")
	}
}
