package permits_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parvaneh/parvaneh/permits"
	"github.com/parvaneh/parvaneh/rules"
)

// found is one violation a case expects: its figure, ruling and fine (-1:
// none).
type found struct {
	figure float64
	ruling string
	fine   int64
}

// violationCases are the cases under testdata/violations, each on a parcel
// of the sample city, with what the hand arithmetic of
// testdata/violations/README.md expects: the exact set of violations and
// the total of the proposed fines. NAME.golden.json holds the whole review.
var violationCases = []struct {
	name        string
	violations  map[string]found
	total       int64
	encroaching float64 // survey.encroachment_area
}{
	{name: "none", violations: map[string]found{}},
	{name: "residential_r05", violations: map[string]found{"residential_excess": {50, rules.RulingFine, 180_250_000}}, total: 180_250_000},
	{name: "residential_r10", violations: map[string]found{"residential_excess": {100, rules.RulingFine, 721_000_000}}, total: 721_000_000},
	{name: "residential_r20", violations: map[string]found{"residential_excess": {200, rules.RulingFine, 2_884_000_000}}, total: 2_884_000_000},
	{name: "residential_r20_01", violations: map[string]found{"residential_excess": {200.01, rules.RulingFine, 4_326_216_300}}, total: 4_326_216_300},
	{name: "residential_over_30", violations: map[string]found{"residential_excess": {350, rules.RulingDemolition, -1}}},
	{name: "commercial_rc10", violations: map[string]found{"commercial_excess": {100, rules.RulingFine, 8_382_000_000}}, total: 8_382_000_000},
	{name: "commercial_rc20", violations: map[string]found{"commercial_excess": {200, rules.RulingFine, 25_146_000_000}}, total: 25_146_000_000},
	{name: "commercial_over_20", violations: map[string]found{"commercial_excess": {250, rules.RulingFine, 41_910_000_000}}, total: 41_910_000_000},
	{name: "parking_missing", violations: map[string]found{"parking_missing": {3, rules.RulingFine, 811_125_000}}, total: 811_125_000},
	{name: "encroachment", violations: map[string]found{"encroachment": {9, rules.RulingDemolition, -1}}, encroaching: 9},
	{name: "encroachment_under_half", violations: map[string]found{}, encroaching: 0.45},
	{name: "commercial_in_r_zone", violations: map[string]found{"use_not_allowed": {60, rules.RulingReferral, -1}}},
	{name: "floors_over", violations: map[string]found{"floors_over_zone": {2, rules.RulingDemolition, -1}}},
	{name: "no_permit", violations: map[string]found{
		"no_permit_residential": {1114.27, rules.RulingFine, 4_016_943_350},
		"residential_excess":    {85.73, rules.RulingFine, 618_113_300},
	}, total: 4_635_056_650},
}

// TestViolationsGolden reviews every test case against the embedded store:
// the expected violations with their rulings and fines, the hand-computed
// total, and the golden review.
func TestViolationsGolden(t *testing.T) {
	svc, _, _ := sampleCity(t)
	testViolations(t, svc, true)
}

// TestViolationsGoldenPostGIS gives the same reviews, byte for byte, from
// PostGIS: both stores measure the encroachments alike.
func TestViolationsGoldenPostGIS(t *testing.T) {
	testViolations(t, postgisCity(t), false)
}

func testViolations(t *testing.T, svc *permits.Service, write bool) {
	files, err := filepath.Glob(filepath.Join("testdata", "violations", "*.case.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(violationCases) {
		t.Errorf("%d cases under testdata/violations, %d here", len(files), len(violationCases))
	}
	for _, tc := range violationCases {
		t.Run(tc.name, func(t *testing.T) {
			rv := review(t, svc, filepath.Join("testdata", "violations", tc.name+".case.json"))
			if rv.Found != len(tc.violations) || len(rv.Violations) != len(tc.violations) {
				t.Errorf("found %d violations %+v, want %d", rv.Found, rv.Violations, len(tc.violations))
			}
			for _, v := range rv.Violations {
				want, ok := tc.violations[v.ID]
				if !ok {
					t.Errorf("violation %s (%v), want none", v.ID, v.Figure)
					continue
				}
				fine := int64(-1)
				if v.Fine != nil {
					fine = *v.Fine
				}
				if v.Figure != want.figure || v.Ruling != want.ruling || fine != want.fine {
					t.Errorf("%s: figure %v, ruling %s, fine %d; want %v, %s, %d", v.ID, v.Figure, v.Ruling, fine, want.figure, want.ruling, want.fine)
				}
			}
			if rv.FinesTotal == nil || *rv.FinesTotal != tc.total {
				t.Errorf("fines total %v, want %d", deref(rv.FinesTotal), tc.total)
			}
			if rv.Survey.EncroachmentArea != tc.encroaching {
				t.Errorf("encroachment %v m², want %v", rv.Survey.EncroachmentArea, tc.encroaching)
			}
			if rv.Plan.Label == "" || rv.RulePack.ID != "nemuneh" || rv.RulePack.Version == "" {
				t.Errorf("plan %+v, rule pack %+v: the versions used are not named", rv.Plan, rv.RulePack)
			}
			path := filepath.Join("testdata", "violations", tc.name+".golden.json")
			if write {
				golden(t, path, rv)
			} else {
				same(t, path, rv)
			}
		})
	}
}

func review(t *testing.T, svc *permits.Service, path string) *permits.Review {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := permits.ParseCase(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	rv, err := svc.Violations(context.Background(), c)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rv
}

// TestViolationsStop: a parcel wholly in the street cannot be reviewed; the
// review says why and gives no violations and no total.
func TestViolationsStop(t *testing.T) {
	svc, _, _ := sampleCity(t)
	c, err := permits.ParseCase([]byte(`{"parcel_id":"102/3","permit":null,"survey":{"residential_area_m2":100,"floors":1,"parking_spaces":0}}`))
	if err != nil {
		t.Fatal(err)
	}
	rv, err := svc.Violations(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if rv.Stop == nil || rv.Found != 0 || rv.FinesTotal != nil {
		t.Errorf("stop %v, found %d, total %v; want a stop, none, no total", rv.Stop, rv.Found, deref(rv.FinesTotal))
	}
}

// TestViolationsRefusals shows each kind of bad case refused with the
// member at fault named.
func TestViolationsRefusals(t *testing.T) {
	svc, _, _ := sampleCity(t)
	good, err := os.ReadFile(filepath.Join("testdata", "violations", "encroachment.case.json"))
	if err != nil {
		t.Fatal(err)
	}
	// edit returns the good case with the member at the dotted path replaced
	// (nil: removed).
	edit := func(path string, value any) string {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		obj, names := m, strings.Split(path, ".")
		for _, n := range names[:len(names)-1] {
			obj = obj[n].(map[string]any)
		}
		if last := names[len(names)-1]; value == nil {
			delete(obj, last)
		} else {
			obj[last] = value
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	square := func(lon, lat float64) json.RawMessage {
		b, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{
			{lon, lat}, {lon + 0.0001, lat}, {lon + 0.0001, lat + 0.0001}, {lon, lat + 0.0001}, {lon, lat}}}})
		return b
	}
	tests := []struct {
		name, body  string
		code, field string
		geometry    bool
	}{
		{name: "not JSON", body: `{"parcel_id":`, code: permits.CodeBadJSON},
		{name: "trailing data", body: string(good) + `{}`, code: permits.CodeBadJSON},
		{name: "unknown member", body: edit("verdict", "fine"), code: permits.CodeBadJSON, field: "verdict"},
		{name: "member twice", body: `{"parcel_id":"107/2","parcel_id":"107/3"}`, code: permits.CodeBadJSON, field: "parcel_id"},
		{name: "no parcel", body: edit("parcel_id", nil), code: permits.CodeMissing, field: "parcel_id"},
		{name: "both parcel and outline", body: edit("parcel", square(50.0010, 36.2670)), code: permits.CodeInvalid, field: "parcel"},
		{name: "no permit member", body: edit("permit", nil), code: permits.CodeMissing, field: "permit"},
		{name: "permit a number", body: edit("permit", 3), code: permits.CodeBadJSON, field: "permit"},
		{name: "no survey", body: edit("survey", nil), code: permits.CodeMissing, field: "survey"},
		{name: "survey null", body: edit("survey", json.RawMessage("null")), code: permits.CodeBadJSON, field: "survey"},
		{name: "unknown survey member", body: edit("survey.storeys", 3), code: permits.CodeBadJSON, field: "survey.storeys"},
		{name: "permit residential missing", body: edit("permit.residential_area_m2", nil), code: permits.CodeMissing, field: "permit.residential_area_m2"},
		{name: "survey floors missing", body: edit("survey.floors", nil), code: permits.CodeMissing, field: "survey.floors"},
		{name: "survey no floor", body: edit("survey.floors", 0), code: permits.CodeInvalid, field: "survey.floors"},
		{name: "fractional parking", body: edit("survey.parking_spaces", 2.5), code: permits.CodeInvalid, field: "survey.parking_spaces"},
		{name: "negative area", body: edit("permit.commercial_area_m2", -1), code: permits.CodeInvalid, field: "permit.commercial_area_m2"},
		{name: "area too great", body: edit("survey.residential_area_m2", 2e6), code: permits.CodeInvalid, field: "survey.residential_area_m2"},
		{name: "area as text", body: edit("survey.residential_area_m2", "250"), code: permits.CodeBadJSON, field: "survey.residential_area_m2"},
		{name: "bad date", body: edit("as_of", "1404-01-01x"), code: permits.CodeInvalid, field: "as_of"},
		{name: "footprint a point", body: edit("survey.footprint", json.RawMessage(`{"type":"Point","coordinates":[50.001,36.267]}`)), field: "survey.footprint", geometry: true},
		{name: "footprint latitude first", body: edit("survey.footprint", square(36.2670, 50.0010)), field: "survey.footprint", geometry: true},
		{name: "footprint on another parcel", body: edit("survey.footprint", square(49.9952, 36.2663)), field: "survey.footprint", geometry: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := permits.ParseCase([]byte(tc.body))
			if err == nil {
				_, err = svc.Violations(context.Background(), c)
			}
			var ce *permits.CaseError
			var pe *permits.ProposalError
			var fe *permits.FieldError
			switch {
			case err == nil:
				t.Fatal("accepted")
			case !errors.As(err, &ce):
				t.Errorf("error %v (%T) is not a *CaseError", err, err)
			case tc.geometry:
				if !errors.As(err, &fe) || fe.Field != tc.field {
					t.Errorf("refused with %v, want a geometry refusal at %q", err, tc.field)
				}
			case !errors.As(err, &pe) || pe.Code != tc.code || pe.Field != tc.field:
				t.Errorf("refused with %v, want %s at %q", err, tc.code, tc.field)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "case: ") {
				t.Errorf("message %q does not start with case:", err)
			}
		})
	}
}

// FuzzParseCase: whatever the bytes, ParseCase answers a case or a
// *CaseError, and never panics.
func FuzzParseCase(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "violations", "*.case.json"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"parcel_id":"1/1","permit":null,"survey":{"floors":1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := permits.ParseCase(data)
		var ce *permits.CaseError
		switch {
		case err == nil && c == nil:
			t.Fatal("no case and no error")
		case err == nil:
			if c.Survey.Floors < 1 || (c.Where.ParcelID == "" && c.Where.Geometry == nil) {
				t.Fatalf("accepted %+v", c)
			}
		case !errors.As(err, &ce):
			t.Fatalf("error %v of type %T", err, err)
		}
	})
}

// TestCaseExamples keeps the examples of docs/violation-case.md and
// examples/cases valid: each is read and reviewed, and the documented one
// finds the fine the doc works out.
func TestCaseExamples(t *testing.T) {
	svc, _, _ := sampleCity(t)
	files, err := filepath.Glob(filepath.Join("..", "examples", "cases", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples/cases/*.json: %v", err)
	}
	for _, f := range files {
		if rv := review(t, svc, f); rv.Found == 0 {
			t.Errorf("%s: no violation found", f)
		}
	}
	doc, err := os.ReadFile(filepath.Join("..", "docs", "violation-case.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```json\n")
	block, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatal("docs/violation-case.md has no ```json example")
	}
	c, err := permits.ParseCase([]byte(block))
	if err != nil {
		t.Fatalf("the example of docs/violation-case.md: %v", err)
	}
	rv, err := svc.Violations(context.Background(), c)
	if err != nil || rv.FinesTotal == nil || *rv.FinesTotal != 2_884_000_000 {
		t.Fatalf("the example of docs/violation-case.md: %+v, %v; want a fine of 2,884,000,000", rv, err)
	}
}
