package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/peterstace/simplefeatures/geom"

	"github.com/parvaneh/parvaneh/geo"
	"github.com/parvaneh/parvaneh/layers"
)

// fixture is what the tests ask about, taken from the bundle: a stored
// parcel (whose plate holds a "/"), a point inside it, its box and its
// outline in WGS84.
type fixture struct {
	parcel layers.Parcel
	plate  string
	lon    float64
	lat    float64
	bbox   string        // the parcel's envelope, minLon,minLat,maxLon,maxLat
	box    geom.Envelope // bbox, projected as the API projects it
	ring   [][2]float64  // the parcel's exterior ring, closed
	bowtie [][2]float64  // a ring crossing itself inside the parcel
	proj   *geo.Projection
}

// newFixture is about the sample city's corner parcel: on two streets, in
// one zone and one value block, it has every kind of fact.
func newFixture(t testing.TB, b *layers.Bundle) fixture {
	t.Helper()
	proj, err := geo.NewProjection(b.Manifest.MeasureSRID)
	if err != nil {
		t.Fatal(err)
	}
	plate := notable(t, "corner")
	i := slices.IndexFunc(b.Parcels, func(p layers.Parcel) bool { return p.ID == plate })
	if i < 0 || !strings.Contains(plate, "/") {
		t.Fatalf("the sample city has no parcel %q, or its plate has no /", plate)
	}
	p := b.Parcels[i]
	f := fixture{parcel: p, plate: p.ID, proj: proj}
	pt, _ := p.Geom.PointOnSurface().XY()
	ll := proj.Reverse(pt)
	f.lon, f.lat = ll.X, ll.Y
	env := proj.ReverseEnvelope(p.Geom.Envelope())
	lo, hi, _ := env.MinMaxXYs()
	f.bbox = fmt.Sprintf("%v,%v,%v,%v", lo.X, lo.Y, hi.X, hi.Y)
	f.box = proj.ForwardEnvelope(env)
	seq := p.Geom.PolygonN(0).ExteriorRing().Coordinates()
	for j := range seq.Length() {
		ll := proj.Reverse(seq.GetXY(j))
		f.ring = append(f.ring, [2]float64{ll.X, ll.Y})
	}
	// A bowtie over the middle half of the parcel's box: its two lobes are
	// triangles meeting at the centre.
	mlo, mhi, _ := p.Geom.Envelope().MinMaxXYs()
	x0, x1 := mlo.X+(mhi.X-mlo.X)/4, mhi.X-(mhi.X-mlo.X)/4
	y0, y1 := mlo.Y+(mhi.Y-mlo.Y)/4, mhi.Y-(mhi.Y-mlo.Y)/4
	for _, xy := range []geom.XY{{X: x0, Y: y0}, {X: x1, Y: y1}, {X: x1, Y: y0}, {X: x0, Y: y1}, {X: x0, Y: y0}} {
		ll := proj.Reverse(xy)
		f.bowtie = append(f.bowtie, [2]float64{ll.X, ll.Y})
	}
	return f
}

// polygon returns a GeoJSON Polygon of one ring.
func polygon(ring [][2]float64) string {
	b, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][2]float64{ring}})
	return string(b)
}

// swapped returns the ring with each position written latitude first.
func swapped(ring [][2]float64) [][2]float64 {
	out := make([][2]float64, len(ring))
	for i, p := range ring {
		out[i] = [2]float64{p[1], p[0]}
	}
	return out
}

// apiCase is one request and what its answer must be. Every answer is also
// checked against openapi.json by app.do.
type apiCase struct {
	name   string
	method string // GET when empty
	target string
	body   string
	status int
	code   string // error code, for an error answer
	field  string // error field, for an error answer
	check  func(t *testing.T, res *response)
}

func runCases(t *testing.T, a *app, cases []apiCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			res := a.do(t, method, tc.target, tc.body)
			if res.Status != tc.status {
				t.Fatalf("%s %s: status %d, want %d\n%s", method, tc.target, res.Status, tc.status, clip(res.Body))
			}
			if tc.code != "" || tc.field != "" {
				e, _ := res.JSON(t)["error"].(map[string]any)
				if e["code"] != tc.code || fieldOf(e) != tc.field {
					t.Errorf("error code %v field %q, want %s field %q\n%s", e["code"], fieldOf(e), tc.code, tc.field, clip(res.Body))
				}
			}
			if tc.check != nil {
				tc.check(t, res)
			}
		})
	}
}

func fieldOf(e map[string]any) string {
	f, _ := e["field"].(string)
	return f
}

// featureIDs lists the ids of a FeatureCollection answer.
func featureIDs(t *testing.T, res *response) []string {
	t.Helper()
	var fc struct {
		Features []struct {
			ID string `json:"id"`
		} `json:"features"`
	}
	if err := json.Unmarshal(res.Body, &fc); err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, f := range fc.Features {
		ids = append(ids, f.ID)
	}
	return ids
}

func wantIDs(want ...string) func(t *testing.T, res *response) {
	return func(t *testing.T, res *response) {
		t.Helper()
		if got := featureIDs(t, res); !slices.Equal(got, want) {
			t.Errorf("feature ids %v, want %v", got, want)
		}
	}
}

func TestHealth(t *testing.T) {
	a := newApp(t, importBundle(t))
	runCases(t, a, []apiCase{
		{name: "healthz", target: "/healthz", status: 200},
		{name: "readyz", target: "/readyz", status: 200},
	})
}

func TestPlan(t *testing.T) {
	a := newApp(t, importBundle(t))
	runCases(t, a, []apiCase{
		{name: "today", target: "/api/v1/plan", status: 200, check: func(t *testing.T, res *response) {
			v := res.JSON(t)
			// imported_at is the moment of the import: not reproducible.
			for _, pv := range append(v["versions"].([]any), v["version"]) {
				pv.(map[string]any)["imported_at"] = "(import time)"
			}
			golden(t, "plan", v)
		}},
		{name: "before the first version", target: "/api/v1/plan?as_of=1999-01-01", status: 404, code: "no_plan_version", field: "as_of"},
		{name: "bad as_of", target: "/api/v1/plan?as_of=2025-3-21", status: 400, code: "invalid_value", field: "as_of"},
	})
}

func TestParcels(t *testing.T) {
	st := importBundle(t)
	a := newApp(t, st)
	f := newFixture(t, testBundle(t))
	inBox, err := st.ParcelsIn(t.Context(), 1, f.box, 1000)
	if err != nil {
		t.Fatal(err)
	}
	boxIDs := make([]string, len(inBox))
	for i, p := range inBox {
		boxIDs[i] = p.ID
	}
	if len(boxIDs) < 2 {
		t.Fatalf("the fixture parcel's box holds %d parcels; want a box with neighbours", len(boxIDs))
	}
	escaped := strings.ReplaceAll(f.plate, "/", "%2F")
	runCases(t, a, []apiCase{
		{name: "by plate", target: "/api/v1/parcels/" + f.plate, status: 200, check: func(t *testing.T, res *response) {
			golden(t, "parcel", res.JSON(t))
		}},
		{name: "by escaped plate", target: "/api/v1/parcels/" + escaped, status: 200, check: func(t *testing.T, res *response) {
			if id := res.JSON(t)["id"]; id != f.plate {
				t.Errorf("id %v, want %s", id, f.plate)
			}
		}},
		{name: "by plate as of its effective date", target: "/api/v1/parcels/" + f.plate + "?as_of=" + effective(t), status: 200},
		{name: "unknown plate", target: "/api/v1/parcels/99999/1", status: 404, code: "parcel_not_found", field: "id", check: func(t *testing.T, res *response) {
			golden(t, "parcel_not_found", res.JSON(t))
		}},
		{name: "plate before the first version", target: "/api/v1/parcels/" + f.plate + "?as_of=1999-01-01", status: 404, code: "no_plan_version", field: "as_of"},
		{name: "plate with bad as_of", target: "/api/v1/parcels/" + f.plate + "?as_of=yesterday", status: 400, code: "invalid_value", field: "as_of"},

		{name: "at a point", target: fmt.Sprintf("/api/v1/parcels?lon=%v&lat=%v", f.lon, f.lat), status: 200, check: wantIDs(f.plate)},
		{name: "at a point far away", target: "/api/v1/parcels?lon=10&lat=10", status: 200, check: wantIDs()},
		{name: "in a box", target: "/api/v1/parcels?bbox=" + f.bbox, status: 200, check: wantIDs(boxIDs...)},
		{name: "in a box, limited", target: "/api/v1/parcels?limit=1&bbox=" + f.bbox, status: 200, check: wantIDs(boxIDs[0])},
		{name: "both a box and a point", target: "/api/v1/parcels?lon=10&lat=10&bbox=" + f.bbox, status: 400, code: "invalid_value", field: "bbox"},

		{name: "neither", target: "/api/v1/parcels", status: 400, code: "missing_field", field: "bbox"},
		{name: "bbox of three", target: "/api/v1/parcels?bbox=51,35,52", status: 400, code: "invalid_value", field: "bbox"},
		{name: "bbox not numbers", target: "/api/v1/parcels?bbox=a,b,c,d", status: 400, code: "invalid_value", field: "bbox"},
		{name: "bbox min over max", target: "/api/v1/parcels?bbox=52,35,51,36", status: 400, code: "invalid_value", field: "bbox"},
		{name: "bbox latitude out of range", target: "/api/v1/parcels?bbox=51,35,52,95", status: 400, code: "invalid_value", field: "bbox"},
		{name: "lon out of range", target: "/api/v1/parcels?lon=181&lat=35", status: 400, code: "invalid_value", field: "lon"},
		{name: "lat out of range", target: "/api/v1/parcels?lon=51&lat=-91", status: 400, code: "invalid_value", field: "lat"},
		{name: "lon not a number", target: "/api/v1/parcels?lon=NaN&lat=35", status: 400, code: "invalid_value", field: "lon"},
		{name: "bbox not numbers", target: "/api/v1/parcels?bbox=NaN,35,52,36", status: 400, code: "invalid_value", field: "bbox"},
		{name: "lon without lat", target: "/api/v1/parcels?lon=51", status: 400, code: "invalid_value", field: "lat"},
		{name: "limit zero", target: "/api/v1/parcels?limit=0&bbox=" + f.bbox, status: 400, code: "invalid_value", field: "limit"},
		{name: "limit zero at a point", target: fmt.Sprintf("/api/v1/parcels?limit=0&lon=%v&lat=%v", f.lon, f.lat), status: 400, code: "invalid_value", field: "limit"},
		{name: "limit over the cap", target: "/api/v1/parcels?limit=501&bbox=" + f.bbox, status: 400, code: "invalid_value", field: "limit"},
	})

	// Outside the document on purpose: an empty plate, an unknown route.
	for _, tc := range []struct{ method, target, code, field string }{
		{"GET", "/api/v1/parcels/", "missing_field", "id"},
		{"GET", "/api/v1/nowhere", "not_found", ""},
		{"POST", "/api/v1/plan", "not_found", ""},
	} {
		res := a.serve(tc.method, tc.target, "")
		e, _ := res.JSON(t)["error"].(map[string]any)
		if e["code"] != tc.code || fieldOf(e) != tc.field {
			t.Errorf("%s %s: %d %s", tc.method, tc.target, res.Status, res.Body)
		}
	}
}

// effective returns the test bundle's effective date.
func effective(t testing.TB) string {
	return testBundle(t).Manifest.EffectiveFrom.Format("2006-01-02")
}

func TestLayers(t *testing.T) {
	a := newApp(t, importBundle(t))
	b := testBundle(t)
	f := newFixture(t, b)
	// A box around the whole city: every layer has features in it.
	lo, hi, _ := f.proj.ReverseEnvelope(extent(b)).MinMaxXYs()
	city := fmt.Sprintf("%v,%v,%v,%v", lo.X, lo.Y, hi.X, hi.Y)
	var cases []apiCase
	for _, l := range layers.AllLayers {
		n := b.Counts()[l]
		cases = append(cases, apiCase{name: string(l), target: "/api/v1/layers/" + string(l) + "?bbox=" + city, status: 200,
			check: func(t *testing.T, res *response) {
				if got := len(featureIDs(t, res)); got != min(n, 500) {
					t.Errorf("%d features, want %d", got, min(n, 500))
				}
			}})
	}
	cases = append(cases,
		apiCase{name: "limited", target: "/api/v1/layers/streets?limit=2&bbox=" + city, status: 200, check: func(t *testing.T, res *response) {
			if got := len(featureIDs(t, res)); got != 2 {
				t.Errorf("%d features, want 2", got)
			}
		}},
		apiCase{name: "unknown layer", target: "/api/v1/layers/roads?bbox=" + city, status: 400, code: "invalid_value", field: "layer"},
		apiCase{name: "no bbox", target: "/api/v1/layers/streets", status: 400, code: "missing_field", field: "bbox"},
		apiCase{name: "before the first version", target: "/api/v1/layers/streets?as_of=1999-01-01&bbox=" + city, status: 404, code: "no_plan_version", field: "as_of"},
	)
	runCases(t, a, cases)
}

// extent is the metric envelope of a bundle's features.
func extent(b *layers.Bundle) geom.Envelope {
	var env geom.Envelope
	for _, p := range b.Parcels {
		env = env.ExpandToIncludeEnvelope(p.Geom.Envelope())
	}
	for _, s := range b.Streets {
		env = env.ExpandToIncludeEnvelope(s.Geom.Envelope())
	}
	return env
}
