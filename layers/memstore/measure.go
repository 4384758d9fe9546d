package memstore

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/parvaneh/parvaneh/geo"
	"github.com/parvaneh/parvaneh/layers"
	"github.com/peterstace/simplefeatures/geom"
)

// measure answers Measure, from the memo when g is a stored parcel's
// geometry. The memo is filled on first use (or by Warm); a geometry that is
// not a stored parcel is measured every time and never kept, so the memo is
// bounded by the parcel count.
func (v *version) measure(g geom.MultiPolygon) (layers.Measurement, error) {
	i, stored := v.parcelByWKB[string(g.AsBinary())]
	if !stored {
		return v.measureUncached(g)
	}
	return v.measureParcel(i)
}

func (v *version) measureParcel(i int) (layers.Measurement, error) {
	if m := v.memo[i].Load(); m != nil {
		return cloneMeasurement(*m), nil
	}
	m, err := v.measureUncached(v.parcels.geoms[i])
	if err != nil {
		return layers.Measurement{}, fmt.Errorf("parcel %q: %w", v.parcels.items[i].ID, err)
	}
	// Two readers racing here compute the same value; either may win.
	v.memo[i].Store(&m)
	return cloneMeasurement(m), nil
}

// cloneMeasurement copies the lists (and the overlays' pointers) so a caller
// cannot change the memo.
func cloneMeasurement(m layers.Measurement) layers.Measurement {
	m.Streets = slices.Clone(m.Streets)
	m.Zones = slices.Clone(m.Zones)
	m.Overlays = slices.Clone(m.Overlays)
	for i := range m.Overlays {
		m.Overlays[i].Overlay = overlayKind.clone(m.Overlays[i].Overlay)
	}
	m.ValueBlocks = slices.Clone(m.ValueBlocks)
	m.MasterZones = slices.Clone(m.MasterZones)
	return m
}

// measureUncached computes what layers.Measurement documents. Overlay
// operations are the cost (tens of µs each), so each is guarded: the R-tree
// keeps far features out, a native distance or a prepared intersects test
// skips disjoint ones, and a prepared covers test answers "all of it"
// without overlaying.
func (v *version) measureUncached(p geom.MultiPolygon) (layers.Measurement, error) {
	m := layers.Measurement{Area: p.Area()}
	if p.IsEmpty() {
		return m, nil
	}
	net, cut, err := v.measureStreets(p, &m)
	if err != nil {
		return layers.Measurement{}, err
	}
	if cut { // area(p ∩ ∪streets) = area(p) − area(p − ∪streets)
		m.Widening = max(0, m.Area-net.Area())
	}

	if !net.IsEmpty() {
		if m.Zones, err = v.measureZones(net); err != nil {
			return layers.Measurement{}, err
		}
		m.Overlays, err = overlaps(&v.overlays, net, func(o layers.Overlay, a float64) layers.OverlayOverlap {
			o = overlayKind.clone(o)
			o.Geom = geom.MultiPolygon{}
			return layers.OverlayOverlap{Overlay: o, Area: a}
		})
		if err != nil {
			return layers.Measurement{}, err
		}
	}
	m.ValueBlocks, err = overlaps(&v.blocks, p, func(b layers.ValueBlock, a float64) layers.ValueBlockOverlap {
		b.Geom = geom.MultiPolygon{}
		return layers.ValueBlockOverlap{Block: b, Area: a}
	})
	if err != nil {
		return layers.Measurement{}, err
	}
	m.MasterZones, err = overlaps(&v.masters, p, func(z layers.MasterZone, a float64) layers.MasterZoneOverlap {
		z.Geom = geom.MultiPolygon{}
		return layers.MasterZoneOverlap{Zone: z, Area: a}
	})
	if err != nil {
		return layers.Measurement{}, err
	}
	return m, nil
}

// measureStreets lists the streets within NearStreetDistance of p and returns
// the net parcel: p minus every street, and whether any street was
// subtracted. Subtracting the streets one by one is subtracting their union,
// without building the union.
func (v *version) measureStreets(p geom.MultiPolygon, m *layers.Measurement) (net geom.MultiPolygon, cut bool, err error) {
	d := layers.NearStreetSearch
	env := p.Envelope()
	lo, hi, _ := env.MinMaxXYs()
	near := geom.NewEnvelope(geom.XY{X: lo.X - d, Y: lo.Y - d}, geom.XY{X: hi.X + d, Y: hi.Y + d})
	pg := p.AsGeometry()
	net = p
	for _, i := range v.streets.search(near) {
		dist, ok := geom.Distance(pg, v.streets.geoms[i].AsGeometry())
		if !ok || dist > d {
			continue
		}
		s := v.streets.items[i]
		s.Geom = geom.MultiPolygon{}
		m.Streets = append(m.Streets, layers.StreetNear{Street: s, Distance: dist})
		if dist > 0 || net.IsEmpty() || !v.streets.envs[i].Intersects(net.Envelope()) {
			continue
		}
		var removed bool
		if net, removed, err = v.subtractStreet(net, i); err != nil {
			return geom.MultiPolygon{}, false, fmt.Errorf("measuring street %q: %w", s.ID, err)
		}
		cut = cut || removed
	}
	return net, cut, nil
}

// subtractStreet removes street i from net, reporting whether anything was
// removed. A street may only touch a parcel (its front edge on the street
// line); telling that apart costs less than a difference that would change
// nothing.
func (v *version) subtractStreet(net geom.MultiPolygon, i int) (geom.MultiPolygon, bool, error) {
	covers, err := covering(&v.streets, i, net)
	if err != nil || covers {
		return geom.MultiPolygon{}, covers, err
	}
	overlap, err := geo.InteriorsIntersect(net, v.streets.geoms[i])
	if err != nil || !overlap {
		return net, false, err
	}
	net, err = geo.Difference(net, v.streets.geoms[i])
	return net, true, err
}

// measureZones measures net against each detailed-plan code: the area of net
// inside the union of the code's features. A code with one overlapping
// feature (the common case) needs no union.
func (v *version) measureZones(net geom.MultiPolygon) ([]layers.CodeOverlap, error) {
	netArea := net.Area()
	pieces := map[string][]geom.MultiPolygon{}
	whole := map[string]bool{}
	for _, i := range v.detailed.search(net.Envelope()) {
		code := v.detailed.items[i].Code
		if whole[code] {
			continue
		}
		piece, all, err := overlap(&v.detailed, i, net)
		if err != nil {
			return nil, fmt.Errorf("measuring detailed-plan zone %q: %w", v.detailed.items[i].ID, err)
		}
		if all {
			whole[code] = true
			continue
		}
		if !piece.IsEmpty() {
			pieces[code] = append(pieces[code], piece)
		}
	}
	var out []layers.CodeOverlap
	for code := range whole {
		out = append(out, layers.CodeOverlap{Code: code, Area: netArea})
	}
	for code, ps := range pieces {
		if whole[code] {
			continue
		}
		u, err := geo.Union(ps)
		if err != nil {
			return nil, fmt.Errorf("measuring detailed-plan code %q: %w", code, err)
		}
		if a := u.Area(); a > 0 {
			out = append(out, layers.CodeOverlap{Code: code, Area: a})
		}
	}
	slices.SortFunc(out, func(a, b layers.CodeOverlap) int { return cmp.Compare(a.Code, b.Code) })
	return out, nil
}

// overlaps measures g against every feature of a layer and returns, by id,
// those sharing a positive area with it.
func overlaps[T, R any](ly *layer[T], g geom.MultiPolygon, result func(T, float64) R) ([]R, error) {
	var out []R
	gArea := g.Area()
	for _, i := range ly.search(g.Envelope()) {
		piece, all, err := overlap(ly, i, g)
		if err != nil {
			return nil, fmt.Errorf("measuring %s %q: %w", ly.kind.layer, ly.kind.id(ly.items[i]), err)
		}
		a := piece.Area()
		if all {
			a = gArea
		}
		if a > 0 {
			out = append(out, result(ly.items[i], a))
		}
	}
	return out, nil
}

// overlap returns the part of g inside feature i, or all = true when the
// feature covers g (piece is then left empty: the caller knows g).
func overlap[T any](ly *layer[T], i int, g geom.MultiPolygon) (piece geom.MultiPolygon, all bool, err error) {
	if !ly.envs[i].Intersects(g.Envelope()) {
		return geom.MultiPolygon{}, false, nil
	}
	if all, err = covering(ly, i, g); err != nil || all {
		return geom.MultiPolygon{}, all, err
	}
	hit, err := ly.prep[i].Intersects(g.AsGeometry())
	if err != nil || !hit {
		return geom.MultiPolygon{}, false, err
	}
	piece, err = geo.Intersection(g, ly.geoms[i])
	return piece, false, err
}

// covering reports whether feature i covers g. The prepared test converts g
// to the JTS port's form, which costs more than the envelope and the native
// point test that rule most features out first: a feature whose envelope
// covers g's but that misses g's first vertex cannot cover g.
func covering[T any](ly *layer[T], i int, g geom.MultiPolygon) (bool, error) {
	if g.NumPolygons() == 0 || !ly.envs[i].Covers(g.Envelope()) {
		return false, nil
	}
	first := g.PolygonN(0).ExteriorRing().StartPoint()
	if !geom.Intersects(first.AsGeometry(), ly.geoms[i].AsGeometry()) {
		return false, nil
	}
	return ly.prep[i].Covers(g.AsGeometry())
}
