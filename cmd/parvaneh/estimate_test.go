package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parvaneh/parvaneh/permits"
)

// The estimate command answers from the embedded sample city when no
// database is given (runDB with an empty URL).
func TestEstimateCommand(t *testing.T) {
	t.Run("table", func(t *testing.T) {
		code, out, errOut := runDB(t, "", "estimate", "-parcel", "113/10")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		for _, want := range []string{"113/10", "Nemuneh version 1 (1404-01)", "rule pack", "nemuneh", "front street ST-39", "governing R121"} {
			if !strings.Contains(out, want) {
				t.Errorf("table lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("json", func(t *testing.T) {
		code, out, errOut := runDB(t, "", "estimate", "-parcel", "113/10", "-json", "-as-of", "2025-06-01")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var e permits.Estimate
		if err := json.Unmarshal([]byte(out), &e); err != nil {
			t.Fatal(err)
		}
		if e.AsOf != "2025-06-01" || e.Summary.Floors == nil || *e.Summary.Floors != 4 || e.Summary.Dues == nil || *e.Summary.Dues != 456850700 {
			t.Errorf("estimate %+v, want as of 2025-06-01 with 4 floors and dues 456850700", e.Summary)
		}
	})
	t.Run("outline", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "outline.geojson")
		// About 20 m × 20 m inside the sample city.
		poly := `{"type":"Polygon","coordinates":[[[49.99316,36.26654],[49.99336,36.26654],[49.99336,36.26672],[49.99316,36.26672],[49.99316,36.26654]]]}`
		if err := os.WriteFile(file, []byte(poly), 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runDB(t, "", "estimate", "-geojson", file)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if !strings.Contains(out, "(given outline)") {
			t.Errorf("want the outline's estimate, got:\n%s", out)
		}
	})
	t.Run("all as JSON Lines", func(t *testing.T) {
		code, out, errOut := runDB(t, "", "estimate", "-all")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		n := 0
		sc := bufio.NewScanner(strings.NewReader(out))
		sc.Buffer(nil, 1<<20)
		seen := map[string]bool{}
		for sc.Scan() {
			var e permits.Estimate
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("line %d: %v", n+1, err)
			}
			if e.Parcel == nil || seen[e.Parcel.ID] {
				t.Fatalf("line %d: parcel missing or repeated: %+v", n+1, e.Parcel)
			}
			seen[e.Parcel.ID] = true
			n++
		}
		if n != 2500 {
			t.Errorf("%d estimates, want one per parcel (2500)", n)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		for _, args := range [][]string{
			{"estimate"},
			{"estimate", "-parcel", "1/1", "-all"},
			{"estimate", "-parcel", "1/1", "-as-of", "21/03/2025"},
		} {
			if code, _, _ := runDB(t, "", args...); code != 2 {
				t.Errorf("%v: exit %d, want 2 (usage)", args, code)
			}
		}
		code, _, errOut := runDB(t, "", "estimate", "-parcel", "no/such")
		if code != 1 || !strings.Contains(errOut, "not found") {
			t.Errorf("unknown parcel: exit %d, %q", code, errOut)
		}
	})
}
