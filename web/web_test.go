package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestHandlerServesThePage(t *testing.T) {
	h := Handler()
	for _, tc := range []struct {
		path, contentType string
	}{
		{"/", "text/html; charset=utf-8"},
		{"/app.js", "text/javascript; charset=utf-8"},
		{"/format.js", "text/javascript; charset=utf-8"},
		{"/i18n.js", "text/javascript; charset=utf-8"},
		{"/page.js", "text/javascript; charset=utf-8"},
		{"/records.js", "text/javascript; charset=utf-8"},
		{"/case.js", "text/javascript; charset=utf-8"},
		{"/app.css", "text/css; charset=utf-8"},
		{"/favicon.svg", "image/svg+xml"},
		{"/vendor/leaflet/leaflet.js", "text/javascript; charset=utf-8"},
		{"/vendor/leaflet/leaflet.css", "text/css; charset=utf-8"},
		{"/vendor/polygon-clipping/polygon-clipping.umd.min.js", "text/javascript; charset=utf-8"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			if got := rec.Header().Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type %q, want %q", got, tc.contentType)
			}
			if got := rec.Header().Get("Content-Security-Policy"); !strings.Contains(got, "default-src 'self'") {
				t.Errorf("Content-Security-Policy %q", got)
			}
			etag := rec.Header().Get("ETag")
			if etag == "" {
				t.Fatal("no ETag")
			}
			// A browser that has the file gets 304 and no body.
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			req.Header.Set("If-None-Match", etag)
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusNotModified {
				t.Errorf("revalidation: status %d, want 304", rec.Code)
			}
		})
	}
}

func TestHandlerUnknownFile(t *testing.T) {
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/no-such-file.js", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("status %d, want 404", rec.Code)
	}
}

// The server must work offline: the page loads nothing from elsewhere.
func TestPageLoadsNothingFromElsewhere(t *testing.T) {
	external := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|import[^;]*["'](https?:)?//`)
	err := fs.WalkDir(static, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(path, "static/vendor/") {
			return err
		}
		b, err := fs.ReadFile(static, path)
		if err != nil {
			return err
		}
		if m := external.Find(b); m != nil {
			t.Errorf("%s refers to another site: %q", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Each vendored library is the version vendor.sh pins, with its licence.
func TestVendoredLibrariesMatchVendorScript(t *testing.T) {
	script, err := os.ReadFile("vendor.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		dir, pin, file string
		// marks are strings the file must hold: its version, its global.
		marks func(version string) []string
	}{
		{"leaflet", "LEAFLET_VERSION", "leaflet.js", func(v string) []string { return []string{`version="` + v + `"`} }},
		{"polygon-clipping", "POLYGON_CLIPPING_VERSION", "polygon-clipping.umd.min.js", func(string) []string { return []string{".polygonClipping=", `"intersection"`} }},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			m := regexp.MustCompile(`(?m)^` + tc.pin + `=(\S+)$`).FindSubmatch(script)
			if m == nil {
				t.Fatalf("vendor.sh pins no %s", tc.pin)
			}
			want := string(m[1])
			got, err := fs.ReadFile(static, "static/vendor/"+tc.dir+"/VERSION")
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(string(got)) != want {
				t.Errorf("vendored %s %s, vendor.sh pins %s: run sh web/vendor.sh", tc.dir, strings.TrimSpace(string(got)), want)
			}
			if lic, err := fs.ReadFile(static, "static/vendor/"+tc.dir+"/LICENSE"); err != nil || len(lic) == 0 {
				t.Errorf("%s has no licence: %v", tc.dir, err)
			}
			js, err := fs.ReadFile(static, "static/vendor/"+tc.dir+"/"+tc.file)
			if err != nil {
				t.Fatal(err)
			}
			for _, mark := range tc.marks(want) {
				if !strings.Contains(string(js), mark) {
					t.Errorf("%s holds no %q: not %s %s", tc.file, mark, tc.dir, want)
				}
			}
		})
	}
}

// Every word the page's scripts ask for by name is in i18n.js, in both
// languages, and neither language has a word the other lacks.
func TestEveryWordInBothLanguages(t *testing.T) {
	src, err := fs.ReadFile(static, "static/i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	strs := regexp.MustCompile(`(?s)export const STRINGS = \{\n.*?\n\};`).Find(src)
	block := regexp.MustCompile(`(?s)\n  (fa|en): \{\n(.*?)\n  \},`).FindAllSubmatch(strs, -1)
	if len(block) != 2 {
		t.Fatalf("i18n.js: found %d language blocks, want fa and en", len(block))
	}
	key := regexp.MustCompile(`(?m)^    '?([a-z_.]+)'?:`)
	words := map[string]map[string]bool{}
	for _, b := range block {
		set := map[string]bool{}
		for _, k := range key.FindAllSubmatch(b[2], -1) {
			set[string(k[1])] = true
		}
		words[string(b[1])] = set
	}
	for k := range words["fa"] {
		if !words["en"][k] {
			t.Errorf("%q is in Persian only", k)
		}
	}
	for k := range words["en"] {
		if !words["fa"][k] {
			t.Errorf("%q is in English only", k)
		}
	}
	asked := regexp.MustCompile(`\b(?:tr|trf)\('([a-z_.]+)'|(?:localError\(|readJSON\(\w+, )'([a-z_]+)'\)`)
	scripts, err := fs.Glob(static, "static/*.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range scripts {
		b, err := fs.ReadFile(static, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range asked.FindAllSubmatch(b, -1) {
			k := string(m[1])
			if m[2] != nil {
				k = "err_" + string(m[2])
			}
			if !words["fa"][k] {
				t.Errorf("%s asks for %q, which i18n.js lacks", name, k)
			}
		}
	}
}
