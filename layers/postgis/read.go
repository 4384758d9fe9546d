package postgis

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/parvaneh/parvaneh/layers"
)

const selectVersions = `
SELECT v.id, m.name, m.name_fa, v.seq, v.label, v.effective_from, v.imported_at, v.measure_srid, v.rule_pack,
       v.extent_xmin, v.extent_ymin, v.extent_xmax, v.extent_ymax
FROM plan_versions v JOIN municipalities m ON m.id = v.municipality_id`

const queryVersions = selectVersions + `
WHERE m.name = $1
ORDER BY v.seq`

// queryVersionAsOf compares instants, as EffectiveFrom is UTC midnight of
// the plan's date.
const queryVersionAsOf = selectVersions + `
WHERE m.name = $1 AND (v.effective_from::timestamp AT TIME ZONE 'UTC') <= $2
ORDER BY v.effective_from DESC, v.seq DESC
LIMIT 1`

const queryMunicipalities = `
SELECT m.name FROM municipalities m
WHERE EXISTS (SELECT FROM plan_versions v WHERE v.municipality_id = m.id)
ORDER BY m.name`

// Versions lists a municipality's plan versions, oldest first.
func (s *Store) Versions(ctx context.Context, municipality string) ([]layers.PlanVersion, error) {
	doing := "listing the plan versions of " + municipality
	rows, _ := s.pool.Query(ctx, queryVersions, municipality)
	vs, err := pgx.CollectRows(rows, scanVersion)
	if err != nil {
		return nil, wrapErr(doing, err)
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("postgis: %s: municipality %w", doing, layers.ErrNotFound)
	}
	return vs, nil
}

// Municipalities lists the municipalities with at least one plan version,
// by name.
func (s *Store) Municipalities(ctx context.Context) ([]string, error) {
	rows, _ := s.pool.Query(ctx, queryMunicipalities)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, wrapErr("listing the municipalities", err)
	}
	return names, nil
}

// VersionAsOf resolves the plan version of a municipality in force at asOf:
// the latest EffectiveFrom not after it, the higher Seq on a tie.
func (s *Store) VersionAsOf(ctx context.Context, municipality string, asOf time.Time) (layers.PlanVersion, error) {
	rows, _ := s.pool.Query(ctx, queryVersionAsOf, municipality, asOf)
	v, err := pgx.CollectExactlyOneRow(rows, scanVersion)
	if err != nil {
		return layers.PlanVersion{}, wrapErr(fmt.Sprintf("finding the plan of %s in force on %s", municipality, asOf.Format(time.DateOnly)), err)
	}
	return v, nil
}

func scanVersion(row pgx.CollectableRow) (layers.PlanVersion, error) {
	var (
		v      layers.PlanVersion
		extent [4]*float64
	)
	err := row.Scan(&v.ID, &v.Municipality, &v.MunicipalityFa, &v.Seq, &v.Label,
		&v.EffectiveFrom, &v.ImportedAt, &v.MeasureSRID, &v.RulePack,
		&extent[0], &extent[1], &extent[2], &extent[3])
	v.ImportedAt = v.ImportedAt.UTC()
	if extent[0] != nil {
		v.Extent = geom.NewEnvelope(geom.XY{X: *extent[0], Y: *extent[1]}, geom.XY{X: *extent[2], Y: *extent[3]})
	}
	return v, err
}

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
		return layers.Parcel{}, wrapErr(fmt.Sprintf("reading parcel %q of plan version %d", id, version), err)
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
func scanParcel(row pgx.CollectableRow) (layers.Parcel, error) {
	var (
		p   layers.Parcel
		wkb []byte
	)
	if err := row.Scan(&p.ID, &p.RegisteredArea, &p.Address, &p.AddressFa, &wkb); err != nil {
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
		return nil, wrapErr(doing, err)
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
		return wrapErr(doing, err)
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
