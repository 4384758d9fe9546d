package postgis_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/parvaneh/parvaneh/internal/pgtest"
	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/layers/memstore"
	"github.com/parvaneh/parvaneh/layers/postgis"
	"github.com/parvaneh/parvaneh/layers/storetest"
)

func open(t testing.TB) *postgis.Store {
	t.Helper()
	s, err := postgis.Open(context.Background(), pgtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func date(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

func mustImport(t testing.TB, s *postgis.Store, b *layers.Bundle) layers.PlanVersion {
	t.Helper()
	v, err := s.Import(context.Background(), b)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return v
}

// TestContract runs the store contract suite, which the embedded store
// passes too.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) layers.Store { return open(t) })
}

func TestImportVersions(t *testing.T) {
	ctx := t.Context()
	s := open(t)
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	v1 := mustImport(t, s, fixture("Nemuneh", "1403-01", date(2024, 3, 20)))
	v2 := mustImport(t, s, fixture("Nemuneh", "1404-01", date(2025, 3, 21)))
	v3 := mustImport(t, s, fixture("Nemuneh", "1403-02", date(2024, 3, 20))) // same date as v1, later import
	other := mustImport(t, s, fixture("Aval", "1", date(2020, 1, 1)))

	for _, c := range []struct {
		v   layers.PlanVersion
		seq int
	}{{v1, 1}, {v2, 2}, {v3, 3}, {other, 1}} {
		if c.v.Seq != c.seq {
			t.Errorf("version %q: seq %d, want %d", c.v.Label, c.v.Seq, c.seq)
		}
	}
	if v1.Municipality != "Nemuneh" || v1.MunicipalityFa != "نمونه" || v1.MeasureSRID != srid || v1.RulePack != "nemuneh" ||
		!v1.EffectiveFrom.Equal(date(2024, 3, 20)) || time.Since(v1.ImportedAt) > time.Minute || v1.ImportedAt.Location() != time.UTC {
		t.Errorf("version 1 = %+v", v1)
	}
	if want := geom.NewEnvelope(geom.XY{X: ox - 100, Y: oy - 100}, geom.XY{X: ox + 200, Y: oy + 110}); v1.Extent != want {
		t.Errorf("version 1 extent %v, want %v", v1.Extent, want)
	}

	vs, err := s.Versions(ctx, "Nemuneh")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 3 || vs[0] != v1 || vs[1] != v2 || vs[2] != v3 {
		t.Errorf("Versions = %+v\nwant %+v %+v %+v", vs, v1, v2, v3)
	}
	ms, err := s.Municipalities(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0] != "Aval" || ms[1] != "Nemuneh" {
		t.Errorf("Municipalities = %q", ms)
	}

	tehran := time.FixedZone("IRST", 3*3600+1800)
	for _, c := range []struct {
		name string
		asOf time.Time
		want int64
	}{
		{"the day it took effect", date(2024, 3, 20), v3.ID},
		{"tie on the date: the later import", date(2024, 6, 1), v3.ID},
		{"the next plan", date(2025, 3, 21).Add(time.Second), v2.ID},
		{"the instant before the next plan", date(2025, 3, 21).Add(-time.Second), v3.ID},
		{"another zone, same instant", time.Date(2025, 3, 21, 3, 30, 0, 0, tehran), v2.ID},
	} {
		got, err := s.VersionAsOf(ctx, "Nemuneh", c.asOf)
		if err != nil || got.ID != c.want {
			t.Errorf("%s: VersionAsOf(%s) = %d, %v; want %d", c.name, c.asOf, got.ID, err, c.want)
		}
	}

	for name, err := range map[string]error{
		"Versions of an unknown municipality": second(s.Versions(ctx, "Nowhere")),
		"VersionAsOf before the first plan":   second(s.VersionAsOf(ctx, "Nemuneh", date(2000, 1, 1))),
		"VersionAsOf of an unknown city":      second(s.VersionAsOf(ctx, "Nowhere", date(2025, 1, 1))),
		"Parcel unknown":                      second(s.Parcel(ctx, v1.ID, "9/9")),
		"Parcel of an unknown version":        second(s.Parcel(ctx, 1<<40, "1/1")),
		"ParcelsAt of an unknown version":     second(s.ParcelsAt(ctx, 1<<40, geom.XY{X: ox, Y: oy})),
		"ParcelsIn of an unknown version":     second(s.ParcelsIn(ctx, 1<<40, rect(0, 0, 1, 1).Envelope(), 10)),
		"Features of an unknown version":      second(s.Features(ctx, 1<<40, layers.Streets, rect(0, 0, 1, 1).Envelope(), 10)),
		"Measure of an unknown version":       second(s.Measure(ctx, 1<<40, rect(0, 0, 1, 1))),
	} {
		if !errors.Is(err, layers.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestParcelsAndFeatures(t *testing.T) {
	ctx := t.Context()
	s := open(t)
	b := fixture("Nemuneh", "1404-01", date(2025, 3, 21))
	v := mustImport(t, s, b)

	p, err := s.Parcel(ctx, v.ID, "1/1")
	if err != nil {
		t.Fatal(err)
	}
	want := b.Parcels[0]
	if p.ID != want.ID || *p.RegisteredArea != *want.RegisteredArea || p.Address != want.Address || p.AddressFa != want.AddressFa ||
		!geom.ExactEquals(p.Geom.AsGeometry(), want.Geom.AsGeometry()) {
		t.Errorf("Parcel = %+v\nwant %+v", p, want)
	}
	if p, err := s.Parcel(ctx, v.ID, "1/2"); err != nil || p.RegisteredArea != nil {
		t.Errorf("Parcel 1/2 = %+v, %v; want no registered area", p, err)
	}

	for _, c := range []struct {
		name string
		x, y float64
		want []string
	}{
		{"inside", 5, 5, []string{"1/1"}},
		{"on the shared edge", 20, 10, []string{"1/1", "1/2"}},
		{"outside", 15, 35, nil},
	} {
		ps, err := s.ParcelsAt(ctx, v.ID, geom.XY{X: ox + c.x, Y: oy + c.y})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := parcelIDs(ps); !equal(got, c.want) {
			t.Errorf("ParcelsAt %s = %q, want %q", c.name, got, c.want)
		}
	}

	ps, err := s.ParcelsIn(ctx, v.ID, rect(-5, -5, 100, 100).Envelope(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := parcelIDs(ps); !equal(got, []string{"1/1", "1/2"}) {
		t.Errorf("ParcelsIn limit 2 = %q", got)
	}
	if ps, err := s.ParcelsIn(ctx, v.ID, rect(500, 500, 600, 600).Envelope(), 10); err != nil || len(ps) != 0 {
		t.Errorf("ParcelsIn far away = %v, %v", ps, err)
	}

	fs, err := s.Features(ctx, v.ID, layers.Overlays, rect(0, 0, 20, 30).Envelope(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 3 || fs[0].ID != "O1" || fs[0].Layer != layers.Overlays {
		t.Fatalf("Features(overlays) = %+v", fs)
	}
	wantProps := map[string]any{"overlay_id": "O1", "kind": "historic", "max_height_m": 12.0, "max_floors": 3, "no_build": false}
	if !equalProps(fs[0].Properties, wantProps) {
		t.Errorf("O1 properties = %v, want %v", fs[0].Properties, wantProps)
	}
	for _, l := range layers.AllLayers {
		fs, err := s.Features(ctx, v.ID, l, rect(-1000, -1000, 1000, 1000).Envelope(), 100)
		if err != nil {
			t.Fatalf("Features(%s): %v", l, err)
		}
		if len(fs) != b.Counts()[l] {
			t.Errorf("Features(%s): %d features, want %d", l, len(fs), b.Counts()[l])
		}
		for i := 1; i < len(fs); i++ {
			if fs[i-1].ID >= fs[i].ID {
				t.Errorf("Features(%s) not ordered by id: %q before %q", l, fs[i-1].ID, fs[i].ID)
			}
		}
	}
	if _, err := s.Features(ctx, v.ID, "roads", rect(0, 0, 1, 1).Envelope(), 10); err == nil {
		t.Error("Features of an unknown layer: no error")
	}
}

func parcelIDs(ps []layers.Parcel) []string {
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	return ids
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalProps(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestMeasure checks the measurement of the fixture's parcel 1/1 (20×30 m at
// the origin) worked out by hand: street S1 covers its southern 2 m, so the
// net parcel is [0,20]×[2,30].
func TestMeasure(t *testing.T) {
	ctx := t.Context()
	s := open(t)
	b := fixture("Nemuneh", "1404-01", date(2025, 3, 21))
	v := mustImport(t, s, b)

	m, err := s.Measure(ctx, v.ID, b.Parcels[0].Geom)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "A", m.Area, 600)
	near(t, "W", m.Widening, 40)

	// S1 overlaps (0), S2 is 0.5 m west, S3 exactly 1.0 m north: all front
	// the parcel; S4 is far.
	if len(m.Streets) != 3 {
		t.Fatalf("streets = %+v", m.Streets)
	}
	for i, w := range []struct {
		id       string
		planned  float64
		distance float64
	}{{"S1", 12, 0}, {"S2", 8, 0.5}, {"S3", 12, 1}} {
		got := m.Streets[i]
		if got.Street.ID != w.id || got.Street.PlannedWidth != w.planned {
			t.Errorf("street %d = %+v, want %s", i, got, w.id)
		}
		near(t, w.id+" distance", got.Distance, w.distance)
	}
	if st := m.Streets[0].Street; st.Width != 10 || st.Name != "Golestan" || st.NameFa != "گلستان" || !st.Geom.IsEmpty() {
		t.Errorf("S1 = %+v", st)
	}

	// R121 is D1 ∪ D3 over the net parcel: [0,15]×[2,30] plus [15,18]×[20,25];
	// C1 is D2, [15,20]×[2,30], whether or not D3 overlaps it.
	wantZones := []layers.CodeOverlap{{Code: "C1", Area: 140}, {Code: "R121", Area: 420 + 15}}
	if len(m.Zones) != len(wantZones) {
		t.Fatalf("zones = %+v, want %+v", m.Zones, wantZones)
	}
	for i, w := range wantZones {
		if m.Zones[i].Code != w.Code {
			t.Errorf("zone %d = %+v, want %+v", i, m.Zones[i], w)
		}
		near(t, "zone "+w.Code, m.Zones[i].Area, w.Area)
	}

	// O2 meets only the widening, O3 only touches the edge: neither counts.
	if len(m.Overlays) != 1 || m.Overlays[0].Overlay.ID != "O1" || m.Overlays[0].Overlay.Kind != "historic" ||
		*m.Overlays[0].Overlay.MaxHeight != 12 || *m.Overlays[0].Overlay.MaxFloors != 3 {
		t.Fatalf("overlays = %+v", m.Overlays)
	}
	near(t, "O1", m.Overlays[0].Area, 100)

	if len(m.ValueBlocks) != 2 || m.ValueBlocks[0].Block.ID != "B1" || m.ValueBlocks[1].Block.ID != "B2" ||
		m.ValueBlocks[1].Block.P != 1_500_000 || m.ValueBlocks[1].Block.TxCommercial != 3_500_000 {
		t.Fatalf("value blocks = %+v", m.ValueBlocks)
	}
	near(t, "B1", m.ValueBlocks[0].Area, 300)
	near(t, "B2", m.ValueBlocks[1].Area, 300)

	if len(m.MasterZones) != 1 || m.MasterZones[0].Zone.ID != "M1" || m.MasterZones[0].Zone.LandUse != "residential" ||
		m.MasterZones[0].Zone.NameFa != "شمال" {
		t.Fatalf("master zones = %+v", m.MasterZones)
	}
	near(t, "M1", m.MasterZones[0].Area, 600)

	// A parcel wholly inside a street: N = 0, no zones, no overlays.
	m, err = s.Measure(ctx, v.ID, rect(0, -8, 10, -2))
	if err != nil {
		t.Fatal(err)
	}
	near(t, "A in street", m.Area, 60)
	near(t, "W in street", m.Widening, 60)
	if m.Zones != nil || m.Overlays != nil {
		t.Errorf("parcel in the street: zones %+v, overlays %+v; want none", m.Zones, m.Overlays)
	}

	// Far from everything but the master plan's edge.
	m, err = s.Measure(ctx, v.ID, rect(5000, 5000, 5010, 5010))
	if err != nil {
		t.Fatal(err)
	}
	if m.Streets != nil || m.Zones != nil || m.Overlays != nil || m.ValueBlocks != nil || m.MasterZones != nil || m.Widening != 0 {
		t.Errorf("lone parcel = %+v", m)
	}
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-6 {
		t.Errorf("%s = %.9f, want %.9f", what, got, want)
	}
}

// TestConcurrentImports imports one municipality from several goroutines:
// every import gets its own Seq.
func TestConcurrentImports(t *testing.T) {
	s := open(t)
	const n = 4
	var wg sync.WaitGroup
	seqs := make([]int, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			v, err := s.Import(t.Context(), fixture("Nemuneh", "1404-01", date(2025, 3, 21)))
			seqs[i], errs[i] = v.Seq, err
		})
	}
	wg.Wait()
	seen := map[int]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("import %d: %v", i, errs[i])
		}
		seen[seqs[i]] = true
	}
	for seq := 1; seq <= n; seq++ {
		if !seen[seq] {
			t.Errorf("seqs %v: %d missing", seqs, seq)
		}
	}
}

// TestImportAllOrNothing: a bundle the database refuses half-way leaves
// nothing behind.
func TestImportAllOrNothing(t *testing.T) {
	ctx := t.Context()
	url := pgtest.New(t)
	s, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	b := fixture("Nemuneh", "1404-01", date(2025, 3, 21))
	b.ValueBlocks = append(b.ValueBlocks, b.ValueBlocks[0]) // a duplicate id, in the last layer
	if _, err := s.Import(ctx, b); err == nil {
		t.Fatal("duplicate value block imported")
	}

	unknownSRID := fixture("Nemuneh", "1404-01", date(2025, 3, 21))
	unknownSRID.Manifest.MeasureSRID = 999999
	if _, err := s.Import(ctx, unknownSRID); err == nil || !strings.Contains(err.Error(), "measure_srid 999999") {
		t.Errorf("unknown SRID: %v", err)
	}

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, table := range []string{"municipalities", "plan_versions", "parcels", "master_plan", "detailed_plan", "streets", "overlays", "value_blocks"} {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s has %d rows after failed imports", table, n)
		}
	}
}

func TestImportProgressAndWGS84(t *testing.T) {
	ctx := t.Context()
	url := pgtest.New(t)
	s, err := postgis.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b := storetest.City(8, 8)
	var calls []int
	if _, err := s.ImportWithProgress(ctx, b, func(n int) { calls = append(calls, n) }); err != nil {
		t.Fatal(err)
	}
	total := featureCount(b)
	if len(calls) < 2 || calls[len(calls)-1] != total {
		t.Errorf("progress calls %v, want the last to be %d", calls, total)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i] < calls[i-1] {
			t.Errorf("progress went back: %v", calls)
		}
	}

	// The WGS84 copy is the metric geometry reprojected: the fixture's origin
	// in UTM 39N is on the central meridian, 51°E.
	v := mustImport(t, s, fixture("Nemuneh", "1404-01", date(2025, 3, 21)))
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var lon, lat float64
	err = conn.QueryRow(ctx, `SELECT ST_XMin(geom_wgs84), ST_YMin(geom_wgs84) FROM parcels WHERE plan_version_id = $1 AND parcel_id = '1/1'`, v.ID).Scan(&lon, &lat)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(lon-51) > 1e-6 || math.Abs(lat-35.69) > 0.01 {
		t.Errorf("parcel 1/1 starts at %.6f, %.6f in WGS84; want 51, ~35.69", lon, lat)
	}
}

// TestAgreesWithMemstore measures every parcel of a synthetic city in both
// stores: same ids, areas within 0.01 m².
func TestAgreesWithMemstore(t *testing.T) {
	ctx := t.Context()
	b := storetest.City(6, 6)
	pg := open(t)
	mem := memstore.New()
	defer mem.Close()
	vp := mustImport(t, pg, b)
	vm, err := mem.Import(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	storetest.CompareMeasure(t, pg, mem, vp.ID, vm.ID, b.Parcels)
}

func TestUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	// Port 1 on localhost: nothing listens there.
	s, err := postgis.Open(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(ctx); !errors.Is(err, layers.ErrUnavailable) {
		t.Errorf("Ping = %v, want ErrUnavailable", err)
	}
	if _, err := s.Versions(ctx, "Nemuneh"); !errors.Is(err, layers.ErrUnavailable) {
		t.Errorf("Versions = %v, want ErrUnavailable", err)
	}
	if _, err := postgis.Open(ctx, "postgres://user:secret@host:notaport/db"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("bad URL: %v", err)
	}
}
