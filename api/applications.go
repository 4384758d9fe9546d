package api

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/parvaneh/parvaneh/permits"
	"github.com/parvaneh/parvaneh/records"
)

// filingRequest is the body of POST /api/v1/applications.
type filingRequest struct {
	// Applicant is whom the application is for: an engineer names their
	// client; an applicant leaves it out (or names themselves).
	Applicant string `json:"applicant"`
	// Proposal is the proposal document (docs/proposal.md), kept as sent.
	Proposal json.RawMessage `json:"proposal"`
}

// validationFailedBody is the 422 answer to a filing whose proposal fails
// its validation: the error and the report saying which checks fail.
type validationFailedBody struct {
	Error      *apiError           `json:"error"`
	Validation *permits.Validation `json:"validation"`
}

// fileApplication answers POST /api/v1/applications: the proposal is
// validated as POST /validations does, and a passing one is filed under the
// request's Idempotency-Key (201; a retry 200 with the same application).
func (s *Server) fileApplication(c *gin.Context) {
	key, err := idempotencyKey(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req filingRequest
	if err := decodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if len(req.Proposal) == 0 || string(req.Proposal) == "null" {
		s.fail(c, errMissing.with("proposal", "the proposal document (docs/proposal.md)"))
		return
	}
	if answeredBefore(s, c, func() (*records.Application, error) {
		return s.recs.PriorFiling(c.Request.Context(), actor(c), key, req.Applicant, req.Proposal)
	}) {
		return
	}
	v, err := s.validate(c.Request.Context(), req.Proposal)
	if err != nil {
		s.fail(c, within("proposal", err))
		return
	}
	if !v.Passed {
		e := errValidationFailed.with("proposal", strconv.Itoa(v.Failed)+" checks fail: see validation")
		c.AbortWithStatusJSON(e.Status, validationFailedBody{Error: e, Validation: v})
		return
	}
	app, filed, err := s.recs.File(c.Request.Context(), actor(c), records.Filing{
		Applicant: req.Applicant, IdempotencyKey: key, Proposal: req.Proposal, Validation: v})
	if err != nil {
		s.fail(c, recordsError(err, "applicant"))
		return
	}
	reply(c, filed, app)
}

// within names a refusal's field inside the body's member outer
// ("proposal.floors[2].level").
func within(outer string, err error) error {
	var ae *apiError
	if !errors.As(err, &ae) {
		return err
	}
	e := *ae
	e.Field = outer
	if ae.Field != "" {
		e.Field += "." + ae.Field
	}
	return &e
}

// listApplications answers GET /api/v1/applications: those the caller may
// see, newest first.
func (s *Server) listApplications(c *gin.Context) {
	listed(s, c, "applications", s.recs.Applications)
}

// applicationRecord is an application with its audit trail.
type applicationRecord struct {
	*records.Application
	History []records.Entry `json:"history"`
}

// getApplication answers GET /api/v1/applications/:id with its history;
// another's application is 404, as if it did not exist.
func (s *Server) getApplication(c *gin.Context) {
	fetched(s, c, s.recs.Get, "application/", func(a *records.Application, h []records.Entry) any {
		return applicationRecord{a, h}
	})
}

// transitionRequest is the body of POST /api/v1/applications/:id/transitions.
type transitionRequest struct {
	To     records.State `json:"to"`
	Reason string        `json:"reason"`
}

// moveApplication answers POST /api/v1/applications/:id/transitions.
func (s *Server) moveApplication(c *gin.Context) {
	changed(s, c, "to", func(ctx context.Context, id int64, by records.Actor, req transitionRequest) (*records.Application, error) {
		if req.To == "" {
			return nil, errMissing.with("to", "the state to move to, e.g. under_review")
		}
		return s.recs.Transition(ctx, id, by, req.To, req.Reason)
	})
}
