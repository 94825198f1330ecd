package learners

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// erasePupil erases a pupil's personal data with the account erasure's own
// steps (eraseSteps: the users row stays as an empty shell so anonymous
// statistics keep their counts, certificates keep verifying without a name,
// the username and age band go, every session ends).
func erasePupil(ctx context.Context, tx *sqlx.Tx, pupilID string) error {
	for _, q := range eraseSteps {
		if _, err := tx.ExecContext(ctx, q, pupilID); err != nil {
			return err
		}
	}
	return nil
}
