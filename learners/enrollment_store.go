package learners

import (
	"context"
	"encoding/json"
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

const enrollmentSelect = `SELECT e.id, c.slug AS course_slug, v.title AS course_title, e.status, e.progress_percent,
	e.enrolled_at, e.last_activity_at, e.completed_at
	FROM enrollments e JOIN courses c ON c.id = e.course_id JOIN course_versions v ON v.id = e.version_id`

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

// Enrollments lists a learner's enrollments, newest first.
func (s *LearningStore) Enrollments(ctx context.Context, userID string, after *web.Cursor, limit int) ([]Enrollment, error) {
	const q = enrollmentSelect + ` WHERE e.user_id = $1 AND (e.enrolled_at, e.id) < ($2, $3)
		ORDER BY e.enrolled_at DESC, e.id DESC LIMIT $4`
	at, id := web.NewestFirst(after)
	var out []Enrollment
	if err := s.db.SelectContext(ctx, &out, q, userID, at, id, limit+1); err != nil {
		return nil, fmt.Errorf("list enrollments: %w", err)
	}
	return out, nil
}

// courseProgressSQL reads a learner's enrollment in a course by slug with its
// lessons (in course order, with their completion) and its quizzes (best
// score, passed) as JSON arrays.
const courseProgressSQL = `SELECT e.progress_percent,
		(SELECT coalesce(json_agg(json_build_object('id', l.id, 'completed_at', lc.completed_at)
				ORDER BY m.position, l.position), '[]')
			FROM lessons l JOIN course_modules m ON m.id = l.module_id
			LEFT JOIN lesson_completions lc ON lc.enrollment_id = e.id AND lc.lesson_id = l.id
			WHERE l.version_id = e.version_id) AS lessons,
		(SELECT coalesce(json_agg(json_build_object('id', r.id, 'best_score', r.best_score, 'passed', r.passed)
				ORDER BY r.position), '[]')
			FROM (SELECT q.id, m.position, max(a.score) AS best_score, coalesce(bool_or(a.passed), false) AS passed
				FROM quizzes q JOIN course_modules m ON m.id = q.module_id
				LEFT JOIN quiz_attempts a ON a.quiz_id = q.id AND a.enrollment_id = e.id
				WHERE q.version_id = e.version_id GROUP BY q.id, m.position) r) AS quizzes
		FROM enrollments e JOIN courses c ON c.id = e.course_id WHERE e.user_id = $1 AND c.slug = $2`

// CourseProgress returns the learner's progress in a course they are enrolled
// in: the enrollment, its lessons and its quizzes in one statement, so the
// page costs one round trip to the database.
func (s *LearningStore) CourseProgress(ctx context.Context, userID, slug string) (CourseProgress, error) {
	var row struct {
		Percent int    `db:"progress_percent"`
		Lessons []byte `db:"lessons"`
		Quizzes []byte `db:"quizzes"`
	}
	stmt, err := s.courseStmt.Stmt(ctx, s.db)
	if err != nil {
		return CourseProgress{}, err
	}
	if err := stmt.GetContext(ctx, &row, userID, slug); postgres.IsNoRows(err) {
		return CourseProgress{}, cc.Errorf(cc.ENOTFOUND, "You are not enrolled in this course.")
	} else if err != nil {
		return CourseProgress{}, fmt.Errorf("course progress: %w", err)
	}
	p := CourseProgress{ProgressPercent: row.Percent}
	if err := json.Unmarshal(row.Lessons, &p.Lessons); err != nil {
		return p, fmt.Errorf("course progress lessons: %w", err)
	}
	if err := json.Unmarshal(row.Quizzes, &p.Quizzes); err != nil {
		return p, fmt.Errorf("course progress quizzes: %w", err)
	}
	return p, nil
}
