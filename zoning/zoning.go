// Package zoning turns what a parcel measures against the plan layers into
// its site facts, exactly as section 1 of the rule book defines them: areas A,
// W and N rounded once, the front street and S, the detailed-plan zones kept
// (slivers dropped) with their fractions and the governing zone, the overlays
// that count, and the value block. It decides, it does not measure: the
// measuring is the store's (layers.Store.Measure), so both stores give the
// same facts.
package zoning

import (
	"cmp"
	"math"
	"slices"

	"github.com/parvaneh/parvaneh/layers"
)

// Facts are a parcel's site facts. Areas are m² rounded half up to 0.01.
type Facts struct {
	A float64 `json:"A"` // parcel area
	W float64 `json:"W"` // widening: area inside the planned streets
	N float64 `json:"N"` // net area A − W

	// Streets are all streets within layers.NearStreetDistance, by id.
	Streets []Street `json:"streets"`
	// Front is the front street; nil when the parcel is landlocked.
	Front *Street `json:"front_street,omitempty"`
	// S is the planned width of the front street (0 when landlocked).
	S float64 `json:"S"`

	// Zones are the kept detailed-plan codes, by code.
	Zones []Zone `json:"zones"`
	// Slivers are the codes dropped for overlapping less than SliverPercent of N.
	Slivers []Zone `json:"slivers,omitempty"`
	// Governing is the kept code with the largest overlap ("" when none).
	Governing string `json:"governing_zone,omitempty"`

	// Overlays are those overlapping at least SliverPercent of the net parcel.
	Overlays []Overlay `json:"overlays"`
	// IgnoredOverlays overlap the net parcel by less than that.
	IgnoredOverlays []Overlay `json:"ignored_overlays,omitempty"`

	// ValueBlock is the block with the largest overlap; nil when none.
	ValueBlock *ValueBlock `json:"value_block,omitempty"`
	// MasterZone is the master-plan zone with the largest overlap, for
	// information; nil when none.
	MasterZone *MasterZone `json:"master_zone,omitempty"`
}

// SliverPercent is the share of N, in percent, below which a zone or overlay
// overlap is a sliver and ignored (rule book §1: "smaller than 1% of N").
const SliverPercent = 1

// atLeastShare reports whether an overlap is at least SliverPercent of n.
// Both are whole hundredths of a m² (rounded once), so the test runs in
// integers: in floating point 0.01 × N often comes out a hair above the
// exact value and would drop an overlap of exactly 1%.
func atLeastShare(area, n float64) bool {
	return hundredths(area)*100 >= hundredths(n)*SliverPercent
}

func hundredths(x float64) int64 { return int64(math.Round(x * 100)) }

// Street is a street near the parcel.
type Street struct {
	ID           string  `json:"id"`
	Name         string  `json:"name,omitempty"`
	NameFa       string  `json:"name_fa,omitempty"`
	Width        float64 `json:"width_m"`
	PlannedWidth float64 `json:"planned_width_m"`
	Distance     float64 `json:"distance_m"`
}

// Zone is a detailed-plan code's overlap with the net parcel.
type Zone struct {
	Code     string  `json:"code"`
	Area     float64 `json:"area_m2"`
	Fraction float64 `json:"fraction"` // f_i; 0 for a sliver
}

// Overlay is an overlay's overlap with the net parcel.
type Overlay struct {
	ID        string   `json:"id"`
	Kind      string   `json:"kind"`
	MaxHeight *float64 `json:"max_height_m,omitempty"`
	MaxFloors *int     `json:"max_floors,omitempty"`
	NoBuild   bool     `json:"no_build"`
	Name      string   `json:"name,omitempty"`
	NameFa    string   `json:"name_fa,omitempty"`
	Area      float64  `json:"area_m2"`
}

// ValueBlock is the parcel's value block: Rial per m².
type ValueBlock struct {
	ID            string  `json:"id"`
	P             int64   `json:"p_value"`
	TxResidential int64   `json:"tx_value_residential"`
	TxCommercial  int64   `json:"tx_value_commercial"`
	Area          float64 `json:"area_m2"`
}

// MasterZone is the parcel's master-plan zone.
type MasterZone struct {
	ID          string  `json:"id"`
	LandUse     string  `json:"land_use"`
	DensityBand string  `json:"density_band"`
	Name        string  `json:"name,omitempty"`
	NameFa      string  `json:"name_fa,omitempty"`
	Area        float64 `json:"area_m2"`
}

// Landlocked reports whether no street fronts the parcel (محصور).
func (f *Facts) Landlocked() bool { return f.Front == nil }

// InStreet reports whether the parcel lies wholly in the planned street (N = 0).
func (f *Facts) InStreet() bool { return f.N <= 0 }

// OutsidePlan reports whether no detailed-plan zone is kept.
func (f *Facts) OutsidePlan() bool { return len(f.Zones) == 0 }

// Round2 rounds an area half up to 0.01 m² (rule book §0).
func Round2(x float64) float64 {
	// Measured areas carry float noise far below 1e-9 m²; nudging by it makes
	// a value printed as x.xx5 round up as the rule book says.
	return math.Floor(x*100+0.5+1e-9) / 100
}

// FromMeasurement applies rule book §1 to a measurement.
func FromMeasurement(m layers.Measurement) Facts {
	// Lists start empty, not nil, so JSON shows [] rather than null.
	f := Facts{Streets: []Street{}, Zones: []Zone{}, Overlays: []Overlay{}}
	f.A = Round2(m.Area)
	f.W = Round2(m.Widening)
	f.N = Round2(f.A - f.W)
	if f.N < 0 {
		f.N = 0
	}

	for _, s := range m.Streets {
		if s.Distance > layers.NearStreetSearch {
			continue
		}
		f.Streets = append(f.Streets, Street{
			ID: s.Street.ID, Name: s.Street.Name, NameFa: s.Street.NameFa,
			Width: s.Street.Width, PlannedWidth: s.Street.PlannedWidth,
			// Shown to the millimetre, the coordinates' own precision; the
			// test above used the measured value.
			Distance: math.Round(s.Distance*1000) / 1000,
		})
	}
	slices.SortFunc(f.Streets, func(a, b Street) int { return cmp.Compare(a.ID, b.ID) })
	for i := range f.Streets {
		s := &f.Streets[i]
		if f.Front == nil || s.PlannedWidth > f.Front.PlannedWidth {
			f.Front = s // ids ascend, so a tie keeps the smaller id
		}
	}
	if f.Front != nil {
		front := *f.Front
		f.Front = &front
		f.S = front.PlannedWidth
	}

	var kept []Zone
	kept, f.Slivers = keepZones(m.Zones, f.N)
	f.Zones = append(f.Zones, kept...)
	if len(f.Zones) > 0 {
		gov := f.Zones[0]
		for _, z := range f.Zones[1:] {
			if z.Area > gov.Area {
				gov = z // codes ascend, so a tie keeps the smaller code
			}
		}
		f.Governing = gov.Code
	}

	for _, o := range m.Overlays {
		ov := Overlay{
			ID: o.Overlay.ID, Kind: o.Overlay.Kind, MaxHeight: o.Overlay.MaxHeight,
			MaxFloors: o.Overlay.MaxFloors, NoBuild: o.Overlay.NoBuild,
			Name: o.Overlay.Name, NameFa: o.Overlay.NameFa, Area: Round2(o.Area),
		}
		if f.N > 0 && atLeastShare(ov.Area, f.N) {
			f.Overlays = append(f.Overlays, ov)
		} else {
			f.IgnoredOverlays = append(f.IgnoredOverlays, ov)
		}
	}
	slices.SortFunc(f.Overlays, func(a, b Overlay) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(f.IgnoredOverlays, func(a, b Overlay) int { return cmp.Compare(a.ID, b.ID) })

	f.ValueBlock = largestBlock(m.ValueBlocks)
	f.MasterZone = largestMasterZone(m.MasterZones)
	return f
}

// keepZones rounds each code's overlap, drops slivers and computes f_i.
func keepZones(overlaps []layers.CodeOverlap, n float64) (kept, slivers []Zone) {
	var sum float64
	for _, o := range overlaps {
		z := Zone{Code: o.Code, Area: Round2(o.Area)}
		if z.Area <= 0 {
			continue
		}
		if n <= 0 || !atLeastShare(z.Area, n) {
			slivers = append(slivers, z)
			continue
		}
		kept = append(kept, z)
		sum += z.Area
	}
	for i := range kept {
		kept[i].Fraction = kept[i].Area / sum
	}
	byCode := func(a, b Zone) int { return cmp.Compare(a.Code, b.Code) }
	slices.SortFunc(kept, byCode)
	slices.SortFunc(slivers, byCode)
	return kept, slivers
}

// largestBlock picks the value block with the largest overlap (tie: smaller id).
func largestBlock(blocks []layers.ValueBlockOverlap) *ValueBlock {
	return largest(blocks, func(b layers.ValueBlockOverlap) ValueBlock {
		return ValueBlock{ID: b.Block.ID, P: b.Block.P, TxResidential: b.Block.TxResidential,
			TxCommercial: b.Block.TxCommercial, Area: Round2(b.Area)}
	}, func(v ValueBlock) (string, float64) { return v.ID, v.Area })
}

// largestMasterZone picks the master-plan zone with the largest overlap (tie:
// smaller id).
func largestMasterZone(zones []layers.MasterZoneOverlap) *MasterZone {
	return largest(zones, func(z layers.MasterZoneOverlap) MasterZone {
		return MasterZone{ID: z.Zone.ID, LandUse: z.Zone.LandUse, DensityBand: z.Zone.DensityBand,
			Name: z.Zone.Name, NameFa: z.Zone.NameFa, Area: Round2(z.Area)}
	}, func(v MasterZone) (string, float64) { return v.ID, v.Area })
}

// largest converts each overlap and returns the one with the largest positive
// rounded area, ties to the smaller id; nil when none overlaps.
func largest[In, Out any](in []In, conv func(In) Out, key func(Out) (string, float64)) *Out {
	var best *Out
	var bestID string
	var bestArea float64
	for _, x := range in {
		v := conv(x)
		id, area := key(v)
		if area <= 0 {
			continue
		}
		if best == nil || area > bestArea || (area == bestArea && id < bestID) {
			best, bestID, bestArea = &v, id, area
		}
	}
	return best
}
