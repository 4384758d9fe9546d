package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/parvaneh/parvaneh/api"
	"github.com/parvaneh/parvaneh/auth"
	"github.com/parvaneh/parvaneh/examples"
	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/layers/memstore"
	"github.com/parvaneh/parvaneh/permits"
	"github.com/parvaneh/parvaneh/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// today is the date "as of" defaults to in every test, so answers do not
// change with the calendar.
var today = time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC)

// testBundle is the plan bundle the API tests serve: the sample city.
func testBundle(t testing.TB) *layers.Bundle {
	t.Helper()
	b, err := readSample()
	if err != nil {
		t.Fatalf("reading the sample city: %v", err)
	}
	return b
}

// readSample reads the sample city once; stores copy what they import, so
// the tests can share it.
var readSample = sync.OnceValues(func() (*layers.Bundle, error) {
	return layers.ReadBundleWithOptions(context.Background(), examples.Nemuneh(), layers.ReadOptions{})
})

// notables returns the sample city's planted parcels, plate by kind
// (examples/nemuneh/notable.json).
func notables(t testing.TB) map[string]string {
	t.Helper()
	data, err := fs.ReadFile(examples.Nemuneh(), "notable.json")
	if err != nil {
		t.Fatal(err)
	}
	var n struct {
		Notable []struct {
			Kind     string `json:"kind"`
			ParcelID string `json:"parcel_id"`
		} `json:"notable"`
	}
	if err := json.Unmarshal(data, &n); err != nil {
		t.Fatalf("notable.json: %v", err)
	}
	out := map[string]string{}
	for _, p := range n.Notable {
		out[p.Kind] = p.ParcelID
	}
	return out
}

// notable returns the plate of the planted parcel of a kind.
func notable(t testing.TB, kind string) string {
	t.Helper()
	id, ok := notables(t)[kind]
	if !ok {
		t.Fatalf("notable.json has no parcel of kind %q", kind)
	}
	return id
}

// importBundle returns a new embedded store holding the test bundle.
func importBundle(t testing.TB) *memstore.Store {
	t.Helper()
	st := memstore.New()
	if _, err := st.Import(context.Background(), testBundle(t)); err != nil {
		t.Fatalf("importing the test bundle: %v", err)
	}
	t.Cleanup(st.Close)
	return st
}

// app is the API built in process the way `parvaneh serve` builds it: the
// store, the permits service with the bundled rule packs, the API.
type app struct {
	handler http.Handler
	doc     *apiDoc
	logs    *bytes.Buffer
}

func newApp(t testing.TB, st layers.Store) *app {
	t.Helper()
	names, err := st.Municipalities(context.Background())
	if err != nil || len(names) != 1 {
		t.Fatalf("municipalities of the test store: %v, %v", names, err)
	}
	return newAppFor(t, st, names[0])
}

// newAppFor builds the API answering for the municipality, without records.
func newAppFor(t testing.TB, st layers.Store, municipality string) *app {
	t.Helper()
	return buildApp(t, st, municipality, nil, nil)
}

// buildApp builds the API with the records and the guard of their routes.
func buildApp(t testing.TB, st layers.Store, municipality string, recs api.Records, guard *auth.Guard) *app {
	t.Helper()
	packs := permits.PackSet{}
	for _, name := range rules.BundledNames() {
		p, err := rules.Bundled(name)
		if err != nil {
			t.Fatalf("loading bundled rule pack %s: %v", name, err)
		}
		packs[p.Meta.ID] = p
	}
	now := func() time.Time { return today }
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	svc := permits.NewService(st, packs, municipality, now)
	cfg := api.Config{Municipality: municipality, MaxBodyBytes: 64 << 10, MaxFeatures: 500, Now: now,
		RulePacks: slices.Sorted(maps.Keys(packs))}
	srv := api.New(cfg, st, svc, recs, guard, nil, log)
	return &app{handler: srv.Handler(), doc: loadDoc(t), logs: &logs}
}

// response is one answer, its body read.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body as a JSON object, numbers as json.Number.
func (r *response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, clip(r.Body))
	}
	return v
}

// do sends a request and checks the answer against the OpenAPI document:
// its status must be one the operation lists and its body must match that
// response's schema. Requests that are answered 2xx must match the
// document's parameters and request body too (a refused request may be
// refused by the document as well, or only by the server).
func (a *app) do(t testing.TB, method, target, body string) *response {
	t.Helper()
	return a.doWith(t, method, target, body, nil)
}

// doWith is do with request headers (Authorization, Idempotency-Key).
func (a *app) doWith(t testing.TB, method, target, body string, h http.Header) *response {
	t.Helper()
	res := a.serveWith(method, target, body, h)
	a.doc.check(t, method, target, body, h, res)
	return res
}

// serve sends a request without looking at the document, for requests
// outside it (unknown routes).
func (a *app) serve(method, target, body string) *response {
	return a.serveWith(method, target, body, nil)
}

func (a *app) serveWith(method, target, body string, h http.Header) *response {
	req := newRequest(method, target, body, h)
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	return &response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// apiDoc is the served OpenAPI document, loaded and routed by kin-openapi.
type apiDoc struct {
	doc    *openapi3.T
	router routers.Router
}

var loadDocOnce = sync.OnceValues(func() (*apiDoc, error) {
	data, err := os.ReadFile("openapi.json")
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	return &apiDoc{doc: doc, router: router}, nil
})

func loadDoc(t testing.TB) *apiDoc {
	t.Helper()
	d, err := loadDocOnce()
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return d
}

// routable returns the target as the document's router can match it: a
// parcel plate's "/" is percent-encoded, since an OpenAPI path parameter
// cannot hold a raw "/" (the server takes either form).
func routable(target string) string {
	const prefix = "/api/v1/parcels/"
	path, query, _ := strings.Cut(target, "?")
	if rest, ok := strings.CutPrefix(path, prefix); ok {
		path = prefix + strings.ReplaceAll(rest, "/", "%2F")
	}
	if query != "" {
		return path + "?" + query
	}
	return path
}

// newRequest is a request with a JSON body, if any, and the headers.
func newRequest(method, target, body string, h http.Header) *http.Request {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	return req
}

// bearerOnly stands for the server's token check when a request is checked
// against the document's security: a request answered 2xx must at least
// have sent a bearer token.
func bearerOnly(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if !strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
		return errors.New("no bearer token")
	}
	return nil
}

func (d *apiDoc) check(t testing.TB, method, target, body string, h http.Header, res *response) {
	t.Helper()
	req := newRequest(method, routable(target), body, h)
	route, params, err := d.router.FindRoute(req)
	if err != nil {
		t.Errorf("%s %s: not in openapi.json: %v", method, target, err)
		return
	}
	ctx := context.Background()
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true, AuthenticationFunc: bearerOnly}}
	if res.Status/100 == 2 {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			t.Errorf("%s %s: request answered %d does not match openapi.json: %v", method, target, res.Status, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.Status,
		Header: res.Header, Body: io.NopCloser(bytes.NewReader(res.Body)), Options: in.Options}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		var me openapi3.MultiError
		if errors.As(err, &me) {
			err = errors.Join(me...)
		}
		t.Errorf("%s %s: response %d does not match openapi.json: %v\n%s", method, target, res.Status, err, clip(res.Body))
	}
}

func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// golden compares a decoded JSON answer with testdata/NAME.golden.json; with
// -update it rewrites the file. The file is canonical JSON (keys sorted,
// numbers with a fraction rounded to 1e-9, ample for degrees and m²), so
// that float noise in the last bits of a projection does not count as a
// change.
func golden(t testing.TB, name string, v any) {
	t.Helper()
	got := canonicalJSON(t, v)
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (go test ./api -update writes it)", name, err)
	}
	if got != string(want) {
		t.Errorf("answer differs from %s (go test ./api -run '%s' -update rewrites it):\n%s", path, t.Name(), firstDiff(got, string(want)))
	}
}

// canonicalJSON is v indented, keys sorted, fractions rounded to 1e-9.
func canonicalJSON(t testing.TB, v any) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(canonical(v)); err != nil {
		t.Fatalf("encoding %v: %v", v, err)
	}
	return buf.String()
}

func canonical(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = canonical(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = canonical(x)
		}
		return out
	case json.Number:
		if !strings.ContainsAny(string(v), ".eE") {
			return v
		}
		f, err := v.Float64()
		if err != nil {
			return v
		}
		return json.Number(strconv.FormatFloat(math.Round(f*1e9)/1e9, 'f', -1, 64))
	}
	return v
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n  got:  " + gl + "\n  want: " + wl
		}
	}
	return "(same lines, different bytes)"
}

// faultStore is a real store told to fail: Ping answers pingErr, a method
// named in fail answers that error, and Parcel panics for panicID.
type faultStore struct {
	layers.Store
	pingErr error
	fail    map[string]error
	panicID string
}

func (s *faultStore) Ping(ctx context.Context) error {
	if s.pingErr != nil {
		return s.pingErr
	}
	return s.Store.Ping(ctx)
}

func (s *faultStore) VersionAsOf(ctx context.Context, muni string, asOf time.Time) (layers.PlanVersion, error) {
	if err := s.fail["VersionAsOf"]; err != nil {
		return layers.PlanVersion{}, err
	}
	return s.Store.VersionAsOf(ctx, muni, asOf)
}

func (s *faultStore) Parcel(ctx context.Context, version int64, id string) (layers.Parcel, error) {
	if id == s.panicID {
		panic("faultStore: told to panic on parcel " + id)
	}
	if err := s.fail["Parcel"]; err != nil {
		return layers.Parcel{}, err
	}
	return s.Store.Parcel(ctx, version, id)
}

func (s *faultStore) ParcelsIn(ctx context.Context, version int64, env geom.Envelope, limit int) ([]layers.Parcel, error) {
	if err := s.fail["ParcelsIn"]; err != nil {
		return nil, err
	}
	return s.Store.ParcelsIn(ctx, version, env, limit)
}

func (s *faultStore) Measure(ctx context.Context, version int64, parcel geom.MultiPolygon) (layers.Measurement, error) {
	if err := s.fail["Measure"]; err != nil {
		return layers.Measurement{}, err
	}
	return s.Store.Measure(ctx, version, parcel)
}
