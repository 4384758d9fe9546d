package postgis_test

import (
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/parvaneh/parvaneh/citygen"
	"github.com/parvaneh/parvaneh/examples"
	"github.com/parvaneh/parvaneh/layers"
)

// BenchmarkImportCity imports the sample city (2,500 parcels) and a
// generated 100,000-parcel city the way `parvaneh import` does: the bundle
// is read (GeoJSON, projection, validation) outside the timer, and
// features/s counts the write into PostGIS alone, one transaction each.
func BenchmarkImportCity(b *testing.B) {
	cities := []struct {
		name string
		read func(b *testing.B) *layers.Bundle
	}{
		{"sample_2500", func(b *testing.B) *layers.Bundle { return readBundle(b, examples.Nemuneh()) }},
		{"generated_100000", func(b *testing.B) *layers.Bundle {
			dir := b.TempDir()
			opts := citygen.DefaultOptions()
			opts.Parcels = 100_000
			if _, err := citygen.Generate(b.Context(), opts, dir); err != nil {
				b.Fatal(err)
			}
			return readBundle(b, os.DirFS(dir))
		}},
	}
	for _, c := range cities {
		b.Run(c.name, func(b *testing.B) {
			bundle := c.read(b)
			s := open(b)
			n := featureCount(bundle)
			var elapsed time.Duration
			for b.Loop() {
				start := time.Now()
				if _, err := s.Import(b.Context(), bundle); err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
			}
			b.ReportMetric(float64(n), "features")
			b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "features/s")
		})
	}
}

func readBundle(b *testing.B, fsys fs.FS) *layers.Bundle {
	b.Helper()
	bundle, err := layers.ReadBundle(fsys)
	if err != nil {
		b.Fatal(err)
	}
	return bundle
}
