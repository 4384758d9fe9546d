package permits_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parvaneh/parvaneh/examples"
	"github.com/parvaneh/parvaneh/geo"
	"github.com/parvaneh/parvaneh/internal/pgtest"
	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/layers/memstore"
	"github.com/parvaneh/parvaneh/layers/postgis"
	"github.com/parvaneh/parvaneh/permits"
	"github.com/parvaneh/parvaneh/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// sampleCity loads the sample city into an embedded store and returns the
// service over it.
func sampleCity(t testing.TB) (*permits.Service, *memstore.Store, layers.PlanVersion) {
	t.Helper()
	st := memstore.New()
	t.Cleanup(st.Close)
	svc, v := serviceOn(t, st)
	return svc, st, v
}

// postgisCity loads the sample city into a fresh PostGIS database and
// returns the service over it: the same answers are expected of both.
func postgisCity(t testing.TB) *permits.Service {
	t.Helper()
	st, err := postgis.Open(context.Background(), pgtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	svc, _ := serviceOn(t, st)
	return svc
}

// serviceOn imports the sample city into st and returns the service over it
// with the Nemuneh pack and a fixed clock.
func serviceOn(t testing.TB, st layers.Store) (*permits.Service, layers.PlanVersion) {
	t.Helper()
	b, err := layers.ReadBundle(examples.Nemuneh())
	if err != nil {
		t.Fatalf("reading the sample city: %v", err)
	}
	v, err := st.Import(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	pack, err := rules.Bundled("nemuneh")
	if err != nil {
		t.Fatal(err)
	}
	return permits.NewService(st, permits.PackSet{"nemuneh": pack}, v.Municipality, fixedNow), v
}

func fixedNow() time.Time { return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) }

// The chosen parcels of the sample city (examples/nemuneh/notable.json),
// each hand-checked against the rule book; see testdata/estimates/README.md.
var goldenParcels = []struct{ name, id string }{
	{"corner", "113/10"},
	{"widened", "103/2"},
	{"two_zones", "114/4"},
	{"zone_sliver", "120/2"},
	{"wholly_in_street", "102/3"},
	{"landlocked", "105/16"},
	{"outside_plan", "111/1"},
	{"zone_g111", "129/3"},
	{"zone_p111", "131/2"},
	{"zone_s111", "109/2"},
	{"overlay_historic", "127/5"},
	{"overlay_airport_height", "133/1"},
	{"overlay_airport_below_one_floor", "145/3"},
	{"overlay_river_buffer", "106/4"},
	{"overlay_fault", "109/12"},
	{"overlay_power_line", "137/13"},
	{"overlay_small", "122/3"},
	{"street_tie", "137/11"},
	{"no_value_block", "113/1"},
	{"lot_cap_under_100", "119/2"},
	{"front_street_4m", "115/18"},
	{"multipolygon", "104/2"},
}

func TestEstimateGolden(t *testing.T) {
	svc, _, _ := sampleCity(t)
	for _, tc := range goldenParcels {
		t.Run(tc.name, func(t *testing.T) {
			est, err := svc.Estimate(context.Background(), permits.Where{ParcelID: tc.id})
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "estimates", tc.name+".json"), est)
		})
	}
}

// An outline drawn by the applicant measures as the stored parcel does.
func TestEstimateOfOutline(t *testing.T) {
	svc, st, v := sampleCity(t)
	ctx := context.Background()
	p, err := st.Parcel(ctx, v.ID, "113/10")
	if err != nil {
		t.Fatal(err)
	}
	proj, err := geo.NewProjection(v.MeasureSRID)
	if err != nil {
		t.Fatal(err)
	}
	gj, err := proj.ReverseMultiPolygon(p.Geom).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := geo.ParseGeometry(gj)
	if err != nil {
		t.Fatal(err)
	}
	drawn, err := svc.Estimate(ctx, permits.Where{Geometry: &raw})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := svc.Estimate(ctx, permits.Where{ParcelID: "113/10"})
	if err != nil {
		t.Fatal(err)
	}
	if drawn.Parcel != nil {
		t.Errorf("an outline is no stored parcel, got %+v", drawn.Parcel)
	}
	if *drawn.Summary.Floors != *stored.Summary.Floors || *drawn.Summary.Dues != *stored.Summary.Dues ||
		drawn.Facts.N != stored.Facts.N {
		t.Errorf("outline estimate %+v differs from the stored parcel's %+v", drawn.Summary, stored.Summary)
	}
}

// Swapped coordinates land far outside the city and are refused.
func TestEstimateOutsideMunicipality(t *testing.T) {
	svc, _, _ := sampleCity(t)
	raw, err := geo.ParseGeometry([]byte(`{"type":"Polygon","coordinates":[[[36.27,50.0],[36.2701,50.0],[36.2701,50.0001],[36.27,50.0001],[36.27,50.0]]]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Estimate(context.Background(), permits.Where{Geometry: &raw})
	if !errors.Is(err, permits.ErrOutsideMunicipality) {
		t.Fatalf("err = %v, want ErrOutsideMunicipality", err)
	}
}

// An estimate as of a past date uses the plan version then in force, and
// says which.
func TestEstimateAsOf(t *testing.T) {
	svc, st, v1 := sampleCity(t)
	ctx := context.Background()
	b, err := layers.ReadBundle(examples.Nemuneh())
	if err != nil {
		t.Fatal(err)
	}
	// Version 2 rezones everything R111 from 2026-01-01 on.
	b.Manifest.PlanVersion = "1404-02"
	b.Manifest.EffectiveFrom = time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := range b.DetailedPlan {
		b.DetailedPlan[i].Code = "R111"
	}
	v2, err := st.Import(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	old, err := svc.Estimate(ctx, permits.Where{ParcelID: "113/10", AsOf: v1.EffectiveFrom})
	if err != nil {
		t.Fatal(err)
	}
	cur, err := svc.Estimate(ctx, permits.Where{ParcelID: "113/10"})
	if err != nil {
		t.Fatal(err)
	}
	if old.Plan.Seq != v1.Seq || cur.Plan.Seq != v2.Seq {
		t.Fatalf("plan versions used: old %d, current %d; want %d and %d", old.Plan.Seq, cur.Plan.Seq, v1.Seq, v2.Seq)
	}
	if old.Facts.Governing != "R121" || cur.Facts.Governing != "R111" {
		t.Errorf("governing zones %s then %s, want R121 then R111", old.Facts.Governing, cur.Facts.Governing)
	}
	if _, err := svc.Estimate(ctx, permits.Where{ParcelID: "113/10", AsOf: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}); !errors.Is(err, layers.ErrNotFound) {
		t.Errorf("before every version: err = %v, want ErrNotFound", err)
	}
}

func golden(t *testing.T, path string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the estimate:\n%s", path, firstDiff(string(want), string(got)))
	}
}

// firstDiff shows the first differing line, enough to see what moved.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) && i < len(gl); i++ {
		if wl[i] != gl[i] {
			return "line " + itoa(i+1) + ":\n  want " + wl[i] + "\n  got  " + gl[i]
		}
	}
	return "lengths differ"
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
