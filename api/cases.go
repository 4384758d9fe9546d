package api

import (
	"context"
	"errors"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/permits"
	"github.com/parvaneh/parvaneh/records"
)

// openCase answers POST /api/v1/cases: the body is a violation case as POST
// /violations takes it; its review is recorded with it under the request's
// Idempotency-Key (201; a retry 200 with the same case).
func (s *Server) openCase(c *gin.Context) {
	key, err := idempotencyKey(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	body, ok := s.readBody(c)
	if !ok {
		return
	}
	if answeredBefore(s, c, func() (*records.Case, error) {
		return s.recs.PriorCase(c.Request.Context(), actor(c), key, body)
	}) {
		return
	}
	rv, err := s.review(c.Request.Context(), body)
	if err != nil {
		s.fail(c, err)
		return
	}
	vc, opened, err := s.recs.OpenCase(c.Request.Context(), actor(c), records.CaseFiling{
		IdempotencyKey: key, Document: body, Review: rv})
	if err != nil {
		s.fail(c, recordsError(err, ""))
		return
	}
	reply(c, opened, vc)
}

// listCases answers GET /api/v1/cases, newest first.
func (s *Server) listCases(c *gin.Context) {
	listed(s, c, "cases", s.recs.Cases)
}

// caseRecord is a case with its audit trail.
type caseRecord struct {
	*records.Case
	History []records.Entry `json:"history"`
}

// getCase answers GET /api/v1/cases/:id: the document, the review, the
// decision and closure if any, and the history.
func (s *Server) getCase(c *gin.Context) {
	fetched(s, c, s.recs.Case, "case/", func(vc *records.Case, h []records.Entry) any { return caseRecord{vc, h} })
}

// decisionRequest is the body of POST /api/v1/cases/:id/decision; without
// rulings the review's proposals are the decision.
type decisionRequest struct {
	Rulings []records.Ruling `json:"rulings"`
	Reason  string           `json:"reason"`
}

// decideCase answers POST /api/v1/cases/:id/decision.
func (s *Server) decideCase(c *gin.Context) {
	changed(s, c, "id", func(ctx context.Context, id int64, by records.Actor, req decisionRequest) (*records.Case, error) {
		return s.recs.Decide(ctx, id, by, records.DecisionInput{Rulings: req.Rulings, Reason: req.Reason})
	})
}

// closureRequest is the body of POST /api/v1/cases/:id/closure.
type closureRequest struct {
	Reason string `json:"reason"`
}

// closeCase answers POST /api/v1/cases/:id/closure.
func (s *Server) closeCase(c *gin.Context) {
	changed(s, c, "id", func(ctx context.Context, id int64, by records.Actor, req closureRequest) (*records.Case, error) {
		return s.recs.CloseCase(ctx, id, by, req.Reason)
	})
}

// certificateRequest is the body of POST /api/v1/certificates.
type certificateRequest struct {
	ParcelID string `json:"parcel_id"`
	AsOf     string `json:"as_of"`
}

// issueCertificate answers POST /api/v1/certificates: a certificate of no
// violation for a parcel of the plan version in force on as_of (today when
// absent), under the request's Idempotency-Key (201; a retry 200). A parcel
// with a case open or decided is 409 open_case.
func (s *Server) issueCertificate(c *gin.Context) {
	key, err := idempotencyKey(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req certificateRequest
	if err := decodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.ParcelID == "" {
		s.fail(c, errMissing.with("parcel_id", "the parcel's plate number"))
		return
	}
	asOf, err := s.parseAsOf(req.AsOf)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	v, err := s.versionAsOf(ctx, asOf)
	if err != nil {
		s.fail(c, err)
		return
	}
	if _, err := s.plans.Parcel(ctx, v.ID, req.ParcelID); err != nil {
		if errors.Is(err, layers.ErrNotFound) {
			err = errParcelNotFound.with("parcel_id", req.ParcelID)
		}
		s.fail(c, err)
		return
	}
	plan := permits.PlanRef{ID: v.ID, Municipality: v.Municipality, MunicipalityFa: v.MunicipalityFa,
		Seq: v.Seq, Label: v.Label, EffectiveFrom: v.EffectiveFrom.Format(time.DateOnly)}
	cert, issued, err := s.recs.IssueCertificate(ctx, actor(c), records.CertificateRequest{
		ParcelID: req.ParcelID, IdempotencyKey: key, Plan: plan})
	if err != nil {
		s.fail(c, recordsError(err, "parcel_id"))
		return
	}
	reply(c, issued, cert)
}

// getCertificate answers GET /api/v1/certificates/:id.
func (s *Server) getCertificate(c *gin.Context) {
	fetched(s, c, s.recs.Certificate, "", nil)
}
