package storetest

import (
	"time"

	"github.com/parvaneh/parvaneh/layers"
	"github.com/peterstace/simplefeatures/geom"
)

// The contract bundles are laid out in SRID 32639 (UTM 39N) in cells 1 km
// apart along x, each cell one case, so every expected area below is a sum of
// rectangles: cell c spans x = X0 + 1000c ± 100, y = Y0 ± 100.
const (
	X0   = 500000.0
	Y0   = 4014000.0
	SRID = 32639
)

// box is the rectangle [x0,x1]×[y0,y1] of cell c, as a MultiPolygon.
func box(c int, x0, y0, x1, y1 float64) geom.MultiPolygon {
	return boxPoly(c, x0, y0, x1, y1).AsMultiPolygon()
}

func boxPoly(c int, x0, y0, x1, y1 float64) geom.Polygon {
	ox := X0 + 1000*float64(c)
	return geom.NewSingleRingPolygonXY(
		ox+x0, Y0+y0, ox+x1, Y0+y0, ox+x1, Y0+y1, ox+x0, Y0+y1, ox+x0, Y0+y0)
}

// cellEnv is the envelope of cell c.
func cellEnv(c int) geom.Envelope {
	return box(c, -100, -100, 100, 100).Envelope()
}

func ptr[T any](v T) *T { return &v }

// deref is what p points to, or nil, for messages.
func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

const (
	testabad = "Testabad"
	dovom    = "Dovom"
)

func manifest(muni, label, effective string) layers.Manifest {
	fa := map[string]string{testabad: "تست‌آباد", dovom: "دوم"}[muni]
	return layers.Manifest{
		Municipality: muni, MunicipalityFa: fa, MeasureSRID: SRID,
		PlanVersion: label, EffectiveFrom: date(effective), RulePack: "nemuneh",
	}
}

// bundleV1 is Testabad's first plan: one case per cell.
//
//	cell 0 : half of each parcel in a planned street (W); an overlay
//	        overlapping the net parcel only in part
//	cell 1  B-1 across two codes, one of them the union of two overlapping
//	        features; streets touching along an edge on both sides
//	cell 2  C-1 with a 1 m² sliver code, a street exactly 1.0 m away and one
//	        1.01 m away, an overlay, an overlay touching only, two value blocks
//	cell 3  D-1 touched by a street at a single corner point; outside the
//	        detailed plan, no value block
//	cell 4  E-1 a MultiPolygon of two squares, both cut by one street
//	cell 5  F-1 a parcel with a hole; an overlay exactly filling the hole
//	cell 6  G-1 wholly inside a planned street (N = 0)
func bundleV1() *layers.Bundle {
	holed := geom.NewPolygon([]geom.LineString{
		boxPoly(5, 0, 0, 30, 30).ExteriorRing(),
		boxPoly(5, 10, 10, 20, 20).ExteriorRing().Reverse(),
	}).AsMultiPolygon()
	twoSquares := geom.NewMultiPolygon([]geom.Polygon{boxPoly(4, 0, 0, 10, 10), boxPoly(4, 20, 0, 30, 10)})

	return &layers.Bundle{
		Manifest: manifest(testabad, "1404-01", "2025-03-21"),
		Parcels: []layers.Parcel{
			// Deliberately not in id order: stores order by id themselves.
			{ID: "B-1", Geom: box(1, 0, 0, 40, 20)},
			{ID: "A-2", Geom: box(0, 20, 0, 40, 30)},
			{ID: "A-1", Geom: box(0, 0, 0, 20, 30), RegisteredArea: ptr(612.5),
				Address: "Kuche 1, No. 1", AddressFa: "کوچه ۱، پلاک ۱"},
			{ID: "C-1", Geom: box(2, 0, 0, 50, 20)},
			{ID: "D-1", Geom: box(3, 0, 0, 20, 20)},
			{ID: "E-1", Geom: twoSquares},
			{ID: "F-1", Geom: holed},
			{ID: "G-1", Geom: box(6, 0, 0, 10, 10)},
		},
		MasterZones: []layers.MasterZone{
			{ID: "MZ-1", LandUse: "residential", DensityBand: "medium", Name: "North", NameFa: "شمال",
				Geom: box(0, -100, -100, 2100, 100)},
			{ID: "MZ-2", LandUse: "commercial", DensityBand: "high", Geom: box(3, -100, -100, 3100, 100)},
		},
		DetailedPlan: []layers.DetailedZone{
			{ID: "DZ-A", Code: "R121", Name: "Residential 121", NameFa: "مسکونی ۱۲۱", Geom: box(0, -100, -100, 100, 100)},
			{ID: "DZ-B1", Code: "R111", Geom: box(1, -100, -100, 15, 100)},
			{ID: "DZ-B2", Code: "R111", Geom: box(1, 10, -100, 25, 100)},
			{ID: "DZ-B3", Code: "S111", Geom: box(1, 25, -100, 100, 100)},
			{ID: "DZ-C1", Code: "R122", Geom: box(2, -100, -100, 49.95, 100)},
			{ID: "DZ-C2", Code: "G111", Geom: box(2, 49.95, -100, 100, 100)},
			{ID: "DZ-E", Code: "R112", Geom: box(4, -100, -100, 100, 100)},
			{ID: "DZ-F", Code: "R131", Geom: box(5, -100, -100, 100, 100)},
			{ID: "DZ-G", Code: "R121", Geom: box(6, -100, -100, 100, 100)},
		},
		Streets: []layers.Street{
			{ID: "ST-A", Width: 8, PlannedWidth: 25, Name: "Azadi", NameFa: "آزادی", Geom: box(0, -50, -10, 70, 15)},
			{ID: "ST-B9", Width: 6, PlannedWidth: 12, Geom: box(1, -50, -12, 90, 0)},
			{ID: "ST-B10", Width: 6, PlannedWidth: 10, Geom: box(1, -50, 20, 90, 30)},
			{ID: "ST-C1", Width: 10, PlannedWidth: 10, Geom: box(2, -10, -11, 60, -1)},
			{ID: "ST-C2", Width: 20, PlannedWidth: 20, Geom: box(2, -10, 21.01, 60, 31)},
			{ID: "ST-D", Width: 8, PlannedWidth: 8, Geom: box(3, 20, 20, 40, 40)},
			{ID: "ST-E", Width: 6, PlannedWidth: 6, Geom: box(4, -5, -4, 35, 2)},
			{ID: "ST-G", Width: 16, PlannedWidth: 20, Geom: box(6, -5, -5, 15, 15)},
		},
		Overlays: []layers.Overlay{
			{ID: "OV-A", Kind: "airport_height", MaxFloors: ptr(4), Geom: box(0, -100, 0, 100, 20)},
			{ID: "OV-C1", Kind: "historic", MaxHeight: ptr(10.5), Name: "Old bazaar", NameFa: "بازار قدیم",
				Geom: box(2, 40, -100, 100, 100)},
			{ID: "OV-C2", Kind: "airport_height", MaxFloors: ptr(3), Geom: box(2, 50, 0, 60, 20)},
			{ID: "OV-F1", Kind: "river_buffer", NoBuild: true, Geom: box(5, 10, 10, 20, 20)},
			{ID: "OV-F2", Kind: "fault", Geom: box(5, 25, 0, 40, 30)},
			{ID: "OV-G", Kind: "historic", MaxHeight: ptr(7.0), Geom: box(6, -100, -100, 100, 100)},
		},
		ValueBlocks: []layers.ValueBlock{
			{ID: "VB-0", P: 1_200_000, TxResidential: 9_000_000, TxCommercial: 15_000_000, Geom: box(0, -100, -100, 100, 100)},
			{ID: "VB-1", P: 1_100_000, TxResidential: 8_000_000, TxCommercial: 14_000_000, Geom: box(1, -100, -100, 100, 100)},
			{ID: "VB-2a", P: 900_000, TxResidential: 7_000_000, TxCommercial: 12_000_000, Geom: box(2, -100, -100, 30, 100)},
			{ID: "VB-2b", P: 950_000, TxResidential: 7_500_000, TxCommercial: 12_500_000, Geom: box(2, 30, -100, 100, 100)},
			{ID: "VB-4", P: 800_000, TxResidential: 6_000_000, TxCommercial: 11_000_000, Geom: box(4, -100, -100, 15, 100)},
			{ID: "VB-5", P: 700_000, TxResidential: 5_000_000, TxCommercial: 10_000_000, Geom: box(5, -100, -100, 100, 100)},
			{ID: "VB-6", P: 600_000, TxResidential: 4_000_000, TxCommercial: 9_000_000, Geom: box(6, -100, -100, 100, 100)},
		},
	}
}

// bundleV2 is Testabad's next plan: cell 0 only, DZ-A rezoned as code.
func bundleV2(label, code string) *layers.Bundle {
	return &layers.Bundle{
		Manifest: manifest(testabad, label, "2026-03-21"),
		Parcels: []layers.Parcel{
			{ID: "A-1", Geom: box(0, 0, 0, 20, 30)},
			{ID: "A-2", Geom: box(0, 20, 0, 40, 30)},
		},
		MasterZones:  []layers.MasterZone{{ID: "MZ-1", LandUse: "residential", DensityBand: "high", Geom: box(0, -100, -100, 100, 100)}},
		DetailedPlan: []layers.DetailedZone{{ID: "DZ-A", Code: code, Geom: box(0, -100, -100, 100, 100)}},
		Streets:      []layers.Street{{ID: "ST-A", Width: 8, PlannedWidth: 30, Geom: box(0, -50, -10, 70, 15)}},
		ValueBlocks: []layers.ValueBlock{{ID: "VB-0", P: 2_400_000, TxResidential: 18_000_000, TxCommercial: 30_000_000,
			Geom: box(0, -100, -100, 100, 100)}},
	}
}

// bundleDovom is a second municipality's plan, on the same ground.
func bundleDovom() *layers.Bundle {
	return &layers.Bundle{
		Manifest:     manifest(dovom, "1403-07", "2024-09-22"),
		Parcels:      []layers.Parcel{{ID: "1/1", Geom: box(0, 0, 0, 10, 10)}},
		DetailedPlan: []layers.DetailedZone{{ID: "Z1", Code: "R111", Geom: box(0, -100, -100, 100, 100)}},
	}
}

// Two bundles a store must refuse on write, each with a duplicate id: one in
// the first layer written, one in the last (so a store that writes layer by
// layer has already written the others when it fails).
func bundleDuplicateParcel() *layers.Bundle {
	b := bundleV1()
	b.Parcels = append(b.Parcels, layers.Parcel{ID: "A-1", Geom: box(0, 50, 50, 60, 60)})
	return b
}

func bundleDuplicateBlock() *layers.Bundle {
	b := bundleV2("1405-01", "R122")
	b.ValueBlocks = append(b.ValueBlocks, layers.ValueBlock{ID: "VB-0", P: 1, Geom: box(0, 200, 200, 300, 300)})
	return b
}
