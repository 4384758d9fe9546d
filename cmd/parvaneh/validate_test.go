package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestValidateCommand(t *testing.T) {
	dir := filepath.Join("..", "..", "permits", "testdata", "validations")
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"parcel_id":"107/2","height_m":7,"parking_spaces":1,"footprint_area_m2":100,"floors":[{"level":0},{"level":0}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string // in this order in the output
	}{
		{"passing", []string{"validate", filepath.Join(dir, "purchased_density.proposal.json")}, 0,
			[]string{"parcel     107/2", "rule pack  nemuneh", "PASSED: all 7 checks", "purchased extra density dues  2692552800 Rial", "total"}},
		{"failing check first, flags after the file", []string{"validate", filepath.Join(dir, "footprint_across_widening.proposal.json"), "-bundle", ""}, 3,
			[]string{"on streets 18.00 m² ST-7 18.00", "FAILED: 1 of 7 checks", "building inside the net parcel", "FAIL", "floors", "1 check(s) failed"}},
		{"not checkable", []string{"validate", filepath.Join(dir, "in_street.proposal.json")}, 3,
			[]string{"NOT CHECKED", "cannot be checked"}},
		{"a floor listed twice", []string{"validate", bad}, 1, []string{"floors[1].level: level 0 is listed twice"}},
		{"no such file", []string{"validate", filepath.Join(dir, "nothing.json")}, 1, []string{"nothing.json"}},
		{"no file", []string{"validate"}, 2, []string{"usage"}},
		{"two files", []string{"validate", bad, bad}, 2, []string{"one proposal file"}},
	} {
		t.Run(tc.name, func(t *testing.T) { expectCLI(t, tc.args, tc.code, tc.want) })
	}

	code, out, _ := runCLI(t, "validate", "-json", filepath.Join(dir, "floors_over.proposal.json"))
	var v struct {
		Passed bool `json:"passed"`
		Checks []struct {
			ID   string `json:"id"`
			Pass bool   `json:"pass"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != 3 || v.Passed || len(v.Checks) == 0 || v.Checks[0].ID != "floors" {
		t.Errorf("validate -json: exit %d, %+v, %v; want exit 3 and the floors check failing first", code, v, err)
	}
}
