package records

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parvaneh/parvaneh/permits"
	"github.com/parvaneh/parvaneh/rules"
)

// CaseState is where a violation case stands.
type CaseState string

// The states of a case: staff open it with its review, the commission
// decides it, staff close it once the decision is carried out (the fine
// paid, the demolition done).
const (
	CaseOpen    CaseState = "open"
	CaseDecided CaseState = "decided"
	CaseClosed  CaseState = "closed"
)

// RulingDismissed is the commission finding no violation where the review
// proposed one; the other rulings are the rule pack's (rules.RulingFine,
// rules.RulingDemolition, rules.RulingReferral).
const RulingDismissed = "dismissed"

// maxFine bounds one fine, far above any real one; the total is checked
// apart, as a pack may list any number of violations.
const maxFine = 1_000_000_000_000_000

// ErrOpenCase: the parcel has a case that is not closed, so no certificate
// of no violation can be issued for it.
var ErrOpenCase = errors.New("the parcel has a violation case that is not closed")

// ErrInvalidDecision: a decision that does not fit its case; a *FieldError
// names the member at fault.
var ErrInvalidDecision = errors.New("invalid decision")

// FieldError names the member of a request at fault ("rulings[1].fine_rial")
// and wraps why.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func decisionErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf("%w: %s", ErrInvalidDecision, fmt.Sprintf(format, args...))}
}

// Case is a violation case as recorded.
type Case struct {
	ID             int64     `json:"id"`
	OpenedBy       string    `json:"opened_by"`
	IdempotencyKey string    `json:"idempotency_key"`
	ParcelID       string    `json:"parcel_id,omitempty"`
	Reference      string    `json:"reference,omitempty"`
	State          CaseState `json:"state"`
	// Document is the case document as submitted (docs/violation-case.md)
	// and Review Parvaneh's review of it at opening, never recomputed.
	Document json.RawMessage `json:"document"`
	Review   *permits.Review `json:"review"`
	// Decision is the commission's, once recorded; Closure the staff's
	// record that it was carried out.
	Decision  *Decision `json:"decision,omitempty"`
	Closure   *Closure  `json:"closure,omitempty"`
	OpenedAt  time.Time `json:"opened_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CaseFiling is what OpenCase records: the case document and its review
// (permits.Service.Violations).
type CaseFiling struct {
	IdempotencyKey string
	Document       []byte
	Review         *permits.Review
}

// Ruling is the commission's ruling on one violation of the review.
type Ruling struct {
	// Violation is the violation's id in the review.
	Violation string `json:"violation"`
	// Ruling is fine, demolition, referral or dismissed.
	Ruling string `json:"ruling"`
	// FineRial is the fine, for a fine only.
	FineRial *int64 `json:"fine_rial,omitempty"`
}

// DecisionInput is what a commission member records.
type DecisionInput struct {
	// Rulings rule on every violation of the review, each once; nil takes
	// the review's proposals as they stand.
	Rulings []Ruling
	// Reason says why; required when any ruling differs from the proposal.
	Reason string
}

// Decision is the commission's decision, frozen once recorded.
type Decision struct {
	DecidedBy string    `json:"decided_by"`
	DecidedAt time.Time `json:"decided_at"`
	Rulings   []Ruling  `json:"rulings"`
	// FinesTotal sums the fines ruled, Rial.
	FinesTotal int64 `json:"fines_total_rial"`
	// FollowsProposal is true when every ruling is the review's proposal.
	FollowsProposal bool   `json:"follows_proposal"`
	Reason          string `json:"reason,omitempty"`
}

// Closure records that a decided case was carried out.
type Closure struct {
	ClosedBy string    `json:"closed_by"`
	ClosedAt time.Time `json:"closed_at"`
	Reason   string    `json:"reason"`
}

// Actions recorded in the audit log for cases.
const (
	ActionCaseOpened  = "case.opened"
	ActionCaseDecided = "case.decided"
	ActionCaseClosed  = "case.closed"
)

// The cases' SQL.
const (
	caseColumns = `id, opened_by, idempotency_key, coalesce(parcel_id, ''), reference, state, document, review,
decision, closure, opened_at, updated_at`
	insertCase = `INSERT INTO violation_cases AS r (opened_by, idempotency_key, document_sha256, parcel_id, reference,
    plan_version_id, rule_pack, rule_pack_version, document, review, state, opened_at, updated_at)
VALUES ($1, $2, $3, nullif($4, ''), $5, $6, $7, $8, $9, $10, 'open', now(), now())
ON CONFLICT (opened_by, idempotency_key) DO NOTHING
RETURNING r.id, ` + caseFingerprint
	selectCaseByKey = `SELECT document_sha256, ` + caseColumns + ` FROM violation_cases WHERE opened_by = $1 AND idempotency_key = $2`
	selectCase      = `SELECT ` + caseColumns + ` FROM violation_cases WHERE id = $1`
	lockCase        = selectCase + ` FOR UPDATE`
	decideCase      = `UPDATE violation_cases SET state = 'decided', decision = $2, updated_at = $3 WHERE id = $1`
	closeCase       = `UPDATE violation_cases SET state = 'closed', closure = $2, updated_at = $3 WHERE id = $1`
	listCases       = `SELECT ` + caseColumns + ` FROM violation_cases
WHERE ($1 = '' OR state = $1) AND ($2 = '' OR parcel_id = $2) AND ($3 = 0 OR id < $3)
ORDER BY id DESC LIMIT $4`
)

// caseOpenedDetail is the audit detail of an opening: the review's
// fingerprint lets Verify vouch for the stored review.
type caseOpenedDetail struct {
	recordSum
	IdempotencyKey string          `json:"idempotency_key"`
	DocumentSHA256 string          `json:"document_sha256"`
	ReviewSHA256   string          `json:"review_sha256"`
	ParcelID       string          `json:"parcel_id,omitempty"`
	PlanVersionID  int64           `json:"plan_version_id"`
	RulePack       permits.PackRef `json:"rule_pack"`
	Found          int             `json:"found"`
	FinesTotal     *int64          `json:"fines_total_rial,omitempty"`
}

// changeDetail is the audit detail of a decision or closure: the record
// written and its fingerprint.
type changeDetail struct {
	SHA256 string `json:"sha256"`
	Record any    `json:"record"`
}

// OpenCase records a violation case opened by staff member by, with the
// review of its document. Like File it is idempotent per (by, key): a
// retry gets the first case back with opened false.
func (s *Store) OpenCase(ctx context.Context, by Actor, f CaseFiling) (c *Case, opened bool, err error) {
	if by.Role != RoleStaff {
		return nil, false, fmt.Errorf("records: opening a case as %s: %w", by.Role, ErrForbidden)
	}
	if err := checkKey(f.IdempotencyKey); err != nil {
		return nil, false, fmt.Errorf("records: opening a case: %w", err)
	}
	rv := f.Review
	if rv == nil {
		return nil, false, fmt.Errorf("records: opening a case: %w: no review", ErrInvalidFiling)
	}
	doc, err := permits.ParseCase(f.Document)
	if err != nil {
		return nil, false, fmt.Errorf("records: opening a case: %w: %w", ErrInvalidFiling, err)
	}
	parcel := ""
	if rv.Parcel != nil {
		parcel = rv.Parcel.ID
	}
	if doc.Where.ParcelID != parcel || doc.Reference != rv.Reference {
		return nil, false, fmt.Errorf("records: opening a case: %w: the review is of another case (parcel %q, reference %q)", ErrInvalidFiling, parcel, rv.Reference)
	}
	review, err := json.Marshal(rv)
	if err != nil {
		return nil, false, fmt.Errorf("records: encoding the review: %w", err)
	}
	docSum, reviewSum := sha256.Sum256(f.Document), sha256.Sum256(review)

	return caseKind.submit(ctx, s, submission{
		doing: "opening a case", by: by, owner: by.User, key: f.IdempotencyKey, sum: docSum[:],
		insert: func(tx pgx.Tx) pgx.Row {
			return tx.QueryRow(ctx, insertCase, by.User, f.IdempotencyKey, docSum[:], parcel, rv.Reference,
				rv.Plan.ID, rv.RulePack.ID, rv.RulePack.Version, f.Document, string(review))
		},
		action: ActionCaseOpened,
		detail: &caseOpenedDetail{
			IdempotencyKey: f.IdempotencyKey, DocumentSHA256: fmt.Sprintf("%x", docSum),
			ReviewSHA256: fmt.Sprintf("%x", reviewSum), ParcelID: parcel, PlanVersionID: rv.Plan.ID,
			RulePack: rv.RulePack, Found: rv.Found, FinesTotal: rv.FinesTotal,
		},
	})
}

// PriorCase returns the case by opened under key before, or ErrNotFound;
// document is the case document submitted now, and another one under the
// same key is ErrKeyReused. A retry is answered with it before its document
// is reviewed again.
func (s *Store) PriorCase(ctx context.Context, by Actor, key string, document []byte) (*Case, error) {
	if by.Role != RoleStaff {
		return nil, fmt.Errorf("records: looking up a case opening as %s: %w", by.Role, ErrForbidden)
	}
	return caseKind.prior(ctx, s, by, key, document)
}

// Case returns the case with the id, for staff and commission members.
func (s *Store) Case(ctx context.Context, by Actor, id int64) (*Case, error) {
	if !mayReadAll[by.Role] {
		return nil, fmt.Errorf("records: reading %s as %s: %w", caseSubject(id), by.Role, ErrForbidden)
	}
	return caseKind.get(ctx, s.pool, caseKind.byID, id)
}

// Cases lists cases, newest first, for staff and commission members.
func (s *Store) Cases(ctx context.Context, by Actor, q Query) ([]Case, error) {
	if !mayReadAll[by.Role] {
		return nil, fmt.Errorf("records: listing cases as %s: %w", by.Role, ErrForbidden)
	}
	if err := q.check(string(CaseOpen), string(CaseDecided), string(CaseClosed)); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, listCases, q.State, q.ParcelID, q.Before, q.limit())
	if err != nil {
		return nil, wrapErr("listing cases", err)
	}
	return collect(rows, "listing cases", func(r pgx.Rows) (*Case, error) { return scanCase(r) })
}

// Decide records the commission's decision on an open case: the rulings
// must rule on every violation of the review once, and a decision that
// departs from the proposal must say why. The decision and its audit entry
// commit together, and the decision never changes after.
func (s *Store) Decide(ctx context.Context, id int64, by Actor, d DecisionInput) (*Case, error) {
	subject := caseSubject(id)
	if by.Role != RoleCommission {
		return nil, fmt.Errorf("records: deciding %s as %s: %w (only %s may)", subject, by.Role, ErrForbidden, RoleCommission)
	}
	var c *Case
	err := s.inTx(ctx, "deciding "+subject, func(tx pgx.Tx) error {
		var err error
		if c, err = caseKind.get(ctx, tx, lockCase, id); err != nil {
			return err
		}
		if c.State != CaseOpen {
			return fmt.Errorf("records: deciding %s: %w: it is %s", subject, ErrBadTransition, c.State)
		}
		dec, err := decide(c.Review, d)
		if err != nil {
			return fmt.Errorf("records: deciding %s: %w", subject, err)
		}
		dec.DecidedBy = by.User
		return changeCase(ctx, tx, c, by, ActionCaseDecided, decideCase, func(at time.Time) any {
			dec.DecidedAt = at
			return dec
		})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// CloseCase records that a decided case was carried out, with what was done.
func (s *Store) CloseCase(ctx context.Context, id int64, by Actor, reason string) (*Case, error) {
	subject := caseSubject(id)
	if by.Role != RoleStaff {
		return nil, fmt.Errorf("records: closing %s as %s: %w (only %s may)", subject, by.Role, ErrForbidden, RoleStaff)
	}
	if strings.TrimSpace(reason) == "" {
		return nil, fmt.Errorf("records: closing %s: %w", subject, &FieldError{Field: "reason",
			Err: fmt.Errorf("%w: say how the decision was carried out", ErrReasonRequired)})
	}
	var c *Case
	err := s.inTx(ctx, "closing "+subject, func(tx pgx.Tx) error {
		var err error
		if c, err = caseKind.get(ctx, tx, lockCase, id); err != nil {
			return err
		}
		if c.State != CaseDecided {
			return fmt.Errorf("records: closing %s: %w: it is %s, and only a decided case closes", subject, ErrBadTransition, c.State)
		}
		cl := &Closure{ClosedBy: by.User, Reason: reason}
		return changeCase(ctx, tx, c, by, ActionCaseClosed, closeCase, func(at time.Time) any {
			cl.ClosedAt = at
			return cl
		})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// changeCase writes a decision or closure of c (update sets it) with its
// audit entry, and reads c back. stamp puts the transaction's time in the
// record before it is encoded, so the record and its entry agree.
func changeCase(ctx context.Context, tx pgx.Tx, c *Case, by Actor, action, update string, stamp func(time.Time) any) error {
	subject := caseSubject(c.ID)
	var at time.Time
	if err := tx.QueryRow(ctx, `SELECT now()`).Scan(&at); err != nil {
		return wrapErr(action+" "+subject, err)
	}
	at = at.UTC().Truncate(time.Microsecond)
	rec, err := json.Marshal(stamp(at))
	if err != nil {
		return fmt.Errorf("records: encoding the %s of %s: %w", action, subject, err)
	}
	if _, err := appendEntry(ctx, tx, by, action, subject, changeDetail{
		SHA256: fmt.Sprintf("%x", sha256.Sum256(rec)), Record: json.RawMessage(rec)}); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, update, c.ID, string(rec), at); err != nil {
		return wrapErr(action+" "+subject, err)
	}
	got, err := caseKind.get(ctx, tx, caseKind.byID, c.ID)
	if err != nil {
		return err
	}
	*c = *got
	return nil
}

// decide checks the rulings against the review's violations and makes the
// decision (without who and when).
func decide(rv *permits.Review, d DecisionInput) (*Decision, error) {
	proposed := make([]Ruling, len(rv.Violations))
	for i, v := range rv.Violations {
		proposed[i] = Ruling{Violation: v.ID, Ruling: v.Ruling}
		if v.Ruling == rules.RulingFine {
			proposed[i].FineRial = v.Fine
		}
	}
	rulings := d.Rulings
	if rulings == nil {
		for _, p := range proposed {
			if p.Ruling == rules.RulingFine && p.FineRial == nil {
				return nil, decisionErr("rulings", "the review proposes a fine for %s without an amount (the parcel has no value block): rule on each violation", p.Violation)
			}
		}
		rulings = proposed
	}
	if len(rulings) != len(proposed) {
		return nil, decisionErr("rulings", "%d rulings for the review's %d violations: rule on each once", len(rulings), len(proposed))
	}
	dec := &Decision{Rulings: make([]Ruling, len(rulings)), FollowsProposal: true, Reason: strings.TrimSpace(d.Reason)}
	seen := map[string]bool{}
	for i, r := range rulings {
		field := "rulings[" + strconv.Itoa(i) + "]"
		j := slices.IndexFunc(proposed, func(p Ruling) bool { return p.Violation == r.Violation })
		switch {
		case j < 0:
			return nil, decisionErr(field+".violation", "the review has no violation %q", r.Violation)
		case seen[r.Violation]:
			return nil, decisionErr(field+".violation", "%q is ruled on twice", r.Violation)
		}
		seen[r.Violation] = true
		switch {
		case !slices.Contains([]string{rules.RulingFine, rules.RulingDemolition, rules.RulingReferral, RulingDismissed}, r.Ruling):
			return nil, decisionErr(field+".ruling", "%q: want fine, demolition, referral or dismissed", r.Ruling)
		case r.Ruling == rules.RulingFine && r.FineRial == nil:
			return nil, decisionErr(field+".fine_rial", "a fine needs its amount in Rial")
		case r.Ruling == rules.RulingFine && (*r.FineRial < 0 || *r.FineRial > maxFine):
			return nil, decisionErr(field+".fine_rial", "%d: want a whole number of Rial from 0 to %d", *r.FineRial, int64(maxFine))
		case r.Ruling != rules.RulingFine && r.FineRial != nil:
			return nil, decisionErr(field+".fine_rial", "only a fine has an amount")
		}
		if r.FineRial != nil {
			if dec.FinesTotal > math.MaxInt64-*r.FineRial {
				return nil, decisionErr(field+".fine_rial", "the fines total more than %d Rial", int64(math.MaxInt64))
			}
			dec.FinesTotal += *r.FineRial
		}
		p := proposed[j]
		if r.Ruling != p.Ruling || (r.FineRial == nil) != (p.FineRial == nil) || (r.FineRial != nil && *r.FineRial != *p.FineRial) {
			dec.FollowsProposal = false
		}
		dec.Rulings[i] = r
	}
	if !dec.FollowsProposal && dec.Reason == "" {
		return nil, &FieldError{Field: "reason", Err: fmt.Errorf("%w: %w: the decision departs from the proposal", ErrInvalidDecision, ErrReasonRequired)}
	}
	return dec, nil
}

// caseSubject names a case in the audit log.
func caseSubject(id int64) string { return "case/" + strconv.FormatInt(id, 10) }

// caseKind reads cases for the shared readers (store.go).
var caseKind = recordKind[Case]{subject: caseSubject, scan: scanCase, id: func(c *Case) int64 { return c.ID },
	byID: selectCase, byKey: selectCaseByKey}

// scanCase reads caseColumns, after the extra destinations given first.
func scanCase(row pgx.Row, extra ...any) (*Case, error) {
	var c Case
	var state string
	var review, decision, closure []byte
	dest := append(extra, &c.ID, &c.OpenedBy, &c.IdempotencyKey, &c.ParcelID, &c.Reference, &state,
		&c.Document, &review, &decision, &closure, &c.OpenedAt, &c.UpdatedAt)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	c.State, c.OpenedAt, c.UpdatedAt = CaseState(state), c.OpenedAt.UTC(), c.UpdatedAt.UTC()
	for _, m := range []struct {
		raw []byte
		to  any
	}{{review, &c.Review}, {decision, &c.Decision}, {closure, &c.Closure}} {
		if m.raw == nil {
			continue
		}
		if err := json.Unmarshal(m.raw, m.to); err != nil {
			return nil, fmt.Errorf("decoding %s: %w", caseSubject(c.ID), err)
		}
	}
	return &c, nil
}
