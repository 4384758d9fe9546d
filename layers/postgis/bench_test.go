package postgis_test

import (
	"testing"
	"time"
)

// BenchmarkImport imports a synthetic city of 20,000 parcels (and its
// streets, zones, blocks and overlays) per iteration; features/s is the
// figure BENCHMARKS.md tracks.
func BenchmarkImport(b *testing.B) {
	s := open(b)
	bundle := grid(20_000)
	n := featureCount(bundle)
	var elapsed time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := s.Import(b.Context(), bundle); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "features/s")
}

// BenchmarkMeasure measures parcels of a 20,000-parcel city, each against
// its street, zones, value block, overlay and master zone.
func BenchmarkMeasure(b *testing.B) {
	s := open(b)
	bundle := grid(20_000)
	v := mustImport(b, s, bundle)
	i := 0
	for b.Loop() {
		p := bundle.Parcels[(i*7919)%len(bundle.Parcels)]
		if _, err := s.Measure(b.Context(), v.ID, p.Geom); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
