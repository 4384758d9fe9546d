package geo

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/peterstace/simplefeatures/geom"
)

// Codes of the repairs Prepare makes; stable, for callers to report.
const (
	RepairNotClosed        = "not_closed"        // an unclosed ring was closed
	RepairDuplicatePoints  = "duplicate_points"  // repeated consecutive positions were dropped
	RepairOrientation      = "wrong_orientation" // rings reversed to RFC 7946 order (exterior counterclockwise)
	RepairSelfIntersection = "self_intersection" // a ring crossed or retraced itself (bowtie, spike)
	RepairRingTopology     = "ring_topology"     // holes outside, across or touching their exterior or each other
	RepairOverlappingParts = "overlapping_parts" // parts of a multipolygon overlapped and were merged
)

// MinArea is the least area (m²) a prepared geometry may have: less would
// report as 0.00 m², and in practice is a ring collapsed onto a line whose
// positions did not stay exactly collinear through projection.
const MinArea = 0.01

// MaxRepairPositions bounds the size of an invalid geometry Prepare tries to
// repair: tracing the faces of a ring that crosses itself many times costs
// more than linear time, and a geometry that broken needs a person anyway.
const MaxRepairPositions = 50_000

func countPositions(g RawGeometry) int {
	n := 0
	for _, p := range g.Polygons {
		for _, r := range p {
			n += len(r)
		}
	}
	return n
}

// Repair is one thing Prepare changed to make a geometry valid.
type Repair struct {
	Code   string
	Detail string
}

func (r Repair) String() string { return r.Code + ": " + r.Detail }

// Prepare projects a geometry read from GeoJSON to the metric CRS and
// settles its validity once and for all, the way PostGIS
// ST_MakeValid(g, 'method=structure') does: rings are closed and cleared of
// repeated positions; a self-intersecting ring covers the union of its
// lobes (a bowtie becomes two triangles, a zero-width spike disappears);
// exteriors are unioned and holes subtracted, so overlapping parts merge (a
// hole disjoint from its exterior is taken for an island, as PostGIS does).
// The result is valid by simplefeatures' rules, has at least MinArea and
// counterclockwise exteriors; otherwise Prepare refuses with a
// *GeometryError.
//
// Validity must be guaranteed here because area and overlay on invalid
// input are silently wrong (a polygon with a spike measured 75 m² for 25).
// Valid input, the common case, only pays for one validity check.
func Prepare(raw RawGeometry, p *Projection) (geom.MultiPolygon, []Repair, error) {
	if len(raw.Polygons) == 0 {
		return geom.MultiPolygon{}, nil, geomErr(ReasonEmpty, "geometry has no polygons")
	}
	var unclosed, dropped int
	polys := make([]geom.Polygon, len(raw.Polygons))
	for i, rp := range raw.Polygons {
		if len(rp) == 0 {
			return geom.MultiPolygon{}, nil, geomErr(ReasonEmpty, "polygon %d has no rings", i)
		}
		rings := make([]geom.LineString, len(rp))
		for j, r := range rp {
			ring, wasOpen, n, err := projectRing(r, p)
			if err != nil {
				return geom.MultiPolygon{}, nil, geomErr(err.Reason, "polygon %d ring %d: %s", i, j, err.Detail)
			}
			if aligned(ring.Coordinates()) {
				return geom.MultiPolygon{}, nil, geomErr(ReasonDegenerate, "polygon %d ring %d has more than %d segments centred on one line", i, j, maxAlignedSegments)
			}
			rings[j] = ring
			dropped += n
			if wasOpen {
				unclosed++
			}
		}
		polys[i] = geom.NewPolygon(rings)
	}

	var repairs []Repair
	if unclosed > 0 {
		repairs = append(repairs, Repair{RepairNotClosed, fmt.Sprintf("closed %d unclosed ring(s)", unclosed)})
	}
	if dropped > 0 {
		repairs = append(repairs, Repair{RepairDuplicatePoints, fmt.Sprintf("dropped %d repeated position(s)", dropped)})
	}

	m := geom.NewMultiPolygon(polys)
	invalid := m.Validate()
	if invalid == nil {
		if !m.IsCCW() {
			m = m.ForceCCW()
			repairs = append(repairs, Repair{RepairOrientation, "reversed rings to exterior counterclockwise, holes clockwise"})
		}
		if a := m.Area(); !(a >= MinArea) {
			return geom.MultiPolygon{}, nil, geomErr(ReasonCollapsed, "area %.2g m² is below %v m²", a, MinArea)
		}
		return m, repairs, nil
	}

	if positions := countPositions(raw); positions > MaxRepairPositions {
		return geom.MultiPolygon{}, nil, geomErr(ReasonTooLarge, "%v; %d positions are too many to repair automatically (at most %d)", invalid, positions, MaxRepairPositions)
	}
	fixed, err := makeValid(polys)
	if err != nil {
		return geom.MultiPolygon{}, nil, geomErr(ReasonUnrepairable, "%v; repair failed: %v", invalid, err)
	}
	if err := fixed.Validate(); err != nil {
		return geom.MultiPolygon{}, nil, geomErr(ReasonUnrepairable, "%v; repair left it invalid: %v", invalid, err)
	}
	area := fixed.Area()
	if !(area >= MinArea) {
		return geom.MultiPolygon{}, nil, geomErr(ReasonCollapsed, "%v; repair leaves %.2g m², below %v m²", invalid, area, MinArea)
	}
	repairs = append(repairs, Repair{classify(polys), fmt.Sprintf("%v; repaired to %.2f m²", invalid, area)})
	return fixed.ForceCCW(), repairs, nil
}

// projectRing projects a ring's positions, dropping repeated consecutive
// ones and closing it if needed. It reports whether the ring was open and
// how many positions it dropped.
func projectRing(r []geom.XY, p *Projection) (ring geom.LineString, wasOpen bool, dropped int, err *GeometryError) {
	coords := make([]float64, 0, 2*len(r)+2)
	var prev geom.XY
	for k, ll := range r {
		if k > 0 && ll == prev {
			dropped++
			continue
		}
		prev = ll
		xy := p.Forward(ll)
		if !finite(xy.X) || !finite(xy.Y) {
			return geom.LineString{}, false, 0, geomErr(ReasonNonFinite, "position %d (%v, %v) does not project to finite metres", k, ll.X, ll.Y)
		}
		coords = append(coords, xy.X, xy.Y)
	}
	if n := len(coords); n >= 2 && (coords[0] != coords[n-2] || coords[1] != coords[n-1]) {
		coords = append(coords, coords[0], coords[1])
		wasOpen = true
	}
	return geom.NewLineString(geom.NewSequence(coords, geom.DimXY)), wasOpen, dropped, nil
}

// maxAlignedSegments bounds how many segments of one ring may have the same
// centre coordinate. Validate bulk-loads segments into simplefeatures'
// R-tree, whose quickselect is quadratic in such ties: a ring of 100 000
// points along one meridian stalls it for half a minute. Real boundaries
// have nothing like this many.
const maxAlignedSegments = 2000

func aligned(seq geom.Sequence) bool {
	n := seq.Length()
	if n <= maxAlignedSegments {
		return false
	}
	xs, ys := make(map[float64]int), make(map[float64]int)
	for i := 1; i < n; i++ {
		a, b := seq.GetXY(i-1), seq.GetXY(i)
		// The R-tree's sort key: the sum of a box's bounds on one axis.
		xs[a.X+b.X]++
		ys[a.Y+b.Y]++
		if xs[a.X+b.X] > maxAlignedSegments || ys[a.Y+b.Y] > maxAlignedSegments {
			return true
		}
	}
	return false
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// makeValid is JTS GeometryFixer's recipe for polygons (the one behind
// ST_MakeValid(g, 'method=structure')): each ring stands for the union of its
// lobes; a polygon is its exterior minus its holes, and the parts are
// unioned.
func makeValid(polys []geom.Polygon) (geom.MultiPolygon, error) {
	var parts []geom.Geometry
	for _, poly := range polys {
		shell, err := ringArea(poly.ExteriorRing())
		if err != nil {
			return geom.MultiPolygon{}, err
		}
		if shell.IsEmpty() {
			continue
		}
		// As in JTS GeometryFixer, a hole that does not touch its exterior
		// is taken for an island the author put in the wrong place.
		var holes []geom.Geometry
		for k := range poly.NumInteriorRings() {
			h, err := ringArea(poly.InteriorRingN(k))
			if err != nil {
				return geom.MultiPolygon{}, err
			}
			switch {
			case h.IsEmpty():
			case geom.Intersects(shell, h):
				holes = append(holes, h)
			default:
				parts = append(parts, h)
			}
		}
		if len(holes) > 0 {
			hu, err := geom.UnionMany(holes)
			if err != nil {
				return geom.MultiPolygon{}, fmt.Errorf("uniting holes: %w", err)
			}
			if shell, err = geom.Difference(shell, hu); err != nil {
				return geom.MultiPolygon{}, fmt.Errorf("subtracting holes: %w", err)
			}
		}
		parts = append(parts, shell)
	}
	if len(parts) == 0 {
		return geom.MultiPolygon{}, nil
	}
	u, err := geom.UnionMany(parts)
	if err != nil {
		return geom.MultiPolygon{}, fmt.Errorf("uniting parts: %w", err)
	}
	return AsMultiPolygon(u), nil
}

// ringArea is the region a possibly self-intersecting ring encloses: every
// point it winds around (nonzero winding), i.e. the union of its lobes, as
// JTS GeometryFixer and ST_MakeValid(g, 'method=structure') take it. A
// bowtie gives both triangles; a retraced spike encloses nothing. JTS gets
// this from a zero-buffer in both ring orientations, but the inverted
// orientation is internal to simplefeatures' port, so instead the ring is
// noded (by a unary union), the faces of the noded linework traced, and the
// faces the ring winds around kept.
func ringArea(r geom.LineString) (geom.Geometry, error) {
	seq := r.Coordinates()
	if seq.Length() < 4 {
		return geom.Polygon{}.AsGeometry(), nil
	}
	if r.IsSimple() {
		return geom.NewPolygon([]geom.LineString{r}).ForceCCW().AsGeometry(), nil
	}
	noded, err := geom.UnaryUnion(r.AsGeometry())
	if err != nil {
		return geom.Geometry{}, fmt.Errorf("noding ring: %w", err)
	}
	var keep []geom.Geometry
	for _, face := range boundedFaces(segments(noded, nil)) {
		// A face's walk may go along a bridge and back; the zero-buffer of a
		// counterclockwise walk drops such zero-width parts.
		g, err := geom.Buffer(geom.NewPolygon([]geom.LineString{face}).AsGeometry(), 0)
		if err != nil {
			return geom.Geometry{}, fmt.Errorf("cleaning face: %w", err)
		}
		if pt, ok := g.PointOnSurface().XY(); ok && winding(seq, pt) != 0 {
			keep = append(keep, g)
		}
	}
	if len(keep) == 0 {
		return geom.Polygon{}.AsGeometry(), nil
	}
	u, err := geom.UnionMany(keep)
	if err != nil {
		return geom.Geometry{}, fmt.Errorf("uniting ring lobes: %w", err)
	}
	return u, nil
}

// segments appends every non-degenerate segment of g's lines to dst.
func segments(g geom.Geometry, dst [][2]geom.XY) [][2]geom.XY {
	switch g.Type() {
	case geom.TypeLineString:
		ls, _ := g.AsLineString()
		seq := ls.Coordinates()
		for i := 1; i < seq.Length(); i++ {
			if a, b := seq.GetXY(i-1), seq.GetXY(i); a != b {
				dst = append(dst, [2]geom.XY{a, b})
			}
		}
	case geom.TypeMultiLineString:
		mls, _ := g.AsMultiLineString()
		for i := range mls.NumLineStrings() {
			dst = segments(mls.LineStringN(i).AsGeometry(), dst)
		}
	case geom.TypeGeometryCollection:
		c, _ := g.AsGeometryCollection()
		for i := range c.NumGeometries() {
			dst = segments(c.GeometryN(i), dst)
		}
	}
	return dst
}

// boundedFaces traces the bounded faces of a planar graph given by noded
// segments (no two cross), as counterclockwise rings. Dangling edges are
// pruned first, since they bound no face.
func boundedFaces(segs [][2]geom.XY) []geom.LineString {
	ids := make(map[geom.XY]int)
	var xys []geom.XY
	node := func(xy geom.XY) int {
		id, ok := ids[xy]
		if !ok {
			id = len(xys)
			ids[xy] = id
			xys = append(xys, xy)
		}
		return id
	}
	// Half-edge 2k runs along segment k, 2k+1 back; h^1 is h's twin.
	var from, to []int
	seen := make(map[[2]int]bool)
	for _, s := range segs {
		a, b := node(s[0]), node(s[1])
		if seen[[2]int{a, b}] || seen[[2]int{b, a}] {
			continue
		}
		seen[[2]int{a, b}] = true
		from, to = append(from, a, b), append(to, b, a)
	}

	adj := make([][]int, len(xys))
	for h, a := range from {
		adj[a] = append(adj[a], h)
	}
	degree := make([]int, len(xys))
	var dangling []int
	for n, hs := range adj {
		if degree[n] = len(hs); degree[n] == 1 {
			dangling = append(dangling, n)
		}
	}
	dead := make([]bool, len(from))
	for len(dangling) > 0 {
		n := dangling[len(dangling)-1]
		dangling = dangling[:len(dangling)-1]
		for _, h := range adj[n] {
			if dead[h] {
				continue
			}
			dead[h], dead[h^1] = true, true
			degree[n]--
			m := to[h]
			if degree[m]--; degree[m] == 1 {
				dangling = append(dangling, m)
			}
		}
	}

	// Outgoing half-edges of each node, counterclockwise by angle.
	out := make([][]int, len(xys))
	for n, hs := range adj {
		for _, h := range hs {
			if !dead[h] {
				out[n] = append(out[n], h)
			}
		}
	}
	angle := func(h int) float64 {
		a, b := xys[from[h]], xys[to[h]]
		return math.Atan2(b.Y-a.Y, b.X-a.X)
	}
	pos := make([]int, len(from))
	for _, hs := range out {
		slices.SortFunc(hs, func(h, k int) int { return cmp.Compare(angle(h), angle(k)) })
		for i, h := range hs {
			pos[h] = i
		}
	}

	// Walking with each face on the left: after arriving at a node, leave
	// by the edge just clockwise of the one arrived along.
	var faces []geom.LineString
	visited := make([]bool, len(from))
	for start := range from {
		if dead[start] || visited[start] {
			continue
		}
		coords := []float64{xys[from[start]].X, xys[from[start]].Y}
		h := start
		for steps := 0; !visited[h] && steps <= len(from); steps++ {
			visited[h] = true
			v := xys[to[h]]
			coords = append(coords, v.X, v.Y)
			hs := out[to[h]]
			h = hs[(pos[h^1]+len(hs)-1)%len(hs)]
		}
		ring := geom.NewLineString(geom.NewSequence(coords, geom.DimXY))
		if h == start && geom.NewPolygon([]geom.LineString{ring}).Area(geom.SignedArea) > 0 {
			faces = append(faces, ring)
		}
	}
	return faces
}

// winding is the winding number of a closed ring around pt (Sunday's
// crossing rule).
func winding(ring geom.Sequence, pt geom.XY) int {
	w := 0
	for i := 1; i < ring.Length(); i++ {
		a, b := ring.GetXY(i-1), ring.GetXY(i)
		side := (b.X-a.X)*(pt.Y-a.Y) - (pt.X-a.X)*(b.Y-a.Y)
		switch {
		case a.Y <= pt.Y && b.Y > pt.Y && side > 0:
			w++
		case a.Y > pt.Y && b.Y <= pt.Y && side < 0:
			w--
		}
	}
	return w
}

// classify names what was wrong with an invalid multipolygon, most specific
// first.
func classify(polys []geom.Polygon) string {
	for _, poly := range polys {
		for k := range poly.NumRings() {
			var r geom.LineString
			if k == 0 {
				r = poly.ExteriorRing()
			} else {
				r = poly.InteriorRingN(k - 1)
			}
			if !r.IsSimple() {
				return RepairSelfIntersection
			}
		}
	}
	for _, poly := range polys {
		if poly.Validate() != nil {
			return RepairRingTopology
		}
	}
	return RepairOverlappingParts
}
