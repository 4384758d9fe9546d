package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/parvaneh/parvaneh/internal/pgtest"
)

// runDB runs a parvaneh command with DATABASE_URL set to url, returning its
// exit code, stdout and stderr.
func runDB(t *testing.T, url string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &cliEnv{
		stdout: &out,
		stderr: &errOut,
		log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		getenv: func(k string) string {
			if k == "DATABASE_URL" {
				return url
			}
			return ""
		},
	}
	code = run(t.Context(), env, args)
	return code, out.String(), errOut.String()
}

// rowCounts counts the rows of every table the importer writes.
func rowCounts(t *testing.T, url string) map[string]int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	counts := map[string]int{}
	for _, table := range []string{"municipalities", "plan_versions", "parcels", "master_plan", "detailed_plan", "streets", "overlays", "value_blocks"} {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		counts[table] = n
	}
	return counts
}

func TestImportCommand(t *testing.T) {
	url := pgtest.New(t)

	code, out, errOut := runDB(t, url, "import", "testdata/import/good")
	if code != 0 {
		t.Fatalf("first import: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"municipality  Nemuneh (نمونه)", `plan version  seq 1, "1404-01", effective 2025-03-21`,
		"parcels       3", "features/s", "1 warning(s), repaired:",
		`parcels.geojson feature 1 (id "101/2") property geometry: wrong_orientation`} {
		if !strings.Contains(out, want) {
			t.Errorf("first import summary lacks %q:\n%s", want, out)
		}
	}
	// No progress meter on a stderr that is not a terminal; only the
	// warning that the test bundle's zone C211 is not in the pack.
	if strings.Contains(errOut, "\r") || !strings.Contains(errOut, `no regulations for zone code "C211"`) ||
		strings.Count(errOut, "\n") != 2 {
		t.Errorf("stderr: %q", errOut)
	}
	if code, out, errOut := runDB(t, url, "import", "testdata/import/good"); code != 0 || !strings.Contains(out, "seq 2,") {
		t.Fatalf("second import: exit %d, want seq 2:\n%s%s", code, out, errOut)
	}

	before := rowCounts(t, url)
	code, out, errOut = runDB(t, url, "import", "testdata/import/broken")
	if code != 3 {
		t.Errorf("broken bundle: exit %d, want 3\n%s%s", code, out, errOut)
	}
	for _, want := range []string{`parcels.geojson feature 1 (id "101/2")`, "latitude", "nothing was imported"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("broken bundle: stderr lacks %q:\n%s", want, errOut)
		}
	}
	if out != "" {
		t.Errorf("broken bundle: stdout %q, want nothing", out)
	}
	after := rowCounts(t, url)
	for table, n := range before {
		if after[table] != n {
			t.Errorf("%s: %d rows before the refused import, %d after", table, n, after[table])
		}
	}
	if before["plan_versions"] != 2 || before["parcels"] != 6 {
		t.Errorf("after two imports: %v", before)
	}
}

func TestImportAndMigrateUsage(t *testing.T) {
	for _, c := range []struct {
		name string
		url  string
		args []string
		code int
		want string
	}{
		{"no bundle", "postgres://x@127.0.0.1:1/x", []string{"import"}, 2, "BUNDLE_DIR"},
		{"two bundles", "postgres://x@127.0.0.1:1/x", []string{"import", "a", "b"}, 2, "BUNDLE_DIR"},
		{"no database", "", []string{"import", "testdata/import/good"}, 2, "DATABASE_URL"},
		{"migrate, no database", "", []string{"migrate"}, 2, "DATABASE_URL"},
		{"migrate, an argument", "postgres://x@127.0.0.1:1/x", []string{"migrate", "now"}, 2, "no arguments"},
		{"bad flag", "", []string{"import", "-nope", "dir"}, 2, "-nope"},
		{"missing directory", "postgres://x@127.0.0.1:1/x", []string{"import", "testdata/import/nowhere"}, 3, "manifest.yaml"},
	} {
		code, _, errOut := runDB(t, c.url, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d mentioning %q", c.name, code, errOut, c.code, c.want)
		}
	}
}

func TestMigrateCommand(t *testing.T) {
	url := pgtest.New(t) // migrated already: migrate again is a no-op
	code, out, errOut := runDB(t, "", "migrate", "-database-url", url)
	if code != 0 || !strings.Contains(out, "up to date") {
		t.Errorf("migrate: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = runDB(t, "", "migrate", "-database-url", "postgres://nobody@127.0.0.1:1/none?connect_timeout=2")
	if code != 1 || !strings.Contains(errOut, "parvaneh migrate:") {
		t.Errorf("migrate of an unreachable database: exit %d, %q", code, errOut)
	}
}

func TestMeterDrawsOnlyOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	if m := newMeter(&buf); m.w != nil {
		t.Fatal("a buffer taken for a terminal")
	}
	m := &meter{w: &buf} // as newMeter makes it for a terminal
	m.show("writing: %d of %d features", 1000, 2000)
	m.show("writing: %d of %d features", 2000, 2000) // within 100 ms: skipped
	m.clear()
	m.clear() // nothing drawn since: nothing to erase
	if got, want := buf.String(), "\r\033[Kwriting: 1000 of 2000 features\r\033[K"; got != want {
		t.Errorf("meter drew %q, want %q", got, want)
	}
}

// -check reads and validates a bundle with no database at all.
func TestImportCheck(t *testing.T) {
	code, out, errOut := runDB(t, "", "import", "-check", "testdata/import/good")
	if code != 0 || !strings.Contains(out, "the bundle is valid") {
		t.Errorf("good bundle: exit %d, out %q, err %q", code, out, errOut)
	}
	code, _, errOut = runDB(t, "", "import", "-check", "testdata/import/broken")
	if code != 3 || !strings.Contains(errOut, "out_of_range") {
		t.Errorf("broken bundle: exit %d, err %q; want 3 and the problem listed", code, errOut)
	}
}
