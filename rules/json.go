package rules

import (
	"encoding/json"
	"math"
	"strconv"
)

// A result's JSON is written by hand here, byte for byte what encoding/json
// would write of the same values (the golden files hold it to that), because
// an estimate answer is mostly figures: encoding/json calls a MarshalJSON per
// figure and per input and then re-reads and compacts every byte each one
// returns, which cost ten times the estimate itself. A rule's own members
// (id, labels, kind, unit, formula) are the same in every result, so they
// are encoded once, when the pack is compiled.

// MarshalJSON writes the figure: its rule's members, inputs and value (±Inf
// and NaN as the strings "inf", "-inf", "nan": JSON has no infinity).
func (f Figure) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 256)
	b = append(b, '{')
	b = append(b, f.RuleInfo.members()...)
	b = append(b, `,"inputs":`...)
	b, err := appendInputs(b, f.Inputs)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"value":`...)
	if b, err = appendValue(b, f.Value); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// MarshalJSON writes the input, its value as a figure's.
func (in Input) MarshalJSON() ([]byte, error) {
	return appendInput(make([]byte, 0, 64), in)
}

// MarshalJSON writes the check, its value, limit and margin as a figure's
// value.
func (c Check) MarshalJSON() ([]byte, error) {
	type plain Check
	return json.Marshal(struct {
		plain
		Value  any `json:"value"`
		Limit  any `json:"limit"`
		Margin any `json:"margin"`
	}{plain(c), jsonNumber(c.Value), jsonNumber(c.Limit), jsonNumber(c.Margin)})
}

// members is the rule's members as JSON without the braces; encoded at
// compile time for a pack's rules (encodeMembers), on the spot for others.
func (r *RuleInfo) members() []byte {
	switch {
	case r == nil:
		return emptyMembers
	case r.encoded != nil:
		return r.encoded
	}
	return encodeMembers(r)
}

var emptyMembers = encodeMembers(&RuleInfo{})

// encodeMembers encodes r's exported members as encoding/json does, without
// the braces.
func encodeMembers(r *RuleInfo) []byte {
	type plain RuleInfo // no methods, so no recursion
	b, err := json.Marshal((*plain)(r))
	if err != nil {
		// Strings and a string kind only: encoding cannot fail.
		panic("rules: encoding a rule's members: " + err.Error())
	}
	return b[1 : len(b)-1]
}

func appendInputs(b []byte, ins []Input) ([]byte, error) {
	if ins == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i, in := range ins {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendInput(b, in); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

func appendInput(b []byte, in Input) ([]byte, error) {
	b = append(b, `{"name":`...)
	b = appendString(b, in.Name)
	b = append(b, `,"value":`...)
	b, err := appendValue(b, in.Value)
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// appendValue writes a figure's value: the kinds' Go types directly,
// anything else through encoding/json.
func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case float64:
		switch {
		case math.IsInf(x, 1):
			return append(b, `"inf"`...), nil
		case math.IsInf(x, -1):
			return append(b, `"-inf"`...), nil
		case math.IsNaN(x):
			return append(b, `"nan"`...), nil
		}
		return appendFloat(b, x), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case string:
		return appendString(b, x), nil
	case nil:
		return append(b, "null"...), nil
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

// appendFloat writes f as encoding/json does: the shortest decimal that
// reads back as f, in exponent form below 1e-6 and from 1e21, the exponent
// without a leading zero.
func appendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendString writes s as a JSON string. Names of facts and figures are
// plain ASCII and go straight in; anything else goes through encoding/json,
// which also escapes <, > and & for HTML.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			j, _ := json.Marshal(s) // a string always encodes
			return append(b, j...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
