package learners

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/internal/web"
)

// NewGuardianCode issues a one-time code for the guardian of a pupil of a
// cohort the caller manages. Earlier unused codes keep working until they
// expire (a parent may hold one, the other parent another).
func (s *CohortStore) NewGuardianCode(ctx context.Context, p cc.Principal, cohortID, userID string) (GuardianCode, error) {
	code, err := newGuardianCode()
	if err != nil {
		return GuardianCode{}, fmt.Errorf("draw guardian code: %w", err)
	}
	now := s.now()
	gc := GuardianCode{Code: code, ExpiresAt: now.Add(GuardianCodeTTL).UTC()}
	err = postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		if _, err := lockPupil(ctx, tx, p, cohortID, userID); err != nil {
			return err
		}
		const ins = `INSERT INTO guardian_codes (code_hash, pupil_id, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`
		if _, err := tx.ExecContext(ctx, ins, hashGuardianCode(code), userID, p.UserID, now, gc.ExpiresAt); err != nil {
			return fmt.Errorf("insert guardian code for pupil %s: %w", userID, err)
		}
		return nil
	})
	return gc, err
}

// LinkGuardian links the caller, an adult's own account, to the pupil whose
// code this is. An unknown or expired code is a 404; a code already used by
// someone else is a 409 (using it again oneself changes nothing).
func (s *CohortStore) LinkGuardian(ctx context.Context, guardianID, code string) error {
	if len(code) != guardianCodeLength {
		return noSuchGuardianCode()
	}
	return postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		var managed bool
		if err := tx.GetContext(ctx, &managed, `SELECT managed FROM users WHERE id = $1`, guardianID); err != nil {
			return fmt.Errorf("guardian's account %s: %w", guardianID, err)
		}
		if managed {
			return cc.Errorf(cc.EFORBIDDEN, "A pupil's account cannot be a guardian's; sign in with your own account.")
		}
		var gc struct {
			Pupil   string     `db:"pupil_id"`
			Expires time.Time  `db:"expires_at"`
			UsedBy  *string    `db:"used_by"`
			UsedAt  *time.Time `db:"used_at"`
		}
		const sel = `SELECT g.pupil_id, g.expires_at, g.used_by, g.used_at FROM guardian_codes g
			JOIN users u ON u.id = g.pupil_id AND u.sign_in_disabled_at IS NULL
			WHERE g.code_hash = $1 FOR UPDATE OF g`
		if err := tx.GetContext(ctx, &gc, sel, hashGuardianCode(code)); postgres.IsNoRows(err) {
			return noSuchGuardianCode()
		} else if err != nil {
			return fmt.Errorf("lock guardian code: %w", err)
		}
		switch {
		case gc.UsedAt != nil && gc.UsedBy != nil && *gc.UsedBy == guardianID:
			return nil
		case gc.UsedAt != nil:
			return cc.Errorf(cc.ECONFLICT, "This code has already been used; ask the teacher for a new one.")
		case !gc.Expires.After(s.now()):
			return noSuchGuardianCode()
		}
		const use = `UPDATE guardian_codes SET used_at = $2, used_by = $3 WHERE code_hash = $1`
		if _, err := tx.ExecContext(ctx, use, hashGuardianCode(code), s.now(), guardianID); err != nil {
			return fmt.Errorf("use guardian code: %w", err)
		}
		const link = `INSERT INTO guardianships (guardian_id, pupil_id, linked_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`
		if _, err := tx.ExecContext(ctx, link, guardianID, gc.Pupil, s.now()); err != nil {
			return fmt.Errorf("link guardian to pupil %s: %w", gc.Pupil, err)
		}
		return nil
	})
}

// WithdrawConsent is a guardian withdrawing consent for a linked pupil: the
// consent record says when and by whom, the account can no longer sign in,
// and its personal data are erased as a learner's own erasure does (the
// enrollments' anonymous snapshots keep the statistics' counts, and issued
// certificates keep verifying). A pupil not linked to the caller is a 404.
func (s *CohortStore) WithdrawConsent(ctx context.Context, guardianID, pupilID string) error {
	if err := s.guardianOf(ctx, guardianID, pupilID); err != nil {
		return err
	}
	err := postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		const mark = `UPDATE pupil_consents SET withdrawn_at = $3, withdrawn_by = $2 WHERE user_id = $1 AND withdrawn_at IS NULL`
		if _, err := tx.ExecContext(ctx, mark, pupilID, guardianID, s.now()); err != nil {
			return fmt.Errorf("record withdrawn consent for pupil %s: %w", pupilID, err)
		}
		const disable = `UPDATE users SET sign_in_disabled_at = coalesce(sign_in_disabled_at, $2) WHERE id = $1 AND managed`
		if _, err := tx.ExecContext(ctx, disable, pupilID, s.now()); err != nil {
			return fmt.Errorf("disable pupil %s: %w", pupilID, err)
		}
		for _, q := range []string{`DELETE FROM guardian_codes WHERE pupil_id = $1`, `DELETE FROM guardianships WHERE pupil_id = $1`} {
			if _, err := tx.ExecContext(ctx, q, pupilID); err != nil {
				return fmt.Errorf("unlink guardians of pupil %s: %w", pupilID, err)
			}
		}
		return erasePupil(ctx, tx, pupilID)
	})
	if err != nil {
		return err
	}
	s.sessionsChanged(ctx, pupilID)
	return nil
}

// childrenSelect reads a guardian's pupils with their enrollments and
// certificates in one statement; guardianships_guardian_idx serves the page.
const childrenSelect = `SELECT g.pupil_id AS user_id, u.name, coalesce(u.username, '') AS username,
		u.sign_in_disabled_at IS NULL AS active, g.linked_at,
		coalesce((SELECT json_agg(json_build_object('course', json_build_object('slug', c.slug, 'title', v.title),
				'status', e.status, 'progress_percent', enrollment_percent(e.status, ep.lessons_completed, e.lessons_total),
				'last_activity_at', ep.last_activity_at, 'completed_at', e.completed_at) ORDER BY e.enrolled_at, e.id)
			FROM enrollments e JOIN courses c ON c.id = e.course_id JOIN course_versions v ON v.id = e.version_id
			LEFT JOIN enrollment_progress ep ON ep.enrollment_id = e.id
			WHERE e.user_id = g.pupil_id), '[]') AS enrollments,
		coalesce((SELECT json_agg(json_build_object('id', ct.id, 'course_title', ct.course_title,
				'issued_at', ct.issued_at, 'revoked', ct.revoked_at IS NOT NULL) ORDER BY ct.issued_at, ct.id)
			FROM certificates ct WHERE ct.user_id = g.pupil_id), '[]') AS certificates
	FROM guardianships g JOIN users u ON u.id = g.pupil_id
	WHERE g.guardian_id = $1 AND (g.linked_at, g.pupil_id) < ($2, $3)
	ORDER BY g.linked_at DESC, g.pupil_id DESC LIMIT $4`

// Children lists the pupils linked to a guardian, newest link first; the
// certificates' verify URLs start with baseURL.
func (s *CohortStore) Children(ctx context.Context, guardianID, baseURL string, after *web.Cursor, limit int) ([]Child, error) {
	at, id := web.NewestFirst(after)
	var out []Child
	if err := s.db.SelectContext(ctx, &out, childrenSelect, guardianID, at, id, limit+1); err != nil {
		return nil, fmt.Errorf("list children: %w", err)
	}
	for i := range out {
		c := &out[i]
		if err := json.Unmarshal(c.EnrollmentsJSON, &c.Enrollments); err != nil {
			return nil, fmt.Errorf("enrollments of child %s: %w", c.UserID, err)
		}
		if err := json.Unmarshal(c.CertificatesJSON, &c.Certificates); err != nil {
			return nil, fmt.Errorf("certificates of child %s: %w", c.UserID, err)
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
		return fmt.Errorf("guardianship of pupil %s: %w", pupilID, err)
	}
	if !ok {
		return cc.Errorf(cc.ENOTFOUND, "No such child linked to your account.")
	}
	return nil
}
