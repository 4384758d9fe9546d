// Package storetest is the contract suite of layers.Store: the one set of
// tests both the PostGIS store and the embedded store pass, so that they give
// the same answers (same ids, areas within 0.01 m²). Its bundles are built
// here in Go, metric rectangles whose areas are worked out by hand.
//
// Use it from a store's tests:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) layers.Store { return memstore.New() })
//	}
package storetest

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/parvaneh/parvaneh/layers"
	"github.com/peterstace/simplefeatures/geom"
)

// Run runs the contract suite. open must return a new, empty store; Run
// closes it when done.
func Run(t *testing.T, open func(t *testing.T) layers.Store) {
	t.Run("RefusedImportLeavesNothing", func(t *testing.T) { testRefusedImport(t, open(t)) })

	s := open(t)
	t.Cleanup(s.Close)
	vs := importAll(t, s)
	t.Run("Ping", func(t *testing.T) {
		if err := s.Ping(t.Context()); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})
	t.Run("Versions", func(t *testing.T) { testVersions(t, s, vs) })
	t.Run("VersionAsOf", func(t *testing.T) { testVersionAsOf(t, s, vs) })
	t.Run("Parcel", func(t *testing.T) { testParcel(t, s, vs) })
	t.Run("ParcelsAt", func(t *testing.T) { testParcelsAt(t, s, vs.v1.ID) })
	t.Run("ParcelsIn", func(t *testing.T) { testParcelsIn(t, s, vs.v1.ID) })
	t.Run("Features", func(t *testing.T) { testFeatures(t, s, vs.v1.ID) })
	t.Run("Measure", func(t *testing.T) { testMeasure(t, s, vs) })
	t.Run("MeasureAttributes", func(t *testing.T) { testMeasureAttributes(t, s, vs.v1.ID) })
	t.Run("MeasureConcurrently", func(t *testing.T) { testMeasureConcurrently(t, s, vs.v1.ID) })
	t.Run("MeasureFootprint", func(t *testing.T) { testMeasureFootprint(t, s, vs) })
}

// imported are the versions importAll made.
type imported struct {
	v1, v2, v3, dovom layers.PlanVersion
	unknown           int64 // an id no version has
}

func importAll(t *testing.T, s layers.Store) imported {
	t.Helper()
	var vs imported
	for _, step := range []struct {
		into *layers.PlanVersion
		b    *layers.Bundle
	}{
		{&vs.v1, bundleV1()},
		{&vs.dovom, bundleDovom()},
		{nil, bundleDuplicateBlock()}, // refused: Testabad stays at Seq 1
		{&vs.v2, bundleV2("1405-01", "R122")},
		// A correction with the same effective date: it wins by Seq.
		{&vs.v3, bundleV2("1405-01b", "R131")},
	} {
		pv, err := s.Import(t.Context(), step.b)
		if step.into == nil {
			if err == nil {
				t.Fatalf("Import of %s with a duplicate value block id succeeded as %+v", step.b.Manifest.PlanVersion, pv)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Import %s %s: %v", step.b.Manifest.Municipality, step.b.Manifest.PlanVersion, err)
		}
		*step.into = pv
	}
	vs.unknown = max(vs.v1.ID, vs.v2.ID, vs.v3.ID, vs.dovom.ID) + 1000
	return vs
}

func testRefusedImport(t *testing.T, s layers.Store) {
	defer s.Close()
	ctx := t.Context()
	if pv, err := s.Import(ctx, bundleDuplicateParcel()); err == nil {
		t.Fatalf("Import with a duplicate parcel id succeeded as %+v", pv)
	}
	if ms, err := s.Municipalities(ctx); err != nil || len(ms) != 0 {
		t.Errorf("Municipalities after a refused import = %q, %v; want none", ms, err)
	}
	if vs, err := s.Versions(ctx, testabad); !errors.Is(err, layers.ErrNotFound) {
		t.Errorf("Versions after a refused import = %+v, %v; want ErrNotFound", vs, err)
	}
	pv, err := s.Import(ctx, bundleV1())
	if err != nil {
		t.Fatalf("Import after a refused one: %v", err)
	}
	if pv.Seq != 1 {
		t.Errorf("first good import has Seq %d, want 1", pv.Seq)
	}
	if _, err := s.Parcel(ctx, pv.ID, "A-1"); err != nil {
		t.Errorf("Parcel A-1 of the good import: %v", err)
	}
}

func testVersions(t *testing.T, s layers.Store, vs imported) {
	ctx := t.Context()
	got, err := s.Versions(ctx, testabad)
	if err != nil {
		t.Fatalf("Versions: %v", err)
	}
	want := []struct {
		seq       int
		label     string
		effective string
	}{{1, "1404-01", "2025-03-21"}, {2, "1405-01", "2026-03-21"}, {3, "1405-01b", "2026-03-21"}}
	if len(got) != len(want) {
		t.Fatalf("Versions = %+v, want %d versions", got, len(want))
	}
	ids := map[int64]bool{vs.dovom.ID: true}
	for i, w := range want {
		g := got[i]
		if g.Seq != w.seq || g.Label != w.label || !g.EffectiveFrom.Equal(date(w.effective)) {
			t.Errorf("version %d = seq %d %q from %s; want seq %d %q from %s", i, g.Seq, g.Label,
				g.EffectiveFrom.Format(time.DateOnly), w.seq, w.label, w.effective)
		}
		if g.Municipality != testabad || g.MunicipalityFa != "تست‌آباد" || g.MeasureSRID != SRID ||
			g.RulePack != "nemuneh" || g.ImportedAt.IsZero() {
			t.Errorf("version %d = %+v; manifest fields or import time lost", i, g)
		}
		if ids[g.ID] {
			t.Errorf("version id %d used twice", g.ID)
		}
		ids[g.ID] = true
	}
	if got[0].ID != vs.v1.ID || got[2].ID != vs.v3.ID {
		t.Errorf("Versions ids %d..%d, Import returned %d..%d", got[0].ID, got[2].ID, vs.v1.ID, vs.v3.ID)
	}
	// The extent spans every layer: here the master plan reaches furthest.
	for _, tc := range []struct {
		what string
		pv   layers.PlanVersion
		want geom.Envelope
	}{
		{"Import v1", vs.v1, envOf(0, -100, -100, 6100, 100)},
		{"Versions v1", got[0], envOf(0, -100, -100, 6100, 100)},
		{"Versions v2", got[1], cellEnv(0)},
		{"Import Dovom", vs.dovom, cellEnv(0)},
	} {
		checkEnvelope(t, tc.what+" extent", tc.pv.Extent, tc.want)
	}
	if vs.dovom.Seq != 1 {
		t.Errorf("Dovom's first version has Seq %d, want 1 (Seq counts per municipality)", vs.dovom.Seq)
	}

	ms, err := s.Municipalities(ctx)
	if want := []string{dovom, testabad}; err != nil || !slices.Equal(ms, want) {
		t.Errorf("Municipalities = %q, %v; want %q", ms, err, want)
	}
	if _, err := s.Versions(ctx, "Nowhere"); !errors.Is(err, layers.ErrNotFound) {
		t.Errorf("Versions(Nowhere) error = %v, want ErrNotFound", err)
	}
}

func testVersionAsOf(t *testing.T, s layers.Store, vs imported) {
	tests := []struct {
		muni string
		asOf time.Time
		want int64 // 0: ErrNotFound
	}{
		{testabad, date("2025-03-20"), 0},
		{testabad, date("2025-03-21"), vs.v1.ID},
		{testabad, date("2025-03-21").Add(-time.Nanosecond), 0},
		{testabad, date("2025-12-31"), vs.v1.ID},
		{testabad, date("2026-03-20").Add(23 * time.Hour), vs.v1.ID},
		{testabad, date("2026-03-21"), vs.v3.ID}, // v2 and v3 tie on the date: higher Seq
		{testabad, date("2030-01-01"), vs.v3.ID},
		{dovom, date("2025-03-21"), vs.dovom.ID},
		{"Nowhere", date("2025-03-21"), 0},
	}
	for _, tc := range tests {
		pv, err := s.VersionAsOf(t.Context(), tc.muni, tc.asOf)
		switch {
		case tc.want == 0 && !errors.Is(err, layers.ErrNotFound):
			t.Errorf("VersionAsOf(%s, %s) = %+v, %v; want ErrNotFound", tc.muni, tc.asOf, pv, err)
		case tc.want != 0 && (err != nil || pv.ID != tc.want):
			t.Errorf("VersionAsOf(%s, %s) = version %d, %v; want %d", tc.muni, tc.asOf, pv.ID, err, tc.want)
		case tc.want != 0 && pv.Extent.IsEmpty():
			t.Errorf("VersionAsOf(%s, %s) has no extent", tc.muni, tc.asOf)
		}
	}
}

func testParcel(t *testing.T, s layers.Store, vs imported) {
	ctx := t.Context()
	p, err := s.Parcel(ctx, vs.v1.ID, "A-1")
	if err != nil {
		t.Fatalf("Parcel(A-1): %v", err)
	}
	if p.ID != "A-1" || p.RegisteredArea == nil || *p.RegisteredArea != 612.5 ||
		p.Address != "Kuche 1, No. 1" || p.AddressFa != "کوچه ۱، پلاک ۱" {
		t.Errorf("Parcel(A-1) = %+v; attributes lost", p)
	}
	checkGeom(t, "parcel A-1", p.Geom, box(0, 0, 0, 20, 30))
	*p.RegisteredArea = 1 // the caller's copy, not the store's
	if p, err := s.Parcel(ctx, vs.v1.ID, "A-1"); err != nil || p.RegisteredArea == nil || *p.RegisteredArea != 612.5 {
		t.Errorf("Parcel(A-1) after changing a result: registered area %v, %v; want 612.5", deref(p.RegisteredArea), err)
	}

	if p, err := s.Parcel(ctx, vs.v1.ID, "F-1"); err != nil || math.Abs(p.Geom.Area()-800) > AreaTolerance {
		t.Errorf("Parcel(F-1) area = %v, %v; want 800 (its hole kept)", p.Geom.Area(), err)
	}
	if p, err := s.Parcel(ctx, vs.v1.ID, "E-1"); err != nil || p.Geom.NumPolygons() != 2 || p.RegisteredArea != nil {
		t.Errorf("Parcel(E-1) = %d polygons, registered area %v, %v; want 2 polygons, none", p.Geom.NumPolygons(), p.RegisteredArea, err)
	}

	for _, tc := range []struct {
		version int64
		id      string
	}{
		{vs.v1.ID, "Z-9"},    // unknown plate
		{vs.v2.ID, "C-1"},    // not in the newer plan
		{vs.unknown, "A-1"},  // unknown version
		{vs.dovom.ID, "A-1"}, // another municipality's version
		{vs.v1.ID, "a-1"},    // plates are case-sensitive
	} {
		if _, err := s.Parcel(ctx, tc.version, tc.id); !errors.Is(err, layers.ErrNotFound) {
			t.Errorf("Parcel(%d, %q) error = %v, want ErrNotFound", tc.version, tc.id, err)
		}
	}
	// The older version stays as it was.
	if _, err := s.Parcel(ctx, vs.v1.ID, "C-1"); err != nil {
		t.Errorf("Parcel(v1, C-1) after newer versions: %v", err)
	}
}

// checkGeom compares geometries by area and envelope: stores may reorder
// rings, not move them.
func checkGeom(t *testing.T, what string, got, want geom.MultiPolygon) {
	t.Helper()
	if math.Abs(got.Area()-want.Area()) > AreaTolerance {
		t.Errorf("%s: area %v, want %v", what, got.Area(), want.Area())
	}
	checkEnvelope(t, what+" envelope", got.Envelope(), want.Envelope())
}

func checkEnvelope(t *testing.T, what string, got, want geom.Envelope) {
	t.Helper()
	gl, gh, _ := got.MinMaxXYs()
	wl, wh, _ := want.MinMaxXYs()
	if got.IsEmpty() || gl.Sub(wl).Length() > 1e-6 || gh.Sub(wh).Length() > 1e-6 {
		t.Errorf("%s: %v, want %v", what, got, want)
	}
}

func ids[T any](xs []T, id func(T) string) []string {
	out := []string{}
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

func parcelID(p layers.Parcel) string { return p.ID }

func at(c int, x, y float64) geom.XY { return geom.XY{X: X0 + 1000*float64(c) + x, Y: Y0 + y} }

func testParcelsAt(t *testing.T, s layers.Store, v int64) {
	tests := []struct {
		name string
		pt   geom.XY
		want []string
	}{
		{"inside", at(0, 5, 5), []string{"A-1"}},
		{"shared edge", at(0, 20, 25), []string{"A-1", "A-2"}},
		{"outer corner", at(1, 40, 20), []string{"B-1"}},
		{"in a hole", at(5, 15, 15), nil},
		{"second square of a MultiPolygon", at(4, 25, 5), []string{"E-1"}},
		{"between the squares", at(4, 15, 5), nil},
		{"nowhere", at(0, 90, 90), nil},
	}
	for _, tc := range tests {
		got, err := s.ParcelsAt(t.Context(), v, tc.pt)
		if err != nil {
			t.Errorf("%s: ParcelsAt: %v", tc.name, err)
			continue
		}
		if g := ids(got, parcelID); !slices.Equal(g, tc.want) {
			t.Errorf("%s: ParcelsAt = %q, want %q", tc.name, g, tc.want)
		}
	}
	if _, err := s.ParcelsAt(t.Context(), v+100000, at(0, 5, 5)); !errors.Is(err, layers.ErrNotFound) {
		t.Errorf("ParcelsAt in an unknown version: error %v, want ErrNotFound", err)
	}
}

func envOf(c int, x0, y0, x1, y1 float64) geom.Envelope { return box(c, x0, y0, x1, y1).Envelope() }

func testParcelsIn(t *testing.T, s layers.Store, v int64) {
	twoCells := cellEnv(0).ExpandToIncludeEnvelope(cellEnv(1))
	tests := []struct {
		name  string
		env   geom.Envelope
		limit int
		want  []string
	}{
		{"two cells", twoCells, 10, []string{"A-1", "A-2", "B-1"}},
		{"limit keeps the first ids", twoCells, 2, []string{"A-1", "A-2"}},
		{"limit 0 finds none", twoCells, 0, nil},
		{"touching an edge", envOf(0, 40, 0, 50, 10), 10, []string{"A-2"}},
		{"inside a hole, not the parcel", envOf(5, 12, 12, 18, 18), 10, nil},
		{"everything", envOf(0, -1000, -1000, 8000, 1000), 100, []string{"A-1", "A-2", "B-1", "C-1", "D-1", "E-1", "F-1", "G-1"}},
	}
	for _, tc := range tests {
		got, err := s.ParcelsIn(t.Context(), v, tc.env, tc.limit)
		if err != nil {
			t.Errorf("%s: ParcelsIn: %v", tc.name, err)
			continue
		}
		if g := ids(got, parcelID); !slices.Equal(g, tc.want) {
			t.Errorf("%s: ParcelsIn = %q, want %q", tc.name, g, tc.want)
		}
	}
}
