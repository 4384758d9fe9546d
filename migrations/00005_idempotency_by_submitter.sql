-- An application's idempotency key belongs to whoever submits it (filed_by),
-- as a case's and a certificate's do: the same client retrying gets its
-- first application back. Scoped by applicant, an engineer filing for a
-- client under the client's key would have been handed the client's
-- application.

-- +goose Up
ALTER TABLE applications DROP CONSTRAINT applications_applicant_idempotency_key_key;
ALTER TABLE applications ADD CONSTRAINT applications_filed_by_idempotency_key_key UNIQUE (filed_by, idempotency_key);

-- +goose Down
ALTER TABLE applications DROP CONSTRAINT applications_filed_by_idempotency_key_key;
ALTER TABLE applications ADD CONSTRAINT applications_applicant_idempotency_key_key UNIQUE (applicant, idempotency_key);
