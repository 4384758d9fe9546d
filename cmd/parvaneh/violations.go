package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/parvaneh/parvaneh/permits"
	"github.com/parvaneh/parvaneh/rules"
)

// runViolations reviews a violation case file (docs/violation-case.md) for
// the Article 100 commission and prints the review; it exits 3 when a
// violation is found.
func runViolations(ctx context.Context, env *cliEnv, args []string) error {
	return runFileJob(ctx, env, args, fileJob[*permits.Case, *permits.Review]{
		name: "violations",
		usage: "usage: parvaneh violations [-json] [-bundle DIR | -database-url URL] CASE.json\n" +
			"exit code 0: no violation; 3: violations found; 1: an error; 2: a wrong call",
		file:  "case",
		parse: permits.ParseCase,
		run:   (*permits.Service).Violations,
		print: printReview,
		judge: func(rv *permits.Review) error {
			switch {
			case rv.Stop != nil:
				return verdict("the building cannot be reviewed on this parcel")
			case rv.Found > 0:
				return verdict(fmt.Sprintf("%d violation(s) found", rv.Found))
			}
			return nil
		},
	})
}

// printReview writes the review as tables a person reads: the site, permit
// and survey, then each violation with its figure, ruling and fine.
func printReview(w io.Writer, file string, rv *permits.Review) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	printDocument(tw, "case", file, rv.Reference, rv.Parcel, rv.Plan, rv.RulePack, rv.AsOf, rv.Facts)
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
