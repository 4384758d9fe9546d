package api_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/parvaneh/parvaneh/layers/memstore"
)

// hasRepair checks an estimate lists a repair with the code.
func hasRepair(code string) func(t *testing.T, res *response) {
	return func(t *testing.T, res *response) {
		t.Helper()
		repairs, _ := res.JSON(t)["repairs"].([]any)
		for _, r := range repairs {
			if s, _ := r.(string); strings.HasPrefix(s, code+":") {
				return
			}
		}
		t.Errorf("repairs %v, want one %s", repairs, code)
	}
}

func TestEstimates(t *testing.T) {
	a := newApp(t, importBundle(t))
	f := newFixture(t, testBundle(t))
	byID := a.do(t, http.MethodGet, "/api/v1/estimates?parcel_id="+f.plate, "")
	if byID.Status != http.StatusOK {
		t.Fatalf("GET estimate of %s: %d %s", f.plate, byID.Status, byID.Body)
	}
	facts := byID.JSON(t)["facts"]

	post := func(fields map[string]any) string {
		b, err := json.Marshal(fields)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	geometry := func(g string) string { return `{"geometry":` + g + `}` }
	open := f.ring[:len(f.ring)-1]
	runCases(t, a, []apiCase{
		{name: "GET by plate", target: "/api/v1/estimates?parcel_id=" + f.plate, status: 200, check: func(t *testing.T, res *response) {
			golden(t, "estimate_parcel", res.JSON(t))
		}},
		// N = 0: the pack stops, no figures.
		{name: "GET in the street", target: "/api/v1/estimates?parcel_id=" + notable(t, "wholly_in_street"), status: 200, check: func(t *testing.T, res *response) {
			golden(t, "estimate_in_street", res.JSON(t))
		}},
		// Figures, but no money.
		{name: "GET outside every value block", target: "/api/v1/estimates?parcel_id=" + notable(t, "no_value_block"), status: 200, check: func(t *testing.T, res *response) {
			golden(t, "estimate_no_value_block", res.JSON(t))
		}},
		{name: "GET by escaped plate", target: "/api/v1/estimates?parcel_id=" + strings.ReplaceAll(f.plate, "/", "%2F"), status: 200, check: sameBody(byID)},
		{name: "POST by plate", method: "POST", target: "/api/v1/estimates", body: post(map[string]any{"parcel_id": f.plate}), status: 200, check: sameBody(byID)},
		{name: "POST by plate as of the effective date", method: "POST", target: "/api/v1/estimates",
			body: post(map[string]any{"parcel_id": f.plate, "as_of": effective(t)}), status: 200},

		// The parcel's own outline measures as the parcel: same facts.
		{name: "POST the parcel's outline", method: "POST", target: "/api/v1/estimates", body: geometry(polygon(f.ring)), status: 200,
			check: func(t *testing.T, res *response) {
				v := res.JSON(t)
				if _, ok := v["parcel"]; ok {
					t.Error("an estimate of a geometry names a parcel")
				}
				if _, ok := v["repairs"]; ok {
					t.Errorf("a valid outline was repaired: %v", v["repairs"])
				}
				// Through WGS84 and back the outline moves by micrometres:
				// areas are the same to 0.01 m², distances to the millimetre.
				if got, want := millimetres(v["facts"]), millimetres(facts); !reflect.DeepEqual(got, want) {
					t.Errorf("facts of the outline differ from the stored parcel's:\n%v\n%v", got, want)
				}
				golden(t, "estimate_geometry", v)
			}},
		{name: "POST a Feature", method: "POST", target: "/api/v1/estimates",
			body: geometry(`{"type":"Feature","properties":{"x":1},"geometry":` + polygon(f.ring) + `}`), status: 200},
		{name: "POST a MultiPolygon", method: "POST", target: "/api/v1/estimates",
			body: post(map[string]any{"geometry": map[string]any{"type": "MultiPolygon", "coordinates": [][][][2]float64{{f.ring}}}}), status: 200},
		{name: "unclosed ring is closed", method: "POST", target: "/api/v1/estimates", body: geometry(polygon(open)), status: 200, check: hasRepair("not_closed")},
		{name: "bowtie is repaired", method: "POST", target: "/api/v1/estimates", body: geometry(polygon(f.bowtie)), status: 200, check: hasRepair("self_intersection")},

		{name: "latitude first", method: "POST", target: "/api/v1/estimates", body: geometry(polygon(swapped(f.ring))), status: 400, code: "outside_municipality", field: "geometry"},
		{name: "too few points", method: "POST", target: "/api/v1/estimates", body: geometry(polygon(f.ring[:2])), status: 400, code: "bad_geometry.too_few_points", field: "geometry"},
		{name: "not a ring", method: "POST", target: "/api/v1/estimates", body: geometry(`{"type":"Polygon","coordinates":[51,35]}`), status: 400, code: "bad_geometry.bad_coordinates", field: "geometry"},
		{name: "a point", method: "POST", target: "/api/v1/estimates", body: geometry(fmt.Sprintf(`{"type":"Point","coordinates":[%v,%v]}`, f.lon, f.lat)), status: 400, code: "bad_geometry.bad_type", field: "geometry"},
		{name: "no type", method: "POST", target: "/api/v1/estimates", body: geometry(`{"coordinates":[]}`), status: 400, code: "bad_geometry.bad_type", field: "geometry"},
		{name: "longitude out of range", method: "POST", target: "/api/v1/estimates", body: geometry(`{"type":"Polygon","coordinates":[[[200,35],[200.1,35],[200.1,35.1]]]}`), status: 400, code: "bad_geometry.out_of_range", field: "geometry"},
		{name: "both plate and geometry", method: "POST", target: "/api/v1/estimates",
			body: post(map[string]any{"parcel_id": f.plate, "geometry": json.RawMessage(polygon(f.ring))}), status: 400, code: "invalid_value", field: "geometry"},
		{name: "neither plate nor geometry", method: "POST", target: "/api/v1/estimates", body: `{}`, status: 400, code: "missing_field", field: "parcel_id"},
		{name: "unknown field", method: "POST", target: "/api/v1/estimates", body: `{"parcel_id":"1/1","parcel":"1/1"}`, status: 400, code: "bad_json", field: "parcel"},
		{name: "field name in another case", method: "POST", target: "/api/v1/estimates", body: `{"Parcel_ID":"` + f.plate + `"}`, status: 400, code: "bad_json", field: "Parcel_ID"},
		{name: "wrong type", method: "POST", target: "/api/v1/estimates", body: `{"parcel_id":12}`, status: 400, code: "bad_json", field: "parcel_id"},
		{name: "not JSON", method: "POST", target: "/api/v1/estimates", body: `{"parcel_id":`, status: 400, code: "bad_json"},
		{name: "trailing data", method: "POST", target: "/api/v1/estimates", body: `{"parcel_id":"1/1"} {}`, status: 400, code: "bad_json"},
		{name: "body too large", method: "POST", target: "/api/v1/estimates",
			body: `{"parcel_id":"` + strings.Repeat("1", 64<<10) + `"}`, status: 413, code: "body_too_large"},

		{name: "GET without plate", target: "/api/v1/estimates", status: 400, code: "missing_field", field: "parcel_id"},
		{name: "GET unknown plate", target: "/api/v1/estimates?parcel_id=99999/1", status: 404, code: "parcel_not_found", field: "parcel_id"},
		{name: "POST unknown plate", method: "POST", target: "/api/v1/estimates", body: `{"parcel_id":"99999/1"}`, status: 404, code: "parcel_not_found", field: "parcel_id"},
		{name: "GET before the first version", target: "/api/v1/estimates?as_of=1999-01-01&parcel_id=" + f.plate, status: 404, code: "no_plan_version", field: "as_of"},
		{name: "POST plate before the first version", method: "POST", target: "/api/v1/estimates",
			body: post(map[string]any{"parcel_id": f.plate, "as_of": "1999-01-01"}), status: 404, code: "no_plan_version", field: "as_of"},
		{name: "POST geometry before the first version", method: "POST", target: "/api/v1/estimates",
			body: post(map[string]any{"geometry": json.RawMessage(polygon(f.ring)), "as_of": "1999-01-01"}), status: 404, code: "no_plan_version", field: "as_of"},
		{name: "GET malformed as_of", target: "/api/v1/estimates?as_of=21/03/2025&parcel_id=" + f.plate, status: 400, code: "invalid_value", field: "as_of"},
		{name: "POST malformed as_of", method: "POST", target: "/api/v1/estimates",
			body: post(map[string]any{"parcel_id": f.plate, "as_of": "1404-01-01T00:00:00Z"}), status: 400, code: "invalid_value", field: "as_of"},
	})
}

// sameBody checks an answer is byte for byte another.
func sameBody(want *response) func(t *testing.T, res *response) {
	return func(t *testing.T, res *response) {
		t.Helper()
		if string(res.Body) != string(want.Body) {
			t.Errorf("body differs:\n%s\nwant\n%s", clip(res.Body), clip(want.Body))
		}
	}
}

// millimetres returns decoded JSON with every distance_m rounded to 1 mm.
func millimetres(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			if n, ok := x.(json.Number); ok && k == "distance_m" {
				f, _ := n.Float64()
				x = math.Round(f * 1000)
			}
			out[k] = millimetres(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = millimetres(x)
		}
		return out
	}
	return v
}

// TestNotInRulePack: a plan whose detailed-plan zones carry a code the rule
// pack's zone table lacks gets 422 not_in_rule_pack naming the table and
// code from every job on such a parcel, never a 500; the operator's log
// hears of it.
func TestNotInRulePack(t *testing.T) {
	b := *testBundle(t)
	b.DetailedPlan = slices.Clone(b.DetailedPlan)
	for i := range b.DetailedPlan {
		b.DetailedPlan[i].Code = "R999"
	}
	st := memstore.New()
	t.Cleanup(st.Close)
	if _, err := st.Import(t.Context(), &b); err != nil {
		t.Fatal(err)
	}
	a := newApp(t, st)
	f := newFixture(t, testBundle(t))
	detail := func(t *testing.T, res *response) {
		t.Helper()
		noLeak(t, res)
		if e, _ := res.JSON(t)["error"].(map[string]any); e["detail"] != `table zone has no row "R999"` {
			t.Errorf("detail %v", e["detail"])
		}
	}
	runCases(t, a, []apiCase{
		{name: "estimate", target: "/api/v1/estimates?parcel_id=" + f.plate, status: 422, code: "not_in_rule_pack", check: detail},
		{name: "validation", method: "POST", target: "/api/v1/validations", status: 422, code: "not_in_rule_pack", check: detail,
			body: `{"parcel_id":"` + f.plate + `","floors":[{"level":0,"residential_area_m2":50}],"parking_spaces":1,"footprint_area_m2":50,"height_m":3.5}`},
		{name: "violations", method: "POST", target: "/api/v1/violations", status: 422, code: "not_in_rule_pack", check: detail,
			body: `{"parcel_id":"` + f.plate + `","permit":null,"survey":{"residential_area_m2":50,"floors":1,"parking_spaces":0}}`},
	})
	if !strings.Contains(a.logs.String(), "the plan and the rule pack disagree") {
		t.Errorf("the log does not say so:\n%s", a.logs.String())
	}
}
