package storetest

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/parvaneh/parvaneh/layers"
	"github.com/peterstace/simplefeatures/geom"
)

// testMeasureFootprint measures building footprints drawn on bundleV1's
// parcels, every area worked out by hand from the rectangles.
func testMeasureFootprint(t *testing.T, s layers.Store, vs imported) {
	ctx := t.Context()
	parcel := func(id string) geom.MultiPolygon {
		p, err := s.Parcel(ctx, vs.v1.ID, id)
		if err != nil {
			t.Fatalf("Parcel(%s): %v", id, err)
		}
		return p.Geom
	}
	a1, b1, e1, f1, g1 := parcel("A-1"), parcel("B-1"), parcel("E-1"), parcel("F-1"), parcel("G-1")
	tests := []struct {
		name       string
		parcel, fp geom.MultiPolygon
		want       layers.FootprintMeasurement
	}{
		// A-1 is 20×30 with ST-A over y < 15: its net parcel is y ≥ 15.
		{"inside the net parcel", a1, box(0, 2, 16, 18, 28), layers.FootprintMeasurement{Area: 192}},
		// 16×18; y 10…15 (16×5) lies on ST-A, inside the parcel.
		{"across the widening line", a1, box(0, 2, 10, 18, 28), layers.FootprintMeasurement{Area: 288,
			OutsideNet: 80, OnStreets: 80, Streets: []layers.StreetOverlap{on("ST-A", 80)}}},
		// 20×10 over: the half on A-2 (10×10) is beyond the parcel.
		{"over the neighbour", a1, box(0, 10, 20, 30, 30), layers.FootprintMeasurement{Area: 200,
			OutsideNet: 100, OutsideParcel: 100}},
		// 15×20 from x −5: beyond the parcel x < 0 (5×20 = 100); on ST-A
		// y < 15 (15×10 = 150, 50 of it beyond the parcel); in the net
		// parcel 10×10.
		{"beyond the parcel and on the street", a1, box(0, -5, 5, 10, 25), layers.FootprintMeasurement{Area: 300,
			OutsideNet: 200, OutsideParcel: 100, OnStreets: 150, Streets: []layers.StreetOverlap{on("ST-A", 150)}}},
		// 10×30 across B-1 (y 0…20) onto both its streets, 10×5 on each.
		{"onto two streets", b1, box(1, 5, -5, 15, 25), layers.FootprintMeasurement{Area: 300,
			OutsideNet: 100, OutsideParcel: 100, OnStreets: 100,
			Streets: []layers.StreetOverlap{on("ST-B10", 50), on("ST-B9", 50)}}},
		// E-1's own two squares: each loses 10×2 to ST-E.
		{"a MultiPolygon footprint", e1, e1, layers.FootprintMeasurement{Area: 200,
			OutsideNet: 40, OnStreets: 40, Streets: []layers.StreetOverlap{on("ST-E", 40)}}},
		// 20×20 over F-1's 10×10 hole: the hole is not the parcel.
		{"over a hole", f1, box(5, 5, 5, 25, 25), layers.FootprintMeasurement{Area: 400,
			OutsideNet: 100, OutsideParcel: 100}},
		// G-1 lies wholly in ST-G.
		{"wholly in the street", g1, g1, layers.FootprintMeasurement{Area: 100,
			OutsideNet: 100, OnStreets: 100, Streets: []layers.StreetOverlap{on("ST-G", 100)}}},
	}
	for _, tc := range tests {
		for _, round := range []string{"", " again"} {
			got, err := s.MeasureFootprint(ctx, vs.v1.ID, tc.parcel, tc.fp)
			if err != nil {
				t.Errorf("%s%s: MeasureFootprint: %v", tc.name, round, err)
				continue
			}
			for _, d := range DiffFootprint(got, tc.want) {
				t.Errorf("%s%s: %s", tc.name, round, d)
			}
		}
	}
	if _, err := s.MeasureFootprint(ctx, vs.unknown, a1, a1); !errors.Is(err, layers.ErrNotFound) {
		t.Errorf("MeasureFootprint in an unknown version: error %v, want ErrNotFound", err)
	}
}

// DiffFootprint lists how footprint measurement got differs from want
// (areas beyond AreaTolerance, street ids and order); empty when they agree.
func DiffFootprint(got, want layers.FootprintMeasurement) []string {
	var out []string
	for _, a := range []struct {
		what      string
		got, want float64
	}{
		{"area", got.Area, want.Area},
		{"outside the net parcel", got.OutsideNet, want.OutsideNet},
		{"outside the parcel", got.OutsideParcel, want.OutsideParcel},
		{"on the streets", got.OnStreets, want.OnStreets},
	} {
		if math.Abs(a.got-a.want) > AreaTolerance {
			out = append(out, fmt.Sprintf("%s %.4f, want %.4f", a.what, a.got, a.want))
		}
	}
	var g, w []entry
	for _, x := range got.Streets {
		g = append(g, entry{x.StreetID, x.Area})
	}
	for _, x := range want.Streets {
		w = append(w, entry{x.StreetID, x.Area})
	}
	return append(out, diffEntries("streets", g, w, AreaTolerance, noiseArea)...)
}

func on(street string, area float64) layers.StreetOverlap {
	return layers.StreetOverlap{StreetID: street, Area: area}
}
