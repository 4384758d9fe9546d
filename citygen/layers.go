package citygen

import (
	"fmt"
	"math"
	"sort"

	"github.com/peterstace/simplefeatures/geom"
)

// feature is one written feature of a non-parcel layer: its properties in
// output order and its metric geometry.
type feature struct {
	id    string
	props []prop
	g     geom.Geometry
	// for the site facts
	code    string  // detailed-plan code or overlay kind
	planned float64 // street planned width
	height  float64 // overlay max_height_m (0: none)
}

// prop is one property; val is a string, float64, int64, int or bool.
type prop struct {
	key string
	val any
}

func polygonOf(ring []xy) geom.Polygon {
	flat := make([]float64, 0, 2*len(ring)+2)
	for _, p := range ring {
		flat = append(flat, p.X, p.Y)
	}
	if ring[0] != ring[len(ring)-1] {
		flat = append(flat, ring[0].X, ring[0].Y)
	}
	return geom.NewPolygon([]geom.LineString{geom.NewLineString(geom.NewSequence(flat, geom.DimXY))})
}

// ringsGeometry makes a Polygon (one ring) or MultiPolygon (several
// separate outer rings) of rings without holes.
func ringsGeometry(rings [][]xy) geom.Geometry {
	if len(rings) == 1 {
		return polygonOf(rings[0]).AsGeometry()
	}
	polys := make([]geom.Polygon, len(rings))
	for i, r := range rings {
		polys[i] = polygonOf(r)
	}
	return geom.NewMultiPolygon(polys).AsGeometry()
}

// Overlay operations: errors name what was being built.
func intersection(a, b geom.Geometry, what string) (geom.Geometry, error) {
	g, err := geom.Intersection(a, b)
	if err != nil {
		return g, fmt.Errorf("intersecting %s: %w", what, err)
	}
	return g, nil
}

func difference(a, b geom.Geometry, what string) (geom.Geometry, error) {
	g, err := geom.Difference(a, b)
	if err != nil {
		return g, fmt.Errorf("cutting %s: %w", what, err)
	}
	return g, nil
}

// The detailed plan is drawn in districts of 2×2 cells, the value map in
// 3×3 and the master plan in 4×4.
const (
	zoneDistrict   = 2
	valueDistrict  = 3
	masterDistrict = 4
)

var codes = []string{"R111", "R112", "R121", "R122", "R131", "M111", "S111", "G111", "P111"}

// codeWeights are how often each code is drawn outside the window.
var codeWeights = []float64{10, 18, 24, 16, 8, 9, 7, 4, 4}

// windowCodes gives the window's districts their codes: all nine codes, in
// fixed places so the planted parcels have known rules (the lot-cap block is
// in R131, whose 7 floors leave the lot cap binding).
var windowCodes = map[cell]string{
	{0, 0}: "R121", {1, 0}: "R112", {2, 0}: "M111", {3, 0}: "R131", {4, 0}: "S111",
	{0, 1}: "R111", {1, 1}: "R122", {2, 1}: "G111", {3, 1}: "P111", {4, 1}: "R121", {5, 1}: "R112",
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// districtCode is the detailed-plan code of district (di, dj); ok is false
// outside the detailed plan: the district (5, 0) of the window and the
// south-east fringe of the city.
func (c *city) districtCode(di, dj int) (string, bool) {
	dcols, drows := ceilDiv(c.nx, zoneDistrict), ceilDiv(c.ny, zoneDistrict)
	if (di == 5 && dj == 0) || (di == dcols-1 && dj <= drows/4) {
		return "", false
	}
	if code, ok := windowCodes[cell{di, dj}]; ok {
		return code, true
	}
	r := newRNG(c.seed, streamZones, di, dj)
	return codes[r.weighted(codeWeights)], true
}

func (c *city) cellCode(i, j int) (string, bool) {
	return c.districtCode(i/zoneDistrict, j/zoneDistrict)
}

func (c *city) cellPolygon(i, j int) geom.Geometry {
	return polygonOf(c.cellRing(i, j, i+1, j+1)).AsGeometry()
}

// halfCell is the part of cell (i, j) east (or west) of a slanted line from
// fraction fa of its southern edge to fraction fb of its northern edge.
func (c *city) halfCell(i, j int, fa, fb float64, east bool) (geom.Geometry, error) {
	a := lerp(c.node(i, j), c.node(i+1, j), fa)
	b := lerp(c.node(i, j+1), c.node(i+1, j+1), fb)
	d := b.Sub(a)
	a2, b2 := a.Sub(d), b.Add(d)
	side := xy{X: d.Y, Y: -d.X}.Unit().Scale(1000)
	if !east {
		side = side.Scale(-1)
	}
	half := polygonOf([]xy{a2, b2, b2.Add(side), a2.Add(side)})
	return intersection(c.cellPolygon(i, j), half.AsGeometry(), "a cell with a half plane")
}

// sliverBand is a band along the southern street of cell (i, j) that
// reaches depth metres past the existing street edge into the block.
func (c *city) sliverBand(i, j int, depth float64) (geom.Geometry, error) {
	s := c.seg(segKey{true, i, j})
	w := s.width/2 + gap + depth
	d := s.b.Sub(s.a).Unit()
	n := xy{X: -d.Y, Y: d.X}.Scale(w)
	band := polygonOf([]xy{s.a.Sub(d.Scale(20)), s.b.Add(d.Scale(20)), s.b.Add(d.Scale(20)).Add(n), s.a.Sub(d.Scale(20)).Add(n)})
	return intersection(c.cellPolygon(i, j), band.AsGeometry(), "the sliver band")
}

// sliverDepth is how far the planted sliver zone reaches into the parcels:
// under 1% of any parcel at least 8 m deep.
const sliverDepth = 0.08

// buildZones makes the detailed plan: one feature per district, then
// planted and drawn cuts that carve a part of a district into a feature of
// another code.
func (c *city) buildZones() ([]feature, error) {
	dcols, drows := ceilDiv(c.nx, zoneDistrict), ceilDiv(c.ny, zoneDistrict)
	type district struct {
		code string
		g    geom.Geometry
	}
	var ds []*district
	index := map[cell]*district{}
	for dj := 0; dj < drows; dj++ {
		for di := 0; di < dcols; di++ {
			code, ok := c.districtCode(di, dj)
			if !ok {
				continue
			}
			i0, j0 := di*zoneDistrict, dj*zoneDistrict
			i1, j1 := min(i0+zoneDistrict, c.nx), min(j0+zoneDistrict, c.ny)
			d := &district{code: code, g: polygonOf(c.cellRing(i0, j0, i1, j1)).AsGeometry()}
			ds = append(ds, d)
			index[cell{di, dj}] = d
		}
	}
	type cut struct {
		code string
		g    geom.Geometry
	}
	var cuts []cut
	carve := func(i, j int, region geom.Geometry, code string) error {
		d := index[cell{i / zoneDistrict, j / zoneDistrict}]
		g, err := carveOut(d.g, region, "a detailed-plan district")
		if err != nil {
			return err
		}
		d.g = g
		cuts = append(cuts, cut{code, region})
		return nil
	}
	// Planted: a slanted line through the straddle block; a sliver band.
	straddle, err := c.halfCell(plantStraddle.i, plantStraddle.j, 0.3, 0.7, true)
	if err != nil {
		return nil, err
	}
	if err := carve(plantStraddle.i, plantStraddle.j, straddle, "R112"); err != nil {
		return nil, err
	}
	band, err := c.sliverBand(plantSliver.i, plantSliver.j, sliverDepth)
	if err != nil {
		return nil, err
	}
	if err := carve(plantSliver.i, plantSliver.j, band, "S111"); err != nil {
		return nil, err
	}
	// Drawn: outside the window, some districts lose a slanted part of one
	// cell to another code.
	for dj := 0; dj < drows; dj++ {
		for di := 0; di < dcols; di++ {
			d := index[cell{di, dj}]
			if d == nil || dj*zoneDistrict < windowRows {
				continue
			}
			r := newRNG(c.seed, streamZones, di, dj, 1)
			if !r.chance(0.15) {
				continue
			}
			i := min(di*zoneDistrict+r.intn(zoneDistrict), c.nx-1)
			j := min(dj*zoneDistrict+r.intn(zoneDistrict), c.ny-1)
			code := codes[r.weighted(codeWeights)]
			if code == d.code {
				continue
			}
			region, err := c.halfCell(i, j, r.uniform(0.25, 0.75), r.uniform(0.25, 0.75), r.chance(0.5))
			if err != nil {
				return nil, err
			}
			if err := carve(i, j, region, code); err != nil {
				return nil, err
			}
		}
	}
	var out []feature
	add := func(code string, g geom.Geometry) {
		id := fmt.Sprintf("DZ-%04d", len(out)+1)
		n := zoneNames[code]
		out = append(out, feature{id: id, code: code, g: g, props: []prop{
			{"zone_id", id}, {"code", code}, {"name", n[0]}, {"name_fa", n[1]},
		}})
	}
	for _, d := range ds {
		add(d.code, d.g)
	}
	for _, ct := range cuts {
		add(ct.code, ct.g)
	}
	return out, nil
}

// landUseOf maps a detailed-plan code to the master plan's land use and
// density band.
func landUseOf(code string) (use, band string) {
	switch code {
	case "R111", "R112":
		return "residential", "low"
	case "R121", "R122":
		return "residential", "medium"
	case "R131":
		return "residential", "high"
	case "M111":
		return "mixed", "high"
	case "S111":
		return "commercial", "medium"
	case "G111":
		return "green", "low"
	case "P111":
		return "public", "low"
	}
	return "agricultural", "low"
}

// buildMaster makes the master plan: districts of 4×4 cells whose land use
// follows the most common detailed-plan code inside (agricultural where
// there is no detailed plan; the far north-east corner is a workshop area).
func (c *city) buildMaster() []feature {
	mcols, mrows := ceilDiv(c.nx, masterDistrict), ceilDiv(c.ny, masterDistrict)
	var out []feature
	for mj := 0; mj < mrows; mj++ {
		for mi := 0; mi < mcols; mi++ {
			i0, j0 := mi*masterDistrict, mj*masterDistrict
			i1, j1 := min(i0+masterDistrict, c.nx), min(j0+masterDistrict, c.ny)
			count := map[string]int{}
			best := ""
			for j := j0; j < j1; j++ {
				for i := i0; i < i1; i++ {
					code, _ := c.cellCode(i, j) // "" outside the plan
					count[code]++
					if count[code] > count[best] || (count[code] == count[best] && code < best) {
						best = code
					}
				}
			}
			use, band := landUseOf(best)
			if mi == mcols-1 && mj == mrows-1 && mcols*mrows >= 4 {
				use, band = "industrial", "medium"
			}
			id := fmt.Sprintf("MZ-%03d", len(out)+1)
			n := landUseNames[use]
			out = append(out, feature{id: id, g: polygonOf(c.cellRing(i0, j0, i1, j1)).AsGeometry(), props: []prop{
				{"zone_id", id}, {"land_use", use}, {"density_band", band}, {"name", n[0]}, {"name_fa", n[1]},
			}})
		}
	}
	return out
}

// roundTo rounds a Rial figure to a multiple of step.
func roundTo(v float64, step int64) int64 { return int64(math.Round(v/float64(step))) * step }

// blockValues draws a value block's figures: dearer near the centre.
func blockValues(r *rng, closeness float64) (p, txr, txc int64) {
	pv := (2.2e6 + 15e6*math.Pow(closeness, 1.6)) * r.uniform(0.85, 1.15)
	p = min(max(roundTo(pv, 10000), 2_000_000), 20_000_000)
	txr = roundTo(float64(p)*r.uniform(1.7, 2.5), 10000)
	txc = roundTo(float64(txr)*r.uniform(1.5, 2.2), 10000)
	return p, txr, txc
}

// buildValues makes the value map: districts of 3×3 cells covering the city,
// a planted slanted boundary through one block and a notch that leaves one
// parcel outside every value block.
func (c *city) buildValues(notch geom.Geometry) ([]feature, error) {
	vcols, vrows := ceilDiv(c.nx, valueDistrict), ceilDiv(c.ny, valueDistrict)
	cu, cv := c.colU[c.nx]/2, c.rowV[c.ny]/2
	maxd := math.Hypot(cu, cv)
	var out []feature
	add := func(g geom.Geometry, p, txr, txc int64) {
		id := fmt.Sprintf("VB-%04d", len(out)+1)
		out = append(out, feature{id: id, g: g, props: []prop{
			{"block_id", id}, {"p_value", p}, {"tx_value_residential", txr}, {"tx_value_commercial", txc},
		}})
	}
	split, err := c.halfCell(plantValueSplit.i, plantValueSplit.j, 0.25, 0.75, false)
	if err != nil {
		return nil, err
	}
	var splitP, splitTXr, splitTXc int64
	for vj := 0; vj < vrows; vj++ {
		for vi := 0; vi < vcols; vi++ {
			i0, j0 := vi*valueDistrict, vj*valueDistrict
			i1, j1 := min(i0+valueDistrict, c.nx), min(j0+valueDistrict, c.ny)
			g := polygonOf(c.cellRing(i0, j0, i1, j1)).AsGeometry()
			mid := c.node(i0, j0).Midpoint(c.node(i1, j1))
			closeness := 1 - math.Hypot(mid.X-cu, mid.Y-cv)/maxd
			r := newRNG(c.seed, streamValues, vi, vj)
			p, txr, txc := blockValues(&r, closeness)
			if plantValueSplit.i >= i0 && plantValueSplit.i < i1 && plantValueSplit.j >= j0 && plantValueSplit.j < j1 {
				if g, err = carveOut(g, split, "a value block"); err != nil {
					return nil, err
				}
				splitP, splitTXr, splitTXc = roundTo(float64(p)*1.35, 10000), roundTo(float64(txr)*1.3, 10000), roundTo(float64(txc)*1.3, 10000)
			}
			if plantNotch.i >= i0 && plantNotch.i < i1 && plantNotch.j >= j0 && plantNotch.j < j1 {
				if g, err = difference(g, notch, "a value block"); err != nil {
					return nil, err
				}
			}
			add(g, p, txr, txc)
		}
	}
	add(split, splitP, splitTXr, splitTXc)
	return out, nil
}

// frontLot returns the parcel of a planted block's front row at a cell.
func (c *city) frontLot(at cell, k int) (*layout, *lot) {
	L := c.layoutBlock(at.i, at.j)
	for _, l := range L.lots {
		if l.row == 0 && l.cell == k {
			return L, l
		}
	}
	return L, nil
}

// buildOverlays makes one overlay of each kind, all reaching into the
// window; the fault's edge is laid through a parcel corner so that it clips
// that parcel by well under 1%.
func (c *city) buildOverlays() ([]feature, error) {
	r := newRNG(c.seed, streamOverlays)
	hull := c.hull()
	env := hull.Envelope()
	lo, hi, _ := env.MinMaxXYs()
	far := hi.Sub(lo).Length() + 1000

	var out []feature
	add := func(kind string, g geom.Geometry, name [2]string, extra ...prop) error {
		var height float64
		for _, p := range extra {
			if p.key == "max_height_m" {
				height = p.val.(float64)
			}
		}
		g, err := intersection(g, hull, "an overlay with the city")
		if err != nil {
			return err
		}
		id := fmt.Sprintf("OV-%02d", len(out)+1)
		props := append([]prop{{"overlay_id", id}, {"kind", kind}}, extra...)
		props = append(props, prop{"name", name[0]}, prop{"name_fa", name[1]})
		out = append(out, feature{id: id, code: kind, height: height, g: g, props: props})
		return nil
	}

	// Historic fabric: an irregular octagon around cells (2..3, 2..3).
	q := block{sw: c.node(2, 2), se: c.node(4, 2), ne: c.node(4, 4), nw: c.node(2, 4)}
	var oct []xy
	for _, st := range [][2]float64{{0.25, -0.08}, {0.75, -0.08}, {1.08, 0.25}, {1.08, 0.75}, {0.75, 1.08}, {0.25, 1.08}, {-0.08, 0.75}, {-0.08, 0.25}} {
		oct = append(oct, q.at(st[0], st[1]).Add(xy{X: r.uniform(-6, 6), Y: r.uniform(-6, 6)}))
	}
	if err := add("historic", polygonOf(oct).AsGeometry(), [2]string{"Old bazaar historic fabric", "بافت تاریخی بازار"}, prop{"max_floors", 2}); err != nil {
		return nil, err
	}

	// Airport approach: a wedge from column 8 widening to the east.
	a0, a1 := c.node(8, 2), c.node(8, 4)
	wedge := []xy{a0.Add(xy{X: 10, Y: 15}), {X: hi.X + 300, Y: a0.Y - 150}, {X: hi.X + 300, Y: a1.Y + 500}, a1.Add(xy{X: 10, Y: -15})}
	if err := add("airport_height", polygonOf(wedge).AsGeometry(), [2]string{"Airport approach height limit", "محدودیت ارتفاع مسیر نشست و برخاست فرودگاه"}, prop{"max_height_m", 10.5}); err != nil {
		return nil, err
	}

	// Runway-end protection: a height below one floor in cell (8, 3).
	qa := block{sw: c.node(plantAirportLow.i, plantAirportLow.j), se: c.node(plantAirportLow.i+1, plantAirportLow.j),
		ne: c.node(plantAirportLow.i+1, plantAirportLow.j+1), nw: c.node(plantAirportLow.i, plantAirportLow.j+1)}
	low := []xy{qa.at(0.3, 0.3), qa.at(0.8, 0.25), qa.at(0.75, 0.75), qa.at(0.25, 0.7)}
	if err := add("airport_height", polygonOf(low).AsGeometry(), [2]string{"Runway end protection zone", "حریم انتهای باند فرودگاه"}, prop{"max_height_m", 3.0}); err != nil {
		return nil, err
	}

	// River: a meandering 50 m buffer running north through column 5.
	uc := (c.colU[5] + c.colU[6]) / 2
	var river []float64
	for v := lo.Y - 150; ; v += 140 {
		river = append(river, uc+r.uniform(-18, 18), v)
		if v > hi.Y+150 {
			break
		}
	}
	rb, err := geom.Buffer(geom.NewLineString(geom.NewSequence(river, geom.DimXY)).AsGeometry(), 25, geom.BufferEndCapFlat())
	if err != nil {
		return nil, fmt.Errorf("buffering the river: %w", err)
	}
	if err := add("river_buffer", rb, [2]string{"River bank buffer", "حریم رودخانه"}, prop{"no_build", true}); err != nil {
		return nil, err
	}

	// Fault: a 60 m band whose north-west edge passes 1.2 m from the east
	// front corner of a parcel in the fault block, clipping a triangle of
	// about 0.7 m² off it.
	L, fl := c.frontLot(plantFault, plantFaultCell)
	if fl == nil {
		return nil, fmt.Errorf("laying out the fault block: no parcel at cell %d", plantFaultCell)
	}
	lines := L.rows[0].lines
	corner := lines[plantFaultCell+1].f
	along := lines[len(lines)-1].f.Sub(lines[0].f).Unit()
	p1 := corner.Sub(along.Scale(1.2))
	p2 := lines[plantFaultCell+1].at(1.2)
	dir := p2.Sub(p1).Unit()
	nrm := xy{X: -dir.Y, Y: dir.X}
	if nrm.Dot(corner.Sub(p1)) < 0 {
		nrm = nrm.Scale(-1)
	}
	s0, s1 := p1.Sub(dir.Scale(far)), p1.Add(dir.Scale(far))
	fault := []xy{s0, s1, s1.Add(nrm.Scale(60)), s0.Add(nrm.Scale(60))}
	if err := add("fault", orientCCW(fault), [2]string{"Fault zone", "حریم گسل"}, prop{"max_floors", 3}); err != nil {
		return nil, err
	}

	// Power line: a 30 m corridor from the west edge of row 3 north-east.
	pb := c.block(0, 3)
	start := pb.at(0.5, 0.5)
	pd := xy{X: math.Cos(math.Pi / 6), Y: math.Sin(math.Pi / 6)}
	pn := xy{X: -pd.Y, Y: pd.X}.Scale(15)
	e0, e1 := start.Sub(pd.Scale(far)), start.Add(pd.Scale(far))
	power := []xy{e0.Sub(pn), e1.Sub(pn), e1.Add(pn), e0.Add(pn)}
	if err := add("power_line", polygonOf(power).AsGeometry(), [2]string{"High-voltage line corridor", "حریم خط انتقال نیرو"}, prop{"max_floors", 1}); err != nil {
		return nil, err
	}
	return out, nil
}

// carveOut returns g without region. Where the region's edges run along
// g's edges the overlay would leave zero-width spikes unless both share
// their vertices exactly, so each first gets the other's vertices that lie
// on its edges.
func carveOut(g, region geom.Geometry, what string) (geom.Geometry, error) {
	g = insertVertices(g, vertices(region))
	region = insertVertices(region, vertices(g))
	return difference(g, region, what)
}

func vertices(g geom.Geometry) []xy {
	var out []xy
	for _, poly := range polysOf(g) {
		for _, r := range poly {
			out = append(out, r...)
		}
	}
	return out
}

// insertVertices puts every point lying on an edge of g (within a
// micrometre) into that edge.
func insertVertices(g geom.Geometry, pts []xy) geom.Geometry {
	const tol = 1e-6
	var polys []geom.Polygon
	for _, poly := range polysOf(g) {
		var rings []geom.LineString
		for _, r := range poly {
			var out []xy
			for k := 0; k+1 < len(r); k++ {
				p, q := r[k], r[k+1]
				out = append(out, p)
				d := q.Sub(p)
				l2 := d.Dot(d)
				type onEdge struct {
					t  float64
					pt xy
				}
				var on []onEdge
				for _, x := range pts {
					t := x.Sub(p).Dot(d) / l2
					if t*math.Sqrt(l2) <= tol || (1-t)*math.Sqrt(l2) <= tol {
						continue
					}
					if math.Abs(d.Cross(x.Sub(p)))/math.Sqrt(l2) <= tol {
						on = append(on, onEdge{t, x})
					}
				}
				sort.Slice(on, func(a, b int) bool { return on[a].t < on[b].t })
				for _, e := range on {
					if e.pt != out[len(out)-1] {
						out = append(out, e.pt)
					}
				}
			}
			out = append(out, r[len(r)-1])
			rings = append(rings, polygonOf(out).ExteriorRing())
		}
		polys = append(polys, geom.NewPolygon(rings))
	}
	if len(polys) == 1 {
		return polys[0].AsGeometry()
	}
	return geom.NewMultiPolygon(polys).AsGeometry()
}

// orientCCW makes a polygon of a simple ring in either orientation.
func orientCCW(ring []xy) geom.Geometry {
	if signedArea(ring) < 0 {
		rev := make([]xy, len(ring))
		for i, p := range ring {
			rev[len(ring)-1-i] = p
		}
		ring = rev
	}
	return polygonOf(ring).AsGeometry()
}

// signedArea is the shoelace area: positive for counter-clockwise rings.
func signedArea(ring []xy) float64 {
	var a float64
	for i := range ring {
		p, q := ring[i], ring[(i+1)%len(ring)]
		a += p.X*q.Y - q.X*p.Y
	}
	return a / 2
}

// hull is the city's outline: the ring of its outer street centre lines.
func (c *city) hull() geom.Geometry {
	return polygonOf(c.cellRing(0, 0, c.nx, c.ny)).AsGeometry()
}
