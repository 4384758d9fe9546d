package permits

import (
	"errors"
	"fmt"

	"github.com/parvaneh/parvaneh/layers"
	"github.com/parvaneh/parvaneh/rules"
)

// Unregulated names the detailed-plan zone codes of a bundle that the rule
// pack has no regulations for, one problem per code (its first feature, and
// how many there are): every estimate of a parcel in such a zone would fail
// for want of a table row. Which table a code keys is the pack's own
// business, so each code is tried the way an estimate uses it: a probe
// parcel lying wholly in the zone, whose estimate must not miss a row keyed
// by the code. A probe sees only what that plain parcel's estimate reads: a
// row read only under a condition it does not meet, or only by validations
// and violations, goes unseen, and then the 422 not_in_rule_pack of a real
// request is the net. The importer reports these as warnings: the bundle
// keeps to its contract, but the pack must catch up.
func Unregulated(pack *rules.Pack, b *layers.Bundle) []layers.Problem {
	type finding struct {
		first int
		count int
		err   *rules.MissingRowError
	}
	byCode := map[string]*finding{}
	var codes []string
	for i, z := range b.DetailedPlan {
		if f, seen := byCode[z.Code]; seen {
			f.count++
			continue
		}
		f := &finding{first: i, count: 1}
		byCode[z.Code] = f
		codes = append(codes, z.Code)
		// A plain parcel: 500 m² on a 12 m street, with a value block, so
		// every rule the zone's code feeds runs.
		site := rules.Site{A: 500, N: 500, S: 12, FrontStreet: "probe", Governing: z.Code,
			Zones: []rules.ZoneShare{{Code: z.Code, Area: 500, Fraction: 1}}, HasValueBlock: true, P: 1, TXr: 1, TXc: 1}
		var mr *rules.MissingRowError
		if _, err := pack.Estimate(site); errors.As(err, &mr) && mr.Key == z.Code {
			f.err = mr
		}
	}
	var out []layers.Problem
	for _, code := range codes {
		f := byCode[code]
		if f.err == nil {
			continue
		}
		z := b.DetailedPlan[f.first]
		out = append(out, layers.Problem{File: layers.DetailedPlan.File(), Index: f.first, FeatureID: z.ID, Property: "code",
			Reason: fmt.Sprintf("rule pack %s %s has no regulations for zone code %q (%v), which %d zone(s) carry: estimates of their parcels answer not_in_rule_pack",
				pack.Meta.ID, pack.Meta.Version, code, f.err, f.count)})
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
