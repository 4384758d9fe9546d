package rules

// The facts a rule pack reads. They are plain data: package zoning measures
// them from geometry (rule book §1) and fills these structs; permits fills the
// proposal, permit and survey from what an engineer or inspector entered.
// Each field's name in a pack expression is given by its expr tag; the yaml
// and json tags use the same name so pack test cases read like the formulas.

// Site holds the site facts of one parcel (rule book §1). Areas are m²,
// already rounded half up to 0.01 when measured; N = A − W of the rounded
// values.
type Site struct {
	// A is the parcel area measured from its geometry.
	A float64 `expr:"A" yaml:"A" json:"A"`
	// W is the widening area (عقب‌نشینی): the part of the parcel inside the
	// union of planned street polygons.
	W float64 `expr:"W" yaml:"W" json:"W"`
	// N is the net area, A − W.
	N float64 `expr:"N" yaml:"N" json:"N"`
	// S is the planned width of the front street, m; 0 when landlocked.
	S float64 `expr:"S" yaml:"S" json:"S"`
	// Landlocked (محصور) is true when no street lies within 1 m of the parcel.
	Landlocked bool `expr:"landlocked" yaml:"landlocked" json:"landlocked"`
	// FrontStreet is the street_id of the front street ("" when landlocked).
	FrontStreet string `expr:"front_street" yaml:"front_street" json:"front_street"`
	// Zones are the kept detailed-plan codes overlapping the net parcel (no
	// slivers), ordered by code.
	Zones []ZoneShare `expr:"zones" yaml:"zones" json:"zones"`
	// Governing is the code of the kept zone with the largest overlap (tie:
	// the smaller code); "" when no zone is kept.
	Governing string `expr:"governing" yaml:"governing" json:"governing"`
	// Overlays are the overlays covering at least 1% of N, ordered by id.
	Overlays []OverlayFact `expr:"overlays" yaml:"overlays" json:"overlays"`
	// HasValueBlock is false when no value block overlaps the parcel: then
	// P, TXr and TXc are 0 and the pack gives no money figures.
	HasValueBlock bool `expr:"has_value_block" yaml:"has_value_block" json:"has_value_block"`
	// P is the regional value (قیمت منطقه‌ای), Rial per m².
	P int64 `expr:"P" yaml:"P" json:"P"`
	// TXr and TXc are the building transaction values (ارزش معاملاتی) for
	// residential and commercial floor area, Rial per m².
	TXr int64 `expr:"TXr" yaml:"TXr" json:"TXr"`
	TXc int64 `expr:"TXc" yaml:"TXc" json:"TXc"`
	// OutsidePlan is true when no zone is kept: the parcel is outside the
	// detailed plan.
	OutsidePlan bool `expr:"outside_plan" yaml:"outside_plan" json:"outside_plan"`
	// InStreet is true when N = 0: the parcel lies wholly in the planned
	// street.
	InStreet bool `expr:"in_street" yaml:"in_street" json:"in_street"`
}

// ZoneShare is one kept detailed-plan code on the net parcel.
type ZoneShare struct {
	Code string `expr:"code" yaml:"code" json:"code"`
	// Area is the overlap of the code's features with the net parcel, m².
	Area float64 `expr:"area" yaml:"area" json:"area"`
	// Fraction is Area divided by the sum of the kept overlaps (f_i).
	Fraction float64 `expr:"fraction" yaml:"fraction" json:"fraction"`
}

// OverlayFact is one overlay (حریم) covering the net parcel.
type OverlayFact struct {
	ID   string `expr:"id" yaml:"id" json:"id"`
	Kind string `expr:"kind" yaml:"kind" json:"kind"`
	// HasMaxHeight tells whether MaxHeightM is set.
	HasMaxHeight bool    `expr:"has_max_height" yaml:"has_max_height" json:"has_max_height"`
	MaxHeightM   float64 `expr:"max_height_m" yaml:"max_height_m" json:"max_height_m"`
	// HasMaxFloors tells whether MaxFloors is set.
	HasMaxFloors bool `expr:"has_max_floors" yaml:"has_max_floors" json:"has_max_floors"`
	MaxFloors    int  `expr:"max_floors" yaml:"max_floors" json:"max_floors"`
	NoBuild      bool `expr:"no_build" yaml:"no_build" json:"no_build"`
	// Area is the overlay's overlap with the net parcel, m².
	Area float64 `expr:"area" yaml:"area" json:"area"`
}

// Proposal is an engineer's plan submitted for validation.
type Proposal struct {
	// Floors lists every storey, basements included, in any order.
	Floors []Floor `expr:"floors" yaml:"floors" json:"floors"`
	// ParkingSpaces is the number of parking spaces the plan provides.
	ParkingSpaces int `expr:"parking_spaces" yaml:"parking_spaces" json:"parking_spaces"`
	// HeightM is the building height, m.
	HeightM float64 `expr:"height_m" yaml:"height_m" json:"height_m"`
	// FootprintArea is the building's footprint area, m² (0.01).
	FootprintArea float64 `expr:"footprint_area" yaml:"footprint_area" json:"footprint_area"`
	// FootprintOutsideNet is the footprint area outside the net parcel (in
	// the widening or beyond the parcel), m², measured by the caller.
	FootprintOutsideNet float64 `expr:"footprint_outside_net" yaml:"footprint_outside_net" json:"footprint_outside_net"`
}

// Floor is one storey of a proposal.
type Floor struct {
	// Level is the storey: 0 ground, 1 first, 2 second, …; −1, −2 … basements.
	Level int `expr:"level" yaml:"level" json:"level"`
	// ResidentialArea and CommercialArea are the storey's floor areas by use, m².
	ResidentialArea float64 `expr:"residential_area" yaml:"residential_area" json:"residential_area"`
	CommercialArea  float64 `expr:"commercial_area" yaml:"commercial_area" json:"commercial_area"`
	// ParkingArea is the storey's area given to parking, m²; the sample
	// city's rule book counts it in no floor area, another city's may.
	ParkingArea float64 `expr:"parking_area" yaml:"parking_area" json:"parking_area"`
	// Units lists the floor area of each residential unit on the storey, m².
	Units []float64 `expr:"units" yaml:"units" json:"units"`
}

// Permit holds the figures of an issued permit that Article 100 compares
// the as-built survey against.
type Permit struct {
	ResidentialArea float64 `expr:"residential_area" yaml:"residential_area" json:"residential_area"`
	CommercialArea  float64 `expr:"commercial_area" yaml:"commercial_area" json:"commercial_area"`
	// Floors counts the permitted storeys above ground.
	Floors        int `expr:"floors" yaml:"floors" json:"floors"`
	ParkingSpaces int `expr:"parking_spaces" yaml:"parking_spaces" json:"parking_spaces"`
}

// Survey is the as-built survey of a building.
type Survey struct {
	ResidentialArea float64 `expr:"residential_area" yaml:"residential_area" json:"residential_area"`
	CommercialArea  float64 `expr:"commercial_area" yaml:"commercial_area" json:"commercial_area"`
	// Floors counts the built storeys above ground.
	Floors        int `expr:"floors" yaml:"floors" json:"floors"`
	ParkingSpaces int `expr:"parking_spaces" yaml:"parking_spaces" json:"parking_spaces"`
	// EncroachmentArea is the built footprint's overlap with the street
	// polygons, m², measured by the caller; 0 when no footprint was surveyed.
	EncroachmentArea float64 `expr:"encroachment_area" yaml:"encroachment_area" json:"encroachment_area"`
}
