// Package accounts is who may use CyberCampus: registration, sign-in,
// refresh tokens and sessions, the caller's profile and roles, the age of
// digital consent, and the account lifecycle (email verification, password
// reset, export, erasure) with its emails.
package accounts

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lib/pq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/functioning"
	"github.com/cybercampus/cybercampus/internal/auth"
)

// User is an account as the API shows it; the password hash never leaves the store.
type User struct {
	ID     string         `db:"id" json:"id"`
	Email  string         `db:"email" json:"email"`
	Name   string         `db:"name" json:"name"`
	Roles  pq.StringArray `db:"roles" json:"roles"`
	Gender string         `db:"gender" json:"gender"`
	// BirthYear is null for a pupil's account, which keeps the age band only.
	BirthYear     *int          `db:"birth_year" json:"birth_year"`
	Country       string        `db:"country" json:"country"`
	Region        string        `db:"region" json:"region"`
	Audience      string        `db:"audience" json:"audience"`
	Organization  string        `db:"organization" json:"organization"`
	Language      string        `db:"language" json:"language"`
	Notifications Notifications `db:"" json:"notifications"`
	EmailVerified bool          `db:"email_verified" json:"email_verified"`
	CreatedAt     time.Time     `db:"created_at" json:"created_at"`
	// SessionVersion goes into the access tokens issued to the user; a
	// logout-all, reset or erasure raises it and so ends every token before.
	SessionVersion int `db:"session_version" json:"-"`
	// Username, AgeBand and Managed describe a pupil's account, made by a
	// trainer: it signs in with the username and cannot edit its profile.
	Username *string `db:"username" json:"username,omitempty"`
	AgeBand  *string `db:"age_band" json:"age_band,omitempty"`
	Managed  bool    `db:"managed" json:"managed"`
}

// Me is the caller's own account as GET and PATCH /v1/me show it: the profile
// and, only here, the functioning answers the caller gave with consent.
type Me struct {
	User
	FunctioningConsent bool                 `json:"functioning_consent"`
	Functioning        *functioning.Answers `json:"functioning"`
}

// Notifications are a user's delivery preferences.
type Notifications struct {
	Email     bool `db:"notify_email" json:"email"`
	Reminders bool `db:"notify_reminders" json:"reminders"`
}

// Principal returns the user as an authenticated caller in session sessionID.
func (u User) Principal(sessionID string) cc.Principal {
	return cc.Principal{UserID: u.ID, Roles: u.Roles, SessionID: sessionID, SessionVersion: u.SessionVersion}
}

// Registration is the body of POST /v1/auth/register.
type Registration struct {
	Email        string `json:"email"`
	Password     string `json:"password"`
	Name         string `json:"name"`
	Gender       string `json:"gender"`
	BirthYear    int    `json:"birth_year"`
	Country      string `json:"country"`
	Audience     string `json:"audience"`
	Organization string `json:"organization"`
	Language     string `json:"language"`
}

// Validate normalises the registration and reports every bad field.
func (r *Registration) Validate() error {
	r.Email = strings.TrimSpace(r.Email)
	r.Name = strings.TrimSpace(r.Name)
	r.Country = strings.ToUpper(strings.TrimSpace(r.Country))
	r.Organization = strings.TrimSpace(r.Organization)
	if r.Language == "" {
		r.Language = "en"
	}
	var v cc.Validation
	ValidateEmail(&v, r.Email)
	validatePassword(&v, "password", r.Password, r.Email, r.Name)
	validateProfile(&v, profileFields{&r.Name, &r.Gender, &r.BirthYear, &r.Country, &r.Audience, &r.Organization, &r.Language})
	return v.Err()
}

// ProfileUpdate is the body of PATCH /v1/me: every field optional; email and
// roles are not fields of it, so sending them is rejected.
type ProfileUpdate struct {
	Name          *string `json:"name"`
	Gender        *string `json:"gender"`
	BirthYear     *int    `json:"birth_year"`
	Country       *string `json:"country"`
	Audience      *string `json:"audience"`
	Organization  *string `json:"organization"`
	Language      *string `json:"language"`
	Notifications *struct {
		Email     *bool `json:"email"`
		Reminders *bool `json:"reminders"`
	} `json:"notifications"`
	FunctioningConsent *bool                `json:"functioning_consent"`
	Functioning        *functioning.Answers `json:"functioning"`
}

// functioning is the part of the update the functioning package applies.
func (p *ProfileUpdate) functioning() functioning.Update {
	return functioning.Update{Consent: p.FunctioningConsent, Answers: p.Functioning}
}

// Validate normalises the update and reports every bad field.
func (p *ProfileUpdate) Validate() error {
	if p.Name != nil {
		*p.Name = strings.TrimSpace(*p.Name)
	}
	if p.Country != nil {
		*p.Country = strings.ToUpper(strings.TrimSpace(*p.Country))
	}
	if p.Organization != nil {
		*p.Organization = strings.TrimSpace(*p.Organization)
	}
	var v cc.Validation
	validateProfile(&v, profileFields{p.Name, p.Gender, p.BirthYear, p.Country, p.Audience, p.Organization, p.Language})
	p.functioning().Check(&v)
	return v.Err()
}

// profileFields points at the profile values of a request; nil means absent.
type profileFields struct {
	name, gender *string
	birthYear    *int
	country      *string
	audience     *string
	organization *string
	language     *string
}

func validateProfile(v *cc.Validation, f profileFields) {
	if f.name != nil {
		v.Check(*f.name != "", "name", "is required")
		v.Check(utf8.RuneCountInString(*f.name) <= 200, "name", "must be at most 200 characters")
		v.Check(cc.Printable(*f.name), "name", "must not contain control characters")
	}
	if f.gender != nil {
		v.Check(cc.OneOf(*f.gender, cc.Genders), "gender", "must be one of female, male, other, undisclosed")
	}
	if f.birthYear != nil {
		now := time.Now().UTC().Year()
		v.Check(*f.birthYear >= 1900 && *f.birthYear <= now, "birth_year", "must be a year from 1900 to %d", now)
	}
	if f.country != nil {
		v.Check(cc.IsAlpha2(*f.country), "country", "must be an ISO 3166-1 alpha-2 code such as KE")
	}
	if f.audience != nil {
		v.Check(cc.OneOf(*f.audience, cc.Audiences), "audience", "must be one of youth, professional, msme")
	}
	if f.organization != nil {
		v.Check(utf8.RuneCountInString(*f.organization) <= 200, "organization", "must be at most 200 characters")
		v.Check(cc.Printable(*f.organization), "organization", "must not contain control characters")
	}
	if f.language != nil {
		v.Check(cc.OneOf(*f.language, cc.Languages), "language", "must be one of ar, en, es, fr, ru, zh")
	}
}

// ValidateEmail adds a field error unless email is a plain address
// (addr-spec only, a dot in the domain, at most 254 bytes): the rule for an
// account's email and for a cohort invitation's.
func ValidateEmail(v *cc.Validation, email string) {
	if email == "" {
		v.Add("email", "is required")
		return
	}
	a, err := mail.ParseAddress(email)
	v.Check(err == nil && a.Address == email && len(email) <= 254 && strings.Contains(email[strings.LastIndex(email, "@"):], "."),
		"email", "must be a valid email address")
}

// validatePassword checks a new password against the account's email and
// name (NIST SP 800-63B; see auth.PasswordProblem) under the field name field.
func validatePassword(v *cc.Validation, field, pw, email, name string) {
	if problem := auth.PasswordProblem(pw, email, name); problem != "" {
		v.Add(field, "%s", problem)
	}
}
