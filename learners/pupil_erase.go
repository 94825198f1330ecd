package learners

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// pupilEraseSteps remove or blank everything that says who a pupil was. The
// users row stays as a disabled shell under the same id: enrollments (with
// their anonymous demographic snapshots), lesson completions and quiz
// attempts are keyed by it, so statistics keep their counts. Issued
// certificates keep their token and verify, without a name.
var pupilEraseSteps = []string{
	`DELETE FROM refresh_tokens WHERE user_id = $1`,
	`DELETE FROM notifications WHERE user_id = $1`,
	`DELETE FROM cohort_members WHERE user_id = $1`,
	`UPDATE certificates SET learner_name = '' WHERE user_id = $1`,
	`UPDATE users SET username = NULL, age_band = NULL, name = 'erased', password_hash = '', gender = 'undisclosed',
		organization = '', notify_email = false, notify_reminders = false, updated_at = now()
		WHERE id = $1 AND managed`,
}

// erasePupil erases a pupil's personal data.
func erasePupil(ctx context.Context, tx *sqlx.Tx, pupilID string) error {
	for _, q := range pupilEraseSteps {
		if _, err := tx.ExecContext(ctx, q, pupilID); err != nil {
			return err
		}
	}
	return nil
}
