package geo

import (
	"github.com/peterstace/simplefeatures/geom"
	"github.com/tidwall/rtree"
)

// Index is an R-tree of items keyed by their envelopes: the coarse filter in
// front of every exact (and costly) geometry test. It is built once and then
// only searched; concurrent searches are safe, an Insert is not safe alongside
// anything else.
type Index[T any] struct {
	tr rtree.RTreeG[T]
}

// Insert adds item under env. An empty envelope is never found, so it is not
// stored.
func (ix *Index[T]) Insert(env geom.Envelope, item T) {
	lo, hi, ok := env.MinMaxXYs()
	if !ok {
		return
	}
	ix.tr.Insert([2]float64{lo.X, lo.Y}, [2]float64{hi.X, hi.Y}, item)
}

// Search calls fn for every item whose envelope intersects env (touching
// counts), in no particular order, until fn returns false.
func (ix *Index[T]) Search(env geom.Envelope, fn func(item T) bool) {
	lo, hi, ok := env.MinMaxXYs()
	if !ok {
		return
	}
	ix.tr.Search([2]float64{lo.X, lo.Y}, [2]float64{hi.X, hi.Y},
		func(_, _ [2]float64, item T) bool { return fn(item) })
}

// Len is the number of items stored.
func (ix *Index[T]) Len() int { return ix.tr.Len() }
