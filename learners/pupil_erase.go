package learners

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// erasePupil erases a pupil's personal data with the account erasure's own
// steps (eraseSteps: the users row stays as an empty shell so anonymous
// statistics keep their counts, certificates keep verifying without a name,
// every session ends), after what only a pupil's account holds: its username
// and age band.
func erasePupil(ctx context.Context, tx *sqlx.Tx, pupilID string) error {
	// The pupil's own fields go first: an erased account must hold none.
	steps := append([]string{`UPDATE users SET username = NULL, age_band = NULL WHERE id = $1`}, eraseSteps...)
	for _, q := range steps {
		if _, err := tx.ExecContext(ctx, q, pupilID); err != nil {
			return err
		}
	}
	return nil
}
