package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parvaneh/parvaneh/auth"
	"github.com/parvaneh/parvaneh/internal/pgtest"
)

// startServe runs "parvaneh serve" with the environment and arguments on a
// free port and returns its base URL once it answers; the server stops
// when the test ends, and must stop cleanly.
func startServe(t *testing.T, vars map[string]string, args ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	env := &cliEnv{stdout: io.Discard, stderr: io.Discard, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		getenv: func(k string) string { return vars[k] }}
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, env, append([]string{"-addr", addr}, args...)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve stopped with %v", err)
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("serve ended before answering: %v", err)
		default:
		}
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			return base
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not answer within a minute")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// get asks the server as user (with role) and returns the status and the
// error code, if any.
func get(t *testing.T, url, user string, role auth.Role) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := auth.Issuer{Secret: []byte(testSecret), TTL: time.Hour}.Issue(user, role)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Error struct{ Code, Detail string }
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return res.StatusCode, body.Error.Code, body.Error.Detail
}

// TestServeRecords: with a database and a token secret serve keeps the
// records; on the embedded store, or without the secret, their routes
// answer 503 records_unavailable saying what is missing; an unusable secret
// stops the start.
func TestServeRecords(t *testing.T) {
	db := pgtest.New(t)
	if code, _, errOut := runDB(t, db, "import", "../../examples/nemuneh"); code != 0 {
		t.Fatalf("importing the sample city: exit %d\n%s", code, errOut)
	}
	withSecret := map[string]string{auth.EnvSecret: testSecret}
	onPostGIS := startServe(t, withSecret, "-database-url", db)
	embedded := startServe(t, withSecret)
	noSecret := startServe(t, nil, "-database-url", db)
	for _, c := range []struct {
		name, url   string
		status      int
		code, about string
	}{
		{"PostGIS: me", onPostGIS + "/api/v1/me", 200, "", ""},
		{"PostGIS: applications", onPostGIS + "/api/v1/applications", 200, "", ""},
		{"PostGIS: cases", onPostGIS + "/api/v1/cases?state=open", 200, "", ""},
		{"embedded: me", embedded + "/api/v1/me", 200, "", ""},
		{"embedded: applications", embedded + "/api/v1/applications", 503, "records_unavailable", "database"},
		{"no secret: applications", noSecret + "/api/v1/applications", 503, "records_unavailable", auth.EnvSecret},
	} {
		status, code, detail := get(t, c.url, "staff-1", auth.Staff)
		if status != c.status || code != c.code || !strings.Contains(detail, c.about) {
			t.Errorf("%s: %d %s %q, want %d %s about %q", c.name, status, code, detail, c.status, c.code, c.about)
		}
	}

	code, _, errOut := runWithEnv(t, map[string]string{auth.EnvSecret: "short"}, "serve", "-addr", "127.0.0.1:0", "-database-url", db)
	if code != 1 || !strings.Contains(errOut, auth.EnvSecret) {
		t.Errorf("serve with a short secret: exit %d\n%s", code, errOut)
	}
}
