// Package permits does Parvaneh's three jobs on top of the site facts and a
// rule pack: the applicant's instant estimate, the engineer's plan validation
// and the Article 100 commission's violation review. It resolves the plan
// version in force, measures the parcel through the store, turns the
// measurement into site facts (package zoning), runs the version's rule pack
// (package rules) and returns the figures with their explanations and the
// versions they came from, so every answer can be reproduced.
package permits

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/peterstace/simplefeatures/geom"

	"github.com/parvaneh/parvaneh/geo"
	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/rules"
	"github.com/parvaneh/parvaneh/zoning"
)

// Plans is what permits reads of the plan layers.
type Plans interface {
	VersionAsOf(ctx context.Context, municipality string, asOf time.Time) (layers.PlanVersion, error)
	Parcel(ctx context.Context, version int64, id string) (layers.Parcel, error)
	Measure(ctx context.Context, version int64, parcel geom.MultiPolygon) (layers.Measurement, error)
	MeasureFootprint(ctx context.Context, version int64, parcel, footprint geom.MultiPolygon) (layers.FootprintMeasurement, error)
}

// ParcelMeasurer is an optional upgrade of Plans: a store that can find a
// stored parcel and measure it in one round trip implements it.
type ParcelMeasurer interface {
	MeasureParcel(ctx context.Context, version int64, id string) (layers.Parcel, layers.Measurement, error)
}

// Packs finds a loaded rule pack by id.
type Packs interface {
	Pack(id string) (*rules.Pack, error)
}

// PackSet is a fixed set of loaded rule packs, keyed by id.
type PackSet map[string]*rules.Pack

// Pack returns the pack with the id, or an error naming it.
func (s PackSet) Pack(id string) (*rules.Pack, error) {
	if p, ok := s[id]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("rule pack %q is not loaded", id)
}

// Service runs the jobs for one municipality.
type Service struct {
	plans        Plans
	packs        Packs
	municipality string
	now          func() time.Time
}

// NewService returns a Service; now gives "today" for requests without a
// date (time.Now when nil).
func NewService(plans Plans, packs Packs, municipality string, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{plans: plans, packs: packs, municipality: municipality, now: now}
}

// Today is the date of now in now's own location (the city's time zone: a
// plan that takes effect today applies from local midnight), as UTC midnight,
// the form plan versions' dates take.
func Today(now time.Time) time.Time {
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
}

// ErrOutsideMunicipality refuses a geometry that lies outside every layer of
// the plan version (often longitude and latitude swapped).
var ErrOutsideMunicipality = errors.New("geometry outside the municipality")

// ErrNoPlanVersion: no plan version was in force on the date asked.
// ErrParcelNotFound: the version in force has no parcel with the plate.
// Both are layers.ErrNotFound too; they tell the caller which thing was not
// found without a second look-up.
var (
	ErrNoPlanVersion  = fmt.Errorf("no plan version in force: %w", layers.ErrNotFound)
	ErrParcelNotFound = fmt.Errorf("no parcel with that plate: %w", layers.ErrNotFound)
)

// Site is a resolved parcel: the plan version and pack in force, the
// parcel's geometry and its site facts.
type Site struct {
	AsOf    time.Time
	Version layers.PlanVersion
	Pack    *rules.Pack
	// Parcel is the stored parcel; nil for a geometry given by the caller.
	Parcel *layers.Parcel
	// Geom is the metric, valid parcel geometry measured.
	Geom geom.MultiPolygon
	// Repairs lists what was repaired in a caller's geometry.
	Repairs []geo.Repair
	Facts   zoning.Facts
}

// Where names the parcel a job is about: a stored parcel by id, or a
// geometry given by the caller (read by geo.ParseGeometry).
type Where struct {
	ParcelID string
	Geometry *geo.RawGeometry
	// AsOf picks the plan version in force on that date; zero means today.
	AsOf time.Time
}

// Resolve finds the plan version and rule pack in force and the site facts of
// the parcel.
func (s *Service) Resolve(ctx context.Context, w Where) (*Site, error) {
	asOf := w.AsOf
	if asOf.IsZero() {
		asOf = Today(s.now())
	}
	v, err := s.plans.VersionAsOf(ctx, s.municipality, asOf)
	if errors.Is(err, layers.ErrNotFound) {
		err = ErrNoPlanVersion
	}
	if err != nil {
		return nil, fmt.Errorf("finding the plan version of %s as of %s: %w", s.municipality, asOf.Format(time.DateOnly), err)
	}
	pack, err := s.packs.Pack(v.RulePack)
	if err != nil {
		return nil, fmt.Errorf("plan version %d: %w", v.Seq, err)
	}
	site := &Site{AsOf: asOf, Version: v, Pack: pack}

	var m layers.Measurement
	switch {
	case w.ParcelID != "":
		var p layers.Parcel
		if pm, ok := s.plans.(ParcelMeasurer); ok {
			p, m, err = pm.MeasureParcel(ctx, v.ID, w.ParcelID)
		} else {
			p, err = s.plans.Parcel(ctx, v.ID, w.ParcelID)
			if err == nil {
				m, err = s.plans.Measure(ctx, v.ID, p.Geom)
			}
		}
		if errors.Is(err, layers.ErrNotFound) {
			err = ErrParcelNotFound
		}
		if err != nil {
			return nil, fmt.Errorf("measuring parcel %q: %w", w.ParcelID, err)
		}
		site.Parcel, site.Geom = &p, p.Geom
	case w.Geometry != nil:
		proj, err := geo.NewProjection(v.MeasureSRID)
		if err != nil {
			return nil, fmt.Errorf("plan version %d: %w", v.Seq, err)
		}
		g, repairs, err := geo.Prepare(*w.Geometry, proj)
		if err != nil {
			return nil, err
		}
		if !g.Envelope().Intersects(v.Extent) {
			return nil, ErrOutsideMunicipality
		}
		site.Geom, site.Repairs = g, repairs
		if m, err = s.plans.Measure(ctx, v.ID, g); err != nil {
			return nil, fmt.Errorf("measuring the given geometry: %w", err)
		}
	default:
		return nil, errors.New("permits: Where names neither a parcel nor a geometry")
	}
	site.Facts = zoning.FromMeasurement(m)
	return site, nil
}

// ruleSite is the rule pack's view of the site facts.
func ruleSite(f zoning.Facts) rules.Site {
	s := rules.Site{
		A: f.A, W: f.W, N: f.N, S: f.S,
		Landlocked:  f.Landlocked(),
		Governing:   f.Governing,
		OutsidePlan: f.OutsidePlan(),
		InStreet:    f.InStreet(),
		Zones:       make([]rules.ZoneShare, 0, len(f.Zones)),
		Overlays:    make([]rules.OverlayFact, 0, len(f.Overlays)),
	}
	if f.Front != nil {
		s.FrontStreet = f.Front.ID
	}
	for _, z := range f.Zones {
		s.Zones = append(s.Zones, rules.ZoneShare{Code: z.Code, Area: z.Area, Fraction: z.Fraction})
	}
	for _, o := range f.Overlays {
		of := rules.OverlayFact{ID: o.ID, Kind: o.Kind, NoBuild: o.NoBuild, Area: o.Area}
		if o.MaxHeight != nil {
			of.HasMaxHeight, of.MaxHeightM = true, *o.MaxHeight
		}
		if o.MaxFloors != nil {
			of.HasMaxFloors, of.MaxFloors = true, *o.MaxFloors
		}
		s.Overlays = append(s.Overlays, of)
	}
	if b := f.ValueBlock; b != nil {
		s.HasValueBlock, s.P, s.TXr, s.TXc = true, b.P, b.TxResidential, b.TxCommercial
	}
	return s
}
