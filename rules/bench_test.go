package rules

import (
	"testing"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// benchSite is a typical parcel: two zones, an overlay with a height cap,
// a value block.
var benchSite = Site{
	A: 512.37, W: 12.37, N: 500, S: 12, FrontStreet: "ST-12",
	Zones:         []ZoneShare{{Code: "R121", Area: 300, Fraction: 0.6}, {Code: "R122", Area: 200, Fraction: 0.4}},
	Governing:     "R121",
	Overlays:      []OverlayFact{{ID: "OV-AIR", Kind: "airport", HasMaxHeight: true, MaxHeightM: 21, Area: 500}},
	HasValueBlock: true, P: 1_200_500, TXr: 2_000_000, TXc: 4_000_000,
}

func benchPack(b *testing.B) *Pack {
	b.Helper()
	p, err := Bundled("nemuneh")
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// simpleSite is the plainest parcel: one zone, no overlay.
var simpleSite = Site{
	A: 300, N: 300, S: 12, FrontStreet: "ST-7",
	Zones:         []ZoneShare{{Code: "R122", Area: 300, Fraction: 1}},
	Governing:     "R122",
	HasValueBlock: true, P: 1_200_500, TXr: 2_000_000, TXc: 4_000_000,
}

// BenchmarkEstimate evaluates the whole Nemuneh estimate for one site, with
// every figure's explanation.
func BenchmarkEstimate(b *testing.B) {
	p := benchPack(b)
	for _, tc := range []struct {
		name string
		site Site
	}{{"typical", benchSite}, {"simple", simpleSite}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := p.Estimate(tc.site)
				if err != nil || len(r.Figures) == 0 {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEstimateParallel is the estimate from every core at once (the
// evaluators come from a pool).
func BenchmarkEstimateParallel(b *testing.B) {
	p := benchPack(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := p.Estimate(benchSite); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkValidate(b *testing.B) {
	p := benchPack(b)
	prop := Proposal{ParkingSpaces: 10, HeightM: 14, FootprintArea: 290}
	for level := range 4 {
		prop.Floors = append(prop.Floors, Floor{Level: level, ResidentialArea: 250, Units: []float64{125, 125}})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Validate(benchSite, prop); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkViolations(b *testing.B) {
	p := benchPack(b)
	permit := &Permit{ResidentialArea: 1000, Floors: 4, ParkingSpaces: 10}
	survey := Survey{ResidentialArea: 1120.5, Floors: 5, ParkingSpaces: 8, EncroachmentArea: 1.2}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Violations(benchSite, permit, survey); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadPack reads and compiles the Nemuneh pack: once per process.
func BenchmarkLoadPack(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		benchPack(b)
	}
}

// BenchmarkOneProgram is the yardstick: one small compiled expr program, a
// rule of the usual size, run by a reused VM. The estimate runs the work of
// a few dozen such programs.
func BenchmarkOneProgram(b *testing.B) {
	env := map[string]any{"N": 500.0, "D": 240.0}
	prog, err := expr.Compile("N * D / 100", expr.Env(env))
	if err != nil {
		b.Fatal(err)
	}
	var m vm.VM
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Run(prog, env); err != nil {
			b.Fatal(err)
		}
	}
}
