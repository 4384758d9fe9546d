package api_test

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// TestOpenAPIRoutes keeps the document and the router in step: every route
// gin serves is documented with its method, and every documented operation
// is served.
func TestOpenAPIRoutes(t *testing.T) {
	a := newApp(t, importBundle(t))
	eng, ok := a.handler.(*gin.Engine)
	if !ok {
		t.Fatalf("Handler() is a %T, want *gin.Engine to list its routes", a.handler)
	}
	var served []string
	for _, r := range eng.Routes() {
		segs := strings.Split(r.Path, "/")
		for i, s := range segs {
			if strings.HasPrefix(s, ":") || strings.HasPrefix(s, "*") {
				segs[i] = "{" + s[1:] + "}"
			}
		}
		served = append(served, r.Method+" "+strings.Join(segs, "/"))
	}
	var documented []string
	for path, item := range a.doc.doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(served)
	slices.Sort(documented)
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s is served but not in openapi.json", r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(served, r) {
			t.Errorf("operation %s is in openapi.json but not served", r)
		}
	}
}

// TestOpenAPIServed checks the document is served as it is in the source.
func TestOpenAPIServed(t *testing.T) {
	a := newApp(t, importBundle(t))
	res := a.do(t, http.MethodGet, "/api/v1/openapi.json", "")
	want, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != http.StatusOK || !bytes.Equal(res.Body, want) {
		t.Errorf("GET /api/v1/openapi.json = %d, %d bytes; want 200 and openapi.json (%d bytes)", res.Status, len(res.Body), len(want))
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
}

// TestOpenAPIErrorCodes keeps the document's list of error codes, and the
// codes each status may carry, equal to the catalogue in errors.go (with
// bad_geometry expanded to geo's refusal reasons).
func TestOpenAPIErrorCodes(t *testing.T) {
	catalogue := errorCatalogue(t)
	reasons := geoReasons(t)
	want := map[int][]string{}
	for code, status := range catalogue {
		if code == "bad_geometry" {
			for _, r := range reasons {
				want[status] = append(want[status], code+"."+r)
			}
			continue
		}
		want[status] = append(want[status], code)
	}

	doc := loadDoc(t).doc
	var all []string
	for _, codes := range want {
		all = append(all, codes...)
	}
	enum := doc.Components.Schemas["ErrorDetail"].Value.Properties["code"].Value.Enum
	checkCodes(t, "ErrorDetail.code", enum, all)

	for name, status := range map[string]int{"BadRequest": 400, "Unauthorized": 401, "Forbidden": 403, "NotFound": 404,
		"Conflict": 409, "PayloadTooLarge": 413, "Unprocessable": 422, "Unavailable": 503, "Internal": 500} {
		r := doc.Components.Responses[name]
		if r == nil {
			t.Errorf("openapi.json has no response %s", name)
			continue
		}
		s := r.Value.Content.Get("application/json").Schema.Value
		code := s.AllOf[1].Value.Properties["error"].Value.Properties["code"].Value
		checkCodes(t, "response "+name, code.Enum, want[status])
	}
	// Every status a code can carry is documented on some operation.
	for status := range want {
		found := false
		for _, item := range doc.Paths.Map() {
			for _, op := range item.Operations() {
				found = found || op.Responses.Status(status) != nil
			}
		}
		if !found {
			t.Errorf("no operation documents status %d", status)
		}
	}
}

func checkCodes(t *testing.T, where string, enum []any, want []string) {
	t.Helper()
	var got []string
	for _, e := range enum {
		got = append(got, e.(string))
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("%s lists codes %v\nwant (errors.go, geo reasons) %v", where, got, want)
	}
}

// errorCatalogue reads the code and status of every apiError literal in
// errors.go: the catalogue is unexported, and reading its source keeps the
// test from needing a hook in the package.
func errorCatalogue(t *testing.T) map[string]int {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[string]int{"StatusBadRequest": 400, "StatusUnauthorized": 401, "StatusForbidden": 403,
		"StatusNotFound": 404, "StatusConflict": 409, "StatusRequestEntityTooLarge": 413,
		"StatusUnprocessableEntity": 422, "StatusServiceUnavailable": 503, "StatusInternalServerError": 500}
	out := map[string]int{}
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok {
			return true
		}
		if id, ok := lit.Type.(*ast.Ident); !ok || id.Name != "apiError" {
			return true
		}
		code, status := "", -1
		for _, el := range lit.Elts {
			kv, _ := el.(*ast.KeyValueExpr)
			if kv == nil {
				continue
			}
			switch key, _ := kv.Key.(*ast.Ident); {
			case key == nil:
			case key.Name == "Code":
				if v, ok := kv.Value.(*ast.BasicLit); ok {
					code, _ = strconv.Unquote(v.Value)
				}
			case key.Name == "Status":
				if v, ok := kv.Value.(*ast.SelectorExpr); ok {
					s, known := statuses[v.Sel.Name]
					if !known {
						t.Errorf("errors.go: an error has status http.%s, unknown to this test", v.Sel.Name)
					}
					status = s
				}
			}
		}
		if code == "" || status < 0 {
			t.Errorf("errors.go: an apiError literal without a literal Code and http.Status* (code %q)", code)
		}
		out[code] = status
		return true
	})
	if len(out) < 5 {
		t.Fatalf("found only %d codes in errors.go: %v", len(out), out)
	}
	return out
}

// geoReasons reads geo's Reason* constants, the suffixes of bad_geometry.*.
func geoReasons(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../geo/geojson.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Reason") || i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok {
					v, _ := strconv.Unquote(lit.Value)
					out = append(out, v)
				}
			}
		}
	}
	if len(out) < 5 {
		t.Fatalf("found only %d Reason constants in geo/geojson.go", len(out))
	}
	return out
}
