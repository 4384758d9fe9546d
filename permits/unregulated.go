package permits

import (
	"errors"
	"fmt"

	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/rules"
)

// Unregulated lists the detailed-plan zones of a bundle whose code the rule
// pack has no regulations for, one problem per feature: every estimate of a
// parcel in such a zone would fail for want of a table row. Which table a
// code keys is the pack's own business, so each code is tried the way an
// estimate uses it: a probe parcel lying wholly in the zone, whose estimate
// must not miss a row keyed by the code. The importer reports these as
// warnings: the bundle keeps to its contract, but the pack must catch up.
func Unregulated(pack *rules.Pack, b *layers.Bundle) []layers.Problem {
	missing := map[string]*rules.MissingRowError{}
	for _, z := range b.DetailedPlan {
		if _, seen := missing[z.Code]; seen {
			continue
		}
		missing[z.Code] = nil
		// A plain parcel: 500 m² on a 12 m street, with a value block, so
		// every rule the zone's code feeds runs.
		site := rules.Site{A: 500, N: 500, S: 12, FrontStreet: "probe", Governing: z.Code,
			Zones: []rules.ZoneShare{{Code: z.Code, Area: 500, Fraction: 1}}, HasValueBlock: true, P: 1, TXr: 1, TXc: 1}
		var mr *rules.MissingRowError
		if _, err := pack.Estimate(site); errors.As(err, &mr) && mr.Key == z.Code {
			missing[z.Code] = mr
		}
	}
	var out []layers.Problem
	for i, z := range b.DetailedPlan {
		if mr := missing[z.Code]; mr != nil {
			out = append(out, layers.Problem{File: layers.DetailedPlan.File(), Index: i, FeatureID: z.ID, Property: "code",
				Reason: fmt.Sprintf("rule pack %s %s has no regulations for zone code %q (%v): estimates of its parcels answer not_in_rule_pack",
					pack.Meta.ID, pack.Meta.Version, z.Code, mr)})
		}
	}
	return out
}

// Unregulated is Unregulated with the rule pack the bundle names, when this
// service has it (none: nothing to say).
func (s *Service) Unregulated(b *layers.Bundle) []layers.Problem {
	pack, err := s.packs.Pack(b.Manifest.RulePack)
	if err != nil {
		return nil
	}
	return Unregulated(pack, b)
}
