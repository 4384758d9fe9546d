package api_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// proposal reads a test proposal of package permits, with members replaced
// (a nil value removes the member).
func proposal(t *testing.T, name string, set map[string]any) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "permits", "testdata", "validations", name+".proposal.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(set) == 0 {
		return string(data)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	setMembers(m, set)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// setMembers sets members of a JSON object; a nil value removes the member.
func setMembers(m, set map[string]any) {
	for k, v := range set {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
}

// square is a GeoJSON polygon about 10 m across, its south-west corner at
// lon, lat.
func square(lon, lat float64) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{
		{lon, lat}, {lon + 0.0001, lat}, {lon + 0.0001, lat + 0.0001}, {lon, lat + 0.0001}, {lon, lat}}}})
	return b
}

// poster makes the cases of POST target: a body and the answer wanted.
func poster(target string) func(name, body string, status int, code, field string, check func(*testing.T, *response)) apiCase {
	return func(name, body string, status int, code, field string, check func(*testing.T, *response)) apiCase {
		return apiCase{name: name, method: http.MethodPost, target: target, body: body,
			status: status, code: code, field: field, check: check}
	}
}

func TestValidations(t *testing.T) {
	a := newApp(t, importBundle(t))
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	var thousands []string
	for i := range 2000 { // 2,000 storeys fit the test server's 64 KiB body limit
		thousands = append(thousands, `{"level":`+strconv.Itoa(i)+`}`)
	}
	post := poster("/api/v1/validations")
	runCases(t, a, []apiCase{
		post("a passing proposal", proposal(t, "pass_widened_r112", nil), 200, "", "", func(t *testing.T, res *response) {
			v := res.JSON(t)
			if v["passed"] != true || v["failed"] != json.Number("0") || v["dues_total_rial"] != json.Number("492000000") {
				t.Errorf("passed %v, failed %v, dues total %v; want true, 0, 492000000", v["passed"], v["failed"], v["dues_total_rial"])
			}
			golden(t, "validation_pass", v)
		}),
		post("a footprint across the widening line", proposal(t, "footprint_across_widening", nil), 200, "", "", func(t *testing.T, res *response) {
			v := res.JSON(t)
			checks, _ := v["checks"].([]any)
			first, _ := checks[0].(map[string]any)
			fp, _ := v["footprint"].(map[string]any)
			if v["passed"] != false || first["id"] != "setback" || first["pass"] != false || fp["outside_net_m2"] != json.Number("18") {
				t.Errorf("passed %v, first check %v, footprint %v; want the setback failing first, 18 m² outside the net parcel", v["passed"], first, fp)
			}
		}),
		post("as of a date", proposal(t, "units_missing", map[string]any{"as_of": effective(t)}), 200, "", "", nil),
		post("a parcel in the street", proposal(t, "in_street", nil), 200, "", "", func(t *testing.T, res *response) {
			if v := res.JSON(t); v["passed"] != false || v["stop"] == nil {
				t.Errorf("passed %v, stop %v; want a stop, not passed", v["passed"], v["stop"])
			}
		}),

		post("not JSON", `{"parcel_id":`, 400, "bad_json", "", nil),
		post("unknown member", proposal(t, "pass_r131", map[string]any{"storeys": 7}), 400, "bad_json", "storeys", nil),
		post("member in another case", proposal(t, "pass_r131", map[string]any{"Height_M": 7}), 400, "bad_json", "Height_M", nil),
		post("no floors", proposal(t, "pass_r131", map[string]any{"floors": nil}), 400, "missing_field", "floors", nil),
		post("negative area", proposal(t, "pass_r131", map[string]any{"floors": raw(`[{"level":0,"commercial_area_m2":-1}]`)}), 400, "invalid_value", "floors[0].commercial_area_m2", nil),
		post("negative unit", proposal(t, "pass_r131", map[string]any{"floors": raw(`[{"level":0,"units_m2":[60,-1]}]`)}), 400, "invalid_value", "floors[0].units_m2[1]", nil),
		post("a floor listed twice", proposal(t, "pass_r131", map[string]any{"floors": raw(`[{"level":0},{"level":1},{"level":1}]`)}), 400, "invalid_value", "floors[2].level", nil),
		post("a level as text", proposal(t, "pass_r131", map[string]any{"floors": raw(`[{"level":"0"}]`)}), 400, "bad_json", "floors[0].level", nil),
		post("thousands of floors", proposal(t, "pass_r131", map[string]any{"floors": raw("[" + strings.Join(thousands, ",") + "]")}), 400, "invalid_value", "floors", nil),
		post("footprint not a polygon", proposal(t, "pass_r131", map[string]any{"footprint": raw(`{"type":"Point","coordinates":[50.001,36.267]}`)}), 400, "bad_geometry.bad_type", "footprint", nil),
		post("footprint in the wrong hemisphere", proposal(t, "pass_r131", map[string]any{"footprint": square(50.001, -36.267)}), 400, "outside_municipality", "footprint", nil),
		post("footprint on another parcel", proposal(t, "pass_r131", map[string]any{"footprint": square(49.9952, 36.2663)}), 400, "invalid_value", "footprint", nil),
		post("both footprint and its area", proposal(t, "pass_r131", map[string]any{"footprint_area_m2": 100}), 400, "invalid_value", "footprint_area_m2", nil),
		post("parcel outline not a polygon", proposal(t, "parcel_by_outline", map[string]any{"parcel": raw(`{"type":"LineString","coordinates":[[50,36],[50.1,36.1]]}`)}), 400, "bad_geometry.bad_type", "parcel", nil),
		post("unknown plate", proposal(t, "pass_r131", map[string]any{"parcel_id": "99999/1", "footprint": nil, "footprint_area_m2": 100}), 404, "parcel_not_found", "parcel_id", nil),
		post("before the first plan", proposal(t, "pass_r131", map[string]any{"as_of": "1999-01-01"}), 404, "no_plan_version", "as_of", nil),
		post("a 50 MB body", `{"reference":"`+strings.Repeat("x", 50<<20)+`"}`, 413, "body_too_large", "", nil),
		// The server stays up after every refusal above.
		post("still answering", proposal(t, "pass_widened_r112", nil), 200, "", "", nil),
	})
}
