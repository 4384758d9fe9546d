package layers

import (
	"context"
	"errors"
	"time"

	"github.com/peterstace/simplefeatures/geom"
)

// ErrNotFound is returned (wrapped) for an unknown parcel, municipality or
// plan version.
var ErrNotFound = errors.New("not found")

// ErrUnavailable is returned (wrapped) when the store cannot be reached, so
// callers can answer "try again" rather than "you are wrong".
var ErrUnavailable = errors.New("store unavailable")

// Store keeps plan versions and answers the spatial questions the rest of
// Parvaneh asks of them. Geometries in and out are metric (the version's
// measure SRID) and valid.
type Store interface {
	// Import stores a bundle as the municipality's next plan version, all or
	// nothing.
	Import(ctx context.Context, b *Bundle) (PlanVersion, error)
	// Versions lists a municipality's plan versions, oldest first.
	Versions(ctx context.Context, municipality string) ([]PlanVersion, error)
	// Municipalities lists the municipalities with at least one version.
	Municipalities(ctx context.Context) ([]string, error)
	// VersionAsOf resolves the version in force on a date.
	VersionAsOf(ctx context.Context, municipality string, asOf time.Time) (PlanVersion, error)

	// Parcel returns a parcel by its registered plate.
	Parcel(ctx context.Context, version int64, id string) (Parcel, error)
	// ParcelsAt returns the parcels covering a point, by id.
	ParcelsAt(ctx context.Context, version int64, pt geom.XY) ([]Parcel, error)
	// ParcelsIn returns up to limit parcels intersecting an envelope, by id.
	ParcelsIn(ctx context.Context, version int64, env geom.Envelope, limit int) ([]Parcel, error)
	// Features returns up to limit features of a layer intersecting an
	// envelope, for drawing; ordered by id.
	Features(ctx context.Context, version int64, layer Layer, env geom.Envelope, limit int) ([]Feature, error)

	// Measure overlays a (valid, metric) parcel geometry with the version's
	// layers and returns the raw measurements the site facts are made of.
	Measure(ctx context.Context, version int64, parcel geom.MultiPolygon) (Measurement, error)
	// MeasureFootprint overlays a building footprint (valid, metric) with a
	// parcel geometry and the version's streets: how much of the building
	// stands outside the net parcel, beyond the parcel, and on the streets.
	MeasureFootprint(ctx context.Context, version int64, parcel, footprint geom.MultiPolygon) (FootprintMeasurement, error)

	// Ping reports whether the store can answer.
	Ping(ctx context.Context) error
	Close()
}

// Feature is any layer's feature in a layer-neutral form, for the map.
type Feature struct {
	Layer      Layer
	ID         string
	Properties map[string]any // the contract's properties, typed as in the bundle
	Geom       geom.MultiPolygon
}

// Measurement is what a parcel's geometry measures against the layers, raw
// (unrounded, m² and m): the zoning package turns it into site facts by the
// rule book's section 1. Lists are ordered by id (byte order).
type Measurement struct {
	// Area is the parcel's area (A).
	Area float64
	// Widening is the area of the parcel inside the union of all street
	// polygons (W).
	Widening float64
	// Streets lists every street whose distance to the whole parcel is at
	// most NearStreetDistance.
	Streets []StreetNear
	// Zones lists, per detailed-plan code, the area of the net parcel
	// (parcel minus the union of streets) inside the union of that code's
	// features; codes with no overlap are absent.
	Zones []CodeOverlap
	// Overlays lists overlays overlapping the net parcel, with that area.
	Overlays []OverlayOverlap
	// ValueBlocks lists value blocks overlapping the parcel, with that area.
	ValueBlocks []ValueBlockOverlap
	// MasterZones lists master-plan zones overlapping the parcel, with that area.
	MasterZones []MasterZoneOverlap
}

// NearStreetDistance is how far (m) a street may be from a parcel and still
// front it (rule book §1: "at most 1.0 m").
const NearStreetDistance = 1.0

// NearStreetSearch is how far the stores look for streets: a hair beyond
// NearStreetDistance, so that a street at exactly 1.0 m that one geometry
// engine measures as 1.0000000001 m still reaches zoning, which applies the
// rule to the distance it is given (with the same tolerance) — both stores
// then agree at the boundary.
const NearStreetSearch = NearStreetDistance + NearStreetTolerance

// NearStreetTolerance absorbs float noise in a measured distance.
const NearStreetTolerance = 1e-6

// StreetNear is a street within NearStreetDistance of a parcel.
type StreetNear struct {
	Street   Street // Geom left empty
	Distance float64
}

// CodeOverlap is the net parcel's overlap with one detailed-plan code.
type CodeOverlap struct {
	Code string
	Area float64
}

// OverlayOverlap is the net parcel's overlap with one overlay.
type OverlayOverlap struct {
	Overlay Overlay // Geom left empty
	Area    float64
}

// ValueBlockOverlap is the parcel's overlap with one value block.
type ValueBlockOverlap struct {
	Block ValueBlock // Geom left empty
	Area  float64
}

// MasterZoneOverlap is the parcel's overlap with one master-plan zone.
type MasterZoneOverlap struct {
	Zone MasterZone // Geom left empty
	Area float64
}

// FootprintMeasurement is what a building footprint measures against its
// parcel and the version's street polygons, raw (unrounded m²). The net
// parcel is the parcel minus the union of the streets (rule book §1).
type FootprintMeasurement struct {
	// Area is the footprint's area.
	Area float64
	// OutsideNet is the footprint's area outside the net parcel: on the
	// widening (عقب‌نشینی) or beyond the parcel.
	OutsideNet float64
	// OutsideParcel is the footprint's area beyond the parcel.
	OutsideParcel float64
	// OnStreets is the footprint's area inside the union of the street
	// polygons, within the parcel or not (an encroachment, تجاوز به معبر).
	OnStreets float64
	// Streets lists every street the footprint overlaps, with the area of
	// that overlap, by id (streets may overlap each other, so these can sum
	// to more than OnStreets).
	Streets []StreetOverlap
}

// StreetOverlap is a footprint's overlap with one street.
type StreetOverlap struct {
	StreetID string
	Area     float64
}
