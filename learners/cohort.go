package learners

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"

	cc "github.com/cybercampus/cybercampus"
)

// Cohort is a group of learners a trainer runs through one course.
type Cohort struct {
	ID       string    `db:"id" json:"id"`
	Name     string    `db:"name" json:"name"`
	Course   CourseRef `db:"" json:"course"`
	Country  string    `db:"country" json:"country"`
	StartsOn string    `db:"starts_on" json:"starts_on"`
	EndsOn   string    `db:"ends_on" json:"ends_on"`
	// EducationLevel is whom the cohort serves (primary, secondary,
	// tertiary, adult), or null when not stated.
	EducationLevel *string   `db:"education_level" json:"education_level"`
	OwnerID        string    `db:"owner_id" json:"owner_id"`
	CreatedAt      time.Time `db:"created_at" json:"created_at"`
	// ArchivedAt is when the trainer ended the cohort: it then takes no new
	// invitations or joins, and its members keep their enrollments.
	ArchivedAt *time.Time   `db:"archived_at" json:"archived_at"`
	Counts     CohortCounts `db:"" json:"counts"`
}

// CohortCounts summarise a cohort's members (those who accepted) and the
// invitations still waiting for an answer.
type CohortCounts struct {
	Members            int `db:"members" json:"members"`
	Active             int `db:"active" json:"active"`
	Completed          int `db:"completed" json:"completed"`
	Certified          int `db:"certified" json:"certified"`
	PendingInvitations int `db:"pending_invitations" json:"pending_invitations"`
}

// CohortCreate is the body of POST /v1/cohorts.
type CohortCreate struct {
	Name     string `json:"name"`
	Course   string `json:"course"`
	Country  string `json:"country"`
	StartsOn string `json:"starts_on"`
	EndsOn   string `json:"ends_on"`
	// EducationLevel is optional: primary, secondary, tertiary or adult.
	EducationLevel *string `json:"education_level"`
}

// EducationLevels are the values of a cohort's education_level.
var EducationLevels = []string{"primary", "secondary", "tertiary", "adult"}

func validateEducationLevel(v *cc.Validation, level *string) {
	if level != nil {
		v.Check(cc.OneOf(*level, EducationLevels), "education_level", "must be one of primary, secondary, tertiary, adult")
	}
}

// Validate normalises the request and reports every bad field; whether the
// course and country exist is checked by the store.
func (r *CohortCreate) Validate() error {
	r.Name = strings.TrimSpace(r.Name)
	r.Course = strings.TrimSpace(r.Course)
	r.Country = strings.ToUpper(strings.TrimSpace(r.Country))
	var v cc.Validation
	validateCohortName(&v, r.Name)
	v.Check(r.Course != "", "course", "is required: the course's slug")
	v.Check(cc.IsAlpha2(r.Country), "country", "must be an ISO 3166-1 alpha-2 code such as KE")
	validateCohortDates(&v, r.StartsOn, r.EndsOn)
	validateEducationLevel(&v, r.EducationLevel)
	return v.Err()
}

// maxCohortName bounds a cohort's name; the schema holds the same limit.
const maxCohortName = 200

func validateCohortName(v *cc.Validation, name string) {
	v.Check(name != "", "name", "is required")
	v.Check(utf8.RuneCountInString(name) <= maxCohortName, "name", "must be at most %d characters", maxCohortName)
	v.Check(cc.Printable(name), "name", "must not contain control characters")
}

// validateCohortDates checks both dates and that the cohort ends after it starts.
func validateCohortDates(v *cc.Validation, startsOn, endsOn string) {
	start, serr := time.Parse(time.DateOnly, startsOn)
	v.Check(serr == nil, "starts_on", "must be a date YYYY-MM-DD")
	end, eerr := time.Parse(time.DateOnly, endsOn)
	v.Check(eerr == nil, "ends_on", "must be a date YYYY-MM-DD")
	if serr == nil && eerr == nil {
		v.Check(end.After(start), "ends_on", "must be after starts_on")
	}
}

// CohortUpdate is the body of PATCH /v1/cohorts/{id}: any of the name and
// the dates. The course and country stay, since members enrolled for them.
type CohortUpdate struct {
	Name           *string `json:"name"`
	StartsOn       *string `json:"starts_on"`
	EndsOn         *string `json:"ends_on"`
	EducationLevel *string `json:"education_level"`
}

// Validate normalises the name and checks every field sent; the dates are
// checked together with the cohort's current ones by apply.
func (r *CohortUpdate) Validate() error {
	var v cc.Validation
	if r.Name == nil && r.StartsOn == nil && r.EndsOn == nil && r.EducationLevel == nil {
		v.Add("name", "send at least one of name, starts_on, ends_on, education_level")
		return v.Err()
	}
	validateEducationLevel(&v, r.EducationLevel)
	if r.Name != nil {
		*r.Name = strings.TrimSpace(*r.Name)
		validateCohortName(&v, *r.Name)
	}
	switch {
	case r.StartsOn != nil && r.EndsOn != nil:
		validateCohortDates(&v, *r.StartsOn, *r.EndsOn)
	case r.StartsOn != nil:
		v.Check(isDate(*r.StartsOn), "starts_on", "must be a date YYYY-MM-DD")
	case r.EndsOn != nil:
		v.Check(isDate(*r.EndsOn), "ends_on", "must be a date YYYY-MM-DD")
	}
	return v.Err()
}

func isDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// apply returns the cohort's new name and dates, checking the dates as they
// will be (a new end date must still follow the current start date).
func (r CohortUpdate) apply(h Cohort) (name, startsOn, endsOn string, err error) {
	name, startsOn, endsOn = h.Name, h.StartsOn, h.EndsOn
	if r.Name != nil {
		name = *r.Name
	}
	if r.StartsOn != nil {
		startsOn = *r.StartsOn
	}
	if r.EndsOn != nil {
		endsOn = *r.EndsOn
	}
	var v cc.Validation
	validateCohortDates(&v, startsOn, endsOn)
	return name, startsOn, endsOn, v.Err()
}

// CohortMember is one member's progress in the cohort's course.
type CohortMember struct {
	UserID          string     `db:"user_id" json:"user_id"`
	Name            string     `db:"name" json:"name"`
	Email           string     `db:"email" json:"email"`
	ProgressPercent int        `db:"progress_percent" json:"progress_percent"`
	LastActivityAt  *time.Time `db:"last_activity_at" json:"last_activity_at"`
	CompletedAt     *time.Time `db:"completed_at" json:"completed_at"`
	Certified       bool       `db:"certified" json:"certified"`
	PreScore        *int       `db:"pre_score" json:"pre_score"`   // the course's pre-test, null until taken
	PostScore       *int       `db:"post_score" json:"post_score"` // the course's post-test, null until taken
	Gain            *int       `db:"-" json:"gain"`                // post minus pre, null unless both were taken
}

// CohortProgress is the answer to GET /v1/cohorts/{id}/progress.
type CohortProgress struct {
	Cohort  Cohort         `json:"cohort"`
	Members []CohortMember `json:"members"`
	Impact  CohortImpact   `json:"impact"`
}

// CohortImpact is what the cohort learned and said: the mean pre- and
// post-test scores of the members who took both (matched pairs) and the
// share of the surveys due to members that they answered.
type CohortImpact struct {
	MatchedPairs       int      `json:"matched_pairs"`
	PreMean            *float64 `json:"pre_mean"`
	PostMean           *float64 `json:"post_mean"`
	MeanGain           *float64 `json:"mean_gain"`
	SurveysDue         int      `json:"surveys_due" db:"due"`
	SurveysAnswered    int      `json:"surveys_answered" db:"answered"`
	SurveyResponseRate *float64 `json:"survey_response_rate"`
}

// impactOf computes each member's gain and the cohort's pre/post figures
// from its members, and the response rate from the survey counts.
func impactOf(members []CohortMember, im CohortImpact) CohortImpact {
	var pre, post float64
	for i, m := range members {
		if m.PreScore != nil && m.PostScore != nil {
			gain := *m.PostScore - *m.PreScore
			members[i].Gain = &gain
			im.MatchedPairs++
			pre += float64(*m.PreScore)
			post += float64(*m.PostScore)
		}
	}
	if n := float64(im.MatchedPairs); n > 0 {
		im.PreMean, im.PostMean = roundedPtr(pre/n), roundedPtr(post/n)
		im.MeanGain = roundedPtr((post - pre) / n)
	}
	if im.SurveysDue > 0 {
		im.SurveyResponseRate = roundedPtr(float64(im.SurveysAnswered) / float64(im.SurveysDue))
	}
	return im
}

func roundedPtr(x float64) *float64 {
	r := math.Round(x*1000) / 1000
	return &r
}

// InviteResult says what inviting a roster did. It never tells which
// addresses have an account: every valid address that is not a member yet is
// invited, whether or not anyone has it.
type InviteResult struct {
	Invited        int         `json:"invited"`
	AlreadyMembers int         `json:"already_members"`
	Errors         []LineError `json:"errors"`
}

// LineError is an unusable line of a member list (CSV line, or 1-based
// position in a JSON list).
type LineError struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

// MembersRequest is the JSON body of POST /v1/cohorts/{id}/members.
type MembersRequest struct {
	Emails []string `json:"emails"`
}

// Validate checks the list's size; bad emails are reported per line.
func (r *MembersRequest) Validate() error {
	if len(r.Emails) == 0 {
		var v cc.Validation
		v.Add("emails", "must list at least one email")
		return v.Err()
	}
	if len(r.Emails) > maxMemberRows {
		return tooManyRows()
	}
	return nil
}
