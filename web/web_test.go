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
		{"/app.css", "text/css; charset=utf-8"},
		{"/favicon.svg", "image/svg+xml"},
		{"/vendor/leaflet/leaflet.js", "text/javascript; charset=utf-8"},
		{"/vendor/leaflet/leaflet.css", "text/css; charset=utf-8"},
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

// The vendored Leaflet is the version vendor.sh pins.
func TestVendoredLeafletMatchesVendorScript(t *testing.T) {
	script, err := os.ReadFile("vendor.sh")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^LEAFLET_VERSION=(\S+)$`).FindSubmatch(script)
	if m == nil {
		t.Fatal("vendor.sh pins no LEAFLET_VERSION")
	}
	got, err := fs.ReadFile(static, "static/vendor/leaflet/VERSION")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(got)) != string(m[1]) {
		t.Errorf("vendored Leaflet %s, vendor.sh pins %s: run sh web/vendor.sh", strings.TrimSpace(string(got)), m[1])
	}
	js, err := fs.ReadFile(static, "static/vendor/leaflet/leaflet.js")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `version="`+string(m[1])+`"`) {
		t.Errorf("leaflet.js is not version %s", m[1])
	}
}
