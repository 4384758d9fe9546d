package api_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// violationCase reads a test case of package permits, with members of the
// survey replaced (a nil value removes the member) and top-level members
// set.
func violationCase(t *testing.T, name string, top, survey map[string]any) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "permits", "testdata", "violations", name+".case.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	setMembers(m, top)
	if s, ok := m["survey"].(map[string]any); ok {
		setMembers(s, survey)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestViolations(t *testing.T) {
	a := newApp(t, importBundle(t))
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	post := poster("/api/v1/violations")
	ruling := func(id, ruling string, fine any) func(*testing.T, *response) {
		return func(t *testing.T, res *response) {
			v := res.JSON(t)
			vs, _ := v["violations"].([]any)
			for _, x := range vs {
				if x, _ := x.(map[string]any); x["id"] == id {
					if x["ruling"] != ruling || x["fine"] != fine {
						t.Errorf("%s: ruling %v, fine %v; want %s, %v", id, x["ruling"], x["fine"], ruling, fine)
					}
					return
				}
			}
			t.Errorf("no violation %s in %v", id, vs)
		}
	}
	runCases(t, a, []apiCase{
		post("built as permitted", violationCase(t, "none", nil, nil), 200, "", "", func(t *testing.T, res *response) {
			v := res.JSON(t)
			if v["found"] != json.Number("0") || v["fines_total_rial"] != json.Number("0") {
				t.Errorf("found %v, fines total %v; want 0, 0", v["found"], v["fines_total_rial"])
			}
		}),
		post("residential excess", violationCase(t, "residential_r10", nil, nil), 200, "", "", ruling("residential_excess", "fine", json.Number("721000000"))),
		post("encroachment from a footprint", violationCase(t, "encroachment", nil, nil), 200, "", "", ruling("encroachment", "demolition", nil)),
		post("without a permit", violationCase(t, "no_permit", nil, nil), 200, "", "", func(t *testing.T, res *response) {
			if v := res.JSON(t); v["permit"] != nil || v["fines_total_rial"] != json.Number("4635056650") {
				t.Errorf("permit %v, fines total %v; want null, 4635056650", v["permit"], v["fines_total_rial"])
			}
		}),
		post("as of a date", violationCase(t, "floors_over", map[string]any{"as_of": effective(t)}, nil), 200, "", "", ruling("floors_over_zone", "demolition", nil)),

		post("not JSON", `{"parcel_id":`, 400, "bad_json", "", nil),
		post("unknown member", violationCase(t, "none", map[string]any{"ruling": "fine"}, nil), 400, "bad_json", "ruling", nil),
		post("no permit member", violationCase(t, "none", map[string]any{"permit": nil}, nil), 400, "missing_field", "permit", nil),
		post("survey floors missing", violationCase(t, "none", nil, map[string]any{"floors": nil}), 400, "missing_field", "survey.floors", nil),
		post("survey negative area", violationCase(t, "none", nil, map[string]any{"commercial_area_m2": -1}), 400, "invalid_value", "survey.commercial_area_m2", nil),
		post("permit as text", violationCase(t, "none", map[string]any{"permit": "none"}, nil), 400, "bad_json", "permit", nil),
		post("footprint not a polygon", violationCase(t, "encroachment", nil, map[string]any{"footprint": raw(`{"type":"Point","coordinates":[50.001,36.267]}`)}), 400, "bad_geometry.bad_type", "survey.footprint", nil),
		post("footprint in the wrong hemisphere", violationCase(t, "encroachment", nil, map[string]any{"footprint": square(50.001, -36.267)}), 400, "outside_municipality", "survey.footprint", nil),
		post("footprint on another parcel", violationCase(t, "encroachment", nil, map[string]any{"footprint": square(49.9952, 36.2663)}), 400, "invalid_value", "survey.footprint", nil),
		post("unknown plate", violationCase(t, "none", map[string]any{"parcel_id": "99999/1"}, nil), 404, "parcel_not_found", "parcel_id", nil),
		post("before the first plan", violationCase(t, "none", map[string]any{"as_of": "1999-01-01"}, nil), 404, "no_plan_version", "as_of", nil),
		post("a 50 MB body", `{"reference":"`+strings.Repeat("x", 50<<20)+`"}`, 413, "body_too_large", "", nil),
		post("still answering", violationCase(t, "none", nil, nil), 200, "", "", nil),
	})
}
