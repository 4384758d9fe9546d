package permits_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/parvaneh/parvaneh/permits"
)

// BenchmarkValidate times one validation in process on the embedded store,
// warmed as parvaneh serve warms it: reading the proposal, resolving the
// parcel, measuring the footprint against the parcel and the streets,
// running the pack's validation job. "footprint" is the target of
// BENCHMARKS.md, "Validation" (testdata/validations/pass_r131: seven storeys
// and a basement on 107/2, a drawn footprint); "declared" gives the
// footprint's area instead, for what measuring it costs. Besides the mean it
// reports the median and p99 of the per-validation durations: the mean is at
// the mercy of a shared machine.
func BenchmarkValidate(b *testing.B) {
	svc, st, v := sampleCity(b)
	if err := st.Warm(b.Context(), v.ID); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, file string }{
		{"footprint", "pass_r131"},
		{"declared", "purchased_density"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			data, err := os.ReadFile(filepath.Join("testdata", "validations", bc.file+".proposal.json"))
			if err != nil {
				b.Fatal(err)
			}
			var took []time.Duration
			b.ReportAllocs()
			for b.Loop() {
				start := time.Now()
				p, err := permits.ParseProposal(data)
				if err != nil {
					b.Fatal(err)
				}
				r, err := svc.Validate(b.Context(), p)
				if err != nil || !r.Passed {
					b.Fatalf("passed %v, %v", r != nil && r.Passed, err)
				}
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
		})
	}
}
