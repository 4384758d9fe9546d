package api_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parvaneh/parvaneh/api"
	"github.com/parvaneh/parvaneh/auth"
	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/layers/postgis"
	"github.com/parvaneh/parvaneh/records"
)

// tokenSecret signs the tests' tokens.
var tokenSecret = []byte("the api tests' token secret, 32 bytes or more")

// people are the tests' users and their roles.
var people = map[string]auth.Role{
	"ali":          auth.Applicant,
	"sara":         auth.Applicant,
	"eng-reza":     auth.Engineer,
	"staff-mina":   auth.Staff,
	"member-hasan": auth.Commission,
	"admin-omid":   auth.Admin,
}

// guard checks tokens signed with tokenSecret, as serve builds it.
func guard(t testing.TB) *auth.Guard {
	t.Helper()
	g, err := auth.NewGuard(auth.Verifier{Secret: tokenSecret}, api.Refuse)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// tokenFor signs a token for a user of people; an expired one when issued two
// hours ago for one hour.
func tokenFor(t testing.TB, user string, expired bool) string {
	t.Helper()
	role, ok := people[user]
	if !ok {
		t.Fatalf("no test user %q", user)
	}
	is := auth.Issuer{Secret: tokenSecret, TTL: time.Hour}
	if expired {
		is.Now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	}
	tok, err := is.Issue(user, role)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// headers are a request's Authorization (when tok is not empty) and
// Idempotency-Key (when key is not empty).
func headers(tok, key string) http.Header {
	h := http.Header{}
	if tok != "" {
		h.Set("Authorization", "Bearer "+tok)
	}
	if key != "" {
		h.Set("Idempotency-Key", key)
	}
	return h
}

// office is the API on PostGIS with the records, as "parvaneh serve
// -database-url" builds it with a token secret.
type office struct {
	*app
	dbURL string
	plans *postgis.Store
}

func newOffice(t *testing.T) *office {
	t.Helper()
	pg, dbURL := openPostGIS(t)
	recs, err := records.Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(recs.Close)
	return &office{buildApp(t, pg, testBundle(t).Manifest.Municipality, recs, guard(t)), dbURL, pg}
}

// as sends a request as user (anonymous when empty) under an
// Idempotency-Key (none when empty), checked against openapi.json.
func (o *office) as(t *testing.T, user, method, target, key, body string) *response {
	t.Helper()
	tok := ""
	if user != "" {
		tok = tokenFor(t, user, false)
	}
	return o.doWith(t, method, target, body, headers(tok, key))
}

// expect fails the test unless res has the status and, for an error, the
// code and field; it returns the decoded body.
func expect(t *testing.T, res *response, status int, code, field string) map[string]any {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d\n%s", res.Status, status, clip(res.Body))
	}
	v := res.JSON(t)
	if code != "" || field != "" {
		e, _ := v["error"].(map[string]any)
		if e["code"] != code || fieldOf(e) != field {
			t.Fatalf("error code %v field %q, want %s field %q\n%s", e["code"], fieldOf(e), code, field, clip(res.Body))
		}
	}
	return v
}

// example reads a shipped example (examples/DIR/NAME).
func example(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// filingBody is the body filing a proposal, for applicant when not empty.
func filingBody(t *testing.T, applicant, proposal string) string {
	t.Helper()
	m := map[string]any{"proposal": json.RawMessage(proposal)}
	if applicant != "" {
		m["applicant"] = applicant
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// withMember returns the JSON object doc with one member set.
func withMember(t *testing.T, doc, name string, v any) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	m[name] = v
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func idOf(t *testing.T, v map[string]any) string {
	t.Helper()
	id, ok := v["id"].(json.Number)
	if !ok {
		t.Fatalf("no id in %v", v)
	}
	return id.String()
}

// sameJSON compares two JSON values.
func sameJSON(t *testing.T, a, b any) bool {
	t.Helper()
	return canonicalJSON(t, a) == canonicalJSON(t, b)
}

// protectedRoutes are every route of the records with the roles that hold
// its permission (the issue's table, written out again), and a request
// whose answer, for a role allowed, is anything but 401 and 403.
var protectedRoutes = []struct {
	method, target, key, body string
	roles                     []auth.Role // nil: every role
}{
	{"GET", "/api/v1/me", "", "", nil},
	{"POST", "/api/v1/applications", "k", `{}`, []auth.Role{auth.Applicant, auth.Engineer}},
	{"GET", "/api/v1/applications", "", "", []auth.Role{auth.Applicant, auth.Engineer, auth.Staff, auth.Commission}},
	{"GET", "/api/v1/applications/1", "", "", []auth.Role{auth.Applicant, auth.Engineer, auth.Staff, auth.Commission}},
	{"POST", "/api/v1/applications/1/transitions", "", `{"to":"under_review"}`, []auth.Role{auth.Staff}},
	{"POST", "/api/v1/cases", "k", `{}`, []auth.Role{auth.Staff}},
	{"GET", "/api/v1/cases", "", "", []auth.Role{auth.Staff, auth.Commission}},
	{"GET", "/api/v1/cases/1", "", "", []auth.Role{auth.Staff, auth.Commission}},
	{"POST", "/api/v1/cases/1/decision", "", `{}`, []auth.Role{auth.Commission}},
	{"POST", "/api/v1/cases/1/closure", "", `{"reason":"done"}`, []auth.Role{auth.Staff}},
	{"POST", "/api/v1/certificates", "k", `{}`, []auth.Role{auth.Staff}},
	{"GET", "/api/v1/certificates/1", "", "", []auth.Role{auth.Staff, auth.Commission}},
	{"POST", "/api/v1/plan/versions", "", "not a zip", []auth.Role{auth.Admin}},
}

// publicRoutes need no token.
var publicRoutes = []string{"GET /healthz", "GET /readyz", "GET /api/v1/openapi.json", "GET /api/v1/plan",
	"GET /api/v1/parcels", "GET /api/v1/parcels/*id", "GET /api/v1/layers/:layer", "GET /api/v1/estimates",
	"POST /api/v1/estimates", "POST /api/v1/validations", "POST /api/v1/violations"}

// TestRecordsRoles tries every route of the records with each role, with no
// token and with an expired one: 401 without a valid token, 403 for a role
// without the route's permission, neither for a role with it.
func TestRecordsRoles(t *testing.T) {
	o := newOffice(t)
	served := o.handler.(*gin.Engine).Routes()
	for _, r := range served {
		route := r.Method + " " + r.Path
		tested := slices.ContainsFunc(protectedRoutes, func(p struct {
			method, target, key, body string
			roles                     []auth.Role
		}) bool {
			return p.method == r.Method && pathMatches(r.Path, p.target)
		})
		if !tested && !slices.Contains(publicRoutes, route) {
			t.Errorf("route %s is neither public nor tried by this test", route)
		}
	}
	users := map[auth.Role]string{}
	for u, r := range people {
		if _, ok := users[r]; !ok || u < users[r] {
			users[r] = u
		}
	}
	for _, rt := range protectedRoutes {
		name := rt.method + " " + rt.target
		for _, c := range []struct{ who, tok string }{{"no token", ""}, {"expired", tokenFor(t, "staff-mina", true)}} {
			res := o.doWith(t, rt.method, rt.target, rt.body, headers(c.tok, rt.key))
			code := "unauthenticated"
			if c.tok != "" {
				code = "token_expired"
			}
			if e, _ := res.JSON(t)["error"].(map[string]any); res.Status != http.StatusUnauthorized || e["code"] != code ||
				fieldOf(e) != "Authorization" || res.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s with %s: %d %s, want 401 %s with WWW-Authenticate", name, c.who, res.Status, clip(res.Body), code)
			}
		}
		for _, role := range auth.Roles() {
			res := o.doWith(t, rt.method, rt.target, rt.body, headers(tokenFor(t, users[role], false), rt.key))
			allowed := rt.roles == nil || slices.Contains(rt.roles, role)
			switch {
			case allowed && (res.Status == http.StatusUnauthorized || res.Status == http.StatusForbidden):
				t.Errorf("%s as %s: %d, want it let through\n%s", name, role, res.Status, clip(res.Body))
			case !allowed && res.Status != http.StatusForbidden:
				t.Errorf("%s as %s: %d, want 403\n%s", name, role, res.Status, clip(res.Body))
			case !allowed:
				expect(t, res, http.StatusForbidden, "forbidden", "")
			}
		}
	}
}

// pathMatches reports whether a request path fits a gin route pattern.
func pathMatches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if ps[i] != xs[i] && !strings.HasPrefix(ps[i], ":") {
			return false
		}
	}
	return true
}

// TestMe: each role's token says who and what it may do.
func TestMe(t *testing.T) {
	o := &office{app: buildApp(t, importBundle(t), testBundle(t).Manifest.Municipality, nil, guard(t))}
	for user, role := range people {
		v := expect(t, o.as(t, user, "GET", "/api/v1/me", "", ""), http.StatusOK, "", "")
		var perms []string
		for _, p := range role.Permissions() {
			perms = append(perms, string(p))
		}
		want := map[string]any{"user": user, "role": string(role), "role_fa": role.Fa(), "permissions": perms}
		if !sameJSON(t, v, want) {
			t.Errorf("GET /me as %s = %v, want %v", user, v, want)
		}
	}
}

// TestApplicationsOverHTTP files applications as an applicant and as an
// engineer, retries a filing, is refused where the rules say, and takes one
// application through its whole life: its permit keeps the figures it was
// filed with, and its history every step.
func TestApplicationsOverHTTP(t *testing.T) {
	o := newOffice(t)
	passing := example(t, "proposals", "widened-r112-three-storeys.json")
	other := example(t, "proposals", "mixed-shops-and-flats.json")
	failing := example(t, "proposals", "footprint-on-the-widening.json")
	const apps = "/api/v1/applications"

	first := o.as(t, "ali", "POST", apps, "ali-1", filingBody(t, "", passing))
	app := expect(t, first, http.StatusCreated, "", "")
	id := idOf(t, app)
	if app["state"] != "submitted" || app["applicant"] != "ali" || app["filed_by"] != "ali" || app["parcel_id"] != "103/2" {
		t.Fatalf("filed %s", clip(first.Body))
	}
	validation := app["validation"]
	retry := o.as(t, "ali", "POST", apps, "ali-1", filingBody(t, "", passing))
	if expect(t, retry, http.StatusOK, "", ""); string(retry.Body) != string(first.Body) {
		t.Errorf("a retry answers another body:\n%s\nwant\n%s", clip(retry.Body), clip(first.Body))
	}

	refusals := []struct {
		name, user, key, body string
		status                int
		code, field           string
	}{
		{"the key reused for another proposal", "ali", "ali-1", filingBody(t, "", other), 409, "idempotency_key_reused", "Idempotency-Key"},
		{"no key", "ali", "", filingBody(t, "", passing), 400, "missing_field", "Idempotency-Key"},
		{"an overlong key", "ali", strings.Repeat("k", records.MaxKeyBytes+1), filingBody(t, "", passing), 400, "invalid_value", "Idempotency-Key"},
		{"no proposal", "ali", "ali-2", `{"applicant":"ali"}`, 400, "missing_field", "proposal"},
		{"an unknown member", "ali", "ali-2", `{"proposal":` + passing + `,"fee":1}`, 400, "bad_json", "fee"},
		{"an unknown plate", "ali", "ali-2", filingBody(t, "", withMember(t, passing, "parcel_id", "99999/1")), 404, "parcel_not_found", "proposal.parcel_id"},
		{"a bad member of the proposal", "ali", "ali-2", filingBody(t, "", withMember(t, passing, "height_m", -3)), 400, "invalid_value", "proposal.height_m"},
		{"for someone else", "ali", "ali-2", filingBody(t, "sara", passing), 403, "forbidden", "applicant"},
		{"an engineer naming no client", "eng-reza", "eng-1", filingBody(t, "", passing), 422, "invalid_filing", "applicant"},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			expect(t, o.as(t, r.user, "POST", apps, r.key, r.body), r.status, r.code, r.field)
		})
	}
	t.Run("a failing proposal", func(t *testing.T) {
		v := expect(t, o.as(t, "ali", "POST", apps, "ali-3", filingBody(t, "", failing)), 422, "validation_failed", "proposal")
		if rep, _ := v["validation"].(map[string]any); rep == nil || rep["passed"] != false {
			t.Errorf("no failing report under validation: %v", v)
		}
	})
	forSara := expect(t, o.as(t, "eng-reza", "POST", apps, "eng-1", filingBody(t, "sara", other)), http.StatusCreated, "", "")
	if forSara["applicant"] != "sara" || forSara["filed_by"] != "eng-reza" {
		t.Errorf("filed for a client: %v", forSara)
	}

	// Who sees what.
	saraID := idOf(t, forSara)
	listed := func(user, query string) []string {
		t.Helper()
		v := expect(t, o.as(t, user, "GET", apps+query, "", ""), http.StatusOK, "", "")
		ids := []string{}
		for _, a := range v["applications"].([]any) {
			ids = append(ids, idOf(t, a.(map[string]any)))
		}
		return ids
	}
	for _, c := range []struct {
		user, query string
		want        []string
	}{
		{"ali", "", []string{id}},
		{"sara", "", []string{saraID}},
		{"eng-reza", "", []string{saraID}},
		{"staff-mina", "", []string{saraID, id}},
		{"member-hasan", "", []string{saraID, id}},
		{"staff-mina", "?limit=1", []string{saraID}},
		{"staff-mina", "?before=" + saraID, []string{id}},
		{"staff-mina", "?parcel_id=103/2", []string{id}},
		{"staff-mina", "?state=approved", []string{}},
	} {
		if got := listed(c.user, c.query); !slices.Equal(got, c.want) {
			t.Errorf("%s lists %s: %v, want %v", c.user, c.query, got, c.want)
		}
	}
	expect(t, o.as(t, "sara", "GET", apps+"/"+id, "", ""), 404, "not_found", "id")
	expect(t, o.as(t, "staff-mina", "GET", apps+"?state=granted", "", ""), 400, "invalid_value", "state")
	expect(t, o.as(t, "staff-mina", "GET", apps+"?limit=501", "", ""), 400, "invalid_value", "limit")
	expect(t, o.as(t, "staff-mina", "GET", apps+"?before=x", "", ""), 400, "invalid_value", "before")
	expect(t, o.as(t, "staff-mina", "GET", apps+"/x", "", ""), 400, "invalid_value", "id")
	expect(t, o.as(t, "staff-mina", "GET", apps+"/999", "", ""), 404, "not_found", "id")

	// The life cycle, with the moves refused on the way.
	move := apps + "/" + id + "/transitions"
	steps := []struct {
		body        string
		status      int
		code, field string
	}{
		{`{"to":"approved"}`, 409, "transition_not_allowed", "to"},
		{`{}`, 400, "missing_field", "to"},
		{`{"to":"under_review","reason":"complete file"}`, 200, "", ""},
		{`{"to":"rejected"}`, 400, "missing_field", "reason"},
		{`{"to":"granted"}`, 400, "invalid_value", "to"},
		{`{"to":"approved"}`, 200, "", ""},
		{`{"to":"permit_issued"}`, 200, "", ""},
		{`{"to":"completion_certificate"}`, 200, "", ""},
	}
	for _, s := range steps {
		v := expect(t, o.as(t, "staff-mina", "POST", move, "", s.body), s.status, s.code, s.field)
		var asked struct{ To string }
		if err := json.Unmarshal([]byte(s.body), &asked); err != nil {
			t.Fatal(err)
		}
		if s.status == 200 && v["state"] != asked.To {
			t.Errorf("moved with %s: state %v", s.body, v["state"])
		}
	}
	expect(t, o.as(t, "staff-mina", "POST", apps+"/999/transitions", "", `{"to":"under_review"}`), 404, "not_found", "id")

	got := expect(t, o.as(t, "ali", "GET", apps+"/"+id, "", ""), http.StatusOK, "", "")
	permit, _ := got["permit"].(map[string]any)
	rep := validation.(map[string]any)
	if got["state"] != "completion_certificate" || permit == nil || permit["issued_by"] != "staff-mina" {
		t.Fatalf("after the life cycle: %v", got)
	}
	for _, k := range []string{"figures", "checks", "dues", "plan", "rule_pack"} {
		if !sameJSON(t, permit[k], rep[k]) {
			t.Errorf("the permit's %s are not the filed validation's", k)
		}
	}
	if permit["dues_total_rial"] != rep["dues_total_rial"] || permit["dues_total_rial"] == nil {
		t.Errorf("permit dues %v, validation's %v", permit["dues_total_rial"], rep["dues_total_rial"])
	}
	var actions []string
	for _, e := range got["history"].([]any) {
		e := e.(map[string]any)
		actions = append(actions, e["action"].(string)+" by "+e["actor"].(string))
	}
	want := []string{"application.filed by ali", "application.transition by staff-mina", "application.transition by staff-mina",
		"application.transition by staff-mina", "application.transition by staff-mina"}
	if !slices.Equal(actions, want) {
		t.Errorf("history %q, want %q", actions, want)
	}
}

// TestCasesOverHTTP opens cases, decides them (following the proposal, and
// departing from it with and without a reason), closes one, and issues a
// certificate of no violation, refused while a case is open or decided.
func TestCasesOverHTTP(t *testing.T) {
	o := newOffice(t)
	const cases, certs = "/api/v1/cases", "/api/v1/certificates"
	shops := example(t, "cases", "shops-enlarged.json")           // 105/2: a fine of 25,146,000,000 Rial
	street := example(t, "cases", "footprint-in-the-street.json") // demolition
	noPermit := example(t, "cases", "built-without-a-permit.json")

	first := o.as(t, "staff-mina", "POST", cases, "case-1", shops)
	c := expect(t, first, http.StatusCreated, "", "")
	id := idOf(t, c)
	if c["state"] != "open" || c["parcel_id"] != "105/2" || c["opened_by"] != "staff-mina" {
		t.Fatalf("opened %s", clip(first.Body))
	}
	retry := o.as(t, "staff-mina", "POST", cases, "case-1", shops)
	if expect(t, retry, http.StatusOK, "", ""); string(retry.Body) != string(first.Body) {
		t.Errorf("a retry answers another body")
	}
	expect(t, o.as(t, "staff-mina", "POST", cases, "case-1", street), 409, "idempotency_key_reused", "Idempotency-Key")
	expect(t, o.as(t, "staff-mina", "POST", cases, "", shops), 400, "missing_field", "Idempotency-Key")
	expect(t, o.as(t, "staff-mina", "POST", cases, "case-x", withMember(t, shops, "parcel_id", "99999/1")), 404, "parcel_not_found", "parcel_id")
	expect(t, o.as(t, "staff-mina", "POST", cases, "case-x", `{"parcel_id":"105/2","permit":null}`), 400, "missing_field", "survey")

	certFor := func(parcel string) string { return `{"parcel_id":"` + parcel + `"}` }
	expect(t, o.as(t, "staff-mina", "POST", certs, "cert-1", certFor("105/2")), 409, "open_case", "parcel_id")
	expect(t, o.as(t, "staff-mina", "POST", cases+"/"+id+"/closure", "", `{"reason":"paid"}`), 409, "transition_not_allowed", "id")

	// Decided as proposed.
	d := expect(t, o.as(t, "member-hasan", "POST", cases+"/"+id+"/decision", "", `{}`), 200, "", "")
	dec, _ := d["decision"].(map[string]any)
	if d["state"] != "decided" || dec == nil || dec["follows_proposal"] != true || dec["fines_total_rial"] != json.Number("25146000000") ||
		dec["decided_by"] != "member-hasan" {
		t.Fatalf("decided %v", d)
	}
	expect(t, o.as(t, "member-hasan", "POST", cases+"/"+id+"/decision", "", `{}`), 409, "transition_not_allowed", "id")
	expect(t, o.as(t, "staff-mina", "POST", certs, "cert-1", certFor("105/2")), 409, "open_case", "parcel_id")
	expect(t, o.as(t, "staff-mina", "POST", cases+"/"+id+"/closure", "", `{"reason":" "}`), 400, "missing_field", "reason")
	closed := expect(t, o.as(t, "staff-mina", "POST", cases+"/"+id+"/closure", "", `{"reason":"fine paid, receipt 123"}`), 200, "", "")
	if closed["state"] != "closed" || !sameJSON(t, closed["decision"], dec) {
		t.Errorf("closed %v", closed)
	}

	// Now the parcel has no case that is not closed.
	cert := expect(t, o.as(t, "staff-mina", "POST", certs, "cert-1", certFor("105/2")), http.StatusCreated, "", "")
	again := expect(t, o.as(t, "staff-mina", "POST", certs, "cert-1", certFor("105/2")), http.StatusOK, "", "")
	if cert["parcel_id"] != "105/2" || !strings.HasPrefix(cert["number"].(string), "NV-") || !sameJSON(t, again, cert) {
		t.Errorf("certificate %v, retried %v", cert, again)
	}
	if got := expect(t, o.as(t, "member-hasan", "GET", certs+"/"+idOf(t, cert), "", ""), 200, "", ""); !sameJSON(t, got, cert) {
		t.Errorf("GET the certificate: %v, want %v", got, cert)
	}
	expect(t, o.as(t, "staff-mina", "POST", certs, "cert-2", certFor("99999/1")), 404, "parcel_not_found", "parcel_id")
	expect(t, o.as(t, "staff-mina", "POST", certs, "cert-2", `{"parcel_id":"105/2","as_of":"1999-01-01"}`), 404, "no_plan_version", "as_of")
	expect(t, o.as(t, "staff-mina", "POST", certs, "cert-2", `{}`), 400, "missing_field", "parcel_id")
	expect(t, o.as(t, "staff-mina", "GET", certs+"/999", "", ""), 404, "not_found", "id")

	// Departing from the proposal: only with a reason, each ruling whole.
	sid := idOf(t, expect(t, o.as(t, "staff-mina", "POST", cases, "case-2", street), http.StatusCreated, "", ""))
	fineInstead := `{"rulings":[{"violation":"encroachment","ruling":"fine","fine_rial":500000000}]`
	expect(t, o.as(t, "member-hasan", "POST", cases+"/"+sid+"/decision", "", fineInstead+`}`), 400, "missing_field", "reason")
	for _, r := range []struct{ body, code, field string }{
		{`{"rulings":[{"violation":"encroachment","ruling":"fine"}],"reason":"r"}`, "invalid_decision", "rulings[0].fine_rial"},
		{`{"rulings":[{"violation":"parking","ruling":"dismissed"}],"reason":"r"}`, "invalid_decision", "rulings[0].violation"},
		{`{"rulings":[],"reason":"r"}`, "invalid_decision", "rulings"},
	} {
		expect(t, o.as(t, "member-hasan", "POST", cases+"/"+sid+"/decision", "", r.body), 422, r.code, r.field)
	}
	expect(t, o.as(t, "member-hasan", "POST", cases+"/"+sid+"/decision", "", `{"rulings":"all"}`), 400, "bad_json", "rulings")
	differed := expect(t, o.as(t, "member-hasan", "POST", cases+"/"+sid+"/decision", "", fineInstead+`,"reason":"the encroachment is a removable canopy"}`), 200, "", "")
	if dd := differed["decision"].(map[string]any); dd["follows_proposal"] != false || dd["reason"] != "the encroachment is a removable canopy" ||
		dd["fines_total_rial"] != json.Number("500000000") {
		t.Errorf("a decision departing from the proposal: %v", dd)
	}

	// The case without a permit has two violations: the second's fine is
	// named when it lacks its amount.
	nid := idOf(t, expect(t, o.as(t, "staff-mina", "POST", cases, "case-3", noPermit), http.StatusCreated, "", ""))
	expect(t, o.as(t, "member-hasan", "POST", cases+"/"+nid+"/decision", "",
		`{"rulings":[{"violation":"no_permit_residential","ruling":"fine","fine_rial":4016943350},{"violation":"residential_excess","ruling":"fine"}],"reason":"r"}`),
		422, "invalid_decision", "rulings[1].fine_rial")

	lists := func(query string) []string {
		t.Helper()
		v := expect(t, o.as(t, "member-hasan", "GET", cases+query, "", ""), http.StatusOK, "", "")
		ids := []string{}
		for _, c := range v["cases"].([]any) {
			ids = append(ids, idOf(t, c.(map[string]any)))
		}
		return ids
	}
	for query, want := range map[string][]string{"": {nid, sid, id}, "?state=open": {nid}, "?state=decided": {sid},
		"?state=closed": {id}, "?parcel_id=105/2": {id}, "?limit=2": {nid, sid}} {
		if got := lists(query); !slices.Equal(got, want) {
			t.Errorf("GET /cases%s: %v, want %v", query, got, want)
		}
	}
	expect(t, o.as(t, "staff-mina", "GET", cases+"?state=submitted", "", ""), 400, "invalid_value", "state")
	expect(t, o.as(t, "staff-mina", "GET", cases+"/999", "", ""), 404, "not_found", "id")
	expect(t, o.as(t, "member-hasan", "POST", cases+"/999/decision", "", `{}`), 404, "not_found", "id")

	full := expect(t, o.as(t, "member-hasan", "GET", cases+"/"+id, "", ""), 200, "", "")
	var actions []string
	for _, e := range full["history"].([]any) {
		actions = append(actions, e.(map[string]any)["action"].(string))
	}
	if want := []string{"case.opened", "case.decided", "case.closed"}; !slices.Equal(actions, want) {
		t.Errorf("history %v, want %v", actions, want)
	}
	if full["review"] == nil || full["document"] == nil || full["closure"] == nil {
		t.Errorf("GET /cases/%s lacks its review, document or closure: %v", id, full)
	}
}

// TestRecordsUnavailable: a server without a database or without a token
// secret keeps no records. Without a secret every protected route answers
// 503 records_unavailable; with one the token is checked first, and only the
// admin's bundle upload, which needs no records, is served. A database gone
// away is 503 store_unavailable.
func TestRecordsUnavailable(t *testing.T) {
	municipality := testBundle(t).Manifest.Municipality
	noSecret := &office{app: newApp(t, importBundle(t))}
	noDatabase := &office{app: buildApp(t, importBundle(t), municipality, nil, guard(t))}
	for _, rt := range protectedRoutes {
		name := rt.method + " " + rt.target
		t.Run(name, func(t *testing.T) {
			res := noSecret.doWith(t, rt.method, rt.target, rt.body, headers(tokenFor(t, "staff-mina", false), rt.key))
			if e := expect(t, res, 503, "records_unavailable", "")["error"].(map[string]any); !strings.Contains(e["detail"].(string), auth.EnvSecret) {
				t.Errorf("detail %q does not name %s", e["detail"], auth.EnvSecret)
			}
			expect(t, noDatabase.doWith(t, rt.method, rt.target, rt.body, headers("", rt.key)), 401, "unauthenticated", "Authorization")
			user := "member-hasan"
			if rt.roles != nil {
				user = map[auth.Role]string{auth.Applicant: "ali", auth.Engineer: "eng-reza", auth.Staff: "staff-mina",
					auth.Commission: "member-hasan", auth.Admin: "admin-omid"}[rt.roles[0]]
			}
			res = noDatabase.doWith(t, rt.method, rt.target, rt.body, headers(tokenFor(t, user, false), rt.key))
			switch rt.target {
			case "/api/v1/me":
				expect(t, res, 200, "", "")
				return
			case "/api/v1/plan/versions": // the plan's store, not the records
				expect(t, res, 400, "bad_archive", "")
				return
			}
			if e := expect(t, res, 503, "records_unavailable", "")["error"].(map[string]any); !strings.Contains(e["detail"].(string), "database") {
				t.Errorf("detail %q does not say a database is wanted", e["detail"])
			}
		})
	}

	o := newOffice(t)
	expect(t, o.as(t, "staff-mina", "GET", "/api/v1/applications", "", ""), 200, "", "")
	dropDatabase(t, o.dbURL)
	expect(t, o.as(t, "staff-mina", "GET", "/api/v1/applications", "", ""), 503, "store_unavailable", "")
	expect(t, o.as(t, "staff-mina", "POST", "/api/v1/cases", "case-1", example(t, "cases", "shops-enlarged.json")), 503, "store_unavailable", "")
}

// TestRetryOutlivesThePlan: a retry is answered with what was recorded
// although the plan changed since (here the parcel is gone from the version
// now in force), while a new filing is judged on today's plan.
func TestRetryOutlivesThePlan(t *testing.T) {
	o := newOffice(t)
	const apps = "/api/v1/applications"
	passing := example(t, "proposals", "widened-r112-three-storeys.json")
	first := expect(t, o.as(t, "ali", "POST", apps, "k", filingBody(t, "", passing)), http.StatusCreated, "", "")

	b := *testBundle(t)
	b.Parcels = slices.DeleteFunc(slices.Clone(b.Parcels), func(p layers.Parcel) bool { return p.ID == "103/2" })
	b.Manifest.PlanVersion += "-b"
	b.Manifest.EffectiveFrom = time.Date(today.Year(), today.Month(), today.Day()-1, 0, 0, 0, 0, time.UTC)
	if _, err := o.plans.Import(t.Context(), &b); err != nil {
		t.Fatal(err)
	}
	expect(t, o.as(t, "ali", "POST", apps, "k2", filingBody(t, "", passing)), http.StatusNotFound, "parcel_not_found", "proposal.parcel_id")
	again := expect(t, o.as(t, "ali", "POST", apps, "k", filingBody(t, "", passing)), http.StatusOK, "", "")
	if again["id"] != first["id"] {
		t.Errorf("the retry got application %v, want %v", again["id"], first["id"])
	}
}

// TestNotText: a path, query or Idempotency-Key that is not UTF-8 text is
// 400 invalid_value naming it, never a database error.
func TestNotText(t *testing.T) {
	o := newOffice(t)
	for _, tc := range []struct{ target, key, field string }{
		{"/api/v1/applications?parcel_id=%FF", "", "parcel_id"},
		{"/api/v1/estimates?parcel_id=%FF", "", "parcel_id"},
		{"/api/v1/parcels/%FF", "", "path"},
		{"/api/v1/applications", "\xff", "Idempotency-Key"},
	} {
		method, body := "GET", ""
		if tc.key != "" {
			method, body = "POST", filingBody(t, "", example(t, "proposals", "widened-r112-three-storeys.json"))
		}
		h := headers(tokenFor(t, "ali", false), tc.key)
		expect(t, o.serveWith(method, tc.target, body, h), http.StatusBadRequest, "invalid_value", tc.field)
	}
}
