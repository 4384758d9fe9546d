package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/parvaneh/parvaneh/records"
)

// exitChainBroken is audit verify's exit code for a chain that does not
// hold (1 stays an error reading it, 2 a wrong call).
const exitChainBroken = 3

// runAudit checks the audit log: parvaneh audit verify [-json]
// [-database-url URL]. It prints the entries checked and the head hash, or
// every break found, and exits 3 when the chain is broken.
func runAudit(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return fmt.Errorf("%w: parvaneh audit verify [-json] [-database-url URL]", errUsage)
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	urlFlag := databaseURLFlag(fs)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: parvaneh audit verify takes no arguments", errUsage)
	}
	url, err := databaseURL(*urlFlag, env)
	if err != nil {
		return err
	}
	st, err := records.Open(ctx, url)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := st.Verify(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		if err := printJSON(env.stdout, rep); err != nil {
			return fmt.Errorf("writing the report: %w", err)
		}
	} else {
		for _, b := range rep.Problems {
			where := b.Subject
			if where == "" {
				where = fmt.Sprintf("entry %d", b.Seq)
			}
			fmt.Fprintf(env.stdout, "%s: %s\n", where, b.Reason)
		}
		fmt.Fprintf(env.stdout, "%d entries, head %s\n", rep.Entries, rep.Head)
	}
	if !rep.OK {
		return failed{msg: fmt.Sprintf("the audit chain is broken (%d problem(s))", len(rep.Problems)), code: exitChainBroken}
	}
	if !*asJSON {
		fmt.Fprintln(env.stdout, "the audit chain holds")
	}
	return nil
}
