package api_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parvaneh/parvaneh/internal/pgtest"
	"github.com/parvaneh/parvaneh/layers/postgis"
)

// openPostGIS returns a PostGIS store on a fresh database holding the test
// bundle, and the database's URL.
func openPostGIS(t *testing.T) (*postgis.Store, string) {
	t.Helper()
	dbURL := pgtest.New(t)
	pg, err := postgis.Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pg.Close)
	if _, err := pg.Import(t.Context(), testBundle(t)); err != nil {
		t.Fatalf("importing the test bundle into PostGIS: %v", err)
	}
	return pg, dbURL
}

// TestPostGISAgrees: the API answers the same JSON from PostGIS as from the
// embedded store, estimates above all.
func TestPostGISAgrees(t *testing.T) {
	pg, _ := openPostGIS(t)
	mem, onPG := newApp(t, importBundle(t)), newApp(t, pg)
	b := testBundle(t)
	f := newFixture(t, b)

	targets := []struct{ method, target, body string }{
		{"GET", "/api/v1/parcels/" + f.plate, ""},
		{"GET", "/api/v1/parcels?bbox=" + f.bbox, ""},
		{"GET", "/api/v1/parcels/99999/1", ""},
		{"GET", "/api/v1/estimates?parcel_id=99999/1", ""},
		{"GET", "/api/v1/estimates?as_of=1999-01-01&parcel_id=" + f.plate, ""},
		{"POST", "/api/v1/estimates", `{"geometry":` + polygon(f.ring) + `}`},
		{"POST", "/api/v1/estimates", `{"geometry":` + polygon(f.bowtie) + `}`},
		{"POST", "/api/v1/estimates", `{"geometry":` + polygon(swapped(f.ring)) + `}`},
	}
	// Every planted parcel (each a case of the rule book), and a few more
	// spread over the city.
	var plates []string
	for _, id := range notables(t) {
		plates = append(plates, id)
	}
	for i := 0; i < len(b.Parcels); i += len(b.Parcels)/8 + 1 {
		plates = append(plates, b.Parcels[i].ID)
	}
	slices.Sort(plates)
	for _, id := range slices.Compact(plates) {
		targets = append(targets, struct{ method, target, body string }{"GET", "/api/v1/estimates?parcel_id=" + id, ""})
	}
	for _, tc := range targets {
		want := mem.do(t, tc.method, tc.target, tc.body)
		got := onPG.do(t, tc.method, tc.target, tc.body)
		if got.Status != want.Status {
			t.Errorf("%s %s: PostGIS %d, embedded %d\n%s\n%s", tc.method, tc.target, got.Status, want.Status, clip(got.Body), clip(want.Body))
			continue
		}
		// Compared up to float noise below 1e-9, which GEOS and the JTS
		// port may differ by (byte for byte equal on the test city today).
		g, w := canonicalJSON(t, got.JSON(t)), canonicalJSON(t, want.JSON(t))
		if g != w {
			t.Errorf("%s %s: PostGIS answer differs from the embedded store's:\n%s", tc.method, tc.target, firstDiff(g, w))
		}
	}
}

// TestPostGISUnavailable: a PostGIS database gone after the store was
// opened is 503 store_unavailable.
func TestPostGISUnavailable(t *testing.T) {
	pg, dbURL := openPostGIS(t)
	f := newFixture(t, testBundle(t))
	a := newApp(t, pg)
	estimate := "/api/v1/estimates?parcel_id=" + f.plate
	runCases(t, a, []apiCase{
		{name: "ready", target: "/readyz", status: http.StatusOK},
		{name: "estimate", target: estimate, status: http.StatusOK},
	})

	dropDatabase(t, dbURL)
	runCases(t, a, []apiCase{
		{name: "dropped: estimate", target: estimate, status: http.StatusServiceUnavailable, code: "store_unavailable", check: noLeak},
		{name: "dropped: not ready", target: "/readyz", status: http.StatusServiceUnavailable, code: "store_unavailable"},
		{name: "dropped: plan", target: "/api/v1/plan", status: http.StatusServiceUnavailable, code: "store_unavailable", check: noLeak},
		{name: "dropped: estimate again", target: estimate, status: http.StatusServiceUnavailable, code: "store_unavailable", check: noLeak},
	})
}

// TestPostGISNeverReachable: a store opened on a closed port (no database
// needed) is 503 store_unavailable from the first request.
func TestPostGISNeverReachable(t *testing.T) {
	f := newFixture(t, testBundle(t))
	closed, err := postgis.Open(t.Context(), "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closed.Close)
	// newApp would ask the store for its municipality, which a closed
	// port cannot answer.
	never := newAppFor(t, closed, testBundle(t).Manifest.Municipality)
	runCases(t, never, []apiCase{
		{name: "closed port: not ready", target: "/readyz", status: http.StatusServiceUnavailable, code: "store_unavailable"},
		{name: "closed port: estimate", target: "/api/v1/estimates?parcel_id=" + f.plate, status: http.StatusServiceUnavailable, code: "store_unavailable", check: noLeak},
		{name: "closed port: parcels", target: "/api/v1/parcels?bbox=" + f.bbox, status: http.StatusServiceUnavailable, code: "store_unavailable", check: noLeak},
	})
}

// dropDatabase drops the database at dbURL under its open pools (FORCE ends
// their connections).
func dropDatabase(t *testing.T, dbURL string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	admin, err := pgx.Connect(ctx, os.Getenv(pgtest.EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	db := strings.TrimPrefix(u.Path, "/")
	if _, err := admin.Exec(ctx, "DROP DATABASE "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Fatalf("dropping %s: %v", db, err)
	}
}
