package rules

import "math"

// The environment a single formula's program runs in is a map from name to
// value: expr reads map[string]any entries without reflection, the map's
// keys never change between runs (so reassigning them does not allocate),
// and a rule's result, already boxed by the VM, is stored as it is. Each
// evaluator keeps its own map. The combined program (combine.go) runs in the
// evaluator itself and reads each fact from its slice of facts.

// Names of the facts a job has besides a Site's fields.
const (
	factProposal  = "proposal"
	factPermit    = "permit"
	factHasPermit = "has_permit"
	factSurvey    = "survey"
	factInf       = "inf" // +∞, "no limit", e.g. min(inf, …) over an empty list
)

// input is what one job evaluates: the site and the job's own facts.
type input struct {
	site     *Site
	proposal *Proposal
	permit   *Permit // nil: no permit (note 4)
	survey   *Survey
}

// fact is one name of a job's environment.
type fact struct {
	name string
	get  func(in *input) any
	// items, for a list fact, gives the VM its items as []any of pointers:
	// expr walks a []any without reflection and without copying each item.
	// It writes them into buf, reusing its array. Formulas are type-checked,
	// and explanations show, what get gives.
	items func(in *input, buf []any) []any
}

// siteFacts are a Site's fields under the names of their expr tags.
var siteFacts = []fact{
	{name: "A", get: func(in *input) any { return in.site.A }},
	{name: "W", get: func(in *input) any { return in.site.W }},
	{name: "N", get: func(in *input) any { return in.site.N }},
	{name: "S", get: func(in *input) any { return in.site.S }},
	{name: "landlocked", get: func(in *input) any { return in.site.Landlocked }},
	{name: "front_street", get: func(in *input) any { return in.site.FrontStreet }},
	{name: "zones", get: func(in *input) any { return in.site.Zones }, items: func(in *input, buf []any) []any { return pointers(in.site.Zones, buf) }},
	{name: "governing", get: func(in *input) any { return in.site.Governing }},
	{name: "overlays", get: func(in *input) any { return in.site.Overlays }, items: func(in *input, buf []any) []any { return pointers(in.site.Overlays, buf) }},
	{name: "has_value_block", get: func(in *input) any { return in.site.HasValueBlock }},
	{name: "P", get: func(in *input) any { return in.site.P }},
	{name: "TXr", get: func(in *input) any { return in.site.TXr }},
	{name: "TXc", get: func(in *input) any { return in.site.TXc }},
	{name: "outside_plan", get: func(in *input) any { return in.site.OutsidePlan }},
	{name: "in_street", get: func(in *input) any { return in.site.InStreet }},
	{name: factInf, get: func(*input) any { return infinity }},
}

var infinity any = math.Inf(1) // boxed once

// pointers writes pointers to the items of s into buf's array (a new one
// when buf is nil or short). The list is never nil: a site without zones
// has an empty list of them.
func pointers[T any](s []T, buf []any) []any {
	if buf == nil {
		buf = make([]any, 0, len(s))
	}
	buf = buf[:0]
	for i := range s {
		buf = append(buf, &s[i])
	}
	return buf
}

// jobKind describes one of the three jobs: its name and its facts.
type jobKind struct {
	name  string
	facts []fact
	// structs are the facts that are records: explanations show the fields
	// a formula reads (survey.floors), not the whole record.
	structs []string
}

var (
	jobEstimate = jobKind{name: "estimate", facts: siteFacts}

	jobValidation = jobKind{name: "validation", structs: []string{factProposal},
		facts: append(siteFacts[:len(siteFacts):len(siteFacts)],
			fact{name: factProposal, get: func(in *input) any { return in.proposal }}),
	}

	jobViolations = jobKind{name: "violations", structs: []string{factPermit, factSurvey},
		facts: append(siteFacts[:len(siteFacts):len(siteFacts)],
			fact{name: factPermit, get: func(in *input) any {
				if in.permit == nil {
					return &Permit{}
				}
				return in.permit
			}},
			fact{name: factHasPermit, get: func(in *input) any { return in.permit != nil }},
			fact{name: factSurvey, get: func(in *input) any { return in.survey }}),
	}
)

// template returns a job's environment with zero facts, whose value types
// are what expressions are type-checked against.
func (k jobKind) template() map[string]any {
	env := map[string]any{}
	in := &input{site: &Site{}, proposal: &Proposal{}, survey: &Survey{}}
	for _, f := range k.facts {
		env[f.name] = f.get(in)
	}
	return env
}

// list is a list fact as the VM gets it: pointers to its items, and that
// slice boxed, once for as long as its array and length stay the same.
type list struct {
	items []any
	boxed any
}

// load writes the facts at the positions reads gives into the evaluator, as
// explanations show them and as the combined program reads them (a job
// passes the facts its expressions read: boxing the others would be
// wasted). A list is written into the array of the last evaluation's list.
func (e *evaluator) load(k jobKind, reads []int, in *input) {
	for _, i := range reads {
		f := k.facts[i]
		e.facts[i] = f.get(in)
		if f.items == nil {
			continue
		}
		l := &e.lists[i]
		items := f.items(in, l.items)
		if l.items == nil || len(items) != len(l.items) || (len(items) > 0 && &items[0] != &l.items[0]) {
			l.boxed = items
		}
		l.items = items
	}
}

// fillEnv writes the loaded facts into the map that the programs of single
// formulas read (the combined program reads the evaluator).
func (e *evaluator) fillEnv(k jobKind, reads []int) {
	for _, i := range reads {
		if k.facts[i].items != nil {
			e.env[k.facts[i].name] = e.lists[i].boxed
		} else {
			e.env[k.facts[i].name] = e.facts[i]
		}
	}
}

// factReader reads the fact at position i from the evaluator, as the
// combined program does.
func factReader(k jobKind, i int) func(any) any {
	if k.facts[i].items != nil {
		return func(e any) any { return e.(*evaluator).lists[i].boxed }
	}
	return func(e any) any { return e.(*evaluator).facts[i] }
}

// factIndex returns the position of a fact in a job's facts, or −1.
func (k jobKind) factIndex(name string) int {
	for i, f := range k.facts {
		if f.name == name {
			return i
		}
	}
	return -1
}
