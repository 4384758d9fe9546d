package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/parvaneh/parvaneh/permits"
	"github.com/parvaneh/parvaneh/rules"
)

// violationsFound is the outcome of a review that found violations (or could
// not review the parcel): exit 3, as validate's failing check.
type violationsFound struct {
	found   int
	stopped bool
}

func (e violationsFound) Error() string {
	if e.stopped {
		return "the building cannot be reviewed on this parcel"
	}
	return fmt.Sprintf("%d violation(s) found", e.found)
}

func (e violationsFound) ExitCode() int { return exitChecksFailed }

// runViolations reviews a violation case file (docs/violation-case.md) for
// the Article 100 commission and prints the review; it exits 3 when a
// violation is found.
func runViolations(ctx context.Context, env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("violations", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: parvaneh violations [-json] [-bundle DIR | -database-url URL] CASE.json\n"+
			"exit code 0: no violation; 3: violations found; 1: an error; 2: a wrong call")
		fs.PrintDefaults()
	}
	asJSON := fs.Bool("json", false, "print the review as JSON instead of a table")
	bf := addBackendFlags(fs)
	files, err := parseFileFlags(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return fmt.Errorf("%w: give one case file: parvaneh violations CASE.json", errUsage)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		return err
	}
	c, err := permits.ParseCase(data)
	if err != nil {
		return fmt.Errorf("%s: %w", files[0], err)
	}
	b, err := bf.open(ctx, env)
	if err != nil {
		return err
	}
	defer b.store.Close()
	rv, err := b.service().Violations(ctx, c)
	if err != nil {
		return fmt.Errorf("%s: %w", files[0], err)
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rv)
	} else {
		err = printReview(env.stdout, files[0], rv)
	}
	if err != nil {
		return err
	}
	if rv.Found > 0 || rv.Stop != nil {
		return violationsFound{found: rv.Found, stopped: rv.Stop != nil}
	}
	return nil
}

// printReview writes the review as tables a person reads: the site, permit
// and survey, then each violation with its figure, ruling and fine.
func printReview(w io.Writer, file string, rv *permits.Review) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	name := file
	if rv.Reference != "" {
		name += " (" + rv.Reference + ")"
	}
	fmt.Fprintf(tw, "case\t%s\n", name)
	id := "(given outline)"
	if rv.Parcel != nil {
		id = rv.Parcel.ID
	}
	fmt.Fprintf(tw, "parcel\t%s\n", id)
	fmt.Fprintf(tw, "plan\t%s version %d (%s), in force from %s; as of %s\n",
		rv.Plan.Municipality, rv.Plan.Seq, rv.Plan.Label, rv.Plan.EffectiveFrom, rv.AsOf)
	fmt.Fprintf(tw, "rule pack\t%s %s\n", rv.RulePack.ID, rv.RulePack.Version)
	f := rv.Facts
	fmt.Fprintf(tw, "site\tA %.2f m², W %.2f m², N %.2f m²; governing zone %s\n", f.A, f.W, f.N, orNone(f.Governing))
	if p := rv.Permit; p != nil {
		fmt.Fprintf(tw, "permit\tresidential %.2f m², commercial %.2f m², %d floors, %d parking spaces\n",
			p.ResidentialArea, p.CommercialArea, p.Floors, p.ParkingSpaces)
	} else {
		fmt.Fprintf(tw, "permit\tnone (built without a permit: measured against the estimate)\n")
	}
	s := rv.Survey
	fmt.Fprintf(tw, "survey\tresidential %.2f m², commercial %.2f m², %d floors, %d parking spaces\n",
		s.ResidentialArea, s.CommercialArea, s.Floors, s.ParkingSpaces)
	if fp := rv.Footprint; fp != nil {
		fmt.Fprintf(tw, "footprint\t%.2f m² surveyed; on streets %.2f m²\n", fp.AreaM2, *fp.OnStreetsM2)
	}
	for _, r := range rv.Repairs {
		fmt.Fprintf(tw, "repaired\t%s\n", r)
	}
	switch {
	case rv.Stop != nil:
		fmt.Fprintf(tw, "result\tNOT REVIEWED: %s\n", rv.Stop.En)
	case rv.Found == 0:
		fmt.Fprintf(tw, "result\tNO VIOLATION\n")
	default:
		fmt.Fprintf(tw, "result\t%d VIOLATION(S)\n", rv.Found)
	}
	for _, n := range rv.Notes {
		fmt.Fprintf(tw, "note\t%s\n", n.En)
	}
	if len(rv.Violations) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "violation\tfigure\truling\tfine (Rial)\tformula")
		for _, v := range rv.Violations {
			fine, formula := "-", v.Formula
			if v.Fine != nil {
				fine = fmt.Sprintf("%d", *v.Fine)
			}
			// The fine's own formula says more than the name of its rule.
			if fig, ok := fineFigure(rv, v.FineFormula); ok {
				formula = fig.ID + " = " + fig.Formula
			}
			fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\t%s\n", v.LabelEn, number(v.Figure), v.Unit, v.Ruling, fine, formula)
		}
	}
	if rv.FinesTotal != nil && rv.Found > 0 {
		fmt.Fprintf(tw, "total of fines\t\t\t%d\t\n", *rv.FinesTotal)
	}
	return tw.Flush()
}

// fineFigure finds the money figure a violation's fine comes from.
func fineFigure(rv *permits.Review, id string) (rules.Figure, bool) {
	for _, f := range rv.Figures {
		if id != "" && f.ID == id {
			return f, true
		}
	}
	return rules.Figure{}, false
}
