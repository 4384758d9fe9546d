package api

import (
	"archive/zip"
	"bytes"
	"errors"
	"io/fs"
	"testing"
)

// FuzzOpenArchive: whatever is uploaded as a plan bundle, opening it never
// panics; it is a folder with a manifest.yaml or a refusal the API knows.
func FuzzOpenArchive(f *testing.F) {
	for _, files := range [][]string{{"manifest.yaml"}, {"city/manifest.yaml", "city/parcels.geojson"}, {"a/x", "b/y"}, nil} {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, name := range files {
			w, err := zw.Create(name)
			if err != nil {
				f.Fatal(err)
			}
			w.Write([]byte("municipality: X\n")) //nolint:errcheck // a bytes.Buffer
		}
		zw.Close() //nolint:errcheck // a bytes.Buffer
		f.Add(buf.Bytes())
	}
	f.Add([]byte("PK\x03\x04 not really"))
	f.Fuzz(func(t *testing.T, body []byte) {
		fsys, err := openArchive(body, 1<<20)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				t.Fatalf("a refusal the API does not know: %v", err)
			}
			return
		}
		if _, err := fs.Stat(fsys, "manifest.yaml"); err != nil {
			t.Fatalf("opened without a manifest: %v", err)
		}
	})
}
