package storetest

import (
	"fmt"
	"math"
	"testing"

	"github.com/parvaneh/parvaneh/layers"
)

// Tolerances of the contract: areas agree within AreaTolerance m² (the
// rounding step of the rule book), distances to float noise.
const (
	AreaTolerance     = 0.01
	DistanceTolerance = 1e-6
	// noiseArea is an overlap small enough to be float noise of one store's
	// overlay: present in one store and absent in the other, it is no
	// disagreement (it rounds to 0.00 m² either way).
	noiseArea = 1e-6
)

// summary is a Measurement reduced to what the contract compares: ids (or
// codes) in the order the store returned them, with their area or distance.
type summary struct {
	A, W                                      float64
	Streets, Zones, Overlays, Blocks, Masters []entry
}

type entry struct {
	ID string
	V  float64
}

func summarize(m layers.Measurement) summary {
	s := summary{A: m.Area, W: m.Widening}
	for _, x := range m.Streets {
		s.Streets = append(s.Streets, entry{x.Street.ID, x.Distance})
	}
	for _, x := range m.Zones {
		s.Zones = append(s.Zones, entry{x.Code, x.Area})
	}
	for _, x := range m.Overlays {
		s.Overlays = append(s.Overlays, entry{x.Overlay.ID, x.Area})
	}
	for _, x := range m.ValueBlocks {
		s.Blocks = append(s.Blocks, entry{x.Block.ID, x.Area})
	}
	for _, x := range m.MasterZones {
		s.Masters = append(s.Masters, entry{x.Zone.ID, x.Area})
	}
	return s
}

// diff lists how got differs from want; empty when they agree.
func diff(got, want summary) []string {
	var out []string
	if math.Abs(got.A-want.A) > AreaTolerance {
		out = append(out, fmt.Sprintf("area %.4f, want %.4f", got.A, want.A))
	}
	if math.Abs(got.W-want.W) > AreaTolerance {
		out = append(out, fmt.Sprintf("widening %.4f, want %.4f", got.W, want.W))
	}
	out = append(out, diffEntries("streets (distance)", got.Streets, want.Streets, DistanceTolerance, 0)...)
	out = append(out, diffEntries("zones", got.Zones, want.Zones, AreaTolerance, noiseArea)...)
	out = append(out, diffEntries("overlays", got.Overlays, want.Overlays, AreaTolerance, noiseArea)...)
	out = append(out, diffEntries("value blocks", got.Blocks, want.Blocks, AreaTolerance, noiseArea)...)
	out = append(out, diffEntries("master zones", got.Masters, want.Masters, AreaTolerance, noiseArea)...)
	return out
}

// diffEntries compares two id-ordered lists, walking them like a merge: an
// id in one list only is a difference unless its value is at most noise.
func diffEntries(what string, got, want []entry, tol, noise float64) []string {
	var out []string
	for i := 1; i < len(got); i++ {
		if got[i-1].ID >= got[i].ID {
			out = append(out, fmt.Sprintf("%s not in id order: %q before %q", what, got[i-1].ID, got[i].ID))
		}
	}
	i, j := 0, 0
	for i < len(got) || j < len(want) {
		switch {
		case j == len(want) || (i < len(got) && got[i].ID < want[j].ID):
			if got[i].V > noise {
				out = append(out, fmt.Sprintf("%s: unexpected %s (%.4f)", what, got[i].ID, got[i].V))
			}
			i++
		case i == len(got) || want[j].ID < got[i].ID:
			if want[j].V > noise {
				out = append(out, fmt.Sprintf("%s: missing %s (want %.4f)", what, want[j].ID, want[j].V))
			}
			j++
		default:
			if math.Abs(got[i].V-want[j].V) > tol {
				out = append(out, fmt.Sprintf("%s: %s %.4f, want %.4f", what, got[i].ID, got[i].V, want[j].V))
			}
			i++
			j++
		}
	}
	return out
}

// Diff lists how measurement got differs from want (ids, areas beyond
// AreaTolerance, distances beyond DistanceTolerance, list order); empty when
// they agree.
func Diff(got, want layers.Measurement) []string {
	return diff(summarize(got), summarize(want))
}

// CompareMeasure measures every parcel's geometry in store a (version va)
// and in store b (version vb) and fails t where the two measurements differ:
// other ids, areas further apart than AreaTolerance, distances further than
// DistanceTolerance. It is how the two stores are shown to agree on a whole
// city.
func CompareMeasure(t testing.TB, a, b layers.Store, va, vb int64, parcels []layers.Parcel) {
	t.Helper()
	ctx := t.Context()
	for _, p := range parcels {
		ma, err := a.Measure(ctx, va, p.Geom)
		if err != nil {
			t.Errorf("parcel %s: store a: %v", p.ID, err)
			continue
		}
		mb, err := b.Measure(ctx, vb, p.Geom)
		if err != nil {
			t.Errorf("parcel %s: store b: %v", p.ID, err)
			continue
		}
		for _, d := range Diff(ma, mb) {
			t.Errorf("parcel %s: store a vs b: %s", p.ID, d)
		}
	}
}
