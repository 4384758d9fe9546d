package migrations_test

import (
	"database/sql"
	"os"
	"slices"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/parvaneh/parvaneh/internal/pgtest"
)

// TestIdempotencyKeyByFiler: 00005 moves the key's scope from the applicant
// to the filer on a database holding filings the old scope allowed and the
// new one forbids (one engineer, one key, two clients): the later filing's
// key gets its client's name, nothing is lost, and the way down works too.
func TestIdempotencyKeyByFiler(t *testing.T) {
	ctx := t.Context()
	db, err := sql.Open("pgx", pgtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("."), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 4); err != nil {
		t.Fatal(err)
	}
	for _, applicant := range []string{"ali", "sara"} {
		if _, err := db.ExecContext(ctx, `INSERT INTO applications (applicant, filed_by, idempotency_key, proposal_sha256,
    plan_version_id, rule_pack, rule_pack_version, proposal, validation, state, filed_at, updated_at)
VALUES ($1, 'eng-reza', 'k', '\x00', 1, 'nemuneh', '1.0.0', '{}', '{}', 'submitted', now(), now())`, applicant); err != nil {
			t.Fatal(err)
		}
	}
	keys := func() []string {
		rows, err := db.QueryContext(ctx, `SELECT idempotency_key FROM applications ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				t.Fatal(err)
			}
			out = append(out, k)
		}
		return out
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up over filings the old scope allowed: %v", err)
	}
	if got := keys(); !slices.Equal(got, []string{"k", "k/sara"}) {
		t.Errorf("keys after 00005: %v", got)
	}
	if _, err := p.DownTo(ctx, 4); err != nil {
		t.Fatalf("down again: %v", err)
	}
}
