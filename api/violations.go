package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

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
	rv, err := s.review(c.Request.Context(), body)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, rv)
}

// review reads a violation case and reviews it; a refusal is the API's
// answer, naming the member of the case at fault.
func (s *Server) review(ctx context.Context, body []byte) (*permits.Review, error) {
	return runJob(s, ctx, body, permits.ParseCase, func(vc *permits.Case) *permits.Where { return &vc.Where },
		s.jobs.Violations, func(err error) bool {
			var ce *permits.CaseError
			return errors.As(err, &ce)
		})
}
