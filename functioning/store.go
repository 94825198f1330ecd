package functioning

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/cybercampus/cybercampus/internal/postgres"
)

// Record is what a learner has given: consent, and the answers once sent.
type Record struct {
	Consent bool
	Answers *Answers // nil until answered
}

// Load returns the user's record; without consent it is the zero Record.
// Only the owner's own requests may call it: the answers are never shown to
// anyone else.
func Load(ctx context.Context, q sqlx.QueryerContext, userID string) (Record, error) {
	const sel = `SELECT consented_at, answered_at IS NOT NULL AS answered,
			coalesce(seeing, '') AS seeing, coalesce(hearing, '') AS hearing, coalesce(walking, '') AS walking,
			coalesce(cognition, '') AS cognition, coalesce(self_care, '') AS self_care,
			coalesce(communication, '') AS communication
		FROM user_functioning WHERE user_id = $1`
	var row struct {
		ConsentedAt time.Time `db:"consented_at"`
		Answered    bool      `db:"answered"`
		Answers
	}
	err := sqlx.GetContext(ctx, q, &row, sel, userID)
	if postgres.IsNoRows(err) {
		return Record{}, nil
	} else if err != nil {
		return Record{}, fmt.Errorf("load functioning: %w", err)
	}
	r := Record{Consent: true}
	if row.Answered {
		r.Answers = &row.Answers
	}
	return r, nil
}

// Apply carries out a validated update inside the caller's transaction:
// consent true records consent (keeping earlier answers), answers replace the
// earlier ones and need consent given now or before, and consent false erases
// everything.
func Apply(ctx context.Context, tx sqlx.ExtContext, userID string, u Update) error {
	if u.Consent != nil && !*u.Consent {
		return Erase(ctx, tx, userID)
	}
	if u.Consent != nil {
		const consent = `INSERT INTO user_functioning (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING`
		if _, err := tx.ExecContext(ctx, consent, userID); err != nil {
			return fmt.Errorf("record functioning consent: %w", err)
		}
	}
	if u.Answers == nil {
		return nil
	}
	const answer = `UPDATE user_functioning SET seeing = $2, hearing = $3, walking = $4, cognition = $5,
			self_care = $6, communication = $7, answered_at = now()
		WHERE user_id = $1`
	a := u.Answers
	res, err := tx.ExecContext(ctx, answer, userID, a.Seeing, a.Hearing, a.Walking, a.Cognition, a.SelfCare, a.Communication)
	if err != nil {
		return fmt.Errorf("store functioning: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errNoConsent()
	}
	return nil
}

// Erase deletes the user's consent and answers and what was derived from
// them: the disability status of the user's enrollments becomes not_stated,
// since withdrawn consent covers the derived value too. Deleting the user
// removes the answers through the foreign key (ON DELETE CASCADE); account
// erasure may also call Erase inside its own transaction.
func Erase(ctx context.Context, ext sqlx.ExecerContext, userID string) error {
	const erase = `WITH gone AS (DELETE FROM user_functioning WHERE user_id = $1)
		UPDATE enrollments SET disability = 'not_stated' WHERE user_id = $1 AND disability <> 'not_stated'`
	if _, err := ext.ExecContext(ctx, erase, userID); err != nil {
		return fmt.Errorf("erase functioning: %w", err)
	}
	return nil
}
