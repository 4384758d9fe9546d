package postgis_test

import (
	"time"

	"github.com/peterstace/simplefeatures/geom"

	"github.com/parvaneh/parvaneh/layers"
)

// Fixture coordinates are metres from an origin in UTM zone 39N.
const (
	srid = 32639
	ox   = 500000.0
	oy   = 3950000.0
)

// rect is the rectangle [x0,x1]×[y0,y1] (metres from the origin).
func rect(x0, y0, x1, y1 float64) geom.MultiPolygon {
	x0, x1, y0, y1 = ox+x0, ox+x1, oy+y0, oy+y1
	return geom.NewMultiPolygonXY([][]float64{{x0, y0, x1, y0, x1, y1, x0, y1, x0, y0}})
}

func ptr[T any](v T) *T { return &v }

// fixture is a small city whose measurements can be worked out by hand (see
// TestMeasure).
func fixture(municipality, label string, effective time.Time) *layers.Bundle {
	return &layers.Bundle{
		Manifest: layers.Manifest{
			Municipality: municipality, MunicipalityFa: "نمونه", MeasureSRID: srid,
			PlanVersion: label, EffectiveFrom: effective, RulePack: "nemuneh",
		},
		Parcels: []layers.Parcel{
			{ID: "1/1", RegisteredArea: ptr(598.5), Address: "1 Golestan St", AddressFa: "گلستان ۱", Geom: rect(0, 0, 20, 30)},
			{ID: "1/2", Geom: rect(20, 0, 40, 30)},
			{ID: "2/1", Geom: rect(0, 40, 10, 50)},
		},
		MasterZones: []layers.MasterZone{
			{ID: "M1", LandUse: "residential", DensityBand: "medium", Name: "North", NameFa: "شمال", Geom: rect(-100, -100, 200, 100)},
		},
		DetailedPlan: []layers.DetailedZone{
			{ID: "D1", Code: "R121", Geom: rect(-100, -100, 15, 100)},
			{ID: "D2", Code: "C1", Geom: rect(15, -100, 200, 100)},
			{ID: "D3", Code: "R121", Name: "pocket", Geom: rect(15, 20, 18, 25)},
		},
		Streets: []layers.Street{
			{ID: "S1", Width: 10, PlannedWidth: 12, Name: "Golestan", NameFa: "گلستان", Geom: rect(-10, -10, 50, 2)},
			{ID: "S2", Width: 6, PlannedWidth: 8, Geom: rect(-5, 0, -0.5, 30)},
			{ID: "S3", Width: 12, PlannedWidth: 12, Geom: rect(-10, 31, 50, 35)},
			{ID: "S4", Width: 6, PlannedWidth: 6, Geom: rect(100, 100, 110, 110)},
		},
		Overlays: []layers.Overlay{
			{ID: "O1", Kind: "historic", MaxHeight: ptr(12.0), MaxFloors: ptr(3), Geom: rect(10, 10, 30, 20)},
			{ID: "O2", Kind: "fault", NoBuild: true, Geom: rect(-50, -50, 50, 1.5)},
			{ID: "O3", Kind: "river_buffer", Geom: rect(-20, 0, 0, 30)},
		},
		ValueBlocks: []layers.ValueBlock{
			{ID: "B1", P: 1_000_000, TxResidential: 2_000_000, TxCommercial: 3_000_000, Geom: rect(-100, -100, 10, 100)},
			{ID: "B2", P: 1_500_000, TxResidential: 2_500_000, TxCommercial: 3_500_000, Geom: rect(10, -100, 200, 100)},
		},
	}
}

func featureCount(b *layers.Bundle) int {
	n := 0
	for _, c := range b.Counts() {
		n += c
	}
	return n
}
