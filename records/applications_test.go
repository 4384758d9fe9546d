package records_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parvaneh/parvaneh/examples"
	"github.com/parvaneh/parvaneh/internal/pgtest"
	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/layers/memstore"
	"github.com/parvaneh/parvaneh/permits"
	"github.com/parvaneh/parvaneh/records"
	"github.com/parvaneh/parvaneh/rules"
)

// The actors of the tests.
var (
	ali      = records.Actor{User: "ali", Role: records.RoleApplicant}
	sara     = records.Actor{User: "sara", Role: records.RoleApplicant}
	engineer = records.Actor{User: "eng-reza", Role: records.RoleEngineer}
	staff    = records.Actor{User: "staff-mina", Role: records.RoleStaff}
	member   = records.Actor{User: "member-hasan", Role: records.RoleCommission}
	admin    = records.Actor{User: "admin", Role: records.RoleAdmin}
	everyone = []records.Actor{ali, engineer, staff, member, admin}
)

// proposalFile is a shipped example proposal that passes its validation.
var proposalFile = filepath.Join("..", "examples", "proposals", "widened-r112-three-storeys.json")

// sample is a proposal document and its validation.
type sample struct {
	doc []byte
	rep *permits.Validation
}

// sampleService answers for the sample city from the embedded store, once
// for the whole test binary: real validations and reviews, as the API
// records them.
var sampleService = sync.OnceValues(func() (*permits.Service, error) {
	ctx := context.Background()
	b, err := layers.ReadBundle(examples.Nemuneh())
	if err != nil {
		return nil, err
	}
	st := memstore.New()
	v, err := st.Import(ctx, b)
	if err != nil {
		return nil, err
	}
	pack, err := rules.Bundled("nemuneh")
	if err != nil {
		return nil, err
	}
	return permits.NewService(st, permits.PackSet{"nemuneh": pack}, v.Municipality,
		func() time.Time { return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) }), nil
})

// validated reads the example proposal and validates it.
var validated = sync.OnceValues(func() (sample, error) {
	svc, err := sampleService()
	if err != nil {
		return sample{}, err
	}
	doc, err := os.ReadFile(proposalFile)
	if err != nil {
		return sample{}, err
	}
	p, err := permits.ParseProposal(doc)
	if err != nil {
		return sample{}, err
	}
	rep, err := svc.Validate(context.Background(), p)
	if err != nil {
		return sample{}, err
	}
	if !rep.Passed {
		return sample{}, fmt.Errorf("%s does not pass its validation", proposalFile)
	}
	return sample{doc, rep}, nil
})

// filing is a filing of the example proposal under key.
func filing(t *testing.T, applicant, key string) records.Filing {
	t.Helper()
	s, err := validated()
	if err != nil {
		t.Fatal(err)
	}
	return records.Filing{Applicant: applicant, IdempotencyKey: key, Proposal: s.doc, Validation: s.rep}
}

// newStore returns a store on a fresh database and a pool to inspect it.
func newStore(t *testing.T) (*records.Store, *pgxpool.Pool) {
	t.Helper()
	pool, err := pgxpool.New(t.Context(), pgtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return records.New(pool), pool
}

func count(t *testing.T, pool *pgxpool.Pool, query string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// sameJSON compares what a and b encode to, as JSON values: a stored
// report reads back with maps where it had structs, so neither DeepEqual
// nor the bytes would do.
func sameJSON(t *testing.T, a, b any) bool {
	t.Helper()
	var va, vb any
	for _, c := range []struct {
		from any
		to   *any
	}{{a, &va}, {b, &vb}} {
		j, err := json.Marshal(c.from)
		if err == nil {
			err = json.Unmarshal(j, c.to)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return reflect.DeepEqual(va, vb)
}

func mustFile(t *testing.T, st *records.Store, by records.Actor, f records.Filing) *records.Application {
	t.Helper()
	app, filed, err := st.File(t.Context(), by, f)
	if err != nil || !filed {
		t.Fatalf("filing %q: filed %v, %v", f.IdempotencyKey, filed, err)
	}
	return app
}

func mustMove(t *testing.T, st *records.Store, id int64, by records.Actor, to records.State, reason string) *records.Application {
	t.Helper()
	app, err := st.Transition(t.Context(), id, by, to, reason)
	if err != nil {
		t.Fatalf("moving application %d to %s: %v", id, to, err)
	}
	if app.State != to {
		t.Fatalf("application %d is %s, want %s", id, app.State, to)
	}
	return app
}

func mustVerify(t *testing.T, st *records.Store, entries int) {
	t.Helper()
	rep, err := st.Verify(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Entries != entries {
		t.Fatalf("verify: ok %v, %d entries (want %d), problems %v", rep.OK, rep.Entries, entries, rep.Problems)
	}
}

// TestLifeCycle files an application and takes it to its completion
// certificate: every step is recorded with who, when and why, the permit
// freezes the figures and dues of the validation, and the chain verifies.
func TestLifeCycle(t *testing.T) {
	st, _ := newStore(t)
	ctx := t.Context()
	f := filing(t, "", "key-1")
	app := mustFile(t, st, ali, f)
	if app.State != records.Submitted || app.Applicant != "ali" || app.FiledBy != "ali" || app.ParcelID != "103/2" {
		t.Fatalf("filed %+v", app)
	}
	if !sameJSON(t, app.Validation, f.Validation) {
		t.Error("the stored validation differs from the one filed")
	}
	steps := []struct {
		to     records.State
		reason string
	}{
		{records.UnderReview, ""},
		{records.Approved, "conforms to the detailed plan"},
		{records.PermitIssued, ""},
		{records.CompletionCertificate, "built as permitted"},
	}
	for _, s := range steps {
		app = mustMove(t, st, app.ID, staff, s.to, s.reason)
	}
	p := app.Permit
	if p == nil {
		t.Fatal("no permit after completion")
	}
	v := f.Validation
	if p.IssuedBy != staff.User || p.Plan != v.Plan || p.RulePack != v.RulePack ||
		!sameJSON(t, p.Figures, v.Figures) || !sameJSON(t, p.Checks, v.Checks) || !sameJSON(t, p.Dues, v.Dues) ||
		p.DuesTotal == nil || v.DuesTotal == nil || *p.DuesTotal != *v.DuesTotal {
		t.Errorf("the permit is not the validation frozen: %+v", p)
	}

	trail, err := st.Trail(ctx, fmt.Sprintf("application/%d", app.ID))
	if err != nil {
		t.Fatal(err)
	}
	if len(trail) != 1+len(steps) || trail[0].Action != records.ActionFiled || trail[0].Actor != "ali" {
		t.Fatalf("trail %+v", trail)
	}
	from := records.Submitted
	for i, s := range steps {
		e := trail[i+1]
		var d struct{ From, To, Reason string }
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			t.Fatal(err)
		}
		if e.Actor != staff.User || e.Role != staff.Role || d.From != string(from) || d.To != string(s.to) || d.Reason != s.reason || e.At.IsZero() {
			t.Errorf("entry %d: %+v %+v", i+1, e, d)
		}
		from = s.to
	}
	if !p.IssuedAt.Equal(trail[3].At) {
		t.Errorf("permit issued at %v, its entry at %v", p.IssuedAt, trail[3].At)
	}
	mustVerify(t, st, 1+len(steps))

	// A refusal ends the other path.
	other := mustFile(t, st, engineer, filing(t, "sara", "key-2"))
	mustMove(t, st, other.ID, staff, records.UnderReview, "")
	mustMove(t, st, other.ID, staff, records.Rejected, "parking ramp too steep")
	mustVerify(t, st, 1+len(steps)+3)
}

// TestGet: staff and commission see every application, an applicant their
// own, an engineer those they filed or that were filed for them; another's
// is not found.
func TestGet(t *testing.T) {
	st, _ := newStore(t)
	mine := mustFile(t, st, engineer, filing(t, "ali", "k"))
	cases := []struct {
		by   records.Actor
		sees bool
	}{
		{ali, true}, {sara, false}, {engineer, true},
		{records.Actor{User: "eng-other", Role: records.RoleEngineer}, false},
		{staff, true}, {member, true}, {admin, false},
	}
	for _, c := range cases {
		app, err := st.Get(t.Context(), c.by, mine.ID)
		switch {
		case c.sees && (err != nil || app.ID != mine.ID):
			t.Errorf("%s (%s): %v", c.by.User, c.by.Role, err)
		case !c.sees && !errors.Is(err, records.ErrNotFound):
			t.Errorf("%s (%s) reads another's application: %v", c.by.User, c.by.Role, err)
		}
	}
	if _, err := st.Get(t.Context(), staff, 999); !errors.Is(err, records.ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
}

// allowed is the transition table as the issue states it, written here
// independently of the package's: the moves staff may make.
var allowed = map[[2]records.State]records.Role{
	{records.Submitted, records.UnderReview}:              records.RoleStaff,
	{records.UnderReview, records.Approved}:               records.RoleStaff,
	{records.UnderReview, records.Rejected}:               records.RoleStaff,
	{records.Approved, records.PermitIssued}:              records.RoleStaff,
	{records.PermitIssued, records.CompletionCertificate}: records.RoleStaff,
}

var states = []records.State{
	records.Submitted, records.UnderReview, records.Approved,
	records.Rejected, records.PermitIssued, records.CompletionCertificate,
}

// pathTo is the way from Submitted to each state.
var pathTo = map[records.State][]records.State{
	records.Submitted:             nil,
	records.UnderReview:           {records.UnderReview},
	records.Approved:              {records.UnderReview, records.Approved},
	records.Rejected:              {records.UnderReview, records.Rejected},
	records.PermitIssued:          {records.UnderReview, records.Approved, records.PermitIssued},
	records.CompletionCertificate: {records.UnderReview, records.Approved, records.PermitIssued, records.CompletionCertificate},
}

// TestTransitionsRefused tries every move from every state by every role:
// a move not in the table is ErrBadTransition, one by the wrong role
// ErrForbidden, and a refusal changes nothing and appends nothing.
func TestTransitionsRefused(t *testing.T) {
	st, pool := newStore(t)
	ids := map[records.State]int64{}
	for _, s := range states {
		app := mustFile(t, st, ali, filing(t, "", "at-"+string(s)))
		for _, to := range pathTo[s] {
			mustMove(t, st, app.ID, staff, to, "because")
		}
		ids[s] = app.ID
	}
	entries := count(t, pool, "SELECT count(*) FROM audit_log")
	for _, from := range states {
		for _, to := range append(states, "demolished") {
			for _, by := range everyone {
				role, ok := allowed[[2]records.State{from, to}]
				want := records.ErrBadTransition
				switch {
				case !to.Valid():
					want = records.ErrInvalidValue
				case ok && by.Role == role:
					continue // allowed: TestLifeCycle makes it
				case ok:
					want = records.ErrForbidden
				}
				_, err := st.Transition(t.Context(), ids[from], by, to, "a reason")
				if !errors.Is(err, want) {
					t.Errorf("%s → %s by %s: %v, want %v", from, to, by.Role, err, want)
				}
			}
		}
	}
	// A refusal needs its reason.
	if _, err := st.Transition(t.Context(), ids[records.UnderReview], staff, records.Rejected, " "); !errors.Is(err, records.ErrReasonRequired) {
		t.Errorf("rejected without a reason: %v", err)
	}
	if _, err := st.Transition(t.Context(), 999, staff, records.UnderReview, ""); !errors.Is(err, records.ErrNotFound) {
		t.Errorf("unknown application: %v", err)
	}
	for s, id := range ids {
		app, err := st.Get(t.Context(), staff, id)
		if err != nil || app.State != s {
			t.Errorf("application %d: %v, state %v, want %s", id, err, app, s)
		}
	}
	if n := count(t, pool, "SELECT count(*) FROM audit_log"); n != entries {
		t.Errorf("refusals appended %d audit entries", n-entries)
	}
	mustVerify(t, st, entries)
}

// TestFileRefused: who may not file, and filings that are incomplete or
// inconsistent.
func TestFileRefused(t *testing.T) {
	st, pool := newStore(t)
	failedV := *filing(t, "", "x").Validation
	failedV.Passed, failedV.Failed = false, 1
	otherV := *filing(t, "", "x").Validation
	otherV.Reference = "another plan"
	cases := []struct {
		name string
		by   records.Actor
		f    records.Filing
		want error
	}{
		{"staff", staff, filing(t, "ali", "k"), records.ErrForbidden},
		{"commission", member, filing(t, "ali", "k"), records.ErrForbidden},
		{"admin", admin, filing(t, "ali", "k"), records.ErrForbidden},
		{"for another applicant", ali, filing(t, "sara", "k"), records.ErrForbidden},
		{"engineer without a client", engineer, filing(t, "", "k"), records.ErrInvalidFiling},
		{"no key", ali, filing(t, "", ""), records.ErrInvalidFiling},
		{"no validation", ali, records.Filing{IdempotencyKey: "k", Proposal: filing(t, "", "k").Proposal}, records.ErrInvalidFiling},
		{"failed validation", ali, records.Filing{IdempotencyKey: "k", Proposal: filing(t, "", "k").Proposal, Validation: &failedV}, records.ErrInvalidFiling},
		{"validation of another proposal", ali, records.Filing{IdempotencyKey: "k", Proposal: filing(t, "", "k").Proposal, Validation: &otherV}, records.ErrInvalidFiling},
		{"not a proposal", ali, records.Filing{IdempotencyKey: "k", Proposal: []byte(`{"parcel_id": 7}`), Validation: filing(t, "", "k").Validation}, records.ErrInvalidFiling},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, _, err := st.File(t.Context(), c.by, c.f); !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
		})
	}
	if n := count(t, pool, "SELECT count(*) FROM applications") + count(t, pool, "SELECT count(*) FROM audit_log"); n != 0 {
		t.Errorf("refused filings left %d rows", n)
	}
}

// TestFileIdempotent: a retried filing, one after the other or 20 at once,
// files once and answers every retry with the first application; the key
// reused for another proposal is refused; another applicant's same key is
// theirs.
func TestFileIdempotent(t *testing.T) {
	st, pool := newStore(t)
	first := mustFile(t, st, ali, filing(t, "", "retry"))
	again, filed, err := st.File(t.Context(), ali, filing(t, "", "retry"))
	if err != nil || filed || again.ID != first.ID {
		t.Fatalf("retry: filed %v, id %v (first %d), %v", filed, again, first.ID, err)
	}

	const n = 20
	type result struct {
		id    int64
		filed bool
		err   error
	}
	results := make(chan result, n)
	start := make(chan struct{})
	burst := filing(t, "sara", "burst") // here: t.Fatal must not run in the goroutines
	for range n {
		go func() {
			<-start
			app, filed, err := st.File(context.Background(), engineer, burst)
			r := result{filed: filed, err: err}
			if app != nil {
				r.id = app.ID
			}
			results <- r
		}()
	}
	close(start)
	var ids []int64
	filedCount := 0
	for range n {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		ids = append(ids, r.id)
		if r.filed {
			filedCount++
		}
	}
	if filedCount != 1 {
		t.Errorf("%d of %d concurrent retries filed, want 1", filedCount, n)
	}
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("concurrent retries got applications %v", ids)
		}
	}

	// The key is its submitter's: another applicant's "retry" files anew,
	// and so does an engineer filing for ali under ali's key — who must not
	// be handed ali's application.
	mustFile(t, st, sara, filing(t, "", "retry"))
	forAli := mustFile(t, st, engineer, filing(t, "ali", "retry"))
	if forAli.ID == first.ID || forAli.FiledBy != engineer.User {
		t.Errorf("an engineer's filing under ali's key: %+v", forAli)
	}
	// The engineer's key, sent again for another client, is not ali's
	// application handed over.
	if _, _, err := st.File(t.Context(), engineer, filing(t, "sara", "retry")); !errors.Is(err, records.ErrKeyReused) {
		t.Errorf("the engineer's key for another client: %v", err)
	}
	doc := filing(t, "", "").Proposal
	for _, tc := range []struct {
		by             records.Actor
		key, applicant string
		want           error
		id             int64
	}{
		{engineer, "retry", "ali", nil, forAli.ID},
		{engineer, "retry", "sara", records.ErrKeyReused, 0},
		{ali, "retry", "", nil, first.ID},
		{ali, "retry", "bob", records.ErrForbidden, 0},
		{ali, "never-used", "", records.ErrNotFound, 0},
		{staff, "retry", "ali", records.ErrForbidden, 0},
	} {
		app, err := st.PriorFiling(t.Context(), tc.by, tc.key, tc.applicant, doc)
		switch {
		case !errors.Is(err, tc.want) || (tc.want == nil && err != nil):
			t.Errorf("PriorFiling(%s, %s, %q): %v, want %v", tc.by.User, tc.key, tc.applicant, err, tc.want)
		case tc.want == nil && app.ID != tc.id:
			t.Errorf("PriorFiling(%s, %s, %q): application %d, want %d", tc.by.User, tc.key, tc.applicant, app.ID, tc.id)
		}
	}

	// The same key for another proposal is refused.
	s, _ := validated()
	doc, rep := s.doc, s.rep
	other := *rep
	other.Reference = "PR-other"
	otherDoc := bytes.Replace(doc, []byte(rep.Reference), []byte(other.Reference), 1)
	if _, _, err := st.File(t.Context(), ali, records.Filing{IdempotencyKey: "retry", Proposal: otherDoc, Validation: &other}); !errors.Is(err, records.ErrKeyReused) {
		t.Errorf("key reused for another proposal: %v", err)
	}

	if got := count(t, pool, "SELECT count(*) FROM applications"); got != 4 {
		t.Errorf("%d applications, want 4", got)
	}
	mustVerify(t, st, 4)
}

// tamperings each alter the audit log behind the store's back.
var tamperings = []struct {
	name string
	sql  []string
}{
	{"edited detail", []string{`UPDATE audit_log SET detail = '{"from":"submitted","to":"approved"}' WHERE seq = 2`}},
	{"edited actor", []string{`UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3`}},
	{"edited time", []string{`UPDATE audit_log SET at = at - interval '1 day' WHERE seq = 1`}},
	{"deleted entry", []string{`DELETE FROM audit_log WHERE seq = 2`}},
	{"deleted last entry", []string{`DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)`}},
	{"inserted entry", []string{`INSERT INTO audit_log
SELECT 6, at, actor, role, action, subject, detail, hash, sha256(hash) FROM audit_log WHERE seq = 5`}},
	{"application's state edited", []string{`UPDATE applications SET state = 'permit_issued'`}},
	{"application deleted", []string{`DELETE FROM applications`}},
	{"applicant changed", []string{`UPDATE applications SET applicant = 'mallory'`}},
	{"validation edited", []string{`UPDATE applications SET validation = jsonb_set(validation, '{dues_total_rial}', '1')`}},
	{"proposal edited", []string{`UPDATE applications SET proposal = jsonb_set(proposal, '{reference}', '"forged"')`}},
	{"permit edited", []string{`UPDATE applications SET permit = '{"dues_total_rial": 1}'`}},
	{"application inserted", []string{`INSERT INTO applications (applicant, filed_by, idempotency_key, proposal_sha256,
    plan_version_id, rule_pack, rule_pack_version, proposal, validation, state, filed_at, updated_at)
SELECT 'forged', filed_by, 'forged', proposal_sha256, plan_version_id, rule_pack, rule_pack_version,
    proposal, validation, 'submitted', filed_at, updated_at FROM applications`}},
	{"reordered entries", []string{
		`UPDATE audit_log SET seq = 1000 WHERE seq = 2`,
		`UPDATE audit_log SET seq = 2 WHERE seq = 3`,
		`UPDATE audit_log SET seq = 3 WHERE seq = 1000`,
	}},
}

// TestVerifyDetects: a clean log verifies; each tampering, of the log or
// of an application behind the store's back, breaks it.
func TestVerifyDetects(t *testing.T) {
	for _, c := range tamperings {
		t.Run(c.name, func(t *testing.T) {
			st, pool := newStore(t)
			app := mustFile(t, st, ali, filing(t, "", "k"))
			for _, to := range pathTo[records.CompletionCertificate] {
				mustMove(t, st, app.ID, staff, to, "ok")
			}
			mustVerify(t, st, 5)
			for _, q := range c.sql {
				if _, err := pool.Exec(t.Context(), q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			rep, err := st.Verify(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || len(rep.Problems) == 0 {
				t.Errorf("tampered log verifies: %+v", rep)
			}
			t.Logf("%+v", rep.Problems)
		})
	}
}

// TestNothingHalfWritten makes the database fail one half of a transition
// (a trigger raises on the application's update, or on the audit insert):
// the other half is not written either, and the chain still verifies.
func TestNothingHalfWritten(t *testing.T) {
	cases := []struct{ name, table string }{
		{"the change fails", "applications"},
		{"the audit entry fails", "audit_log"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, pool := newStore(t)
			app := mustFile(t, st, ali, filing(t, "", "k"))
			for _, q := range []string{
				`CREATE FUNCTION fail() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'injected failure'; END$$`,
				`CREATE TRIGGER fail BEFORE INSERT OR UPDATE ON ` + c.table + ` FOR EACH ROW EXECUTE FUNCTION fail()`,
			} {
				if _, err := pool.Exec(t.Context(), q); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := st.Transition(t.Context(), app.ID, staff, records.UnderReview, ""); err == nil {
				t.Fatal("the injected failure did not fail the transition")
			}
			if _, _, err := st.File(t.Context(), ali, filing(t, "", "k2")); err == nil {
				t.Fatal("the injected failure did not fail the filing")
			}
			if n := count(t, pool, "SELECT count(*) FROM audit_log"); n != 1 {
				t.Errorf("%d audit entries, want the filing's 1", n)
			}
			if n := count(t, pool, "SELECT count(*) FROM applications WHERE state = 'submitted'"); n != 1 {
				t.Errorf("%d submitted applications, want 1", n)
			}
			mustVerify(t, st, 1)
		})
	}
}
