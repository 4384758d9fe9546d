package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/parvaneh/parvaneh/layers"
	"github.com/peterstace/simplefeatures/geom"
)

// wantV1 are the hand-computed measurements of bundleV1's parcels.
var wantV1 = map[string]summary{
	// 20×30; the street covers y < 15: W = 20×15; the overlay (y < 20)
	// overlaps the net parcel in 20×5; the value block counts the whole parcel.
	"A-1": {A: 600, W: 300, Streets: []entry{{"ST-A", 0}}, Zones: []entry{{"R121", 300}},
		Overlays: []entry{{"OV-A", 100}}, Blocks: []entry{{"VB-0", 600}}, Masters: []entry{{"MZ-1", 600}}},
	"A-2": {A: 600, W: 300, Streets: []entry{{"ST-A", 0}}, Zones: []entry{{"R121", 300}},
		Overlays: []entry{{"OV-A", 100}}, Blocks: []entry{{"VB-0", 600}}, Masters: []entry{{"MZ-1", 600}}},
	// 40×20 touching streets along both long edges (W = 0); R111 is the
	// union of x < 15 and 10 < x < 25, so 25×20, not 30×20.
	"B-1": {A: 800, W: 0, Streets: []entry{{"ST-B10", 0}, {"ST-B9", 0}}, Zones: []entry{{"R111", 500}, {"S111", 300}},
		Blocks: []entry{{"VB-1", 800}}, Masters: []entry{{"MZ-1", 800}}},
	// 50×20; G111 is a 0.05×20 sliver (kept here: zoning drops it); ST-C1 is
	// 1.0 m away, ST-C2 1.01 m (absent); OV-C2 only touches (absent).
	"C-1": {A: 1000, W: 0, Streets: []entry{{"ST-C1", 1}}, Zones: []entry{{"G111", 1}, {"R122", 999}},
		Overlays: []entry{{"OV-C1", 200}}, Blocks: []entry{{"VB-2a", 600}, {"VB-2b", 400}},
		Masters: []entry{{"MZ-1", 1000}}},
	// 20×20 touched by a street at one corner point: distance 0.
	"D-1": {A: 400, W: 0, Streets: []entry{{"ST-D", 0}}, Masters: []entry{{"MZ-2", 400}}},
	// two 10×10 squares, each losing 10×2 to the street.
	"E-1": {A: 200, W: 40, Streets: []entry{{"ST-E", 0}}, Zones: []entry{{"R112", 160}},
		Blocks: []entry{{"VB-4", 100}}, Masters: []entry{{"MZ-2", 200}}},
	// 30×30 with a 10×10 hole; OV-F1 fills the hole (absent), OV-F2 takes 5×30.
	"F-1": {A: 800, W: 0, Zones: []entry{{"R131", 800}}, Overlays: []entry{{"OV-F2", 150}},
		Blocks: []entry{{"VB-5", 800}}, Masters: []entry{{"MZ-2", 800}}},
	// wholly in the street: no net parcel, so no zone and no overlay.
	"G-1": {A: 100, W: 100, Streets: []entry{{"ST-G", 0}}, Blocks: []entry{{"VB-6", 100}}, Masters: []entry{{"MZ-2", 100}}},
}

func testMeasure(t *testing.T, s layers.Store, vs imported) {
	ctx := t.Context()
	check := func(what string, version int64, g geom.MultiPolygon, want summary) {
		t.Helper()
		m, err := s.Measure(ctx, version, g)
		if err != nil {
			t.Errorf("%s: Measure: %v", what, err)
			return
		}
		for _, d := range diff(summarize(m), want) {
			t.Errorf("%s: %s", what, d)
		}
	}
	// What a caller does to a result is its own business, from the first
	// measurement on.
	d1, err := s.Parcel(ctx, vs.v1.ID, "D-1")
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Measure(ctx, vs.v1.ID, d1.Geom)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Streets) > 0 && len(m.MasterZones) > 0 {
		m.MasterZones[0].Area, m.Streets[0].Street.ID = -1, "changed"
	}

	for _, id := range []string{"A-1", "A-2", "B-1", "C-1", "D-1", "E-1", "F-1", "G-1"} {
		p, err := s.Parcel(ctx, vs.v1.ID, id)
		if err != nil {
			t.Fatalf("Parcel(%s): %v", id, err)
		}
		// Twice: a store may answer a stored parcel from a memo.
		check(id, vs.v1.ID, p.Geom, wantV1[id])
		check(id+" again", vs.v1.ID, p.Geom, wantV1[id])
	}

	// A geometry that is no stored parcel: drawn as one.
	check("drawn parcel", vs.v1.ID, box(0, 0, 0, 40, 30), summary{A: 1200, W: 600,
		Streets: []entry{{"ST-A", 0}}, Zones: []entry{{"R121", 600}}, Overlays: []entry{{"OV-A", 200}},
		Blocks: []entry{{"VB-0", 1200}}, Masters: []entry{{"MZ-1", 1200}}})

	// The same geometry in each Testabad version measures that version's plan.
	a1 := box(0, 0, 0, 20, 30)
	for _, tc := range []struct {
		v    layers.PlanVersion
		code string
	}{{vs.v1, "R121"}, {vs.v2, "R122"}, {vs.v3, "R131"}} {
		want := wantV1["A-1"]
		want.Zones = []entry{{tc.code, 300}}
		if tc.v.ID != vs.v1.ID {
			want.Overlays = nil
		}
		check(fmt.Sprintf("A-1 in %s", tc.v.Label), tc.v.ID, a1, want)
	}

	if _, err := s.Measure(ctx, vs.unknown, a1); !errors.Is(err, layers.ErrNotFound) {
		t.Errorf("Measure in an unknown version: error %v, want ErrNotFound", err)
	}

}

// testMeasureAttributes checks that a measurement carries each feature's
// attributes (and leaves its geometry out).
func testMeasureAttributes(t *testing.T, s layers.Store, v int64) {
	ctx := t.Context()
	m, err := s.Measure(ctx, v, box(2, 0, 0, 50, 20)) // C-1
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Streets) != 1 || len(m.Overlays) != 1 || len(m.ValueBlocks) != 2 || len(m.MasterZones) != 1 {
		t.Fatalf("Measure(C-1) = %+v; want 1 street, 1 overlay, 2 value blocks, 1 master zone", summarize(m))
	}
	if st := m.Streets[0].Street; st.Width != 10 || st.PlannedWidth != 10 || !st.Geom.IsEmpty() {
		t.Errorf("street = %+v; want widths 10/10 and no geometry", st)
	}
	for range 2 { // the second time after changing the first result
		if o := m.Overlays[0].Overlay; o.Kind != "historic" || o.MaxHeight == nil || *o.MaxHeight != 10.5 ||
			o.MaxFloors != nil || o.NoBuild || o.Name != "Old bazaar" || o.NameFa != "بازار قدیم" || !o.Geom.IsEmpty() {
			t.Errorf("overlay = %+v (max height %v); attributes lost", o, deref(o.MaxHeight))
		}
		*m.Overlays[0].Overlay.MaxHeight = 99
		if m, err = s.Measure(ctx, v, box(2, 0, 0, 50, 20)); err != nil || len(m.Overlays) != 1 {
			t.Fatalf("Measure(C-1) again: %d overlays, %v", len(m.Overlays), err)
		}
	}
	if b := m.ValueBlocks[1].Block; b.P != 950_000 || b.TxResidential != 7_500_000 || b.TxCommercial != 12_500_000 || !b.Geom.IsEmpty() {
		t.Errorf("value block = %+v; attributes lost", b)
	}
	if z := m.MasterZones[0].Zone; z.LandUse != "residential" || z.DensityBand != "medium" || z.Name != "North" || !z.Geom.IsEmpty() {
		t.Errorf("master zone = %+v; attributes lost", z)
	}

	m, err = s.Measure(ctx, v, box(0, 0, 0, 20, 30))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Streets) != 1 || len(m.Overlays) != 1 {
		t.Fatalf("Measure(A-1) = %+v; want 1 street, 1 overlay", summarize(m))
	}
	if st := m.Streets[0].Street; st.Name != "Azadi" || st.NameFa != "آزادی" || st.PlannedWidth != 25 {
		t.Errorf("street = %+v; attributes lost", st)
	}
	if o := m.Overlays[0].Overlay; o.MaxFloors == nil || *o.MaxFloors != 4 || o.MaxHeight != nil {
		t.Errorf("overlay = %+v; attributes lost", o)
	}
	m, err = s.Measure(ctx, v, box(5, 25, 25, 30, 30)) // a corner of F-1, in OV-F2
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Overlays) != 1 || m.Overlays[0].Overlay.Kind != "fault" || m.Overlays[0].Overlay.NoBuild {
		t.Errorf("overlays = %+v; want OV-F2, fault, building allowed", m.Overlays)
	}
	m, err = s.Measure(ctx, v, box(5, 10, 10, 20, 20)) // the hole of F-1
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Overlays) != 1 || !m.Overlays[0].Overlay.NoBuild {
		t.Errorf("overlays = %+v; want OV-F1, no building", m.Overlays)
	}
}

// testMeasureConcurrently measures every parcel from several goroutines at
// once (run with -race) and expects the hand-computed answers.
func testMeasureConcurrently(t *testing.T, s layers.Store, v int64) {
	ctx := t.Context()
	parcels, err := s.ParcelsIn(ctx, v, envOf(0, -1000, -1000, 8000, 1000), 100)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for range 8 {
		wg.Go(func() {
			for _, p := range parcels {
				m, err := s.Measure(ctx, v, p.Geom)
				if err != nil {
					errs <- fmt.Sprintf("%s: %v", p.ID, err)
					return
				}
				if d := diff(summarize(m), wantV1[p.ID]); len(d) > 0 {
					errs <- fmt.Sprintf("%s: %v", p.ID, d)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
