package citygen

import (
	"math"
	"sort"
)

// A block holds one row of parcels facing its southern street, or, when it
// is deep enough, two rows back to back: the front row faces the southern
// street, the back row the northern one, and a jittered "mid line" of knots
// separates them. Each row is cut by division lines running from its street
// edge to a knot, slightly slanted; a parcel is the land between two division
// lines, or a piece of it (cut at a depth), or several such pieces.

// lotKind says how a parcel was made.
type lotKind uint8

const (
	lotPlain           lotKind = iota
	lotStrip                   // a shallow front strip, wholly inside a planned street
	lotStripRest               // the parcel behind such a strip
	lotLandlockedFront         // the front part of a split parcel
	lotLandlocked              // the back part of a split parcel: no street within reach
	lotL                       // an L-shaped parcel: its cell and the back of the next
	lotLRest                   // the front part that the L leaves to its neighbour
	lotMulti                   // two separate pieces, one in each row
)

// back is the depth of a row's far edge (the mid line or the far street).
var back = math.Inf(1)

type span struct{ lo, hi float64 }

// piece is the land of consecutive cells k, k+1, … of one row, each between
// depths lo and hi.
type piece struct {
	row, k int
	spans  []span
}

// lot is one parcel.
type lot struct {
	number int // parcel number inside the block (the plate's second half)
	kind   lotKind
	row    int // row of its first piece: 0 front (south), 1 back (north)
	cell   int // first cell of its first piece
	corner bool
	pieces []piece
	rings  [][]xy // outer ring of each piece, counter-clockwise, closed
}

// divLine is a division line of a row: from f on the street edge to b on
// the far edge; perp is b's depth behind the street edge.
type divLine struct {
	f, b xy
	perp float64
	cuts []float64 // depths where a piece boundary meets the line, sorted
	knot int       // index of b in the mid-line knots (or far-edge points)
}

func (l *divLine) at(d float64) xy {
	switch {
	case d <= 0:
		return l.f
	case math.IsInf(d, 1):
		return l.b
	}
	return lerp(l.f, l.b, d/l.perp)
}

func (l *divLine) addCut(d float64) {
	if d <= 0 || math.IsInf(d, 1) {
		return
	}
	i := sort.SearchFloat64s(l.cuts, d)
	if i < len(l.cuts) && l.cuts[i] == d {
		return
	}
	l.cuts = append(l.cuts, 0)
	copy(l.cuts[i+1:], l.cuts[i:])
	l.cuts[i] = d
}

// walk appends the points met going along the line from depth a to depth b:
// every cut strictly between, then the point at b.
func (l *divLine) walk(pts []xy, a, b float64) []xy {
	if a < b {
		for _, d := range l.cuts {
			if d > a && d < b {
				pts = append(pts, l.at(d))
			}
		}
	} else {
		for i := len(l.cuts) - 1; i >= 0; i-- {
			if d := l.cuts[i]; d < a && d > b {
				pts = append(pts, l.at(d))
			}
		}
	}
	return append(pts, l.at(b))
}

type rowLayout struct {
	lines  []divLine
	street seg
}

// layout is a laid-out block.
type layout struct {
	b     block
	rows  []rowLayout
	knots []xy
	lots  []*lot
}

// blockStyle draws frontages.
type blockStyle int

const (
	styleFine blockStyle = iota
	styleMedium
	styleLarge
	styleMixed
)

func (st blockStyle) frontage(r *rng) float64 {
	switch st {
	case styleFine:
		return r.uniform(5.5, 8.5)
	case styleMedium:
		return r.uniform(8, 12.5)
	case styleLarge:
		return r.uniform(16, 28)
	}
	return []blockStyle{styleFine, styleMedium, styleMedium, styleLarge}[r.intn(4)].frontage(r)
}

// frontages cuts a street edge of length total into parcel frontages,
// starting with the given ones.
func frontages(r *rng, total float64, st blockStyle, first ...float64) []float64 {
	ws := append([]float64(nil), first...)
	rest := total
	for _, w := range ws {
		rest -= w
	}
	for {
		w := st.frontage(r)
		if rest-w < 5 {
			if rest < 4.5 && len(ws) > 0 {
				ws[len(ws)-1] += rest
			} else {
				ws = append(ws, rest)
			}
			return ws
		}
		ws = append(ws, w)
		rest -= w
	}
}

// special is a planted or drawn non-plain parcel arrangement in a row.
type special struct {
	kind lotKind // lotStrip, lotLandlocked, lotL or lotMulti
	row  int
	k    int // first cell (for lotMulti: the front-row cell)
	kb   int // lotMulti: the back-row cell
}

// Layout constants.
const (
	twoRowDepth   = 36.0 // a block this deep holds two rows of parcels
	knotMerge     = 2.5  // back points of the two rows this close share a knot
	minLineGap    = 3.0  // back points of one row stay this far apart
	lotCapDepth   = 14.0 // front-row depth of the lot-cap block
	stripDepthMax = 4.0
)

// layoutBlock lays out cell (i, j): its parcels with their geometry. It is a
// pure function of the city and the cell, so the counting pass, the writing
// pass and the choice of notable parcels all see the same parcels.
func (c *city) layoutBlock(i, j int) *layout {
	b := c.block(i, j)
	r := newRNG(c.seed, streamBlock, i, j)
	pl := plantAt(i, j)

	lenBottom := b.se.Sub(b.sw).Length()
	lenTop := b.ne.Sub(b.nw).Length()
	lenMid := (lenBottom + lenTop) / 2
	depth := (b.nw.Sub(b.sw).Length() + b.ne.Sub(b.se).Length()) / 2
	twoRows := depth >= twoRowDepth

	style := blockStyle(r.weighted([]float64{25, 38, 12, 25}))
	backStyle := style
	tmid := r.uniform(0.42, 0.58)
	sJitter := 1.2
	var first, backFirst []float64
	switch {
	case pl.lotCaps:
		// Frontages for net areas of about 80, 125, 175 and 265 m² at the
		// fixed front-row depth: one parcel at each lot-cap step; big lots
		// behind them.
		style, backStyle = styleMedium, styleLarge
		tmid = lotCapDepth / depth
		sJitter = 0
		first = []float64{r.uniform(10, 14), 80 / lotCapDepth, 125 / lotCapDepth, 175 / lotCapDepth, 265 / lotCapDepth}
		backFirst = []float64{r.uniform(10, 14), 32}
	case len(pl.specials) > 0:
		// enough cells for the planted arrangement
		style, backStyle = styleMedium, styleMedium
	}
	fw := frontages(&r, lenBottom, style, first...)
	var bw []float64
	if twoRows {
		bw = frontages(&r, lenTop, backStyle, backFirst...)
	}

	// Back points of the front row (west→east fractions of the mid line).
	fs := cumFractions(fw)
	fb := jitterBack(&r, fs, lenMid, sJitter)
	L := &layout{b: b}
	if !twoRows {
		// The parcels reach the northern street: their back points lie on
		// the block's northern edge.
		L.knots = make([]xy, len(fb))
		for k, s := range fb {
			L.knots[k] = b.at(s, 1)
		}
		front := rowLayout{street: b.bottom}
		for k, s := range fs {
			front.lines = append(front.lines, divLine{f: lerp(b.sw, b.se, s), b: L.knots[k], knot: k})
		}
		L.rows = []rowLayout{front}
	} else {
		// Back row, numbered from the east: its fractions run east→west.
		bs := cumFractions(bw)
		for k := range bs {
			bs[k] = 1 - bs[k]
		}
		bb := jitterBack(&r, reverse(bs), lenMid, sJitter)
		bb = reverse(bb)
		knotOfFront, knotOfBack, knotS := mergeKnots(fb, bb, lenMid)
		L.knots = make([]xy, len(knotS))
		for k, s := range knotS {
			t := tmid + r.uniform(-0.6, 0.6)/depth
			L.knots[k] = b.at(s, t)
		}
		front := rowLayout{street: b.bottom}
		for k, s := range fs {
			front.lines = append(front.lines, divLine{f: lerp(b.sw, b.se, s), b: L.knots[knotOfFront[k]], knot: knotOfFront[k]})
		}
		backRow := rowLayout{street: b.top}
		for k, s := range bs {
			backRow.lines = append(backRow.lines, divLine{f: lerp(b.nw, b.ne, s), b: L.knots[knotOfBack[k]], knot: knotOfBack[k]})
		}
		L.rows = []rowLayout{front, backRow}
	}
	for ri := range L.rows {
		row := &L.rows[ri]
		p, d := row.lines[0].f, row.lines[len(row.lines)-1].f.Sub(row.lines[0].f).Unit()
		for k := range row.lines {
			row.lines[k].perp = math.Abs(d.Cross(row.lines[k].b.Sub(p)))
		}
	}

	specials := pl.specials
	if !pl.planted {
		specials = c.drawSpecials(&r, L)
	}
	c.buildLots(L, specials)
	return L
}

// cumFractions turns widths into the fractions 0 … 1 where they meet.
func cumFractions(ws []float64) []float64 {
	var total float64
	for _, w := range ws {
		total += w
	}
	fs := make([]float64, len(ws)+1)
	var acc float64
	for k, w := range ws {
		acc += w
		fs[k+1] = acc / total
	}
	fs[len(ws)] = 1
	return fs
}

func reverse(s []float64) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

// jitterBack moves the interior back points of increasing fractions fs by up
// to amp metres along a line of length L, keeping them apart and ordered.
func jitterBack(r *rng, fs []float64, L, amp float64) []float64 {
	out := make([]float64, len(fs))
	copy(out, fs)
	minGap := minLineGap / L
	for k := 1; k < len(fs)-1; k++ {
		j := r.uniform(-amp, amp) / L
		s := fs[k] + j
		if s-out[k-1] < minGap || fs[k+1]-s < minGap {
			s = fs[k]
		}
		out[k] = s
	}
	return out
}

// mergeKnots puts the back points of both rows (fractions increasing west→
// east) on one list of knots, sharing a knot where two are closer than
// knotMerge metres. Points of one row are at least minLineGap apart, so a
// knot never holds two points of the same row.
func mergeKnots(front, back []float64, L float64) (kf, kb []int, knots []float64) {
	type req struct {
		s     float64
		row   int
		index int
	}
	reqs := make([]req, 0, len(front)+len(back))
	for k, s := range front {
		reqs = append(reqs, req{s, 0, k})
	}
	for k, s := range back {
		reqs = append(reqs, req{s, 1, k})
	}
	sort.SliceStable(reqs, func(a, b int) bool { return reqs[a].s < reqs[b].s })
	kf, kb = make([]int, len(front)), make([]int, len(back))
	for n, q := range reqs {
		switch {
		case n == 0 || (q.s-knots[len(knots)-1])*L >= knotMerge:
			knots = append(knots, q.s)
		case q.row == 0:
			// A shared knot sits where the front row wants it: the
			// front row's parcels keep the frontages they were given.
			knots[len(knots)-1] = q.s
		}
		if q.row == 0 {
			kf[q.index] = len(knots) - 1
		} else {
			kb[q.index] = len(knots) - 1
		}
	}
	// The two ends are shared by both rows.
	kf[0], kb[len(kb)-1] = 0, 0
	kf[len(kf)-1], kb[0] = len(knots)-1, len(knots)-1
	return kf, kb, knots
}

// drawSpecials draws the odd parcels of an ordinary block. The draws depend
// only on the base plan (never on the tie override), so every pass sees the
// same number of parcels.
func (c *city) drawSpecials(r *rng, L *layout) []special {
	var out []special
	used := make([][]bool, len(L.rows))
	for ri, row := range L.rows {
		used[ri] = make([]bool, len(row.lines)-1)
	}
	take := func(ri, k, n int) bool {
		if k < 1 || k+n > len(used[ri])-1 {
			return false // never a corner cell
		}
		for x := k; x < k+n; x++ {
			if used[ri][x] {
				return false
			}
		}
		for x := k; x < k+n; x++ {
			used[ri][x] = true
		}
		return true
	}
	for ri, row := range L.rows {
		m := len(row.lines) - 1
		if r.chance(0.05) && m >= 5 {
			if k := 1 + r.intn(m-3); take(ri, k, 2) {
				out = append(out, special{kind: lotL, row: ri, k: k})
			}
		}
		if r.chance(0.05) && len(L.rows) == 2 && m >= 4 {
			if k := 1 + r.intn(m-2); take(ri, k, 1) {
				out = append(out, special{kind: lotLandlocked, row: ri, k: k})
			}
		}
		if r.chance(0.3) && row.street.intrusion(row.street.planned0) >= 6.5 && m >= 4 {
			if k := 1 + r.intn(m-2); take(ri, k, 1) {
				out = append(out, special{kind: lotStrip, row: ri, k: k})
			}
		}
	}
	if r.chance(0.03) && len(L.rows) == 2 && len(used[0]) >= 5 && len(used[1]) >= 5 && !used[0][1] && !used[1][1] {
		if L.rows[0].lines[2].knot < L.rows[1].lines[2].knot {
			used[0][1], used[1][1] = true, true
			out = append(out, special{kind: lotMulti, row: 0, k: 1, kb: 1})
		}
	}
	return out
}

// buildLots turns a block's rows and specials into numbered parcels with
// rings. Cut depths use the final planned widths: a strip stays inside the
// planned street, a landlocked piece stays clear of it.
func (c *city) buildLots(L *layout, specials []special) {
	type slot struct {
		lots []*lot
	}
	slots := make([][]slot, len(L.rows))
	for ri, row := range L.rows {
		slots[ri] = make([]slot, len(row.lines)-1)
	}
	skip := map[[2]int]bool{}
	for _, sp := range specials {
		row := &L.rows[sp.row]
		in := row.street.intrusion(row.street.planned)
		switch sp.kind {
		case lotStrip:
			d := math.Min(stripDepthMax, in-2.5)
			slots[sp.row][sp.k].lots = []*lot{
				{kind: lotStrip, pieces: []piece{{sp.row, sp.k, []span{{0, d}}}}},
				{kind: lotStripRest, pieces: []piece{{sp.row, sp.k, []span{{d, back}}}}},
			}
		case lotLandlocked:
			perp := math.Min(row.lines[sp.k].perp, row.lines[sp.k+1].perp)
			d := math.Min(math.Max(in+4, 0.45*perp), perp-5)
			slots[sp.row][sp.k].lots = []*lot{
				{kind: lotLandlockedFront, pieces: []piece{{sp.row, sp.k, []span{{0, d}}}}},
				{kind: lotLandlocked, pieces: []piece{{sp.row, sp.k, []span{{d, back}}}}},
			}
		case lotL:
			d := 0.5 * math.Min(row.lines[sp.k+1].perp, row.lines[sp.k+2].perp)
			slots[sp.row][sp.k].lots = []*lot{{kind: lotL, pieces: []piece{{sp.row, sp.k, []span{{0, back}, {d, back}}}}}}
			slots[sp.row][sp.k+1].lots = []*lot{{kind: lotLRest, pieces: []piece{{sp.row, sp.k + 1, []span{{0, d}}}}}}
		case lotMulti:
			slots[0][sp.k].lots = []*lot{{kind: lotMulti, pieces: []piece{
				{0, sp.k, []span{{0, back}}},
				{1, sp.kb, []span{{0, back}}},
			}}}
			skip[[2]int{1, sp.kb}] = true
		}
	}
	for ri := range slots {
		for k := range slots[ri] {
			if slots[ri][k].lots == nil && !skip[[2]int{ri, k}] {
				slots[ri][k].lots = []*lot{{kind: lotPlain, pieces: []piece{{ri, k, []span{{0, back}}}}}}
			}
		}
	}
	// Register every cut on the lines it ends on, then trace the rings, so
	// that neighbours share every vertex.
	for ri := range slots {
		for _, s := range slots[ri] {
			for _, l := range s.lots {
				for _, p := range l.pieces {
					lines := L.rows[p.row].lines
					for x, sp := range p.spans {
						for _, d := range []float64{sp.lo, sp.hi} {
							lines[p.k+x].addCut(d)
							lines[p.k+x+1].addCut(d)
						}
					}
				}
			}
		}
	}
	n := 0
	for ri := range slots {
		last := len(slots[ri]) - 1
		for k, s := range slots[ri] {
			for _, l := range s.lots {
				n++
				l.number = n
				l.row, l.cell = ri, k
				p0 := l.pieces[0]
				l.corner = p0.spans[0].lo == 0 && (p0.k == 0 || p0.k+len(p0.spans)-1 == last)
				for _, p := range l.pieces {
					l.rings = append(l.rings, L.ring(p))
				}
				L.lots = append(L.lots, l)
			}
		}
	}
}

// ring traces the outer ring of a piece counter-clockwise: along the bottoms
// of its cells, up its last line, back along the tops, down its first line.
func (L *layout) ring(p piece) []xy {
	lines := L.rows[p.row].lines
	k, n := p.k, len(p.spans)
	pts := []xy{lines[k].at(p.spans[0].lo)}
	for x := 0; x < n; x++ {
		pts = append(pts, lines[k+x+1].at(p.spans[x].lo))
		if x < n-1 {
			pts = lines[k+x+1].walk(pts, p.spans[x].lo, p.spans[x+1].lo)
		}
	}
	pts = lines[k+n].walk(pts, p.spans[n-1].lo, p.spans[n-1].hi)
	for x := n - 1; x >= 0; x-- {
		if math.IsInf(p.spans[x].hi, 1) {
			from, to := lines[k+x+1].knot, lines[k+x].knot
			if from == to {
				continue
			}
			step := 1
			if to < from {
				step = -1
			}
			for q := from + step; q != to+step; q += step {
				pts = append(pts, L.knots[q])
			}
		} else {
			pts = append(pts, lines[k+x].at(p.spans[x].hi))
		}
		if x > 0 {
			pts = lines[k+x].walk(pts, p.spans[x].hi, p.spans[x-1].hi)
		}
	}
	pts = lines[k].walk(pts, p.spans[0].hi, p.spans[0].lo)
	return dedupe(pts)
}

// dedupe drops repeated consecutive points.
func dedupe(pts []xy) []xy {
	out := pts[:1]
	for _, p := range pts[1:] {
		if p != out[len(out)-1] {
			out = append(out, p)
		}
	}
	return out
}
