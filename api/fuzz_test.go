package api_test

import (
	"net/http"
	"net/url"
	"testing"
)

// checkAnswer fails unless an answer to outside input is an estimate or a
// refusal the document lists (doc.check has matched it to openapi.json):
// never a 500, whatever the input.
func checkAnswer(t *testing.T, res *response, input string) {
	t.Helper()
	switch res.Status {
	case http.StatusOK, http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge:
	default:
		t.Fatalf("input %q: status %d\n%s", input, res.Status, clip(res.Body))
	}
}

// FuzzEstimateBody posts arbitrary bodies to /api/v1/estimates.
func FuzzEstimateBody(f *testing.F) {
	a := newApp(f, importBundle(f))
	fx := newFixture(f, testBundle(f))
	for _, seed := range []string{
		`{"parcel_id":"` + fx.plate + `"}`,
		`{"geometry":` + polygon(fx.ring) + `}`,
		`{"geometry":` + polygon(fx.bowtie) + `,"as_of":"2025-03-21"}`,
		`{"geometry":{"type":"MultiPolygon","coordinates":[[[[51,35],[51.1,35],[51,35.1]]],[]]}}`,
		`{"geometry":{"type":"Feature","geometry":null}}`,
		`{"parcel_id":null,"geometry":null}`,
		`{"as_of":"2025-02-30"}`,
		`[]`, `null`, `"x"`, `{`, ``,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		res := a.do(t, http.MethodPost, "/api/v1/estimates", body)
		checkAnswer(t, res, body)
	})
}

// FuzzParcelsQuery sends arbitrary bbox, lon, lat and limit parameters.
func FuzzParcelsQuery(f *testing.F) {
	a := newApp(f, importBundle(f))
	fx := newFixture(f, testBundle(f))
	f.Add(fx.bbox, "", "", "")
	f.Add("", "51.4", "35.7", "")
	f.Add(fx.bbox, "", "", "3")
	f.Add("1e308,-1e308,NaN,Inf", "", "", "-1")
	f.Add(",,,", "0x10", "1_0", "99999999999999999999")
	f.Fuzz(func(t *testing.T, bbox, lon, lat, limit string) {
		q := url.Values{}
		for k, v := range map[string]string{"bbox": bbox, "lon": lon, "lat": lat, "limit": limit} {
			if v != "" {
				q.Set(k, v)
			}
		}
		target := "/api/v1/parcels?" + q.Encode()
		checkAnswer(t, a.do(t, http.MethodGet, target, ""), target)
	})
}
