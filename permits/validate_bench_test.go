package permits_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/parvaneh/parvaneh/permits"
)

// BenchmarkValidate times one validation of a proposal with a drawn
// footprint (testdata/validations/pass_r131: seven storeys and a basement
// on 107/2), in process, on the embedded store warmed as parvaneh serve
// warms it: reading the proposal, resolving the parcel, measuring the
// footprint against the parcel and the streets, running the pack's
// validation job. BENCHMARKS.md, "Validation".
func BenchmarkValidate(b *testing.B) {
	svc, st, v := sampleCity(b)
	if err := st.Warm(b.Context(), v.ID); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("testdata", "validations", "pass_r131.proposal.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		p, err := permits.ParseProposal(data)
		if err != nil {
			b.Fatal(err)
		}
		r, err := svc.Validate(b.Context(), p)
		if err != nil || !r.Passed {
			b.Fatalf("passed %v, %v", r != nil && r.Passed, err)
		}
	}
}
