package records

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/layers/postgis"
)

// Errors, wrapped in what was being done. ErrNotFound is layers.ErrNotFound,
// so callers map one not-found; a database that cannot be reached is
// layers.ErrUnavailable.
var (
	// ErrNotFound: no such record (or none the actor may see).
	ErrNotFound = layers.ErrNotFound
	// ErrForbidden: the actor's role may not do this.
	ErrForbidden = errors.New("forbidden for this role")
	// ErrBadTransition: the record cannot move from its state to the one
	// asked.
	ErrBadTransition = errors.New("transition not allowed")
	// ErrInvalidFiling: the filing is incomplete or inconsistent (no key,
	// an unreadable proposal, a validation of another proposal or one
	// that failed).
	ErrInvalidFiling = errors.New("invalid filing")
	// ErrKeyReused: the idempotency key was used by this user for another
	// submission.
	ErrKeyReused = errors.New("idempotency key already used for another submission")
	// ErrInvalidValue: a member's value is none of those it may take (a
	// state that does not exist, in a move or a list's filter).
	ErrInvalidValue = errors.New("invalid value")
	// ErrReasonRequired: the change must say why (a refusal, a closure, a
	// decision departing from the proposal).
	ErrReasonRequired = errors.New("a reason is required")
)

// MaxKeyBytes bounds an idempotency key.
const MaxKeyBytes = 200

// Store keeps the records and the audit log. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a store on pool, a database migrated by package migrations.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Open returns a store with its own pool on the database at databaseURL
// (postgres://…); Close closes it.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		// The URL may hold a password: say what is wrong, not what it is.
		return nil, errors.New("records: parsing the database URL: malformed URL")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrapErr("opening the connection pool", err)
	}
	return &Store{pool: pool}, nil
}

// Close closes the store's pool.
func (s *Store) Close() { s.pool.Close() }

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// wrapErr says what was being done and classifies err as the plan store
// does: no rows is ErrNotFound, a database out of reach layers.ErrUnavailable.
func wrapErr(doing string, err error) error { return postgis.Wrap("records", doing, err) }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return wrapErr("pinging the database", err)
	}
	return nil
}

// inTx runs fn in a transaction and commits it; an error from fn (or a
// panic) rolls everything back, so a refused or failed change writes
// nothing, audit entry included.
func (s *Store) inTx(ctx context.Context, doing string, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return wrapErr("starting "+doing, err)
	}
	// Rolled back even when ctx is cancelled; after Commit a no-op.
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return wrapErr("committing "+doing, err)
	}
	return nil
}

// checkKey refuses a missing, oversized or non-UTF-8 idempotency key.
func checkKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: no idempotency key", ErrInvalidFiling)
	case len(key) > MaxKeyBytes:
		return fmt.Errorf("%w: the idempotency key is longer than %d bytes", ErrInvalidFiling, MaxKeyBytes)
	case !utf8.ValidString(key):
		return fmt.Errorf("%w: the idempotency key is not UTF-8 text", ErrInvalidFiling)
	}
	return nil
}

// Query filters a list of records; the zero Query lists the newest.
type Query struct {
	// State and ParcelID keep only the records with that state or parcel.
	State    string
	ParcelID string
	// Limit caps the records returned: 0 means DefaultLimit, at most
	// MaxLimit.
	Limit int
	// Before continues a list: only records with a smaller id.
	Before int64
}

// The sizes of a list.
const (
	DefaultLimit = 100
	MaxLimit     = 500
)

// check refuses a filter no record could match: text that is not UTF-8
// (the database would refuse it), or a state not in states.
func (q Query) check(states ...string) error {
	switch {
	case !utf8.ValidString(q.ParcelID):
		return &FieldError{Field: "parcel_id", Err: fmt.Errorf("%w: not UTF-8 text", ErrInvalidValue)}
	case q.State != "" && !slices.Contains(states, q.State):
		return &FieldError{Field: "state", Err: fmt.Errorf("%w: %q is not one of %s", ErrInvalidValue, q.State, strings.Join(states, ", "))}
	}
	return nil
}

func (q Query) limit() int {
	if q.Limit <= 0 {
		return DefaultLimit
	}
	return min(q.Limit, MaxLimit)
}

// collect scans every row with scan.
func collect[T any](rows pgx.Rows, doing string, scan func(pgx.Rows) (*T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, wrapErr(doing, err)
		}
		out = append(out, *v)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr(doing, err)
	}
	return out, nil
}

// recordKind is what the shared readers need of one kind of record: how it
// is named in the audit log, scanned and identified.
type recordKind[T any] struct {
	subject func(id int64) string
	// scan reads the record's columns after the extra destinations.
	scan func(row pgx.Row, extra ...any) (*T, error)
	id   func(*T) int64
	// byID selects the record by id ($1), byKey by submitter and key
	// ($1, $2), the document's fingerprint first.
	byID, byKey string
}

// recordSum is the fingerprint of what a record never changes after it is
// made (see the *Fingerprint SQL in audit.go, which the insert returns),
// kept in the audit entry that made it, so Verify notices an edit of any
// of it.
type recordSum struct {
	RecordSHA256 string `json:"record_sha256"`
}

func (r *recordSum) setRecordSHA(sum string) { r.RecordSHA256 = sum }

// fingerprinted is an audit detail carrying a recordSum.
type fingerprinted interface{ setRecordSHA(string) }

// get reads the record with the id by query.
func (k recordKind[T]) get(ctx context.Context, q querier, query string, id int64) (*T, error) {
	r, err := k.scan(q.QueryRow(ctx, query, id))
	if err != nil {
		return nil, wrapErr("reading "+k.subject(id), err)
	}
	return r, nil
}

// submission is one idempotent submission: a filing, a case opening.
type submission struct {
	doing string
	by    Actor
	// owner and key are the submission's identity: (owner, key) records
	// once; sum fingerprints the document submitted.
	owner, key string
	sum        []byte
	// insert adds the record ON CONFLICT DO NOTHING RETURNING its id and
	// fingerprint, so a used key returns no row.
	insert func(tx pgx.Tx) pgx.Row
	// action and detail are the audit entry recording it; submit puts
	// the record's fingerprint in the detail.
	action string
	detail fingerprinted
}

// submit records sub once per (owner, key) with its audit entry, and
// returns the record with fresh true; a retry gets the first record back
// with fresh false and records nothing. ON CONFLICT waits for a concurrent
// submission of the same key to commit and then inserts nothing, so exactly
// one of any number of retries records.
func (k recordKind[T]) submit(ctx context.Context, s *Store, sub submission) (rec *T, fresh bool, err error) {
	err = s.inTx(ctx, sub.doing, func(tx pgx.Tx) error {
		var id int64
		var sum string
		err := sub.insert(tx).Scan(&id, &sum)
		if errors.Is(err, pgx.ErrNoRows) {
			rec, err = k.filedBefore(ctx, tx, sub.owner, sub.key, sub.sum)
			return err
		}
		if err != nil {
			return wrapErr(sub.doing, err)
		}
		sub.detail.setRecordSHA(sum)
		if _, err := appendEntry(ctx, tx, sub.by, sub.action, k.subject(id), sub.detail); err != nil {
			return err
		}
		fresh = true
		rec, err = k.get(ctx, tx, k.byID, id)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return rec, fresh, nil
}

// filedBefore reads the record submitted before under (owner, key); a key
// reused for another document (sum) is ErrKeyReused, not the wrong record.
func (k recordKind[T]) filedBefore(ctx context.Context, q querier, owner, key string, sum []byte) (*T, error) {
	var stored []byte
	r, err := k.scan(q.QueryRow(ctx, k.byKey, owner, key), &stored)
	if err != nil {
		return nil, wrapErr("reading what was submitted before under the key", err)
	}
	if !bytes.Equal(stored, sum) {
		return nil, fmt.Errorf("records: submitting under key %q: %w (%s)", key, ErrKeyReused, k.subject(k.id(r)))
	}
	return r, nil
}

// prior returns the record by submitted under key before (ErrNotFound when
// none), for a retry to be answered before its document is checked again:
// a plan or rule pack that changed since must not refuse what was recorded.
// doc is the document sent now; another one under the key is ErrKeyReused.
func (k recordKind[T]) prior(ctx context.Context, s *Store, by Actor, key string, doc []byte) (*T, error) {
	if err := checkKey(key); err != nil {
		return nil, fmt.Errorf("records: looking up a key: %w", err)
	}
	sum := sha256.Sum256(doc)
	return k.filedBefore(ctx, s.pool, by.User, key, sum[:])
}
