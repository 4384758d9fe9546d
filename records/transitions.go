package records

import "slices"

// State is where an application stands.
type State string

// The states of an application, in the order they are reached.
const (
	Submitted             State = "submitted"
	UnderReview           State = "under_review"
	Approved              State = "approved"
	Rejected              State = "rejected"
	PermitIssued          State = "permit_issued"
	CompletionCertificate State = "completion_certificate" // پایان کار
)

// Role is what a user may do. The values are the role names of issue 6
// (and of the tokens), so a token's role converts with Role(name).
type Role string

// The roles.
const (
	RoleApplicant  Role = "applicant"
	RoleEngineer   Role = "engineer"
	RoleStaff      Role = "staff"
	RoleCommission Role = "commission"
	RoleAdmin      Role = "admin"
)

// Actor is who does something: a user acting in a role.
type Actor struct {
	User string
	Role Role
}

// transition is one allowed move of an application.
type transition struct {
	from, to State
	by       Role
	// needsReason: the move must say why (a refusal always does).
	needsReason bool
}

// transitions are every move an application may make and the one role that
// may make it: anything not listed is ErrBadTransition, a listed move by
// another role ErrForbidden. Filing (→ Submitted) is File's, by the
// applicant or an engineer for a client.
var transitions = []transition{
	{from: Submitted, to: UnderReview, by: RoleStaff},
	{from: UnderReview, to: Approved, by: RoleStaff},
	{from: UnderReview, to: Rejected, by: RoleStaff, needsReason: true},
	{from: Approved, to: PermitIssued, by: RoleStaff},
	{from: PermitIssued, to: CompletionCertificate, by: RoleStaff},
}

// mayFile are the roles that may file an application.
var mayFile = map[Role]bool{RoleApplicant: true, RoleEngineer: true}

// mayReadAll are the roles that see every application; an applicant sees
// the applications filed for them, an engineer those they filed or that
// were filed for them.
var mayReadAll = map[Role]bool{RoleStaff: true, RoleCommission: true}

// findTransition returns the allowed move from → to, if any.
func findTransition(from, to State) (transition, bool) {
	for _, t := range transitions {
		if t.from == from && t.to == to {
			return t, true
		}
	}
	return transition{}, false
}

// states are every state, in the order they are reached.
var states = []State{Submitted, UnderReview, Approved, Rejected, PermitIssued, CompletionCertificate}

// Valid reports whether s is one of the states.
func (s State) Valid() bool { return slices.Contains(states, s) }

func stateNames() []string {
	out := make([]string, len(states))
	for i, s := range states {
		out[i] = string(s)
	}
	return out
}
