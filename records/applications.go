package records

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parvaneh/parvaneh/permits"
	"github.com/parvaneh/parvaneh/rules"
)

// Application is a permit application as recorded.
type Application struct {
	ID int64 `json:"id"`
	// Applicant is the user the application is for; FiledBy who filed it
	// (the applicant, or their engineer).
	Applicant      string `json:"applicant"`
	FiledBy        string `json:"filed_by"`
	IdempotencyKey string `json:"idempotency_key"`
	ParcelID       string `json:"parcel_id,omitempty"`
	Reference      string `json:"reference,omitempty"`
	State          State  `json:"state"`
	// Proposal is the proposal document as filed (docs/proposal.md) and
	// Validation its report at filing.
	Proposal   json.RawMessage     `json:"proposal"`
	Validation *permits.Validation `json:"validation"`
	// Permit is set once the permit is issued, and never changes.
	Permit    *Permit   `json:"permit,omitempty"`
	FiledAt   time.Time `json:"filed_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Permit is an issued permit: the figures, dues and versions of the
// validation the application was filed with, frozen when issued. A later
// plan version or rule pack never changes it.
type Permit struct {
	IssuedAt  time.Time       `json:"issued_at"`
	IssuedBy  string          `json:"issued_by"`
	Plan      permits.PlanRef `json:"plan"`
	RulePack  permits.PackRef `json:"rule_pack"`
	Figures   []rules.Figure  `json:"figures"`
	Checks    []rules.Check   `json:"checks"`
	Dues      []rules.Figure  `json:"dues"`
	DuesTotal *int64          `json:"dues_total_rial,omitempty"`
}

// Filing is what File records.
type Filing struct {
	// Applicant is the user the application is for; empty means the
	// filing actor (an engineer must name their client).
	Applicant string
	// IdempotencyKey is chosen by the client per submission; a retry
	// sends the same key.
	IdempotencyKey string
	// Proposal is the proposal document (docs/proposal.md), Validation the
	// report of its validation (permits.Service.Validate), which must have
	// passed.
	Proposal   []byte
	Validation *permits.Validation
}

// The applications' SQL.
const (
	appColumns = `id, applicant, filed_by, idempotency_key, coalesce(parcel_id, ''), reference, state,
proposal, validation, permit, filed_at, updated_at`
	insertApp = `INSERT INTO applications AS r (applicant, filed_by, idempotency_key, proposal_sha256, parcel_id,
    reference, plan_version_id, rule_pack, rule_pack_version, proposal, validation, state, filed_at, updated_at)
VALUES ($1, $2, $3, $4, nullif($5, ''), $6, $7, $8, $9, $10, $11, 'submitted', now(), now())
ON CONFLICT (filed_by, idempotency_key) DO NOTHING
RETURNING r.id, ` + appFingerprint
	selectByKey = `SELECT proposal_sha256, ` + appColumns + ` FROM applications WHERE filed_by = $1 AND idempotency_key = $2`
	selectApp   = `SELECT ` + appColumns + ` FROM applications WHERE id = $1`
	lockApp     = selectApp + ` FOR UPDATE`
	updateState = `UPDATE applications SET state = $2, permit = coalesce($3, permit), updated_at = $4 WHERE id = $1`
	// listApps keeps, for an applicant ($5), their applications, and for
	// an engineer ($6) also those they filed; $5 empty lists all.
	listApps = `SELECT ` + appColumns + ` FROM applications
WHERE ($1 = '' OR state = $1) AND ($2 = '' OR parcel_id = $2) AND ($3 = 0 OR id < $3)
    AND ($5 = '' OR applicant = $5 OR ($6 AND filed_by = $5))
ORDER BY id DESC LIMIT $4`
)

// File records a filing by actor by and returns the application, with
// filed false when the (applicant, key) pair was filed before: then the
// first application comes back and nothing new is recorded, however many
// retries run at once. The filing and its audit entry commit together.
func (s *Store) File(ctx context.Context, by Actor, f Filing) (app *Application, filed bool, err error) {
	applicant, err := filingFor(by, f.Applicant)
	if err != nil {
		return nil, false, err
	}
	parcelID, err := checkFiling(f)
	if err != nil {
		return nil, false, fmt.Errorf("records: filing: %w", err)
	}
	v := f.Validation
	validation, err := json.Marshal(v)
	if err != nil {
		return nil, false, fmt.Errorf("records: encoding the validation: %w", err)
	}
	sum := sha256.Sum256(f.Proposal)

	app, filed, err = appKind.submit(ctx, s, submission{
		doing: "filing an application", by: by, owner: by.User, key: f.IdempotencyKey, sum: sum[:],
		insert: func(tx pgx.Tx) pgx.Row {
			return tx.QueryRow(ctx, insertApp, applicant, by.User, f.IdempotencyKey, sum[:], parcelID,
				v.Reference, v.Plan.ID, v.RulePack.ID, v.RulePack.Version, f.Proposal, validation)
		},
		action: ActionFiled,
		detail: &filedDetail{
			Applicant: applicant, IdempotencyKey: f.IdempotencyKey, ProposalSHA256: fmt.Sprintf("%x", sum),
			ParcelID: parcelID, PlanVersionID: v.Plan.ID, RulePack: v.RulePack, DuesTotal: v.DuesTotal,
		},
	})
	if err == nil && !filed {
		err = sameApplicant(app, applicant, f.IdempotencyKey)
	}
	if err != nil {
		return nil, false, err
	}
	return app, filed, nil
}

// filingFor says whom a filing by `by` is for: an applicant files for
// themself (naming another is ErrForbidden), an engineer names the client.
func filingFor(by Actor, applicant string) (string, error) {
	switch {
	case !mayFile[by.Role]:
		return "", fmt.Errorf("records: filing as %s: %w", by.Role, ErrForbidden)
	case by.Role == RoleApplicant && applicant == "":
		return by.User, nil
	case by.Role == RoleApplicant && applicant != by.User:
		return "", fmt.Errorf("records: filing: %w", &FieldError{Field: "applicant",
			Err: fmt.Errorf("%w: %s may file only for themself, not for %s", ErrForbidden, by.User, applicant)})
	case applicant == "":
		return "", fmt.Errorf("records: filing: %w", &FieldError{Field: "applicant",
			Err: fmt.Errorf("%w: an engineer names the applicant", ErrInvalidFiling)})
	}
	return applicant, nil
}

// sameApplicant refuses a key its sender used for another client's filing:
// an engineer's retry must not be handed someone else's application.
func sameApplicant(app *Application, applicant, key string) error {
	if app.Applicant != applicant {
		return fmt.Errorf("records: filing for %s under key %q: %w (it filed for another applicant)", applicant, key, ErrKeyReused)
	}
	return nil
}

// PriorFiling returns the application by filed under key before, or
// ErrNotFound; applicant and proposal are what is submitted now, and another
// proposal or applicant under the same key is ErrKeyReused. A retry is answered with it before its
// proposal is validated again.
func (s *Store) PriorFiling(ctx context.Context, by Actor, key, applicant string, proposal []byte) (*Application, error) {
	applicant, err := filingFor(by, applicant)
	if err != nil {
		return nil, err
	}
	app, err := appKind.prior(ctx, s, by, key, proposal)
	if err != nil {
		return nil, err
	}
	if err := sameApplicant(app, applicant, key); err != nil {
		return nil, err
	}
	return app, nil
}

// filedDetail is the audit detail of a filing.
type filedDetail struct {
	recordSum
	Applicant      string          `json:"applicant"`
	IdempotencyKey string          `json:"idempotency_key"`
	ProposalSHA256 string          `json:"proposal_sha256"`
	ParcelID       string          `json:"parcel_id,omitempty"`
	PlanVersionID  int64           `json:"plan_version_id"`
	RulePack       permits.PackRef `json:"rule_pack"`
	DuesTotal      *int64          `json:"dues_total_rial,omitempty"`
}

// checkFiling refuses an incomplete or inconsistent filing and returns the
// proposal's parcel id.
func checkFiling(f Filing) (string, error) {
	if err := checkKey(f.IdempotencyKey); err != nil {
		return "", err
	}
	switch {
	case f.Validation == nil:
		return "", fmt.Errorf("%w: no validation report", ErrInvalidFiling)
	case !f.Validation.Passed:
		// A plan that fails its checks cannot become a permit: filing it
		// would only queue a refusal.
		return "", fmt.Errorf("%w: the proposal failed its validation (%d failing checks)", ErrInvalidFiling, f.Validation.Failed)
	}
	p, err := permits.ParseProposal(f.Proposal)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidFiling, err)
	}
	v := f.Validation
	parcel := ""
	if v.Parcel != nil {
		parcel = v.Parcel.ID
	}
	if p.Where.ParcelID != parcel || p.Reference != v.Reference {
		return "", fmt.Errorf("%w: the validation report is of another proposal (parcel %q, reference %q)", ErrInvalidFiling, parcel, v.Reference)
	}
	return parcel, nil
}

// Get returns the application with the id if by may see it: staff and
// commission members see all, an applicant their own, an engineer those
// they filed or that were filed for them. Another's is ErrNotFound, so its
// existence is not disclosed.
func (s *Store) Get(ctx context.Context, by Actor, id int64) (*Application, error) {
	app, err := appKind.get(ctx, s.pool, appKind.byID, id)
	if err != nil {
		return nil, err
	}
	if !maySee(by, app) {
		return nil, fmt.Errorf("records: reading %s: %w", subjectOf(id), ErrNotFound)
	}
	return app, nil
}

// Applications lists the applications by may see (as Get decides), newest
// first.
func (s *Store) Applications(ctx context.Context, by Actor, q Query) ([]Application, error) {
	if err := q.check(stateNames()...); err != nil {
		return nil, err
	}
	var who string
	switch {
	case by.Role == RoleApplicant, by.Role == RoleEngineer:
		who = by.User
	case !mayReadAll[by.Role]:
		return nil, fmt.Errorf("records: listing applications as %s: %w", by.Role, ErrForbidden)
	}
	rows, err := s.pool.Query(ctx, listApps, q.State, q.ParcelID, q.Before, q.limit(), who, by.Role == RoleEngineer)
	if err != nil {
		return nil, wrapErr("listing applications", err)
	}
	return collect(rows, "listing applications", func(r pgx.Rows) (*Application, error) { return scanApp(r) })
}

func maySee(by Actor, app *Application) bool {
	switch by.Role {
	case RoleApplicant:
		return app.Applicant == by.User
	case RoleEngineer:
		return app.FiledBy == by.User || app.Applicant == by.User
	}
	return mayReadAll[by.Role]
}

// transitionDetail is the audit detail of a state change.
type transitionDetail struct {
	From   State  `json:"from"`
	To     State  `json:"to"`
	Reason string `json:"reason,omitempty"`
	// PermitSHA256 fingerprints the frozen permit when one is issued, so
	// the log also vouches for its figures.
	PermitSHA256 string `json:"permit_sha256,omitempty"`
}

// Transition moves application id to state to, by actor by, for reason
// (required where the table says so). The move must be in the transitions
// table (else ErrBadTransition) and made by its role (else ErrForbidden).
// Issuing the permit freezes it. The change and its audit entry commit
// together; a refused move writes nothing.
func (s *Store) Transition(ctx context.Context, id int64, by Actor, to State, reason string) (*Application, error) {
	subject := subjectOf(id)
	if !to.Valid() {
		return nil, fmt.Errorf("records: moving %s: %w", subject, &FieldError{Field: "to",
			Err: fmt.Errorf("%w: %q is not an application state", ErrInvalidValue, to)})
	}
	var app *Application
	err := s.inTx(ctx, "moving "+subject, func(tx pgx.Tx) error {
		// The row lock makes concurrent moves of one application take
		// turns, each seeing the state the one before left.
		var err error
		if app, err = appKind.get(ctx, tx, lockApp, id); err != nil {
			return err
		}
		doing := fmt.Sprintf("moving %s from %s to %s", subject, app.State, to)
		t, ok := findTransition(app.State, to)
		switch {
		case !ok:
			return fmt.Errorf("records: %s: %w", doing, ErrBadTransition)
		case by.Role != t.by:
			return fmt.Errorf("records: %s as %s: %w (only %s may)", doing, by.Role, ErrForbidden, t.by)
		case t.needsReason && strings.TrimSpace(reason) == "":
			return fmt.Errorf("records: %s: %w", doing, &FieldError{Field: "reason",
				Err: fmt.Errorf("%w: this move must say why", ErrReasonRequired)})
		}
		detail := transitionDetail{From: app.State, To: to, Reason: reason}
		var permit []byte
		if to == PermitIssued {
			// now() is the transaction's start: the permit and the
			// audit entry carry the same time.
			var at time.Time
			if err := tx.QueryRow(ctx, `SELECT now()`).Scan(&at); err != nil {
				return wrapErr(doing, err)
			}
			p := freeze(app.Validation, by.User, at.UTC().Truncate(time.Microsecond))
			if permit, err = json.Marshal(p); err != nil {
				return fmt.Errorf("records: %s: encoding the permit: %w", doing, err)
			}
			detail.PermitSHA256 = fmt.Sprintf("%x", sha256.Sum256(permit))
		}
		at, err := appendEntry(ctx, tx, by, ActionTransition, subject, detail)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, updateState, id, string(to), permit, at); err != nil {
			return wrapErr(doing, err)
		}
		app, err = appKind.get(ctx, tx, appKind.byID, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return app, nil
}

// freeze makes the permit of a validation: a copy of its figures, checks,
// dues and versions, never recomputed.
func freeze(v *permits.Validation, by string, at time.Time) Permit {
	return Permit{IssuedAt: at, IssuedBy: by, Plan: v.Plan, RulePack: v.RulePack,
		Figures: v.Figures, Checks: v.Checks, Dues: v.Dues, DuesTotal: v.DuesTotal}
}

// subjectOf names an application in the audit log.
func subjectOf(id int64) string { return "application/" + strconv.FormatInt(id, 10) }

// appKind reads applications for the shared readers (store.go).
var appKind = recordKind[Application]{subject: subjectOf, scan: scanApp, id: func(a *Application) int64 { return a.ID },
	byID: selectApp, byKey: selectByKey}

// scanApp reads appColumns, after the extra destinations given first.
func scanApp(row pgx.Row, extra ...any) (*Application, error) {
	var a Application
	var state string
	var validation, permit []byte
	dest := append(extra, &a.ID, &a.Applicant, &a.FiledBy, &a.IdempotencyKey, &a.ParcelID, &a.Reference,
		&state, &a.Proposal, &validation, &permit, &a.FiledAt, &a.UpdatedAt)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	a.State, a.FiledAt, a.UpdatedAt = State(state), a.FiledAt.UTC(), a.UpdatedAt.UTC()
	if err := json.Unmarshal(validation, &a.Validation); err != nil {
		return nil, fmt.Errorf("decoding the validation of %s: %w", subjectOf(a.ID), err)
	}
	if permit != nil {
		if err := json.Unmarshal(permit, &a.Permit); err != nil {
			return nil, fmt.Errorf("decoding the permit of %s: %w", subjectOf(a.ID), err)
		}
	}
	return &a, nil
}
