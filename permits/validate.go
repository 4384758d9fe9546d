package permits

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/parvaneh/parvaneh/geo"
	"github.com/parvaneh/parvaneh/rules"
	"github.com/parvaneh/parvaneh/zoning"
)

// ErrFootprintOffParcel refuses a footprint that does not come near its
// parcel: a footprint drawn on another parcel, or the wrong parcel named.
var ErrFootprintOffParcel = errors.New("the footprint does not overlap the parcel")

// FigDuesTotal is the validation job's figure that totals the dues (the
// pack contract, rules/packs/README.md); the money figures its formula
// reads are the dues lines.
const FigDuesTotal = "dues_total"

// Validation is the report on an engineer's proposal: every check of the
// rule pack with its limit, the proposed value and the margin, failing
// checks first; the dues of the proposal line by line with their total; the
// measured footprint; and the versions of plan and rule pack used.
type Validation struct {
	AsOf      string      `json:"as_of"` // yyyy-mm-dd
	Reference string      `json:"reference,omitempty"`
	Parcel    *ParcelInfo `json:"parcel,omitempty"`
	Plan      PlanRef     `json:"plan"`
	RulePack  PackRef     `json:"rule_pack"`
	// Repairs lists what was repaired in the given parcel outline or
	// footprint, each prefixed by the member ("footprint: not_closed: …").
	Repairs   []string        `json:"repairs,omitempty"`
	Facts     zoning.Facts    `json:"facts"`
	Footprint FootprintReport `json:"footprint"`
	// Passed is true when the pack gave its checks (no stop) and every one
	// passed; Failed counts the checks that did not.
	Passed bool         `json:"passed"`
	Failed int          `json:"failed"`
	Stop   *rules.Note  `json:"stop,omitempty"`
	Notes  []rules.Note `json:"notes,omitempty"`
	// Checks are failing checks first, then the passing ones, each group
	// in the pack's order.
	Checks []rules.Check `json:"checks"`
	// Dues are the lines of the dues total (rule book §6): the money
	// figures its formula reads, in the pack's order.
	Dues      []rules.Figure `json:"dues"`
	DuesTotal *int64         `json:"dues_total_rial,omitempty"`
	Figures   []rules.Figure `json:"figures"`
}

// FootprintReport is the footprint the checks used: measured from the
// proposal's polygon, or declared by its area (then nothing else is known
// of it, and the setback is not checked against the plan).
type FootprintReport struct {
	Source string  `json:"source"` // "polygon" or "declared"
	AreaM2 float64 `json:"area_m2"`
	// Set for a polygon: its area outside the net parcel (on the widening
	// or beyond the parcel), beyond the parcel, and on the streets.
	OutsideNetM2    *float64        `json:"outside_net_m2,omitempty"`
	OutsideParcelM2 *float64        `json:"outside_parcel_m2,omitempty"`
	OnStreetsM2     *float64        `json:"on_streets_m2,omitempty"`
	Streets         []StreetOverlap `json:"streets,omitempty"`
}

// StreetOverlap is the footprint's area on one street.
type StreetOverlap struct {
	StreetID string  `json:"street_id"`
	AreaM2   float64 `json:"area_m2"`
}

// Footprint sources.
const (
	FootprintPolygon  = "polygon"
	FootprintDeclared = "declared"
)

// Validate resolves the proposal's parcel, measures its footprint and runs
// the validation job of the pack in force: Go measures, the pack decides.
func (s *Service) Validate(ctx context.Context, p *Proposal) (*Validation, error) {
	site, err := s.resolveMember(ctx, p.Where)
	if err != nil {
		return nil, err
	}
	fp := FootprintReport{Source: FootprintDeclared, AreaM2: p.FootprintArea}
	var repairs []string
	if p.Footprint != nil {
		if fp, repairs, err = s.measureFootprint(ctx, site, *p.Footprint, "footprint"); err != nil {
			return nil, err
		}
	}
	prop := rules.Proposal{ParkingSpaces: p.Parking, HeightM: p.HeightM, FootprintArea: fp.AreaM2,
		Floors: make([]rules.Floor, len(p.Floors))}
	if fp.OutsideNetM2 != nil {
		prop.FootprintOutsideNet = *fp.OutsideNetM2
	}
	for i, f := range p.Floors {
		prop.Floors[i] = rules.Floor{Level: f.Level, ResidentialArea: f.ResidentialArea,
			CommercialArea: f.CommercialArea, ParkingArea: f.ParkingArea, Units: f.Units}
	}
	res, err := site.Pack.Validate(ruleSite(site.Facts), prop)
	if err != nil {
		return nil, fmt.Errorf("rule pack %s validation: %w", site.Pack.Meta.ID, err)
	}

	v := &Validation{
		AsOf:      site.AsOf.Format(time.DateOnly),
		Reference: p.Reference,
		Plan:      planRef(site.Version),
		RulePack:  PackRef{ID: res.Pack, Version: res.Version},
		Facts:     site.Facts,
		Footprint: fp,
		Stop:      res.Stop,
		Notes:     res.Notes,
		Checks:    slices.Clone(res.Checks),
		Dues:      []rules.Figure{},
		Figures:   res.Figures,
	}
	if v.Checks == nil {
		v.Checks = []rules.Check{}
	}
	if v.Figures == nil {
		v.Figures = []rules.Figure{}
	}
	v.Parcel, v.Repairs = site.parcelInfo(), append(site.repairNotes("parcel: "), repairs...)
	slices.SortStableFunc(v.Checks, func(a, b rules.Check) int {
		switch {
		case a.Pass == b.Pass:
			return 0
		case !a.Pass:
			return -1
		}
		return 1
	})
	for _, c := range v.Checks {
		if !c.Pass {
			v.Failed++
		}
	}
	v.Passed = v.Stop == nil && v.Failed == 0
	if total, ok := res.Money(FigDuesTotal); ok {
		v.DuesTotal = &total
		v.Dues = duesLines(res)
	}
	return v, nil
}

// resolveMember resolves the parcel of a filed document (a proposal, a
// violation case): a refused outline is a *FieldError naming "parcel".
func (s *Service) resolveMember(ctx context.Context, w Where) (*Site, error) {
	site, err := s.Resolve(ctx, w)
	if err != nil {
		var ge *geo.GeometryError
		if errors.As(err, &ge) || errors.Is(err, ErrOutsideMunicipality) {
			return nil, &FieldError{Field: "parcel", Err: err}
		}
		return nil, err
	}
	return site, nil
}

// measureFootprint projects and repairs a footprint, checks it lies on its
// parcel, and measures it against the parcel and the streets; field is the
// footprint's JSON path, named by refusals and repairs.
func (s *Service) measureFootprint(ctx context.Context, site *Site, raw geo.RawGeometry, field string) (FootprintReport, []string, error) {
	proj, err := geo.NewProjection(site.Version.MeasureSRID)
	if err != nil {
		return FootprintReport{}, nil, fmt.Errorf("plan version %d: %w", site.Version.Seq, err)
	}
	g, fixed, err := geo.Prepare(raw, proj)
	if err != nil {
		return FootprintReport{}, nil, fieldGeometry(field, err)
	}
	switch env := g.Envelope(); {
	case !env.Intersects(site.Version.Extent):
		return FootprintReport{}, nil, &FieldError{Field: field, Err: ErrOutsideMunicipality}
	case !env.Intersects(site.Geom.Envelope()):
		return FootprintReport{}, nil, &FieldError{Field: field, Err: ErrFootprintOffParcel}
	}
	m, err := s.plans.MeasureFootprint(ctx, site.Version.ID, site.Geom, g)
	if err != nil {
		return FootprintReport{}, nil, fmt.Errorf("measuring the footprint: %w", err)
	}
	r := FootprintReport{Source: FootprintPolygon, AreaM2: zoning.Round2(m.Area),
		OutsideNetM2: ptr(zoning.Round2(m.OutsideNet)), OutsideParcelM2: ptr(zoning.Round2(m.OutsideParcel)),
		OnStreetsM2: ptr(zoning.Round2(m.OnStreets))}
	for _, st := range m.Streets {
		r.Streets = append(r.Streets, StreetOverlap{StreetID: st.StreetID, AreaM2: zoning.Round2(st.Area)})
	}
	var repairs []string
	for _, f := range fixed {
		repairs = append(repairs, field+": "+f.String())
	}
	return r, repairs, nil
}

func ptr[T any](v T) *T { return &v }

// duesLines returns the money figures the dues total reads.
func duesLines(res *rules.Result) []rules.Figure {
	total, _ := res.Figure(FigDuesTotal)
	out := []rules.Figure{}
	for _, f := range res.Figures {
		if f.Kind == rules.KindMoney && slices.ContainsFunc(total.Inputs, func(in rules.Input) bool { return in.Name == f.ID }) {
			out = append(out, f)
		}
	}
	return out
}
