package main

import "context"

// TODO(stub): replaced by the owner of this subcommand.
func runRules(ctx context.Context, env *cliEnv, args []string) error { return errUsage }
