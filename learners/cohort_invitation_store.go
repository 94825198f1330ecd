package learners

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/internal/web"
	"github.com/cybercampus/cybercampus/jobs"
)

const learnerCohortColumns = `h.id AS cohort_id, h.name AS cohort_name, c.slug AS course_slug,
		coalesce(v.title, c.slug) AS course_title, h.starts_on::text AS starts_on, h.ends_on::text AS ends_on,
		o.name AS trainer_name`

const learnerCohortJoins = `JOIN courses c ON c.id = h.course_id
	LEFT JOIN course_versions v ON v.id = c.current_version_id
	JOIN users o ON o.id = h.owner_id`

func (s *CohortStore) learnerCohort(ctx context.Context, id string) (LearnerCohort, error) {
	const q = `SELECT ` + learnerCohortColumns + ` FROM cohorts h ` + learnerCohortJoins + ` WHERE h.id = $1`
	var h LearnerCohort
	if err := s.db.GetContext(ctx, &h, q, id); err != nil {
		return h, fmt.Errorf("cohort %s as its learners see it: %w", id, err)
	}
	return h, nil
}

// Invite invites every address of the list to a cohort the caller manages,
// in one transaction: a new invitation, or a refreshed one (new expiry, sent
// again) for an address invited before that has not joined. Addresses of
// current members are only counted. Each invitation's email goes through the
// outbox. Nothing here depends on whether an address has an account.
func (s *CohortStore) Invite(ctx context.Context, p cc.Principal, cohortID string, l memberList) (InviteResult, error) {
	res := InviteResult{Errors: l.errors}
	if res.Errors == nil {
		res.Errors = []LineError{}
	}
	err := postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		h, err := lockCohort(ctx, tx, p, cohortID)
		if err != nil {
			return err
		}
		if h.Archived != nil {
			return cohortEnded()
		}
		invitees, members, err := notMembers(ctx, tx, cohortID, l.emails)
		if err != nil {
			return err
		}
		res.Invited, res.AlreadyMembers = len(invitees), members
		return s.upsertInvitations(ctx, tx, cohortID, p.UserID, invitees)
	})
	if err != nil {
		return InviteResult{}, err
	}
	return res, nil
}

// notMembers returns the distinct addresses of the list (compared in lower
// case as the database compares them, so that one statement never writes the
// same invitation twice) that are not a current member's account email, and
// how many are.
func notMembers(ctx context.Context, tx *sqlx.Tx, cohortID string, emails []string) (fresh []string, members int, err error) {
	var rows []struct {
		Email  string `db:"email"`
		Member bool   `db:"member"`
	}
	const q = `SELECT DISTINCT ON (lower(x.e)) x.e AS email,
			EXISTS (SELECT 1 FROM cohort_members m JOIN users u ON u.id = m.user_id
				WHERE m.cohort_id = $1 AND lower(u.email) = lower(x.e)) AS member
		FROM unnest($2::text[]) AS x(e) ORDER BY lower(x.e)`
	if err := tx.SelectContext(ctx, &rows, q, cohortID, pq.StringArray(emails)); err != nil {
		return nil, 0, fmt.Errorf("members of cohort %s among invitees: %w", cohortID, err)
	}
	fresh = make([]string, 0, len(rows))
	for _, r := range rows {
		if r.Member {
			members++
		} else {
			fresh = append(fresh, r.Email)
		}
	}
	return fresh, members, nil
}

// upsertInvitations writes the invitations of distinct addresses, sorted so
// concurrent uploads lock rows in the same order, and queues one email each.
func (s *CohortStore) upsertInvitations(ctx context.Context, tx *sqlx.Tx, cohortID, by string, emails []string) error {
	if len(emails) == 0 {
		return nil
	}
	now := s.now()
	const q = `INSERT INTO cohort_invitations (cohort_id, email, email_key, invited_by, sent_at, expires_at)
		SELECT $1, e, lower(e), $2, $3, $4 FROM unnest($5::text[]) AS e ORDER BY lower(e)
		ON CONFLICT ON CONSTRAINT cohort_invitations_address_key DO UPDATE SET
			email = EXCLUDED.email, invited_by = EXCLUDED.invited_by, status = 'pending',
			sent_at = EXCLUDED.sent_at, expires_at = EXCLUDED.expires_at, responded_at = NULL, user_id = NULL
		RETURNING id`
	var ids []string
	if err := tx.SelectContext(ctx, &ids, q, cohortID, by, now, now.Add(InvitationTTL), pq.StringArray(emails)); err != nil {
		return fmt.Errorf("upsert invitations to cohort %s: %w", cohortID, err)
	}
	payloads := make([]any, len(ids))
	for i, id := range ids {
		payloads[i] = jobs.InvitationPayload{InvitationID: id}
	}
	if err := jobs.EnqueueAll(ctx, tx, jobs.TypeCohortInvitation, jobs.QueueDefault, payloads); err != nil {
		return fmt.Errorf("queue invitation emails: %w", err)
	}
	return nil
}

// Invitations lists the caller's pending invitations, addressed to their
// account's email, latest expiry first; expired ones and those of ended
// cohorts are left out.
func (s *CohortStore) Invitations(ctx context.Context, userID string, after *web.Cursor, limit int) ([]Invitation, error) {
	if err := s.verifiedAddress(ctx, userID, listRefused); err != nil {
		return nil, err
	}
	const q = `SELECT i.id, i.expires_at, ` + learnerCohortColumns + `
		FROM cohort_invitations i JOIN cohorts h ON h.id = i.cohort_id ` + learnerCohortJoins + `
		WHERE i.email_key = (SELECT lower(email) FROM users WHERE id = $1 AND email_verified_at IS NOT NULL)
			AND i.status = 'pending' AND i.expires_at > $2 AND h.archived_at IS NULL
			AND (i.expires_at, i.id) < ($3, $4)
		ORDER BY i.expires_at DESC, i.id DESC LIMIT $5`
	at, id := web.NewestFirst(after)
	var out []Invitation
	if err := s.db.SelectContext(ctx, &out, q, userID, s.now(), at, id, limit+1); err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	return out, nil
}

// invitationRow is an invitation as accepting or declining it reads it.
type invitationRow struct {
	ID        string    `db:"id"`
	CohortID  string    `db:"cohort_id"`
	Status    string    `db:"status"`
	ExpiresAt time.Time `db:"expires_at"`
}

// invitationFor reads an invitation addressed to the user's email, locked
// when lock is set; any other invitation is not found.
func invitationFor(ctx context.Context, q sqlx.QueryerContext, userID, id string, lock bool) (invitationRow, error) {
	sel := `SELECT id, cohort_id, status, expires_at FROM cohort_invitations
		WHERE id = $1 AND email_key = (SELECT lower(email) FROM users WHERE id = $2 AND email_verified_at IS NOT NULL)`
	if lock {
		sel += ` FOR UPDATE`
	}
	var r invitationRow
	if err := sqlx.GetContext(ctx, q, &r, sel, id, userID); postgres.IsNoRows(err) {
		return r, cc.Errorf(cc.ENOTFOUND, "No such invitation.")
	} else if err != nil {
		return r, fmt.Errorf("invitation %s: %w", id, err)
	}
	return r, nil
}

// AcceptInvitation makes the invitee a member of the cohort and enrols them
// in its course (an enrollment they already have joins the cohort). Accepting
// twice is the same as once. Only learner accounts join cohorts.
func (s *CohortStore) AcceptInvitation(ctx context.Context, p cc.Principal, id string) (LearnerCohort, error) {
	if err := s.verifiedAddress(ctx, p.UserID, answerRefused); err != nil {
		return LearnerCohort{}, err
	}
	first, err := invitationFor(ctx, s.db, p.UserID, id, false)
	if err != nil {
		return LearnerCohort{}, err
	}
	if !p.Has(cc.RoleLearner) {
		return LearnerCohort{}, learnersOnly()
	}
	err = postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		h, err := shareCohort(ctx, tx, first.CohortID)
		if err != nil {
			return err
		}
		inv, err := invitationFor(ctx, tx, p.UserID, id, true)
		if err != nil {
			return err
		}
		if err := s.acceptable(inv, h); err != nil {
			return err
		}
		if inv.Status == "accepted" {
			return stillMember(ctx, tx, h.ID, p.UserID)
		}
		if err := s.join(ctx, tx, h, p.UserID, "invitation"); err != nil {
			return err
		}
		const upd = `UPDATE cohort_invitations SET status = 'accepted', responded_at = $2, user_id = $3 WHERE id = $1`
		if _, err := tx.ExecContext(ctx, upd, id, s.now(), p.UserID); err != nil {
			return fmt.Errorf("accept invitation %s: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return LearnerCohort{}, err
	}
	return s.learnerCohort(ctx, first.CohortID)
}

// acceptable says why an invitation cannot be accepted, or nil.
func (s *CohortStore) acceptable(inv invitationRow, h ownedCohort) error {
	switch {
	case inv.Status == "declined":
		return cc.Errorf(cc.ECONFLICT, "You declined this invitation; ask your trainer to invite you again.")
	case inv.Status == "accepted":
		return nil
	case !inv.ExpiresAt.After(s.now()):
		return cc.Errorf(cc.ECONFLICT, "This invitation has expired; ask your trainer to send it again.")
	case h.Archived != nil:
		return cohortEnded()
	}
	return nil
}

// DeclineInvitation records the invitee's no; nobody joins. Declining twice
// is the same as once; an accepted invitation is a 409 (leaving a cohort is
// the trainer's removal).
func (s *CohortStore) DeclineInvitation(ctx context.Context, userID, id string) (InvitationAnswer, error) {
	if err := s.verifiedAddress(ctx, userID, answerRefused); err != nil {
		return InvitationAnswer{}, err
	}
	err := postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		inv, err := invitationFor(ctx, tx, userID, id, true)
		switch {
		case err != nil:
			return err
		case inv.Status == "accepted":
			return cc.Errorf(cc.ECONFLICT, "This invitation was accepted already.")
		case inv.Status == "declined":
			return nil
		}
		const upd = `UPDATE cohort_invitations SET status = 'declined', responded_at = $2, user_id = $3 WHERE id = $1`
		if _, err := tx.ExecContext(ctx, upd, id, s.now(), userID); err != nil {
			return fmt.Errorf("decline invitation %s: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return InvitationAnswer{}, err
	}
	return InvitationAnswer{ID: id, Status: "declined"}, nil
}

// stillMember answers accepting an accepted invitation again: fine while the
// learner is a member, a 409 once the trainer removed them.
func stillMember(ctx context.Context, tx *sqlx.Tx, cohortID, userID string) error {
	var ok bool
	const q = `SELECT EXISTS (SELECT 1 FROM cohort_members WHERE cohort_id = $1 AND user_id = $2)`
	if err := tx.GetContext(ctx, &ok, q, cohortID, userID); err != nil {
		return fmt.Errorf("membership of cohort %s: %w", cohortID, err)
	}
	if !ok {
		return cc.Errorf(cc.ECONFLICT, "This invitation was used already; ask your trainer to invite you again.")
	}
	return nil
}

// verifiedAddress refuses a caller whose email is not verified yet with
// refused. Invitations are addressed to an email, and only the person who
// proved they read that mailbox may see or answer them; otherwise anyone could
// register with someone else's address and join a cohort in their name.
func (s *CohortStore) verifiedAddress(ctx context.Context, userID string, refused func() error) error {
	var verified bool
	const q = `SELECT email_verified_at IS NOT NULL FROM users WHERE id = $1`
	if err := s.db.GetContext(ctx, &verified, q, userID); err != nil && !postgres.IsNoRows(err) {
		return fmt.Errorf("read email verification: %w", err)
	}
	if !verified {
		return refused()
	}
	return nil
}
