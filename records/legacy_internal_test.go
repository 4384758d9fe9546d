package records

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parvaneh/parvaneh/internal/pgtest"
)

// TestVerifyLegacyEntries: records whose making entries were written before
// fingerprints were kept are still checked as they were then — a case's
// review against its logged fingerprint, a certificate's parcel against the
// logged one.
func TestVerifyLegacyEntries(t *testing.T) {
	ctx := t.Context()
	pool, err := pgxpool.New(ctx, pgtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	st := New(pool)
	const review = `{"found": 1}`
	staff := Actor{User: "staff-mina", Role: RoleStaff}
	write := func(insert string, action, subject string, detail any) {
		err := st.inTx(ctx, "writing a legacy record", func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, insert); err != nil {
				return err
			}
			_, err := appendEntry(ctx, tx, staff, action, subject, detail)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	write(`INSERT INTO violation_cases (opened_by, idempotency_key, document_sha256, parcel_id, plan_version_id,
    rule_pack, rule_pack_version, document, review, state, opened_at, updated_at)
VALUES ('staff-mina', 'k', '\x00', '105/2', 1, 'nemuneh', '1.0.0', '{}', '`+review+`', 'open', now(), now())`,
		ActionCaseOpened, "case/1", map[string]string{"review_sha256": fmt.Sprintf("%x", sha256.Sum256([]byte(review)))})
	write(`INSERT INTO certificates (parcel_id, issued_by, idempotency_key, plan, issued_at) VALUES ('101/1', 'staff-mina', 'c', '{}', now())`,
		ActionCertificateIssued, "certificate/1", map[string]string{"parcel_id": "101/1"})

	check := func(want ...string) {
		t.Helper()
		rep, err := st.Verify(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range rep.Problems {
			got = append(got, p.Subject)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("problems %+v, want subjects %v", rep.Problems, want)
		}
	}
	check()
	for _, q := range []string{
		`UPDATE violation_cases SET review = '{"found": 0}'`,
		`UPDATE certificates SET parcel_id = '999/9'`,
	} {
		if _, err := pool.Exec(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	check("case/1", "certificate/1")
}
