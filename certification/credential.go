// Package certification issues Open Badges 3.0 certificates as signed VC-JWTs, verifies and revokes them, and renders printable copies.
package certification

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/lib/pq"
)

// Contexts of an Open Badges 3.0 credential, in the order the specification requires.
var obContexts = []string{
	"https://www.w3.org/ns/credentials/v2",
	"https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
}

// IssuerName is the name of the issuing organisation in every credential.
const IssuerName = "CyberCampus"

// JWTType is the typ header of certificates and status lists. Access tokens are
// "at+jwt" (and HS256), so neither kind of token passes for the other.
const JWTType = "JWT"

// Profile is an Open Badges issuer Profile.
type Profile struct {
	Context     []string `json:"@context,omitempty"`
	ID          string   `json:"id"`
	Type        []string `json:"type"`
	Name        string   `json:"name"`
	URL         string   `json:"url,omitempty"`
	Description string   `json:"description,omitempty"`
}

// IdentityObject names the learner inside a credential (OB 3.0 IdentityObject).
type IdentityObject struct {
	Type         string `json:"type"`
	Hashed       bool   `json:"hashed"`
	IdentityHash string `json:"identityHash"`
	IdentityType string `json:"identityType"`
}

// Criteria says how the achievement is earned.
type Criteria struct {
	Narrative string `json:"narrative"`
}

// Achievement describes one version of a course.
type Achievement struct {
	ID              string   `json:"id"`
	Type            []string `json:"type"`
	AchievementType string   `json:"achievementType"`
	Name            string   `json:"name"`
	Description     string   `json:"description"`
	Criteria        Criteria `json:"criteria"`
	Version         string   `json:"version"`
	InLanguage      string   `json:"inLanguage"`
	FieldOfStudy    string   `json:"fieldOfStudy"`
	Tag             []string `json:"tag"`
	Creator         *Profile `json:"creator,omitempty"`
}

// AchievementSubject is the credential subject: the learner and the achievement.
type AchievementSubject struct {
	ID          string           `json:"id"`
	Type        []string         `json:"type"`
	Identifier  []IdentityObject `json:"identifier"`
	Achievement Achievement      `json:"achievement"`
}

// StatusEntry points into a Bitstring Status List (W3C).
type StatusEntry struct {
	ID                   string `json:"id"`
	Type                 string `json:"type"`
	StatusPurpose        string `json:"statusPurpose"`
	StatusListIndex      string `json:"statusListIndex"`
	StatusListCredential string `json:"statusListCredential"`
}

// Credential is the payload of a certificate token: an OpenBadgeCredential at
// the top level plus the registered claims that mirror it.
type Credential struct {
	Context           []string           `json:"@context"`
	ID                string             `json:"id"`
	Type              []string           `json:"type"`
	Issuer            Profile            `json:"issuer"`
	ValidFrom         string             `json:"validFrom"`
	Name              string             `json:"name"`
	Description       string             `json:"description,omitempty"`
	CredentialSubject AchievementSubject `json:"credentialSubject"`
	CredentialStatus  StatusEntry        `json:"credentialStatus"`
	jwt.RegisteredClaims
}

// urls builds every URL a credential mentions from the public base URL.
type urls struct{ base string }

func (u urls) issuer() string               { return u.base + "/v1/issuer" }
func (u urls) certificate(id string) string { return u.base + "/v1/certificates/" + id }
func (u urls) statusList(list int) string {
	return u.base + "/v1/certificates/status/" + strconv.Itoa(list)
}

// profile is the issuer Profile as embedded in credentials and served at /v1/issuer.
func (u urls) profile() Profile {
	return Profile{ID: u.issuer(), Type: []string{"Profile"}, Name: IssuerName, URL: u.base,
		Description: "CyberCampus builds cybersecurity capacity: courses for learners and national trainers."}
}

// source is what a certificate is made from: the completed enrollment with
// its learner and course version.
type source struct {
	EnrollmentID string         `db:"enrollment_id"`
	UserID       string         `db:"user_id"`
	CourseID     string         `db:"course_id"`
	VersionID    string         `db:"version_id"`
	Status       string         `db:"status"`
	LearnerName  string         `db:"learner_name"`
	LearnerLang  string         `db:"learner_language"` // the learner's profile language, for the notification
	Minor        bool           `db:"minor"`
	Slug         string         `db:"slug"`
	Title        string         `db:"title"`
	Summary      string         `db:"summary"`
	Level        string         `db:"level"`
	Audiences    pq.StringArray `db:"audiences"`
	Version      int            `db:"version"`
	Language     string         `db:"language"`
}

// issuance is one certificate about to be signed.
type issuance struct {
	ID        string
	SubjectID string // urn:uuid of an opaque per-certificate id: no email, no user id
	IssuedAt  time.Time
	ListID    int
	Index     int
}

// credential builds the OpenBadgeCredential for src.
//
// Verifier.issued answers for a stored token from its record alone, which
// holds while credentials get no validUntil, validFrom is the issuance time
// and the status entry is the record's: a change to any of these must be
// made there too.
func (u urls) credential(src source, is issuance) Credential {
	id := u.certificate(is.ID)
	validFrom := is.IssuedAt.UTC().Truncate(time.Second)
	issuer := u.profile()
	return Credential{
		Context:   obContexts,
		ID:        id,
		Type:      []string{"VerifiableCredential", "OpenBadgeCredential"},
		Issuer:    issuer,
		ValidFrom: validFrom.Format(time.RFC3339),
		Name:      src.Title,
		CredentialSubject: AchievementSubject{
			ID:         is.SubjectID,
			Type:       []string{"AchievementSubject"},
			Identifier: []IdentityObject{{Type: "IdentityObject", Hashed: false, IdentityHash: src.LearnerName, IdentityType: "name"}},
			Achievement: Achievement{
				ID:              "urn:uuid:" + src.VersionID,
				Type:            []string{"Achievement"},
				AchievementType: "Course",
				Name:            src.Title,
				Description:     src.Summary,
				Criteria: Criteria{Narrative: fmt.Sprintf(
					"Completed every lesson and passed every quiz of version %d of the CyberCampus course %q (%s level, for %s).",
					src.Version, src.Title, src.Level, strings.Join(src.Audiences, ", "))},
				Version:      strconv.Itoa(src.Version),
				InLanguage:   src.Language,
				FieldOfStudy: "Cybersecurity",
				Tag:          achievementTags(src),
				Creator:      &Profile{ID: issuer.ID, Type: issuer.Type, Name: issuer.Name},
			},
		},
		CredentialStatus: StatusEntry{
			ID:                   fmt.Sprintf("%s#%d", u.statusList(is.ListID), is.Index),
			Type:                 "BitstringStatusListEntry",
			StatusPurpose:        "revocation",
			StatusListIndex:      strconv.Itoa(is.Index),
			StatusListCredential: u.statusList(is.ListID),
		},
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer.ID,
			ID:        id,
			Subject:   is.SubjectID,
			NotBefore: jwt.NewNumericDate(validFrom),
		},
	}
}

// achievementTags carry the course's level and audiences, which Open Badges
// has no dedicated Achievement property for.
func achievementTags(src source) []string {
	tags := []string{"course:" + src.Slug, "level:" + src.Level}
	for _, a := range src.Audiences {
		tags = append(tags, "audience:"+a)
	}
	return tags
}
