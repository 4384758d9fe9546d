package zoning

import (
	"testing"

	"github.com/parvaneh/parvaneh/layers"
)

func street(id string, planned, dist float64) layers.StreetNear {
	return layers.StreetNear{Street: layers.Street{ID: id, Width: planned, PlannedWidth: planned}, Distance: dist}
}

func TestFromMeasurement(t *testing.T) {
	ptr := func(v float64) *float64 { return &v }
	tests := []struct {
		name  string
		m     layers.Measurement
		check func(t *testing.T, f Facts)
	}{
		{
			name: "widening rounds A and W before N",
			m:    layers.Measurement{Area: 200.004, Widening: 10.005, Zones: []layers.CodeOverlap{{Code: "R121", Area: 189.999}}},
			check: func(t *testing.T, f Facts) {
				eq(t, "A", f.A, 200.00)
				eq(t, "W", f.W, 10.01)
				eq(t, "N", f.N, 189.99)
				eq(t, "f", f.Zones[0].Fraction, 1)
			},
		},
		{
			name: "front street: widest planned, tie to the smaller id in byte order",
			m: layers.Measurement{Area: 100, Streets: []layers.StreetNear{
				street("ST-99", 12, 0), street("ST-100", 12, 0.5), street("ST-7", 8, 0),
			}},
			check: func(t *testing.T, f Facts) {
				if f.Front == nil || f.Front.ID != "ST-100" {
					t.Fatalf("front = %+v, want ST-100", f.Front)
				}
				eq(t, "S", f.S, 12)
			},
		},
		{
			name: "a street exactly 1.0 m away fronts; one farther does not",
			m:    layers.Measurement{Area: 100, Streets: []layers.StreetNear{street("A", 6, 1.0000000001), street("B", 20, 1.01)}},
			check: func(t *testing.T, f Facts) {
				if f.Front == nil || f.Front.ID != "A" || len(f.Streets) != 1 {
					t.Fatalf("front = %+v streets %v, want A alone", f.Front, f.Streets)
				}
			},
		},
		{
			name: "landlocked",
			m:    layers.Measurement{Area: 100},
			check: func(t *testing.T, f Facts) {
				if !f.Landlocked() || f.S != 0 {
					t.Fatalf("want landlocked with S=0, got %+v", f)
				}
			},
		},
		{
			name: "sliver under 1% of N dropped, fractions over kept, governing tie to smaller code",
			m: layers.Measurement{Area: 1000, Zones: []layers.CodeOverlap{
				{Code: "S111", Area: 495.5}, {Code: "R121", Area: 495.5}, {Code: "G111", Area: 9.99},
			}},
			check: func(t *testing.T, f Facts) {
				if len(f.Zones) != 2 || len(f.Slivers) != 1 || f.Slivers[0].Code != "G111" {
					t.Fatalf("zones %v slivers %v", f.Zones, f.Slivers)
				}
				eq(t, "f R121", f.Zones[0].Fraction, 0.5)
				if f.Governing != "R121" {
					t.Fatalf("governing = %q, want R121", f.Governing)
				}
			},
		},
		{
			name: "overlap of exactly 1% is kept",
			m: layers.Measurement{Area: 1000, Zones: []layers.CodeOverlap{{Code: "R111", Area: 990}, {Code: "R112", Area: 10}},
				Overlays: []layers.OverlayOverlap{{Overlay: layers.Overlay{ID: "O1", Kind: "historic", MaxHeight: ptr(10.5)}, Area: 10}, {Overlay: layers.Overlay{ID: "O2", Kind: "fault", NoBuild: true}, Area: 9.99}}},
			check: func(t *testing.T, f Facts) {
				if len(f.Zones) != 2 || len(f.Overlays) != 1 || f.Overlays[0].ID != "O1" || len(f.IgnoredOverlays) != 1 {
					t.Fatalf("zones %v overlays %v ignored %v", f.Zones, f.Overlays, f.IgnoredOverlays)
				}
			},
		},
		{
			// 0.01 × 113 is 1.1300000000000001 in floating point.
			name: "exactly 1% of an N where float arithmetic errs is kept",
			m: layers.Measurement{Area: 113, Zones: []layers.CodeOverlap{{Code: "R111", Area: 111.87}, {Code: "R112", Area: 1.13}},
				Overlays: []layers.OverlayOverlap{{Overlay: layers.Overlay{ID: "O1", Kind: "river_buffer", NoBuild: true}, Area: 1.13}}},
			check: func(t *testing.T, f Facts) {
				if len(f.Zones) != 2 || len(f.Slivers) != 0 || len(f.Overlays) != 1 {
					t.Fatalf("zones %v slivers %v overlays %v: want both zones and the overlay kept", f.Zones, f.Slivers, f.Overlays)
				}
			},
		},
		{
			name: "wholly in the street",
			m:    layers.Measurement{Area: 80, Widening: 80, Zones: nil},
			check: func(t *testing.T, f Facts) {
				if !f.InStreet() || !f.OutsidePlan() {
					t.Fatalf("want in street and no zones: %+v", f)
				}
			},
		},
		{
			name: "value block: largest overlap, tie to the smaller id; none gives nil",
			m: layers.Measurement{Area: 100, ValueBlocks: []layers.ValueBlockOverlap{
				{Block: layers.ValueBlock{ID: "VB-9", P: 1}, Area: 50}, {Block: layers.ValueBlock{ID: "VB-10", P: 2}, Area: 50},
			}},
			check: func(t *testing.T, f Facts) {
				if f.ValueBlock == nil || f.ValueBlock.ID != "VB-10" {
					t.Fatalf("block = %+v, want VB-10", f.ValueBlock)
				}
				if g := FromMeasurement(layers.Measurement{Area: 1}); g.ValueBlock != nil {
					t.Fatalf("want no block, got %+v", g.ValueBlock)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, FromMeasurement(tt.m)) })
	}
}

func TestRound2(t *testing.T) {
	for _, tt := range []struct{ in, want float64 }{
		{0.125, 0.13}, {0.124999, 0.12}, {200.005, 200.01}, {99.994, 99.99}, {0, 0},
	} {
		if got := Round2(tt.in); got != tt.want {
			t.Errorf("Round2(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func eq(t *testing.T, what string, got, want float64) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}
