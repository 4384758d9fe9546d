package records_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/parvaneh/parvaneh/permits"
	"github.com/parvaneh/parvaneh/records"
	"github.com/parvaneh/parvaneh/rules"
)

// The shipped example cases (examples/cases) with their reviews' hand-worked
// figures (docs/violation-case.md; rule book §7).
const (
	// shopsEnlarged: commercial area 400 m² against 200 permitted on 105/2:
	// E_com 200, r_c = 200/1000 = 20% → m 3; TXc 41,910,000:
	// 200 × 41,910,000 × 3 = 25,146,000,000 Rial.
	shopsEnlarged     = "shops-enlarged.json"
	shopsEnlargedFine = int64(25_146_000_000)
	// inTheStreet: the footprint stands on the street: demolition.
	inTheStreet = "footprint-in-the-street.json"
)

// caseFiling reads an example case and reviews it.
func caseFiling(t *testing.T, name, key string) records.CaseFiling {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "examples", "cases", name))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := sampleService()
	if err != nil {
		t.Fatal(err)
	}
	c, err := permits.ParseCase(doc)
	if err != nil {
		t.Fatal(err)
	}
	rv, err := svc.Violations(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return records.CaseFiling{IdempotencyKey: key, Document: doc, Review: rv}
}

func mustOpen(t *testing.T, st *records.Store, f records.CaseFiling) *records.Case {
	t.Helper()
	c, opened, err := st.OpenCase(t.Context(), staff, f)
	if err != nil || !opened {
		t.Fatalf("opening a case under %q: opened %v, %v", f.IdempotencyKey, opened, err)
	}
	return c
}

func fine(n int64) *int64 { return &n }

// TestCaseLifeCycle opens a case, retries the opening, takes the proposal
// as the decision and closes the case: each step is in the trail and the
// chain verifies.
func TestCaseLifeCycle(t *testing.T) {
	st, pool := newStore(t)
	ctx := t.Context()
	f := caseFiling(t, shopsEnlarged, "case-1")
	c := mustOpen(t, st, f)
	if c.State != records.CaseOpen || c.OpenedBy != staff.User || c.ParcelID != "105/2" || c.Decision != nil {
		t.Fatalf("opened %+v", c)
	}
	if !sameJSON(t, c.Review, f.Review) {
		t.Error("the stored review differs from the one filed")
	}
	again, opened, err := st.OpenCase(ctx, staff, f)
	if err != nil || opened || again.ID != c.ID {
		t.Fatalf("retried opening: opened %v, id %d (want %d), %v", opened, again.ID, c.ID, err)
	}
	other := caseFiling(t, inTheStreet, "case-1")
	if _, _, err := st.OpenCase(ctx, staff, other); !errors.Is(err, records.ErrKeyReused) {
		t.Errorf("a key reused for another case: %v", err)
	}

	if _, err := st.CloseCase(ctx, c.ID, staff, "paid"); !errors.Is(err, records.ErrBadTransition) {
		t.Errorf("closing an undecided case: %v", err)
	}
	c, err = st.Decide(ctx, c.ID, member, records.DecisionInput{})
	if err != nil {
		t.Fatal(err)
	}
	d := c.Decision
	want := []records.Ruling{{Violation: "commercial_excess", Ruling: rules.RulingFine, FineRial: fine(shopsEnlargedFine)}}
	if c.State != records.CaseDecided || d == nil || !d.FollowsProposal || d.FinesTotal != shopsEnlargedFine ||
		d.DecidedBy != member.User || d.DecidedAt.IsZero() || !sameJSON(t, d.Rulings, want) {
		t.Fatalf("decided %+v, decision %+v", c, d)
	}
	if _, err := st.Decide(ctx, c.ID, member, records.DecisionInput{}); !errors.Is(err, records.ErrBadTransition) {
		t.Errorf("deciding twice: %v", err)
	}
	var fe *records.FieldError
	if _, err := st.CloseCase(ctx, c.ID, staff, " "); !errors.As(err, &fe) || fe.Field != "reason" {
		t.Errorf("closing without saying how it was carried out: %v", err)
	}
	c, err = st.CloseCase(ctx, c.ID, staff, "fine paid, receipt 1404-77")
	if err != nil {
		t.Fatal(err)
	}
	if c.State != records.CaseClosed || c.Closure == nil || c.Closure.ClosedBy != staff.User || !sameJSON(t, c.Decision, d) {
		t.Fatalf("closed %+v", c)
	}
	trail, err := st.Trail(ctx, "case/"+strconv.FormatInt(c.ID, 10))
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range trail {
		actions = append(actions, e.Action+" by "+e.Actor)
	}
	wantActions := []string{"case.opened by staff-mina", "case.decided by member-hasan", "case.closed by staff-mina"}
	if !sameJSON(t, actions, wantActions) {
		t.Errorf("trail %q, want %q", actions, wantActions)
	}
	if !trail[1].At.Equal(d.DecidedAt) {
		t.Errorf("the decision says %v, its audit entry %v", d.DecidedAt, trail[1].At)
	}
	if n := count(t, pool, "SELECT count(*) FROM violation_cases"); n != 1 {
		t.Errorf("%d cases, want 1", n)
	}
	mustVerify(t, st, 3)
}

// TestDecisions rules on the shops case in ways the commission may and may
// not: a departure from the proposal needs its reason, and every ruling must
// fit the review. A refused decision writes nothing.
func TestDecisions(t *testing.T) {
	st, pool := newStore(t)
	c := mustOpen(t, st, caseFiling(t, shopsEnlarged, "k"))
	ruling := func(v, r string, amount *int64) []records.Ruling {
		return []records.Ruling{{Violation: v, Ruling: r, FineRial: amount}}
	}
	refused := []struct {
		name  string
		in    records.DecisionInput
		field string
	}{
		{"a lower fine without a reason", records.DecisionInput{Rulings: ruling("commercial_excess", rules.RulingFine, fine(1))}, "reason"},
		{"dismissed without a reason", records.DecisionInput{Rulings: ruling("commercial_excess", records.RulingDismissed, nil)}, "reason"},
		{"an unknown violation", records.DecisionInput{Rulings: ruling("parking_missing", rules.RulingFine, fine(1)), Reason: "x"}, "rulings[0].violation"},
		{"an unknown ruling", records.DecisionInput{Rulings: ruling("commercial_excess", "pardon", nil), Reason: "x"}, "rulings[0].ruling"},
		{"a fine without its amount", records.DecisionInput{Rulings: ruling("commercial_excess", rules.RulingFine, nil), Reason: "x"}, "rulings[0].fine_rial"},
		{"a negative fine", records.DecisionInput{Rulings: ruling("commercial_excess", rules.RulingFine, fine(-5)), Reason: "x"}, "rulings[0].fine_rial"},
		{"an amount on a demolition", records.DecisionInput{Rulings: ruling("commercial_excess", rules.RulingDemolition, fine(5)), Reason: "x"}, "rulings[0].fine_rial"},
		{"a violation ruled twice", records.DecisionInput{Rulings: append(ruling("commercial_excess", rules.RulingFine, fine(1)),
			ruling("commercial_excess", rules.RulingFine, fine(1))...), Reason: "x"}, "rulings"},
		{"no ruling for a violation", records.DecisionInput{Rulings: []records.Ruling{}, Reason: "x"}, "rulings"},
	}
	for _, tc := range refused {
		_, err := st.Decide(t.Context(), c.ID, member, tc.in)
		var fe *records.FieldError
		if !errors.Is(err, records.ErrInvalidDecision) || !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: %v, want ErrInvalidDecision on %s", tc.name, err, tc.field)
		}
	}
	if n := count(t, pool, "SELECT count(*) FROM audit_log"); n != 1 {
		t.Errorf("refused decisions appended: %d entries, want the opening's 1", n)
	}

	got, err := st.Decide(t.Context(), c.ID, member, records.DecisionInput{
		Rulings: ruling("commercial_excess", rules.RulingFine, fine(20_000_000_000)),
		Reason:  "the shops were built before the 1402 plan; the commission reduces the fine"})
	if err != nil {
		t.Fatal(err)
	}
	if d := got.Decision; d.FollowsProposal || d.FinesTotal != 20_000_000_000 || d.Reason == "" {
		t.Errorf("departing decision %+v", d)
	}

	// A demolition proposed without an amount is taken as it stands.
	street := mustOpen(t, st, caseFiling(t, inTheStreet, "k2"))
	got, err = st.Decide(t.Context(), street.ID, member, records.DecisionInput{})
	if err != nil {
		t.Fatal(err)
	}
	if d := got.Decision; !d.FollowsProposal || d.FinesTotal != 0 || len(d.Rulings) != 1 || d.Rulings[0].Ruling != rules.RulingDemolition {
		t.Errorf("encroachment decision %+v", d)
	}
	mustVerify(t, st, 4)
}

// TestCaseRoles: only staff open and close cases, only commission members
// decide, and only they and staff read cases. A refusal writes nothing.
func TestCaseRoles(t *testing.T) {
	st, pool := newStore(t)
	ctx := t.Context()
	c := mustOpen(t, st, caseFiling(t, shopsEnlarged, "k"))
	for _, by := range everyone {
		if _, _, err := st.OpenCase(ctx, by, caseFiling(t, shopsEnlarged, "by-"+by.User)); (by == staff) != (err == nil) {
			t.Errorf("%s opening a case: %v", by.Role, err)
		} else if err != nil && !errors.Is(err, records.ErrForbidden) {
			t.Errorf("%s opening a case: %v, want ErrForbidden", by.Role, err)
		}
		mayRead := by == staff || by == member
		if _, err := st.Case(ctx, by, c.ID); mayRead != (err == nil) {
			t.Errorf("%s reading a case: %v", by.Role, err)
		}
		if _, err := st.Cases(ctx, by, records.Query{}); mayRead != (err == nil) {
			t.Errorf("%s listing cases: %v", by.Role, err)
		}
		if by != member {
			if _, err := st.Decide(ctx, c.ID, by, records.DecisionInput{}); !errors.Is(err, records.ErrForbidden) {
				t.Errorf("%s deciding: %v", by.Role, err)
			}
		}
		if _, _, err := st.IssueCertificate(ctx, by, records.CertificateRequest{ParcelID: "101/1", IdempotencyKey: "c-" + by.User}); by != staff && !errors.Is(err, records.ErrForbidden) {
			t.Errorf("%s issuing a certificate: %v", by.Role, err)
		}
	}
	if _, err := st.Decide(ctx, c.ID, member, records.DecisionInput{}); err != nil {
		t.Fatal(err)
	}
	for _, by := range everyone {
		if by != staff {
			if _, err := st.CloseCase(ctx, c.ID, by, "paid"); !errors.Is(err, records.ErrForbidden) {
				t.Errorf("%s closing: %v", by.Role, err)
			}
		}
	}
	// Staff's second case, the decision and staff's certificate.
	if n := count(t, pool, "SELECT count(*) FROM audit_log"); n != 4 {
		t.Errorf("%d audit entries, want 4", n)
	}
	mustVerify(t, st, 4)
}

// TestCertificates: a certificate of no violation is refused while the
// parcel has an open or decided case, issued once it is closed (and for a
// parcel without cases), and a retry gets the first certificate back.
func TestCertificates(t *testing.T) {
	st, _ := newStore(t)
	ctx := t.Context()
	req := func(parcel, key string) records.CertificateRequest {
		return records.CertificateRequest{ParcelID: parcel, IdempotencyKey: key, Plan: permits.PlanRef{ID: 1, Municipality: "nemuneh", Seq: 1}}
	}
	c := mustOpen(t, st, caseFiling(t, shopsEnlarged, "k"))
	if _, _, err := st.IssueCertificate(ctx, staff, req("105/2", "c1")); !errors.Is(err, records.ErrOpenCase) {
		t.Errorf("with an open case: %v", err)
	}
	if _, err := st.Decide(ctx, c.ID, member, records.DecisionInput{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.IssueCertificate(ctx, staff, req("105/2", "c1")); !errors.Is(err, records.ErrOpenCase) {
		t.Errorf("with a decided case: %v", err)
	}
	if _, err := st.CloseCase(ctx, c.ID, staff, "fine paid"); err != nil {
		t.Fatal(err)
	}
	cert, issued, err := st.IssueCertificate(ctx, staff, req("105/2", "c1"))
	if err != nil || !issued || cert.ParcelID != "105/2" || cert.Number == "" || cert.Plan.ID != 1 {
		t.Fatalf("after closing: %+v, issued %v, %v", cert, issued, err)
	}
	again, issued, err := st.IssueCertificate(ctx, staff, req("105/2", "c1"))
	if err != nil || issued || again.ID != cert.ID {
		t.Errorf("retry: %+v, issued %v, %v", again, issued, err)
	}
	if _, _, err := st.IssueCertificate(ctx, staff, req("101/1", "c1")); !errors.Is(err, records.ErrKeyReused) {
		t.Errorf("key reused for another parcel: %v", err)
	}
	if _, issued, err := st.IssueCertificate(ctx, staff, req("101/1", "c2")); err != nil || !issued {
		t.Errorf("a parcel without cases: issued %v, %v", issued, err)
	}
	got, err := st.Certificate(ctx, member, cert.ID)
	if err != nil || !sameJSON(t, got, cert) {
		t.Errorf("reading the certificate back: %+v, %v", got, err)
	}
	if _, err := st.Certificate(ctx, ali, cert.ID); !errors.Is(err, records.ErrForbidden) {
		t.Errorf("an applicant reading a certificate: %v", err)
	}
	mustVerify(t, st, 5)
}

// TestCertificateRacesCase issues certificates and opens cases for one parcel
// at once, many times: whenever both succeed, the log puts the certificate
// first, so no certificate was issued while a case stood open.
func TestCertificateRacesCase(t *testing.T) {
	st, pool := newStore(t)
	for i := range 10 {
		key := "race-" + strconv.Itoa(i)
		f := caseFiling(t, shopsEnlarged, key)
		var wg sync.WaitGroup
		var certErr error
		wg.Go(func() {
			_, _, certErr = st.IssueCertificate(t.Context(), staff, records.CertificateRequest{ParcelID: "105/2", IdempotencyKey: key})
		})
		var openErr error
		wg.Go(func() { _, _, openErr = st.OpenCase(t.Context(), staff, f) })
		wg.Wait()
		if openErr != nil {
			t.Fatal(openErr)
		}
		if certErr != nil && !errors.Is(certErr, records.ErrOpenCase) {
			t.Fatal(certErr)
		}
		// Close the case so the next round starts clean.
		var id int64
		if err := pool.QueryRow(t.Context(), `SELECT id FROM violation_cases WHERE state = 'open'`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Decide(t.Context(), id, member, records.DecisionInput{}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.CloseCase(t.Context(), id, staff, "paid"); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM certificates ct JOIN audit_log lc ON lc.subject = 'certificate/' || ct.id
		JOIN violation_cases c ON c.parcel_id = ct.parcel_id JOIN audit_log lo ON lo.subject = 'case/' || c.id AND lo.action = 'case.opened'
		JOIN audit_log lx ON lx.subject = 'case/' || c.id AND lx.action = 'case.closed'
		WHERE lo.seq < lc.seq AND lc.seq < lx.seq`); n != 0 {
		t.Errorf("%d certificates were issued while a case stood open", n)
	}
	rep, err := st.Verify(t.Context())
	if err != nil || !rep.OK {
		t.Fatalf("verify: %+v, %v", rep, err)
	}
}

// TestVerifyDetectsCases edits cases and certificates behind the store's
// back: Verify names each.
func TestVerifyDetectsCases(t *testing.T) {
	tamperings := []struct{ name, sql, subject string }{
		{"a lowered fine", `UPDATE violation_cases SET decision = replace(decision::text, '25146000000', '1000')::json`, "case/1"},
		{"an edited review", `UPDATE violation_cases SET review = replace(review::text, '"found":1', '"found":0')::json`, "case/1"},
		{"a certificate nobody issued", `INSERT INTO certificates (parcel_id, issued_by, idempotency_key, plan, issued_at) VALUES ('105/2', 'x', 'x', '{}', now())`, "certificate/2"},
		{"a deleted case", `DELETE FROM violation_cases`, "case/1"},
		{"a case moved to another parcel", `UPDATE violation_cases SET parcel_id = '999/9'`, "case/1"},
		{"a survey edited", `UPDATE violation_cases SET document = jsonb_set(document, '{survey,floors}', '3')`, "case/1"},
		{"a certificate's issuer edited", `UPDATE certificates SET issued_by = 'someone'`, "certificate/1"},
		{"a deleted certificate", `DELETE FROM certificates`, "certificate/1"},
	}
	for _, tc := range tamperings {
		t.Run(tc.name, func(t *testing.T) {
			st, pool := newStore(t)
			c := mustOpen(t, st, caseFiling(t, shopsEnlarged, "k"))
			if _, err := st.Decide(t.Context(), c.ID, member, records.DecisionInput{}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := st.IssueCertificate(t.Context(), staff, records.CertificateRequest{ParcelID: "101/1", IdempotencyKey: "c"}); err != nil {
				t.Fatal(err)
			}
			mustVerify(t, st, 3)
			if _, err := pool.Exec(t.Context(), tc.sql); err != nil {
				t.Fatal(err)
			}
			rep, err := st.Verify(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || len(rep.Problems) != 1 || rep.Problems[0].Subject != tc.subject {
				t.Errorf("verify after %s: %+v", tc.name, rep)
			}
		})
	}
}

// TestLists: applicants and engineers list what Get shows them, staff and
// commission members everything; filters and the cursor narrow the list.
func TestLists(t *testing.T) {
	st, _ := newStore(t)
	ctx := t.Context()
	a1 := mustFile(t, st, ali, filing(t, "", "a1"))
	a2 := mustFile(t, st, engineer, filing(t, "sara", "a2"))
	a3 := mustFile(t, st, sara, filing(t, "", "a3"))
	mustMove(t, st, a3.ID, staff, records.UnderReview, "")
	ids := func(apps []records.Application) []int64 {
		var out []int64
		for _, a := range apps {
			out = append(out, a.ID)
		}
		return out
	}
	for _, tc := range []struct {
		by   records.Actor
		q    records.Query
		want []int64
	}{
		{ali, records.Query{}, []int64{a1.ID}},
		{sara, records.Query{}, []int64{a3.ID, a2.ID}},
		{engineer, records.Query{}, []int64{a2.ID}},
		{staff, records.Query{}, []int64{a3.ID, a2.ID, a1.ID}},
		{member, records.Query{State: "submitted"}, []int64{a2.ID, a1.ID}},
		{staff, records.Query{Before: a3.ID, Limit: 1}, []int64{a2.ID}},
		{staff, records.Query{ParcelID: "999/9"}, nil},
	} {
		got, err := st.Applications(ctx, tc.by, tc.q)
		if err != nil || !sameJSON(t, ids(got), tc.want) {
			t.Errorf("%s %+v: %v, %v; want %v", tc.by.User, tc.q, ids(got), err, tc.want)
		}
	}
	if _, err := st.Applications(ctx, admin, records.Query{}); !errors.Is(err, records.ErrForbidden) {
		t.Errorf("admin listing applications: %v", err)
	}
	var fe *records.FieldError
	if _, err := st.Applications(ctx, staff, records.Query{State: "lost"}); !errors.As(err, &fe) || fe.Field != "state" {
		t.Errorf("an unknown state: %v", err)
	}
	c := mustOpen(t, st, caseFiling(t, shopsEnlarged, "c"))
	if got, err := st.Cases(ctx, member, records.Query{State: "open", ParcelID: "105/2"}); err != nil || len(got) != 1 || got[0].ID != c.ID {
		t.Errorf("open cases on 105/2: %+v, %v", got, err)
	}
	if got, err := st.Cases(ctx, staff, records.Query{State: "closed"}); err != nil || len(got) != 0 {
		t.Errorf("closed cases: %+v, %v", got, err)
	}
	if _, err := st.Cases(ctx, staff, records.Query{State: "submitted"}); !errors.As(err, &fe) || fe.Field != "state" {
		t.Errorf("an application state for cases: %v", err)
	}
}

// TestCasesNothingHalfWritten makes the database fail one half of each case
// change (a trigger raises on the record's write, or on the audit entry's):
// the other half is not written either, and the chain still verifies.
func TestCasesNothingHalfWritten(t *testing.T) {
	for _, table := range []string{"violation_cases", "certificates", "audit_log"} {
		t.Run(table, func(t *testing.T) {
			st, pool := newStore(t)
			ctx := t.Context()
			decided := mustOpen(t, st, caseFiling(t, shopsEnlarged, "decided"))
			if _, err := st.Decide(ctx, decided.ID, member, records.DecisionInput{}); err != nil {
				t.Fatal(err)
			}
			open := mustOpen(t, st, caseFiling(t, inTheStreet, "open"))
			before := count(t, pool, "SELECT count(*) FROM audit_log")
			for _, q := range []string{
				`CREATE FUNCTION fail() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RAISE EXCEPTION 'injected failure'; END$$`,
				`CREATE TRIGGER fail BEFORE INSERT OR UPDATE ON ` + table + ` FOR EACH ROW EXECUTE FUNCTION fail()`,
			} {
				if _, err := pool.Exec(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			changes := map[string]error{}
			_, _, changes["open"] = st.OpenCase(ctx, staff, caseFiling(t, shopsEnlarged, "third"))
			_, changes["decide"] = st.Decide(ctx, open.ID, member, records.DecisionInput{})
			_, changes["close"] = st.CloseCase(ctx, decided.ID, staff, "paid")
			_, _, changes["certificate"] = st.IssueCertificate(ctx, staff, records.CertificateRequest{ParcelID: "101/1", IdempotencyKey: "c"})
			for name, err := range changes {
				// A certificate writes no case, a case change no certificate.
				hit := table == "audit_log" || (table == "certificates") == (name == "certificate")
				if hit && err == nil {
					t.Errorf("%s: the injected failure did not fail it", name)
				}
			}
			wrote := count(t, pool, "SELECT count(*) FROM audit_log") - before
			made := count(t, pool, "SELECT count(*) FROM violation_cases WHERE idempotency_key = 'third'") +
				count(t, pool, "SELECT count(*) FROM violation_cases WHERE state <> 'open' AND id = $1", open.ID) +
				count(t, pool, "SELECT count(*) FROM violation_cases WHERE state = 'closed'") +
				count(t, pool, "SELECT count(*) FROM certificates")
			if wrote != made {
				t.Errorf("%d audit entries written for %d changes", wrote, made)
			}
			rep, err := st.Verify(ctx)
			if err != nil || !rep.OK {
				t.Fatalf("verify: %+v, %v", rep, err)
			}
		})
	}
}
