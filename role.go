package cybercampus

import "slices"

// Roles a user may hold; a user may hold several.
const (
	RoleLearner = "learner"
	RoleTrainer = "trainer"
	RoleAnalyst = "analyst"
	RoleAdmin   = "admin"
)

// AllRoles lists every valid role.
var AllRoles = []string{RoleLearner, RoleTrainer, RoleAnalyst, RoleAdmin}

// ValidRole reports whether r names a role.
func ValidRole(r string) bool { return slices.Contains(AllRoles, r) }

// Principal is the authenticated caller of a request.
type Principal struct {
	UserID string
	Roles  []string
	// SessionID is the session (refresh token family) the access token was
	// issued in; empty for a token made without one.
	SessionID string
	// SessionVersion is the account's session version when the token was
	// issued; a later version ends the token.
	SessionVersion int
}

// Has reports whether the principal holds any of the given roles.
func (p Principal) Has(roles ...string) bool {
	for _, r := range roles {
		if slices.Contains(p.Roles, r) {
			return true
		}
	}
	return false
}

// IsStaff reports whether the principal may see course content without enrolling.
func (p Principal) IsStaff() bool { return p.Has(RoleAdmin, RoleTrainer) }
