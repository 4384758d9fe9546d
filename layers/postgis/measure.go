package postgis

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/peterstace/simplefeatures/geom"

	"github.com/parvaneh/parvaneh/layers"
)

//go:embed measure.sql
var queryMeasure string

// Measure overlays a parcel geometry (valid, in the version's measure SRID)
// with the version's layers, in one SQL statement.
func (s *Store) Measure(ctx context.Context, version int64, parcel geom.MultiPolygon) (layers.Measurement, error) {
	doing := fmt.Sprintf("measuring a parcel against plan version %d", version)
	var (
		m                                        layers.Measurement
		streets, zones, overlays, blocks, zonesM []byte
	)
	err := s.pool.QueryRow(ctx, queryMeasure, version, parcel.Force2D().AsBinary(), layers.NearStreetDistance).
		Scan(&m.Area, &m.Widening, &streets, &zones, &overlays, &blocks, &zonesM)
	if err != nil {
		return layers.Measurement{}, wrapErr(doing, err)
	}
	for _, l := range []struct {
		name string
		raw  []byte
		into any
	}{
		{"streets", streets, &m.Streets},
		{"zones", zones, &m.Zones},
		{"overlays", overlays, &m.Overlays},
		{"value blocks", blocks, &m.ValueBlocks},
		{"master zones", zonesM, &m.MasterZones},
	} {
		if l.raw == nil {
			continue // none: the list stays nil
		}
		if err := json.Unmarshal(l.raw, l.into); err != nil {
			return layers.Measurement{}, fmt.Errorf("postgis: %s: decoding the %s: %w", doing, l.name, err)
		}
	}
	return m, nil
}
