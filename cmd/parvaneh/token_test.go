package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/parvaneh/parvaneh/auth"
)

const testSecret = "a token secret of at least thirty-two bytes"

// runWithEnv runs the CLI with the given environment.
func runWithEnv(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &cliEnv{stdout: &out, stderr: &errOut, log: slog.New(slog.NewTextHandler(&errOut, nil)),
		getenv: func(k string) string { return vars[k] }}
	code := run(context.Background(), env, args)
	return code, out.String(), errOut.String()
}

func TestTokenCommand(t *testing.T) {
	env := map[string]string{auth.EnvSecret: testSecret}
	for _, r := range auth.Roles() {
		code, out, errOut := runWithEnv(t, env, "token", "-user", "u-42", "-role", string(r), "-ttl", "2h")
		if code != 0 {
			t.Fatalf("parvaneh token -role %s: exit %d\n%s", r, code, errOut)
		}
		c, err := auth.Verifier{Secret: []byte(testSecret)}.Verify(strings.TrimSuffix(out, "\n"))
		if err != nil || c.User != "u-42" || c.Role != r || c.ExpiresAt.Sub(c.IssuedAt) != 2*time.Hour {
			t.Errorf("parvaneh token -role %s printed a token for %+v, %v", r, c, err)
		}
	}
	code, out, _ := runWithEnv(t, env, "token", "-user", "u-1", "-role", "staff")
	c, err := auth.Verifier{Secret: []byte(testSecret)}.Verify(strings.TrimSpace(out))
	if code != 0 || err != nil || c.ExpiresAt.Sub(c.IssuedAt) != 24*time.Hour {
		t.Errorf("default lifetime: exit %d, %+v, %v; want 24h", code, c, err)
	}
	if _, err := (auth.Verifier{Secret: []byte(testSecret + "x")}).Verify(strings.TrimSpace(out)); !errors.Is(err, auth.ErrBadSignature) {
		t.Errorf("the token verifies under another secret: %v", err)
	}
}

func TestTokenCommandRefusals(t *testing.T) {
	env := map[string]string{auth.EnvSecret: testSecret}
	for _, tc := range []struct {
		env  map[string]string
		args []string
		code int
		want string
	}{
		{nil, []string{"-user", "u", "-role", "staff"}, 1, "PARVANEH_TOKEN_SECRET: no usable token secret: 0 bytes"},
		{map[string]string{auth.EnvSecret: "short"}, []string{"-user", "u", "-role", "staff"}, 1, "5 bytes, want at least 32"},
		{env, []string{"-user", "u", "-role", "mayor"}, 2, `unknown role "mayor": want one of applicant, engineer, staff, commission, admin`},
		{env, []string{"-role", "staff"}, 2, "usage"},
		{env, []string{"-user", "u"}, 2, "usage"},
		{env, []string{"-user", "u", "-role", "staff", "extra"}, 2, "usage"},
		{env, []string{"-user", "u", "-role", "staff", "-ttl", "soon"}, 2, "invalid value"},
		{env, []string{"-user", "u", "-role", "staff", "-ttl", "-1h"}, 1, "lifetime -1h0m0s"},
		{env, []string{"-user", " u", "-role", "staff"}, 1, "leading or trailing space"},
	} {
		code, out, errOut := runWithEnv(t, tc.env, append([]string{"token"}, tc.args...)...)
		if code != tc.code || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("parvaneh token %s: exit %d, want %d with %q\nstdout: %s\nstderr: %s", strings.Join(tc.args, " "), code, tc.code, tc.want, out, errOut)
		}
	}
}
