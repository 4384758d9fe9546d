package citygen

import (
	"math"
	"strconv"

	"github.com/peterstace/simplefeatures/geom"
)

type xy = geom.XY

// The city is laid out in a local metric frame (u east, v north, metres) on a
// grid of street lines: vertical line i and horizontal line j meet at node
// (i, j), whose position is jittered, so blocks are irregular quadrilaterals.
// Cell (i, j) is the land between lines i, i+1 and j, j+1: one block and the
// halves of its four streets. The frame is turned and moved to UTM only when
// written out.
const (
	// gap is how far a parcel's front stays behind the existing street edge,
	// so that rounding the written coordinates never puts a parcel a
	// millimetre into a street it is not meant to be in.
	gap = 0.05
	// nodeJitter is how far a node may move from its nominal grid position.
	nodeJitter = 7.0
)

type lineClass int

const (
	arterial lineClass = iota
	collector
	local
	minor
	alley
)

// classSpec lists a street class's planned widths and how much narrower the
// existing street may be.
type classSpec struct {
	weight  float64
	planned []float64
	drop    []float64
}

var classSpecs = [...]classSpec{
	arterial:  {weight: 10, planned: []float64{30, 24}, drop: []float64{0, 0, 4, 8, 14}},
	collector: {weight: 20, planned: []float64{20, 16, 18}, drop: []float64{0, 0, 4, 6}},
	local:     {weight: 36, planned: []float64{12, 10, 14}, drop: []float64{0, 0, 2, 4}},
	minor:     {weight: 24, planned: []float64{8, 6, 7}, drop: []float64{0, 0, 0, 2}},
	alley:     {weight: 10, planned: []float64{4, 6}, drop: []float64{0, 0, 1}},
}

// segKey names a street segment: horizontal segment (i, j) runs along line j
// from node (i, j) to (i+1, j); vertical segment (i, j) along line i from node
// (i, j) to (i, j+1).
type segKey struct {
	horiz bool
	i, j  int
}

// seg is one street segment: the planned right of way between two nodes.
type seg struct {
	key      segKey
	id       int
	a, b     xy
	width    float64 // existing
	planned  float64 // approved, after every override
	planned0 float64 // approved before the tie override; layout choices use it
	class    lineClass
	nameEn   string
	nameFa   string
}

// ID is the street_id.
func (s seg) ID() string { return "ST-" + strconv.Itoa(s.id) }

// intrusion is how deep the planned right of way reaches into the parcels
// beside the segment (عقب‌نشینی), from the given planned width.
func (s seg) intrusion(planned float64) float64 { return planned/2 - s.width/2 - gap }

// city is the whole layout: grid sizes, the per-line street classes and the
// overrides planted on purpose. Everything else is drawn on demand from
// seeded streams, so it needs no memory per parcel.
type city struct {
	seed uint64
	nx   int // number of block columns
	ny   int // number of block rows (known after the counting pass)

	colU []float64 // nominal u of vertical line i (len nx+1)
	rowV []float64 // nominal v of horizontal line j (grown on demand)

	vClass []lineClass // class of vertical line i
	hClass []lineClass // class of horizontal line j (grown on demand)

	// fixed overrides (planned and existing width), part of the base plan
	fixed map[segKey][2]float64
	// reserved segments may not take the tie override
	reserved map[segKey]bool
	// tie override of the planned width only
	tie map[segKey]float64
}

func newCity(seed uint64, nx int) *city {
	c := &city{
		seed:     seed,
		nx:       nx,
		fixed:    map[segKey][2]float64{},
		reserved: map[segKey]bool{},
		tie:      map[segKey]float64{},
	}
	c.colU = make([]float64, nx+1)
	for i := 1; i <= nx; i++ {
		r := newRNG(seed, streamColumns, i)
		lo, hi := 75.0, 160.0
		switch {
		case i-1 == plantLotCaps.i:
			// room for the planted frontages and a parcel after them
			lo, hi = 135, 160
		case i <= windowCols:
			// room for the planted arrangements
			lo, hi = 105, 150
		}
		c.colU[i] = c.colU[i-1] + r.uniform(lo, hi)
	}
	c.vClass = make([]lineClass, nx+1)
	for i := range c.vClass {
		c.vClass[i] = c.drawClass(false, i)
	}
	c.plantStreets()
	return c
}

func (c *city) drawClass(horiz bool, n int) lineClass {
	r := newRNG(c.seed, streamLine, b2i(horiz), n)
	ws := make([]float64, len(classSpecs))
	for k, s := range classSpecs {
		ws[k] = s.weight
	}
	return lineClass(r.weighted(ws))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// growRows makes sure nominal positions and classes exist up to line j.
func (c *city) growRows(j int) {
	for len(c.rowV) <= j {
		n := len(c.rowV)
		switch {
		case n == 0:
			c.rowV = append(c.rowV, 0)
		default:
			r := newRNG(c.seed, streamRows, n)
			lo, hi := 42.0, 92.0
			if n <= windowRows {
				// the planted rows always hold two rows of parcels
				lo, hi = 78, 94
			}
			c.rowV = append(c.rowV, c.rowV[n-1]+r.uniform(lo, hi))
		}
		cl := c.drawClass(true, n)
		if n == 0 {
			cl = arterial
		}
		c.hClass = append(c.hClass, cl)
	}
}

// node returns the jittered position of node (i, j).
func (c *city) node(i, j int) xy {
	c.growRows(j)
	r := newRNG(c.seed, streamNodes, i, j)
	return xy{X: c.colU[i] + r.uniform(-nodeJitter, nodeJitter), Y: c.rowV[j] + r.uniform(-nodeJitter, nodeJitter)}
}

// segID numbers segments row by row (a row's horizontal segments, then its
// vertical ones) so that numbers do not depend on how many rows there are.
func (c *city) segID(k segKey) int {
	stride := 2*c.nx + 1
	if k.horiz {
		return k.j*stride + k.i + 1
	}
	return k.j*stride + c.nx + k.i + 1
}

// seg returns a street segment with its widths and name.
func (c *city) seg(k segKey) seg {
	s := seg{key: k, id: c.segID(k)}
	var line int
	if k.horiz {
		s.a, s.b = c.node(k.i, k.j), c.node(k.i+1, k.j)
		line = k.j
		s.class = c.hClass[k.j]
	} else {
		s.a, s.b = c.node(k.i, k.j), c.node(k.i, k.j+1)
		line = k.i
		s.class = c.vClass[k.i]
	}
	spec := classSpecs[s.class]
	lr := newRNG(c.seed, streamLine, b2i(k.horiz), line, 1)
	main := pick(&lr, spec.planned)
	r := newRNG(c.seed, streamSegment, b2i(k.horiz), k.i, k.j)
	s.planned = main
	if r.chance(0.2) {
		s.planned = pick(&r, spec.planned)
	}
	s.width = math.Max(3, s.planned-pick(&r, spec.drop))
	if f, ok := c.fixed[k]; ok {
		s.planned, s.width = f[0], f[1]
	}
	s.planned0 = s.planned
	if p, ok := c.tie[k]; ok {
		s.planned = p
	}
	s.nameEn, s.nameFa = c.lineName(k.horiz, line, s.class)
	return s
}

// lineName names a line. Horizontal and vertical lines take turns on the
// list of names, so a line's name does not depend on the number of rows.
func (c *city) lineName(horiz bool, line int, class lineClass) (string, string) {
	idx := 2*line + b2i(horiz)
	number := line + 1
	if horiz {
		number = line + 1 + len(c.colU)
	}
	return lineName(class, idx, number)
}

// requiredWidths are the planned widths at every street-cap boundary of the
// rule book (§3); they are planted on line 2.
var requiredWidths = []float64{4, 6, 8, 10, 12, 16, 20, 24, 30}

// plantStreets fixes the widths the planted features need.
func (c *city) plantStreets() {
	// Line 0, the southern boulevard: planned 30 m over an existing 16 m, so
	// every parcel along it is widened by 6.95 m.
	for i := 0; i < c.nx; i++ {
		k := segKey{true, i, 0}
		c.fixed[k] = [2]float64{30, 16}
		c.reserved[k] = true
	}
	// Line 2: each street-cap boundary width once, in a seeded order, every
	// other one with a narrower existing street.
	r := newRNG(c.seed, streamLine, 1, 2, 7)
	perm := make([]int, len(requiredWidths))
	for i := range perm {
		perm[i] = i
	}
	for i := len(perm) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		perm[i], perm[j] = perm[j], perm[i]
	}
	for i, p := range perm {
		w := requiredWidths[p]
		existing := w
		if i%2 == 1 && w > 4 {
			existing = math.Max(4, w-4)
		}
		k := segKey{true, i, 2}
		c.fixed[k] = [2]float64{w, existing}
		c.reserved[k] = true
	}
	// Streets that must not be widened: the lot-cap block faces a 24 m
	// street (no street cap), the sliver and the fault corner need a net
	// parcel that reaches the street edge.
	c.fixed[segKey{true, plantLotCaps.i, plantLotCaps.j}] = [2]float64{24, 24}
	c.fixed[segKey{true, plantSliver.i, plantSliver.j}] = [2]float64{12, 12}
	c.fixed[segKey{true, plantFault.i, plantFault.j}] = [2]float64{10, 10}
	// The notch parcel, a corner at the west edge, must keep land outside
	// the planned streets.
	c.fixed[segKey{false, plantNotch.i, plantNotch.j}] = [2]float64{10, 10}
	for _, k := range []segKey{
		{false, plantNotch.i, plantNotch.j},
		{true, plantLotCaps.i, plantLotCaps.j}, {true, plantSliver.i, plantSliver.j},
		{true, plantFault.i, plantFault.j}, {true, plantLandlocked.i, plantLandlocked.j + 1},
	} {
		c.reserved[k] = true
	}
}

// offsetLine returns the line through a→b moved d to its left.
func offsetLine(a, b xy, d float64) (p, dir xy) {
	dir = b.Sub(a)
	dir = dir.Scale(1 / dir.Length())
	n := xy{X: -dir.Y, Y: dir.X}
	return a.Add(n.Scale(d)), dir
}

// intersect returns where two lines (point, direction) cross.
func intersect(p1, d1, p2, d2 xy) xy {
	den := d1.Cross(d2)
	t := p2.Sub(p1).Cross(d2) / den
	return p1.Add(d1.Scale(t))
}

// block is the buildable land of cell (i, j): a quadrilateral behind the
// existing edges of its four streets.
type block struct {
	i, j                     int
	sw, se, ne, nw           xy
	bottom, top, left, right seg
}

func (c *city) block(i, j int) block {
	b := block{
		i: i, j: j,
		bottom: c.seg(segKey{true, i, j}),
		top:    c.seg(segKey{true, i, j + 1}),
		left:   c.seg(segKey{false, i, j}),
		right:  c.seg(segKey{false, i + 1, j}),
	}
	off := func(s seg) float64 { return s.width/2 + gap }
	bp, bd := offsetLine(b.bottom.a, b.bottom.b, off(b.bottom))
	tp, td := offsetLine(b.top.a, b.top.b, -off(b.top))
	lp, ld := offsetLine(b.left.a, b.left.b, -off(b.left))
	rp, rd := offsetLine(b.right.a, b.right.b, off(b.right))
	b.sw = intersect(bp, bd, lp, ld)
	b.se = intersect(bp, bd, rp, rd)
	b.ne = intersect(tp, td, rp, rd)
	b.nw = intersect(tp, td, lp, ld)
	return b
}

// number is the block's registration number, the first half of a plate.
func (b block) number(nx int) int { return 101 + b.j*nx + b.i }

// at maps block coordinates (s west→east, t south→north, both 0..1) to the
// plane.
func (b block) at(s, t float64) xy {
	lo := lerp(b.sw, b.se, s)
	hi := lerp(b.nw, b.ne, s)
	return lerp(lo, hi, t)
}

func lerp(a, b xy, t float64) xy { return a.Add(b.Sub(a).Scale(t)) }

// cellRing is the ring of node positions around cells [i0,i1)×[j0,j1),
// counter-clockwise, through every node on the way (so neighbouring rings
// share their vertices exactly).
func (c *city) cellRing(i0, j0, i1, j1 int) []xy {
	var r []xy
	for i := i0; i <= i1; i++ {
		r = append(r, c.node(i, j0))
	}
	for j := j0 + 1; j <= j1; j++ {
		r = append(r, c.node(i1, j))
	}
	for i := i1 - 1; i >= i0; i-- {
		r = append(r, c.node(i, j1))
	}
	for j := j1 - 1; j >= j0; j-- {
		r = append(r, c.node(i0, j))
	}
	return r
}

// streetRing is a segment's planned right of way: the rectangle of the
// planned width around its centre line.
func (s seg) ring() []xy {
	d := s.b.Sub(s.a)
	d = d.Scale(1 / d.Length())
	n := xy{X: -d.Y, Y: d.X}.Scale(s.planned / 2)
	return []xy{s.a.Sub(n), s.b.Sub(n), s.b.Add(n), s.a.Add(n), s.a.Sub(n)}
}
