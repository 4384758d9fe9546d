package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestViolationsCommand(t *testing.T) {
	dir := filepath.Join("..", "..", "permits", "testdata", "violations")
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"parcel_id":"103/2","permit":null,"survey":{"residential_area_m2":100,"floors":0,"parking_spaces":0}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string // in this order in the output
	}{
		{"no violation", []string{"violations", filepath.Join(dir, "none.case.json")}, 0,
			[]string{"parcel     103/2", "rule pack  nemuneh", "permit     residential 1000.00 m²", "NO VIOLATION"}},
		{"a fine, flags after the file", []string{"violations", filepath.Join(dir, "residential_r20.case.json"), "-bundle", ""}, 3,
			[]string{"1 VIOLATION(S)", "residential excess area", "200 m²", "fine", "2884000000", "excess_residential * TXr * m",
				"total of fines", "2884000000", "1 violation(s) found"}},
		{"encroachment", []string{"violations", filepath.Join(dir, "encroachment.case.json")}, 3,
			[]string{"on streets 9.00 m²", "encroachment on the street", "9 m²", "demolition"}},
		{"without a permit", []string{"violations", filepath.Join(dir, "no_permit.case.json")}, 3,
			[]string{"permit     none", "no permit (note 4)", "4016943350", "618113300", "4635056650"}},
		{"no floor surveyed", []string{"violations", bad}, 1, []string{"case: survey.floors: 0 is outside 1…200"}},
		{"no such file", []string{"violations", filepath.Join(dir, "nothing.json")}, 1, []string{"nothing.json"}},
		{"no file", []string{"violations"}, 2, []string{"usage"}},
		{"two files", []string{"violations", bad, bad}, 2, []string{"one case file"}},
	} {
		t.Run(tc.name, func(t *testing.T) { expectCLI(t, tc.args, tc.code, tc.want) })
	}

	code, out, _ := runCLI(t, "violations", "-json", filepath.Join(dir, "floors_over.case.json"))
	var rv struct {
		Found      int `json:"found"`
		Violations []struct {
			ID     string `json:"id"`
			Ruling string `json:"ruling"`
		} `json:"violations"`
	}
	if err := json.Unmarshal([]byte(out), &rv); err != nil || code != 3 || rv.Found != 1 || rv.Violations[0].ID != "floors_over_zone" || rv.Violations[0].Ruling != "demolition" {
		t.Errorf("violations -json: exit %d, %+v, %v; want exit 3 and floors_over_zone proposed for demolition", code, rv, err)
	}
}
