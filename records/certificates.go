package records

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parvaneh/parvaneh/permits"
)

// Certificate is a certificate of no violation (گواهی عدم خلافی): on the day
// it was issued the parcel had no violation case that was not closed.
type Certificate struct {
	ID             int64           `json:"id"`
	Number         string          `json:"number"`
	ParcelID       string          `json:"parcel_id"`
	IssuedBy       string          `json:"issued_by"`
	IdempotencyKey string          `json:"idempotency_key"`
	IssuedAt       time.Time       `json:"issued_at"`
	Plan           permits.PlanRef `json:"plan"`
}

// CertificateRequest asks for a certificate for a parcel, under the plan
// version it was found in.
type CertificateRequest struct {
	ParcelID       string
	IdempotencyKey string
	Plan           permits.PlanRef
}

// ActionCertificateIssued is the audit action of a certificate.
const ActionCertificateIssued = "certificate.issued"

// The certificates' SQL.
const (
	certColumns   = `id, parcel_id, issued_by, idempotency_key, plan, issued_at`
	selectCertKey = `SELECT ` + certColumns + ` FROM certificates WHERE issued_by = $1 AND idempotency_key = $2`
	selectCert    = `SELECT ` + certColumns + ` FROM certificates WHERE id = $1`
	unclosedCase  = `SELECT id FROM violation_cases WHERE parcel_id = $1 AND state <> 'closed' ORDER BY id LIMIT 1`
	insertCert    = `INSERT INTO certificates AS r (parcel_id, issued_by, idempotency_key, plan, issued_at) VALUES ($1, $2, $3, $4, now())
RETURNING r.id, ` + certFingerprint
	certNumberForm = "NV-%06d"
)

// certificateDetail is the audit detail of a certificate.
type certificateDetail struct {
	recordSum
	Number         string `json:"number"`
	ParcelID       string `json:"parcel_id"`
	IdempotencyKey string `json:"idempotency_key"`
	PlanVersionID  int64  `json:"plan_version_id"`
}

// IssueCertificate issues a certificate of no violation for a parcel that
// has no case open or decided (else ErrOpenCase), by staff member by. It is
// idempotent per (by, key): a retry gets the first certificate back with
// issued false, even if a case was opened since.
func (s *Store) IssueCertificate(ctx context.Context, by Actor, r CertificateRequest) (cert *Certificate, issued bool, err error) {
	if by.Role != RoleStaff {
		return nil, false, fmt.Errorf("records: issuing a certificate as %s: %w", by.Role, ErrForbidden)
	}
	if err := checkKey(r.IdempotencyKey); err != nil {
		return nil, false, fmt.Errorf("records: issuing a certificate: %w", err)
	}
	if strings.TrimSpace(r.ParcelID) == "" {
		return nil, false, fmt.Errorf("records: issuing a certificate: %w", &FieldError{Field: "parcel_id", Err: fmt.Errorf("%w: no parcel", ErrInvalidFiling)})
	}
	plan, err := json.Marshal(r.Plan)
	if err != nil {
		return nil, false, fmt.Errorf("records: encoding the plan version: %w", err)
	}
	doing := "issuing a certificate for parcel " + r.ParcelID
	err = s.inTx(ctx, doing, func(tx pgx.Tx) error {
		// Every change of the records appends to the log under its head's
		// lock: taken first, it makes the check below and the issue one
		// step that no case opening can fall between.
		if _, err := tx.Exec(ctx, lockHead); err != nil {
			return wrapErr(doing, err)
		}
		c, err := scanCert(tx.QueryRow(ctx, selectCertKey, by.User, r.IdempotencyKey))
		switch {
		case err == nil && c.ParcelID != r.ParcelID:
			return fmt.Errorf("records: %s under key %q: %w (certificate %s)", doing, r.IdempotencyKey, ErrKeyReused, c.Number)
		case err == nil:
			cert = c
			return nil
		case !errors.Is(err, pgx.ErrNoRows):
			return wrapErr(doing, err)
		}
		var open int64
		switch err := tx.QueryRow(ctx, unclosedCase, r.ParcelID).Scan(&open); {
		case err == nil:
			return fmt.Errorf("records: %s: %w (%s)", doing, ErrOpenCase, caseSubject(open))
		case !errors.Is(err, pgx.ErrNoRows):
			return wrapErr(doing, err)
		}
		var id int64
		var sum string
		if err := tx.QueryRow(ctx, insertCert, r.ParcelID, by.User, r.IdempotencyKey, string(plan)).Scan(&id, &sum); err != nil {
			return wrapErr(doing, err)
		}
		detail := &certificateDetail{recordSum: recordSum{sum}, Number: certNumber(id), ParcelID: r.ParcelID,
			IdempotencyKey: r.IdempotencyKey, PlanVersionID: r.Plan.ID}
		if _, err := appendEntry(ctx, tx, by, ActionCertificateIssued, certSubject(id), detail); err != nil {
			return err
		}
		issued = true
		if cert, err = scanCert(tx.QueryRow(ctx, selectCert, id)); err != nil {
			return wrapErr(doing, err)
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return cert, issued, nil
}

// Certificate returns the certificate with the id, for staff and commission
// members.
func (s *Store) Certificate(ctx context.Context, by Actor, id int64) (*Certificate, error) {
	subject := certSubject(id)
	if !mayReadAll[by.Role] {
		return nil, fmt.Errorf("records: reading %s as %s: %w", subject, by.Role, ErrForbidden)
	}
	c, err := scanCert(s.pool.QueryRow(ctx, selectCert, id))
	if err != nil {
		return nil, wrapErr("reading "+subject, err)
	}
	return c, nil
}

// certSubject names a certificate in the audit log.
func certSubject(id int64) string { return "certificate/" + strconv.FormatInt(id, 10) }

// certNumber is the number printed on a certificate.
func certNumber(id int64) string { return fmt.Sprintf(certNumberForm, id) }

func scanCert(row pgx.Row) (*Certificate, error) {
	var c Certificate
	var plan []byte
	if err := row.Scan(&c.ID, &c.ParcelID, &c.IssuedBy, &c.IdempotencyKey, &plan, &c.IssuedAt); err != nil {
		return nil, err
	}
	c.Number, c.IssuedAt = certNumber(c.ID), c.IssuedAt.UTC()
	if err := json.Unmarshal(plan, &c.Plan); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", certSubject(c.ID), err)
	}
	return &c, nil
}
