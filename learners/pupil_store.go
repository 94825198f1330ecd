package learners

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/accounts"
	"github.com/cybercampus/cybercampus/internal/auth"
	"github.com/cybercampus/cybercampus/internal/postgres"
)

// pupilAccount is one account about to be written, its password already
// hashed so the transaction holds no slow work.
type pupilAccount struct {
	NewPupil
	password, hash string
}

func preparePupils(in []NewPupil) ([]pupilAccount, error) {
	out := make([]pupilAccount, len(in))
	for i, p := range in {
		pw, err := newPupilPassword()
		if err != nil {
			return nil, fmt.Errorf("draw pupil password: %w", err)
		}
		out[i] = pupilAccount{NewPupil: p, password: pw, hash: auth.HashPassword(pw)}
	}
	return out, nil
}

// CreatePupils makes accounts without email for pupils of a cohort the
// caller manages: each gets a username and a password, the cohort's country,
// the age band of its birth year (the year itself is not kept), a consent
// record, an enrollment in the cohort's course and membership of the cohort.
// All or nothing; an ended cohort is a 409.
func (s *CohortStore) CreatePupils(ctx context.Context, p cc.Principal, cohortID string, r PupilsRequest) ([]CreatedPupil, error) {
	accounts, err := preparePupils(r.Learners)
	if err != nil {
		return nil, err
	}
	var out []CreatedPupil
	err = postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		out = out[:0]
		h, err := lockCohort(ctx, tx, p, cohortID)
		if err != nil {
			return err
		}
		if h.Archived != nil {
			return cohortEnded()
		}
		for _, a := range accounts {
			c, err := s.createPupil(ctx, tx, h, p.UserID, a, r)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

func (s *CohortStore) createPupil(ctx context.Context, tx *sqlx.Tx, h ownedCohort, by string, a pupilAccount, r PupilsRequest) (CreatedPupil, error) {
	id, username, err := insertPupil(ctx, tx, h.ID, a, cc.AgeBand(a.BirthYear, s.now().UTC().Year()))
	if err != nil {
		return CreatedPupil{}, err
	}
	const consent = `INSERT INTO pupil_consents (user_id, cohort_id, basis, note, recorded_by, recorded_at)
		VALUES ($1, $2, $3, $4, $5, $6)`
	if _, err := tx.ExecContext(ctx, consent, id, h.ID, r.Consent.Basis, r.Consent.Note, by, s.now()); err != nil {
		return CreatedPupil{}, fmt.Errorf("record consent for pupil %s: %w", id, err)
	}
	if err := s.join(ctx, tx, h, id, "managed"); err != nil {
		return CreatedPupil{}, err
	}
	return CreatedPupil{UserID: id, Name: a.Name, Username: username, Password: a.password}, nil
}

// insertPupil writes the account under a fresh username, drawing again on a
// clash (with wider numbers after a few clashes).
func insertPupil(ctx context.Context, tx *sqlx.Tx, cohortID string, a pupilAccount, band string) (id, username string, err error) {
	const ins = `INSERT INTO users (username, password_hash, name, roles, gender, age_band, country, audience, managed, notify_email)
		SELECT $1, $2, $3, $4, $5, $6, h.country, 'youth', true, false FROM cohorts h WHERE h.id = $7
		ON CONFLICT (username) DO NOTHING RETURNING id`
	for try := 0; ; try++ {
		digits := 2
		if try >= 3 {
			digits = 4
		}
		if username, err = newUsername(digits); err != nil {
			return "", "", fmt.Errorf("draw username: %w", err)
		}
		err = tx.GetContext(ctx, &id, ins, username, a.hash, a.Name, pq.StringArray{cc.RoleLearner}, a.Gender, band, cohortID)
		switch {
		case err == nil:
			return id, username, nil
		case !postgres.IsNoRows(err):
			return "", "", fmt.Errorf("insert pupil of cohort %s: %w", cohortID, err)
		}
	}
}

func noSuchPupil() error { return cc.Errorf(cc.ENOTFOUND, "No such pupil in this cohort.") }

// lockPupil checks, in a cohort the caller manages, that userID is a pupil
// whose account was made for this cohort, and locks the account.
func lockPupil(ctx context.Context, tx *sqlx.Tx, p cc.Principal, cohortID, userID string) (ownedCohort, error) {
	h, err := lockCohort(ctx, tx, p, cohortID)
	if err != nil {
		return h, err
	}
	const q = `SELECT u.id FROM users u WHERE u.id = $1 AND u.managed AND u.sign_in_disabled_at IS NULL
		AND EXISTS (SELECT 1 FROM pupil_consents pc WHERE pc.user_id = u.id AND pc.cohort_id = $2)
		FOR UPDATE`
	var id string
	if err := tx.GetContext(ctx, &id, q, userID, cohortID); postgres.IsNoRows(err) {
		return h, noSuchPupil()
	} else if err != nil {
		return h, fmt.Errorf("lock pupil %s: %w", userID, err)
	}
	return h, nil
}

// ResetPupilPassword gives a pupil of a cohort the caller manages a new
// password and ends the pupil's sessions.
func (s *CohortStore) ResetPupilPassword(ctx context.Context, p cc.Principal, cohortID, userID string) (string, error) {
	pw, err := newPupilPassword()
	if err != nil {
		return "", fmt.Errorf("draw pupil password: %w", err)
	}
	hash := auth.HashPassword(pw)
	err = postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		if _, err := lockPupil(ctx, tx, p, cohortID, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, userID, hash); err != nil {
			return fmt.Errorf("set password of pupil %s: %w", userID, err)
		}
		return endSessions(ctx, tx, []string{userID})
	})
	if err != nil {
		return "", err
	}
	s.sessionsChanged(ctx, userID)
	return pw, nil
}

// endSessions ends every session of the users as accounts.RevokeAll
// does: refresh tokens revoked, and the session version raised so that access
// tokens issued before stop working on the next request.
func endSessions(ctx context.Context, ext sqlx.ExtContext, userIDs []string) error {
	for _, id := range userIDs {
		if err := accounts.RevokeAll(ctx, ext, id); err != nil {
			return fmt.Errorf("end sessions of %s: %w", id, err)
		}
	}
	return nil
}

// disablePupils turns off sign-in for the pupils whose accounts were made
// for a cohort that ends, and ends their sessions; their records stay for
// reports and certificates. It returns the pupils disabled.
func disablePupils(ctx context.Context, tx *sqlx.Tx, cohortID string, now time.Time) ([]string, error) {
	const q = `UPDATE users u SET sign_in_disabled_at = $2, updated_at = $2
		WHERE u.managed AND u.sign_in_disabled_at IS NULL
		AND u.id IN (SELECT user_id FROM pupil_consents WHERE cohort_id = $1)
		RETURNING u.id`
	var ids []string
	if err := tx.SelectContext(ctx, &ids, q, cohortID, now); err != nil {
		return nil, fmt.Errorf("disable pupils of cohort %s: %w", cohortID, err)
	}
	return ids, endSessions(ctx, tx, ids)
}

// CardPupils lists the pupils of a cohort the caller may see whose accounts
// were made for it and can sign in, by name.
func (s *CohortStore) CardPupils(ctx context.Context, p cc.Principal, cohortID string) (Cohort, []CardPupil, error) {
	h, err := s.Cohort(ctx, p, cohortID)
	if err != nil {
		return h, nil, err
	}
	const q = `SELECT u.name, u.username FROM users u
		WHERE u.managed AND u.sign_in_disabled_at IS NULL AND u.username IS NOT NULL
		AND u.id IN (SELECT user_id FROM pupil_consents WHERE cohort_id = $1)
		ORDER BY lower(u.name), u.username`
	var out []CardPupil
	if err := s.db.SelectContext(ctx, &out, q, cohortID); err != nil {
		return h, nil, fmt.Errorf("pupils of cohort %s: %w", cohortID, err)
	}
	return h, out, nil
}

// erasePupil erases a pupil's personal data with the account erasure's own
// steps (accounts.ErasePersonalData: the users row stays as an empty shell so
// anonymous statistics keep their counts, certificates keep verifying without
// a name, the username and age band go, every session ends).
func erasePupil(ctx context.Context, tx *sqlx.Tx, pupilID string) error {
	if err := accounts.ErasePersonalData(ctx, tx, pupilID); err != nil {
		return fmt.Errorf("erase pupil %s: %w", pupilID, err)
	}
	return nil
}
