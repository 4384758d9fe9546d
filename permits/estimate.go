package permits

import (
	"context"
	"fmt"
	"time"

	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/rules"
	"github.com/parvaneh/parvaneh/zoning"
)

// Estimate is the applicant's instant answer for one parcel: what may be
// built and what it costs, every figure explained, with the versions of plan
// and rule pack that made it.
type Estimate struct {
	AsOf     string       `json:"as_of"` // yyyy-mm-dd
	Parcel   *ParcelInfo  `json:"parcel,omitempty"`
	Plan     PlanRef      `json:"plan"`
	RulePack PackRef      `json:"rule_pack"`
	Repairs  []string     `json:"repairs,omitempty"`
	Facts    zoning.Facts `json:"facts"`
	// Buildable is false when the estimate gives no figures (Stop) or
	// allows no floor (F = 0); Notes say why.
	Buildable bool         `json:"buildable"`
	Stop      *rules.Note  `json:"stop,omitempty"`
	Notes     []rules.Note `json:"notes,omitempty"`
	// Summary repeats the headline figures by the pack contract's ids.
	Summary Summary        `json:"summary"`
	Figures []rules.Figure `json:"figures"`
}

// ParcelInfo identifies a stored parcel.
type ParcelInfo struct {
	ID               string   `json:"id"`
	Address          string   `json:"address,omitempty"`
	AddressFa        string   `json:"address_fa,omitempty"`
	RegisteredAreaM2 *float64 `json:"registered_area_m2,omitempty"`
}

// PlanRef names the plan version an answer used.
type PlanRef struct {
	ID             int64  `json:"id"`
	Municipality   string `json:"municipality"`
	MunicipalityFa string `json:"municipality_fa,omitempty"`
	Seq            int    `json:"seq"`
	Label          string `json:"label"`
	EffectiveFrom  string `json:"effective_from"`
}

// PackRef names the rule pack an answer used.
type PackRef struct {
	ID      string `json:"id"`
	Version string `json:"version"`
}

// Summary holds the headline figures; a nil field is one the pack did not
// give (no figures at all when the estimate stopped; no money without a value
// block).
type Summary struct {
	LandUse          *string  `json:"land_use,omitempty"`
	Floors           *float64 `json:"floors,omitempty"`
	Density          *float64 `json:"density_pct,omitempty"`
	Coverage         *float64 `json:"coverage_pct,omitempty"`
	AllowedArea      *float64 `json:"allowed_floor_area_m2,omitempty"`
	ExtraArea        *float64 `json:"purchasable_extra_area_m2,omitempty"`
	MaxFootprint     *float64 `json:"max_footprint_m2,omitempty"`
	ParkingSpaces    *float64 `json:"parking_spaces,omitempty"`
	Dues             *int64   `json:"dues_rial,omitempty"`
	ExtraPrice       *int64   `json:"purchasable_extra_price_rial,omitempty"`
	ShortfallAllowed *bool    `json:"parking_shortfall_allowed,omitempty"`
}

// Figure ids of the estimate job that the Summary reads: the contract every
// rule pack's estimate fulfils (rules/packs/README.md).
const (
	FigLandUse          = "land_use"
	FigFloors           = "F"
	FigDensity          = "D"
	FigCoverage         = "C"
	FigAllowedArea      = "allowed_area"
	FigExtraArea        = "extra_area"
	FigMaxFootprint     = "max_footprint"
	FigParkingSpaces    = "parking_spaces"
	FigDues             = "dues"
	FigExtraPrice       = "extra_price"
	FigShortfallAllowed = "shortfall_allowed"
)

// Estimate resolves the parcel and runs the estimate job of the pack in force.
func (s *Service) Estimate(ctx context.Context, w Where) (*Estimate, error) {
	site, err := s.Resolve(ctx, w)
	if err != nil {
		return nil, err
	}
	return EstimateSite(site)
}

// EstimateSite runs the estimate job on resolved site facts.
func EstimateSite(site *Site) (*Estimate, error) {
	res, err := site.Pack.Estimate(ruleSite(site.Facts))
	if err != nil {
		return nil, fmt.Errorf("rule pack %s estimate: %w", site.Pack.Meta.ID, err)
	}
	e := &Estimate{
		AsOf:     site.AsOf.Format(time.DateOnly),
		Plan:     planRef(site.Version),
		RulePack: PackRef{ID: res.Pack, Version: res.Version},
		Facts:    site.Facts,
		Stop:     res.Stop,
		Notes:    res.Notes,
		Figures:  res.Figures,
	}
	if e.Figures == nil {
		e.Figures = []rules.Figure{} // a stopped estimate has none: [] not null
	}
	e.Parcel, e.Repairs = site.parcelInfo(), site.repairNotes("")
	e.Summary = summarize(res)
	e.Buildable = res.Stop == nil && e.Summary.Floors != nil && *e.Summary.Floors > 0
	return e, nil
}

// parcelInfo is the stored parcel as an answer names it; nil for an outline
// the caller gave.
func (s *Site) parcelInfo() *ParcelInfo {
	p := s.Parcel
	if p == nil {
		return nil
	}
	return &ParcelInfo{ID: p.ID, Address: p.Address, AddressFa: p.AddressFa, RegisteredAreaM2: p.RegisteredArea}
}

// repairNotes lists what was repaired in the given outline, each after
// prefix; nil when nothing was.
func (s *Site) repairNotes(prefix string) []string {
	var out []string
	for _, r := range s.Repairs {
		out = append(out, prefix+r.String())
	}
	return out
}

func planRef(v layers.PlanVersion) PlanRef {
	return PlanRef{ID: v.ID, Municipality: v.Municipality, MunicipalityFa: v.MunicipalityFa,
		Seq: v.Seq, Label: v.Label, EffectiveFrom: v.EffectiveFrom.Format(time.DateOnly)}
}

func summarize(r *rules.Result) Summary {
	num := func(id string) *float64 {
		if v, ok := r.Float(id); ok {
			return &v
		}
		return nil
	}
	money := func(id string) *int64 {
		if v, ok := r.Money(id); ok {
			return &v
		}
		return nil
	}
	var s Summary
	if v, ok := r.Text(FigLandUse); ok {
		s.LandUse = &v
	}
	if v, ok := r.Flag(FigShortfallAllowed); ok {
		s.ShortfallAllowed = &v
	}
	s.Floors, s.Density, s.Coverage = num(FigFloors), num(FigDensity), num(FigCoverage)
	s.AllowedArea, s.ExtraArea, s.MaxFootprint = num(FigAllowedArea), num(FigExtraArea), num(FigMaxFootprint)
	s.ParkingSpaces = num(FigParkingSpaces)
	s.Dues, s.ExtraPrice = money(FigDues), money(FigExtraPrice)
	return s
}
