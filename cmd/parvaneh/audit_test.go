package main

import (
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/parvaneh/parvaneh/internal/pgtest"
	"github.com/parvaneh/parvaneh/permits"
	"github.com/parvaneh/parvaneh/records"
)

// TestAuditVerifyCommand: an empty log and one with a filed and reviewed
// application hold (exit 0); after an entry is edited behind the store's
// back the command names it and exits 3.
func TestAuditVerifyCommand(t *testing.T) {
	url := pgtest.New(t)
	ctx := t.Context()

	code, out, errOut := runDB(t, url, "audit", "verify")
	if code != 0 || !strings.Contains(out, "0 entries") || !strings.Contains(out, "the audit chain holds") {
		t.Fatalf("empty log: exit %d\n%s%s", code, out, errOut)
	}

	// File the example proposal, validated against the sample city, and
	// take it under review: two entries.
	packs, err := loadPacks(nil)
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := loadEmbedded(ctx, "", packs, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	doc, err := os.ReadFile("../../examples/proposals/widened-r112-three-storeys.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := permits.ParseProposal(doc)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := permits.NewService(st, packs, "Nemuneh", nil).Validate(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	apps, err := records.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer apps.Close()
	app, _, err := apps.File(ctx, records.Actor{User: "ali", Role: records.RoleApplicant},
		records.Filing{IdempotencyKey: "k", Proposal: doc, Validation: rep})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := apps.Transition(ctx, app.ID, records.Actor{User: "mina", Role: records.RoleStaff}, records.UnderReview, ""); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runDB(t, url, "audit", "verify")
	if code != 0 || !strings.Contains(out, "2 entries") {
		t.Fatalf("after a filing: exit %d\n%s%s", code, out, errOut)
	}

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE audit_log SET actor = 'someone-else' WHERE seq = 1`); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runDB(t, url, "audit", "verify")
	if code != exitChainBroken || !strings.Contains(out, "entry 1: its content does not match its hash") || !strings.Contains(errOut, "broken") {
		t.Errorf("edited entry: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runDB(t, url, "audit", "verify", "-json")
	var got records.VerifyReport
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != exitChainBroken || got.OK || got.Entries != 2 {
		t.Errorf("-json: exit %d, %+v, %v\n%s", code, got, err, out)
	}
}

// TestAuditUsage: only verify is known, and it takes no arguments.
func TestAuditUsage(t *testing.T) {
	for _, args := range [][]string{{"audit"}, {"audit", "rewrite"}, {"audit", "verify", "extra"}} {
		if code, _, _ := runDB(t, "postgres://nowhere.invalid/db", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
