package learners

import (
	"time"

	cc "github.com/cybercampus/cybercampus"
)

// InvitationTTL is how long an invitation can be accepted; inviting the same
// address again gives it this long again.
const InvitationTTL = 14 * 24 * time.Hour

// Invitation is a pending invitation as its invitee sees it.
type Invitation struct {
	ID        string        `db:"id" json:"id"`
	Cohort    LearnerCohort `db:"" json:"cohort"`
	ExpiresAt time.Time     `db:"expires_at" json:"expires_at"`
}

// LearnerCohort is a cohort as a learner invited to it, or in it, sees it:
// no counts and no other member.
type LearnerCohort struct {
	ID       string     `db:"cohort_id" json:"id"`
	Name     string     `db:"cohort_name" json:"name"`
	Course   CourseRef  `db:"" json:"course"`
	StartsOn string     `db:"starts_on" json:"starts_on"`
	EndsOn   string     `db:"ends_on" json:"ends_on"`
	Trainer  TrainerRef `db:"" json:"trainer"`
}

// TrainerRef names the trainer who runs a cohort.
type TrainerRef struct {
	Name string `db:"trainer_name" json:"name"`
}

// InvitationAnswer is the answer to declining an invitation.
type InvitationAnswer struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// listRefused tells an unverified caller why they see no invitations.
func listRefused() error {
	return cc.Errorf(cc.EFORBIDDEN, "Verify your email address first (use the link we emailed you): invitations are addressed to it, and only its owner may see or answer them.")
}

// answerRefused is the answer to an unverified caller's accept or decline:
// a 404, as for any invitation the caller may not see, whatever the id.
func answerRefused() error {
	return cc.Errorf(cc.ENOTFOUND, "No such invitation. If one was sent to you, verify your email address first (use the link we emailed you).")
}

func learnersOnly() error {
	return cc.Errorf(cc.EFORBIDDEN, "Only learner accounts join cohorts; staff accounts take part as trainers.")
}
