package rules

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// Budgets every pack expression runs under, so that no pack can hang or
// exhaust the server: MaxNodes bounds an expression's size when it is
// compiled, MemoryBudget bounds what one run may allocate (ranges, lists,
// maps; expr counts them in elements). A pack cannot raise them.
const (
	MaxNodes     = 1000
	MemoryBudget = 100_000
)

// Kind is what a figure measures; it decides the figure's Go type and its
// rounding (rule book §0).
type Kind string

// The kinds of a rule.
const (
	KindArea   Kind = "area"   // float64 m², rounded half up to 0.01 when computed
	KindMoney  Kind = "money"  // int64 Rial, computed exactly, rounded half up
	KindNumber Kind = "number" // float64, not rounded (ratios, densities %)
	KindCount  Kind = "count"  // int, must come out whole
	KindFlag   Kind = "flag"   // bool
	KindText   Kind = "text"   // string
)

var kindSample = map[Kind]any{
	KindArea:   float64(0),
	KindMoney:  int64(0),
	KindNumber: float64(0),
	KindCount:  0,
	KindFlag:   false,
	KindText:   "",
}

// builtins are the expr built-in functions a pack may call. The others are
// off: reduce (with let, the only way to feed a value back into itself, which
// could grow a string without bound), dates and clocks (rules must not depend
// on when they run), JSON, string builders.
var builtins = []string{
	"all", "any", "none", "one", "filter", "map", "find", "count", "sum", "len",
	"abs", "ceil", "floor", "round", "int", "float", "max", "min", "first", "last",
	"hasPrefix", "hasSuffix",
}

// reserved are names a rule, table or fact may not take.
var reserved = []string{
	"true", "false", "nil", "and", "or", "not", "in", "matches", "contains",
	"startsWith", "endsWith", "let", "if", "else", "inf",
}

// compiled is one compiled expression with what its explanation needs.
type compiled struct {
	src    source
	prog   *vm.Program
	kind   Kind
	deps   []int      // positions, in the job's evaluation order, of the rules it reads
	inputs []inputRef // the facts and rules it reads, in order of appearance
}

// inputRef names one input of an explanation: an environment entry, or a
// path into a fact struct (proposal.height_m), fetched by its own program.
type inputRef struct {
	name string
	rule int // the rule's evaluation position, or −1 (set once the job is ordered)
	fact int // the fact's position in the job's facts, or −1
	path *vm.Program
}

// compiler compiles the expressions of one job against its environment.
type compiler struct {
	kind      jobKind
	env       map[string]any // name → sample value of its Go type
	facts     map[string]bool
	structs   map[string]bool // struct facts whose fields are shown as paths
	rules     map[string]int  // rule id → position in the job's declaration order
	tables    map[string]*table
	broken    map[string]bool     // tables that failed to load: calls are not reported again
	used      map[string]bool     // tables called by some expression
	functions map[string]function // the tables' and the exact money functions
	reads     []bool              // per fact of the job: some expression reads it
	funcs     []expr.Option       // built-ins, budgets, functions
	options   []expr.Option       // the environment, funcs and the column patcher
	ps        *problems
}

func newCompiler(kind jobKind, ts *tableSet, ps *problems) *compiler {
	env := kind.template()
	c := &compiler{
		kind:      kind,
		env:       env,
		used:      ts.used,
		broken:    ts.broken,
		facts:     map[string]bool{},
		structs:   map[string]bool{},
		rules:     map[string]int{},
		tables:    map[string]*table{},
		functions: map[string]function{},
		reads:     make([]bool, len(kind.facts)),
		ps:        ps,
	}
	for k := range env {
		c.facts[k] = true
	}
	for _, s := range kind.structs {
		c.structs[s] = true
	}
	c.funcs = []expr.Option{expr.DisableAllBuiltins(), expr.MaxNodes(MaxNodes)}
	for _, b := range builtins {
		c.funcs = append(c.funcs, expr.EnableBuiltin(b))
	}
	var fns []function
	for _, t := range ts.tables {
		c.tables[t.name] = t
		fns = append(fns, t.function())
		if t.kind == tableKeyed {
			fns = append(fns, t.columnFunctions()...)
		}
	}
	for _, f := range append(fns, exactFunctions()...) {
		c.functions[f.name] = f
		c.funcs = append(c.funcs, f.option())
	}
	c.options = append([]expr.Option{expr.Env(env)}, c.funcs...)
	c.options = append(c.options, expr.Patch(columnPatcher{c.tables}))
	return c
}

// addRule makes a rule's result visible to the job's expressions.
func (c *compiler) addRule(id string, k Kind, decl int) {
	c.env[id] = kindSample[k]
	c.rules[id] = decl
}

// exprError is a problem inside an expression.
type exprError struct {
	line, col int // inside the expression: 1-based line, 0-based column
	msg       string
}

// compile compiles src as an expression of kind k for the rule or part named
// where. It reports a problem and returns nil when the expression is refused.
func (c *compiler) compile(src source, k Kind, where string) *compiled {
	cp, e := c.compileExpr(src, k)
	if cp == nil && e == nil {
		return nil // it calls a broken table, reported already
	}
	if e != nil {
		line, col := src.pos(e.line, e.col)
		msg := e.msg
		if src.commentCut() {
			msg += "\n(hint: in an unquoted YAML value, \" #\" starts a comment: quote the formula, or write .field for #.field)"
		}
		c.ps.add(src.File, line, col, where, "%s", msg)
		return nil
	}
	return cp
}

func (c *compiler) compileExpr(src source, k Kind) (cp *compiled, e *exprError) {
	// expr must never take the server down, whatever a pack says.
	defer func() {
		if r := recover(); r != nil {
			cp, e = nil, &exprError{line: 1, msg: fmt.Sprintf("expr: internal error: %v", r)}
		}
	}()
	text := src.Text
	if strings.TrimSpace(text) == "" {
		return nil, &exprError{line: 1, msg: "empty expression"}
	}
	tree, err := parser.Parse(text)
	if err != nil {
		return nil, fromExprErr(text, err)
	}
	w := &walker{c: c, text: text}
	ast.Walk(&tree.Node, w)
	if w.err != nil || w.broken {
		return nil, w.err
	}
	opts := c.options
	var ex *exactPatcher
	if k == KindMoney {
		ex = &exactPatcher{text: text}
		opts = append(slices.Clip(opts), expr.Patch(ex))
	}
	prog, err := expr.Compile(text, opts...)
	if ex != nil && ex.err != nil {
		return nil, ex.err // the operator the type check then trips on
	}
	if err != nil {
		return nil, fromExprErr(text, err)
	}
	if msg := kindMismatch(k, prog.Node().Type()); msg != "" {
		return nil, &exprError{line: 1, msg: msg}
	}
	cp = &compiled{src: src, prog: prog, kind: k}
	for _, n := range w.names {
		if i := c.kind.factIndex(n); i >= 0 {
			c.reads[i] = true
		}
	}
	for _, n := range w.names {
		if c.structs[n] && slices.ContainsFunc(w.paths, func(p string) bool { return strings.HasPrefix(p, n+".") }) {
			continue // shown field by field
		}
		if _, ok := c.rules[n]; (ok || c.facts[n]) && n != factInf { // ∞ is no input worth showing
			cp.inputs = append(cp.inputs, inputRef{name: n, rule: -1, fact: c.kind.factIndex(n)})
		}
	}
	for _, p := range w.paths {
		path, err := expr.Compile(p, expr.Env(c.env), expr.MaxNodes(MaxNodes))
		if err != nil {
			return nil, &exprError{line: 1, msg: fmt.Sprintf("input %s: %v", p, err)}
		}
		cp.inputs = append(cp.inputs, inputRef{name: p, rule: -1, fact: -1, path: path})
	}
	return cp, nil
}

// ruleNames lists the rule ids an expression reads, in order of appearance.
func (cp *compiled) ruleNames(rules map[string]int) []string {
	var out []string
	for _, in := range cp.inputs {
		if _, ok := rules[in.name]; ok && in.path == nil {
			out = append(out, in.name)
		}
	}
	return out
}

// kindMismatch says why an expression's static type cannot give a kind.
func kindMismatch(k Kind, t reflect.Type) string {
	if t == nil || t.Kind() == reflect.Interface {
		return "" // decided when it runs
	}
	numeric := t == floatType || t == intType || t == int64Type
	ok := false
	switch k {
	case KindArea, KindNumber:
		ok = numeric
	case KindCount:
		ok = t == intType || t == int64Type
		if t == floatType {
			return "a count must be a whole number, and this formula gives a float: wrap it in int(…), e.g. int(floor(x))"
		}
	case KindMoney:
		ok = numeric || t == decimalType
	case KindFlag:
		ok = t == boolType
	case KindText:
		ok = t == stringType
	}
	if ok {
		return ""
	}
	return fmt.Sprintf("%s needs %s, but this formula gives %s", k.article(), kindWants(k), typeName(t))
}

// article gives the kind with its indefinite article, for messages.
func (k Kind) article() string {
	if k == KindArea {
		return "an area"
	}
	return "a " + string(k)
}

func kindWants(k Kind) string {
	switch k {
	case KindFlag:
		return "true or false"
	case KindText:
		return "text"
	case KindCount:
		return "a whole number"
	}
	return "a number"
}

func typeName(t reflect.Type) string {
	switch t {
	case boolType:
		return "true/false"
	case stringType:
		return "text"
	case floatType, intType, int64Type, decimalType:
		return "a number"
	}
	if t.Kind() == reflect.Slice {
		return "a list"
	}
	if t.Kind() == reflect.Struct {
		return "a table row or record (pick a column: .name)"
	}
	return t.String()
}

// fromExprErr turns an expr error into a position and message.
func fromExprErr(text string, err error) *exprError {
	var fe *file.Error
	if errors.As(err, &fe) {
		return &exprError{line: fe.Line, col: fe.Column, msg: snippet(text, fe)}
	}
	return &exprError{line: 1, msg: "expr: " + err.Error()}
}

// errAt builds an exprError at an AST node.
func errAt(text string, n ast.Node, msg string) *exprError {
	fe := (&file.Error{Location: n.Location(), Message: msg}).Bind(file.NewSource(text))
	return &exprError{line: fe.Line, col: fe.Column, msg: snippet(text, fe)}
}

// snippet formats an expr error the way expr does (message, position in the
// expression, the line with a caret under the spot), showing at most a
// window of the line so a long formula does not flood the message.
func snippet(text string, fe *file.Error) string {
	const window = 40
	msg := fmt.Sprintf("expr: %s (%d:%d)", fe.Message, fe.Line, fe.Column+1)
	lines := strings.Split(text, "\n")
	if fe.Line < 1 || fe.Line > len(lines) {
		return msg
	}
	line := []rune(lines[fe.Line-1])
	col := min(fe.Column, len(line))
	from, to := max(0, col-window), min(len(line), col+window)
	pre, post := "", ""
	if from > 0 {
		pre = "…"
	}
	if to < len(line) {
		post = "…"
	}
	caret := strings.Repeat(".", len([]rune(pre))+col-from) + "^"
	return msg + "\n | " + pre + string(line[from:to]) + post + "\n | " + caret
}

// walker reads an expression before it is compiled: it collects the names it
// uses and refuses what a pack may not write.
type walker struct {
	c      *compiler
	text   string
	names  []string
	paths  []string
	err    *exprError
	broken bool // calls a table that failed to load
}

func (w *walker) Visit(node *ast.Node) {
	if w.err != nil {
		return
	}
	switch n := (*node).(type) {
	case *ast.CallNode:
		callee, ok := n.Callee.(*ast.IdentifierNode)
		switch {
		case !ok:
		case w.c.tables[callee.Value] != nil:
			w.c.used[callee.Value] = true
		case w.c.broken[callee.Value]:
			w.broken = true
		}
	case *ast.IdentifierNode:
		if n.Value == "$env" {
			w.err = errAt(w.text, n, "$env is not available in a pack: name the fact or rule you need")
			return
		}
		if !slices.Contains(w.names, n.Value) {
			w.names = append(w.names, n.Value)
		}
	case *ast.VariableDeclaratorNode:
		w.err = errAt(w.text, n, "let is not available in a pack: write a separate rule (it shows in the explanation too)")
	case *ast.BuiltinNode:
		// The parser knows the list built-ins (reduce, sortBy …) whatever
		// the configuration says, so they are refused here.
		if !slices.Contains(builtins, n.Name) {
			w.err = errAt(w.text, n, fmt.Sprintf("%s is not available in a pack (built-ins: %s)", n.Name, strings.Join(builtins, ", ")))
		}
	case *ast.MemberNode:
		prop, ok := n.Property.(*ast.StringNode)
		if !ok {
			return
		}
		switch base := n.Node.(type) {
		case *ast.IdentifierNode:
			if p := base.Value + "." + prop.Value; w.c.structs[base.Value] && !slices.Contains(w.paths, p) {
				w.paths = append(w.paths, p)
			}
		case *ast.CallNode:
			callee, ok := base.Callee.(*ast.IdentifierNode)
			if !ok {
				return
			}
			if t := w.c.tables[callee.Value]; t != nil && t.kind == tableKeyed && !slices.Contains(t.columns, prop.Value) {
				w.err = errAt(w.text, n, fmt.Sprintf("table %s has no column %s (columns: %s)", t.name, prop.Value, strings.Join(t.columns, ", ")))
			}
		}
	}
}

// exactPatcher runs on the type-checked tree of a money formula: it rewrites
// arithmetic, comparisons with a decimal, sum, min and max into exact
// decimal calls, and refuses operators that have no exact form.
type exactPatcher struct {
	text string
	err  *exprError
}

var exactOps = map[string]string{
	"+": "·add", "-": "·sub", "*": "·mul", "/": "·div",
	"<": "·lt", "<=": "·le", ">": "·gt", ">=": "·ge", "==": "·eq", "!=": "·ne",
}

func (g *exactPatcher) Visit(node *ast.Node) {
	if g.err != nil {
		return
	}
	switch n := (*node).(type) {
	case *ast.BinaryNode:
		fn, ok := exactOps[n.Operator]
		l, r := n.Left.Type(), n.Right.Type()
		switch {
		case n.Operator == "%" || n.Operator == "**" || n.Operator == "^":
			g.err = errAt(g.text, n, fmt.Sprintf("operator %s has no exact form: compute it in a separate number rule", n.Operator))
		case !ok || l == stringType || r == stringType || l == nil || r == nil:
		case strings.ContainsAny(n.Operator, "<>=!") && l != decimalType && r != decimalType:
			// a comparison of plain numbers is exact as it is
		default:
			out := decimalType
			if strings.ContainsAny(n.Operator, "<>=!") {
				out = boolType
			}
			g.patch(node, fn, out, n.Left, n.Right)
		}
	case *ast.UnaryNode:
		if n.Operator == "-" && n.Node.Type() == decimalType {
			zero := &ast.IntegerNode{Value: 0}
			zero.SetType(intType)
			g.patch(node, "·sub", decimalType, zero, n.Node)
		}
	case *ast.BuiltinNode:
		switch n.Name {
		case "sum":
			arg := n.Arguments[0]
			if len(n.Arguments) == 2 {
				m := &ast.BuiltinNode{Name: "map", Arguments: n.Arguments}
				m.SetLocation(n.Location())
				arg = m
			}
			g.patch(node, "·sum", decimalType, arg)
		case "min", "max":
			g.patch(node, "·"+n.Name, decimalType, n.Arguments...)
		}
	}
}

func (g *exactPatcher) patch(node *ast.Node, fn string, out reflect.Type, args ...ast.Node) {
	call := &ast.CallNode{Callee: &ast.IdentifierNode{Value: fn}, Arguments: args}
	call.SetType(out)
	ast.Patch(node, call)
}

// exactFunctions are the decimal operations a money formula is rewritten
// into. Their names cannot be typed in a formula.
func exactFunctions() []function {
	var fns []function
	for _, op := range []string{"+", "-", "*", "/"} {
		fns = append(fns, function{name: exactOps[op], two: func(a, b any) (any, error) {
			return decOp(op, a, b)
		}, types: []any{new(func(any, any) *decimal)}})
	}
	cmps := map[string]func(int) bool{
		"<": func(c int) bool { return c < 0 }, "<=": func(c int) bool { return c <= 0 },
		">": func(c int) bool { return c > 0 }, ">=": func(c int) bool { return c >= 0 },
		"==": func(c int) bool { return c == 0 }, "!=": func(c int) bool { return c != 0 },
	}
	for op, test := range cmps {
		fns = append(fns, function{name: exactOps[op], two: func(a, b any) (any, error) {
			c, err := decCmp(a, b)
			return test(c), err
		}, types: []any{new(func(any, any) bool)}})
	}
	return append(fns,
		function{name: "·sum", one: func(a any) (any, error) { return decFold([]any{a}, nil) }, types: []any{new(func(any) *decimal)}},
		function{name: "·min", many: func(p ...any) (any, error) { return decFold(p, func(c int) bool { return c < 0 }) }, types: []any{new(func(...any) *decimal)}},
		function{name: "·max", many: func(p ...any) (any, error) { return decFold(p, func(c int) bool { return c > 0 }) }, types: []any{new(func(...any) *decimal)}},
	)
}
