package learners

import (
	"context"
	"crypto/rand"
	"math/big"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/postgres"
)

// A join code is typed by learners from a board or a sheet of paper: eight
// characters from an alphabet without look-alikes (no 0/O, 1/I/L), about 40
// bits, so that guessing within the rate limit finds nothing.
const (
	joinCodeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
	joinCodeLength   = 8
	// JoinCodeTTL is how long a join code works.
	JoinCodeTTL = 14 * 24 * time.Hour
)

// JoinCode is a cohort's current join code.
type JoinCode struct {
	Code      string    `db:"code" json:"code"`
	ExpiresAt time.Time `db:"expires_at" json:"expires_at"`
}

// JoinRequest is the body of POST /v1/cohorts/join.
type JoinRequest struct {
	Code string `json:"code"`
}

// Validate normalises the code as learners type it (any case, with spaces or
// dashes); one that cannot be a code is simply not found, so it is not a 422.
func (r *JoinRequest) Validate() error {
	r.Code = normaliseJoinCode(r.Code)
	var v cc.Validation
	v.Check(r.Code != "", "code", "is required")
	return v.Err()
}

func normaliseJoinCode(s string) string {
	s = strings.ToUpper(s)
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, s)
}

func wellFormedJoinCode(s string) bool {
	if len(s) != joinCodeLength {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune(joinCodeAlphabet, r) {
			return false
		}
	}
	return true
}

func newJoinCode() (string, error) {
	b := make([]byte, joinCodeLength)
	n := big.NewInt(int64(len(joinCodeAlphabet)))
	for i := range b {
		k, err := rand.Int(rand.Reader, n)
		if err != nil {
			return "", err
		}
		b[i] = joinCodeAlphabet[k.Int64()]
	}
	return string(b), nil
}

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
			return err
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
			return JoinCode{}, err
		}
		var jc JoinCode
		err = tx.GetContext(ctx, &jc, ins, code, cohortID, by, now, now.Add(JoinCodeTTL))
		if !postgres.IsNoRows(err) {
			return jc, err
		}
	}
}

func noSuchCode() error {
	return cc.Errorf(cc.ENOTFOUND, "No cohort has this code, or it has expired; check it with your trainer.")
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
		return LearnerCohort{}, err
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
		_, err = tx.ExecContext(ctx, upd, cohortID, p.UserID, s.now())
		return err
	})
	if err != nil {
		return LearnerCohort{}, err
	}
	return s.learnerCohort(ctx, cohortID)
}
