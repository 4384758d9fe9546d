package auth

import (
	"errors"
	"slices"
	"testing"
)

// The permission table written out again, so a slip in grants shows as a
// difference: the public permissions, and each role's others.
var (
	wantPublic = []Permission{Estimate, Validate}
	wantGrants = map[Role][]Permission{
		Applicant:  {FileApplication, ViewApplications},
		Engineer:   {FileApplication, ViewApplications},
		Staff:      {ViewApplications, ReviewApplications, ManageCases, ViewCases},
		Commission: {ViewApplications, ViewCases, RecordDecisions},
		Admin:      {ImportBundles, ImportRules},
	}
)

func wantCan(r Role, p Permission) bool {
	return slices.Contains(wantPublic, p) || slices.Contains(wantGrants[r], p)
}

// TestCan checks every role against every permission.
func TestCan(t *testing.T) {
	if len(wantGrants) != len(Roles()) || len(Permissions()) != 10 {
		t.Fatalf("the test knows %d roles and 10 permissions, the package %d and %d", len(wantGrants), len(Roles()), len(Permissions()))
	}
	for _, r := range Roles() {
		for _, p := range Permissions() {
			if got, w := r.Can(p), wantCan(r, p); got != w {
				t.Errorf("%s.Can(%s) = %v, want %v", r, p, got, w)
			}
		}
	}
	for _, r := range append(Roles(), "mayor") {
		var want []Permission
		for _, p := range Permissions() {
			if r.Known() && wantCan(r, p) {
				want = append(want, p)
			}
		}
		if got := r.Permissions(); !slices.Equal(got, want) {
			t.Errorf("%q.Permissions() = %v, want %v", r, got, want)
		}
	}
	for _, p := range Permissions() {
		if got := p.Public(); got != slices.Contains(wantPublic, p) {
			t.Errorf("%s.Public() = %v", p, got)
		}
	}
	for _, tc := range []struct {
		r Role
		p Permission
	}{{"mayor", Estimate}, {"", Estimate}, {Admin, "delete_everything"}, {Staff, ""}} {
		if tc.r.Can(tc.p) {
			t.Errorf("%q.Can(%q) = true, want false", tc.r, tc.p)
		}
	}
	if Permission("delete_everything").Public() {
		t.Error("an unknown permission is public")
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range Roles() {
		got, err := ParseRole(string(r))
		if err != nil || got != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, got, err)
		}
		if r.Fa() == "" {
			t.Errorf("%s has no Persian name", r)
		}
	}
	for _, s := range []string{"", "Admin", " staff", "mayor", "commission member"} {
		if _, err := ParseRole(s); !errors.Is(err, ErrUnknownRole) {
			t.Errorf("ParseRole(%q) = %v, want ErrUnknownRole", s, err)
		}
	}
	if Role("mayor").Fa() != "" {
		t.Error("an unknown role has a Persian name")
	}
}
