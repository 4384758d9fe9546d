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
		props := map[string]any{"parcel_id": p.ID}
		if p.RegisteredArea != nil {
			props["registered_area_m2"] = *p.RegisteredArea
		}
		optional(props, "address", p.Address)
		optional(props, "address_fa", p.AddressFa)
		return layers.Feature{Layer: layers.Parcels, ID: p.ID, Properties: props, Geom: p.Geom}, err
	}},
	layers.MasterPlan: {inEnvelope("master_plan", "t.zone_id, t.land_use, t.density_band, t.name, t.name_fa, ST_AsBinary(t.geom)", "zone_id"),
		func(row pgx.CollectableRow) (layers.Feature, error) {
			var z layers.MasterZone
			var wkb []byte
			if err := row.Scan(&z.ID, &z.LandUse, &z.DensityBand, &z.Name, &z.NameFa, &wkb); err != nil {
				return layers.Feature{}, err
			}
			props := map[string]any{"zone_id": z.ID, "land_use": z.LandUse, "density_band": z.DensityBand}
			optional(props, "name", z.Name)
			optional(props, "name_fa", z.NameFa)
			return feature(layers.MasterPlan, z.ID, props, wkb)
		}},
	layers.DetailedPlan: {inEnvelope("detailed_plan", "t.zone_id, t.code, t.name, t.name_fa, ST_AsBinary(t.geom)", "zone_id"),
		func(row pgx.CollectableRow) (layers.Feature, error) {
			var z layers.DetailedZone
			var wkb []byte
			if err := row.Scan(&z.ID, &z.Code, &z.Name, &z.NameFa, &wkb); err != nil {
				return layers.Feature{}, err
			}
			props := map[string]any{"zone_id": z.ID, "code": z.Code}
			optional(props, "name", z.Name)
			optional(props, "name_fa", z.NameFa)
			return feature(layers.DetailedPlan, z.ID, props, wkb)
		}},
	layers.Streets: {inEnvelope("streets", "t.street_id, t.width_m, t.planned_width_m, t.name, t.name_fa, ST_AsBinary(t.geom)", "street_id"),
		func(row pgx.CollectableRow) (layers.Feature, error) {
			var s layers.Street
			var wkb []byte
			if err := row.Scan(&s.ID, &s.Width, &s.PlannedWidth, &s.Name, &s.NameFa, &wkb); err != nil {
				return layers.Feature{}, err
			}
			props := map[string]any{"street_id": s.ID, "width_m": s.Width, "planned_width_m": s.PlannedWidth}
			optional(props, "name", s.Name)
			optional(props, "name_fa", s.NameFa)
			return feature(layers.Streets, s.ID, props, wkb)
		}},
	layers.Overlays: {inEnvelope("overlays", "t.overlay_id, t.kind, t.max_height_m, t.max_floors, t.no_build, t.name, t.name_fa, ST_AsBinary(t.geom)", "overlay_id"),
		func(row pgx.CollectableRow) (layers.Feature, error) {
			var o layers.Overlay
			var wkb []byte
			if err := row.Scan(&o.ID, &o.Kind, &o.MaxHeight, &o.MaxFloors, &o.NoBuild, &o.Name, &o.NameFa, &wkb); err != nil {
				return layers.Feature{}, err
			}
			props := map[string]any{"overlay_id": o.ID, "kind": o.Kind, "no_build": o.NoBuild}
			if o.MaxHeight != nil {
				props["max_height_m"] = *o.MaxHeight
			}
			if o.MaxFloors != nil {
				props["max_floors"] = *o.MaxFloors
			}
			optional(props, "name", o.Name)
			optional(props, "name_fa", o.NameFa)
			return feature(layers.Overlays, o.ID, props, wkb)
		}},
	layers.ValueBlocks: {inEnvelope("value_blocks", "t.block_id, t.p_value, t.tx_value_residential, t.tx_value_commercial, ST_AsBinary(t.geom)", "block_id"),
		func(row pgx.CollectableRow) (layers.Feature, error) {
			var b layers.ValueBlock
			var wkb []byte
			if err := row.Scan(&b.ID, &b.P, &b.TxResidential, &b.TxCommercial, &wkb); err != nil {
				return layers.Feature{}, err
			}
			props := map[string]any{"block_id": b.ID, "p_value": b.P,
				"tx_value_residential": b.TxResidential, "tx_value_commercial": b.TxCommercial}
			return feature(layers.ValueBlocks, b.ID, props, wkb)
		}},
}

// optional sets an optional string property that the bundle gave.
func optional(props map[string]any, key, v string) {
	if v != "" {
		props[key] = v
	}
}

func feature(layer layers.Layer, id string, props map[string]any, wkb []byte) (layers.Feature, error) {
	g, err := multiPolygon(wkb)
	if err != nil {
		return layers.Feature{}, fmt.Errorf("%s %q: %w", layer, id, err)
	}
	return layers.Feature{Layer: layer, ID: id, Properties: props, Geom: g}, nil
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
