package postgis_test

import (
	"testing"
	"time"

	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/layers/storetest"
)

// benchCity is storetest's synthetic city at about 20,000 parcels (35 × 36
// blocks of 16), with its streets, zones, value blocks and overlays.
func benchCity() *layers.Bundle { return storetest.City(35, 36) }

// BenchmarkImport imports the city per iteration; features/s is the figure
// BENCHMARKS.md tracks.
func BenchmarkImport(b *testing.B) {
	s := open(b)
	bundle := benchCity()
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

// BenchmarkMeasure measures the city's parcels, one per iteration, spread
// over the city.
func BenchmarkMeasure(b *testing.B) {
	s := open(b)
	bundle := benchCity()
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

// BenchmarkWarm measures and keeps every parcel of the city (Warm) per
// iteration, each time on a version imported for it (untimed).
func BenchmarkWarm(b *testing.B) {
	s := open(b)
	bundle := benchCity()
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		v := mustImport(b, s, bundle)
		b.StartTimer()
		start := time.Now()
		if err := s.Warm(b.Context(), v.ID); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(len(bundle.Parcels)*b.N)/elapsed.Seconds(), "parcels/s")
}
