package api

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/parvaneh/parvaneh/geo"
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
	v, err := s.validate(c.Request.Context(), body)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

// validate reads a proposal and validates it; a refusal is the API's
// answer, naming the member of the proposal at fault.
func (s *Server) validate(ctx context.Context, body []byte) (*permits.Validation, error) {
	return runJob(s, ctx, body, permits.ParseProposal, func(p *permits.Proposal) *permits.Where { return &p.Where },
		s.jobs.Validate, func(err error) bool {
			var fe *permits.FieldError
			return errors.As(err, &fe)
		})
}

// runJob reads a posted document with parse and runs the job on it, on the
// plan in force on the document's date (today when it names none). A
// refusal is the API's answer: the document's own faults (refused tells
// them) name its member, an unknown plate is parcel_not_found.
func runJob[D, R any](s *Server, ctx context.Context, body []byte, parse func([]byte) (*D, error),
	where func(*D) *permits.Where, job func(context.Context, *D) (*R, error), refused func(error) bool) (*R, error) {
	doc, err := parse(body)
	if err != nil {
		return nil, proposalError(err)
	}
	w := where(doc)
	if w.AsOf.IsZero() {
		if w.AsOf, err = s.parseAsOf(""); err != nil {
			return nil, err
		}
	}
	r, err := job(ctx, doc)
	switch {
	case err == nil:
		return r, nil
	case refused(err):
		return nil, proposalError(err)
	}
	return nil, s.permitsError(err, *w)
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
