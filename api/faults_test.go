package api_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/parvaneh/parvaneh/layers"
)

// TestStoreUnavailable: a store that cannot be reached makes the service
// not ready, and every answer that needs it 503 store_unavailable.
func TestStoreUnavailable(t *testing.T) {
	f := newFixture(t, testBundle(t))
	down := fmt.Errorf("postgis: pinging the database: %w: dial tcp 127.0.0.1:1: connection refused", layers.ErrUnavailable)

	a := newApp(t, &faultStore{Store: importBundle(t), pingErr: down})
	runCases(t, a, []apiCase{
		{name: "not ready", target: "/readyz", status: 503, code: "store_unavailable"},
		{name: "still alive", target: "/healthz", status: 200},
	})

	// Each store method failing in turn, under the requests that call it.
	for _, tc := range []struct{ fail, method, target, body string }{
		{"VersionAsOf", "GET", "/api/v1/plan", ""},
		{"VersionAsOf", "GET", "/api/v1/parcels/" + f.plate, ""},
		{"VersionAsOf", "POST", "/api/v1/estimates", `{"parcel_id":"` + f.plate + `"}`},
		{"Parcel", "GET", "/api/v1/parcels/" + f.plate, ""},
		{"Parcel", "GET", "/api/v1/estimates?parcel_id=" + f.plate, ""},
		{"ParcelsIn", "GET", "/api/v1/parcels?bbox=" + f.bbox, ""},
		{"Measure", "GET", "/api/v1/estimates?parcel_id=" + f.plate, ""},
		{"Measure", "POST", "/api/v1/estimates", `{"geometry":` + polygon(f.ring) + `}`},
	} {
		a := newApp(t, &faultStore{Store: importBundle(t), fail: map[string]error{tc.fail: fmt.Errorf("%s: %w", tc.fail, down)}})
		runCases(t, a, []apiCase{{name: tc.fail + " " + tc.method + " " + tc.target, method: tc.method, target: tc.target, body: tc.body,
			status: 503, code: "store_unavailable", check: noLeak}})
	}
}

// noLeak checks an error body says nothing of the cause: no Go error text,
// file or stack.
func noLeak(t *testing.T, res *response) {
	t.Helper()
	for _, s := range []string{"postgis", "connection refused", "panic", "goroutine", ".go:", "faultStore", "boom"} {
		if strings.Contains(string(res.Body), s) {
			t.Errorf("error body leaks %q: %s", s, res.Body)
		}
	}
}

// TestInternalErrors: a handler panic and an unclassified store error both
// answer 500 internal, logged, with nothing of the cause in the body.
func TestInternalErrors(t *testing.T) {
	f := newFixture(t, testBundle(t))
	boom := errors.New("boom: disk on fire")

	a := newApp(t, &faultStore{Store: importBundle(t), panicID: f.plate, fail: map[string]error{"ParcelsIn": boom}})
	runCases(t, a, []apiCase{
		{name: "panic", target: "/api/v1/parcels/" + f.plate, status: 500, code: "internal", check: noLeak},
		{name: "panic in an estimate", target: "/api/v1/estimates?parcel_id=" + f.plate, status: 500, code: "internal", check: noLeak},
		{name: "error", target: "/api/v1/parcels?bbox=" + f.bbox, status: 500, code: "internal", check: noLeak},
		{name: "still serving", target: "/api/v1/plan", status: http.StatusOK},
	})
	for _, want := range []string{"faultStore: told to panic", "boom: disk on fire"} {
		if !strings.Contains(a.logs.String(), want) {
			t.Errorf("the log does not record %q:\n%s", want, a.logs.String())
		}
	}
}
