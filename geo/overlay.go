package geo

import (
	"fmt"

	"github.com/peterstace/simplefeatures/geom"
)

// The overlay helpers work on polygonal geometry only: both stores measure
// areas, so any point or line left over by an overlay (two polygons touching
// along an edge or at a corner) has no area and is dropped.

// AsMultiPolygon returns the polygonal parts of g as one MultiPolygon:
// a Polygon or MultiPolygon as is, the polygons of a GeometryCollection
// (nested or not), and an empty MultiPolygon for anything without area.
func AsMultiPolygon(g geom.Geometry) geom.MultiPolygon {
	switch g.Type() {
	case geom.TypeMultiPolygon:
		mp, _ := g.AsMultiPolygon()
		return mp
	case geom.TypePolygon:
		p, _ := g.AsPolygon()
		if p.IsEmpty() {
			return geom.MultiPolygon{}
		}
		return p.AsMultiPolygon()
	case geom.TypeGeometryCollection:
		gc, _ := g.AsGeometryCollection()
		return geom.NewMultiPolygon(appendPolygons(nil, gc))
	default:
		return geom.MultiPolygon{}
	}
}

func appendPolygons(dst []geom.Polygon, gc geom.GeometryCollection) []geom.Polygon {
	for i := range gc.NumGeometries() {
		g := gc.GeometryN(i)
		switch g.Type() {
		case geom.TypePolygon:
			if p, _ := g.AsPolygon(); !p.IsEmpty() {
				dst = append(dst, p)
			}
		case geom.TypeMultiPolygon:
			mp, _ := g.AsMultiPolygon()
			dst = append(dst, mp.Dump()...)
		case geom.TypeGeometryCollection:
			inner, _ := g.AsGeometryCollection()
			dst = appendPolygons(dst, inner)
		}
	}
	return dst
}

// InteriorsIntersect reports whether a and b share some area, not only
// boundary points: two parcels along a common edge do not.
func InteriorsIntersect(a, b geom.MultiPolygon) (bool, error) {
	if !a.Envelope().Intersects(b.Envelope()) {
		return false, nil
	}
	// A vertex of one strictly inside the other settles it for a few point
	// tests, where the relate costs as much as a tenth of an overlay.
	if vertexInside(a, b) || vertexInside(b, a) {
		return true, nil
	}
	im, err := geom.Relate(a.AsGeometry(), b.AsGeometry())
	if err != nil {
		return false, fmt.Errorf("relating polygons: %w", err)
	}
	return im[0] != 'F', nil // the interior–interior entry of the DE-9IM matrix
}

// vertexInside reports whether a vertex of a lies in the interior of b: in b
// and not on its boundary.
func vertexInside(a, b geom.MultiPolygon) bool {
	env := b.Envelope()
	bg, boundary := b.AsGeometry(), b.Boundary().AsGeometry()
	xys := a.DumpCoordinates()
	for i := range xys.Length() {
		xy := xys.GetXY(i)
		if !env.Contains(xy) {
			continue
		}
		pt := xy.AsPoint().AsGeometry()
		if geom.Intersects(pt, bg) && !geom.Intersects(pt, boundary) {
			return true
		}
	}
	return false
}

// Intersection returns the area a and b share.
func Intersection(a, b geom.MultiPolygon) (geom.MultiPolygon, error) {
	if !a.Envelope().Intersects(b.Envelope()) {
		return geom.MultiPolygon{}, nil
	}
	g, err := geom.Intersection(a.AsGeometry(), b.AsGeometry())
	if err != nil {
		return geom.MultiPolygon{}, fmt.Errorf("intersecting polygons: %w", err)
	}
	return AsMultiPolygon(g), nil
}

// IntersectionArea returns the area (in the square of the CRS unit) a and b
// share.
func IntersectionArea(a, b geom.MultiPolygon) (float64, error) {
	mp, err := Intersection(a, b)
	if err != nil {
		return 0, err
	}
	return mp.Area(), nil
}

// Difference returns the part of a outside b.
func Difference(a, b geom.MultiPolygon) (geom.MultiPolygon, error) {
	if !a.Envelope().Intersects(b.Envelope()) {
		return a, nil
	}
	g, err := geom.Difference(a.AsGeometry(), b.AsGeometry())
	if err != nil {
		return geom.MultiPolygon{}, fmt.Errorf("subtracting polygons: %w", err)
	}
	return AsMultiPolygon(g), nil
}

// Union returns the area covered by any of gs.
func Union(gs []geom.MultiPolygon) (geom.MultiPolygon, error) {
	switch len(gs) {
	case 0:
		return geom.MultiPolygon{}, nil
	case 1:
		return gs[0], nil
	}
	all := make([]geom.Geometry, len(gs))
	for i, g := range gs {
		all[i] = g.AsGeometry()
	}
	u, err := geom.UnionMany(all)
	if err != nil {
		return geom.MultiPolygon{}, fmt.Errorf("uniting %d polygons: %w", len(gs), err)
	}
	return AsMultiPolygon(u), nil
}
