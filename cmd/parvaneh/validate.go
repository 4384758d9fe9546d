package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/parvaneh/parvaneh/permits"
	"github.com/parvaneh/parvaneh/rules"
)

// runValidate checks an engineer's proposal file (docs/proposal.md) against
// the rules in force and prints the report; it exits 3 when a check fails.
func runValidate(ctx context.Context, env *cliEnv, args []string) error {
	return runFileJob(ctx, env, args, fileJob[*permits.Proposal, *permits.Validation]{
		name: "validate",
		usage: "usage: parvaneh validate [-json] [-bundle DIR | -database-url URL] PROPOSAL.json\n" +
			"exit code 0: every check passed; 3: a check failed; 1: an error; 2: a wrong call",
		file:  "proposal",
		parse: permits.ParseProposal,
		run:   (*permits.Service).Validate,
		print: printValidation,
		judge: func(v *permits.Validation) error {
			switch {
			case v.Stop != nil:
				return verdict("the proposal cannot be checked on this parcel")
			case !v.Passed:
				return verdict(fmt.Sprintf("%d check(s) failed", v.Failed))
			}
			return nil
		},
	})
}

// printValidation writes the report as tables a person reads: the site and
// footprint, the checks (failing first), the dues.
func printValidation(w io.Writer, file string, v *permits.Validation) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	printDocument(tw, "proposal", file, v.Reference, v.Parcel, v.Plan, v.RulePack, v.AsOf, v.Facts)
	fp := v.Footprint
	if fp.Source == permits.FootprintPolygon {
		var on []string
		for _, s := range fp.Streets {
			on = append(on, fmt.Sprintf("%s %.2f", s.StreetID, s.AreaM2))
		}
		fmt.Fprintf(tw, "footprint\t%.2f m² drawn; outside the net parcel %.2f m², beyond the parcel %.2f m², on streets %.2f m² %s\n",
			fp.AreaM2, *fp.OutsideNetM2, *fp.OutsideParcelM2, *fp.OnStreetsM2, strings.Join(on, ", "))
	} else {
		fmt.Fprintf(tw, "footprint\t%.2f m² declared (not drawn: the setback is not measured)\n", fp.AreaM2)
	}
	for _, r := range v.Repairs {
		fmt.Fprintf(tw, "repaired\t%s\n", r)
	}
	switch {
	case v.Stop != nil:
		fmt.Fprintf(tw, "result\tNOT CHECKED: %s\n", v.Stop.En)
	case v.Passed:
		fmt.Fprintf(tw, "result\tPASSED: all %d checks\n", len(v.Checks))
	default:
		fmt.Fprintf(tw, "result\tFAILED: %d of %d checks\n", v.Failed, len(v.Checks))
	}
	for _, n := range v.Notes {
		fmt.Fprintf(tw, "note\t%s\n", n.En)
	}
	if len(v.Checks) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "check\tresult\tvalue\tlimit\tmargin\tunit")
		for _, c := range v.Checks {
			result := "pass"
			if !c.Pass {
				result = "FAIL"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\t%s\t%s\n", c.LabelEn, result, number(c.Value), c.Op, number(c.Limit), number(c.Margin), c.Unit)
		}
	}
	if v.DuesTotal != nil {
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "dues\tRial\tformula")
		for _, d := range v.Dues {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", d.LabelEn, figureValue(rules.Figure{RuleInfo: d.RuleInfo, Value: d.Value}), d.Formula)
		}
		fmt.Fprintf(tw, "total\t%d Rial\t\n", *v.DuesTotal)
	}
	return tw.Flush()
}

// number prints a check's figure: whole numbers bare, others to 0.01.
func number(x float64) string {
	switch {
	case math.IsInf(x, 1):
		return "no limit"
	case math.IsInf(x, -1):
		return "-inf"
	case math.Abs(x) < 1e15 && x == math.Trunc(x):
		return fmt.Sprintf("%d", int64(x))
	}
	return fmt.Sprintf("%.2f", x)
}
