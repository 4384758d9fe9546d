package geo

import (
	"fmt"
	"math"

	"github.com/peterstace/simplefeatures/carto"
	"github.com/peterstace/simplefeatures/geom"
)

// EPSG code ranges of WGS 84 / UTM: zone z is 32600+z (north) or 32700+z (south).
const (
	utmNorthBase = 32600
	utmSouthBase = 32700
)

// Projection maps WGS84 longitude/latitude (degrees) to a municipality's
// metric CRS and back. Only WGS 84 / UTM (EPSG 32601–32660, 32701–32760) is
// supported: it is what Iranian municipalities measure in, and its series
// (carto.UTM) agree with PROJ to well under a millimetre within a zone.
//
// A Projection is immutable and safe for concurrent use.
type Projection struct {
	srid int
	utm  *carto.UTM
	// centre is the zone's central meridian on the equator, in lon/lat and
	// projected: the only places besides a box's corners where a box edge
	// can reach its extreme after projecting (see cover).
	centreLonLat, centreXY geom.XY
}

// NewProjection returns the projection for an EPSG code, or an error naming
// the supported ones.
func NewProjection(srid int) (*Projection, error) {
	var zone int
	var hemi string
	switch {
	case srid > utmNorthBase && srid <= utmNorthBase+60:
		zone, hemi = srid-utmNorthBase, "N"
	case srid > utmSouthBase && srid <= utmSouthBase+60:
		zone, hemi = srid-utmSouthBase, "S"
	default:
		return nil, fmt.Errorf("unsupported SRID %d: only WGS 84 / UTM (EPSG:32601–32660 north, 32701–32760 south) is supported", srid)
	}
	utm, err := carto.NewUTMFromCode(fmt.Sprintf("%02d%s", zone, hemi))
	if err != nil {
		return nil, fmt.Errorf("SRID %d: %w", srid, err)
	}
	centre := geom.XY{X: float64(zone*6 - 183), Y: 0}
	return &Projection{srid: srid, utm: utm, centreLonLat: centre, centreXY: utm.Forward(centre)}, nil
}

// MaxZoneOffset is how far (degrees of longitude) from its zone's central
// meridian a position may lie: UTM's 6° zones, with the overlap neighbouring
// zones are commonly used across. Farther out the projection distorts
// areas, and such a position in a city's data is almost always longitude and
// latitude swapped.
const MaxZoneOffset = 9.0

// InZone reports whether a longitude/latitude position lies within
// MaxZoneOffset of the zone's central meridian, on the zone's side of the
// equator.
func (p *Projection) InZone(lonlat geom.XY) bool {
	north := p.srid < utmSouthBase
	return math.Abs(lonlat.X-p.centreLonLat.X) <= MaxZoneOffset && (lonlat.Y >= 0) == north
}

// SRID is the EPSG code of the metric CRS.
func (p *Projection) SRID() int { return p.srid }

// Forward projects a longitude/latitude position to metres.
func (p *Projection) Forward(lonlat geom.XY) geom.XY { return p.utm.Forward(lonlat) }

// Reverse unprojects metres to a longitude/latitude position.
func (p *Projection) Reverse(xy geom.XY) geom.XY { return p.utm.Reverse(xy) }

// ForwardMultiPolygon projects every position of a lon/lat multipolygon. It
// does not validate: a projection within its zone preserves topology, and
// Prepare settles validity of anything from outside anyway.
func (p *Projection) ForwardMultiPolygon(m geom.MultiPolygon) geom.MultiPolygon {
	return m.TransformXY(p.utm.Forward)
}

// ReverseMultiPolygon unprojects a metric multipolygon to lon/lat, e.g. to
// draw it on a web map.
func (p *Projection) ReverseMultiPolygon(m geom.MultiPolygon) geom.MultiPolygon {
	return m.TransformXY(p.utm.Reverse)
}

// ForwardEnvelope returns the smallest metric envelope covering the
// projection of every point of a lon/lat envelope (not just its corners:
// parallels are curved in UTM).
func (p *Projection) ForwardEnvelope(lonlat geom.Envelope) geom.Envelope {
	return cover(lonlat, p.centreLonLat, p.utm.Forward)
}

// ReverseEnvelope returns the smallest lon/lat envelope covering every point
// of a metric envelope, e.g. a map view's bounds.
func (p *Projection) ReverseEnvelope(xy geom.Envelope) geom.Envelope {
	return cover(xy, p.centreXY, p.utm.Reverse)
}

// cover maps a box through a transverse Mercator transform (either way) and
// returns the envelope of the image. Along each edge of the box the other
// coordinate is monotonic on either side of the central meridian (for
// horizontal edges) or of the equator (for vertical edges), so the image's
// extremes lie at the corners or where an edge crosses centre's meridian or
// equator.
func cover(env geom.Envelope, centre geom.XY, fn func(geom.XY) geom.XY) geom.Envelope {
	lo, hi, ok := env.MinMaxXYs()
	if !ok {
		return geom.Envelope{}
	}
	pts := []geom.XY{lo, hi, {X: lo.X, Y: hi.Y}, {X: hi.X, Y: lo.Y}}
	if lo.X < centre.X && centre.X < hi.X {
		pts = append(pts, geom.XY{X: centre.X, Y: lo.Y}, geom.XY{X: centre.X, Y: hi.Y})
	}
	if lo.Y < centre.Y && centre.Y < hi.Y {
		pts = append(pts, geom.XY{X: lo.X, Y: centre.Y}, geom.XY{X: hi.X, Y: centre.Y})
	}
	var out geom.Envelope
	for _, pt := range pts {
		out = out.ExpandToIncludeXY(fn(pt))
	}
	return out
}
