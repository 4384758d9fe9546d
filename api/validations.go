package api

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/parvaneh/parvaneh/geo"
	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/permits"
)

// Validator checks engineers' proposals; *permits.Service is one.
type Validator interface {
	Validate(ctx context.Context, p *permits.Proposal) (*permits.Validation, error)
}

// Permits runs the permit jobs the API offers.
type Permits interface {
	Estimator
	Validator
	Violator
}

// validationPost answers POST /api/v1/validations: the body is a proposal
// (docs/proposal.md), the answer its report. A failing check is a report
// like any other (200); only a proposal that cannot be read is refused.
func (s *Server) validationPost(c *gin.Context) {
	body, ok := s.readBody(c)
	if !ok {
		return
	}
	p, err := permits.ParseProposal(body)
	if err != nil {
		s.fail(c, proposalError(err))
		return
	}
	if p.Where.AsOf.IsZero() {
		if p.Where.AsOf, err = s.parseAsOf(""); err != nil {
			s.fail(c, err)
			return
		}
	}
	// As for estimates: a date before every version is no_plan_version,
	// not parcel_not_found.
	if _, err := s.versionAsOf(c.Request.Context(), p.Where.AsOf); err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.jobs.Validate(c.Request.Context(), p)
	if err != nil {
		var fe *permits.FieldError
		switch {
		case errors.As(err, &fe):
			s.fail(c, proposalError(err))
		case errors.Is(err, layers.ErrNotFound) && p.Where.ParcelID != "":
			s.fail(c, errParcelNotFound.with("parcel_id", p.Where.ParcelID))
		default:
			s.fail(c, err)
		}
		return
	}
	c.JSON(http.StatusOK, v)
}

// readBody reads a posted document whole; on failure it has answered.
func (s *Server) readBody(c *gin.Context) ([]byte, bool) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.fail(c, errBodyTooLarge.with("", ""))
			return nil, false
		}
		s.fail(c, errBadJSON.with("", err.Error()))
		return nil, false
	}
	return body, true
}

// proposalError names the member of a refused proposal (or violation
// case: a *permits.CaseError wraps the same errors) and why.
func proposalError(err error) error {
	var pe *permits.ProposalError
	var fe *permits.FieldError
	var ge *geo.GeometryError
	switch {
	case errors.As(err, &pe):
		base := errInvalid
		switch pe.Code {
		case permits.CodeBadJSON:
			base = errBadJSON
		case permits.CodeMissing:
			base = errMissing
		}
		return base.with(pe.Field, pe.Detail)
	case errors.As(err, &fe) && errors.As(fe.Err, &ge):
		e := errBadGeometry.with(fe.Field, ge.Detail)
		e.Code = "bad_geometry." + ge.Reason
		return e
	case errors.As(err, &fe) && errors.Is(fe.Err, permits.ErrOutsideMunicipality):
		return errOutsideCity.with(fe.Field, "")
	case errors.As(err, &fe):
		return errInvalid.with(fe.Field, fe.Err.Error())
	}
	return err
}
