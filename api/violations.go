package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/permits"
)

// Violator reviews buildings for the Article 100 commission; *permits.Service
// is one.
type Violator interface {
	Violations(ctx context.Context, c *permits.Case) (*permits.Review, error)
}

// violationPost answers POST /api/v1/violations: the body is a violation
// case (docs/violation-case.md), the answer its review. Violations found are
// a review like any other (200); only a case that cannot be read is refused.
func (s *Server) violationPost(c *gin.Context) {
	body, ok := s.readBody(c)
	if !ok {
		return
	}
	vc, err := permits.ParseCase(body)
	if err != nil {
		s.fail(c, proposalError(err))
		return
	}
	if vc.Where.AsOf.IsZero() {
		if vc.Where.AsOf, err = s.parseAsOf(""); err != nil {
			s.fail(c, err)
			return
		}
	}
	// As for estimates: a date before every version is no_plan_version,
	// not parcel_not_found.
	if _, err := s.versionAsOf(c.Request.Context(), vc.Where.AsOf); err != nil {
		s.fail(c, err)
		return
	}
	rv, err := s.jobs.Violations(c.Request.Context(), vc)
	if err != nil {
		var ce *permits.CaseError
		switch {
		case errors.As(err, &ce):
			s.fail(c, proposalError(err))
		case errors.Is(err, layers.ErrNotFound) && vc.Where.ParcelID != "":
			s.fail(c, errParcelNotFound.with("parcel_id", vc.Where.ParcelID))
		default:
			s.fail(c, err)
		}
		return
	}
	c.JSON(http.StatusOK, rv)
}
