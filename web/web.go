// Package web is the map page that parvaneh serve shows at /: static files
// embedded in the binary (the map library is vendored, so the server works
// offline), talking to the JSON API under /api/v1.
//
// The page is plain HTML, CSS and JavaScript modules with no build step:
// static/index.html, app.js (map, search, estimate and plan-check panel,
// the address's routes), page.js (state, API calls, elements and errors the
// modules share), records.js (sign-in with a token, each role's worklist,
// filing a checked plan, staff's actions), case.js (a violation case: the
// built footprint and its encroachment on the map, the violations, the
// commission's decision), format.js (Persian digits, money,
// Gregorian→Jalali dates), i18n.js (the page's words in Persian and
// English) and app.css (screen and the printed instruction sheet). Leaflet
// and polygon-clipping live in static/vendor, put there by vendor.sh.
package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var static embed.FS

// contentSecurityPolicy allows the page nothing from elsewhere: scripts,
// styles, images and API calls come from this server only. Inline styles are
// allowed because Leaflet positions the map's panes with them.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
	"script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// Handler serves the page and its assets.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	etags := contentTags(sub)
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// Embedded files carry no modification time: browsers revalidate
		// by content hash, so an upgraded binary never serves a stale page.
		h.Set("Cache-Control", "no-cache")
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name == "" {
			name = "index.html"
		}
		if tag, ok := etags[name]; ok {
			h.Set("ETag", tag)
		}
		files.ServeHTTP(w, r)
	})
}

// contentTags hashes every embedded file once, for ETags.
func contentTags(fsys fs.FS) map[string]string {
	tags := map[string]string{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		tags[p] = `"` + hex.EncodeToString(sum[:8]) + `"`
		return nil
	})
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return tags
}
