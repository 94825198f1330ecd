package learners

import (
	"context"
	"encoding/json"
	"time"

	cc "github.com/cybercampus/cybercampus"
)

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

// childrenSelect reads a guardian's pupils with their enrollments and
// certificates in one statement; guardianships_guardian_idx serves the page.
const childrenSelect = `SELECT g.pupil_id AS user_id, u.name, coalesce(u.username, '') AS username,
		u.sign_in_disabled_at IS NULL AS active, g.linked_at,
		coalesce((SELECT json_agg(json_build_object('course', json_build_object('slug', c.slug, 'title', v.title),
				'status', e.status, 'progress_percent', e.progress_percent,
				'last_activity_at', e.last_activity_at, 'completed_at', e.completed_at) ORDER BY e.enrolled_at, e.id)
			FROM enrollments e JOIN courses c ON c.id = e.course_id JOIN course_versions v ON v.id = e.version_id
			WHERE e.user_id = g.pupil_id), '[]') AS enrollments,
		coalesce((SELECT json_agg(json_build_object('id', ct.id, 'course_title', ct.course_title,
				'issued_at', ct.issued_at, 'revoked', ct.revoked_at IS NOT NULL) ORDER BY ct.issued_at, ct.id)
			FROM certificates ct WHERE ct.user_id = g.pupil_id), '[]') AS certificates
	FROM guardianships g JOIN users u ON u.id = g.pupil_id
	WHERE g.guardian_id = $1 AND (g.linked_at, g.pupil_id) < ($2, $3)
	ORDER BY g.linked_at DESC, g.pupil_id DESC LIMIT $4`

// Children lists the pupils linked to a guardian, newest link first; the
// certificates' verify URLs start with baseURL.
func (s *CohortStore) Children(ctx context.Context, guardianID, baseURL string, after *keyset, limit int) ([]Child, error) {
	at, id := keysetStart(after)
	var out []Child
	if err := s.db.SelectContext(ctx, &out, childrenSelect, guardianID, at, id, limit+1); err != nil {
		return nil, err
	}
	for i := range out {
		c := &out[i]
		if err := json.Unmarshal(c.EnrollmentsJSON, &c.Enrollments); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(c.CertificatesJSON, &c.Certificates); err != nil {
			return nil, err
		}
		for j := range c.Certificates {
			c.Certificates[j].VerifyURL = baseURL + "/v1/certificates/" + c.Certificates[j].ID
		}
	}
	return out, nil
}

// guardianOf reports whether guardianID is linked to pupilID.
func (s *CohortStore) guardianOf(ctx context.Context, guardianID, pupilID string) error {
	var ok bool
	const q = `SELECT EXISTS (SELECT 1 FROM guardianships WHERE guardian_id = $1 AND pupil_id = $2)`
	if err := s.db.GetContext(ctx, &ok, q, guardianID, pupilID); err != nil {
		return err
	}
	if !ok {
		return cc.Errorf(cc.ENOTFOUND, "No such child linked to your account.")
	}
	return nil
}
