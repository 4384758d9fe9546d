package api

import (
	"archive/zip"
	"bytes"
	"errors"
	"io/fs"
	"math"
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

// TestArchiveSizesDoNotWrap: entries whose declared sizes sum past 2⁶⁴ back
// to almost nothing are refused, not read (a 1 TiB manifest would be
// allocated whole).
func TestArchiveSizesDoNotWrap(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range []struct {
		name string
		size uint64
	}{{"manifest.yaml", 1 << 40}, {"padding", math.MaxUint64 - 1<<40 + 11}} {
		w, err := zw.CreateRaw(&zip.FileHeader{Name: e.name, Method: zip.Store, UncompressedSize64: e.size, CompressedSize64: 1})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("x")) //nolint:errcheck // a bytes.Buffer
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := openArchive(buf.Bytes(), 1<<20)
	var ae *apiError
	if !errors.As(err, &ae) || ae.Code != "body_too_large" {
		t.Fatalf("a wrapping archive: %v", err)
	}
}
