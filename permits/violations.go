package permits

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parvaneh/parvaneh/geo"
	"github.com/parvaneh/parvaneh/rules"
	"github.com/parvaneh/parvaneh/zoning"
)

// Case is a building brought before the Article 100 commission
// (docs/violation-case.md): the parcel, the permit's figures (nil for a
// building without a permit, rule book §7 note 4) and the as-built survey.
type Case struct {
	// Reference is the caller's own reference for the case, echoed back.
	Reference string
	Where     Where
	Permit    *rules.Permit
	// Survey holds the surveyed figures; its EncroachmentArea is measured
	// by Violations from Footprint.
	Survey rules.Survey
	// Footprint is the surveyed built footprint in WGS84; nil when not
	// surveyed (then no encroachment is measured).
	Footprint *geo.RawGeometry
}

// Review is the violation review of one case: every violation the rule
// pack finds with its figure, formula and proposed ruling, the total of the
// proposed fines, the measured footprint, and the versions of plan and rule
// pack used. The commission decides; the review only proposes.
type Review struct {
	AsOf      string      `json:"as_of"` // yyyy-mm-dd
	Reference string      `json:"reference,omitempty"`
	Parcel    *ParcelInfo `json:"parcel,omitempty"`
	Plan      PlanRef     `json:"plan"`
	RulePack  PackRef     `json:"rule_pack"`
	// Repairs lists what was repaired in the given parcel outline or
	// footprint, each prefixed by the member ("survey.footprint: …").
	Repairs []string     `json:"repairs,omitempty"`
	Facts   zoning.Facts `json:"facts"`
	// Permit is null for a building without a permit.
	Permit *rules.Permit `json:"permit"`
	// Survey is the survey as the pack read it, encroachment included.
	Survey    rules.Survey     `json:"survey"`
	Footprint *FootprintReport `json:"footprint,omitempty"`
	// Found counts the violations; Stop is set when the pack could not
	// review the parcel at all (it lies in the street, outside the plan).
	Found int          `json:"found"`
	Stop  *rules.Note  `json:"stop,omitempty"`
	Notes []rules.Note `json:"notes,omitempty"`
	// Violations are in the pack's order.
	Violations []rules.Violation `json:"violations"`
	// FinesTotal is the sum of the proposed fines, Rial; absent when a
	// violation proposed for a fine has no amount (no value block).
	FinesTotal *int64         `json:"fines_total_rial,omitempty"`
	Figures    []rules.Figure `json:"figures"`
}

// Violations resolves the case's parcel, measures the surveyed footprint's
// encroachment on the streets and runs the violations job of the pack in
// force: Go measures, the pack finds and proposes. A refused outline or
// footprint is a *CaseError naming the member.
func (s *Service) Violations(ctx context.Context, c *Case) (*Review, error) {
	site, err := s.resolveMember(ctx, c.Where)
	if err != nil {
		return nil, caseErr(err)
	}
	survey := c.Survey
	var fp *FootprintReport
	var repairs []string
	if c.Footprint != nil {
		r, fixed, err := s.measureFootprint(ctx, site, *c.Footprint, "survey.footprint")
		if err != nil {
			return nil, caseErr(err)
		}
		fp, repairs = &r, fixed
		survey.EncroachmentArea = *r.OnStreetsM2
	}
	res, err := site.Pack.Violations(ruleSite(site.Facts), c.Permit, survey)
	if err != nil {
		return nil, fmt.Errorf("rule pack %s violations: %w", site.Pack.Meta.ID, err)
	}

	rv := &Review{
		AsOf:       site.AsOf.Format(time.DateOnly),
		Reference:  c.Reference,
		Plan:       planRef(site.Version),
		RulePack:   PackRef{ID: res.Pack, Version: res.Version},
		Facts:      site.Facts,
		Permit:     c.Permit,
		Survey:     survey,
		Footprint:  fp,
		Found:      len(res.Violations),
		Stop:       res.Stop,
		Notes:      res.Notes,
		Violations: res.Violations,
		Figures:    res.Figures,
	}
	if rv.Violations == nil {
		rv.Violations = []rules.Violation{}
	}
	if rv.Figures == nil {
		rv.Figures = []rules.Figure{}
	}
	rv.Parcel, rv.Repairs = site.parcelInfo(), append(site.repairNotes("parcel: "), repairs...)
	if rv.Stop == nil {
		rv.FinesTotal = finesTotal(rv.Violations)
	}
	return rv, nil
}

// caseErr marks a refusal of one member of the case as a *CaseError.
func caseErr(err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		return &CaseError{Err: err}
	}
	return err
}

// finesTotal sums the proposed fines; nil when a fine's amount is unknown.
func finesTotal(vs []rules.Violation) *int64 {
	var total int64
	for _, v := range vs {
		if v.Ruling != rules.RulingFine {
			continue
		}
		if v.Fine == nil {
			return nil
		}
		total += *v.Fine
	}
	return &total
}

// ParseCase reads a violation case strictly, as ParseProposal reads a
// proposal: unknown or repeated members, member names in another case,
// wrong types, trailing data and values out of range are refused with the
// JSON path at fault (a *CaseError wrapping a *ProposalError, or a
// *FieldError for an unreadable geometry). "permit" is required; null is a building without a permit.
// Areas are rounded half up to 0.01 m².
func ParseCase(data []byte) (*Case, error) {
	c, err := parseCase(data)
	if err != nil {
		var pe *ProposalError
		if errors.As(err, &pe) {
			// The member readers are the proposal's; point at this format's doc.
			pe.Detail = strings.Replace(pe.Detail, "docs/proposal.md", "docs/violation-case.md", 1)
		}
		return nil, &CaseError{Err: err}
	}
	return c, nil
}

// CaseError refuses a violation case. It wraps the *ProposalError or
// *FieldError that names the JSON path at fault, with a proposal's codes.
type CaseError struct{ Err error }

func (e *CaseError) Error() string { return "case: " + strings.TrimPrefix(e.Err.Error(), "proposal: ") }
func (e *CaseError) Unwrap() error { return e.Err }

func parseCase(data []byte) (*Case, error) {
	if err := validJSON(data); err != nil {
		return nil, err
	}
	c := &Case{}
	var (
		permitGiven, surveyGiven bool
		parcel                   json.RawMessage
	)
	err := readObject(data, "", withWhere(&c.Reference, &c.Where, &parcel, map[string]member{
		"permit": func(raw json.RawMessage, path string) error {
			permitGiven = true
			if jsonKind(raw) == "null" {
				return nil // built without a permit (note 4)
			}
			c.Permit = &rules.Permit{}
			return readBuilding(raw, path, (*building)(c.Permit), nil)
		},
		"survey": func(raw json.RawMessage, path string) error {
			surveyGiven = true
			var footprint json.RawMessage
			var s building
			if err := readBuilding(raw, path, &s, &footprint); err != nil {
				return err
			}
			c.Survey = rules.Survey{ResidentialArea: s.ResidentialArea, CommercialArea: s.CommercialArea,
				Floors: s.Floors, ParkingSpaces: s.ParkingSpaces}
			if !isNull(footprint) {
				g, err := geo.ParseGeometry(footprint)
				if err != nil {
					return fieldGeometry(path+".footprint", err)
				}
				c.Footprint = &g
			}
			return nil
		},
	}))
	if err != nil {
		return nil, err
	}
	if err := parcelOf(&c.Where, parcel); err != nil {
		return nil, err
	}
	switch {
	case !permitGiven:
		return nil, proposalErr(CodeMissing, "permit", "required: the permit's figures, or null for a building without a permit")
	case !surveyGiven:
		return nil, proposalErr(CodeMissing, "survey", "required: the as-built survey")
	}
	return c, nil
}

// building is the figures a permit and a survey share; rules.Permit has
// this layout.
type building struct {
	ResidentialArea float64
	CommercialArea  float64
	Floors          int
	ParkingSpaces   int
}

// readBuilding reads a permit's or a survey's figures; footprint, when not
// nil, accepts a "footprint" member (the survey's) and receives it raw.
func readBuilding(raw json.RawMessage, path string, b *building, footprint *json.RawMessage) error {
	var resGiven, floorsGiven, parkingGiven bool
	members := map[string]member{
		"residential_area_m2": func(raw json.RawMessage, path string) (err error) {
			resGiven = true
			b.ResidentialArea, err = readArea(raw, path)
			return err
		},
		"commercial_area_m2": func(raw json.RawMessage, path string) (err error) {
			b.CommercialArea, err = readArea(raw, path)
			return err
		},
		"floors": func(raw json.RawMessage, path string) (err error) {
			floorsGiven = true
			b.Floors, err = readInt(raw, path, 1, MaxFloors)
			return err
		},
		"parking_spaces": func(raw json.RawMessage, path string) (err error) {
			parkingGiven = true
			b.ParkingSpaces, err = readInt(raw, path, 0, MaxParkingSpaces)
			return err
		},
	}
	if footprint != nil {
		members["footprint"] = func(raw json.RawMessage, _ string) error { *footprint = raw; return nil }
	}
	if err := readObject(raw, path, members); err != nil {
		return err
	}
	for _, req := range []struct {
		given bool
		name  string
	}{{resGiven, "residential_area_m2"}, {floorsGiven, "floors"}, {parkingGiven, "parking_spaces"}} {
		if !req.given {
			return proposalErr(CodeMissing, path+"."+req.name, "required")
		}
	}
	return nil
}
