package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

// expectCLI runs the command and wants its exit code and, in this order,
// each of want somewhere in its output.
func expectCLI(t *testing.T, args []string, code int, want []string) {
	t.Helper()
	got, out, errOut := runCLI(t, args...)
	rest := out + errOut
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("output lacks %q (in order)", w)
			continue
		}
		rest = rest[i+len(w):]
	}
	if got != code {
		t.Errorf("exit %d, want %d", got, code)
	}
	if t.Failed() {
		t.Logf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &cliEnv{stdout: &out, stderr: &errOut, log: slog.New(slog.NewTextHandler(&errOut, nil)), getenv: func(string) string { return "" }}
	code := run(context.Background(), env, args)
	return code, out.String(), errOut.String()
}

func TestRulesCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"rules", "test", "nemuneh"}, 0, "cases, 0 failed"},
		{[]string{"rules", "check", "nemuneh"}, 0, "0 errors, 0 warnings"},
		{[]string{"rules", "test", "../../rules/testdata/packs/dovom"}, 0, "dovom 0.3.0: 8 cases, 0 failed"},
		{[]string{"rules", "check", "../../rules/testdata/broken/base"}, 1, "no test cases"},
		{[]string{"rules", "test", "nowhere"}, 1, "neither a pack folder nor a bundled pack"},
		{[]string{"rules", "frobnicate", "nemuneh"}, 2, "usage"},
		{[]string{"rules"}, 2, "usage"},
	} {
		code, out, errOut := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("parvaneh %s: exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", strings.Join(tc.args, " "), code, tc.code, tc.want, out, errOut)
		}
	}
}
