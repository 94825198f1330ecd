package learners

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/cybercampus/cybercampus/accounts"
)

// erasePupil erases a pupil's personal data with the account erasure's own
// steps (accounts.ErasePersonalData: the users row stays as an empty shell so
// anonymous statistics keep their counts, certificates keep verifying without
// a name, the username and age band go, every session ends).
func erasePupil(ctx context.Context, tx *sqlx.Tx, pupilID string) error {
	return accounts.ErasePersonalData(ctx, tx, pupilID)
}
