package citygen

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peterstace/simplefeatures/carto"
	"github.com/peterstace/simplefeatures/geom"
	"github.com/peterstace/simplefeatures/rtree"
)

var bundleFiles = []string{
	"manifest.yaml", "parcels.geojson", "master_plan.geojson", "detailed_plan.geojson",
	"streets.geojson", "overlays.geojson", "value_blocks.geojson", "notable.json",
}

// sample generates the default city once for the tests that read it.
var sample = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "nemuneh-test-")
	if err != nil {
		return "", err
	}
	_, err = Generate(context.Background(), DefaultOptions(), dir)
	return dir, err
})

func TestMain(m *testing.M) {
	code := m.Run()
	if dir, err := sample(); err == nil {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

func sampleDir(t *testing.T) string {
	t.Helper()
	dir, err := sample()
	if err != nil {
		t.Fatalf("generating the sample city: %v", err)
	}
	return dir
}

// readFeature is a written feature read back: properties as JSON gives them,
// geometry projected to UTM 39N (as a bundle reader does).
type readFeature struct {
	props map[string]any
	ll    geom.Geometry // as written, WGS84
	g     geom.Geometry // metric
}

func readLayer(t *testing.T, dir, file string) []readFeature {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Type       string          `json:"type"`
			Properties map[string]any  `json:"properties"`
			Geometry   json.RawMessage `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if fc.Type != "FeatureCollection" {
		t.Fatalf("%s: type %q", file, fc.Type)
	}
	utm, err := carto.NewUTMFromCode(utmZone)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]readFeature, len(fc.Features))
	for i, f := range fc.Features {
		ll, err := geom.UnmarshalGeoJSON(f.Geometry) // validates
		if err != nil {
			t.Fatalf("%s feature %d (%v): %v", file, i, f.Properties, err)
		}
		out[i] = readFeature{props: f.Properties, ll: ll, g: ll.TransformXY(utm.Forward)}
	}
	return out
}

func TestGenerateIsDeterministic(t *testing.T) {
	opts := DefaultOptions()
	opts.Parcels = MinParcels
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if _, err := Generate(context.Background(), opts, dir); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range bundleFiles {
		x, err := os.ReadFile(filepath.Join(a, f))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs", f)
		}
	}
	opts.Seed++
	c := t.TempDir()
	if _, err := Generate(context.Background(), opts, c); err != nil {
		t.Fatal(err)
	}
	x, _ := os.ReadFile(filepath.Join(a, "parcels.geojson"))
	y, _ := os.ReadFile(filepath.Join(c, "parcels.geojson"))
	if bytes.Equal(x, y) {
		t.Error("another seed made the same parcels")
	}
}

// Every seed must hold every planted parcel: Generate fails if one is
// missing.
func TestGenerateAnySeed(t *testing.T) {
	for seed := uint64(1); seed <= 8; seed++ {
		opts := DefaultOptions()
		opts.Seed, opts.Parcels = seed, MinParcels+int(seed%7)*97
		sum, err := Generate(context.Background(), opts, t.TempDir())
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if sum.Parcels != opts.Parcels {
			t.Errorf("seed %d: %d parcels, want %d", seed, sum.Parcels, opts.Parcels)
		}
	}
}

func TestGenerateRefuses(t *testing.T) {
	for name, mod := range map[string]func(*Options){
		"too few parcels": func(o *Options) { o.Parcels = MinParcels - 1 },
		"no version":      func(o *Options) { o.PlanVersion = "" },
		"no date":         func(o *Options) { o.EffectiveFrom = time.Time{} },
	} {
		opts := DefaultOptions()
		mod(&opts)
		if _, err := Generate(context.Background(), opts, t.TempDir()); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, DefaultOptions(), t.TempDir()); err == nil {
		t.Error("cancelled context: no error")
	}
}

func TestManifest(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(sampleDir(t), "manifest.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := "municipality: Nemuneh\nmunicipality_fa: نمونه\nmeasure_srid: 32639\nplan_version: \"1404-01\"\neffective_from: 2025-03-21\nrule_pack: nemuneh\n"
	if string(b) != want {
		t.Errorf("manifest:\n%s\nwant:\n%s", b, want)
	}
}

// ringSigns checks RFC 7946 winding: outer rings counter-clockwise, holes
// clockwise.
func ringSigns(t *testing.T, what string, g geom.Geometry) {
	t.Helper()
	var polys []geom.Polygon
	if p, ok := g.AsPolygon(); ok {
		polys = []geom.Polygon{p}
	} else if m, ok := g.AsMultiPolygon(); ok {
		for i := range m.NumPolygons() {
			polys = append(polys, m.PolygonN(i))
		}
	} else {
		t.Errorf("%s: geometry %s", what, g.Type())
		return
	}
	for _, p := range polys {
		for ri, r := range p.DumpRings() {
			seq := r.Coordinates()
			pts := make([]xy, seq.Length())
			for k := range pts {
				pts[k] = seq.GetXY(k)
			}
			if (signedArea(pts) > 0) != (ri == 0) {
				t.Errorf("%s: ring %d wound the wrong way", what, ri)
			}
		}
	}
}

func str(t *testing.T, f readFeature, key string) string {
	t.Helper()
	s, ok := f.props[key].(string)
	if !ok || s == "" {
		t.Errorf("feature %v: %s is not a non-empty string", f.props, key)
	}
	return s
}

func num(t *testing.T, f readFeature, key string) float64 {
	t.Helper()
	v, ok := f.props[key].(float64)
	if !ok {
		t.Errorf("feature %v: %s is not a number", f.props, key)
	}
	return v
}

func TestLayersKeepTheContract(t *testing.T) {
	dir := sampleDir(t)
	plate := regexp.MustCompile(`^[1-9][0-9]*/[1-9][0-9]*$`)
	seen := map[string]bool{}
	var multi, withArea, withAddress int
	parcels := readLayer(t, dir, "parcels.geojson")
	if len(parcels) != DefaultParcels {
		t.Errorf("%d parcels, want %d", len(parcels), DefaultParcels)
	}
	for _, p := range parcels {
		id := str(t, p, "parcel_id")
		if !plate.MatchString(id) || seen[id] {
			t.Errorf("parcel id %q: not a plate or repeated", id)
		}
		seen[id] = true
		ringSigns(t, id, p.ll)
		env := p.ll.Envelope()
		lo, hi, _ := env.MinMaxXYs()
		if lo.X < 49.8 || hi.X > 50.2 || lo.Y < 36.1 || hi.Y > 36.4 {
			t.Errorf("parcel %s lies at %v–%v, not near Qazvin", id, lo, hi)
		}
		if p.g.Type() == geom.TypeMultiPolygon {
			multi++
		}
		if ra, ok := p.props["registered_area_m2"].(float64); ok {
			withArea++
			a := p.g.Area()
			if ra == round2(a) || math.Abs(ra-a) > 0.035*a {
				t.Errorf("parcel %s: registered area %.2f for a measured %.2f", id, ra, a)
			}
		}
		if _, ok := p.props["address_fa"]; ok {
			withAddress++
			str(t, p, "address")
		}
	}
	if multi == 0 || withArea < len(parcels)/2 || withAddress == 0 || withArea == len(parcels) {
		t.Errorf("parcels: %d MultiPolygons, %d with registered area, %d with address", multi, withArea, withAddress)
	}

	planned := map[float64]bool{}
	ids := map[string]bool{}
	for _, s := range readLayer(t, dir, "streets.geojson") {
		id := str(t, s, "street_id")
		ids[id] = true
		w, p := num(t, s, "width_m"), num(t, s, "planned_width_m")
		if w <= 0 || w > p || p < 4 || p > 30 {
			t.Errorf("street %s: width %g, planned %g", id, w, p)
		}
		planned[p] = true
		ringSigns(t, id, s.ll)
	}
	for _, w := range requiredWidths {
		if !planned[w] {
			t.Errorf("no street with planned width %g", w)
		}
	}
	if !ids["ST-99"] || !ids["ST-100"] {
		t.Error("street ids do not reach past ST-99")
	}

	codeSeen := map[string]bool{}
	for _, z := range readLayer(t, dir, "detailed_plan.geojson") {
		codeSeen[str(t, z, "code")] = true
		ringSigns(t, str(t, z, "zone_id"), z.ll)
	}
	for _, c := range codes {
		if !codeSeen[c] {
			t.Errorf("detailed plan has no %s zone", c)
		}
	}
	uses := map[string]bool{"residential": true, "commercial": true, "mixed": true, "industrial": true, "green": true, "public": true, "agricultural": true, "restricted": true}
	for _, m := range readLayer(t, dir, "master_plan.geojson") {
		if u := str(t, m, "land_use"); !uses[u] {
			t.Errorf("master zone land use %q", u)
		}
		if b := str(t, m, "density_band"); b != "low" && b != "medium" && b != "high" {
			t.Errorf("master zone density band %q", b)
		}
	}
	var historic, airport, airportLow, river, fault, other bool
	for _, o := range readLayer(t, dir, "overlays.geojson") {
		h, _ := o.props["max_height_m"].(float64)
		_, floors := o.props["max_floors"].(float64)
		nb, _ := o.props["no_build"].(bool)
		switch str(t, o, "kind") {
		case "historic":
			historic = true
		case "airport_height":
			airport = airport || h == 10.5
			airportLow = airportLow || (h > 0 && h < 3.5)
		case "river_buffer":
			river = nb
		case "fault":
			fault = nb || floors
		default:
			other = floors
		}
	}
	if !historic || !airport || !airportLow || !river || !fault || !other {
		t.Errorf("overlays: historic %v, airport 10.5 %v, airport < 3.5 %v, river no_build %v, fault %v, other kind with max_floors %v",
			historic, airport, airportLow, river, fault, other)
	}
	for _, v := range readLayer(t, dir, "value_blocks.geojson") {
		p, r, c := num(t, v, "p_value"), num(t, v, "tx_value_residential"), num(t, v, "tx_value_commercial")
		if p != math.Trunc(p) || p < 2e6 || p > 2e7 || r <= p || c <= r {
			t.Errorf("value block %s: P %g, TXr %g, TXc %g", str(t, v, "block_id"), p, r, c)
		}
	}
}

// sampleWorld reads the sample's layers back into a world, metric.
func sampleWorld(t *testing.T, dir string) (*world, map[string]geom.Geometry) {
	w := &world{}
	feat := func(f readFeature, id string) wfeat {
		return wfeat{id: id, g: f.g, env: f.g.Envelope()}
	}
	for _, s := range readLayer(t, dir, "streets.geojson") {
		wf := feat(s, str(t, s, "street_id"))
		wf.planned = num(t, s, "planned_width_m")
		w.streets = append(w.streets, wf)
	}
	for _, z := range readLayer(t, dir, "detailed_plan.geojson") {
		wf := feat(z, str(t, z, "zone_id"))
		wf.code = str(t, z, "code")
		w.zones = append(w.zones, wf)
	}
	for _, o := range readLayer(t, dir, "overlays.geojson") {
		wf := feat(o, str(t, o, "overlay_id"))
		wf.code = str(t, o, "kind")
		wf.height, _ = o.props["max_height_m"].(float64)
		w.overlays = append(w.overlays, wf)
	}
	for _, v := range readLayer(t, dir, "value_blocks.geojson") {
		w.values = append(w.values, feat(v, str(t, v, "block_id")))
	}
	parcels := map[string]geom.Geometry{}
	for _, p := range readLayer(t, dir, "parcels.geojson") {
		parcels[str(t, p, "parcel_id")] = p.g
	}
	return w, parcels
}

// The notable parcels are what notable.json says, measured from the written
// files the way a bundle reader measures them.
func TestNotableParcels(t *testing.T) {
	dir := sampleDir(t)
	w, parcels := sampleWorld(t, dir)
	b, err := os.ReadFile(filepath.Join(dir, "notable.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Notable []Notable `json:"notable"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	ck := checks()
	got := map[string]bool{}
	for _, n := range doc.Notable {
		got[n.Kind] = true
		g, ok := parcels[n.ParcelID]
		if !ok {
			t.Errorf("%s: parcel %s is not in parcels.geojson", n.Kind, n.ParcelID)
			continue
		}
		f, err := w.facts(g)
		if err != nil {
			t.Fatal(err)
		}
		if !ck[n.Kind](&f, g) {
			t.Errorf("%s: parcel %s does not hold: %s", n.Kind, n.ParcelID, f.String())
		}
		if n.Kind == "street_tie" {
			if !strings.Contains(n.Note, "not numeric order") || !idOrderDiffers(f.streets[0].id, f.streets[1].id) {
				t.Errorf("street_tie %s: ids %v do not sort differently as bytes and numbers", n.ParcelID, f.streets)
			}
		}
	}
	var want []string
	for k := range ck {
		want = append(want, k)
	}
	slices.Sort(want)
	for _, k := range want {
		if !got[k] {
			t.Errorf("no notable parcel of kind %s", k)
		}
	}
}

// Parcels do not overlap each other, and a parcel lies in a street only
// where the street is to be widened (or in the tie's streets, widened by the
// tie).
func TestParcelsAreClean(t *testing.T) {
	dir := sampleDir(t)
	w, parcels := sampleWorld(t, dir)
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range parcels {
			if !yield(id) {
				return
			}
		}
	})
	items := make([]rtree.BulkItem, len(ids))
	for i, id := range ids {
		box, _ := parcels[id].Envelope().AsBox()
		items[i] = rtree.BulkItem{Box: box, RecordID: i}
	}
	tree := rtree.BulkLoad(items)
	for i, id := range ids {
		g := parcels[id]
		box, _ := g.Envelope().AsBox()
		tree.RangeSearch(box, func(j int) error {
			if j <= i {
				return nil
			}
			in, err := geom.Intersection(g, parcels[ids[j]])
			if err != nil {
				t.Fatal(err)
			}
			if a := in.Area(); a > 0.01 {
				t.Errorf("parcels %s and %s overlap by %.3f m²", id, ids[j], a)
			}
			return nil
		})
	}
	widths := map[string]float64{}
	for _, s := range readLayer(t, dir, "streets.geojson") {
		widths[str(t, s, "street_id")] = num(t, s, "width_m")
	}
	for _, id := range ids {
		g := parcels[id]
		for _, s := range w.streets {
			if !g.Envelope().Intersects(s.env) {
				continue
			}
			in, err := geom.Intersection(g, s.g)
			if err != nil {
				t.Fatal(err)
			}
			if a := in.Area(); a > 0.01 && s.planned <= widths[s.id] {
				t.Errorf("parcel %s lies %.3f m² inside street %s, which is not to be widened", id, a, s.id)
			}
		}
	}
}

func TestAppendFixed(t *testing.T) {
	for _, tc := range []struct {
		v    int64
		want string
	}{
		{5000123456, "50.00123456"},
		{3627000000, "36.27000000"},
		{5, "0.00000005"},
		{-150000001, "-1.50000001"},
	} {
		if got := string(appendFixed(nil, tc.v)); got != tc.want {
			t.Errorf("appendFixed(%d) = %s, want %s", tc.v, got, tc.want)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"plain", `quo"te\back`, "خیابان حافظ، پلاک ۱۲", "tab\tnew\nline", "bad \xff byte"} {
		var back string
		if err := json.Unmarshal(appendJSONString(nil, s), &back); err != nil {
			t.Errorf("%q: %v", s, err)
			continue
		}
		if want := strings.ToValidUTF8(s, "\ufffd"); back != want {
			t.Errorf("%q came back as %q", s, back)
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	opts := DefaultOptions()
	opts.Parcels = 20000
	dir := b.TempDir()
	for b.Loop() {
		if _, err := Generate(context.Background(), opts, dir); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(opts.Parcels), "parcels/op")
}
