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
)

// courseRow is what enrolling needs to know about a course.
type courseRow struct {
	ID        string  `db:"id"`
	VersionID *string `db:"current_version_id"`
	Archived  bool    `db:"archived"`
}

func courseBySlug(ctx context.Context, q sqlx.QueryerContext, slug string) (courseRow, error) {
	const sel = `SELECT id, current_version_id, archived_at IS NOT NULL AS archived FROM courses WHERE slug = $1`
	var c courseRow
	err := sqlx.GetContext(ctx, q, &c, sel, slug)
	if postgres.IsNoRows(err) {
		return c, cc.Errorf(cc.ENOTFOUND, "No such course.")
	} else if err != nil {
		return c, fmt.Errorf("course %q: %w", slug, err)
	}
	return c, nil
}

// open reports why a course takes no new enrollments, or nil when it does.
func (c courseRow) open() error {
	if c.VersionID == nil {
		return cc.Errorf(cc.ENOTFOUND, "No such course.") // unpublished courses are not visible
	}
	if c.Archived {
		return cc.Errorf(cc.ECONFLICT, "This course is archived and takes no new enrollments.")
	}
	return nil
}

const enrollmentSelect = `SELECT e.id, c.slug AS course_slug, v.title AS course_title, e.status,
	enrollment_percent(e.status, ep.lessons_completed, e.lessons_total) AS progress_percent,
	e.enrolled_at, ep.last_activity_at, e.completed_at
	FROM enrollments e JOIN courses c ON c.id = e.course_id JOIN course_versions v ON v.id = e.version_id
	LEFT JOIN enrollment_progress ep ON ep.enrollment_id = e.id`

// Enroll enrols the user in the course's current published version. created
// is false when the user was already enrolled; the existing enrollment is
// returned unchanged (an archived course still shows it).
func (s *LearningStore) Enroll(ctx context.Context, userID, slug string) (e Enrollment, created bool, err error) {
	c, err := courseBySlug(ctx, s.db, slug)
	if err != nil {
		return e, false, err
	}
	if e, err = s.enrollment(ctx, userID, c.ID); err == nil || cc.ErrorCode(err) != cc.ENOTFOUND {
		return e, false, err
	}
	if err := c.open(); err != nil {
		return e, false, err
	}
	n, err := enrollUsers(ctx, s.db, c.ID, []string{userID}, nil, s.now())
	if err != nil {
		return e, false, err
	}
	e, err = s.enrollment(ctx, userID, c.ID)
	return e, n == 1, err
}

func (s *LearningStore) enrollment(ctx context.Context, userID, courseID string) (Enrollment, error) {
	var e Enrollment
	err := s.db.GetContext(ctx, &e, enrollmentSelect+` WHERE e.user_id = $1 AND e.course_id = $2`, userID, courseID)
	if postgres.IsNoRows(err) {
		return e, cc.Errorf(cc.ENOTFOUND, "Not enrolled in this course.")
	} else if err != nil {
		return e, fmt.Errorf("enrollment in course %s: %w", courseID, err)
	}
	return e, nil
}

// enrollUsers enrols users in the current version of a course in one statement,
// pinning the version and snapshotting each learner's demographics, age band
// (a pupil's account holds the band itself), disability status (from the
// functioning answers given with consent; not_stated without them) and the
// cohort's education level now, so later profile edits never rewrite reports.
// Users already enrolled are left alone. It returns how many enrollments were
// created.
func enrollUsers(ctx context.Context, ext sqlx.ExtContext, courseID string, userIDs []string, cohortID *string, now time.Time) (int, error) {
	const q = `INSERT INTO enrollments (user_id, course_id, version_id, cohort_id, lessons_total,
		gender, audience, country, region, ldc, sids, lldc, age_band, disability, education_level)
		SELECT u.id, c.id, c.current_version_id, $3, c.lessons, u.gender, u.audience, u.country,
			k.region, k.ldc, k.sids, k.lldc, coalesce(u.age_band, b.band), coalesce(f.disability, 'not_stated'),
			coalesce((SELECT education_level FROM cohorts WHERE id = $3), 'not_stated')
		FROM (SELECT id, current_version_id,
				(SELECT count(*) FROM lessons l WHERE l.version_id = courses.current_version_id) AS lessons
			FROM courses WHERE id = $2 AND current_version_id IS NOT NULL) c
		CROSS JOIN unnest($1::uuid[]) AS x(user_id)
		JOIN users u ON u.id = x.user_id
		JOIN countries k ON k.code = u.country
		LEFT JOIN unnest($4::int[], $5::text[]) AS b(year, band) ON b.year = u.birth_year
		LEFT JOIN user_functioning f ON f.user_id = u.id
		WHERE u.age_band IS NOT NULL OR b.band IS NOT NULL
		ON CONFLICT (user_id, course_id) DO NOTHING`
	years, bands := ageBands(now.UTC().Year())
	res, err := ext.ExecContext(ctx, q, pq.StringArray(userIDs), courseID, cohortID, pq.Int64Array(years), pq.StringArray(bands))
	if err != nil {
		return 0, fmt.Errorf("enroll in course %s: %w", courseID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// ageBands maps every possible birth year to its age band in year, so that the
// database applies cc.AgeBand in the same statement that reads the profile.
func ageBands(year int) ([]int64, []string) {
	var years []int64
	var bands []string
	for y := 1900; y <= year+1; y++ {
		years = append(years, int64(y))
		bands = append(bands, cc.AgeBand(y, year))
	}
	return years, bands
}

// enrollmentsSQL is a keyset page of a learner's enrollments, newest first.
const enrollmentsSQL = enrollmentSelect + ` WHERE e.user_id = $1 AND (e.enrolled_at, e.id) < ($2, $3)
	ORDER BY e.enrolled_at DESC, e.id DESC LIMIT $4`

// Enrollments lists a learner's enrollments, newest first.
func (s *LearningStore) Enrollments(ctx context.Context, userID string, after *web.Cursor, limit int) ([]Enrollment, error) {
	at, id := web.NewestFirst(after)
	stmt, err := s.enrollmentsStmt.Stmt(ctx, s.db)
	if err != nil {
		return nil, err
	}
	var out []Enrollment
	if err := stmt.SelectContext(ctx, &out, userID, at, id, limit+1); err != nil {
		return nil, fmt.Errorf("list enrollments: %w", err)
	}
	return out, nil
}

// courseProgressSQL reads a learner's enrollment in a course by slug and
// what they have done in it: a row for each completed lesson and one for each
// quiz attempted (best score, passed), or one row with neither. Which lessons
// and quizzes the version has, and their order, come from its outline.
const courseProgressSQL = `SELECT e.version_id, enrollment_percent(e.status, ep.lessons_completed, e.lessons_total) AS progress_percent,
		d.lesson_id, d.completed_at, d.quiz_id, d.best_score, d.passed
	FROM enrollments e JOIN courses c ON c.id = e.course_id
	LEFT JOIN enrollment_progress ep ON ep.enrollment_id = e.id
	LEFT JOIN LATERAL (
		SELECT lesson_id, completed_at, NULL::uuid AS quiz_id, NULL::integer AS best_score, NULL::boolean AS passed
			FROM lesson_completions WHERE enrollment_id = e.id
		UNION ALL
		SELECT NULL, NULL, quiz_id, max(score), bool_or(passed)
			FROM quiz_attempts WHERE enrollment_id = e.id GROUP BY quiz_id) d ON true
	WHERE e.user_id = $1 AND c.slug = $2`

// CourseProgress returns the learner's progress in a course they are enrolled
// in: every lesson and quiz of the version they are enrolled in, in course
// order, with when each lesson was completed and each quiz's best score.
func (s *LearningStore) CourseProgress(ctx context.Context, userID, slug string) (CourseProgress, error) {
	var rows []struct {
		VersionID   string     `db:"version_id"`
		Percent     int        `db:"progress_percent"`
		LessonID    *string    `db:"lesson_id"`
		CompletedAt *time.Time `db:"completed_at"`
		QuizID      *string    `db:"quiz_id"`
		BestScore   *int       `db:"best_score"`
		Passed      *bool      `db:"passed"`
	}
	stmt, err := s.courseStmt.Stmt(ctx, s.db)
	if err != nil {
		return CourseProgress{}, err
	}
	if err := stmt.SelectContext(ctx, &rows, userID, slug); err != nil {
		return CourseProgress{}, fmt.Errorf("course progress: %w", err)
	}
	if len(rows) == 0 {
		return CourseProgress{}, cc.Errorf(cc.ENOTFOUND, "You are not enrolled in this course.")
	}
	o, err := s.outlines.get(ctx, s.db, rows[0].VersionID)
	if err != nil {
		return CourseProgress{}, err
	}
	completed := make(map[string]*time.Time, len(rows))
	best := make(map[string]QuizProgress, len(rows))
	for _, r := range rows {
		switch {
		case r.LessonID != nil:
			completed[*r.LessonID] = r.CompletedAt
		case r.QuizID != nil:
			best[*r.QuizID] = QuizProgress{BestScore: r.BestScore, Passed: *r.Passed}
		}
	}
	p := CourseProgress{ProgressPercent: rows[0].Percent,
		Lessons: make([]LessonProgress, len(o.lessons)), Quizzes: make([]QuizProgress, len(o.quizzes))}
	for i, id := range o.lessons {
		p.Lessons[i] = LessonProgress{ID: id, CompletedAt: completed[id]}
	}
	for i, id := range o.quizzes {
		p.Quizzes[i] = best[id]
		p.Quizzes[i].ID = id
	}
	return p, nil
}
