package learners

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/internal/web"
	"github.com/cybercampus/cybercampus/jobs"
)

// cohortSelect reads cohorts with their counts: members are those who
// accepted; a revoked certificate does not count as certified; an invitation
// past its expiry is no longer pending.
const cohortSelect = `SELECT h.id, h.name, c.slug AS course_slug, coalesce(v.title, c.slug) AS course_title,
		h.country, h.starts_on::text AS starts_on, h.ends_on::text AS ends_on, h.education_level, h.owner_id, h.created_at, h.archived_at,
		s.members, s.active, s.completed, s.certified,
		(SELECT count(*) FROM cohort_invitations i
			WHERE i.cohort_id = h.id AND i.status = 'pending' AND i.expires_at > now()) AS pending_invitations
	FROM cohorts h JOIN courses c ON c.id = h.course_id
	LEFT JOIN course_versions v ON v.id = c.current_version_id
	CROSS JOIN LATERAL (SELECT count(*) AS members,
			count(*) FILTER (WHERE e.status = 'active') AS active,
			count(*) FILTER (WHERE e.status = 'completed') AS completed,
			count(*) FILTER (WHERE EXISTS (SELECT 1 FROM certificates ct
				WHERE ct.enrollment_id = e.id AND ct.revoked_at IS NULL)) AS certified
		FROM cohort_members m JOIN enrollments e ON e.id = m.enrollment_id WHERE m.cohort_id = h.id) s`

func noSuchCohort() error { return cc.Errorf(cc.ENOTFOUND, "No such cohort.") }

func cohortEnded() error {
	return cc.Errorf(cc.ECONFLICT, "The cohort has ended: it takes no new members, invitations or changes.")
}

// Cohort returns a cohort the caller may see: its owner's, or any for an
// admin. Anyone else's is not found, so its existence is never confirmed.
func (s *CohortStore) Cohort(ctx context.Context, p cc.Principal, id string) (Cohort, error) {
	const q = cohortSelect + ` WHERE h.id = $1 AND ($2 OR h.owner_id = $3)`
	var h Cohort
	if err := s.db.GetContext(ctx, &h, q, id, p.Has(cc.RoleAdmin), p.UserID); postgres.IsNoRows(err) {
		return h, noSuchCohort()
	} else if err != nil {
		return h, fmt.Errorf("cohort %s: %w", id, err)
	}
	return h, nil
}

// Cohorts lists the cohorts the caller may see, newest first.
func (s *CohortStore) Cohorts(ctx context.Context, p cc.Principal, after *web.Cursor, limit int) ([]Cohort, error) {
	const all = cohortSelect + ` WHERE (h.created_at, h.id) < ($1, $2) ORDER BY h.created_at DESC, h.id DESC LIMIT $3`
	const own = cohortSelect + ` WHERE h.owner_id = $4 AND (h.created_at, h.id) < ($1, $2)
		ORDER BY h.created_at DESC, h.id DESC LIMIT $3`
	at, id := web.NewestFirst(after)
	var out []Cohort
	var err error
	if p.Has(cc.RoleAdmin) {
		err = s.db.SelectContext(ctx, &out, all, at, id, limit+1)
	} else {
		err = s.db.SelectContext(ctx, &out, own, at, id, limit+1, p.UserID)
	}
	if err != nil {
		return nil, fmt.Errorf("list cohorts: %w", err)
	}
	return out, nil
}

// CreateCohort creates a cohort owned by the caller and queues the
// cohort-created task in the same transaction. An unknown or closed course, or
// an unknown country, is a 422 naming the field.
func (s *CohortStore) CreateCohort(ctx context.Context, ownerID string, r CohortCreate) (Cohort, error) {
	courseID, err := s.checkCohortRefs(ctx, r)
	if err != nil {
		return Cohort{}, err
	}
	var id string
	err = postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		const ins = `INSERT INTO cohorts (name, course_id, owner_id, country, starts_on, ends_on, education_level)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`
		if err := tx.GetContext(ctx, &id, ins, r.Name, courseID, ownerID, r.Country, r.StartsOn, r.EndsOn, r.EducationLevel); err != nil {
			return fmt.Errorf("insert cohort: %w", err)
		}
		if _, err := jobs.Enqueue(ctx, tx, jobs.TypeCohortCreated, jobs.QueueDefault, jobs.CohortPayload{CohortID: id}); err != nil {
			return fmt.Errorf("queue cohort-created task: %w", err)
		}
		return nil
	})
	if err != nil {
		return Cohort{}, err
	}
	return s.Cohort(ctx, cc.Principal{UserID: ownerID}, id)
}

func (s *CohortStore) checkCohortRefs(ctx context.Context, r CohortCreate) (string, error) {
	var v cc.Validation
	c, err := courseBySlug(ctx, s.db, r.Course)
	switch {
	case cc.ErrorCode(err) == cc.ENOTFOUND:
		v.Add("course", "no course has this slug")
	case err != nil:
		return "", err
	case c.VersionID == nil:
		v.Add("course", "is not published yet")
	case c.Archived:
		v.Add("course", "is archived")
	}
	var known bool
	if err := s.db.GetContext(ctx, &known, `SELECT EXISTS (SELECT 1 FROM countries WHERE code = $1)`, r.Country); err != nil {
		return "", fmt.Errorf("country %q: %w", r.Country, err)
	}
	v.Check(known, "country", "is not an ISO 3166-1 country code")
	return c.ID, v.Err()
}

// ownedCohort is the part of a cohort its managers' writes check, read under
// a row lock so that ending the cohort and writing to it never interleave.
type ownedCohort struct {
	ID       string     `db:"id"`
	CourseID string     `db:"course_id"`
	Archived *time.Time `db:"archived_at"`
}

// lockCohort locks a cohort the caller may manage; anyone else's is not found.
func lockCohort(ctx context.Context, tx *sqlx.Tx, p cc.Principal, id string) (ownedCohort, error) {
	const q = `SELECT id, course_id, archived_at FROM cohorts WHERE id = $1 AND ($2 OR owner_id = $3) FOR UPDATE`
	var h ownedCohort
	if err := tx.GetContext(ctx, &h, q, id, p.Has(cc.RoleAdmin), p.UserID); postgres.IsNoRows(err) {
		return h, noSuchCohort()
	} else if err != nil {
		return h, fmt.Errorf("lock cohort %s: %w", id, err)
	}
	return h, nil
}

// UpdateCohort renames or re-dates a cohort the caller may manage. An ended
// cohort is a 409; dates that would end the cohort before it starts are a 422.
func (s *CohortStore) UpdateCohort(ctx context.Context, p cc.Principal, id string, r CohortUpdate) (Cohort, error) {
	err := postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		if _, err := lockCohort(ctx, tx, p, id); err != nil {
			return err
		}
		var h Cohort
		if err := tx.GetContext(ctx, &h, cohortSelect+` WHERE h.id = $1`, id); err != nil {
			return fmt.Errorf("cohort %s: %w", id, err)
		}
		if h.ArchivedAt != nil {
			return cohortEnded()
		}
		name, startsOn, endsOn, err := r.apply(h)
		if err != nil {
			return err
		}
		const upd = `UPDATE cohorts SET name = $2, starts_on = $3, ends_on = $4,
			education_level = coalesce($5, education_level), updated_at = now() WHERE id = $1`
		if _, err := tx.ExecContext(ctx, upd, id, name, startsOn, endsOn, r.EducationLevel); err != nil {
			return fmt.Errorf("update cohort %s: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return Cohort{}, err
	}
	return s.Cohort(ctx, p, id)
}

// ArchiveCohort ends a cohort the caller may manage: its join code goes, its
// pending invitations can no longer be accepted, and its members keep their
// enrollments, progress and certificates. The pupils whose accounts were made
// for it can no longer sign in (the class is over; their records stay for
// reports and their certificates keep verifying). Ending it again changes
// nothing.
func (s *CohortStore) ArchiveCohort(ctx context.Context, p cc.Principal, id string) (Cohort, error) {
	var disabled []string
	err := postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		disabled = nil
		h, err := lockCohort(ctx, tx, p, id)
		if err != nil || h.Archived != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cohorts SET archived_at = $2, updated_at = $2 WHERE id = $1`, id, s.now()); err != nil {
			return fmt.Errorf("archive cohort %s: %w", id, err)
		}
		if _, err = tx.ExecContext(ctx, `DELETE FROM cohort_join_codes WHERE cohort_id = $1`, id); err != nil {
			return fmt.Errorf("delete join code of cohort %s: %w", id, err)
		}
		disabled, err = disablePupils(ctx, tx, id, s.now())
		return err
	})
	if err != nil {
		return Cohort{}, err
	}
	for _, u := range disabled {
		s.sessionsChanged(ctx, u)
	}
	return s.Cohort(ctx, p, id)
}

// RemoveMember takes a member out of a cohort the caller may manage. The
// learner keeps their enrollment, progress and certificates; the enrollment
// just no longer counts for this cohort. Someone who is not a member is a 404.
func (s *CohortStore) RemoveMember(ctx context.Context, p cc.Principal, cohortID, userID string) error {
	return postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		if _, err := lockCohort(ctx, tx, p, cohortID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM cohort_members WHERE cohort_id = $1 AND user_id = $2`, cohortID, userID)
		if err != nil {
			return fmt.Errorf("remove member of cohort %s: %w", cohortID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return cc.Errorf(cc.ENOTFOUND, "No such member in this cohort.")
		}
		const detach = `UPDATE enrollments SET cohort_id = NULL WHERE cohort_id = $1 AND user_id = $2`
		if _, err := tx.ExecContext(ctx, detach, cohortID, userID); err != nil {
			return fmt.Errorf("detach enrollment from cohort %s: %w", cohortID, err)
		}
		return nil
	})
}

// Progress returns a visible cohort with the progress of every member who
// accepted, by name; the cohort's counts say how many invitations wait.
func (s *CohortStore) Progress(ctx context.Context, p cc.Principal, id string) (CohortProgress, error) {
	h, err := s.Cohort(ctx, p, id)
	if err != nil {
		return CohortProgress{}, err
	}
	const q = `SELECT u.id AS user_id, u.name, coalesce(u.email, u.username, '') AS email,
			enrollment_percent(e.status, ep.lessons_completed, e.lessons_total) AS progress_percent, ep.last_activity_at, e.completed_at,
			EXISTS (SELECT 1 FROM certificates ct WHERE ct.enrollment_id = e.id AND ct.revoked_at IS NULL) AS certified,
			(SELECT a.score FROM assessment_attempts a WHERE a.enrollment_id = e.id AND a.kind = 'pre') AS pre_score,
			(SELECT a.score FROM assessment_attempts a WHERE a.enrollment_id = e.id AND a.kind = 'post') AS post_score
		FROM cohort_members m JOIN users u ON u.id = m.user_id JOIN enrollments e ON e.id = m.enrollment_id
		LEFT JOIN enrollment_progress ep ON ep.enrollment_id = e.id
		WHERE m.cohort_id = $1 ORDER BY lower(u.name), u.id`
	out := CohortProgress{Cohort: h, Members: []CohortMember{}}
	if err := s.db.SelectContext(ctx, &out.Members, q, id); err != nil {
		return out, fmt.Errorf("progress of cohort %s: %w", id, err)
	}
	// Surveys due by now to the members, for this cohort's enrollments.
	const surveys = `SELECT count(*) AS due, count(sv.responded_at) AS answered
		FROM cohort_members m JOIN surveys sv ON sv.enrollment_id = m.enrollment_id
		WHERE m.cohort_id = $1 AND sv.due_at <= $2`
	var im CohortImpact
	if err := s.db.GetContext(ctx, &im, surveys, id, s.now()); err != nil {
		return out, fmt.Errorf("surveys of cohort %s: %w", id, err)
	}
	out.Impact = impactOf(out.Members, im)
	return out, nil
}

// shareCohort locks a cohort against being ended while someone joins it.
func shareCohort(ctx context.Context, tx *sqlx.Tx, id string) (ownedCohort, error) {
	const q = `SELECT id, course_id, archived_at FROM cohorts WHERE id = $1 FOR SHARE`
	var h ownedCohort
	if err := tx.GetContext(ctx, &h, q, id); postgres.IsNoRows(err) {
		return h, noSuchCohort()
	} else if err != nil {
		return h, fmt.Errorf("share-lock cohort %s: %w", id, err)
	}
	return h, nil
}

// join makes the user a member of the cohort: their enrollment in its course
// (made now, pinned to the current version with a demographic snapshot, when
// they have none) joins the cohort unless it already counts for another one.
func (s *CohortStore) join(ctx context.Context, tx *sqlx.Tx, h ownedCohort, userID, via string) error {
	var enrolled bool
	const has = `SELECT EXISTS (SELECT 1 FROM enrollments WHERE course_id = $1 AND user_id = $2)`
	if err := tx.GetContext(ctx, &enrolled, has, h.CourseID, userID); err != nil {
		return fmt.Errorf("enrollment in course %s: %w", h.CourseID, err)
	}
	if !enrolled {
		if err := s.enrollInCohort(ctx, tx, h, userID); err != nil {
			return err
		}
	}
	const adopt = `UPDATE enrollments SET cohort_id = $1 WHERE course_id = $2 AND user_id = $3 AND cohort_id IS NULL`
	if _, err := tx.ExecContext(ctx, adopt, h.ID, h.CourseID, userID); err != nil {
		return fmt.Errorf("attach enrollment to cohort %s: %w", h.ID, err)
	}
	const member = `INSERT INTO cohort_members (cohort_id, user_id, enrollment_id, joined_via)
		SELECT $1, e.user_id, e.id, $4 FROM enrollments e WHERE e.course_id = $2 AND e.user_id = $3
		ON CONFLICT DO NOTHING`
	if _, err := tx.ExecContext(ctx, member, h.ID, h.CourseID, userID, via); err != nil {
		return fmt.Errorf("add member to cohort %s: %w", h.ID, err)
	}
	return nil
}

func (s *CohortStore) enrollInCohort(ctx context.Context, tx *sqlx.Tx, h ownedCohort, userID string) error {
	var c courseRow
	const sel = `SELECT id, current_version_id, archived_at IS NOT NULL AS archived FROM courses WHERE id = $1`
	if err := tx.GetContext(ctx, &c, sel, h.CourseID); err != nil {
		return fmt.Errorf("course %s: %w", h.CourseID, err)
	}
	if c.VersionID == nil || c.Archived {
		return cc.Errorf(cc.ECONFLICT, "The cohort's course takes no new enrollments (it is archived or unpublished).")
	}
	_, err := enrollUsers(ctx, tx, h.CourseID, []string{userID}, &h.ID, s.now())
	return err
}
