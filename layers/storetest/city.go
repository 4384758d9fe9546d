package storetest

import (
	"fmt"
	"math"

	"github.com/parvaneh/parvaneh/layers"
	"github.com/peterstace/simplefeatures/geom"
)

// City returns a synthetic city of nx × ny blocks, 16 parcels a block, laid
// out like a planned Iranian town, for benchmarks and for comparing stores
// on many parcels (CompareMeasure). Unlike the contract bundles it is not
// worked out by hand; it is made to exercise every path of a measurement:
//
//   - blocks on a 100 m × 80 m grid, parted by 12 m streets, one street
//     feature per block side; parcels are slanted quadrilaterals (not
//     rectangles), and every even east–west street and every third
//     north–south one is planned wider than it is, cutting the parcels along
//     it (widening);
//   - a detailed-plan zone per block, every fourth block split between two
//     codes across a parcel, every seventh with a sliver boundary;
//   - value blocks of 4 × 4 blocks, shifted so their edges cross parcels;
//   - two master-plan zones parted by a diagonal;
//   - overlays: a historic octagon, a slanting river buffer, an airport
//     height zone, a no-build fault strip.
func City(nx, ny int) *layers.Bundle {
	b := &layers.Bundle{Manifest: manifest(testabad, fmt.Sprintf("city-%dx%d", nx, ny), "2025-03-21")}
	w, h := 100*float64(nx)+12, 80*float64(ny)+12 // the city, streets included
	poly := func(xys ...float64) geom.MultiPolygon {
		for i := range xys {
			if i%2 == 0 {
				xys[i] += X0
			} else {
				xys[i] += Y0
			}
		}
		xys = append(xys, xys[0], xys[1])
		return geom.NewSingleRingPolygonXY(xys...).AsMultiPolygon()
	}
	rect := func(x0, y0, x1, y1 float64) geom.MultiPolygon { return poly(x0, y0, x1, y0, x1, y1, x0, y1) }
	codes := []string{"R121", "R122", "M111", "R112", "S111", "R131", "R111", "G111"}

	for j := range ny + 1 {
		for i := range nx + 1 {
			x, y := 100*float64(i), 80*float64(j)
			// The planned right of way reaches into the blocks beside it.
			var cutNS, cutEW float64
			if j%2 == 0 {
				cutNS = 2
			}
			if i%3 == 0 {
				cutEW = 1.5
			}
			if i < nx {
				b.Streets = append(b.Streets, layers.Street{ID: fmt.Sprintf("EW-%d-%d", j, i), Width: 12, PlannedWidth: 12 + 2*cutNS,
					Geom: rect(x, y-cutNS, x+112, y+12+cutNS)})
			}
			if j < ny {
				b.Streets = append(b.Streets, layers.Street{ID: fmt.Sprintf("NS-%d-%d", i, j), Width: 12, PlannedWidth: 12 + cutEW,
					Geom: rect(x-cutEW, y+12, x+12, y+80)})
			}
			if i == nx || j == ny {
				continue
			}

			block := j*nx + i + 1
			for row := range 2 {
				y0, y1 := y+12+34*float64(row), y+46+34*float64(row)
				for col := range 8 {
					// Column edges slant by 1 m from bottom to top.
					xb0, xb1 := x+12+11*float64(col), x+23+11*float64(col)
					xt0, xt1 := xb0+1, xb1+1
					if col == 0 {
						xt0 = xb0
					}
					if col == 7 {
						xt1 = xb1
					}
					b.Parcels = append(b.Parcels, layers.Parcel{
						ID:   fmt.Sprintf("%d/%d", block, row*8+col+1),
						Geom: poly(xb0, y0, xb1, y0, xt1, y1, xt0, y1),
					})
				}
			}

			code := codes[(i+2*j)%len(codes)]
			zone := func(id, code string, x0, x1 float64) {
				b.DetailedPlan = append(b.DetailedPlan, layers.DetailedZone{ID: id, Code: code, Geom: rect(x0, y+6, x1, y+86)})
			}
			switch {
			case block%4 == 0: // across the fifth column's parcels
				zone(fmt.Sprintf("DZ-%d-a", block), code, x+6, x+59)
				zone(fmt.Sprintf("DZ-%d-b", block), codes[(i+2*j+1)%len(codes)], x+59, x+106)
			case block%7 == 0: // a sliver of the fifth column's bottom parcel
				zone(fmt.Sprintf("DZ-%d-a", block), code, x+6, x+56.2)
				zone(fmt.Sprintf("DZ-%d-b", block), codes[(i+2*j+3)%len(codes)], x+56.2, x+106)
			default:
				zone(fmt.Sprintf("DZ-%d", block), code, x+6, x+106)
			}
		}
	}

	for a := 0; 400*a < int(w); a++ {
		for c := 0; 320*c < int(h); c++ {
			x, y := 400*float64(a)+30, 320*float64(c)+30
			x0, y0 := x, y
			if a == 0 {
				x0 = -50
			}
			if c == 0 {
				y0 = -50
			}
			b.ValueBlocks = append(b.ValueBlocks, layers.ValueBlock{ID: fmt.Sprintf("VB-%d-%d", a, c),
				P: int64(800_000 + 50_000*(a+c)), TxResidential: int64(6_000_000 + 500_000*a), TxCommercial: int64(10_000_000 + 500_000*c),
				Geom: rect(x0, y0, x+400, y+320)})
		}
	}

	b.MasterZones = []layers.MasterZone{
		{ID: "MZ-1", LandUse: "residential", DensityBand: "medium", Geom: poly(-50, -50, w+50, -50, -50, h+50)},
		{ID: "MZ-2", LandUse: "mixed", DensityBand: "high", Geom: poly(w+50, -50, w+50, h+50, -50, h+50)},
	}

	octagon := make([]float64, 0, 16)
	for k := range 8 {
		a := math.Pi / 8 * float64(2*k+1)
		octagon = append(octagon, w/2+120*math.Cos(a), h/2+120*math.Sin(a))
	}
	// The river runs from (0, 0.3h) to (w, 0.7h), 15 m either side.
	dx, dy := w, 0.4*h
	nxr, nyr := -dy/math.Hypot(dx, dy)*15, dx/math.Hypot(dx, dy)*15
	b.Overlays = []layers.Overlay{
		{ID: "OV-airport", Kind: "airport_height", MaxHeight: ptr(24.0), Geom: rect(2*w/3, -50, w+50, h+50)},
		{ID: "OV-fault", Kind: "fault", NoBuild: true, Geom: rect(0.8*w, -50, 0.8*w+8, h+50)},
		{ID: "OV-historic", Kind: "historic", MaxFloors: ptr(2), Geom: poly(octagon...)},
		{ID: "OV-river", Kind: "river_buffer", MaxFloors: ptr(3),
			Geom: poly(nxr, 0.3*h+nyr, w+nxr, 0.7*h+nyr, w-nxr, 0.7*h-nyr, -nxr, 0.3*h-nyr)},
	}
	return b
}
