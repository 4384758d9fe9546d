-- Article 100 violation cases and certificates of no violation (package
-- records).
--
-- A case is opened once per (opened_by, idempotency_key), like an
-- application. It keeps the case document as submitted and the review
-- Parvaneh made of it at opening (json, not jsonb: the audit log holds the
-- review's SHA-256, which covers its exact text), then the commission's
-- decision and the closure, each frozen once written. The state follows
-- from them, and the checks below keep the three consistent.
--
-- A certificate of no violation (گواهی عدم خلافی) names a parcel that had no
-- open or decided case when it was issued, and the plan version it was
-- issued under.

-- +goose Up
CREATE TABLE violation_cases (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    opened_by         text NOT NULL CHECK (opened_by <> ''),
    idempotency_key   text NOT NULL CHECK (idempotency_key <> ''),
    -- SHA-256 of the case document: a key reused for another case is
    -- refused rather than answered with the wrong case.
    document_sha256   bytea NOT NULL,
    parcel_id         text COLLATE "C",
    reference         text NOT NULL DEFAULT '',
    plan_version_id   bigint NOT NULL,
    rule_pack         text NOT NULL,
    rule_pack_version text NOT NULL,
    document          jsonb NOT NULL,
    review            json NOT NULL,
    state             text NOT NULL CHECK (state IN ('open', 'decided', 'closed')),
    decision          json,
    closure           json,
    opened_at         timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    UNIQUE (opened_by, idempotency_key),
    CHECK ((state = 'open') = (decision IS NULL)),
    CHECK ((state = 'closed') = (closure IS NOT NULL))
);
CREATE INDEX violation_cases_state_idx ON violation_cases (state, id);
CREATE INDEX violation_cases_parcel_idx ON violation_cases (parcel_id, state);

CREATE TABLE certificates (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parcel_id       text COLLATE "C" NOT NULL CHECK (parcel_id <> ''),
    issued_by       text NOT NULL CHECK (issued_by <> ''),
    idempotency_key text NOT NULL CHECK (idempotency_key <> ''),
    plan            json NOT NULL,
    issued_at       timestamptz NOT NULL,
    UNIQUE (issued_by, idempotency_key)
);
CREATE INDEX certificates_parcel_idx ON certificates (parcel_id, id);

-- +goose Down
DROP TABLE certificates;
DROP TABLE violation_cases;
