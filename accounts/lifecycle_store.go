package accounts

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/jmoiron/sqlx"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/auth"
	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/jobs"
)

// Purposes of account tokens.
const (
	purposeReset  = "password_reset"
	purposeVerify = "email_verification"
)

// resetTTL is how long a password reset link works (at most an hour; the
// schema checks it too).
const resetTTL = time.Hour

// ErrAccountToken is the answer for a reset or verification token that is
// unknown, expired or used: the same for all three, naming the field.
var ErrAccountToken = cc.FieldErr(cc.EINVALID, "The link is invalid, expired or already used.", "token", "is invalid, expired or already used")

func hashAccountToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// QueueAccountEmail puts an account email in the outbox.
func (s *Store) QueueAccountEmail(ctx context.Context, p jobs.AccountEmailPayload) error {
	_, err := jobs.Enqueue(ctx, s.db, jobs.TypeAccountEmail, jobs.QueueCritical, p)
	return err
}

// emailRecipient is the account an account email goes to.
type emailRecipient struct {
	ID       string `db:"id"`
	Email    string `db:"email"`
	Name     string `db:"name"`
	Language string `db:"language"`
	Verified bool   `db:"verified"`
}

// newAccountToken finds the account p names and stores a fresh token for
// it. found is false when no (live) account has the address, or when a
// verification is asked for an address already verified.
func (s *Store) newAccountToken(ctx context.Context, p jobs.AccountEmailPayload) (to emailRecipient, token string, ttl time.Duration, found bool, err error) {
	const q = `SELECT id, email, name, language, email_verified_at IS NOT NULL AS verified FROM users
		WHERE erased_at IS NULL AND (id = nullif($1, '')::uuid OR ($1 = '' AND lower(email) = lower($2)))`
	if err = s.db.GetContext(ctx, &to, q, p.UserID, p.Email); postgres.IsNoRows(err) {
		return to, "", 0, false, nil
	} else if err != nil {
		return to, "", 0, false, err
	}
	purpose, ttl := purposeReset, resetTTL
	if p.Kind == jobs.AccountEmailVerification {
		if to.Verified {
			return to, "", 0, false, nil
		}
		purpose, ttl = purposeVerify, verificationTTL
	}
	token, _ = auth.NewRefreshToken() // 256 random bits, URL-safe
	const ins = `INSERT INTO account_tokens (token_hash, user_id, purpose, email, created_at, expires_at)
		VALUES ($1, $2, $3, $4, now(), now() + $5 * interval '1 second')`
	_, err = s.db.ExecContext(ctx, ins, hashAccountToken(token), to.ID, purpose, to.Email, int(ttl.Seconds()))
	return to, token, ttl, err == nil, err
}

// dropAccountToken forgets a token whose email could not be sent.
func (s *Store) dropAccountToken(ctx context.Context, token string) {
	s.db.ExecContext(ctx, `DELETE FROM account_tokens WHERE token_hash = $1`, hashAccountToken(token))
}

// tokenUser is the account a token was issued to, locked for the change.
type tokenUser struct {
	UserID string `db:"user_id"`
	Email  string `db:"email"`
	Name   string `db:"name"`
	Same   bool   `db:"same"` // the token's address is still the account's
}

// useToken locks and spends a token of purpose; an unknown, expired or spent
// token is ErrAccountToken.
func useToken(ctx context.Context, tx *sqlx.Tx, token, purpose string) (tokenUser, error) {
	const q = `SELECT t.user_id, u.email, u.name, lower(t.email) = lower(u.email) AS same
		FROM account_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = $1 AND t.purpose = $2 AND t.used_at IS NULL AND t.expires_at > now() AND u.erased_at IS NULL
		FOR UPDATE OF t, u`
	var tu tokenUser
	if err := tx.GetContext(ctx, &tu, q, hashAccountToken(token), purpose); postgres.IsNoRows(err) {
		return tu, ErrAccountToken
	} else if err != nil {
		return tu, err
	}
	_, err := tx.ExecContext(ctx, `UPDATE account_tokens SET used_at = now() WHERE token_hash = $1`, hashAccountToken(token))
	return tu, err
}

// ResetPassword spends a reset token and sets password, which must pass the
// password rules for that account (checked before the token is spent, so a
// refused password leaves the link working). Every session ends, the other
// reset links die, and a reset proves the address as well.
func (s *Store) ResetPassword(ctx context.Context, token, password string) (userID string, err error) {
	err = postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		tu, err := useToken(ctx, tx, token, purposeReset)
		if err != nil {
			return err
		}
		var v cc.Validation
		validatePassword(&v, "password", password, tu.Email, tu.Name)
		if err := v.Err(); err != nil {
			return err
		}
		userID = tu.UserID
		const q = `UPDATE users SET password_hash = $2, updated_at = now(),
			email_verified_at = CASE WHEN $3 THEN coalesce(email_verified_at, now()) ELSE email_verified_at END WHERE id = $1`
		if _, err := tx.ExecContext(ctx, q, tu.UserID, auth.HashPassword(password), tu.Same); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE account_tokens SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`,
			tu.UserID, purposeReset); err != nil {
			return err
		}
		return RevokeAll(ctx, tx, tu.UserID)
	})
	return userID, err
}

// VerifyEmail spends a verification token; the account's address is
// verified when it is still the one the token was sent to.
func (s *Store) VerifyEmail(ctx context.Context, token string) (userID string, err error) {
	err = postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		tu, err := useToken(ctx, tx, token, purposeVerify)
		if err != nil {
			return err
		}
		if !tu.Same {
			return ErrAccountToken
		}
		userID = tu.UserID
		_, err = tx.ExecContext(ctx, `UPDATE users SET email_verified_at = coalesce(email_verified_at, now()) WHERE id = $1`, tu.UserID)
		return err
	})
	return userID, err
}

// passwordHash returns the live account's password hash ("" when erased or gone).
func (s *Store) passwordHash(ctx context.Context, userID string) (string, error) {
	var h string
	err := s.db.GetContext(ctx, &h, `SELECT password_hash FROM users WHERE id = $1 AND erased_at IS NULL`, userID)
	if postgres.IsNoRows(err) {
		return "", nil
	}
	return h, err
}

// ChangePassword sets a new password (already checked against the rules)
// and ends every session of the account but keep, the caller's.
func (s *Store) ChangePassword(ctx context.Context, userID, keep, password string) error {
	hash := auth.HashPassword(password)
	return postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1 AND erased_at IS NULL`, userID, hash)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return cc.Errorf(cc.ENOTFOUND, "No such user.")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE account_tokens SET used_at = now() WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`,
			userID, purposeReset); err != nil {
			return err
		}
		return revokeOthers(ctx, tx, userID, keep)
	})
}

// eraseSteps remove or blank everything that says who the person was. The
// users row stays as an empty shell under the same id: enrollments (with
// their demographic snapshots), lesson completions, quiz attempts and the
// report rollups are keyed by it, so anonymous statistics keep their counts
// while nothing links them to a person any more. Issued certificates keep
// their signed token, which the holder may have shared and which must keep
// verifying; the record's readable name is erased, so the verify page shows
// the course, date and issuer without a name.
var eraseSteps = []string{
	// A pupil's username and age band first: an erased account holds neither.
	`UPDATE users SET username = NULL, age_band = NULL WHERE id = $1`,
	`DELETE FROM refresh_tokens WHERE user_id = $1`,
	`DELETE FROM account_tokens WHERE user_id = $1`,
	`DELETE FROM notifications WHERE user_id = $1`,
	`DELETE FROM cohort_members WHERE user_id = $1`,
	// Invitations are addressed to the email, which must not outlive the account.
	`DELETE FROM cohort_invitations WHERE user_id = $1 OR email_key = (SELECT lower(email) FROM users WHERE id = $1)`,
	// The Washington Group answers are health data: they go with the account,
	// and so does the disability status derived from them (as on withdrawal).
	`DELETE FROM user_functioning WHERE user_id = $1`,
	`UPDATE enrollments SET disability = 'not_stated' WHERE user_id = $1 AND disability <> 'not_stated'`,
	`UPDATE certificates SET learner_name = '' WHERE user_id = $1`,
	// A survey's free-text comment may name the person; the ratings and
	// yes/no answers stay for the impact statistics, like quiz attempts.
	`UPDATE surveys SET answers = answers - 'comment' WHERE user_id = $1 AND answers ? 'comment'`,
	`UPDATE users SET email = NULL, name = '', password_hash = '', gender = NULL, birth_year = NULL, country = NULL,
		audience = NULL, organization = '', language = 'en', roles = '{learner}', notify_email = false,
		notify_reminders = false, email_verified_at = NULL, erased_at = now(),
		session_version = session_version + 1, updated_at = now()
		WHERE id = $1`,
}

// Erase erases the account's personal data in one transaction. The last
// admin cannot be erased (the platform would lock itself out).
func (s *Store) Erase(ctx context.Context, userID string) error {
	return postgres.Transact(ctx, s.db, &sql.TxOptions{Isolation: sql.LevelSerializable}, func(tx *sqlx.Tx) error {
		var lastAdmin bool
		const q = `SELECT 'admin' = ANY(roles) AND (SELECT count(*) FROM users WHERE 'admin' = ANY(roles) AND erased_at IS NULL) = 1
			FROM users WHERE id = $1 AND erased_at IS NULL FOR UPDATE`
		if err := tx.GetContext(ctx, &lastAdmin, q, userID); postgres.IsNoRows(err) {
			return cc.Errorf(cc.ENOTFOUND, "No such user.")
		} else if err != nil {
			return err
		}
		if lastAdmin {
			return cc.Errorf(cc.ECONFLICT, "The last admin cannot be erased; make another admin first.")
		}
		return ErasePersonalData(ctx, tx, userID)
	})
}

// ErasePersonalData runs eraseSteps for userID inside the caller's
// transaction: an account's erasure and a pupil's withdrawal erase exactly
// the same data.
func ErasePersonalData(ctx context.Context, tx sqlx.ExtContext, userID string) error {
	for _, q := range eraseSteps {
		if _, err := tx.ExecContext(ctx, q, userID); err != nil {
			return err
		}
	}
	return nil
}

// exportQuery builds the whole export in one statement, so it is one
// consistent snapshot. Secrets (password hash, token hashes) are left out;
// what they protect is listed (sessions, pending links).
const exportQuery = `SELECT json_build_object(
	'exported_at', now(),
	'account', (SELECT json_build_object('id', u.id, 'email', u.email, 'email_verified', u.email_verified_at IS NOT NULL,
		'email_verified_at', u.email_verified_at, 'name', u.name, 'roles', u.roles, 'gender', u.gender,
		'birth_year', u.birth_year, 'country', u.country, 'audience', u.audience, 'organization', u.organization,
		'language', u.language, 'notifications', json_build_object('email', u.notify_email, 'reminders', u.notify_reminders),
		'created_at', u.created_at, 'updated_at', u.updated_at) FROM users u WHERE u.id = $1),
	'sessions', coalesce((SELECT json_agg(json_build_object('session_id', family_id, 'started_at', started_at,
		'last_used_at', last_used_at, 'expires_at', expires_at, 'ended_at', ended_at) ORDER BY started_at)
		FROM (SELECT family_id, min(created_at) AS started_at, max(created_at) AS last_used_at, max(expires_at) AS expires_at,
			max(revoked_at) AS ended_at FROM refresh_tokens WHERE user_id = $1 GROUP BY family_id) f), '[]'),
	'emailed_links', coalesce((SELECT json_agg(json_build_object('purpose', purpose, 'email', email, 'created_at', created_at,
		'expires_at', expires_at, 'used_at', used_at) ORDER BY created_at) FROM account_tokens WHERE user_id = $1), '[]'),
	'enrollments', coalesce((SELECT json_agg(json_build_object('id', e.id, 'course', json_build_object('slug', c.slug, 'title', v.title),
		'course_version', v.version, 'cohort_id', e.cohort_id, 'status', e.status,
		'progress_percent', enrollment_percent(e.status, ep.lessons_completed, e.lessons_total),
		'lessons_completed', coalesce(ep.lessons_completed, 0), 'lessons_total', e.lessons_total, 'enrolled_at', e.enrolled_at,
		'last_activity_at', ep.last_activity_at, 'completed_at', e.completed_at,
		'profile_at_enrollment', json_build_object('gender', e.gender, 'audience', e.audience, 'country', e.country,
			'region', e.region, 'age_band', e.age_band),
		'lesson_completions', coalesce((SELECT json_agg(json_build_object('lesson_id', lc.lesson_id, 'completed_at', lc.completed_at,
			'event_id', lc.event_id) ORDER BY lc.completed_at) FROM lesson_completions lc WHERE lc.enrollment_id = e.id), '[]'))
		ORDER BY e.enrolled_at)
		FROM enrollments e JOIN courses c ON c.id = e.course_id JOIN course_versions v ON v.id = e.version_id
		LEFT JOIN enrollment_progress ep ON ep.enrollment_id = e.id
		WHERE e.user_id = $1), '[]'),
	'progress_events', coalesce((SELECT json_agg(json_build_object('id', p.id, 'lesson_id', p.lesson_id, 'type', p.type,
		'occurred_at', p.occurred_at, 'received_at', p.received_at) ORDER BY p.occurred_at)
		FROM progress_events p WHERE p.user_id = $1), '[]'),
	'quiz_attempts', coalesce((SELECT json_agg(json_build_object('id', a.id, 'quiz_id', a.quiz_id, 'enrollment_id', a.enrollment_id,
		'attempt_number', a.attempt_number, 'score', a.score, 'passed', a.passed, 'answers', a.answers, 'created_at', a.created_at)
		ORDER BY a.created_at) FROM quiz_attempts a WHERE a.user_id = $1), '[]'),
	'certificates', coalesce((SELECT json_agg(json_build_object('id', ct.id, 'course_title', ct.course_title,
		'learner_name', ct.learner_name, 'issued_at', ct.issued_at, 'revoked_at', ct.revoked_at, 'token', ct.token)
		ORDER BY ct.issued_at) FROM certificates ct WHERE ct.user_id = $1), '[]'),
	'notifications', coalesce((SELECT json_agg(json_build_object('id', n.id, 'kind', n.kind, 'title', n.title, 'body', n.body,
		'email_status', n.email_status, 'emailed_at', n.emailed_at, 'read_at', n.read_at, 'created_at', n.created_at)
		ORDER BY n.created_at) FROM notifications n WHERE n.user_id = $1), '[]'),
	'cohort_memberships', coalesce((SELECT json_agg(json_build_object('cohort_id', m.cohort_id, 'cohort_name', h.name,
		'enrollment_id', m.enrollment_id, 'added_at', m.added_at) ORDER BY m.added_at)
		FROM cohort_members m JOIN cohorts h ON h.id = m.cohort_id WHERE m.user_id = $1), '[]'),
	'cohort_invitations', coalesce((SELECT json_agg(json_build_object('id', i.id, 'cohort_id', i.cohort_id, 'cohort_name', h.name,
		'email', i.email, 'status', i.status, 'sent_at', i.sent_at, 'expires_at', i.expires_at, 'responded_at', i.responded_at)
		ORDER BY i.sent_at) FROM cohort_invitations i JOIN cohorts h ON h.id = i.cohort_id
		WHERE i.user_id = $1 OR i.email_key = (SELECT lower(email) FROM users WHERE id = $1)), '[]'),
	'functioning', (SELECT json_build_object('consented_at', f.consented_at, 'answered_at', f.answered_at, 'seeing', f.seeing, 'hearing', f.hearing, 'walking', f.walking,
		'cognition', f.cognition, 'self_care', f.self_care, 'communication', f.communication)
		FROM user_functioning f WHERE f.user_id = $1),
	'cohorts_owned', coalesce((SELECT json_agg(json_build_object('id', h.id, 'name', h.name, 'country', h.country,
		'starts_on', h.starts_on, 'ends_on', h.ends_on, 'created_at', h.created_at) ORDER BY h.created_at)
		FROM cohorts h WHERE h.owner_id = $1), '[]'),
	'report_requests', coalesce((SELECT json_agg(json_build_object('endpoint', r.endpoint, 'params', r.params,
		'format', r.format, 'created_at', r.created_at) ORDER BY r.created_at) FROM report_audit r WHERE r.user_id = $1), '[]'),
	'report_exports', coalesce((SELECT json_agg(json_build_object('id', x.id, 'params', x.params, 'status', x.status,
		'rows', x.rows, 'created_at', x.created_at, 'finished_at', x.finished_at) ORDER BY x.created_at)
		FROM report_exports x WHERE x.requested_by = $1), '[]'),
	'assessment_attempts', coalesce((SELECT json_agg(json_build_object('id', a.id, 'course_id', a.course_id, 'kind', a.kind,
		'score', a.score, 'answers', a.answers, 'created_at', a.created_at) ORDER BY a.created_at)
		FROM assessment_attempts a WHERE a.user_id = $1), '[]'),
	'surveys', coalesce((SELECT json_agg(json_build_object('id', s.id, 'course_id', s.course_id, 'kind', s.kind,
		'due_at', s.due_at, 'answers', s.answers, 'responded_at', s.responded_at) ORDER BY s.due_at)
		FROM surveys s WHERE s.user_id = $1), '[]'))
	FROM users WHERE id = $1 AND erased_at IS NULL`

// Export returns every personal record held about the user as one JSON document.
func (s *Store) Export(ctx context.Context, userID string) (json.RawMessage, error) {
	var doc []byte
	err := s.db.GetContext(ctx, &doc, exportQuery, userID)
	if postgres.IsNoRows(err) {
		return nil, cc.Errorf(cc.ENOTFOUND, "No such user.")
	}
	return doc, err
}
