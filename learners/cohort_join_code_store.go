package learners

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/postgres"
)

// NewJoinCode gives a cohort the caller manages a new join code, replacing
// any earlier one. An ended cohort is a 409.
func (s *CohortStore) NewJoinCode(ctx context.Context, p cc.Principal, cohortID string) (JoinCode, error) {
	var jc JoinCode
	err := postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		h, err := lockCohort(ctx, tx, p, cohortID)
		if err != nil {
			return err
		}
		if h.Archived != nil {
			return cohortEnded()
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM cohort_join_codes WHERE cohort_id = $1`, cohortID); err != nil {
			return fmt.Errorf("delete join code of cohort %s: %w", cohortID, err)
		}
		jc, err = s.insertJoinCode(ctx, tx, cohortID, p.UserID)
		return err
	})
	return jc, err
}

// insertJoinCode draws codes until one is free (a clash with another
// cohort's code is rare, and skipped rather than failed on).
func (s *CohortStore) insertJoinCode(ctx context.Context, tx *sqlx.Tx, cohortID, by string) (JoinCode, error) {
	now := s.now()
	const ins = `INSERT INTO cohort_join_codes (code, cohort_id, created_by, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO NOTHING RETURNING code, expires_at`
	for {
		code, err := newJoinCode()
		if err != nil {
			return JoinCode{}, fmt.Errorf("draw join code: %w", err)
		}
		var jc JoinCode
		err = tx.GetContext(ctx, &jc, ins, code, cohortID, by, now, now.Add(JoinCodeTTL))
		switch {
		case err == nil:
			return jc, nil
		case !postgres.IsNoRows(err):
			return JoinCode{}, fmt.Errorf("insert join code of cohort %s: %w", cohortID, err)
		}
	}
}

// JoinByCode makes the caller a member of the cohort whose current code this
// is and enrols them in its course; an unknown or expired code is a 404.
// A pending invitation of the caller to that cohort counts as accepted.
func (s *CohortStore) JoinByCode(ctx context.Context, p cc.Principal, code string) (LearnerCohort, error) {
	if !wellFormedJoinCode(code) {
		return LearnerCohort{}, noSuchCode()
	}
	var cohortID string
	const sel = `SELECT cohort_id FROM cohort_join_codes WHERE code = $1 AND expires_at > $2`
	if err := s.db.GetContext(ctx, &cohortID, sel, code, s.now()); postgres.IsNoRows(err) {
		return LearnerCohort{}, noSuchCode()
	} else if err != nil {
		return LearnerCohort{}, fmt.Errorf("cohort of join code: %w", err)
	}
	err := postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		h, err := shareCohort(ctx, tx, cohortID)
		if err != nil {
			return err
		}
		if h.Archived != nil {
			return noSuchCode()
		}
		if err := s.join(ctx, tx, h, p.UserID, "join_code"); err != nil {
			return err
		}
		const upd = `UPDATE cohort_invitations SET status = 'accepted', responded_at = $3, user_id = $2
			WHERE cohort_id = $1 AND status = 'pending' AND email_key = (SELECT lower(email) FROM users WHERE id = $2)`
		if _, err := tx.ExecContext(ctx, upd, cohortID, p.UserID, s.now()); err != nil {
			return fmt.Errorf("accept pending invitation to cohort %s: %w", cohortID, err)
		}
		return nil
	})
	if err != nil {
		return LearnerCohort{}, err
	}
	return s.learnerCohort(ctx, cohortID)
}
