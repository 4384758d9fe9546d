package postgis

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/parvaneh/parvaneh/layers"
)

// lockImports makes imports run one at a time. Attaching partitions would
// serialise them anyway; taking the lock first keeps two imports from
// deadlocking halfway, and makes max(seq)+1 safe.
const lockImports = `SELECT pg_advisory_xact_lock(hashtext('parvaneh.import'))`

// upsertMunicipality creates the municipality or refreshes its Persian name.
const upsertMunicipality = `
INSERT INTO municipalities (name, name_fa) VALUES ($1, $2)
ON CONFLICT (name) DO UPDATE SET name_fa = EXCLUDED.name_fa
RETURNING id`

// insertVersion takes the municipality's next Seq (imports hold lockImports).
const insertVersion = `
INSERT INTO plan_versions (municipality_id, seq, label, effective_from, measure_srid, rule_pack,
                           extent_xmin, extent_ymin, extent_xmax, extent_ymax)
SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9
FROM plan_versions WHERE municipality_id = $1
RETURNING id, seq, imported_at`

// progressEvery is how many features are written between two progress calls.
const progressEvery = 1000

// Import stores a bundle as its municipality's next plan version, all or
// nothing.
func (s *Store) Import(ctx context.Context, b *layers.Bundle) (layers.PlanVersion, error) {
	return s.ImportWithProgress(ctx, b, nil)
}

// ImportWithProgress is Import that calls progress (when not nil) with the
// number of features written so far, every thousand features and once at
// the end. Calls come one at a time, but not all from the caller's goroutine
// (pgx encodes COPY rows in a goroutine of its own).
func (s *Store) ImportWithProgress(ctx context.Context, b *layers.Bundle, progress func(written int)) (layers.PlanVersion, error) {
	m := b.Manifest
	tables := tablesOf(b)
	pv := m.Version()
	pv.Extent = extent(tables)
	lo, hi, hasExtent := pv.Extent.MinMaxXYs()
	extentArgs := []any{nil, nil, nil, nil}
	if hasExtent {
		extentArgs = []any{lo.X, lo.Y, hi.X, hi.Y}
	}
	doing := fmt.Sprintf("importing %s plan %s", m.Municipality, m.PlanVersion)

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return layers.PlanVersion{}, s.failed(doing, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit

	if _, err := tx.Exec(ctx, lockImports); err != nil {
		return layers.PlanVersion{}, s.failed(doing+": waiting for other imports", err)
	}
	var municipalityID int64
	if err := tx.QueryRow(ctx, upsertMunicipality, m.Municipality, m.MunicipalityFa).Scan(&municipalityID); err != nil {
		return layers.PlanVersion{}, s.failed(doing+": recording the municipality", err)
	}
	err = tx.QueryRow(ctx, insertVersion, append([]any{municipalityID, m.PlanVersion, m.EffectiveFrom, m.MeasureSRID, m.RulePack}, extentArgs...)...).
		Scan(&pv.ID, &pv.Seq, &pv.ImportedAt)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.ConstraintName == "plan_versions_measure_srid_fkey" {
		return layers.PlanVersion{}, fmt.Errorf("postgis: %s: measure_srid %d is not in PostGIS's spatial_ref_sys", doing, m.MeasureSRID)
	}
	if err != nil {
		return layers.PlanVersion{}, s.failed(doing+": recording the plan version", err)
	}
	pv.ImportedAt = pv.ImportedAt.UTC()

	written := 0
	for _, t := range tables {
		src := &copySource{table: t, version: pv.ID, srid: m.MeasureSRID, written: &written, progress: progress}
		if err := loadPartition(ctx, tx, t, pv.ID, src); err != nil {
			return layers.PlanVersion{}, s.failed(fmt.Sprintf("%s: writing %s", doing, t.layer.File()), err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return layers.PlanVersion{}, s.failed(doing+": committing", err)
	}
	s.versions.invalidate() // the next question about versions sees this one
	if progress != nil {
		progress(written)
	}
	return pv, nil
}

// loadPartition writes one layer of a version into a new table shaped like
// the layer's, with no index yet, then attaches it as the version's partition:
// PostgreSQL builds the partition's indexes (the parent's: primary key, GiST
// on geom and geom_wgs84) in bulk and checks its constraints in one pass each.
// ANALYZE of the columns the spatial queries filter on gives the planner the
// new rows' statistics at once (autovacuum would, a minute later, and queries
// of a fresh version without them run several times slower).
func loadPartition(ctx context.Context, tx pgx.Tx, t table, version int64, src pgx.CopyFromSource) error {
	parent := pgx.Identifier{string(t.layer)}.Sanitize()
	part := pgx.Identifier{fmt.Sprintf("%s_v%d", t.layer, version)}
	create := fmt.Sprintf(`CREATE TABLE %s (LIKE %s INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS)`, part.Sanitize(), parent)
	if _, err := tx.Exec(ctx, create); err != nil {
		return err
	}
	if _, err := tx.CopyFrom(ctx, part, t.columns(), src); err != nil {
		return err
	}
	attach := fmt.Sprintf(`ALTER TABLE %s ATTACH PARTITION %s FOR VALUES IN (%d)`, parent, part.Sanitize(), version)
	if _, err := tx.Exec(ctx, attach); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, fmt.Sprintf(`ANALYZE %s (plan_version_id, geom)`, part.Sanitize()))
	return err
}

// table describes how one layer's features become rows of its table, which
// is named after the layer.
type table struct {
	layer layers.Layer
	// props are the layer's own columns, between (plan_version_id, srid)
	// and geom.
	props []string
	n     int
	// row returns feature i's values for props, and its geometry.
	row func(i int) ([]any, geom.MultiPolygon)
}

// extent is the envelope of every feature of every table.
func extent(tables []table) geom.Envelope {
	var env geom.Envelope
	for _, t := range tables {
		for i := range t.n {
			_, g := t.row(i)
			env = env.ExpandToIncludeEnvelope(g.Envelope())
		}
	}
	return env
}

func (t table) columns() []string {
	return append(append([]string{"plan_version_id", "srid"}, t.props...), "geom")
}

func tablesOf(b *layers.Bundle) []table {
	return []table{
		{layers.Parcels, []string{"parcel_id", "registered_area_m2", "address", "address_fa"}, len(b.Parcels),
			func(i int) ([]any, geom.MultiPolygon) {
				f := &b.Parcels[i]
				return []any{f.ID, f.RegisteredArea, f.Address, f.AddressFa}, f.Geom
			}},
		{layers.MasterPlan, []string{"zone_id", "land_use", "density_band", "name", "name_fa"}, len(b.MasterZones),
			func(i int) ([]any, geom.MultiPolygon) {
				f := &b.MasterZones[i]
				return []any{f.ID, f.LandUse, f.DensityBand, f.Name, f.NameFa}, f.Geom
			}},
		{layers.DetailedPlan, []string{"zone_id", "code", "name", "name_fa"}, len(b.DetailedPlan),
			func(i int) ([]any, geom.MultiPolygon) {
				f := &b.DetailedPlan[i]
				return []any{f.ID, f.Code, f.Name, f.NameFa}, f.Geom
			}},
		{layers.Streets, []string{"street_id", "width_m", "planned_width_m", "name", "name_fa"}, len(b.Streets),
			func(i int) ([]any, geom.MultiPolygon) {
				f := &b.Streets[i]
				return []any{f.ID, f.Width, f.PlannedWidth, f.Name, f.NameFa}, f.Geom
			}},
		{layers.Overlays, []string{"overlay_id", "kind", "max_height_m", "max_floors", "no_build", "name", "name_fa"}, len(b.Overlays),
			func(i int) ([]any, geom.MultiPolygon) {
				f := &b.Overlays[i]
				return []any{f.ID, f.Kind, f.MaxHeight, f.MaxFloors, f.NoBuild, f.Name, f.NameFa}, f.Geom
			}},
		{layers.ValueBlocks, []string{"block_id", "p_value", "tx_value_residential", "tx_value_commercial"}, len(b.ValueBlocks),
			func(i int) ([]any, geom.MultiPolygon) {
				f := &b.ValueBlocks[i]
				return []any{f.ID, f.P, f.TxResidential, f.TxCommercial}, f.Geom
			}},
	}
}

// copySource feeds one table's rows to COPY.
type copySource struct {
	table    table
	version  int64
	srid     int
	i        int
	values   []any
	written  *int
	progress func(int)
}

func (c *copySource) Next() bool {
	if c.i >= c.table.n {
		return false
	}
	props, g := c.table.row(c.i)
	c.values = append(append(append(c.values[:0], c.version, c.srid), props...), ewkb(g, c.srid))
	c.i++
	*c.written++
	if c.progress != nil && *c.written%progressEvery == 0 {
		c.progress(*c.written)
	}
	return true
}

func (c *copySource) Values() ([]any, error) { return c.values, nil }
func (c *copySource) Err() error             { return nil }

// ewkb is PostGIS's extended WKB of a 2D geometry: WKB with the SRID flag
// set in the type word and the SRID after it. It is what the binary COPY
// format expects of a geometry column.
func ewkb(g geom.MultiPolygon, srid int) []byte {
	const sridFlag = 0x20000000
	wkb := g.Force2D().AsBinary()
	var order binary.ByteOrder = binary.LittleEndian
	if wkb[0] == 0 {
		order = binary.BigEndian
	}
	out := make([]byte, len(wkb)+4)
	out[0] = wkb[0]
	order.PutUint32(out[1:5], order.Uint32(wkb[1:5])|sridFlag)
	order.PutUint32(out[5:9], uint32(srid))
	copy(out[9:], wkb[5:])
	return out
}
