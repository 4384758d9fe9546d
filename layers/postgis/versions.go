package postgis

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/parvaneh/parvaneh/layers"
)

// versionCache keeps every plan version of the database in memory. A
// version never changes once imported, so only new ones can make the copy
// wrong: it is read again after the store's own Import (and after the
// database was found unreachable) and otherwise once ttl old.
//
// Readers take the current snapshot without a lock; one caller at a time
// reads the database for a new one, and callers waiting for it take its
// result.
type versionCache struct {
	ttl time.Duration
	// gen counts invalidations: a snapshot made before the last one is
	// stale whatever its age.
	gen     atomic.Uint64
	current atomic.Pointer[versionSnapshot]
	// loading holds a token while a caller reads the database; a channel
	// rather than a mutex, so a waiting caller can give up with its context.
	loading chan struct{}
}

// versionSnapshot is the plan versions as read at one time.
type versionSnapshot struct {
	gen    uint64
	readAt time.Time // when the query that read it began
	byMuni map[string][]layers.PlanVersion
	names  []string // municipalities, in byte order
}

func newVersionCache(ttl time.Duration) versionCache {
	return versionCache{ttl: ttl, loading: make(chan struct{}, 1)}
}

func (c *versionCache) invalidate() { c.gen.Add(1) }

func (c *versionCache) fresh(snap *versionSnapshot) bool {
	return snap != nil && snap.gen == c.gen.Load() && time.Since(snap.readAt) < c.ttl
}

// queryAllVersions reads every plan version; by municipality, then Seq.
const queryAllVersions = `
SELECT v.id, m.name, m.name_fa, v.seq, v.label, v.effective_from, v.imported_at, v.measure_srid, v.rule_pack,
       v.extent_xmin, v.extent_ymin, v.extent_xmax, v.extent_ymax
FROM plan_versions v JOIN municipalities m ON m.id = v.municipality_id
ORDER BY m.name, v.seq`

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

// planVersions returns a fresh snapshot of the plan versions, reading the
// database when the one in memory has expired or been invalidated; an
// expired snapshot is never answered from, so a database that cannot be
// reached then is an error.
func (s *Store) planVersions(ctx context.Context) (*versionSnapshot, error) {
	c := &s.versions
	if snap := c.current.Load(); c.fresh(snap) {
		return snap, nil
	}
	select {
	case c.loading <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.loading }()
	if snap := c.current.Load(); c.fresh(snap) {
		return snap, nil // read by the caller we waited for
	}
	snap := &versionSnapshot{gen: c.gen.Load(), readAt: time.Now(), byMuni: map[string][]layers.PlanVersion{}, names: []string{}}
	rows, _ := s.pool.Query(ctx, queryAllVersions)
	vs, err := pgx.CollectRows(rows, scanVersion)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if _, ok := snap.byMuni[v.Municipality]; !ok {
			snap.names = append(snap.names, v.Municipality)
		}
		snap.byMuni[v.Municipality] = append(snap.byMuni[v.Municipality], v)
	}
	c.current.Store(snap)
	return snap, nil
}

// Versions lists a municipality's plan versions, oldest first.
func (s *Store) Versions(ctx context.Context, municipality string) ([]layers.PlanVersion, error) {
	doing := "listing the plan versions of " + municipality
	snap, err := s.planVersions(ctx)
	if err != nil {
		return nil, s.failed(doing, err)
	}
	vs, ok := snap.byMuni[municipality]
	if !ok {
		return nil, fmt.Errorf("postgis: %s: municipality %w", doing, layers.ErrNotFound)
	}
	return slices.Clone(vs), nil
}

// Municipalities lists the municipalities with at least one plan version,
// by name.
func (s *Store) Municipalities(ctx context.Context) ([]string, error) {
	snap, err := s.planVersions(ctx)
	if err != nil {
		return nil, s.failed("listing the municipalities", err)
	}
	return slices.Clone(snap.names), nil
}

// VersionAsOf resolves the plan version of a municipality in force at asOf:
// the latest EffectiveFrom not after it, the higher Seq on a tie.
func (s *Store) VersionAsOf(ctx context.Context, municipality string, asOf time.Time) (layers.PlanVersion, error) {
	// Said only on failure: formatting it would cost more than the answer.
	doing := func() string {
		return fmt.Sprintf("finding the plan of %s in force on %s", municipality, asOf.Format(time.DateOnly))
	}
	snap, err := s.planVersions(ctx)
	if err != nil {
		return layers.PlanVersion{}, s.failed(doing(), err)
	}
	v, ok := layers.InForce(snap.byMuni[municipality], asOf)
	if !ok {
		return v, fmt.Errorf("postgis: %s: %w", doing(), layers.ErrNotFound)
	}
	return v, nil
}
