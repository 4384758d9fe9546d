package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/parvaneh/parvaneh/auth"
)

// runToken prints a signed token for a user and role:
// parvaneh token -user U -role R [-ttl 24h]. Only whoever holds
// PARVANEH_TOKEN_SECRET (the admin, on the server) can run it, which is the
// whole of account management: no password is stored anywhere.
func runToken(_ context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	user := fs.String("user", "", "the user's `id` (the token's subject)")
	roleName := fs.String("role", "", "the user's `role`: "+roleList())
	ttl := fs.Duration("ttl", 24*time.Hour, "how long the token is good for")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 || *user == "" || *roleName == "" {
		return fmt.Errorf("%w: parvaneh token -user ID -role ROLE [-ttl 24h] (roles: %s)", errUsage, roleList())
	}
	role, err := auth.ParseRole(*roleName)
	if err != nil {
		return fmt.Errorf("%w: -role: %v", errUsage, err)
	}
	secret, err := auth.SecretFromEnv(env.getenv)
	if err != nil {
		return err
	}
	tok, err := auth.Issuer{Secret: secret, TTL: *ttl}.Issue(*user, role)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.stdout, tok)
	return nil
}

func roleList() string {
	var names []string
	for _, r := range auth.Roles() {
		names = append(names, string(r))
	}
	return strings.Join(names, ", ")
}
