// Package memstore is the embedded plan store: layers.Store held entirely in
// memory, for tests, demos and a city small enough to load at start. It
// measures with the same overlay operations (simplefeatures' JTS port) the
// PostGIS store's GEOS runs, so both give the same areas.
//
// Imported versions are immutable, so measurements of stored parcels are
// memoized: Measure recognises a stored parcel's geometry (as returned by
// Parcel, ParcelsAt or ParcelsIn) by its exact coordinates and answers it
// from the memo after the first time; Warm fills the memo ahead.
package memstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/parvaneh/parvaneh/layers"
	"github.com/peterstace/simplefeatures/geom"
	"golang.org/x/sync/errgroup"
)

// Store is the in-memory layers.Store. It is safe for concurrent use.
type Store struct {
	mu       sync.RWMutex
	closed   bool
	versions []*version            // by ID − 1
	byMuni   map[string][]*version // by Seq − 1
}

var _ layers.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{byMuni: map[string][]*version{}}
}

var errClosed = fmt.Errorf("memstore closed: %w", layers.ErrUnavailable)

// Import stores b as its municipality's next plan version. Everything is
// copied, sorted and indexed before the version is published, so a refused
// bundle (duplicate ids in a layer) leaves nothing behind.
func (s *Store) Import(ctx context.Context, b *layers.Bundle) (layers.PlanVersion, error) {
	if err := ctx.Err(); err != nil {
		return layers.PlanVersion{}, err
	}
	if b == nil || b.Manifest.Municipality == "" {
		return layers.PlanVersion{}, errors.New("importing bundle: no municipality in manifest")
	}
	muni := b.Manifest.Municipality
	v, err := newVersion(b)
	if err != nil {
		return layers.PlanVersion{}, fmt.Errorf("importing %s %s: %w", muni, b.Manifest.PlanVersion, err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return layers.PlanVersion{}, errClosed
	}
	v.pv.ID = int64(len(s.versions) + 1)
	v.pv.Seq = len(s.byMuni[muni]) + 1
	// PostgreSQL keeps microseconds; so does this, for equal answers.
	v.pv.ImportedAt = time.Now().UTC().Truncate(time.Microsecond)
	s.versions = append(s.versions, v)
	s.byMuni[muni] = append(s.byMuni[muni], v)
	return v.pv, nil
}

// Versions lists a municipality's versions, oldest (Seq 1) first.
func (s *Store) Versions(_ context.Context, municipality string) ([]layers.PlanVersion, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errClosed
	}
	vs, ok := s.byMuni[municipality]
	if !ok {
		return nil, fmt.Errorf("municipality %q: %w", municipality, layers.ErrNotFound)
	}
	out := make([]layers.PlanVersion, len(vs))
	for i, v := range vs {
		out[i] = v.pv
	}
	return out, nil
}

// Municipalities lists the municipalities with a version, in byte order.
func (s *Store) Municipalities(context.Context) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errClosed
	}
	out := make([]string, 0, len(s.byMuni))
	for m := range s.byMuni {
		out = append(out, m)
	}
	slices.Sort(out)
	return out, nil
}

// VersionAsOf returns the version with the latest EffectiveFrom not after
// asOf; of several with that date, the one imported last.
func (s *Store) VersionAsOf(ctx context.Context, municipality string, asOf time.Time) (layers.PlanVersion, error) {
	vs, err := s.Versions(ctx, municipality)
	if err != nil {
		return layers.PlanVersion{}, err
	}
	v, ok := layers.InForce(vs, asOf)
	if !ok {
		return v, fmt.Errorf("plan of %q in force on %s: %w",
			municipality, asOf.Format(time.DateOnly), layers.ErrNotFound)
	}
	return v, nil
}

// version finds an imported version by ID.
func (s *Store) version(id int64) (*version, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errClosed
	}
	if id < 1 || id > int64(len(s.versions)) {
		return nil, fmt.Errorf("plan version %d: %w", id, layers.ErrNotFound)
	}
	return s.versions[id-1], nil
}

// Parcel returns a parcel by its registered plate.
func (s *Store) Parcel(_ context.Context, version int64, id string) (layers.Parcel, error) {
	v, err := s.version(version)
	if err != nil {
		return layers.Parcel{}, err
	}
	i, ok := slices.BinarySearchFunc(v.parcels.items, id, func(p layers.Parcel, id string) int {
		return cmp.Compare(p.ID, id)
	})
	if !ok {
		return layers.Parcel{}, fmt.Errorf("parcel %q in plan version %d: %w", id, version, layers.ErrNotFound)
	}
	return parcelKind.clone(v.parcels.items[i]), nil
}

// ParcelsAt returns the parcels covering pt (its boundary included), by id.
func (s *Store) ParcelsAt(_ context.Context, version int64, pt geom.XY) ([]layers.Parcel, error) {
	v, err := s.version(version)
	if err != nil {
		return nil, err
	}
	return v.parcelsAt(v.parcels.intersecting(geom.NewPointXY(pt.X, pt.Y).AsGeometry(), math.MaxInt)), nil
}

// ParcelsIn returns up to limit parcels intersecting env, by id.
func (s *Store) ParcelsIn(_ context.Context, version int64, env geom.Envelope, limit int) ([]layers.Parcel, error) {
	v, err := s.version(version)
	if err != nil {
		return nil, err
	}
	return v.parcelsAt(v.parcels.intersecting(env.AsGeometry(), limit)), nil
}

func (v *version) parcelsAt(idx []int) []layers.Parcel {
	out := make([]layers.Parcel, len(idx))
	for n, i := range idx {
		out[n] = parcelKind.clone(v.parcels.items[i])
	}
	return out
}

// Features returns up to limit features of a layer intersecting env, by id.
func (s *Store) Features(_ context.Context, version int64, layer layers.Layer, env geom.Envelope, limit int) ([]layers.Feature, error) {
	v, err := s.version(version)
	if err != nil {
		return nil, err
	}
	switch layer {
	case layers.Parcels:
		return v.parcels.features(env, limit), nil
	case layers.MasterPlan:
		return v.masters.features(env, limit), nil
	case layers.DetailedPlan:
		return v.detailed.features(env, limit), nil
	case layers.Streets:
		return v.streets.features(env, limit), nil
	case layers.Overlays:
		return v.overlays.features(env, limit), nil
	case layers.ValueBlocks:
		return v.blocks.features(env, limit), nil
	}
	return nil, fmt.Errorf("layer %q: %w", layer, layers.ErrNotFound)
}

// Measure overlays a parcel geometry with the version's layers; a stored
// parcel's geometry is answered from the memo after its first measurement.
func (s *Store) Measure(ctx context.Context, version int64, parcel geom.MultiPolygon) (layers.Measurement, error) {
	if err := ctx.Err(); err != nil {
		return layers.Measurement{}, err
	}
	v, err := s.version(version)
	if err != nil {
		return layers.Measurement{}, err
	}
	m, err := v.measure(parcel)
	if err != nil {
		return layers.Measurement{}, fmt.Errorf("measuring in plan version %d: %w", version, err)
	}
	return m, nil
}

// Warm measures every parcel of a version into the memo, on all CPUs, so
// that no estimate pays for a first measurement. Stopping ctx stops it.
func (s *Store) Warm(ctx context.Context, version int64) error {
	v, err := s.version(version)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range v.parcels.items {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			_, err := v.measureParcel(i)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("warming plan version %d: %w", version, err)
	}
	return ctx.Err()
}

// Ping reports ErrUnavailable once the store is closed.
func (s *Store) Ping(context.Context) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return errClosed
	}
	return nil
}

// Close drops every version; later calls answer ErrUnavailable.
func (s *Store) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.versions, s.byMuni = nil, nil
}
