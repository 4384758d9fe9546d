package rules

import (
	"math"
)

// Result is what a job gives: each figure with its explanation, and the
// job's checks or violations. Figures are in the order the pack writes its
// rules, except that a rule comes after the rules it reads.
type Result struct {
	Pack    string `json:"pack"`
	Version string `json:"version"`
	Job     string `json:"job"` // estimate, validation or violations
	// Stop is set when a stop note held (N = 0, outside the plan): the job
	// gives no figures, only the reason.
	Stop       *Note       `json:"stop,omitempty"`
	Notes      []Note      `json:"notes,omitempty"`
	Figures    []Figure    `json:"figures"`
	Checks     []Check     `json:"checks,omitempty"`
	Violations []Violation `json:"violations,omitempty"`
}

// Note is a message of the pack, in Persian and English.
type Note struct {
	ID string `json:"id"`
	Fa string `json:"fa"`
	En string `json:"en"`
}

// Figure is one rule's result with its explanation: what the rule is (its
// id, labels, kind, unit and formula), the inputs the formula read, and the
// value.
type Figure struct {
	*RuleInfo
	// Inputs may be shared with another figure of the result that read
	// the same inputs: read them, do not change them.
	Inputs []Input `json:"inputs"`
	// Value is float64 for area and number, int64 (Rial) for money, int for
	// count, bool for flag, string for text.
	Value any `json:"value"`
}

// RuleInfo describes one rule of a pack. Every result of the pack shares it:
// read it, do not change it.
type RuleInfo struct {
	ID      string `json:"id"`
	LabelFa string `json:"label_fa"`
	LabelEn string `json:"label_en"`
	Kind    Kind   `json:"kind"`
	Unit    string `json:"unit,omitempty"`
	Formula string `json:"formula"`
	// encoded is the members above as JSON, made when the pack is compiled.
	encoded []byte
}

// Input is one fact or earlier figure a formula read, with its value.
type Input struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// Check is one test of a proposal against a limit (validation).
type Check struct {
	ID      string `json:"id"`
	LabelFa string `json:"label_fa"`
	LabelEn string `json:"label_en"`
	Kind    Kind   `json:"kind"`
	Unit    string `json:"unit,omitempty"`
	Pass    bool   `json:"pass"`
	// Value op Limit is the test; Margin is how far Value is inside the
	// limit (negative: how far outside).
	Value   float64 `json:"value"`
	Op      string  `json:"op"`
	Limit   float64 `json:"limit"`
	Margin  float64 `json:"margin"`
	Formula string  `json:"formula"`
	Inputs  []Input `json:"inputs"`
}

// Violation is one Article 100 finding with its proposed ruling.
type Violation struct {
	ID      string `json:"id"`
	LabelFa string `json:"label_fa"`
	LabelEn string `json:"label_en"`
	Kind    Kind   `json:"kind"`
	Unit    string `json:"unit,omitempty"`
	// Figure is the measured quantity (excess area, missing spaces, floors).
	Figure float64 `json:"figure"`
	// Ruling is RulingFine, RulingDemolition or RulingReferral.
	Ruling string `json:"ruling"`
	// Fine is the proposed fine in Rial when Ruling is RulingFine and money
	// is known (the parcel has a value block).
	Fine        *int64  `json:"fine,omitempty"`
	Formula     string  `json:"formula"`
	FineFormula string  `json:"fine_formula,omitempty"`
	Inputs      []Input `json:"inputs"`
}

// Figure returns the figure with the given id.
func (r *Result) Figure(id string) (Figure, bool) {
	for _, f := range r.Figures {
		if f.ID == id {
			return f, true
		}
	}
	return Figure{}, false
}

// Float returns a numeric figure (area, number, count or money) as float64.
func (r *Result) Float(id string) (float64, bool) {
	f, ok := r.Figure(id)
	if !ok {
		return 0, false
	}
	return toFloat(f.Value)
}

// Money returns a money figure in Rial.
func (r *Result) Money(id string) (int64, bool) {
	f, ok := r.Figure(id)
	v, isMoney := f.Value.(int64)
	return v, ok && isMoney
}

// Count returns a count figure.
func (r *Result) Count(id string) (int, bool) {
	f, ok := r.Figure(id)
	v, isCount := f.Value.(int)
	return v, ok && isCount
}

// Text returns a text figure.
func (r *Result) Text(id string) (string, bool) {
	f, ok := r.Figure(id)
	v, isText := f.Value.(string)
	return v, ok && isText
}

// Flag returns a flag figure.
func (r *Result) Flag(id string) (bool, bool) {
	f, ok := r.Figure(id)
	v, isFlag := f.Value.(bool)
	return v, ok && isFlag
}

// Check returns the check with the given id.
func (r *Result) Check(id string) (Check, bool) {
	for _, c := range r.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return Check{}, false
}

// Violation returns the violation with the given id.
func (r *Result) Violation(id string) (Violation, bool) {
	for _, v := range r.Violations {
		if v.ID == id {
			return v, true
		}
	}
	return Violation{}, false
}

// Passed reports whether every check passed.
func (r *Result) Passed() bool {
	for _, c := range r.Checks {
		if !c.Pass {
			return false
		}
	}
	return true
}

// JSON has no infinity; "no limit" (+∞) is written as the string "inf".
func jsonNumber(v any) any {
	if f, ok := v.(float64); ok {
		switch {
		case math.IsInf(f, 1):
			return "inf"
		case math.IsInf(f, -1):
			return "-inf"
		case math.IsNaN(f):
			return "nan"
		}
	}
	return v
}
