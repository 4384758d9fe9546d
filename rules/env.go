package rules

import "math"

// The environment an expression runs in is a map from name to value: expr
// reads map[string]any entries without reflection, the map's keys never
// change between runs (so reassigning them does not allocate), and a rule's
// result, already boxed by the VM, is stored as it is. Each evaluator keeps
// its own map.

// Names of the facts every job has besides a Site's fields.
const (
	factProposal  = "proposal"
	factPermit    = "permit"
	factHasPermit = "has_permit"
	factSurvey    = "survey"
	factInf       = "inf" // +∞, "no limit", e.g. min(inf, …) over an empty list
)

// put writes the site facts; the keys are the names in Site's expr tags.
func (s *Site) put(env map[string]any) {
	env["A"] = s.A
	env["W"] = s.W
	env["N"] = s.N
	env["S"] = s.S
	env["landlocked"] = s.Landlocked
	env["front_street"] = s.FrontStreet
	env["zones"] = s.Zones
	env["governing"] = s.Governing
	env["overlays"] = s.Overlays
	env["has_value_block"] = s.HasValueBlock
	env["P"] = s.P
	env["TXr"] = s.TXr
	env["TXc"] = s.TXc
	env["outside_plan"] = s.OutsidePlan
	env["in_street"] = s.InStreet
	env[factInf] = math.Inf(1)
}

// input is what one job evaluates: the site and the job's own facts.
type input struct {
	site     *Site
	proposal *Proposal
	permit   *Permit // nil: no permit (note 4)
	survey   *Survey
}

// jobKind describes one of the three jobs: its name and its extra facts.
type jobKind struct {
	name string
	// structs are the extra facts that are records: explanations show the
	// fields a formula reads (survey.floors), not the whole record.
	structs []string
	put     func(in *input, env map[string]any)
}

var (
	jobEstimate = jobKind{name: "estimate", put: func(*input, map[string]any) {}}

	jobValidation = jobKind{name: "validation", structs: []string{factProposal},
		put: func(in *input, env map[string]any) {
			env[factProposal] = in.proposal
		}}

	jobViolations = jobKind{name: "violations", structs: []string{factPermit, factSurvey},
		put: func(in *input, env map[string]any) {
			if in.permit != nil {
				env[factPermit] = in.permit
			} else {
				env[factPermit] = &Permit{}
			}
			env[factHasPermit] = in.permit != nil
			env[factSurvey] = in.survey
		}}
)

// template returns a job's environment with zero facts, whose value types
// are what expressions are type-checked against.
func (k jobKind) template() map[string]any {
	env := map[string]any{}
	(&Site{}).put(env)
	k.put(&input{proposal: &Proposal{}, survey: &Survey{}}, env)
	return env
}
