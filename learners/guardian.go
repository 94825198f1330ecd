package learners

import (
	"crypto/sha256"
	"encoding/json"
	"strings"
	"time"

	cc "github.com/cybercampus/cybercampus"
)

// A guardian code is handed to a pupil's parent or guardian on paper: ten
// characters of the join-code alphabet (about 50 bits), one use, a week.
const (
	guardianCodeLength = 10
	// GuardianCodeTTL is how long a guardian code works.
	GuardianCodeTTL = 7 * 24 * time.Hour
)

// GuardianCode is a new code for a pupil's guardian; only its hash is kept.
type GuardianCode struct {
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expires_at"`
}

// LinkRequest is the body of POST /v1/me/children.
type LinkRequest struct {
	Code string `json:"code"`
}

// Validate normalises the code as typed (any case, spaces, dashes).
func (r *LinkRequest) Validate() error {
	r.Code = normaliseJoinCode(r.Code)
	var v cc.Validation
	v.Check(r.Code != "", "code", "is required")
	v.Check(len(r.Code) <= 64, "code", "is too long")
	return v.Err()
}

func hashGuardianCode(code string) []byte {
	h := sha256.Sum256([]byte(code))
	return h[:]
}

func newGuardianCode() (string, error) {
	var b strings.Builder
	for range guardianCodeLength {
		i, err := randomIndex(len(joinCodeAlphabet))
		if err != nil {
			return "", err
		}
		b.WriteByte(joinCodeAlphabet[i])
	}
	return b.String(), nil
}

func noSuchGuardianCode() error {
	return cc.Errorf(cc.ENOTFOUND, "No pupil has this code, or it has expired; ask the teacher for a new one.")
}

// Child is a pupil as their guardian sees them in GET /v1/me/children.
type Child struct {
	UserID       string             `db:"user_id" json:"user_id"`
	Name         string             `db:"name" json:"name"`
	Username     string             `db:"username" json:"username"`
	Active       bool               `db:"active" json:"active"`
	LinkedAt     time.Time          `db:"linked_at" json:"linked_at"`
	Enrollments  []ChildEnrollment  `db:"-" json:"enrollments"`
	Certificates []ChildCertificate `db:"-" json:"certificates"`

	EnrollmentsJSON  json.RawMessage `db:"enrollments" json:"-"`
	CertificatesJSON json.RawMessage `db:"certificates" json:"-"`
}

// ChildEnrollment is a pupil's progress in one course.
type ChildEnrollment struct {
	Course          CourseRefJSON `json:"course"`
	Status          string        `json:"status"`
	ProgressPercent int           `json:"progress_percent"`
	LastActivityAt  *time.Time    `json:"last_activity_at"`
	CompletedAt     *time.Time    `json:"completed_at"`
}

// CourseRefJSON names a course by slug and title.
type CourseRefJSON struct {
	Slug  string `json:"slug"`
	Title string `json:"title"`
}

// ChildCertificate is a certificate a pupil earned; VerifyURL is its public page.
type ChildCertificate struct {
	ID          string    `json:"id"`
	CourseTitle string    `json:"course_title"`
	IssuedAt    time.Time `json:"issued_at"`
	Revoked     bool      `json:"revoked"`
	VerifyURL   string    `json:"verify_url"`
}
