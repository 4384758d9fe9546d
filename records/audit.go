package records

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The audit log's SQL. lockHead takes the chain's head row for the rest of
// the transaction, so appends are serialised and the chain stays linear;
// it also reads the transaction's clock, the time every entry of the
// transaction carries.
const (
	lockHead    = `SELECT seq, hash, now() FROM audit_head FOR UPDATE`
	insertEntry = `INSERT INTO audit_log (seq, at, actor, role, action, subject, detail, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	moveHead  = `UPDATE audit_head SET seq = $1, hash = $2`
	readChain = `SELECT seq, at, actor, role, action, subject, detail::text, prev_hash, hash FROM audit_log ORDER BY seq`
	readHead  = `SELECT seq, hash FROM audit_head`
	// The fingerprints of what a record never changes after it is made,
	// as SQL over its row (alias r): the entry that made the record keeps
	// it (record_sha256), Verify recomputes it. jsonb columns enter as
	// their canonical text, fields apart by a unit separator. An entry
	// written before fingerprints were kept is compared as it was then (a
	// case's review, a certificate's parcel); its detail cannot be edited
	// to look so without breaking the chain.
	appFingerprint = `encode(sha256(convert_to(concat_ws(chr(31), r.applicant, r.filed_by, r.idempotency_key,
    encode(r.proposal_sha256, 'hex'), coalesce(r.parcel_id, ''), r.reference, r.plan_version_id::text, r.rule_pack,
    r.rule_pack_version, r.proposal::text, r.validation::text), 'UTF8')), 'hex')`
	caseFingerprint = `encode(sha256(convert_to(concat_ws(chr(31), r.opened_by, r.idempotency_key,
    encode(r.document_sha256, 'hex'), coalesce(r.parcel_id, ''), r.reference, r.plan_version_id::text, r.rule_pack,
    r.rule_pack_version, r.document::text, r.review::text), 'UTF8')), 'hex')`
	certFingerprint = `encode(sha256(convert_to(concat_ws(chr(31), r.parcel_id, r.issued_by, r.idempotency_key,
    r.plan::text), 'UTF8')), 'hex')`

	// The record checks set each record beside what the log says of it and
	// yield a row (subject, reason) for each that disagrees: a record the
	// log does not say was made, or whose unchanging part differs from
	// the fingerprint logged when it was made; an application in another
	// state than its last transition reached, or with another permit than
	// the one issued; a case with another decision or closure than the
	// ones logged. checkGone yields what the log says was made but is no
	// longer there.
	checkApplications = `WITH logged AS (
    SELECT r.id, r.state, ` + appFingerprint + ` AS sum,
        coalesce(encode(sha256(convert_to(r.permit::text, 'UTF8')), 'hex'), '') AS permit_sum,
        (SELECT l.detail FROM audit_log l WHERE l.subject = 'application/' || r.id
            AND l.action = '` + ActionFiled + `' LIMIT 1) AS made,
        coalesce((SELECT l.detail->>'to' FROM audit_log l WHERE l.subject = 'application/' || r.id
            AND l.action = '` + ActionTransition + `' ORDER BY l.seq DESC LIMIT 1), 'submitted') AS logged_state,
        coalesce((SELECT l.detail->>'permit_sha256' FROM audit_log l WHERE l.subject = 'application/' || r.id
            AND l.action = '` + ActionTransition + `' AND l.detail->>'to' = 'permit_issued' ORDER BY l.seq DESC LIMIT 1), '') AS logged_permit
    FROM applications r),
checked AS (SELECT *, made IS NOT NULL AND sum <> coalesce(made->>'record_sha256', sum) AS edited FROM logged)
SELECT 'application/' || id, CASE
    WHEN made IS NULL THEN 'its filing is not in the log'
    WHEN edited THEN 'it is not what was filed: applicant, proposal, validation or versions were edited'
    WHEN state <> logged_state THEN format('it is %s but the log last moved it to %s', state, logged_state)
    ELSE 'its permit is not the one the log recorded at issue' END
FROM checked WHERE made IS NULL OR edited OR state <> logged_state OR permit_sum <> logged_permit ORDER BY id`
	checkCases = `WITH logged AS (
    SELECT r.id, ` + caseFingerprint + ` AS sum,
        encode(sha256(convert_to(r.review::text, 'UTF8')), 'hex') AS review_sum,
        coalesce(encode(sha256(convert_to(r.decision::text, 'UTF8')), 'hex'), '') AS decision_sum,
        coalesce(encode(sha256(convert_to(r.closure::text, 'UTF8')), 'hex'), '') AS closure_sum,
        (SELECT l.detail FROM audit_log l WHERE l.subject = 'case/' || r.id
            AND l.action = '` + ActionCaseOpened + `' LIMIT 1) AS made,
        coalesce((SELECT l.detail->>'sha256' FROM audit_log l WHERE l.subject = 'case/' || r.id
            AND l.action = '` + ActionCaseDecided + `' ORDER BY l.seq DESC LIMIT 1), '') AS logged_decision,
        coalesce((SELECT l.detail->>'sha256' FROM audit_log l WHERE l.subject = 'case/' || r.id
            AND l.action = '` + ActionCaseClosed + `' ORDER BY l.seq DESC LIMIT 1), '') AS logged_closure
    FROM violation_cases r),
checked AS (SELECT *, made IS NOT NULL AND CASE WHEN made->>'record_sha256' IS NOT NULL
    THEN sum <> made->>'record_sha256' ELSE review_sum <> made->>'review_sha256' END AS edited FROM logged)
SELECT 'case/' || id, CASE
    WHEN made IS NULL THEN 'its opening is not in the log'
    WHEN edited THEN 'it is not what was opened: parcel, survey or review were edited'
    WHEN decision_sum <> logged_decision THEN 'its decision is not the one the log recorded'
    ELSE 'its closure is not the one the log recorded' END
FROM checked WHERE made IS NULL OR edited OR decision_sum <> logged_decision OR closure_sum <> logged_closure ORDER BY id`
	checkCertificates = `WITH logged AS (
    SELECT r.id, r.parcel_id, ` + certFingerprint + ` AS sum,
        (SELECT l.detail FROM audit_log l WHERE l.subject = 'certificate/' || r.id
            AND l.action = '` + ActionCertificateIssued + `' LIMIT 1) AS made
    FROM certificates r),
checked AS (SELECT *, made IS NOT NULL AND CASE WHEN made->>'record_sha256' IS NOT NULL
    THEN sum <> made->>'record_sha256' ELSE parcel_id <> made->>'parcel_id' END AS edited FROM logged)
SELECT 'certificate/' || id, CASE WHEN made IS NULL THEN 'its issue is not in the log'
    ELSE 'it is not what was issued: parcel, issuer or plan were edited' END
FROM checked WHERE made IS NULL OR edited ORDER BY id`
	// subjectID is an entry's subject's id ("case/7" → 7), NULL when the
	// subject is none of ours, so its record is looked up by primary key.
	subjectID = `(CASE WHEN split_part(l.subject, '/', 2) ~ '^[0-9]{1,18}$' THEN split_part(l.subject, '/', 2)::bigint END)`
	checkGone = `SELECT l.subject, 'the log records it, but it is gone' FROM audit_log l
WHERE (l.action = '` + ActionFiled + `' AND NOT EXISTS (SELECT FROM applications r WHERE r.id = ` + subjectID + `))
    OR (l.action = '` + ActionCaseOpened + `' AND NOT EXISTS (SELECT FROM violation_cases r WHERE r.id = ` + subjectID + `))
    OR (l.action = '` + ActionCertificateIssued + `' AND NOT EXISTS (SELECT FROM certificates r WHERE r.id = ` + subjectID + `))
ORDER BY l.seq`
	readTrail = `SELECT seq, at, actor, role, action, subject, detail::text, prev_hash, hash FROM audit_log WHERE subject = $1 ORDER BY seq`
)

// Entry is one line of the audit log: who did what to which subject, when,
// with the details, chained to the entry before it.
type Entry struct {
	Seq     int64           `json:"seq"`
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor"`
	Role    Role            `json:"role"`
	Action  string          `json:"action"`
	Subject string          `json:"subject"` // "application/17"
	Detail  json.RawMessage `json:"detail"`
	// PrevHash is the previous entry's Hash (32 zero bytes for the first);
	// Hash is the SHA-256 of the entry's canonical content (canonical).
	PrevHash Hash `json:"prev_hash"`
	Hash     Hash `json:"hash"`
}

// Hash is a SHA-256, written in JSON in hex as audit verify prints it.
type Hash []byte

// MarshalJSON writes the hash as a hex string.
func (h Hash) MarshalJSON() ([]byte, error) { return json.Marshal(hex.EncodeToString(h)) }

// UnmarshalJSON reads a hex string.
func (h *Hash) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	b, err := hex.DecodeString(s)
	*h = b
	return err
}

// Actions recorded in the audit log.
const (
	ActionFiled      = "application.filed"
	ActionTransition = "application.transition"
)

// canonical is the exact byte string an entry's hash covers: a JSON array
// of a version tag and every field but the hash itself, the time in UTC to
// the microsecond (PostgreSQL's precision). Changing it breaks every
// existing chain, hence the tag.
func (e *Entry) canonical() ([]byte, error) {
	return json.Marshal([]any{
		"parvaneh-audit/1", e.Seq, e.At.UTC().Format("2006-01-02T15:04:05.000000Z"),
		e.Actor, e.Role, e.Action, e.Subject, e.Detail, hex.EncodeToString(e.PrevHash),
	})
}

func (e *Entry) computeHash() ([]byte, error) {
	c, err := e.canonical()
	if err != nil {
		return nil, fmt.Errorf("encoding audit entry %d: %w", e.Seq, err)
	}
	h := sha256.Sum256(c)
	return h[:], nil
}

// appendEntry appends an entry to the audit log inside tx, the transaction
// making the change it records: both commit or neither does. detail is
// encoded to JSON. It returns the transaction's time.
func appendEntry(ctx context.Context, tx pgx.Tx, by Actor, action, subject string, detail any) (time.Time, error) {
	d, err := json.Marshal(detail)
	if err != nil {
		return time.Time{}, fmt.Errorf("encoding the audit detail of %s: %w", subject, err)
	}
	var e Entry
	if err := tx.QueryRow(ctx, lockHead).Scan(&e.Seq, &e.PrevHash, &e.At); err != nil {
		return time.Time{}, wrapErr("locking the audit log", err)
	}
	e.Seq++
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.Actor, e.Role, e.Action, e.Subject, e.Detail = by.User, by.Role, action, subject, d
	if e.Hash, err = e.computeHash(); err != nil {
		return time.Time{}, err
	}
	if _, err := tx.Exec(ctx, insertEntry, e.Seq, e.At, e.Actor, string(e.Role), e.Action, e.Subject, string(e.Detail), e.PrevHash, e.Hash); err != nil {
		return time.Time{}, wrapErr("appending to the audit log", err)
	}
	if _, err := tx.Exec(ctx, moveHead, e.Seq, e.Hash); err != nil {
		return time.Time{}, wrapErr("moving the audit log's head", err)
	}
	return e.At, nil
}

// VerifyReport is the result of walking the audit chain.
type VerifyReport struct {
	// Entries counts the entries read; Head is the hash of the last one
	// (hex), worth keeping outside the database: a chain rewritten from
	// some entry on verifies again, but ends at another head.
	Entries int    `json:"entries"`
	Head    string `json:"head"`
	// OK is true when no problem was found.
	OK       bool         `json:"ok"`
	Problems []ChainBreak `json:"problems,omitempty"`
}

// ChainBreak is one place where the chain does not hold: an entry (Seq),
// or a record that disagrees with the log (Subject, Seq 0).
type ChainBreak struct {
	Seq     int64  `json:"seq,omitempty"`
	Subject string `json:"subject,omitempty"`
	Reason  string `json:"reason"`
}

// maxBreaks bounds the problems a report lists: after a deleted entry every
// later one may fail, and the first few say enough.
const maxBreaks = 100

// Verify walks the audit log in order and checks every entry: its hash is
// that of its content (an edited entry), its seq follows the previous one
// (a deleted or inserted entry), its prev_hash is the previous entry's hash
// (a removed or reordered entry), and the last entry is the head (a removed
// tail). Then every record must agree with the log and the log with the
// records (checkApplications, checkCases, checkCertificates, checkGone): a
// record edited or deleted behind the store's back.
// A broken chain is a report with OK false, not an error; the error is for
// a log that could not be read.
func (s *Store) Verify(ctx context.Context) (VerifyReport, error) {
	var r VerifyReport
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return r, wrapErr("starting to verify the audit log", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read only

	// One snapshot for the chain and the head: appends in flight are
	// either wholly in it or not at all.
	var headSeq int64
	var headHash []byte
	if err := tx.QueryRow(ctx, readHead).Scan(&headSeq, &headHash); err != nil {
		return r, wrapErr("reading the audit log's head", err)
	}
	problem := func(seq int64, format string, args ...any) {
		if len(r.Problems) < maxBreaks {
			r.Problems = append(r.Problems, ChainBreak{Seq: seq, Reason: fmt.Sprintf(format, args...)})
		}
	}
	rows, err := tx.Query(ctx, readChain)
	if err != nil {
		return r, wrapErr("reading the audit log", err)
	}
	prevSeq, prevHash := int64(0), make([]byte, sha256.Size)
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return r, err
		}
		r.Entries++
		if e.Seq != prevSeq+1 {
			problem(e.Seq, "follows entry %d: entries %d–%d are missing", prevSeq, prevSeq+1, e.Seq-1)
		}
		if !bytes.Equal(e.PrevHash, prevHash) {
			problem(e.Seq, "its previous hash is not entry %d's hash: an entry was removed, inserted or reordered", prevSeq)
		}
		h, err := e.computeHash()
		if err != nil {
			return r, err
		}
		if !bytes.Equal(h, e.Hash) {
			problem(e.Seq, "its content does not match its hash: the entry was edited")
		}
		prevSeq, prevHash = e.Seq, e.Hash
	}
	if err := rows.Err(); err != nil {
		return r, wrapErr("reading the audit log", err)
	}
	if prevSeq != headSeq || !bytes.Equal(prevHash, headHash) {
		problem(prevSeq, "the log ends at entry %d but its head is entry %d: entries were removed from the end or the head was moved", prevSeq, headSeq)
	}
	r.Head = hex.EncodeToString(prevHash)
	if err := checkRecords(ctx, tx, &r); err != nil {
		return r, err
	}
	r.OK = len(r.Problems) == 0
	return r, nil
}

// checkRecords adds to r every record that disagrees with the log.
func checkRecords(ctx context.Context, tx pgx.Tx, r *VerifyReport) error {
	for _, query := range []string{checkApplications, checkCases, checkCertificates, checkGone} {
		rows, err := tx.Query(ctx, query)
		if err != nil {
			return wrapErr("comparing the records with the audit log", err)
		}
		breaks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ChainBreak, error) {
			var b ChainBreak
			err := row.Scan(&b.Subject, &b.Reason)
			return b, err
		})
		if err != nil {
			return wrapErr("comparing the records with the audit log", err)
		}
		for _, b := range breaks {
			if len(r.Problems) < maxBreaks {
				r.Problems = append(r.Problems, b)
			}
		}
	}
	return nil
}

// Trail returns the audit entries about one subject ("application/17"),
// oldest first.
func (s *Store) Trail(ctx context.Context, subject string) ([]Entry, error) {
	doing := "reading the audit trail of " + subject
	rows, err := s.pool.Query(ctx, readTrail, subject)
	if err != nil {
		return nil, wrapErr(doing, err)
	}
	return collect(rows, doing, func(r pgx.Rows) (*Entry, error) {
		e, err := scanEntry(r)
		return &e, err
	})
}

func scanEntry(rows pgx.Rows) (Entry, error) {
	var e Entry
	var role, detail string
	if err := rows.Scan(&e.Seq, &e.At, &e.Actor, &role, &e.Action, &e.Subject, &detail, &e.PrevHash, &e.Hash); err != nil {
		return e, wrapErr("reading an audit entry", err)
	}
	e.Role, e.Detail, e.At = Role(role), json.RawMessage(detail), e.At.UTC()
	return e, nil
}
