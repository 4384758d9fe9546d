package api_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"testing"

	"github.com/parvaneh/parvaneh/examples"
	"github.com/parvaneh/parvaneh/layers"
)

// zipBundle zips the sample city's bundle under prefix ("" for the top),
// with edit changing a file's content on the way (nil: none).
func zipBundle(t *testing.T, prefix string, edit func(name string, data []byte) []byte) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err := fs.WalkDir(examples.Nemuneh(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(examples.Nemuneh(), name)
		if err != nil {
			return err
		}
		if edit != nil {
			data = edit(name, data)
		}
		w, err := zw.Create(prefix + name)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestImportBundle: an admin uploads a plan bundle as a zip archive; it is
// checked, then imported as the next plan version, which the plan then
// lists — on both stores. A bundle that breaks the contract or does not fit
// the server is refused with every problem and imports nothing.
func TestImportBundle(t *testing.T) {
	pg, _ := openPostGIS(t)
	for name, st := range map[string]layers.Store{"embedded": importBundle(t), "postgis": pg} {
		t.Run(name, func(t *testing.T) {
			a := buildApp(t, st, testBundle(t).Manifest.Municipality, nil, guard(t))
			upload := func(user, query, body string) *response {
				h := headers(tokenFor(t, user, false), "")
				h.Set("Content-Type", "application/zip")
				return a.doWith(t, "POST", "/api/v1/plan/versions"+query, body, h)
			}
			versions := func() int {
				var p struct{ Versions []any }
				if err := json.Unmarshal(a.do(t, "GET", "/api/v1/plan", "").Body, &p); err != nil {
					t.Fatal(err)
				}
				return len(p.Versions)
			}
			sample := zipBundle(t, "", nil)

			checked := expect(t, upload("admin-omid", "?check=true", sample), http.StatusOK, "", "")
			if f, _ := checked["features"].(map[string]any); f["parcels"] != json.Number("2500") || checked["version"] != nil {
				t.Errorf("check: %v", checked)
			}
			if n := versions(); n != 1 {
				t.Fatalf("a check imported: %d versions", n)
			}
			expect(t, upload("staff-mina", "", sample), http.StatusForbidden, "forbidden", "")

			refused := []struct {
				name, body, code, problem string
				status                    int
			}{
				{"not a zip", "PK?not a zip", "bad_archive", "", 400},
				{"no manifest", zipBundle(t, "a/b/", nil), "bad_archive", "", 400},
				{"a broken feature", zipBundle(t, "", func(name string, data []byte) []byte {
					if name == "parcels.geojson" {
						return bytes.Replace(data, []byte(`"parcel_id"`), []byte(`"plate"`), 1)
					}
					return data
				}), "invalid_bundle", "parcels.geojson", 422},
				{"another city", zipBundle(t, "", func(name string, data []byte) []byte {
					if name == "manifest.yaml" {
						return bytes.Replace(data, []byte("municipality: Nemuneh"), []byte("municipality: Dovom"), 1)
					}
					return data
				}), "invalid_bundle", "manifest.yaml", 422},
				{"an unknown rule pack", zipBundle(t, "", func(name string, data []byte) []byte {
					if name == "manifest.yaml" {
						return bytes.Replace(data, []byte("rule_pack: nemuneh"), []byte("rule_pack: nowhere"), 1)
					}
					return data
				}), "invalid_bundle", "manifest.yaml", 422},
			}
			for _, r := range refused {
				v := expect(t, upload("admin-omid", "", r.body), r.status, r.code, "")
				if r.problem != "" {
					ps, _ := v["problems"].([]any)
					if p, _ := firstOf(ps)["file"].(string); p != r.problem {
						t.Errorf("%s: problems %v, want one in %s", r.name, ps, r.problem)
					}
				}
			}
			if n := versions(); n != 1 {
				t.Fatalf("a refused bundle imported: %d versions", n)
			}

			// A zone code the pack lacks is warned of, not refused.
			unknownZone := zipBundle(t, "", func(name string, data []byte) []byte {
				if name == "detailed_plan.geojson" {
					return bytes.Replace(data, []byte(`"code":"R121"`), []byte(`"code":"R999"`), 1)
				}
				return data
			})
			warned := expect(t, upload("admin-omid", "?check=true", unknownZone), http.StatusOK, "", "")
			if ws, _ := warned["warnings"].([]any); len(ws) != 1 || firstOf(ws)["property"] != "code" {
				t.Errorf("warnings of a zone code the pack lacks: %v", warned["warnings"])
			}

			// In one folder, as a zip of the bundle's directory comes.
			done := expect(t, upload("admin-omid", "", zipBundle(t, "nemuneh/", nil)), http.StatusCreated, "", "")
			v, _ := done["version"].(map[string]any)
			if v["seq"] != json.Number("2") || v["rule_pack"] != "nemuneh" {
				t.Errorf("imported %v", done)
			}
			if n := versions(); n != 2 {
				t.Errorf("%d versions after the import, want 2", n)
			}
		})
	}
}

func firstOf(ps []any) map[string]any {
	if len(ps) == 0 {
		return nil
	}
	p, _ := ps[0].(map[string]any)
	return p
}
