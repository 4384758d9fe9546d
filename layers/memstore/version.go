package memstore

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/parvaneh/parvaneh/geo"
	"github.com/parvaneh/parvaneh/layers"
	"github.com/peterstace/simplefeatures/geom"
)

// version is one imported bundle. It is never changed after import (only its
// measurement memo fills in), so readers use it without the store's lock.
type version struct {
	pv layers.PlanVersion

	parcels  layer[layers.Parcel]
	masters  layer[layers.MasterZone]
	detailed layer[layers.DetailedZone]
	streets  layer[layers.Street]
	overlays layer[layers.Overlay]
	blocks   layer[layers.ValueBlock]

	// parcelByWKB finds a stored parcel from its geometry, so Measure can
	// memoize without a new method on the Store interface: a stored parcel's
	// geometry measures the same every time, since versions are immutable.
	parcelByWKB map[string]int
	memo        []atomic.Pointer[layers.Measurement] // by parcel index
	// prepParcels are stored parcels prepared on their first footprint
	// (footprint.go), by parcel index.
	prepParcels []atomic.Pointer[prepared]
}

// layer is one layer's features sorted by id, with what searching and
// measuring them needs precomputed: envelopes in an R-tree, and prepared
// geometries for the cheap covers/intersects tests that spare an overlay.
type layer[T any] struct {
	items []T
	geoms []geom.MultiPolygon
	envs  []geom.Envelope
	prep  []prepared // nil for parcels: they are never the covering side
	ix    *geo.Index[int]
	kind  kind[T]
}

// kind tells newLayer how to read one layer's feature type.
type kind[T any] struct {
	layer layers.Layer
	id    func(T) string
	geom  func(T) geom.MultiPolygon
	// clone copies what a caller could change through a shared pointer; the
	// geometries are immutable values and are shared.
	clone   func(T) T
	feature func(T) layers.Feature
	prepare bool
}

func newLayer[T any](k kind[T], src []T) (layer[T], error) {
	ly := layer[T]{
		items: make([]T, len(src)),
		geoms: make([]geom.MultiPolygon, len(src)),
		envs:  make([]geom.Envelope, len(src)),
		ix:    &geo.Index[int]{},
		kind:  k,
	}
	for i, x := range src {
		ly.items[i] = k.clone(x)
	}
	// Sorted by id, a slice position orders results: sort positions, get ids
	// in byte order.
	slices.SortStableFunc(ly.items, func(a, b T) int { return cmp.Compare(k.id(a), k.id(b)) })
	for i := 1; i < len(ly.items); i++ {
		if id := k.id(ly.items[i]); id == k.id(ly.items[i-1]) {
			return layer[T]{}, fmt.Errorf("%s: duplicate id %q", k.layer, id)
		}
	}
	if k.prepare {
		ly.prep = make([]prepared, len(src))
	}
	for i, x := range ly.items {
		g := k.geom(x)
		ly.geoms[i] = g
		ly.envs[i] = g.Envelope()
		ly.ix.Insert(ly.envs[i], i)
		if k.prepare {
			p, err := geom.Prepare(g.AsGeometry())
			if err != nil {
				return layer[T]{}, fmt.Errorf("%s: preparing %q: %w", k.layer, k.id(x), err)
			}
			ly.prep[i].p = p
		}
	}
	return ly, nil
}

// search returns the positions, ascending (so by id), of the features whose
// envelope intersects env.
func (ly *layer[T]) search(env geom.Envelope) []int {
	var out []int
	ly.ix.Search(env, func(i int) bool {
		out = append(out, i)
		return true
	})
	slices.Sort(out)
	return out
}

// intersecting returns up to limit positions, by id, of the features that
// intersect g itself, not only its envelope.
func (ly *layer[T]) intersecting(g geom.Geometry, limit int) []int {
	var out []int
	for _, i := range ly.search(g.Envelope()) {
		if len(out) >= limit {
			break
		}
		if geom.Intersects(ly.geoms[i].AsGeometry(), g) {
			out = append(out, i)
		}
	}
	return out
}

func (ly *layer[T]) features(env geom.Envelope, limit int) []layers.Feature {
	hits := ly.intersecting(env.AsGeometry(), limit)
	out := make([]layers.Feature, len(hits))
	for n, i := range hits {
		out[n] = ly.kind.feature(ly.items[i])
	}
	return out
}

// newVersion copies and indexes a bundle; the caller numbers it (ID, Seq,
// ImportedAt).
func newVersion(b *layers.Bundle) (*version, error) {
	v := &version{pv: b.Manifest.Version()}
	var err error
	if v.parcels, err = newLayer(parcelKind, b.Parcels); err != nil {
		return nil, err
	}
	if v.masters, err = newLayer(masterKind, b.MasterZones); err != nil {
		return nil, err
	}
	if v.detailed, err = newLayer(detailedKind, b.DetailedPlan); err != nil {
		return nil, err
	}
	if v.streets, err = newLayer(streetKind, b.Streets); err != nil {
		return nil, err
	}
	if v.overlays, err = newLayer(overlayKind, b.Overlays); err != nil {
		return nil, err
	}
	if v.blocks, err = newLayer(blockKind, b.ValueBlocks); err != nil {
		return nil, err
	}
	v.parcelByWKB = make(map[string]int, len(v.parcels.items))
	for i, g := range v.parcels.geoms {
		v.parcelByWKB[string(g.AsBinary())] = i
	}
	v.memo = make([]atomic.Pointer[layers.Measurement], len(v.parcels.items))
	v.prepParcels = make([]atomic.Pointer[prepared], len(v.parcels.items))
	for _, envs := range [][]geom.Envelope{v.parcels.envs, v.masters.envs, v.detailed.envs,
		v.streets.envs, v.overlays.envs, v.blocks.envs} {
		for _, e := range envs {
			v.pv.Extent = v.pv.Extent.ExpandToIncludeEnvelope(e)
		}
	}
	return v, nil
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

func same[T any](x T) T { return x }

var parcelKind = kind[layers.Parcel]{
	layer: layers.Parcels,
	id:    func(p layers.Parcel) string { return p.ID },
	geom:  func(p layers.Parcel) geom.MultiPolygon { return p.Geom },
	clone: func(p layers.Parcel) layers.Parcel {
		p.RegisteredArea = clonePtr(p.RegisteredArea)
		return p
	},
	feature: layers.Parcel.Feature,
}

var masterKind = kind[layers.MasterZone]{
	layer:   layers.MasterPlan,
	id:      func(z layers.MasterZone) string { return z.ID },
	geom:    func(z layers.MasterZone) geom.MultiPolygon { return z.Geom },
	clone:   same[layers.MasterZone],
	feature: layers.MasterZone.Feature,
	prepare: true,
}

var detailedKind = kind[layers.DetailedZone]{
	layer:   layers.DetailedPlan,
	id:      func(z layers.DetailedZone) string { return z.ID },
	geom:    func(z layers.DetailedZone) geom.MultiPolygon { return z.Geom },
	clone:   same[layers.DetailedZone],
	feature: layers.DetailedZone.Feature,
	prepare: true,
}

var streetKind = kind[layers.Street]{
	layer:   layers.Streets,
	id:      func(s layers.Street) string { return s.ID },
	geom:    func(s layers.Street) geom.MultiPolygon { return s.Geom },
	clone:   same[layers.Street],
	feature: layers.Street.Feature,
	prepare: true,
}

var overlayKind = kind[layers.Overlay]{
	layer: layers.Overlays,
	id:    func(o layers.Overlay) string { return o.ID },
	geom:  func(o layers.Overlay) geom.MultiPolygon { return o.Geom },
	clone: func(o layers.Overlay) layers.Overlay {
		o.MaxHeight = clonePtr(o.MaxHeight)
		o.MaxFloors = clonePtr(o.MaxFloors)
		return o
	},
	feature: layers.Overlay.Feature,
	prepare: true,
}

var blockKind = kind[layers.ValueBlock]{
	layer:   layers.ValueBlocks,
	id:      func(b layers.ValueBlock) string { return b.ID },
	geom:    func(b layers.ValueBlock) geom.MultiPolygon { return b.Geom },
	clone:   same[layers.ValueBlock],
	feature: layers.ValueBlock.Feature,
	prepare: true,
}

// prepared guards a prepared geometry: the JTS port fills its caches (the
// envelope, the point locator) lazily on first use, so concurrent requests
// must not test one feature at the same time.
type prepared struct {
	mu sync.Mutex
	p  geom.PreparedGeometry
}

func (pr *prepared) Intersects(g geom.Geometry) (bool, error) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.p.Intersects(g)
}

func (pr *prepared) Covers(g geom.Geometry) (bool, error) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.p.Covers(g)
}
