package learners

import (
	"strings"
	"time"
	"unicode/utf8"

	cc "github.com/cybercampus/cybercampus"
)

// Cohort is a group of learners a trainer runs through one course.
type Cohort struct {
	ID        string       `db:"id" json:"id"`
	Name      string       `db:"name" json:"name"`
	Course    CourseRef    `db:"" json:"course"`
	Country   string       `db:"country" json:"country"`
	StartsOn  string       `db:"starts_on" json:"starts_on"`
	EndsOn    string       `db:"ends_on" json:"ends_on"`
	OwnerID   string       `db:"owner_id" json:"owner_id"`
	CreatedAt time.Time    `db:"created_at" json:"created_at"`
	Counts    CohortCounts `db:"" json:"counts"`
}

// CohortCounts summarise a cohort's members.
type CohortCounts struct {
	Members   int `db:"members" json:"members"`
	Active    int `db:"active" json:"active"`
	Completed int `db:"completed" json:"completed"`
	Certified int `db:"certified" json:"certified"`
}

// CohortCreate is the body of POST /v1/cohorts.
type CohortCreate struct {
	Name     string `json:"name"`
	Course   string `json:"course"`
	Country  string `json:"country"`
	StartsOn string `json:"starts_on"`
	EndsOn   string `json:"ends_on"`
}

// Validate normalises the request and reports every bad field; whether the
// course and country exist is checked by the store.
func (r *CohortCreate) Validate() error {
	r.Name = strings.TrimSpace(r.Name)
	r.Course = strings.TrimSpace(r.Course)
	r.Country = strings.ToUpper(strings.TrimSpace(r.Country))
	var v cc.Validation
	v.Check(r.Name != "", "name", "is required")
	v.Check(utf8.RuneCountInString(r.Name) <= 200, "name", "must be at most 200 characters")
	v.Check(printable(r.Name), "name", "must not contain control characters")
	v.Check(r.Course != "", "course", "is required: the course's slug")
	v.Check(isAlpha2(r.Country), "country", "must be an ISO 3166-1 alpha-2 code such as KE")
	start, serr := time.Parse(time.DateOnly, r.StartsOn)
	v.Check(serr == nil, "starts_on", "must be a date YYYY-MM-DD")
	end, eerr := time.Parse(time.DateOnly, r.EndsOn)
	v.Check(eerr == nil, "ends_on", "must be a date YYYY-MM-DD")
	if serr == nil && eerr == nil {
		v.Check(end.After(start), "ends_on", "must be after starts_on")
	}
	return v.Err()
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
}

// CohortProgress is the answer to GET /v1/cohorts/{id}/progress.
type CohortProgress struct {
	Cohort  Cohort         `json:"cohort"`
	Members []CohortMember `json:"members"`
}

// MembersResult says what adding members did.
type MembersResult struct {
	Added          int         `json:"added"`
	AlreadyMembers int         `json:"already_members"`
	Unknown        []string    `json:"unknown"`
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
