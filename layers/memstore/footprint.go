package memstore

import (
	"context"
	"fmt"

	"github.com/parvaneh/parvaneh/geo"
	"github.com/parvaneh/parvaneh/layers"
	"github.com/peterstace/simplefeatures/geom"
)

// MeasureFootprint overlays a building footprint with a parcel and the
// version's streets (layers.FootprintMeasurement). Only the streets the
// footprint overlaps matter: the net parcel's part of the footprint is the
// footprint inside the parcel minus those streets.
func (s *Store) MeasureFootprint(ctx context.Context, version int64, parcel, footprint geom.MultiPolygon) (layers.FootprintMeasurement, error) {
	if err := ctx.Err(); err != nil {
		return layers.FootprintMeasurement{}, err
	}
	v, err := s.version(version)
	if err != nil {
		return layers.FootprintMeasurement{}, err
	}
	m, err := v.measureFootprint(parcel, footprint)
	if err != nil {
		return layers.FootprintMeasurement{}, fmt.Errorf("measuring a footprint in plan version %d: %w", version, err)
	}
	return m, nil
}

func (v *version) measureFootprint(parcel, fp geom.MultiPolygon) (layers.FootprintMeasurement, error) {
	m := layers.FootprintMeasurement{Area: fp.Area()}
	if fp.IsEmpty() {
		return m, nil
	}
	var pieces []geom.MultiPolygon
	for _, i := range v.streets.search(fp.Envelope()) {
		piece, all, err := overlap(&v.streets, i, fp)
		if err != nil {
			return layers.FootprintMeasurement{}, fmt.Errorf("street %q: %w", v.streets.items[i].ID, err)
		}
		if all {
			piece = fp
		}
		if a := piece.Area(); a > 0 {
			m.Streets = append(m.Streets, layers.StreetOverlap{StreetID: v.streets.items[i].ID, Area: a})
			pieces = append(pieces, piece)
		}
	}
	// A footprint usually stands wholly on its parcel: a prepared stored
	// parcel tells so without an overlay.
	inParcel := fp
	covered, err := v.parcelCovers(parcel, fp)
	if err == nil && !covered {
		inParcel, err = geo.Intersection(fp, parcel)
	}
	if err != nil {
		return layers.FootprintMeasurement{}, fmt.Errorf("footprint inside the parcel: %w", err)
	}
	inNet := inParcel
	if len(pieces) > 0 {
		onStreets, err := geo.Union(pieces)
		if err != nil {
			return layers.FootprintMeasurement{}, fmt.Errorf("footprint on the streets: %w", err)
		}
		m.OnStreets = onStreets.Area()
		if inNet, err = geo.Difference(inParcel, onStreets); err != nil {
			return layers.FootprintMeasurement{}, fmt.Errorf("footprint inside the net parcel: %w", err)
		}
	}
	m.OutsideParcel = max(0, m.Area-inParcel.Area())
	m.OutsideNet = max(0, m.Area-inNet.Area())
	return m, nil
}

// parcelCovers reports whether a stored parcel covers fp, preparing the
// parcel on first use; false for a geometry that is no stored parcel.
func (v *version) parcelCovers(parcel, fp geom.MultiPolygon) (bool, error) {
	i, stored := v.parcelByWKB[string(parcel.AsBinary())]
	if !stored {
		return false, nil
	}
	pp := v.prepParcels[i].Load()
	if pp == nil {
		p, err := geom.Prepare(v.parcels.geoms[i].AsGeometry())
		if err != nil {
			return false, fmt.Errorf("preparing parcel %q: %w", v.parcels.items[i].ID, err)
		}
		// Two callers racing here prepare the same parcel; the first wins.
		v.prepParcels[i].CompareAndSwap(nil, &prepared{p: p})
		pp = v.prepParcels[i].Load()
	}
	return pp.Covers(fp.AsGeometry())
}
