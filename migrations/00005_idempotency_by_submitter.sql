-- An application's idempotency key belongs to whoever submits it (filed_by),
-- as a case's and a certificate's do: the same client retrying gets its
-- first application back. Scoped by applicant, an engineer filing for a
-- client under the client's key would have been handed the client's
-- application.
--
-- The old scope allowed one engineer the same key for two clients; all but
-- the first of such filings get the client's name appended to their key
-- (key/client), so the new constraint holds and no filing is lost. Down does
-- the mirror for one applicant's key used by two filers.

-- +goose Up
UPDATE applications a SET idempotency_key = a.idempotency_key || '/' || a.applicant
WHERE EXISTS (SELECT FROM applications b
    WHERE b.filed_by = a.filed_by AND b.idempotency_key = a.idempotency_key AND b.id < a.id);
ALTER TABLE applications DROP CONSTRAINT applications_applicant_idempotency_key_key;
ALTER TABLE applications ADD CONSTRAINT applications_filed_by_idempotency_key_key UNIQUE (filed_by, idempotency_key);

-- +goose Down
UPDATE applications a SET idempotency_key = a.idempotency_key || '/' || a.filed_by
WHERE EXISTS (SELECT FROM applications b
    WHERE b.applicant = a.applicant AND b.idempotency_key = a.idempotency_key AND b.id < a.id);
ALTER TABLE applications DROP CONSTRAINT applications_filed_by_idempotency_key_key;
ALTER TABLE applications ADD CONSTRAINT applications_applicant_idempotency_key_key UNIQUE (applicant, idempotency_key);
