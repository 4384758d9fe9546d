// Package rules is Parvaneh's rule engine: a city's regulations — zone
// table, floor caps, densities, parking, dues tariff, Article 100 fines — are
// a rule pack of YAML files, not Go. A second city is another pack folder,
// loaded without a rebuild. The pack format, the names a formula can use and
// the figure ids other packages rely on are described for a city's staff in
// rules/packs/README.md.
//
// # Facts in, figures out
//
// The engine knows facts, never geometry or stores. Package zoning measures
// a parcel (rule book §1) and fills a Site; permits adds the engineer's
// Proposal, or an issued Permit and an as-built Survey. A pack has three
// jobs, each its own entry point and environment:
//
//	p.Estimate(site)                  the applicant's estimate (site facts only)
//	p.Validate(site, proposal)        checks of a plan, and its dues
//	p.Violations(site, permit, survey) Article 100 rows (nil permit: none issued)
//
// Each returns a Result: every figure with its explanation (rule id, Persian
// and English label, formula, the inputs it read with their values, the
// value), the notes that hold, and the checks or violations of the job. The
// estimate's rules are part of every job, so a check can read F and a fine
// can read the allowed floor area.
//
// # Rules are typed formulas, compiled once
//
// A rule is a named expr (github.com/expr-lang/expr) formula with a kind:
// area (float64 m², rounded half up to 0.01 where it is computed), money
// (int64 Rial, computed exactly and rounded half up, line by line), number
// (float64, not rounded), count (int), flag (bool) or text. Rules may read
// facts, tables (each table is a function: zone("R121").density,
// street_cap(S)) and other rules; the engine orders them and refuses cycles.
//
// LoadPack compiles every formula once, type-checked against the job's
// environment, within budgets no pack can raise: MaxNodes per formula when
// compiled, MemoryBudget per run. The built-ins are a short list; let and
// reduce are refused (they are the only way a formula could feed a value
// back into itself). A pack with any problem is refused whole with a
// *LoadError naming each problem's file, line:column, rule and expr message.
//
// Money is exact: in a money formula the compiler rewrites + − × ÷,
// comparisons, sum, min and max into decimal operations, a float operand
// entering as the shortest decimal that reads back as it (0.35 is 35/100),
// so an exact half Rial rounds up as the rule book says.
//
// # Evaluation
//
// A job's rules and notes are stitched at load into one expr program, run
// by one VM from a pool: rules read earlier rules as variables, not map
// entries. A rule whose when is false, and every rule reading it, gives no
// figure. Should that run fail, the job runs again rule by rule, which names
// the failing rule. A Pack is immutable and safe for concurrent use.
//
// # Pack tests
//
// A pack ships its own test cases (tests/*.yaml in its folder): inputs and
// the figures, checks and violations they must give. (*Pack).RunTests runs
// them, Lint checks a pack without running it; "parvaneh rules test|check
// PACK" does both from the command line, and go test runs every bundled pack
// and the packs under testdata.
package rules
