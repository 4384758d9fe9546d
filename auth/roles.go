// Package auth says who is calling and what they may do: the roles of the
// permit office (applicant, engineer, staff, commission member, admin), the
// one table of which role may do what, signed bearer tokens (HS256 JWTs
// carrying a user id and a role, issued by the admin's "parvaneh token") and
// a gin middleware that lets a request through only when its token's role
// holds the permission the route needs. No password is stored anywhere: a
// token is the whole credential, and it expires.
package auth

import (
	"fmt"
	"slices"
	"strings"
)

// Role is what a user is to the permit office; one per token.
type Role string

// The roles of the permit office and the Article 100 commission.
const (
	Applicant  Role = "applicant"  // files and follows their own applications
	Engineer   Role = "engineer"   // validates plans; files for a client
	Staff      Role = "staff"      // municipality staff: reviews applications and violation cases
	Commission Role = "commission" // member of the Article 100 commission: records decisions
	Admin      Role = "admin"      // imports plan bundles and rule packs
)

// roles lists every role in a stable order, with its Persian name for pages.
var roles = []struct {
	role Role
	fa   string
}{
	{Applicant, "متقاضی"},
	{Engineer, "مهندس"},
	{Staff, "کارشناس شهرداری"},
	{Commission, "عضو کمیسیون ماده ۱۰۰"},
	{Admin, "مدیر سامانه"},
}

// Roles returns every role, in a stable order.
func Roles() []Role {
	out := make([]Role, len(roles))
	for i, r := range roles {
		out[i] = r.role
	}
	return out
}

// ParseRole reads a role's name exactly as the constants spell it.
func ParseRole(s string) (Role, error) {
	if r := Role(s); r.Known() {
		return r, nil
	}
	return "", fmt.Errorf("%w %q: want one of %s", ErrUnknownRole, s, strings.Join(roleNames(), ", "))
}

// Known reports whether r is one of the roles.
func (r Role) Known() bool { return slices.Contains(Roles(), r) }

// Fa is the role's Persian name; empty for an unknown role.
func (r Role) Fa() string {
	for _, x := range roles {
		if x.role == r {
			return x.fa
		}
	}
	return ""
}

func roleNames() []string {
	var out []string
	for _, r := range roles {
		out = append(out, string(r.role))
	}
	return out
}

// Permission is one thing a route lets its caller do.
type Permission string

// The permissions of issue 6's jobs. Routes name the permission they need,
// never a role, so who may do what is decided in the table below alone.
const (
	Estimate           Permission = "estimate"            // estimate a parcel's permit
	Validate           Permission = "validate"            // check an engineer's proposal
	FileApplication    Permission = "file_application"    // file a permit application
	ViewApplications   Permission = "view_applications"   // read applications: one's own, or all for staff and commission
	ReviewApplications Permission = "review_applications" // move an application through its states
	ManageCases        Permission = "manage_cases"        // open and close violation cases, issue no-violation certificates
	ViewCases          Permission = "view_cases"          // read violation cases, their reviews and certificates
	RecordDecisions    Permission = "record_decisions"    // record the commission's decision on a case
	ImportBundles      Permission = "import_bundles"      // import a plan bundle
	ImportRules        Permission = "import_rules"        // import a rule pack
)

// grants is the permission table: for each permission, whether anyone may
// use it without a token, and else the roles that hold it. Admin holds only
// the imports: whoever manages the data does not also decide cases.
var grants = []struct {
	perm   Permission
	public bool
	roles  []Role
}{
	{Estimate, true, nil},
	{Validate, true, nil},
	{FileApplication, false, []Role{Applicant, Engineer}},
	{ViewApplications, false, []Role{Applicant, Engineer, Staff, Commission}},
	{ReviewApplications, false, []Role{Staff}},
	{ManageCases, false, []Role{Staff}},
	{ViewCases, false, []Role{Staff, Commission}},
	{RecordDecisions, false, []Role{Commission}},
	{ImportBundles, false, []Role{Admin}},
	{ImportRules, false, []Role{Admin}},
}

// Permissions returns every permission, in the table's order.
func Permissions() []Permission {
	out := make([]Permission, len(grants))
	for i, g := range grants {
		out[i] = g.perm
	}
	return out
}

// Permissions returns the permissions r holds, public ones included, in the
// table's order; none for an unknown role.
func (r Role) Permissions() []Permission {
	var out []Permission
	for _, g := range grants {
		if r.Can(g.perm) {
			out = append(out, g.perm)
		}
	}
	return out
}

// Public reports whether p needs no token at all.
func (p Permission) Public() bool {
	for _, g := range grants {
		if g.perm == p {
			return g.public
		}
	}
	return false
}

// Can reports whether role r holds permission p. Every known role holds the
// public permissions; an unknown role or permission holds nothing.
func (r Role) Can(p Permission) bool {
	if !r.Known() {
		return false
	}
	for _, g := range grants {
		if g.perm == p {
			return g.public || slices.Contains(g.roles, r)
		}
	}
	return false
}
