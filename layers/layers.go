// Package layers holds a municipality's plan data: the plan bundle (manifest
// and one GeoJSON file per layer, ../shared/spec/layers.md), its reader and
// validator, plan versions by effective date, and the Store contract that the
// PostGIS store (layers/postgis) and the embedded in-memory store
// (layers/memstore) both fulfil.
//
// Every geometry here is already projected to the bundle's measure SRID and
// valid: validity is settled once, by the bundle reader, the same way for both
// stores, so an area measured by either store is the same area.
package layers

import (
	"time"

	"github.com/peterstace/simplefeatures/geom"
)

// Layer names one layer of the plan-data contract; the value is the stem of
// its file in a bundle ("parcels" → parcels.geojson).
type Layer string

// The layers of the contract, in the order a bundle is read and written.
const (
	Parcels      Layer = "parcels"
	MasterPlan   Layer = "master_plan"
	DetailedPlan Layer = "detailed_plan"
	Streets      Layer = "streets"
	Overlays     Layer = "overlays"
	ValueBlocks  Layer = "value_blocks"
)

// AllLayers lists every layer of the contract in bundle order.
var AllLayers = []Layer{Parcels, MasterPlan, DetailedPlan, Streets, Overlays, ValueBlocks}

// File is the layer's file name inside a bundle.
func (l Layer) File() string { return string(l) + ".geojson" }

// Manifest is a bundle's manifest.yaml.
type Manifest struct {
	Municipality   string `yaml:"municipality" json:"municipality"`
	MunicipalityFa string `yaml:"municipality_fa" json:"municipality_fa"`
	MeasureSRID    int    `yaml:"measure_srid" json:"measure_srid"`
	PlanVersion    string `yaml:"plan_version" json:"plan_version"`
	// EffectiveFrom is the date the plan took effect (UTC midnight).
	EffectiveFrom time.Time `yaml:"effective_from" json:"effective_from"`
	RulePack      string    `yaml:"rule_pack" json:"rule_pack"`
}

// Parcel is one registered parcel (پلاک ثبتی).
type Parcel struct {
	ID string // registered plate, e.g. "123/45"
	// RegisteredArea is the area on the title deed, when the bundle gives it;
	// it is information only: every rule measures the geometry.
	RegisteredArea *float64
	Address        string
	AddressFa      string
	Geom           geom.MultiPolygon // metric, valid
}

// MasterZone is a zone of the master plan (طرح جامع).
type MasterZone struct {
	ID          string
	LandUse     string // residential, commercial, mixed, industrial, green, public, agricultural, restricted
	DensityBand string // low, medium, high
	Name        string
	NameFa      string
	Geom        geom.MultiPolygon
}

// DetailedZone is a zone of the detailed plan (طرح تفصیلی); its parameters
// come from the rule pack's zone table by Code.
type DetailedZone struct {
	ID     string
	Code   string
	Name   string
	NameFa string
	Geom   geom.MultiPolygon
}

// Street is the planned right of way of one street segment (معبر).
type Street struct {
	ID           string
	Width        float64 // existing width, m
	PlannedWidth float64 // approved width, m
	Name         string
	NameFa       string
	Geom         geom.MultiPolygon
}

// Overlay is a restriction zone (حریم): historic, airport height, river
// buffer, fault, or any other kind a municipality names.
type Overlay struct {
	ID        string
	Kind      string
	MaxHeight *float64 // m
	MaxFloors *int
	NoBuild   bool
	Name      string
	NameFa    string
	Geom      geom.MultiPolygon
}

// ValueBlock is a block of the value map: the regional value P and the
// building transaction values, all in Rial per m².
type ValueBlock struct {
	ID            string
	P             int64
	TxResidential int64
	TxCommercial  int64
	Geom          geom.MultiPolygon
}

// Bundle is a read, validated and repaired plan bundle, ready to import.
type Bundle struct {
	Manifest     Manifest
	Parcels      []Parcel
	MasterZones  []MasterZone
	DetailedPlan []DetailedZone
	Streets      []Street
	Overlays     []Overlay
	ValueBlocks  []ValueBlock
	// Warnings lists what the reader repaired (feature id and what was done).
	Warnings []Problem
}

// Counts returns the number of features per layer.
func (b *Bundle) Counts() map[Layer]int {
	return map[Layer]int{
		Parcels:      len(b.Parcels),
		MasterPlan:   len(b.MasterZones),
		DetailedPlan: len(b.DetailedPlan),
		Streets:      len(b.Streets),
		Overlays:     len(b.Overlays),
		ValueBlocks:  len(b.ValueBlocks),
	}
}

// Problem is one finding of the bundle reader: an error that refuses the
// bundle, or a warning about a repair. Index is the feature's position in its
// file (0-based), -1 for the file or manifest as a whole.
type Problem struct {
	File      string `json:"file"`
	Index     int    `json:"index"`
	FeatureID string `json:"feature_id,omitempty"`
	Property  string `json:"property,omitempty"`
	Reason    string `json:"reason"`
}

// PlanVersion is one imported bundle of a municipality. Seq counts the
// municipality's imports from 1; queries "as of" a date use the version with
// the latest EffectiveFrom not after that date (ties: the higher Seq).
type PlanVersion struct {
	ID             int64     `json:"id"`
	Municipality   string    `json:"municipality"`
	MunicipalityFa string    `json:"municipality_fa"`
	Seq            int       `json:"seq"`
	Label          string    `json:"label"`
	EffectiveFrom  time.Time `json:"effective_from"`
	ImportedAt     time.Time `json:"imported_at"`
	MeasureSRID    int       `json:"measure_srid"`
	RulePack       string    `json:"rule_pack"`
	// Extent is the metric envelope of all the version's features: a
	// geometry outside it is outside the municipality.
	Extent geom.Envelope `json:"-"`
}

// Version returns the plan version the manifest describes, before a store
// numbers it (ID, Seq, ImportedAt) and measures its Extent.
func (m Manifest) Version() PlanVersion {
	return PlanVersion{
		Municipality:   m.Municipality,
		MunicipalityFa: m.MunicipalityFa,
		Label:          m.PlanVersion,
		EffectiveFrom:  m.EffectiveFrom,
		MeasureSRID:    m.MeasureSRID,
		RulePack:       m.RulePack,
	}
}

// InForce returns the version in force on a date among one municipality's
// versions in ascending Seq: the latest EffectiveFrom not after asOf, the
// higher Seq of a tie. false when none was in force yet.
func InForce(versions []PlanVersion, asOf time.Time) (PlanVersion, bool) {
	var best *PlanVersion
	for i := range versions { // Seq ascends, so !Before keeps the later of a tie
		if v := &versions[i]; !v.EffectiveFrom.After(asOf) && (best == nil || !v.EffectiveFrom.Before(best.EffectiveFrom)) {
			best = v
		}
	}
	if best == nil {
		return PlanVersion{}, false
	}
	return *best, true
}
