// Package records is the permit office's durable record in PostGIS: permit
// applications (applications.go), Article 100 violation cases with the
// commission's decisions (cases.go) and certificates of no violation
// (certificates.go).
//
// An applicant (or an engineer for a client) files a validated proposal and
// staff move it through its states (transitions.go, the one table of who may
// do what); an issued permit freezes its figures, dues and the versions of
// plan and rule pack it was checked against. Staff open a case with the
// as-built survey and its review, the commission records its decision, and
// staff close the case once the decision is carried out.
//
// Every filing, state change and decision is appended, in the same
// transaction, to a hash-chained audit log (audit.go) that Verify checks, so
// no decision can be quietly rewritten or removed. Submissions carry an
// idempotency key: a retried request gets the first record back and records
// nothing new. The SQL is kept in this package's constants, in plain sight.
package records
