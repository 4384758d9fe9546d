package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/parvaneh/parvaneh/permits"
	"github.com/parvaneh/parvaneh/zoning"
)

// exitChecksFailed is the exit code of validate and violations when the
// answer is "no" (a check failed, a violation was found, or the parcel could
// not be judged): an engineer's script tells it from an error (1) and a
// wrong call (2).
const exitChecksFailed = 3

// verdict is a "no" answer of a file job; it exits exitChecksFailed.
type verdict string

func (v verdict) Error() string { return string(v) }
func (verdict) ExitCode() int   { return exitChecksFailed }

// fileJob is a command that reads one JSON file (a proposal, a violation
// case), runs a permits job on it and prints the answer as a table or JSON.
type fileJob[In, Out any] struct {
	name  string // the subcommand
	usage string // its usage lines, shown by -h
	file  string // what the file is, for "give one … file"
	parse func([]byte) (In, error)
	run   func(*permits.Service, context.Context, In) (Out, error) // a permits.Service method expression
	print func(w io.Writer, file string, out Out) error
	// judge returns a verdict when the answer is "no", else nil.
	judge func(Out) error
}

func runFileJob[In, Out any](ctx context.Context, env *cliEnv, args []string, j fileJob[In, Out]) error {
	fs := flag.NewFlagSet(j.name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, j.usage)
		fs.PrintDefaults()
	}
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	bf := addBackendFlags(fs)
	files, err := parseFileFlags(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return fmt.Errorf("%w: give one %s file", errUsage, j.file)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		return err
	}
	in, err := j.parse(data)
	if err != nil {
		return fmt.Errorf("%s: %w", files[0], err)
	}
	b, err := bf.open(ctx, env)
	if err != nil {
		return err
	}
	defer b.store.Close()
	out, err := j.run(b.service(), ctx, in)
	if err != nil {
		return fmt.Errorf("%s: %w", files[0], err)
	}
	if *asJSON {
		err = printJSON(env.stdout, out)
	} else {
		err = j.print(env.stdout, files[0], out)
	}
	if err != nil {
		return err
	}
	return j.judge(out)
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// parseFileFlags parses flags that may come before or after the file
// arguments, returning the files.
func parseFileFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var files []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return files, nil
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// printDocument writes what a filed document's report is about: the
// document (kind, file and the caller's reference), then printSource and
// the site's areas.
func printDocument(w io.Writer, kind, file, reference string, parcel *permits.ParcelInfo,
	plan permits.PlanRef, pack permits.PackRef, asOf string, f zoning.Facts) {
	if reference != "" {
		file += " (" + reference + ")"
	}
	fmt.Fprintf(w, "%s\t%s\n", kind, file)
	printSource(w, parcel, plan, pack, asOf)
	fmt.Fprintf(w, "site\tA %.2f m², W %.2f m², N %.2f m²; governing zone %s\n", f.A, f.W, f.N, orNone(f.Governing))
}
