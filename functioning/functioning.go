// Package functioning keeps a learner's answers to the Washington Group Short
// Set on Functioning: six questions on difficulty seeing, hearing, walking,
// remembering or concentrating, self-care and communicating. The answers are
// asked only with the learner's explicit consent, kept apart from the profile
// in a table of their own, shown only to their owner and erased when consent
// is withdrawn or the account is deleted. Enrollments keep only the
// disability status they imply (yes, no, not stated), for reports under their
// disclosure control.
package functioning

import (
	"strings"

	cc "github.com/cybercampus/cybercampus"
)

// The answers to each question: the Washington Group's four response
// categories and a refusal.
const (
	NoDifficulty     = "no_difficulty"
	SomeDifficulty   = "some_difficulty"
	ALotOfDifficulty = "a_lot_of_difficulty"
	CannotDoAtAll    = "cannot_do_at_all"
	PreferNotToSay   = "prefer_not_to_say"
)

// Choices lists the answers in the order they are asked.
var Choices = []string{NoDifficulty, SomeDifficulty, ALotOfDifficulty, CannotDoAtAll, PreferNotToSay}

// Disability statuses an enrollment snapshots.
const (
	DisabilityYes       = "yes"
	DisabilityNo        = "no"
	DisabilityNotStated = "not_stated"
)

// Answers are the six answers of the Short Set, one per domain.
type Answers struct {
	Seeing        string `json:"seeing" db:"seeing"`
	Hearing       string `json:"hearing" db:"hearing"`
	Walking       string `json:"walking" db:"walking"`
	Cognition     string `json:"cognition" db:"cognition"`
	SelfCare      string `json:"self_care" db:"self_care"`
	Communication string `json:"communication" db:"communication"`
}

// domains pairs each domain's field name with its answer.
func (a Answers) domains() [][2]string {
	return [][2]string{{"seeing", a.Seeing}, {"hearing", a.Hearing}, {"walking", a.Walking},
		{"cognition", a.Cognition}, {"self_care", a.SelfCare}, {"communication", a.Communication}}
}

// Disability applies the Washington Group's recommended cut-off: a person has
// a disability when at least one domain is answered "a lot of difficulty" or
// "cannot do at all"; without that, "no" needs every domain answered, since a
// refused domain might hide the difficulty. The database computes the same
// rule in user_functioning.disability; this copy documents it and tests it.
func (a Answers) Disability() string {
	status := DisabilityNo
	for _, d := range a.domains() {
		switch d[1] {
		case ALotOfDifficulty, CannotDoAtAll:
			return DisabilityYes
		case NoDifficulty, SomeDifficulty:
		default:
			status = DisabilityNotStated
		}
	}
	return status
}

// Update is the functioning part of PATCH /v1/me: consent given (true) or
// withdrawn (false), and the answers, each optional.
type Update struct {
	Consent *bool
	Answers *Answers
}

// Present reports whether the request touches functioning at all.
func (u Update) Present() bool { return u.Consent != nil || u.Answers != nil }

// Check adds every problem of the update to v: an unknown answer, a missing
// domain, or answers sent while withdrawing consent.
func (u Update) Check(v *cc.Validation) {
	if u.Answers == nil {
		return
	}
	if u.Consent != nil && !*u.Consent {
		v.Add("functioning", "cannot be sent while withdrawing consent (functioning_consent: false erases the answers)")
		return
	}
	for _, d := range u.Answers.domains() {
		switch {
		case d[1] == "":
			v.Add("functioning."+d[0], "is required: answer %s", strings.Join(Choices, ", "))
		case !cc.OneOf(d[1], Choices):
			v.Add("functioning."+d[0], "must be one of %s", strings.Join(Choices, ", "))
		}
	}
}

// errNoConsent is the answer to answers sent by someone who has not consented.
func errNoConsent() error {
	return cc.FieldErr(cc.EINVALID, "The functioning questions are answered only with consent.", "functioning_consent", "must be true, in this request or an earlier one, to send functioning")
}
