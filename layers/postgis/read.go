package postgis

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/parvaneh/parvaneh/layers"
)

const parcelColumns = `t.parcel_id, t.registered_area_m2, t.address, t.address_fa, ST_AsBinary(t.geom)`

const queryParcel = `
SELECT ` + parcelColumns + `
FROM parcels t WHERE t.plan_version_id = $1 AND t.parcel_id = $2`

// The spatial queries below find nothing both for an unknown version and for
// a known version with no match; only then does checkVersion tell which.

const queryParcelsAt = `
WITH v AS (SELECT ST_SetSRID(ST_MakePoint($2, $3), measure_srid) AS pt FROM plan_versions WHERE id = $1)
SELECT ` + parcelColumns + ` FROM parcels t, v
WHERE t.plan_version_id = $1 AND ST_Intersects(t.geom, v.pt)
ORDER BY t.parcel_id`

// inEnvelope is the query for up to $6 features of a layer table
// intersecting the envelope ($2–$5, in the version's SRID), by id.
func inEnvelope(table, columns, id string) string {
	return `
WITH v AS (SELECT ST_MakeEnvelope($2, $3, $4, $5, measure_srid) AS env FROM plan_versions WHERE id = $1)
SELECT ` + columns + ` FROM ` + table + ` t, v
WHERE t.plan_version_id = $1 AND ST_Intersects(t.geom, v.env)
ORDER BY t.` + id + `
LIMIT $6`
}

var queryParcelsIn = inEnvelope("parcels", parcelColumns, "parcel_id")

// Parcel returns a parcel of a plan version by its registered plate.
func (s *Store) Parcel(ctx context.Context, version int64, id string) (layers.Parcel, error) {
	rows, _ := s.pool.Query(ctx, queryParcel, version, id)
	p, err := pgx.CollectExactlyOneRow(rows, scanParcel)
	if err != nil {
		return layers.Parcel{}, s.failed(fmt.Sprintf("reading parcel %q of plan version %d", id, version), err)
	}
	return p, nil
}

// ParcelsAt returns the parcels covering a point (metric), by id.
func (s *Store) ParcelsAt(ctx context.Context, version int64, pt geom.XY) ([]layers.Parcel, error) {
	doing := fmt.Sprintf("finding the parcels at (%g, %g) in plan version %d", pt.X, pt.Y, version)
	rows, _ := s.pool.Query(ctx, queryParcelsAt, version, pt.X, pt.Y)
	return collect(ctx, s, doing, version, rows, scanParcel)
}

// ParcelsIn returns up to limit parcels intersecting an envelope, by id.
func (s *Store) ParcelsIn(ctx context.Context, version int64, env geom.Envelope, limit int) ([]layers.Parcel, error) {
	doing := fmt.Sprintf("finding the parcels in an envelope of plan version %d", version)
	lo, hi, ok := env.MinMaxXYs()
	if !ok || limit <= 0 {
		return nil, s.checkVersion(ctx, doing, version)
	}
	rows, _ := s.pool.Query(ctx, queryParcelsIn, version, lo.X, lo.Y, hi.X, hi.Y, limit)
	return collect(ctx, s, doing, version, rows, scanParcel)
}

// scanParcel scans parcelColumns.
func scanParcel(row pgx.CollectableRow) (layers.Parcel, error) { return scanParcelAnd(row) }

// scanParcelAnd scans parcelColumns and then the row's further columns into
// extra.
func scanParcelAnd(row pgx.CollectableRow, extra ...any) (layers.Parcel, error) {
	var (
		p   layers.Parcel
		wkb []byte
	)
	if err := row.Scan(append([]any{&p.ID, &p.RegisteredArea, &p.Address, &p.AddressFa, &wkb}, extra...)...); err != nil {
		return p, err
	}
	var err error
	if p.Geom, err = multiPolygon(wkb); err != nil {
		return p, fmt.Errorf("parcel %q: %w", p.ID, err)
	}
	return p, nil
}

// collect collects the rows of a spatial query of one plan version; when
// there are none, it tells an unknown version (ErrNotFound) from no match.
func collect[T any](ctx context.Context, s *Store, doing string, version int64, rows pgx.Rows, scan pgx.RowToFunc[T]) ([]T, error) {
	out, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, s.failed(doing, err)
	}
	if len(out) == 0 {
		return out, s.checkVersion(ctx, doing, version)
	}
	return out, nil
}

const queryVersionExists = `SELECT EXISTS (SELECT FROM plan_versions WHERE id = $1)`

// checkVersion returns ErrNotFound (wrapped) for an unknown plan version.
func (s *Store) checkVersion(ctx context.Context, doing string, version int64) error {
	var ok bool
	if err := s.pool.QueryRow(ctx, queryVersionExists, version).Scan(&ok); err != nil {
		return s.failed(doing, err)
	}
	if !ok {
		return fmt.Errorf("postgis: %s: plan version %w", doing, layers.ErrNotFound)
	}
	return nil
}

// multiPolygon parses a stored geometry. It skips validation: what is stored
// was valid when the bundle was read.
func multiPolygon(wkb []byte) (geom.MultiPolygon, error) {
	g, err := geom.UnmarshalWKB(wkb, geom.NoValidate{})
	if err != nil {
		return geom.MultiPolygon{}, fmt.Errorf("parsing stored geometry: %w", err)
	}
	mp, ok := g.AsMultiPolygon()
	if !ok {
		return geom.MultiPolygon{}, fmt.Errorf("stored geometry is a %s, not a MultiPolygon", g.Type())
	}
	return mp, nil
}
