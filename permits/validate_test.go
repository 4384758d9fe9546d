package permits_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parvaneh/parvaneh/permits"
)

// validationCases are the proposals under testdata/validations, each on a
// parcel of the sample city, with what the hand arithmetic of
// testdata/validations/README.md expects: the checks that fail and the dues
// total (-1: no total, the parcel has no value block or the pack stopped).
// The golden NAME.golden.json holds the whole report.
var validationCases = []struct {
	name    string
	failing []string
	total   int64
	stop    bool
}{
	{name: "commercial_in_r_zone", failing: []string{"commercial_use"}, total: 2_255_000_000},
	{name: "commercial_parking_step", failing: []string{"parking"}, total: 5_470_547_000},
	{name: "commercial_s111", failing: []string{}, total: 14_440_800_000},
	{name: "floor_area_at_limit", failing: []string{}, total: 6_491_047_704},
	{name: "floor_area_over", failing: []string{"floor_area"}, total: 6_491_723_796},
	{name: "floors_over", failing: []string{"floors"}, total: 525_120_000},
	{name: "floors_over_narrow_street", failing: []string{"floors"}, total: 448_740_000},
	{name: "footprint_across_widening", failing: []string{"setback"}, total: 496_238_400},
	{name: "footprint_at_limit", failing: []string{}, total: 586_033_920},
	{name: "footprint_over", failing: []string{"footprint"}, total: 586_073_304},
	{name: "footprint_over_neighbour", failing: []string{"setback"}, total: 318_816_000},
	{name: "green_space", failing: []string{"floors", "floor_area", "footprint"}, total: 4_460_320_000},
	{name: "height_at_cap", failing: []string{}, total: 1_417_824_000},
	{name: "height_over_cap", failing: []string{"height"}, total: 1_417_824_000},
	{name: "historic_two_storeys", failing: []string{}, total: 324_720_000},
	{name: "in_street", failing: []string{}, total: -1, stop: true},
	{name: "mixed_commercial_upstairs", failing: []string{"commercial_ground_only"}, total: 4_140_420_000},
	{name: "mixed_ground_commercial", failing: []string{}, total: 6_273_696_000},
	{name: "no_value_block", failing: []string{}, total: -1},
	{name: "parcel_by_outline", failing: []string{}, total: 418_200_000},
	{name: "parking_shortfall_refused", failing: []string{"parking"}, total: 492_000_000},
	{name: "pass_r131", failing: []string{}, total: 964_908_000},
	{name: "pass_widened_r112", failing: []string{}, total: 492_000_000},
	{name: "purchased_density", failing: []string{}, total: 3_802_962_800},
	{name: "shortfall_allowed_landlocked", failing: []string{}, total: 2_580_222_000},
	{name: "shortfall_allowed_narrow_street", failing: []string{}, total: 1_495_800_000},
	{name: "shortfall_allowed_small_lot", failing: []string{}, total: 1_143_230_000},
	{name: "shortfall_refused_6m_street", failing: []string{"parking"}, total: 418_200_000},
	{name: "unit_size_steps", failing: []string{}, total: 1_476_036_900},
	{name: "units_missing", failing: []string{"units_declared"}, total: 41_000_000},
}

// TestValidationGolden validates every test proposal against the embedded
// store: the expected checks fail, the dues total is the hand-computed one,
// and the report is the golden one.
func TestValidationGolden(t *testing.T) {
	svc, _, _ := sampleCity(t)
	testValidations(t, svc, true)
}

// TestValidationGoldenPostGIS gives the same reports, byte for byte, from
// PostGIS: both stores measure the footprints alike.
func TestValidationGoldenPostGIS(t *testing.T) {
	testValidations(t, postgisCity(t), false)
}

func testValidations(t *testing.T, svc *permits.Service, write bool) {
	files, err := filepath.Glob(filepath.Join("testdata", "validations", "*.proposal.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(validationCases) {
		t.Errorf("%d proposals under testdata/validations, %d cases here", len(files), len(validationCases))
	}
	for _, tc := range validationCases {
		t.Run(tc.name, func(t *testing.T) {
			v := validate(t, svc, filepath.Join("testdata", "validations", tc.name+".proposal.json"))
			var failing []string
			for i, c := range v.Checks {
				if !c.Pass {
					failing = append(failing, c.ID)
					if i > 0 && v.Checks[i-1].Pass {
						t.Errorf("failing check %s listed after a passing one", c.ID)
					}
				}
			}
			if !sameSet(failing, tc.failing) {
				t.Errorf("failing checks %v, want %v", failing, tc.failing)
			}
			if v.Failed != len(tc.failing) || v.Passed != (len(tc.failing) == 0 && !tc.stop) {
				t.Errorf("failed %d, passed %v; want %d, %v", v.Failed, v.Passed, len(tc.failing), len(tc.failing) == 0 && !tc.stop)
			}
			switch {
			case tc.total < 0 && v.DuesTotal != nil:
				t.Errorf("dues total %d, want none", *v.DuesTotal)
			case tc.total >= 0 && (v.DuesTotal == nil || *v.DuesTotal != tc.total):
				t.Errorf("dues total %v, want %d", deref(v.DuesTotal), tc.total)
			}
			if (v.Stop != nil) != tc.stop {
				t.Errorf("stop %+v, want stop %v", v.Stop, tc.stop)
			}
			if v.Plan.Label == "" || v.RulePack.ID != "nemuneh" || v.RulePack.Version == "" {
				t.Errorf("plan %+v, rule pack %+v: the versions used are not named", v.Plan, v.RulePack)
			}
			path := filepath.Join("testdata", "validations", tc.name+".golden.json")
			if write {
				golden(t, path, v)
			} else {
				same(t, path, v)
			}
		})
	}
}

func validate(t *testing.T, svc *permits.Service, path string) *permits.Validation {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := permits.ParseProposal(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	v, err := svc.Validate(context.Background(), p)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// same compares a report with a golden file without ever rewriting it.
func same(t *testing.T, path string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got)+"\n" != string(want) {
		t.Errorf("%s differs:\n%s", path, firstDiff(string(want), string(got)+"\n"))
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(a, b)
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestValidateRefusals shows each kind of bad proposal refused with the
// member at fault named.
func TestValidateRefusals(t *testing.T) {
	svc, _, _ := sampleCity(t)
	good, err := os.ReadFile(filepath.Join("testdata", "validations", "pass_r131.proposal.json"))
	if err != nil {
		t.Fatal(err)
	}
	// edit returns the good proposal with one member replaced (nil: removed).
	edit := func(member string, value any) string {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		if value == nil {
			delete(m, member)
		} else {
			m[member] = value
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	floors := func(fs ...string) json.RawMessage { return json.RawMessage("[" + strings.Join(fs, ",") + "]") }
	square := func(lon, lat float64) json.RawMessage {
		b, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{
			{lon, lat}, {lon + 0.0001, lat}, {lon + 0.0001, lat + 0.0001}, {lon, lat + 0.0001}, {lon, lat}}}})
		return b
	}
	many := make([]string, permits.MaxFloors+1)
	for i := range many {
		many[i] = `{"level":` + itoa(i) + `}`
	}
	tests := []struct {
		name, body  string
		code, field string
		reason      string // geo reason, for geometry refusals
		outside     bool
		offParcel   bool
	}{
		{name: "not JSON", body: `{"parcel_id":`, code: permits.CodeBadJSON},
		{name: "not an object", body: `[1,2]`, code: permits.CodeBadJSON},
		{name: "trailing data", body: string(good) + `{}`, code: permits.CodeBadJSON},
		{name: "unknown member", body: edit("storeys", 3), code: permits.CodeBadJSON, field: "storeys"},
		{name: "name in another case", body: edit("Parking_Spaces", 3), code: permits.CodeBadJSON, field: "Parking_Spaces"},
		{name: "member twice", body: `{"parcel_id":"107/2","parcel_id":"107/3"}`, code: permits.CodeBadJSON, field: "parcel_id"},
		{name: "no parcel", body: edit("parcel_id", nil), code: permits.CodeMissing, field: "parcel_id"},
		{name: "both parcel and outline", body: edit("parcel", square(50.0010, 36.2670)), code: permits.CodeInvalid, field: "parcel"},
		{name: "no floors", body: edit("floors", nil), code: permits.CodeMissing, field: "floors"},
		{name: "empty floors", body: edit("floors", floors()), code: permits.CodeInvalid, field: "floors"},
		{name: "no height", body: edit("height_m", nil), code: permits.CodeMissing, field: "height_m"},
		{name: "no parking", body: edit("parking_spaces", nil), code: permits.CodeMissing, field: "parking_spaces"},
		{name: "negative parking", body: edit("parking_spaces", -1), code: permits.CodeInvalid, field: "parking_spaces"},
		{name: "fractional parking", body: edit("parking_spaces", 2.5), code: permits.CodeInvalid, field: "parking_spaces"},
		{name: "height as text", body: edit("height_m", "24.5"), code: permits.CodeBadJSON, field: "height_m"},
		{name: "height null", body: edit("height_m", json.RawMessage("null")), code: permits.CodeBadJSON, field: "height_m"},
		{name: "height too great", body: edit("height_m", 5000), code: permits.CodeInvalid, field: "height_m"},
		{name: "number out of float range", body: edit("height_m", json.RawMessage("1e999")), code: permits.CodeInvalid, field: "height_m"},
		{name: "negative area", body: edit("floors", floors(`{"level":0,"residential_area_m2":-5}`)), code: permits.CodeInvalid, field: "floors[0].residential_area_m2"},
		{name: "negative unit", body: edit("floors", floors(`{"level":0}`, `{"level":1,"units_m2":[60,-60]}`)), code: permits.CodeInvalid, field: "floors[1].units_m2[1]"},
		{name: "unit of nothing", body: edit("floors", floors(`{"level":0,"units_m2":[0]}`)), code: permits.CodeInvalid, field: "floors[0].units_m2[0]"},
		{name: "units larger than the residential area", body: edit("floors", floors(`{"level":0,"residential_area_m2":100,"units_m2":[60,60]}`)), code: permits.CodeInvalid, field: "floors[0].residential_area_m2"},
		{name: "floor listed twice", body: edit("floors", floors(`{"level":0}`, `{"level":1}`, `{"level":1}`)), code: permits.CodeInvalid, field: "floors[2].level"},
		{name: "a gap in the levels", body: edit("floors", floors(`{"level":0}`, `{"level":1}`, `{"level":3}`)), code: permits.CodeInvalid, field: "floors[2].level"},
		{name: "no ground floor", body: edit("floors", floors(`{"level":1}`)), code: permits.CodeInvalid, field: "floors"},
		{name: "fractional level", body: edit("floors", floors(`{"level":0.5}`)), code: permits.CodeInvalid, field: "floors[0].level"},
		{name: "level missing", body: edit("floors", floors(`{"units_m2":[60]}`)), code: permits.CodeMissing, field: "floors[0].level"},
		{name: "level far too high", body: edit("floors", floors(`{"level":0}`, `{"level":5000}`)), code: permits.CodeInvalid, field: "floors[1].level"},
		{name: "basement far too deep", body: edit("floors", floors(`{"level":0}`, `{"level":-50}`)), code: permits.CodeInvalid, field: "floors[1].level"},
		{name: "thousands of floors", body: edit("floors", floors(many...)), code: permits.CodeInvalid, field: "floors"},
		{name: "unknown storey member", body: edit("floors", floors(`{"level":0,"shops":1}`)), code: permits.CodeBadJSON, field: "floors[0].shops"},
		{name: "storey not an object", body: edit("floors", floors(`0`)), code: permits.CodeBadJSON, field: "floors[0]"},
		{name: "no footprint", body: edit("footprint", nil), code: permits.CodeMissing, field: "footprint"},
		{name: "footprint and its area", body: edit("footprint_area_m2", 120), code: permits.CodeInvalid, field: "footprint_area_m2"},
		{name: "footprint a point", body: edit("footprint", json.RawMessage(`{"type":"Point","coordinates":[50.001,36.267]}`)), field: "footprint", reason: "bad_type"},
		{name: "footprint a line", body: edit("footprint", json.RawMessage(`{"type":"LineString","coordinates":[[50.001,36.267],[50.002,36.268]]}`)), field: "footprint", reason: "bad_type"},
		{name: "footprint of two points", body: edit("footprint", json.RawMessage(`{"type":"Polygon","coordinates":[[[50.001,36.267],[50.002,36.268],[50.001,36.267]]]}`)), field: "footprint", reason: "too_few_points"},
		{name: "footprint in the southern hemisphere", body: edit("footprint", square(50.0010, -36.2670)), field: "footprint", outside: true},
		{name: "footprint latitude first", body: edit("footprint", square(36.2670, 50.0010)), field: "footprint", outside: true},
		{name: "footprint on another parcel", body: edit("footprint", square(49.9952, 36.2663)), field: "footprint", offParcel: true},
		{name: "parcel outline a point", body: edit("parcel_id", nil)[:1] + `"parcel":{"type":"Point","coordinates":[50,36]},` + edit("parcel_id", nil)[1:], field: "parcel", reason: "bad_type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := permits.ParseProposal([]byte(tc.body))
			if err == nil {
				_, err = svc.Validate(context.Background(), p)
			}
			if err == nil {
				t.Fatal("accepted")
			}
			var pe *permits.ProposalError
			var fe *permits.FieldError
			switch {
			case errors.As(err, &pe):
				if pe.Code != tc.code || pe.Field != tc.field {
					t.Errorf("refused %s at %q (%v); want %s at %q", pe.Code, pe.Field, err, tc.code, tc.field)
				}
			case errors.As(err, &fe):
				if fe.Field != tc.field {
					t.Errorf("refused at %q (%v), want %q", fe.Field, err, tc.field)
				}
				switch {
				case tc.reason != "":
					if !strings.HasPrefix(fe.Err.Error(), tc.reason+":") {
						t.Errorf("refused for %v, want reason %s", fe.Err, tc.reason)
					}
				case tc.outside && !errors.Is(err, permits.ErrOutsideMunicipality):
					t.Errorf("refused for %v, want ErrOutsideMunicipality", err)
				case tc.offParcel && !errors.Is(err, permits.ErrFootprintOffParcel):
					t.Errorf("refused for %v, want ErrFootprintOffParcel", err)
				}
			default:
				t.Errorf("error %v (%T) names no member", err, err)
			}
		})
	}
}

// FuzzParseProposal: whatever the bytes, ParseProposal answers a proposal
// or a refusal naming a member, and never panics.
func FuzzParseProposal(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "validations", "*.proposal.json"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"parcel_id":"1/1","floors":[{"level":0},{"level":0}]}`))
	f.Add([]byte(`{"parcel_id":"1/1","parcel_id":"1/1"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := permits.ParseProposal(data)
		var pe *permits.ProposalError
		var fe *permits.FieldError
		switch {
		case err == nil && p == nil:
			t.Fatal("no proposal and no error")
		case err == nil:
			if len(p.Floors) == 0 || len(p.Floors) > permits.MaxFloors {
				t.Fatalf("accepted %d floors", len(p.Floors))
			}
		case errors.As(err, &pe):
			if pe.Code != permits.CodeBadJSON && pe.Code != permits.CodeMissing && pe.Code != permits.CodeInvalid {
				t.Fatalf("unknown code %q", pe.Code)
			}
		case errors.As(err, &fe):
		default:
			t.Fatalf("error %v of type %T", err, err)
		}
	})
}

// TestProposalExamples keeps the examples of docs/proposal.md and
// examples/proposals valid: each is read and validated, and the documented
// one passes.
func TestProposalExamples(t *testing.T) {
	svc, _, _ := sampleCity(t)
	files, err := filepath.Glob(filepath.Join("..", "examples", "proposals", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples/proposals/*.json: %v", err)
	}
	for _, f := range files {
		validate(t, svc, f)
	}
	doc, err := os.ReadFile(filepath.Join("..", "docs", "proposal.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```json\n")
	block, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatal("docs/proposal.md has no ```json example")
	}
	p, err := permits.ParseProposal([]byte(block))
	if err != nil {
		t.Fatalf("the example of docs/proposal.md: %v", err)
	}
	v, err := svc.Validate(context.Background(), p)
	if err != nil || !v.Passed {
		t.Fatalf("the example of docs/proposal.md: passed %v, %v", v != nil && v.Passed, err)
	}
}
