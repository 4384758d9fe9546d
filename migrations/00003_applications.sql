-- Permit applications and the audit log (package applications).
--
-- An application is filed once per (applicant, idempotency_key): a retried
-- request meets the unique constraint and gets the first application back.
-- It keeps the proposal, the validation report and the versions of plan and
-- rule pack it was checked against as filed; the permit, once issued, is a
-- frozen copy of its figures and dues (permit), never recomputed. There is no
-- foreign key to plan_versions: the record must outlive any plan version.
--
-- audit_log is append-only and hash-chained: each entry stores the SHA-256
-- of its canonical content, which includes the previous entry's hash.
-- audit_head is the chain's one-row head; appenders lock it (FOR UPDATE) so
-- the chain stays linear, and it lets Verify notice a deleted last entry.
-- audit_log.detail and applications.permit are json, not jsonb: a hash
-- covers their exact text (an issued permit's is in its audit entry).

-- +goose Up
CREATE TABLE applications (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    applicant        text NOT NULL CHECK (applicant <> ''),
    filed_by         text NOT NULL CHECK (filed_by <> ''),
    idempotency_key  text NOT NULL CHECK (idempotency_key <> ''),
    -- SHA-256 of the proposal document: a key reused for another proposal
    -- is refused rather than answered with the wrong application.
    proposal_sha256  bytea NOT NULL,
    parcel_id        text COLLATE "C",
    reference        text NOT NULL DEFAULT '',
    plan_version_id  bigint NOT NULL,
    rule_pack        text NOT NULL,
    rule_pack_version text NOT NULL,
    proposal         jsonb NOT NULL,
    validation       jsonb NOT NULL,
    state            text NOT NULL CHECK (state IN ('submitted', 'under_review', 'approved',
                         'rejected', 'permit_issued', 'completion_certificate')),
    permit           json,
    filed_at         timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    UNIQUE (applicant, idempotency_key),
    -- an issued permit has its frozen figures; nothing else has any
    CHECK ((state IN ('permit_issued', 'completion_certificate')) = (permit IS NOT NULL))
);
CREATE INDEX applications_state_idx ON applications (state, id);
CREATE INDEX applications_parcel_idx ON applications (parcel_id);

CREATE TABLE audit_log (
    seq       bigint PRIMARY KEY CHECK (seq > 0),
    at        timestamptz NOT NULL,
    actor     text NOT NULL,
    role      text NOT NULL,
    action    text NOT NULL,
    subject   text COLLATE "C" NOT NULL,
    detail    json NOT NULL,
    prev_hash bytea NOT NULL,
    hash      bytea NOT NULL UNIQUE
);
CREATE INDEX audit_log_subject_idx ON audit_log (subject, seq);

CREATE TABLE audit_head (
    one  boolean PRIMARY KEY DEFAULT true CHECK (one),
    seq  bigint NOT NULL,
    hash bytea NOT NULL
);
-- The genesis: seq 0 and 32 zero bytes, the prev_hash of the first entry.
INSERT INTO audit_head (seq, hash) VALUES (0, decode(repeat('00', 32), 'hex'));

-- +goose Down
DROP TABLE audit_head;
DROP TABLE audit_log;
DROP TABLE applications;
