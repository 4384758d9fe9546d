package postgis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/parvaneh/parvaneh/layers"
)

// A stored parcel's measurement is a pure function of its plan version and
// its plate, neither of which ever changes, so it is kept once computed, in
// parcel_measurements (migrations/00002_parcel_measurements.sql): the rows of
// measure.sql as a JSON array, an object per row whose members are the
// columns that are not NULL (factsJSON), which is how fact decodes them.

// cacheRevision names what computed a kept measurement: measure.sql and the
// JSON made of its rows (factsShape, to be changed with factsJSON). A row of
// another revision is a miss, and is replaced.
var cacheRevision = func() string {
	const factsShape = "jsonb_strip_nulls/1"
	sum := sha256.Sum256([]byte(factsShape + "\x00" + measureSQL))
	return hex.EncodeToString(sum[:8])
}()

// factsJSON aggregates the rows f of measure.sql into the JSON kept.
// to_jsonb writes a float8 in its shortest exact form, so the facts read
// back are the very numbers measured.
const factsJSON = `jsonb_agg(jsonb_strip_nulls(to_jsonb(f)) ORDER BY f.kind, f.id)`

// keepFacts ends an INSERT INTO parcel_measurements: a measurement kept
// meanwhile at the same revision (by another caller) is the same and stays;
// one of another revision is replaced.
const keepFacts = `
ON CONFLICT (plan_version_id, parcel_id) DO UPDATE SET revision = EXCLUDED.revision, facts = EXCLUDED.facts
WHERE parcel_measurements.revision <> EXCLUDED.revision`

// queryMeasuredParcel reads a stored parcel ($1) and its measurement kept
// at revision $2 (NULL when there is none): no row for an unknown parcel or
// version.
const queryMeasuredParcel = `
SELECT ` + parcelColumns + `, c.facts
FROM parcels t LEFT JOIN parcel_measurements c
     ON c.plan_version_id = t.plan_version_id AND c.parcel_id = t.parcel_id AND c.revision = $2
WHERE t.plan_version_id = :version AND t.parcel_id = $1`

// parcelStored is the way into measure.sql for a stored parcel by plate ($1).
const parcelStored = `WITH parcel AS (
    SELECT t.geom AS g FROM parcels t WHERE t.plan_version_id = :version AND t.parcel_id = $1
),
`

// queryMeasureAndKeep measures a stored parcel ($1) and keeps its facts at
// revision $3, in one statement; it gives measure.sql's rows.
var queryMeasureAndKeep = `
WITH f AS (
` + parcelStored + measureSQL + `
), kept AS (
    INSERT INTO parcel_measurements (plan_version_id, parcel_id, revision, facts)
    SELECT :version, $1::text, $3::text, ` + factsJSON + ` FROM f
    HAVING count(*) > 0` + keepFacts + `
)
SELECT * FROM f ORDER BY kind, id`

// MeasureParcel returns a stored parcel by plate and its measurement against
// the version's layers (permits.ParcelMeasurer): in one round trip when the
// measurement is kept, else in two, measuring the parcel (measure.sql) and
// keeping the result before answering.
func (s *Store) MeasureParcel(ctx context.Context, version int64, id string) (layers.Parcel, layers.Measurement, error) {
	doing := func() string { return fmt.Sprintf("measuring parcel %q of plan version %d", id, version) }
	var kept []byte
	rows, _ := s.pool.Query(ctx, forVersion(queryMeasuredParcel, version), id, cacheRevision)
	p, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (layers.Parcel, error) {
		return scanParcelAnd(row, &kept)
	})
	if err != nil {
		return layers.Parcel{}, layers.Measurement{}, s.failed(doing(), err)
	}
	var facts []fact
	if kept != nil {
		err = json.Unmarshal(kept, &facts)
	} else {
		rows, _ := s.pool.Query(ctx, forVersion(queryMeasureAndKeep, version), id, layers.NearStreetSearch, cacheRevision)
		if facts, err = pgx.CollectRows(rows, scanFact); err != nil {
			return layers.Parcel{}, layers.Measurement{}, s.failed(doing(), err)
		}
	}
	var m layers.Measurement
	if err == nil {
		m, err = measurement(facts)
	}
	if err != nil {
		return layers.Parcel{}, layers.Measurement{}, fmt.Errorf("postgis: %s: %w", doing(), err)
	}
	return p, m, nil
}

// queryUnmeasured lists the plates of a version with no measurement kept at
// revision $1.
const queryUnmeasured = `
SELECT t.parcel_id FROM parcels t
WHERE t.plan_version_id = :version
  AND NOT EXISTS (SELECT FROM parcel_measurements c
                  WHERE c.plan_version_id = :version AND c.parcel_id = t.parcel_id AND c.revision = $1)
ORDER BY t.parcel_id`

// parcelEach is the way into measure.sql for Warm: its parcel is each stored
// parcel p in turn.
const parcelEach = `WITH parcel AS (SELECT p.geom AS g),
`

// queryWarm measures the parcels of a version named in $1 (plates) and keeps
// their facts at revision $3, one measure.sql per parcel, in one statement.
var queryWarm = `
INSERT INTO parcel_measurements (plan_version_id, parcel_id, revision, facts)
SELECT :version, p.parcel_id, $3::text, (SELECT ` + factsJSON + ` FROM (
` + parcelEach + measureSQL + `
) f)
FROM parcels p
WHERE p.plan_version_id = :version AND p.parcel_id = ANY ($1)` + keepFacts

// warmBatch is how many parcels one statement of Warm measures: enough that
// a round trip is little beside the work, few enough that the workers share
// it evenly and stop soon when asked.
const warmBatch = 100

// Warm measures every parcel of a version whose measurement is not kept yet
// and keeps it, so that no estimate pays for a first measurement; on a
// version already warm it costs one query. It measures a batch of parcels
// per statement, on several connections at once (half the pool's, at most
// one per CPU), so a store that serves meanwhile keeps connections free.
// Stopping ctx stops it; what was kept stays.
func (s *Store) Warm(ctx context.Context, version int64) error {
	doing := fmt.Sprintf("measuring the parcels of plan version %d ahead", version)
	rows, _ := s.pool.Query(ctx, forVersion(queryUnmeasured, version), cacheRevision)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return s.failed(doing, err)
	}
	if len(ids) == 0 {
		return s.checkVersion(ctx, doing, version)
	}
	query := forVersion(queryWarm, version)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, min(runtime.GOMAXPROCS(0), int(s.pool.Config().MaxConns)/2)))
	for batch := range slices.Chunk(ids, warmBatch) {
		g.Go(func() error {
			return pgx.BeginFunc(gctx, s.pool, func(tx pgx.Tx) error {
				// The planner finds a statement over many parcels dear
				// enough to compile it (JIT), which takes longer than
				// running it.
				if _, err := tx.Exec(gctx, "SET LOCAL jit = off"); err != nil {
					return err
				}
				_, err := tx.Exec(gctx, query, batch, layers.NearStreetSearch, cacheRevision)
				return err
			})
		})
	}
	if err := g.Wait(); err != nil {
		return s.failed(doing, err)
	}
	return nil
}
