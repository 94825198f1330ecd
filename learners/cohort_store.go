package learners

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/jobs"
)

// CohortStore keeps cohorts and their members.
type CohortStore struct {
	db  *sqlx.DB
	now func() time.Time
}

// NewCohortStore returns a store over db; now dates the members' age bands.
func NewCohortStore(db *sqlx.DB, now func() time.Time) *CohortStore {
	if now == nil {
		now = time.Now
	}
	return &CohortStore{db: db, now: now}
}

// cohortSelect reads cohorts with their counts; a revoked certificate does not
// count as certified.
const cohortSelect = `SELECT h.id, h.name, c.slug AS course_slug, coalesce(v.title, c.slug) AS course_title,
		h.country, h.starts_on::text AS starts_on, h.ends_on::text AS ends_on, h.owner_id, h.created_at,
		s.members, s.active, s.completed, s.certified
	FROM cohorts h JOIN courses c ON c.id = h.course_id
	LEFT JOIN course_versions v ON v.id = c.current_version_id
	CROSS JOIN LATERAL (SELECT count(*) AS members,
			count(*) FILTER (WHERE e.status = 'active') AS active,
			count(*) FILTER (WHERE e.status = 'completed') AS completed,
			count(*) FILTER (WHERE EXISTS (SELECT 1 FROM certificates ct
				WHERE ct.enrollment_id = e.id AND ct.revoked_at IS NULL)) AS certified
		FROM cohort_members m JOIN enrollments e ON e.id = m.enrollment_id WHERE m.cohort_id = h.id) s`

// Cohort returns a cohort the caller may see: its owner's, or any for an
// admin. Anyone else's is not found, so its existence is never confirmed.
func (s *CohortStore) Cohort(ctx context.Context, p cc.Principal, id string) (Cohort, error) {
	const q = cohortSelect + ` WHERE h.id = $1 AND ($2 OR h.owner_id = $3)`
	var h Cohort
	if err := s.db.GetContext(ctx, &h, q, id, p.Has(cc.RoleAdmin), p.UserID); postgres.IsNoRows(err) {
		return h, cc.Errorf(cc.ENOTFOUND, "No such cohort.")
	} else if err != nil {
		return h, err
	}
	return h, nil
}

// Cohorts lists the cohorts the caller may see, newest first.
func (s *CohortStore) Cohorts(ctx context.Context, p cc.Principal, after *keyset, limit int) ([]Cohort, error) {
	const all = cohortSelect + ` WHERE (h.created_at, h.id) < ($1, $2) ORDER BY h.created_at DESC, h.id DESC LIMIT $3`
	const own = cohortSelect + ` WHERE h.owner_id = $4 AND (h.created_at, h.id) < ($1, $2)
		ORDER BY h.created_at DESC, h.id DESC LIMIT $3`
	at, id := keysetStart(after)
	var out []Cohort
	if p.Has(cc.RoleAdmin) {
		return out, s.db.SelectContext(ctx, &out, all, at, id, limit+1)
	}
	return out, s.db.SelectContext(ctx, &out, own, at, id, limit+1, p.UserID)
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
		const ins = `INSERT INTO cohorts (name, course_id, owner_id, country, starts_on, ends_on)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
		if err := tx.GetContext(ctx, &id, ins, r.Name, courseID, ownerID, r.Country, r.StartsOn, r.EndsOn); err != nil {
			return err
		}
		_, err := jobs.Enqueue(ctx, tx, jobs.TypeCohortCreated, jobs.QueueDefault, jobs.CohortPayload{CohortID: id})
		return err
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
		return "", err
	}
	v.Check(known, "country", "is not an ISO 3166-1 country code")
	return c.ID, v.Err()
}

// AddMembers adds the listed learners to a cohort the caller may see and
// enrols them in its course, in one transaction: an existing enrollment is
// reused (and joins the cohort when it has none), new ones pin the current
// version and snapshot demographics. Emails without an account are reported,
// never created.
func (s *CohortStore) AddMembers(ctx context.Context, p cc.Principal, cohortID string, l memberList) (MembersResult, error) {
	res := MembersResult{Unknown: []string{}, Errors: l.errors}
	if res.Errors == nil {
		res.Errors = []LineError{}
	}
	var courseID string
	const sel = `SELECT course_id FROM cohorts WHERE id = $1 AND ($2 OR owner_id = $3)`
	if err := s.db.GetContext(ctx, &courseID, sel, cohortID, p.Has(cc.RoleAdmin), p.UserID); postgres.IsNoRows(err) {
		return res, cc.Errorf(cc.ENOTFOUND, "No such cohort.")
	} else if err != nil {
		return res, err
	}
	err := postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		users, unknown, err := usersByEmail(ctx, tx, l.emails)
		if err != nil {
			return err
		}
		res.Unknown = unknown
		added, err := s.join(ctx, tx, cohortID, courseID, users)
		res.Added, res.AlreadyMembers = added, len(users)-added
		return err
	})
	return res, err
}

// usersByEmail resolves emails (case-insensitively) to user IDs, sorted so
// concurrent uploads lock rows in the same order; unknown emails keep the
// spelling they were given in.
func usersByEmail(ctx context.Context, q sqlx.QueryerContext, emails []string) (ids, unknown []string, err error) {
	lower := make([]string, len(emails))
	for i, e := range emails {
		lower[i] = strings.ToLower(e)
	}
	var rows []struct {
		ID    string `db:"id"`
		Email string `db:"email"`
	}
	const sel = `SELECT id, lower(email) AS email FROM users WHERE lower(email) = ANY($1::text[])`
	if err := sqlx.SelectContext(ctx, q, &rows, sel, pq.StringArray(lower)); err != nil {
		return nil, nil, err
	}
	found := make(map[string]bool, len(rows))
	for _, r := range rows {
		found[r.Email] = true
		ids = append(ids, r.ID)
	}
	unknown = []string{}
	for i, e := range emails {
		if !found[lower[i]] {
			unknown = append(unknown, e)
		}
	}
	slices.Sort(ids)
	return ids, unknown, nil
}

// join enrols users in the course and makes them members; it returns how many
// became members now.
func (s *CohortStore) join(ctx context.Context, tx *sqlx.Tx, cohortID, courseID string, users []string) (int, error) {
	if len(users) == 0 {
		return 0, nil
	}
	var c courseRow
	const sel = `SELECT id, current_version_id, archived_at IS NOT NULL AS archived FROM courses WHERE id = $1`
	if err := tx.GetContext(ctx, &c, sel, courseID); err != nil {
		return 0, err
	}
	if c.VersionID == nil || c.Archived {
		return 0, cc.Errorf(cc.ECONFLICT, "The cohort's course takes no new enrollments (it is archived or unpublished).")
	}
	if _, err := enrollUsers(ctx, tx, courseID, users, &cohortID, s.now()); err != nil {
		return 0, err
	}
	const adopt = `UPDATE enrollments SET cohort_id = $1 WHERE course_id = $2 AND user_id = ANY($3::uuid[]) AND cohort_id IS NULL`
	if _, err := tx.ExecContext(ctx, adopt, cohortID, courseID, pq.StringArray(users)); err != nil {
		return 0, err
	}
	const members = `INSERT INTO cohort_members (cohort_id, user_id, enrollment_id)
		SELECT $1, e.user_id, e.id FROM enrollments e WHERE e.course_id = $2 AND e.user_id = ANY($3::uuid[])
		ORDER BY e.user_id ON CONFLICT DO NOTHING`
	r, err := tx.ExecContext(ctx, members, cohortID, courseID, pq.StringArray(users))
	if err != nil {
		return 0, err
	}
	n, err := r.RowsAffected()
	return int(n), err
}

// Progress returns a visible cohort with every member's progress, by name.
func (s *CohortStore) Progress(ctx context.Context, p cc.Principal, id string) (CohortProgress, error) {
	h, err := s.Cohort(ctx, p, id)
	if err != nil {
		return CohortProgress{}, err
	}
	const q = `SELECT u.id AS user_id, u.name, u.email, e.progress_percent, e.last_activity_at, e.completed_at,
			EXISTS (SELECT 1 FROM certificates ct WHERE ct.enrollment_id = e.id AND ct.revoked_at IS NULL) AS certified
		FROM cohort_members m JOIN users u ON u.id = m.user_id JOIN enrollments e ON e.id = m.enrollment_id
		WHERE m.cohort_id = $1 ORDER BY lower(u.name), u.id`
	out := CohortProgress{Cohort: h, Members: []CohortMember{}}
	err = s.db.SelectContext(ctx, &out.Members, q, id)
	return out, err
}
