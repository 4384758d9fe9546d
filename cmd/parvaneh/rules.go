package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/parvaneh/parvaneh/rules"
)

// runRules runs "parvaneh rules test PACK" (the pack's own test cases) and
// "parvaneh rules check PACK" (lint: load errors, unused tables, test cases
// naming unknown figures). PACK is a pack folder, or the name of a pack
// bundled in the binary.
func runRules(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) != 2 || (args[0] != "test" && args[0] != "check") {
		return fmt.Errorf("%w: parvaneh rules test|check PACK_DIR_OR_NAME (bundled: %s)", errUsage, strings.Join(rules.BundledNames(), ", "))
	}
	fsys, where, err := packFS(args[1])
	if err != nil {
		return err
	}
	if args[0] == "check" {
		return checkPack(env, fsys, where)
	}
	return testPack(env, fsys, where)
}

// packFS finds a pack: a folder when the argument is one, else a bundled
// pack of that name.
func packFS(arg string) (fs.FS, string, error) {
	if fi, err := os.Stat(arg); err == nil && fi.IsDir() {
		return os.DirFS(arg), arg, nil
	}
	fsys, err := rules.BundledFS(arg)
	if err != nil {
		return nil, "", fmt.Errorf("%s is neither a pack folder nor a bundled pack: %w", arg, err)
	}
	return fsys, "bundled pack " + arg, nil
}

// failed is a command's result that sets the exit code without another
// message: what went wrong is already printed.
type failed struct {
	msg  string
	code int
}

func (f failed) Error() string { return f.msg }
func (f failed) ExitCode() int { return f.code }

func testPack(env *cliEnv, fsys fs.FS, where string) error {
	p, err := rules.LoadPack(fsys)
	if err != nil {
		return fmt.Errorf("loading %s: %w", where, err)
	}
	rep, err := p.RunTests()
	if err != nil {
		return fmt.Errorf("reading the tests of %s: %w", where, err)
	}
	for _, c := range rep.Cases {
		status := "ok  "
		if len(c.Failures) > 0 {
			status = "FAIL"
		}
		fmt.Fprintf(env.stdout, "%s %s:%d %s (%s)\n", status, c.File, c.Line, c.Name, c.Job)
		for _, f := range c.Failures {
			fmt.Fprintf(env.stdout, "       %s\n", strings.ReplaceAll(f, "\n", "\n       "))
		}
	}
	fmt.Fprintf(env.stdout, "%s %s: %d cases, %d failed\n", p.Meta.ID, p.Meta.Version, len(rep.Cases), rep.Failed())
	if n := rep.Failed(); n > 0 {
		return failed{fmt.Sprintf("%d of %d cases failed", n, len(rep.Cases)), 1}
	}
	if len(rep.Cases) == 0 {
		return failed{"the pack has no test cases", 1}
	}
	return nil
}

func checkPack(env *cliEnv, fsys fs.FS, where string) error {
	problems, err := rules.Lint(fsys)
	if err != nil {
		return fmt.Errorf("checking %s: %w", where, err)
	}
	var nErr, nWarn int
	for _, p := range problems {
		fmt.Fprintln(env.stdout, p)
		if p.Warning {
			nWarn++
		} else {
			nErr++
		}
	}
	fmt.Fprintf(env.stdout, "%s: %d errors, %d warnings\n", where, nErr, nWarn)
	if nErr+nWarn > 0 {
		return failed{fmt.Sprintf("%d errors, %d warnings", nErr, nWarn), 1}
	}
	return nil
}
