package rules

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"gopkg.in/yaml.v3"
)

// Tables are a pack's data: a keyed table (the zone table) maps a key to a
// row of typed columns, a step table (the street cap) maps a number to a
// value by ascending bounds. Each table becomes a function of its own name in
// the pack's expressions: zone("R121").density, street_cap(S).

const (
	tableKeyed = "keyed"
	tableStep  = "step"
)

// Column types of a keyed table.
var columnTypes = map[string]reflect.Type{
	"number": reflect.TypeOf(float64(0)),
	"text":   reflect.TypeOf(""),
	"flag":   reflect.TypeOf(false),
}

// MissingRowError is a keyed table asked for a row it does not have: the
// plan data names a key (a zone code, say) that the pack has no rules for.
// The pack and the plan disagree, not the caller; it is its own error type
// so that answers can say which key and table, and to whom it falls.
type MissingRowError struct {
	Table, Key string
}

func (e *MissingRowError) Error() string {
	return fmt.Sprintf("table %s has no row %q", e.Table, e.Key)
}

type table struct {
	name      string
	label     label
	kind      string
	line, col int

	// keyed
	key     string   // the key column's name, for messages
	columns []string // sorted
	rowType reflect.Type
	rows    map[string]any            // key → row struct, boxed once at load
	cells   map[string]map[string]any // column → key → value, boxed once at load

	// step
	steps []stepRow
}

type stepRow struct {
	bound     float64
	inclusive bool // le: x ≤ bound; lt: x < bound
	open      bool // the last row: any larger x
	value     any  // float64, boxed once at load
}

// step returns the value of the first row whose bound x is within.
func (t *table) step(x float64) any {
	for i := range t.steps {
		r := &t.steps[i]
		if r.open || x < r.bound || (r.inclusive && x == r.bound) {
			return r.value
		}
	}
	return t.steps[len(t.steps)-1].value // unreachable: the last row is open
}

var (
	stringType  = reflect.TypeOf("")
	floatType   = reflect.TypeOf(float64(0))
	intType     = reflect.TypeOf(0)
	int64Type   = reflect.TypeOf(int64(0))
	boolType    = reflect.TypeOf(false)
	decimalType = reflect.TypeOf((*decimal)(nil))
)

// funcOf returns a typed nil function of the signature in → out, the form
// expr.Function wants its signatures in.
func funcOf(in []reflect.Type, out reflect.Type) any {
	return reflect.Zero(reflect.FuncOf(in, []reflect.Type{out}, false)).Interface()
}

// columnFunc names the function that reads one column of a keyed table:
// zone(x).density is rewritten into a call of it (see columnPatcher), which
// returns the value boxed at load instead of reading the row by reflection.
func columnFunc(table, column string) string { return "·" + table + "." + column }

// columnFunctions are a keyed table's column functions.
func (t *table) columnFunctions() []function {
	var fns []function
	for ci, c := range t.columns {
		cells := t.cells[c]
		lookup := func(key string) (any, error) {
			v, ok := cells[key]
			if !ok {
				return nil, &MissingRowError{Table: t.name, Key: key}
			}
			return v, nil
		}
		fns = append(fns, function{name: columnFunc(t.name, c), key: lookup, one: func(k any) (any, error) {
			key, _ := k.(string)
			return lookup(key)
		}, types: []any{funcOf([]reflect.Type{stringType}, t.rowType.Field(ci).Type)}})
	}
	return fns
}

// columnPatcher rewrites table(key).column into ·table.column(key).
type columnPatcher struct{ tables map[string]*table }

func (p columnPatcher) Visit(node *ast.Node) {
	m, ok := (*node).(*ast.MemberNode)
	if !ok || m.Optional {
		return
	}
	call, ok := m.Node.(*ast.CallNode)
	prop, isStr := m.Property.(*ast.StringNode)
	if !ok || !isStr || len(call.Arguments) != 1 {
		return
	}
	callee, ok := call.Callee.(*ast.IdentifierNode)
	if !ok {
		return
	}
	t := p.tables[callee.Value]
	if t == nil || t.kind != tableKeyed || !slices.Contains(t.columns, prop.Value) {
		return
	}
	ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: columnFunc(t.name, prop.Value)}, Arguments: call.Arguments})
}

// function is the table as a formula function.
func (t *table) function() function {
	if t.kind == tableKeyed {
		return function{name: t.name, one: func(k any) (any, error) {
			key, _ := k.(string)
			row, ok := t.rows[key]
			if !ok {
				return nil, &MissingRowError{Table: t.name, Key: key}
			}
			return row, nil
		}, types: []any{funcOf([]reflect.Type{stringType}, t.rowType)}}
	}
	return function{name: t.name, one: func(v any) (any, error) {
		x, ok := toFloat(v)
		if !ok {
			return nil, fmt.Errorf("table %s needs a number, got %T", t.name, v)
		}
		if math.IsNaN(x) {
			return nil, fmt.Errorf("table %s got NaN", t.name)
		}
		return t.step(x), nil
	}, types: []any{
		funcOf([]reflect.Type{floatType}, floatType),
		funcOf([]reflect.Type{intType}, floatType),
		funcOf([]reflect.Type{int64Type}, floatType),
	}}
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float32:
		return float64(n), true
	case int32:
		return float64(n), true
	}
	return 0, false
}

// tableSet is a pack's tables, the names of those that failed to load (so
// formulas calling them are not reported a second time) and, filled while
// compiling, the names some formula calls.
type tableSet struct {
	tables []*table
	broken map[string]bool
	used   map[string]bool
}

// readTables reads tables.yaml. Tables are parsed by hand from the YAML tree
// because their rows' shape depends on their declared columns.
func readTables(file string, data []byte, ps *problems) *tableSet {
	ts := &tableSet{broken: map[string]bool{}, used: map[string]bool{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		addYAMLErr(ps, file, err)
		return ts
	}
	if len(doc.Content) == 0 {
		return ts
	}
	top := mapping(file, doc.Content[0], ps, "", "tables")
	tn := top["tables"]
	if tn == nil {
		return ts
	}
	if tn.Kind != yaml.MappingNode {
		ps.add(file, tn.Line, tn.Column, "", "tables must be a mapping of table name to table")
		return ts
	}
	for i := 0; i+1 < len(tn.Content); i += 2 {
		k, v := tn.Content[i], tn.Content[i+1]
		before := len(ps.list)
		t := readTable(file, k, v, ps)
		switch {
		case t == nil:
			ts.broken[k.Value] = true
		case len(ps.list) > before:
			// Keep a table with bad rows callable, so its callers are
			// checked; the pack is refused anyway.
			ts.broken[k.Value] = true
			ts.tables = append(ts.tables, t)
		default:
			ts.tables = append(ts.tables, t)
		}
	}
	return ts
}

// mapping checks that n is a mapping with only the allowed keys and returns
// its values by key.
func mapping(file string, n *yaml.Node, ps *problems, where string, allowed ...string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n.Kind != yaml.MappingNode {
		ps.add(file, n.Line, n.Column, where, "expected a mapping")
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(allowed, k.Value) {
			ps.add(file, k.Line, k.Column, where, "unknown key %q (allowed: %s)", k.Value, strings.Join(allowed, ", "))
			continue
		}
		if _, dup := out[k.Value]; dup {
			ps.add(file, k.Line, k.Column, where, "key %q given twice", k.Value)
			continue
		}
		out[k.Value] = n.Content[i+1]
	}
	return out
}

func readTable(file string, k, v *yaml.Node, ps *problems) *table {
	where := "table " + k.Value
	t := &table{name: k.Value, line: k.Line, col: k.Column}
	if !isIdent(t.name) {
		ps.add(file, k.Line, k.Column, where, "a table name must be a name usable in a formula (letters, digits, _)")
		return nil
	}
	f := mapping(file, v, ps, where, "label", "kind", "key", "columns", "rows", "note")
	if n := f["label"]; n != nil {
		if err := n.Decode(&t.label); err != nil {
			ps.add(file, n.Line, n.Column, where, "label: %v", err)
		}
	}
	if n := f["kind"]; n != nil {
		t.kind = n.Value
	}
	switch t.kind {
	case tableKeyed:
		if !readKeyed(file, t, f, ps) && t.rowType == nil {
			return nil
		}
	case tableStep:
		if !readSteps(file, t, f, ps) && len(t.steps) == 0 {
			return nil
		}
	default:
		ps.add(file, v.Line, v.Column, where, "kind must be %q or %q, got %q", tableKeyed, tableStep, t.kind)
		return nil
	}
	return t
}

func readKeyed(file string, t *table, f map[string]*yaml.Node, ps *problems) bool {
	where := "table " + t.name
	before := len(ps.list)
	if n := f["key"]; n != nil {
		t.key = n.Value
	}
	cn := f["columns"]
	if cn == nil || cn.Kind != yaml.MappingNode || len(cn.Content) == 0 {
		ps.add(file, t.line, t.col, where, "a keyed table needs columns: name: number|text|flag")
		return false
	}
	types := map[string]reflect.Type{}
	for i := 0; i+1 < len(cn.Content); i += 2 {
		name, typ := cn.Content[i], cn.Content[i+1]
		rt, ok := columnTypes[typ.Value]
		switch {
		case !isIdent(name.Value):
			ps.add(file, name.Line, name.Column, where, "column %q: a column name must be a name usable in a formula", name.Value)
		case !ok:
			ps.add(file, typ.Line, typ.Column, where, "column %s: type must be number, text or flag, got %q", name.Value, typ.Value)
		default:
			types[name.Value] = rt
			t.columns = append(t.columns, name.Value)
		}
	}
	slices.Sort(t.columns)
	fields := make([]reflect.StructField, len(t.columns))
	for i, c := range t.columns {
		// The Go field names are placeholders; expressions see the expr tag.
		fields[i] = reflect.StructField{Name: fmt.Sprintf("C%d", i), Type: types[c], Tag: reflect.StructTag(fmt.Sprintf(`expr:"%s" json:"%s"`, c, c))}
	}
	t.rowType = reflect.StructOf(fields)
	rn := f["rows"]
	if rn == nil || rn.Kind != yaml.MappingNode || len(rn.Content) == 0 {
		ps.add(file, t.line, t.col, where, "a keyed table needs rows: KEY: {column: value, …}")
		return false
	}
	t.rows = map[string]any{}
	t.cells = map[string]map[string]any{}
	for _, c := range t.columns {
		t.cells[c] = map[string]any{}
	}
	for i := 0; i+1 < len(rn.Content); i += 2 {
		key, cells := rn.Content[i], rn.Content[i+1]
		rw := fmt.Sprintf("table %s, row %s", t.name, key.Value)
		if _, dup := t.rows[key.Value]; dup {
			ps.add(file, key.Line, key.Column, rw, "row given twice")
			continue
		}
		if cells.Kind != yaml.MappingNode {
			ps.add(file, cells.Line, cells.Column, rw, "a row is a mapping {column: value, …}")
			continue
		}
		row := reflect.New(t.rowType).Elem()
		got := mapping(file, cells, ps, rw, t.columns...)
		for ci, c := range t.columns {
			cell := got[c]
			if cell == nil {
				ps.add(file, cells.Line, cells.Column, rw, "missing column %s", c)
				continue
			}
			var err error
			switch types[c] {
			case columnTypes["number"]:
				var x float64
				if err = cell.Decode(&x); err == nil {
					row.Field(ci).SetFloat(x)
				}
			case columnTypes["flag"]:
				var x bool
				if err = cell.Decode(&x); err == nil {
					row.Field(ci).SetBool(x)
				}
			default:
				row.Field(ci).SetString(cell.Value)
			}
			if err != nil {
				ps.add(file, cell.Line, cell.Column, rw, "column %s: %q is not a %s", c, cell.Value, columnTypeName(types[c]))
			}
		}
		t.rows[key.Value] = row.Interface()
		for ci, c := range t.columns {
			t.cells[c][key.Value] = row.Field(ci).Interface()
		}
	}
	return len(ps.list) == before
}

func columnTypeName(t reflect.Type) string {
	for name, ct := range columnTypes {
		if ct == t {
			return name
		}
	}
	return t.String()
}

func readSteps(file string, t *table, f map[string]*yaml.Node, ps *problems) bool {
	where := "table " + t.name
	before := len(ps.list)
	rn := f["rows"]
	if rn == nil || rn.Kind != yaml.SequenceNode || len(rn.Content) == 0 {
		ps.add(file, t.line, t.col, where, "a step table needs rows: a list of {lt: BOUND, value: V} or {le: BOUND, value: V}, the last with value only")
		return false
	}
	for i, n := range rn.Content {
		cells := mapping(file, n, ps, where, "lt", "le", "value")
		var r stepRow
		lt, le := cells["lt"], cells["le"]
		switch {
		case lt != nil && le != nil:
			ps.add(file, n.Line, n.Column, where, "a row has lt or le, not both")
			continue
		case lt != nil || le != nil:
			b := lt
			r.inclusive = le != nil
			if b == nil {
				b = le
			}
			if err := b.Decode(&r.bound); err != nil || math.IsNaN(r.bound) {
				ps.add(file, b.Line, b.Column, where, "bound %q is not a number", b.Value)
				continue
			}
		default:
			r.open = true
		}
		vn := cells["value"]
		var x float64
		if vn == nil {
			ps.add(file, n.Line, n.Column, where, "a row needs a value")
			continue
		}
		if err := vn.Decode(&x); err != nil {
			ps.add(file, vn.Line, vn.Column, where, "value %q is not a number (write .inf for no limit)", vn.Value)
			continue
		}
		r.value = x
		last := i == len(rn.Content)-1
		switch {
		case r.open && !last:
			ps.add(file, n.Line, n.Column, where, "only the last row may have no bound")
		case !r.open && last:
			ps.add(file, n.Line, n.Column, where, "the last row must have no bound (it takes every larger value)")
		}
		if k := len(t.steps); k > 0 && !r.open {
			p := t.steps[k-1]
			if !p.open && (r.bound < p.bound || (r.bound == p.bound && (p.inclusive || !r.inclusive))) {
				ps.add(file, n.Line, n.Column, where, "bounds must ascend: this row's bound does not come after the previous row's")
			}
		}
		t.steps = append(t.steps, r)
	}
	return len(ps.list) == before
}

// isIdent reports whether s is a plain name an expression can use.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
