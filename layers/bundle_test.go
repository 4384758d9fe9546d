package layers

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/peterstace/simplefeatures/geom"

	"github.com/parvaneh/parvaneh/geo"
)

var update = flag.Bool("update", false, "rewrite golden files")

// bundleFS is the good bundle in testdata/good with the files of
// testdata/<overlay> put over it and the named files removed.
func bundleFS(t testing.TB, overlay string, remove ...string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, dir := range []string{"good", overlay} {
		if dir == "" {
			continue
		}
		entries, err := os.ReadDir(filepath.Join("testdata", dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join("testdata", dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			fsys[e.Name()] = &fstest.MapFile{Data: data}
		}
	}
	for _, name := range remove {
		delete(fsys, name)
	}
	return fsys
}

func TestReadBundleGood(t *testing.T) {
	b, err := ReadBundle(bundleFS(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	wantManifest := Manifest{
		Municipality: "Nemuneh", MunicipalityFa: "نمونه", MeasureSRID: 32639, PlanVersion: "1404-01",
		EffectiveFrom: time.Date(2025, 3, 21, 0, 0, 0, 0, time.UTC), RulePack: "nemuneh",
	}
	if b.Manifest != wantManifest {
		t.Errorf("manifest %+v, want %+v", b.Manifest, wantManifest)
	}
	wantCounts := map[Layer]int{Parcels: 3, MasterPlan: 1, DetailedPlan: 2, Streets: 1, Overlays: 1, ValueBlocks: 1}
	for l, n := range b.Counts() {
		if n != wantCounts[l] {
			t.Errorf("%s: %d features, want %d", l, n, wantCounts[l])
		}
	}
	if len(b.Warnings) != 0 {
		t.Errorf("warnings: %v", b.Warnings)
	}
	for i, want := range []string{"101/1", "101/2", "101/3"} {
		p := b.Parcels[i]
		if p.ID != want {
			t.Errorf("parcel %d id %q, want %q", i, p.ID, want)
		}
		assertArea(t, p.ID, p.Geom, 500)
	}
	if p := b.Parcels[2]; p.RegisteredArea == nil || *p.RegisteredArea != 498.5 || p.AddressFa != "خیابان باغ، پلاک ۳" {
		t.Errorf("parcel 101/3 properties: %+v", p)
	}
	if b.Parcels[0].Address != "1 Bagh St" || b.Parcels[1].RegisteredArea != nil {
		t.Errorf("optional parcel properties: %+v", b.Parcels[:2])
	}
	if z := b.MasterZones[0]; z.LandUse != "residential" || z.DensityBand != "medium" || z.NameFa != "مسکونی شمال" {
		t.Errorf("master zone %+v", z)
	}
	if d := b.DetailedPlan; d[0].Code != "R121" || d[1].Code != "C211" {
		t.Errorf("detailed plan %+v", d)
	}
	assertArea(t, "D1", b.DetailedPlan[0].Geom, 40*80)
	if s := b.Streets[0]; s.Width != 12 || s.PlannedWidth != 16 || s.Name != "Bagh St" {
		t.Errorf("street %+v", s)
	}
	assertArea(t, "S1", b.Streets[0].Geom, 70*16)
	if o := b.Overlays[0]; o.Kind != "historic" || o.MaxHeight == nil || *o.MaxHeight != 12 || o.MaxFloors == nil || *o.MaxFloors != 3 || o.NoBuild {
		t.Errorf("overlay %+v", o)
	}
	if v := b.ValueBlocks[0]; v.P != 25_000_000 || v.TxResidential != 18_000_000 || v.TxCommercial != 30_000_000 {
		t.Errorf("value block %+v", v)
	}
}

func assertArea(t *testing.T, id string, m geom.MultiPolygon, want float64) {
	t.Helper()
	if err := m.Validate(); err != nil {
		t.Errorf("%s: invalid geometry: %v", id, err)
	}
	// The test data's lon/lat have 9 decimals, about 0.1 mm.
	if got := m.Area(); math.Abs(got-want) > 0.02 {
		t.Errorf("%s: area %.4f m², want %v", id, got, want)
	}
}

func TestReadBundleOptionalLayers(t *testing.T) {
	b, err := ReadBundle(bundleFS(t, "", MasterPlan.File(), Overlays.File()))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.MasterZones) != 0 || len(b.Overlays) != 0 || len(b.Parcels) != 3 {
		t.Errorf("counts %v", b.Counts())
	}
}

func TestReadBundleRepairs(t *testing.T) {
	b, err := ReadBundle(bundleFS(t, "bowtie"))
	if err != nil {
		t.Fatal(err)
	}
	assertArea(t, "101/1", b.Parcels[0].Geom, 250) // two triangles of 25 × 10 / 2
	assertArea(t, "101/2", b.Parcels[1].Geom, 500)
	want := []struct {
		index    int
		id, code string
	}{
		{0, "101/1", geo.RepairSelfIntersection},
		{1, "101/2", geo.RepairNotClosed},
	}
	if len(b.Warnings) != len(want) {
		t.Fatalf("warnings %v, want %d", b.Warnings, len(want))
	}
	for i, w := range want {
		got := b.Warnings[i]
		if got.File != "parcels.geojson" || got.Index != w.index || got.FeatureID != w.id || got.Property != "geometry" || !strings.HasPrefix(got.Reason, w.code+": ") {
			t.Errorf("warning %d = %+v, want feature %d %s %s", i, got, w.index, w.id, w.code)
		}
	}
}

func TestReadBundleRefuses(t *testing.T) {
	type want struct {
		file     string
		index    int
		id, prop string
		code     string
	}
	for _, c := range []struct {
		name    string
		overlay string
		remove  []string
		want    []want
	}{
		{"missing property", "missing_property", nil, []want{{"parcels.geojson", 1, "", "parcel_id", ProblemMissing}}},
		{"wrong type", "wrong_type", nil, []want{{"streets.geojson", 0, "S1", "width_m", ProblemWrongType}}},
		{"duplicate id", "duplicate_id", nil, []want{{"parcels.geojson", 1, "101/1", "parcel_id", ProblemDuplicateID}}},
		{"bad geometry type", "bad_geometry_type", nil, []want{{"detailed_plan.geojson", 0, "D1", "geometry", geo.ReasonBadType}}},
		{"coordinates out of range", "out_of_range", nil, []want{{"parcels.geojson", 0, "101/1", "geometry", geo.ReasonOutOfRange}}},
		{"longitude and latitude swapped", "swapped", nil, []want{{"parcels.geojson", 0, "101/1", "geometry", ProblemOutOfZone}}},
		{"empty geometry", "empty_geometry", nil, []want{
			{"parcels.geojson", 0, "101/1", "geometry", geo.ReasonEmpty},
			{"parcels.geojson", 1, "101/2", "geometry", geo.ReasonEmpty},
		}},
		{"unrepairable polygon", "unrepairable", nil, []want{{"parcels.geojson", 0, "101/1", "geometry", geo.ReasonCollapsed}}},
		{"bad enum", "bad_enum", nil, []want{{"master_plan.geojson", 0, "M1", "land_use", ProblemBadValue}}},
		{"bad values", "bad_values", nil, []want{
			{"value_blocks.geojson", 0, "VB1", "p_value", ProblemBadValue},
			{"value_blocks.geojson", 0, "VB1", "tx_value_residential", ProblemBadValue},
			{"value_blocks.geojson", 0, "VB1", "tx_value_commercial", ProblemMissing},
		}},
		{"truncated file", "truncated", nil, []want{{"streets.geojson", -1, "", "", ProblemBadSyntax}}},
		{"bad manifest", "bad_manifest", nil, []want{
			{"manifest.yaml", -1, "", "color", ProblemUnknownField},
			{"manifest.yaml", -1, "", "rule_pack", ProblemMissing},
			{"manifest.yaml", -1, "", "plan_version", ProblemWrongType},
			{"manifest.yaml", -1, "", "measure_srid", ProblemBadValue},
			{"manifest.yaml", -1, "", "effective_from", ProblemBadValue},
		}},
		{"missing parcels", "", []string{"parcels.geojson"}, []want{{"parcels.geojson", -1, "", "", ProblemMissingFile}}},
		{"missing manifest", "", []string{"manifest.yaml"}, []want{{"manifest.yaml", -1, "", "", ProblemMissingFile}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadBundle(bundleFS(t, c.overlay, c.remove...))
			var be *BundleError
			if !errors.As(err, &be) {
				t.Fatalf("got %v, want a *BundleError", err)
			}
			var got []want
			for _, p := range be.Problems {
				code, _, _ := strings.Cut(p.Reason, ": ")
				got = append(got, want{p.File, p.Index, p.FeatureID, p.Property, code})
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("problems\n%v\nwant\n%v\n(%v)", got, c.want, err)
			}
		})
	}
}

// TestReadBundleGolden lists every problem of a bundle broken in many ways
// at once; run with -update to rewrite the golden file.
func TestReadBundleGolden(t *testing.T) {
	_, err := ReadBundle(bundleFS(t, "broken"))
	var be *BundleError
	if !errors.As(err, &be) {
		t.Fatalf("got %v, want a *BundleError", err)
	}
	got, err := json.MarshalIndent(be.Problems, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "broken.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("problems differ from %s (run with -update to accept):\n%s", golden, got)
	}
	msg := be.Error()
	if !strings.HasPrefix(msg, fmt.Sprintf("plan bundle refused: %d problem(s); manifest.yaml field measure_srid: wrong_type", len(be.Problems))) ||
		!strings.HasSuffix(msg, fmt.Sprintf("; and %d more", len(be.Problems)-3)) {
		t.Errorf("Error() = %s", msg)
	}
}

func TestReadBundleProgressAndCancel(t *testing.T) {
	fsys := bigBundle(t, 2500)
	var calls []string
	b, err := ReadBundleWithOptions(context.Background(), fsys, ReadOptions{Progress: func(l Layer, done int) {
		calls = append(calls, fmt.Sprintf("%s:%d", l, done))
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Parcels) != 2500 {
		t.Errorf("%d parcels", len(b.Parcels))
	}
	want := "[parcels:1000 parcels:2000 parcels:2500 master_plan:1 detailed_plan:2 streets:1 overlays:1 value_blocks:1]"
	if fmt.Sprint(calls) != want {
		t.Errorf("progress %v, want %s", calls, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadBundleWithOptions(ctx, fsys, ReadOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled read: %v", err)
	}
}

// bigBundle is the good bundle with n parcels of 20 × 25 m in a grid.
func bigBundle(t testing.TB, n int) fstest.MapFS {
	fsys := bundleFS(t, "")
	p, err := geo.NewProjection(32639)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(`{"type":"FeatureCollection","features":[`)
	for i := range n {
		x0, y0 := 400000+float64(i%300)*20, 4000000+float64(i/300)*25
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"type":"Feature","properties":{"parcel_id":"%d/%d","address":"Block %d"},"geometry":{"type":"Polygon","coordinates":[[`, i/300, i%300, i/300)
		for k, d := range [][2]float64{{0, 0}, {20, 0}, {20, 25}, {0, 25}, {0, 0}} {
			ll := p.Reverse(geom.XY{X: x0 + d[0], Y: y0 + d[1]})
			if k > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "[%.9f,%.9f]", ll.X, ll.Y)
		}
		b.WriteString("]]}}")
	}
	b.WriteString("]}\n")
	fsys["parcels.geojson"] = &fstest.MapFile{Data: []byte(b.String())}
	return fsys
}

func BenchmarkReadBundle100k(b *testing.B) {
	fsys := bigBundle(b, 100_000)
	b.ResetTimer()
	for b.Loop() {
		bundle, err := ReadBundle(fsys)
		if err != nil {
			b.Fatal(err)
		}
		if len(bundle.Parcels) != 100_000 {
			b.Fatal(len(bundle.Parcels))
		}
	}
}

func FuzzReadBundle(f *testing.F) {
	base := bundleFS(f, "")
	for _, dir := range []string{"good", "bowtie", "broken", "empty_geometry", "truncated", "duplicate_id"} {
		if data, err := os.ReadFile(filepath.Join("testdata", dir, "parcels.geojson")); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"parcel_id":"1"},"geometry":{"type":"Polygon","coordinates":[[[50,36.27],[50.0002,36.27],[50.0002,36.2702]]]}}]}`))
	f.Add([]byte(`{"features":[1,{},[],null]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{}
		for name, file := range base {
			fsys[name] = file
		}
		fsys["parcels.geojson"] = &fstest.MapFile{Data: data}
		b, err := ReadBundle(fsys)
		if err == nil {
			for _, p := range b.Parcels {
				if p.ID == "" || p.Geom.Validate() != nil || p.Geom.Area() < geo.MinArea {
					t.Fatalf("accepted bad parcel %+v", p)
				}
			}
			return
		}
		var be *BundleError
		if !errors.As(err, &be) || len(be.Problems) == 0 {
			t.Fatalf("error %v is not a *BundleError with problems", err)
		}
		for _, p := range be.Problems {
			code, detail, ok := strings.Cut(p.Reason, ": ")
			if p.File != "parcels.geojson" || !ok || code == "" || detail == "" || p.Index < -1 {
				t.Fatalf("problem %+v does not name its file, feature and reason", p)
			}
		}
	})
}
