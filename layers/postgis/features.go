package postgis

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/parvaneh/parvaneh/layers"
)

// featureQuery reads one layer as layers.Features: its SQL selects the
// layer's columns with the id first and the geometry's WKB last.
type featureQuery struct {
	sql  string
	scan pgx.RowToFunc[layers.Feature]
}

var featureQueries = map[layers.Layer]featureQuery{
	layers.Parcels: {queryParcelsIn, func(row pgx.CollectableRow) (layers.Feature, error) {
		p, err := scanParcel(row)
		return p.Feature(), err
	}},
	layers.MasterPlan: {inEnvelope("master_plan", "t.zone_id, t.land_use, t.density_band, t.name, t.name_fa, ST_AsBinary(t.geom)", "zone_id"),
		func(row pgx.CollectableRow) (layers.Feature, error) {
			var z layers.MasterZone
			var wkb []byte
			if err := row.Scan(&z.ID, &z.LandUse, &z.DensityBand, &z.Name, &z.NameFa, &wkb); err != nil {
				return layers.Feature{}, err
			}
			var err error
			z.Geom, err = featureGeom(layers.MasterPlan, z.ID, wkb)
			return z.Feature(), err
		}},
	layers.DetailedPlan: {inEnvelope("detailed_plan", "t.zone_id, t.code, t.name, t.name_fa, ST_AsBinary(t.geom)", "zone_id"),
		func(row pgx.CollectableRow) (layers.Feature, error) {
			var z layers.DetailedZone
			var wkb []byte
			if err := row.Scan(&z.ID, &z.Code, &z.Name, &z.NameFa, &wkb); err != nil {
				return layers.Feature{}, err
			}
			var err error
			z.Geom, err = featureGeom(layers.DetailedPlan, z.ID, wkb)
			return z.Feature(), err
		}},
	layers.Streets: {inEnvelope("streets", "t.street_id, t.width_m, t.planned_width_m, t.name, t.name_fa, ST_AsBinary(t.geom)", "street_id"),
		func(row pgx.CollectableRow) (layers.Feature, error) {
			var s layers.Street
			var wkb []byte
			if err := row.Scan(&s.ID, &s.Width, &s.PlannedWidth, &s.Name, &s.NameFa, &wkb); err != nil {
				return layers.Feature{}, err
			}
			var err error
			s.Geom, err = featureGeom(layers.Streets, s.ID, wkb)
			return s.Feature(), err
		}},
	layers.Overlays: {inEnvelope("overlays", "t.overlay_id, t.kind, t.max_height_m, t.max_floors, t.no_build, t.name, t.name_fa, ST_AsBinary(t.geom)", "overlay_id"),
		func(row pgx.CollectableRow) (layers.Feature, error) {
			var o layers.Overlay
			var wkb []byte
			if err := row.Scan(&o.ID, &o.Kind, &o.MaxHeight, &o.MaxFloors, &o.NoBuild, &o.Name, &o.NameFa, &wkb); err != nil {
				return layers.Feature{}, err
			}
			var err error
			o.Geom, err = featureGeom(layers.Overlays, o.ID, wkb)
			return o.Feature(), err
		}},
	layers.ValueBlocks: {inEnvelope("value_blocks", "t.block_id, t.p_value, t.tx_value_residential, t.tx_value_commercial, ST_AsBinary(t.geom)", "block_id"),
		func(row pgx.CollectableRow) (layers.Feature, error) {
			var b layers.ValueBlock
			var wkb []byte
			if err := row.Scan(&b.ID, &b.P, &b.TxResidential, &b.TxCommercial, &wkb); err != nil {
				return layers.Feature{}, err
			}
			var err error
			b.Geom, err = featureGeom(layers.ValueBlocks, b.ID, wkb)
			return b.Feature(), err
		}},
}

// featureGeom decodes a feature's geometry, naming the feature on failure.
func featureGeom(layer layers.Layer, id string, wkb []byte) (geom.MultiPolygon, error) {
	g, err := multiPolygon(wkb)
	if err != nil {
		return g, fmt.Errorf("%s %q: %w", layer, id, err)
	}
	return g, nil
}

// Features returns up to limit features of a layer intersecting an envelope,
// by id, for drawing.
func (s *Store) Features(ctx context.Context, version int64, layer layers.Layer, env geom.Envelope, limit int) ([]layers.Feature, error) {
	doing := fmt.Sprintf("finding %s features in an envelope of plan version %d", layer, version)
	q, ok := featureQueries[layer]
	if !ok {
		return nil, fmt.Errorf("postgis: %s: unknown layer %q", doing, layer)
	}
	lo, hi, ok := env.MinMaxXYs()
	if !ok || limit <= 0 {
		return nil, s.checkVersion(ctx, doing, version)
	}
	rows, _ := s.pool.Query(ctx, q.sql, version, lo.X, lo.Y, hi.X, hi.Y, limit)
	return collect(ctx, s, doing, version, rows, q.scan)
}
