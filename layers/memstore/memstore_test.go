package memstore

import (
	"cmp"
	"errors"
	"slices"
	"testing"

	"github.com/parvaneh/parvaneh/geo"
	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/layers/storetest"
	"github.com/peterstace/simplefeatures/geom"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) layers.Store { return New() })
}

func mustImport(t testing.TB, s *Store, b *layers.Bundle) layers.PlanVersion {
	t.Helper()
	pv, err := s.Import(t.Context(), b)
	if err != nil {
		t.Fatal(err)
	}
	return pv
}

// TestMeasureMatchesReference checks the shortcuts of Measure (R-tree,
// covers and intersects tests, street-by-street subtraction, unions only
// where a code has several pieces) against the definition computed the
// plain way, on every parcel of a synthetic city.
func TestMeasureMatchesReference(t *testing.T) {
	city := storetest.City(5, 4)
	for _, p := range city.Parcels {
		if err := p.Geom.Validate(); err != nil {
			t.Fatalf("City parcel %s is invalid: %v", p.ID, err)
		}
	}
	s := New()
	pv := mustImport(t, s, city)
	ref := newReference(t, city)
	var sliverCodes, widened int
	for _, p := range city.Parcels {
		got, err := s.Measure(t.Context(), pv.ID, p.Geom)
		if err != nil {
			t.Fatalf("%s: %v", p.ID, err)
		}
		want := ref.measure(t, p.Geom)
		for _, d := range storetest.Diff(got, want) {
			t.Errorf("%s: %s", p.ID, d)
		}
		if got.Widening > 0 {
			widened++
		}
		for _, z := range got.Zones {
			if z.Area < 0.01*(got.Area-got.Widening) {
				sliverCodes++
			}
		}
	}
	// The city must exercise what it claims to.
	if widened == 0 || sliverCodes == 0 {
		t.Errorf("city has %d widened parcels and %d sliver overlaps; want some of each", widened, sliverCodes)
	}
}

// reference measures by the words of layers.Measurement, with no shortcut:
// the unions of all streets and of each code's features, then one
// intersection each.
type reference struct {
	b       *layers.Bundle
	streets geom.MultiPolygon
	codes   map[string]geom.MultiPolygon
}

func must(t *testing.T, g geom.MultiPolygon, err error) geom.MultiPolygon {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func newReference(t *testing.T, b *layers.Bundle) *reference {
	ref := &reference{b: b, codes: map[string]geom.MultiPolygon{}}
	var streets []geom.MultiPolygon
	for _, s := range b.Streets {
		streets = append(streets, s.Geom)
	}
	u, err := geo.Union(streets)
	ref.streets = must(t, u, err)
	byCode := map[string][]geom.MultiPolygon{}
	for _, z := range b.DetailedPlan {
		byCode[z.Code] = append(byCode[z.Code], z.Geom)
	}
	for code, gs := range byCode {
		u, err := geo.Union(gs)
		ref.codes[code] = must(t, u, err)
	}
	return ref
}

func (ref *reference) measure(t *testing.T, p geom.MultiPolygon) layers.Measurement {
	t.Helper()
	area := func(a, b geom.MultiPolygon) float64 {
		g, err := geo.Intersection(a, b)
		return must(t, g, err).Area()
	}
	b := ref.b
	m := layers.Measurement{Area: p.Area()}
	for _, s := range b.Streets {
		if d, _ := geom.Distance(p.AsGeometry(), s.Geom.AsGeometry()); d <= layers.NearStreetDistance {
			s.Geom = geom.MultiPolygon{}
			m.Streets = append(m.Streets, layers.StreetNear{Street: s, Distance: d})
		}
	}
	m.Widening = area(p, ref.streets)
	net, err := geo.Difference(p, ref.streets)
	net = must(t, net, err)
	for code, u := range ref.codes {
		if a := area(net, u); a > 0 {
			m.Zones = append(m.Zones, layers.CodeOverlap{Code: code, Area: a})
		}
	}
	for _, o := range b.Overlays {
		if a := area(net, o.Geom); a > 0 {
			m.Overlays = append(m.Overlays, layers.OverlayOverlap{Overlay: o, Area: a})
		}
	}
	for _, vb := range b.ValueBlocks {
		if a := area(p, vb.Geom); a > 0 {
			m.ValueBlocks = append(m.ValueBlocks, layers.ValueBlockOverlap{Block: vb, Area: a})
		}
	}
	for _, z := range b.MasterZones {
		if a := area(p, z.Geom); a > 0 {
			m.MasterZones = append(m.MasterZones, layers.MasterZoneOverlap{Zone: z, Area: a})
		}
	}
	slices.SortFunc(m.Streets, func(a, b layers.StreetNear) int { return cmp.Compare(a.Street.ID, b.Street.ID) })
	slices.SortFunc(m.Zones, func(a, b layers.CodeOverlap) int { return cmp.Compare(a.Code, b.Code) })
	slices.SortFunc(m.Overlays, func(a, b layers.OverlayOverlap) int { return cmp.Compare(a.Overlay.ID, b.Overlay.ID) })
	slices.SortFunc(m.ValueBlocks, func(a, b layers.ValueBlockOverlap) int { return cmp.Compare(a.Block.ID, b.Block.ID) })
	slices.SortFunc(m.MasterZones, func(a, b layers.MasterZoneOverlap) int { return cmp.Compare(a.Zone.ID, b.Zone.ID) })
	return m
}

func TestMemo(t *testing.T) {
	s := New()
	city := storetest.City(2, 2)
	pv := mustImport(t, s, city)
	v, err := s.version(pv.ID)
	if err != nil {
		t.Fatal(err)
	}
	memoized := func() int {
		n := 0
		for i := range v.memo {
			if v.memo[i].Load() != nil {
				n++
			}
		}
		return n
	}

	p, err := s.Parcel(t.Context(), pv.ID, city.Parcels[3].ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Measure(t.Context(), pv.ID, p.Geom); err != nil {
		t.Fatal(err)
	}
	if n := memoized(); n != 1 {
		t.Errorf("after measuring a stored parcel, %d measurements memoized; want 1", n)
	}
	// Same shape, other ring start: not the stored geometry, not memoized.
	ring := p.Geom.PolygonN(0).ExteriorRing().Coordinates()
	var xys []float64
	for i := 1; i < ring.Length(); i++ {
		xys = append(xys, ring.GetXY(i).X, ring.GetXY(i).Y)
	}
	xys = append(xys, xys[0], xys[1])
	other := geom.NewSingleRingPolygonXY(xys...).AsMultiPolygon()
	if _, err := s.Measure(t.Context(), pv.ID, other); err != nil {
		t.Fatal(err)
	}
	if n := memoized(); n != 1 {
		t.Errorf("after measuring a drawn geometry, %d measurements memoized; want still 1", n)
	}

	if err := s.Warm(t.Context(), pv.ID); err != nil {
		t.Fatal(err)
	}
	if n := memoized(); n != len(city.Parcels) {
		t.Errorf("after Warm, %d of %d measurements memoized", n, len(city.Parcels))
	}
	if err := s.Warm(t.Context(), pv.ID+1); !errors.Is(err, layers.ErrNotFound) {
		t.Errorf("Warm of an unknown version: error %v, want ErrNotFound", err)
	}
}

func TestClose(t *testing.T) {
	s := New()
	pv := mustImport(t, s, storetest.City(1, 1))
	s.Close()
	ctx := t.Context()
	if err := s.Ping(ctx); !errors.Is(err, layers.ErrUnavailable) {
		t.Errorf("Ping after Close: %v, want ErrUnavailable", err)
	}
	if _, err := s.Parcel(ctx, pv.ID, "1/1"); !errors.Is(err, layers.ErrUnavailable) {
		t.Errorf("Parcel after Close: %v, want ErrUnavailable", err)
	}
	if _, err := s.Import(ctx, storetest.City(1, 1)); !errors.Is(err, layers.ErrUnavailable) {
		t.Errorf("Import after Close: %v, want ErrUnavailable", err)
	}
}

// BenchmarkMeasure measures parcels of a 1,600-parcel city with the memo
// bypassed: the cost of a first measurement.
func BenchmarkMeasure(b *testing.B) {
	s := New()
	city := storetest.City(10, 10)
	pv := mustImport(b, s, city)
	v, err := s.version(pv.ID)
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		if _, err := v.measureUncached(v.parcels.geoms[(i*7919)%len(v.parcels.geoms)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkMeasureMemo is Measure of a stored parcel once the memo holds it,
// what an estimate pays after Warm.
func BenchmarkMeasureMemo(b *testing.B) {
	s := New()
	city := storetest.City(10, 10)
	pv := mustImport(b, s, city)
	if err := s.Warm(b.Context(), pv.ID); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		p := city.Parcels[(i*7919)%len(city.Parcels)]
		if _, err := s.Measure(b.Context(), pv.ID, p.Geom); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkImport imports the 1,600-parcel city.
func BenchmarkImport(b *testing.B) {
	city := storetest.City(10, 10)
	s := New()
	for b.Loop() {
		mustImport(b, s, city)
	}
}
