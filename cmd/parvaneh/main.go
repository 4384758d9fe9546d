// Command parvaneh is Parvaneh's one binary: it serves the permit API and map
// page, imports plan bundles, migrates the database, runs rule packs and gives
// estimates on the command line. Run "parvaneh help" for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // the city's time zone must load on a machine without a zoneinfo database
)

// command is one subcommand: its name, one line of help, and its run function,
// which gets the arguments after the name.
type command struct {
	name  string
	usage string
	run   func(ctx context.Context, env *cliEnv, args []string) error
}

// cliEnv is what every subcommand may use instead of globals.
type cliEnv struct {
	stdout, stderr io.Writer
	log            *slog.Logger
	getenv         func(string) string
}

func commands() []command {
	return []command{
		{"serve", "serve the API and the map page (embedded sample city, or DATABASE_URL)", runServe},
		{"import", "import a plan bundle: parvaneh import BUNDLE_DIR (into DATABASE_URL)", runImport},
		{"migrate", "apply the database migrations to DATABASE_URL", runMigrate},
		{"gencity", "generate a sample-city plan bundle: parvaneh gencity -parcels N -out DIR", runGenCity},
		{"rules", "rule packs: parvaneh rules test|check PACK_DIR", runRules},
		{"estimate", "estimate a parcel: parvaneh estimate -parcel ID | -geojson FILE | -all [-json]", runEstimate},
		{"validate", "check an engineer's proposal: parvaneh validate [-json] PROPOSAL.json (exit 3 when a check fails)", runValidate},
		{"violations", "review a building for the Article 100 commission: parvaneh violations [-json] CASE.json (exit 3 when violations are found)", runViolations},
		{"audit", "check the audit log's hash chain: parvaneh audit verify [-json] (exit 3 when broken)", runAudit},
		{"token", "print a signed token for a user: parvaneh token -user ID -role ROLE [-ttl 24h] (secret from PARVANEH_TOKEN_SECRET)", runToken},
	}
}

// errUsage marks an error in how the command was called (exit code 2).
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &cliEnv{
		stdout: os.Stdout,
		stderr: os.Stderr,
		log:    slog.New(slog.NewTextHandler(os.Stderr, nil)),
		getenv: os.Getenv,
	}
	os.Exit(run(ctx, env, os.Args[1:]))
}

// run dispatches to a subcommand and turns its error into an exit code.
func run(ctx context.Context, env *cliEnv, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printHelp(env.stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(env.stderr, "parvaneh %s: %v\n", c.name, err)
			return 2
		default:
			var ec exitCoder
			if errors.As(err, &ec) {
				fmt.Fprintf(env.stderr, "parvaneh %s: %v\n", c.name, err)
				return ec.ExitCode()
			}
			fmt.Fprintf(env.stderr, "parvaneh %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(env.stderr, "parvaneh: unknown command %q\n\n", args[0])
	printHelp(env.stderr)
	return 2
}

// exitCoder lets a command choose its exit code (validate exits 3 when a check
// fails, for example).
type exitCoder interface{ ExitCode() int }

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "parvaneh — building-permit answers from a city's plan layers\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.usage)
	}
}
