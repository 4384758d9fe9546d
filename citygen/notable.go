package citygen

import (
	"fmt"
	"strconv"

	"github.com/peterstace/simplefeatures/geom"
)

// Notable is a parcel the generator planted for a reason: a rule of the rule
// book it exercises.
type Notable struct {
	Kind     string `json:"kind"`
	ParcelID string `json:"parcel_id"`
	// Note says what makes it notable and gives its site facts as the
	// generator measured them (A, W, N, streets, zones, overlays, values).
	Note string `json:"note"`
}

// check is a notable kind's defining property, tested on a parcel's facts
// and geometry. The generator chooses parcels by it; tests check the written
// files with it.
type check func(f *siteFacts, g geom.Geometry) bool

// notableRule says where to look for a notable kind and what it must be.
type notableRule struct {
	kind   string
	about  string
	cells  []cell
	filter func(l *lot) bool // cheap pre-selection by how the parcel was made
	check  check
	// prefer is tried first: a parcel that also has it shows the kind
	// without other rules in the way.
	prefer check
}

func isClean(f *siteFacts, _ geom.Geometry) bool { return f.clean() }

func nStreets(n int) check {
	return func(f *siteFacts, _ geom.Geometry) bool { return len(f.streets) == n }
}

func all(cs ...check) check {
	return func(f *siteFacts, g geom.Geometry) bool {
		for _, c := range cs {
			if !c(f, g) {
				return false
			}
		}
		return true
	}
}

func nRange(lo, hi float64) check {
	return func(f *siteFacts, _ geom.Geometry) bool { return f.W == 0 && f.N >= lo && f.N <= hi }
}

// anyOverlap reports an overlay whose overlap with the net parcel is a
// share of N in [lo, hi] (and at least 0.05 m², so it is really there).
func anyOverlap(lo, hi float64) check {
	return func(f *siteFacts, _ geom.Geometry) bool {
		for _, a := range f.overlays {
			if a >= 0.05 && a >= lo*f.N && a <= hi*f.N {
				return true
			}
		}
		return false
	}
}

// onlyOverlay reports that the kept overlays are exactly one of the kind
// (heights: at least 3.5 m, one floor, or below it).
func onlyOverlay(kind string, belowFloor bool) check {
	return func(f *siteFacts, _ geom.Geometry) bool {
		kept := f.kept(f.overlays)
		match := 0
		for _, id := range kept {
			if f.kinds[id] == kind && (f.heights[id] > 0 && f.heights[id] < 3.5) == belowFloor {
				match++
			}
		}
		if belowFloor {
			return match > 0
		}
		return match == 1 && len(kept) == 1
	}
}

func onlyCode(code string) check {
	return func(f *siteFacts, _ geom.Geometry) bool {
		k := f.kept(f.codes)
		return len(k) == 1 && k[0] == code
	}
}

func frontWidth(w float64) check {
	return func(f *siteFacts, _ geom.Geometry) bool {
		return len(f.streets) == 1 && f.streets[0].planned == w
	}
}

// idOrderDiffers reports street ids whose byte order is not their numeric
// order ("ST-100" < "ST-99").
func idOrderDiffers(a, b string) bool {
	na, _ := strconv.Atoi(a[3:])
	nb, _ := strconv.Atoi(b[3:])
	return (na < nb) != (a < b)
}

// checks are the defining properties of every notable kind.
func checks() map[string]check {
	m := map[string]check{
		"corner": func(f *siteFacts, _ geom.Geometry) bool {
			return len(f.streets) == 2 && f.streets[0].planned != f.streets[1].planned
		},
		"street_tie": func(f *siteFacts, _ geom.Geometry) bool {
			return len(f.streets) == 2 && f.streets[0].planned == f.streets[1].planned
		},
		"widened":          func(f *siteFacts, _ geom.Geometry) bool { return f.W >= 1 && f.N > 0 },
		"wholly_in_street": func(f *siteFacts, _ geom.Geometry) bool { return f.A > 0 && f.N == 0 },
		"landlocked":       func(f *siteFacts, _ geom.Geometry) bool { return len(f.streets) == 0 && f.N > 0 },
		"l_shaped": func(f *siteFacts, g geom.Geometry) bool {
			p, ok := g.AsPolygon()
			return ok && p.NumInteriorRings() == 0 && p.ExteriorRing().Coordinates().Length() >= 7 &&
				p.ConvexHull().Area() >= 1.1*p.Area()
		},
		"multipolygon": func(_ *siteFacts, g geom.Geometry) bool {
			m, ok := g.AsMultiPolygon()
			return ok && m.NumPolygons() == 2
		},
		"two_zones": func(f *siteFacts, _ geom.Geometry) bool {
			k := f.kept(f.codes)
			if len(k) != 2 {
				return false
			}
			a, b := f.codes[k[0]], f.codes[k[1]]
			return a >= 0.1*(a+b) && b >= 0.1*(a+b)
		},
		"zone_sliver": func(f *siteFacts, _ geom.Geometry) bool {
			if len(f.kept(f.codes)) != 1 {
				return false
			}
			for _, a := range f.codes {
				if a >= 0.05 && a < 0.009*f.N {
					return true
				}
			}
			return false
		},
		"outside_plan":   func(f *siteFacts, _ geom.Geometry) bool { return f.N > 0 && len(f.codes) == 0 },
		"overlay_small":  anyOverlap(0, 0.009),
		"overlay_large":  anyOverlap(0.2, 0.8),
		"no_value_block": func(f *siteFacts, _ geom.Geometry) bool { return f.N > 0 && len(f.values) == 0 },
		"value_split": func(f *siteFacts, _ geom.Geometry) bool {
			if len(f.values) != 2 {
				return false
			}
			for _, a := range f.values {
				if a < 0.1*f.A {
					return false
				}
			}
			return true
		},
		"lot_cap_under_100": nRange(1, 97),
		"lot_cap_100_150":   nRange(103, 147),
		"lot_cap_150_200":   nRange(153, 197),
		"lot_cap_200_plus":  nRange(203, 480),
		"big_lot_over_500":  nRange(520, 1e9),

		"overlay_historic":                       onlyOverlay("historic", false),
		"overlay_airport_height":                 onlyOverlay("airport_height", false),
		"overlay_airport_height_below_one_floor": onlyOverlay("airport_height", true),
		"overlay_river_buffer":                   onlyOverlay("river_buffer", false),
		"overlay_fault":                          onlyOverlay("fault", false),
		"overlay_power_line":                     onlyOverlay("power_line", false),
	}
	for _, code := range codes {
		m["zone_"+code] = onlyCode(code)
	}
	for _, w := range requiredWidths {
		m[frontKind(w)] = frontWidth(w)
	}
	return m
}

func frontKind(w float64) string { return "front_street_" + strconv.FormatFloat(w, 'f', -1, 64) + "m" }

func cells(i0, j0, i1, j1 int) []cell {
	var out []cell
	for j := j0; j <= j1; j++ {
		for i := i0; i <= i1; i++ {
			out = append(out, cell{i, j})
		}
	}
	return out
}

func kindIs(k lotKind) func(*lot) bool { return func(l *lot) bool { return l.kind == k } }
func frontCell(k int) func(*lot) bool {
	return func(l *lot) bool { return l.row == 0 && l.cell == k && l.kind == lotPlain }
}
func notCorner(l *lot) bool { return !l.corner && l.kind == lotPlain }

// notableRules lists the notable kinds in the order notable.json gives them.
func (c *city) notableRules(tie *tieCorner) []notableRule {
	ck := checks()
	window := cells(0, 0, windowCols-1, windowRows-1)
	rule := func(kind, about string, cs []cell, filter func(*lot) bool, prefer check) notableRule {
		return notableRule{kind: kind, about: about, cells: cs, filter: filter, check: ck[kind], prefer: prefer}
	}
	rs := []notableRule{
		rule("corner", "corner parcel on two streets of different planned widths", cells(0, 1, windowCols-1, windowRows-1),
			func(l *lot) bool { return l.corner }, isClean),
	}
	if tie != nil {
		about := "corner parcel on two streets of the same planned width: the front street is the smaller id"
		if tie.byteOrder {
			about += " in byte order, which is not numeric order"
		}
		rs = append(rs, rule("street_tie", about, []cell{tie.at},
			func(l *lot) bool { return l.row == tie.row && l.cell == tie.cell && l.corner }, nil))
	}
	rs = append(rs,
		rule("widened", "planned street wider than the existing one cuts into the parcel (عقب\u200cنشینی)", []cell{plantWidened}, notCorner, all(isClean, nStreets(1))),
		rule("wholly_in_street", "parcel lies wholly inside the planned street: N = 0", []cell{plantStrip}, kindIs(lotStrip), nil),
		rule("landlocked", "no street within 1.0 m: landlocked (محصور), reached through the parcel in front", []cell{plantLandlocked}, kindIs(lotLandlocked), nil),
		rule("l_shaped", "L-shaped parcel", []cell{plantLandlocked}, kindIs(lotL), nil),
		rule("multipolygon", "MultiPolygon parcel of two separate pieces", []cell{plantMulti}, kindIs(lotMulti), nil),
		rule("two_zones", "a detailed-plan line crosses the parcel: two kept zones, area-weighted", []cell{plantStraddle}, nil, nil),
		rule("zone_sliver", "a zone edge overlaps under 1% of N: a sliver, ignored", []cell{plantSliver}, notCorner, nil),
		rule("outside_plan", "no detailed-plan zone: outside the plan, no figures", cells(10, 0, 11, 1), nil, func(f *siteFacts, _ geom.Geometry) bool { return len(f.kept(f.overlays)) == 0 }),
	)
	for _, code := range codes {
		var cs []cell
		for d, dc := range windowCodes {
			if dc == code {
				cs = append(cs, cells(d.i*zoneDistrict, d.j*zoneDistrict, d.i*zoneDistrict+1, d.j*zoneDistrict+1)...)
			}
		}
		sortCells(cs)
		rs = append(rs, rule("zone_"+code, "governed by "+code+" alone", cs, notCorner, isClean))
	}
	inside := func(f *siteFacts, _ geom.Geometry) bool {
		for _, id := range f.kept(f.overlays) {
			if f.overlays[id] < 0.99*f.N {
				return false
			}
		}
		return len(f.kept(f.codes)) == 1
	}
	rs = append(rs,
		rule("overlay_historic", "in the historic fabric (max_floors 2)", cells(2, 2, 3, 3), nil, inside),
		rule("overlay_airport_height", "under the airport height limit 10.5 m: floor(10.5 / 3.5) = 3 floors", cells(8, 2, 11, 3), nil, inside),
		rule("overlay_airport_height_below_one_floor", "height limit 3.0 m, below one floor: unbuildable", []cell{plantAirportLow}, nil, inside),
		rule("overlay_river_buffer", "in the river buffer (no_build): unbuildable", cells(5, 0, 5, 3), nil, inside),
		rule("overlay_fault", "in the fault zone (max_floors 3)", cells(8, 0, 11, 3), nil, inside),
		rule("overlay_power_line", "in the power-line corridor, another kind of overlay (max_floors 1)", cells(0, 2, 2, 3), nil, inside),
		rule("overlay_small", "an overlay overlaps under 1% of N: ignored", []cell{plantFault}, frontCell(plantFaultCell), nil),
		rule("overlay_large", "an overlay crosses the parcel, overlapping 20–80% of N", window, nil, nil),
		rule("no_value_block", "outside every value block: figures but no money", []cell{plantNotch}, func(l *lot) bool { return l.row == 0 && l.cell == 0 }, nil),
		rule("value_split", "two value blocks overlap the parcel: the larger overlap gives P", []cell{plantValueSplit}, nil, nil),
		rule("lot_cap_under_100", "N < 100: lot cap 2 floors", []cell{plantLotCaps}, notCorner, isClean),
		rule("lot_cap_100_150", "100 ≤ N < 150: lot cap 3 floors", []cell{plantLotCaps}, notCorner, isClean),
		rule("lot_cap_150_200", "150 ≤ N < 200: lot cap 4 floors", []cell{plantLotCaps}, notCorner, isClean),
		rule("lot_cap_200_plus", "N ≥ 200: no lot cap", []cell{plantLotCaps}, notCorner, isClean),
		rule("big_lot_over_500", "big lot, N > 500", []cell{plantLotCaps}, notCorner, isClean),
	)
	for i, w := range c.line2Widths() {
		rs = append(rs, rule(frontKind(w), fmt.Sprintf("only street within 1 m has planned width %g m (street-cap boundary)", w),
			[]cell{{i, 1}, {i, 2}}, notCorner, isClean))
	}
	return rs
}

func sortCells(cs []cell) {
	for a := 1; a < len(cs); a++ {
		for b := a; b > 0 && (cs[b].j < cs[b-1].j || (cs[b].j == cs[b-1].j && cs[b].i < cs[b-1].i)); b-- {
			cs[b], cs[b-1] = cs[b-1], cs[b]
		}
	}
}

// line2Widths returns the planned widths of line 2's planted segments, by
// column.
func (c *city) line2Widths() []float64 {
	ws := make([]float64, len(requiredWidths))
	for i := range ws {
		ws[i] = c.fixed[segKey{true, i, 2}][0]
	}
	return ws
}

// tieCorner is the planted tie: a corner whose two streets have the same
// planned width.
type tieCorner struct {
	at        cell
	row, cell int // the corner parcel's row and cell
	h, v      segKey
	byteOrder bool // the ids' byte order differs from their numeric order
}

// plantTie finds the first corner, in full rows, whose two streets are free
// to change and, preferably, have ids whose byte order is not their numeric
// order; it gives both the larger planned width.
func (c *city) plantTie() *tieCorner {
	for _, wantByte := range []bool{true, false} {
		for j := 0; j < c.ny-1; j++ {
			for i := 0; i < c.nx; i++ {
				L := c.layoutBlock(i, j)
				if len(L.rows) != 2 {
					continue
				}
				last0, last1 := len(L.rows[0].lines)-2, len(L.rows[1].lines)-2
				for _, t := range []tieCorner{
					{h: segKey{true, i, j}, v: segKey{false, i, j}, row: 0, cell: 0},
					{h: segKey{true, i, j}, v: segKey{false, i + 1, j}, row: 0, cell: last0},
					{h: segKey{true, i, j + 1}, v: segKey{false, i + 1, j}, row: 1, cell: 0},
					{h: segKey{true, i, j + 1}, v: segKey{false, i, j}, row: 1, cell: last1},
				} {
					if c.reserved[t.h] || c.reserved[t.v] {
						continue
					}
					t.at = cell{i, j}
					hs, vs := c.seg(t.h), c.seg(t.v)
					t.byteOrder = idOrderDiffers(hs.ID(), vs.ID())
					if wantByte && !t.byteOrder {
						continue
					}
					w := max(hs.planned, vs.planned)
					c.tie[t.h], c.tie[t.v] = w, w
					if !c.onlyTwoStreets(L, t) {
						delete(c.tie, t.h)
						delete(c.tie, t.v)
						continue
					}
					c.reserved[t.h], c.reserved[t.v] = true, true
					return &t
				}
			}
		}
	}
	return nil
}

// onlyTwoStreets reports whether the tie's corner parcel is within 1 m of
// its two streets and clear (by more than 1.5 m) of every other segment
// that meets its block's corners: a wide street running on past the corner
// can come near.
func (c *city) onlyTwoStreets(L *layout, t tieCorner) bool {
	var l *lot
	for _, x := range L.lots {
		if x.row == t.row && x.cell == t.cell && x.corner {
			l = x
		}
	}
	if l == nil || l.kind != lotPlain {
		return false
	}
	g := ringsGeometry(l.rings)
	i, j := t.at.i, t.at.j
	var keys []segKey
	for _, n := range [][2]int{{i, j}, {i + 1, j}, {i, j + 1}, {i + 1, j + 1}} {
		keys = append(keys, segKey{true, n[0] - 1, n[1]}, segKey{true, n[0], n[1]}, segKey{false, n[0], n[1] - 1}, segKey{false, n[0], n[1]})
	}
	seen := map[segKey]bool{}
	for _, k := range keys {
		if seen[k] || k.i < 0 || k.j < 0 || (k.horiz && (k.i >= c.nx || k.j > c.ny)) || (!k.horiz && (k.i > c.nx || k.j >= c.ny)) {
			continue
		}
		seen[k] = true
		d, ok := geom.Distance(g, polygonOf(c.seg(k).ring()).AsGeometry())
		if !ok {
			return false
		}
		if k == t.h || k == t.v {
			if d > 1.0 {
				return false
			}
		} else if d <= 1.5 {
			return false
		}
	}
	return true
}
