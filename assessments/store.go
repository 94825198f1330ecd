package assessments

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/courses"
	"github.com/cybercampus/cybercampus/internal/postgres"
)

// Store keeps learners' draws and attempts; the banks themselves live in the
// course documents of the versions learners are enrolled in.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a store on db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

// enrollment is what the tests need to know of a learner's enrollment.
type enrollment struct {
	ID               string  `db:"id"`
	CourseID         string  `db:"course_id"`
	VersionID        string  `db:"version_id"`
	Status           string  `db:"status"`
	LessonsCompleted int     `db:"lessons_completed"`
	Assessment       *[]byte `db:"assessment"`
}

// loadEnrollment returns the caller's enrollment in slug with its version's
// bank, locking the enrollment row when lock is set so that one learner's
// draws and attempts happen one at a time. Not being enrolled is a 403, a
// course without a bank a 404.
func loadEnrollment(ctx context.Context, q sqlx.QueryerContext, userID, slug string, lock bool) (enrollment, *courses.DocAssessment, error) {
	sel := `SELECT e.id, e.course_id, e.version_id, e.status,
			coalesce((SELECT p.lessons_completed FROM enrollment_progress p WHERE p.enrollment_id = e.id), 0) AS lessons_completed,
			v.document -> 'assessment' AS assessment
		FROM enrollments e JOIN courses c ON c.id = e.course_id JOIN course_versions v ON v.id = e.version_id
		WHERE c.slug = $1 AND e.user_id = $2`
	if lock {
		sel += ` FOR NO KEY UPDATE OF e`
	}
	var e enrollment
	err := sqlx.GetContext(ctx, q, &e, sel, slug, userID)
	if postgres.IsNoRows(err) {
		return e, nil, courseOrForbidden(ctx, q, slug)
	} else if err != nil {
		return e, nil, fmt.Errorf("load enrollment: %w", err)
	}
	if e.Assessment == nil {
		return e, nil, cc.Errorf(cc.ENOTFOUND, "This course has no pre- and post-test.")
	}
	var a courses.DocAssessment
	if err := json.Unmarshal(*e.Assessment, &a); err != nil {
		return e, nil, fmt.Errorf("decode assessment bank: %w", err)
	}
	return e, &a, nil
}

func courseOrForbidden(ctx context.Context, q sqlx.QueryerContext, slug string) error {
	var n int
	if err := sqlx.GetContext(ctx, q, &n, `SELECT count(*) FROM courses WHERE slug = $1`, slug); err != nil {
		return err
	}
	if n == 0 {
		return cc.Errorf(cc.ENOTFOUND, "No such course.")
	}
	return cc.Errorf(cc.EFORBIDDEN, "Enrol in this course to take its tests.")
}

// checkOpen says whether kind may be taken now: the pre-test until the first
// lesson is completed (after that it would no longer measure where the
// learner started), the post-test once the course is completed. Both are 409:
// the learner may take the test, just not in this state.
func checkOpen(e enrollment, kind string) error {
	switch {
	case kind == KindPre && (e.LessonsCompleted > 0 || e.Status == "completed"):
		return cc.Errorf(cc.ECONFLICT, "The pre-test closes once you have completed a lesson.")
	case kind == KindPost && e.Status != "completed":
		return cc.Errorf(cc.ECONFLICT, "The post-test opens once you have completed the course.")
	}
	return nil
}

// Test returns the caller's pre- or post-test, drawing it on first read, in
// lang when the course is translated into it (the default language
// otherwise, and for lang "").
func (s *Store) Test(ctx context.Context, userID, slug, kind, lang string) (*Test, error) {
	var t *Test
	err := postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		e, bank, err := loadEnrollment(ctx, tx, userID, slug, true)
		if err != nil {
			return err
		}
		keys, err := drawnItems(ctx, tx, userID, e, bank, kind)
		if err != nil {
			return err
		}
		served, tr, err := bankTranslation(ctx, tx, e.VersionID, lang)
		if err != nil {
			return err
		}
		_, shown := questions(bank.Bank, keys, testSeed(e.ID, kind), tr)
		t = &Test{Kind: kind, CourseSlug: slug, Language: served, Questions: shown}
		t.Attempt, err = storedAttempt(ctx, tx, e.ID, kind)
		return err
	})
	return t, err
}

// bankTranslation returns the language a version's test is served in (lang
// when the version is translated into it, else its default language) and
// the bank's translation into it, nil for the default language. It reads
// the translations the course document carries, as the quizzes' come from
// the same document.
func bankTranslation(ctx context.Context, q sqlx.QueryerContext, versionID, lang string) (string, map[string]*courses.QuestionTranslation, error) {
	var v struct {
		Language  string         `db:"language"`
		Languages pq.StringArray `db:"languages"`
		Bank      *[]byte        `db:"bank"`
	}
	const sel = `SELECT language, languages, document #> ARRAY['translations', $2, 'assessment', 'bank'] AS bank
		FROM course_versions WHERE id = $1`
	if err := sqlx.GetContext(ctx, q, &v, sel, versionID, lang); err != nil {
		return "", nil, fmt.Errorf("load bank translation: %w", err)
	}
	if lang == "" || lang == v.Language || !slices.Contains(v.Languages, lang) {
		return v.Language, nil, nil
	}
	var tr map[string]*courses.QuestionTranslation
	if v.Bank != nil {
		if err := json.Unmarshal(*v.Bank, &tr); err != nil {
			return "", nil, fmt.Errorf("decode bank translation: %w", err)
		}
	}
	return lang, tr, nil
}

// drawnItems returns the items drawn for kind, drawing and storing them if
// the test is open and was never drawn. The post-test avoids the items of the
// pre-test when the bank allows.
func drawnItems(ctx context.Context, tx *sqlx.Tx, userID string, e enrollment, bank *courses.DocAssessment, kind string) ([]string, error) {
	var keys pq.StringArray
	err := tx.GetContext(ctx, &keys, `SELECT items FROM assessment_draws WHERE enrollment_id = $1 AND kind = $2`, e.ID, kind)
	if err == nil {
		return keys, nil
	} else if !postgres.IsNoRows(err) {
		return nil, err
	}
	if err := checkOpen(e, kind); err != nil {
		return nil, err
	}
	var seen pq.StringArray
	if kind == KindPost {
		const q = `SELECT coalesce((SELECT items FROM assessment_draws WHERE enrollment_id = $1 AND kind = 'pre'), '{}')`
		if err := tx.GetContext(ctx, &seen, q, e.ID); err != nil {
			return nil, err
		}
	}
	keys = drawItems(bank.Bank, bank.Draw, seen, testSeed(e.ID, kind))
	const ins = `INSERT INTO assessment_draws (enrollment_id, kind, user_id, course_id, version_id, items)
		VALUES ($1, $2, $3, $4, $5, $6)`
	_, err = tx.ExecContext(ctx, ins, e.ID, kind, userID, e.CourseID, e.VersionID, keys)
	return keys, err
}

func storedAttempt(ctx context.Context, q sqlx.QueryerContext, enrollmentID, kind string) (*Attempt, error) {
	var a Attempt
	const sel = `SELECT id, kind, score, created_at FROM assessment_attempts WHERE enrollment_id = $1 AND kind = $2`
	err := sqlx.GetContext(ctx, q, &a, sel, enrollmentID, kind)
	if postgres.IsNoRows(err) {
		return nil, nil // not taken yet: the test is served without an attempt
	}
	return &a, err
}

// Submit grades the caller's one attempt at kind and stores it. A resent
// attempt (the same client-made ID and answers) returns the stored one with
// replayed set; any other second attempt is a 409.
func (s *Store) Submit(ctx context.Context, userID, slug, kind string, r AttemptRequest) (a Attempt, replayed bool, err error) {
	err = postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		e, bank, err := loadEnrollment(ctx, tx, userID, slug, true)
		if err != nil {
			return err
		}
		if a, replayed, err = resent(ctx, tx, userID, e.ID, kind, r); replayed || err != nil {
			return err
		}
		keys, err := drawnItems(ctx, tx, userID, e, bank, kind)
		if err != nil {
			return err
		}
		if err := checkOpen(e, kind); err != nil {
			return err
		}
		if taken, err := storedAttempt(ctx, tx, e.ID, kind); err != nil {
			return err
		} else if taken != nil {
			return cc.Errorf(cc.ECONFLICT, "You have already taken this test; it allows one attempt.")
		}
		items, _ := questions(bank.Bank, keys, testSeed(e.ID, kind), nil)
		results, score, err := grade(items, r.Answers)
		if err != nil {
			return err
		}
		a, err = insertAttempt(ctx, tx, userID, e, kind, r, results, score)
		return err
	})
	return a, replayed, err
}

// resent finds the attempt stored under the client's ID. The enrollment is
// locked, so a resend racing the original waits for it and then finds it.
func resent(ctx context.Context, tx *sqlx.Tx, userID, enrollmentID, kind string, r AttemptRequest) (Attempt, bool, error) {
	var row struct {
		Attempt
		EnrollmentID string          `db:"enrollment_id"`
		Answers      json.RawMessage `db:"answers"`
	}
	if r.ID == "" {
		return Attempt{}, false, nil
	}
	const q = `SELECT id, kind, score, created_at, enrollment_id, answers FROM assessment_attempts WHERE id = $1`
	err := tx.GetContext(ctx, &row, q, r.ID)
	if postgres.IsNoRows(err) {
		return Attempt{}, false, nil
	} else if err != nil {
		return Attempt{}, false, err
	}
	var stored map[string][]string
	_ = json.Unmarshal(row.Answers, &stored)
	if row.EnrollmentID != enrollmentID || row.Kind != kind || !sameAnswers(stored, r.Answers) {
		return Attempt{}, false, cc.Errorf(cc.ECONFLICT, "This attempt id was already used for other answers; make a new id for a new attempt.")
	}
	return row.Attempt, true, nil
}

func sameAnswers(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for q, opts := range a {
		if !slices.Equal(opts, b[q]) {
			return false
		}
	}
	return true
}

func insertAttempt(ctx context.Context, tx *sqlx.Tx, userID string, e enrollment, kind string, r AttemptRequest, results []ItemResult, score int) (Attempt, error) {
	ans, _ := json.Marshal(r.Answers)
	res, _ := json.Marshal(results)
	var id *string
	if r.ID != "" {
		id = &r.ID
	}
	const ins = `INSERT INTO assessment_attempts (id, enrollment_id, kind, user_id, course_id, version_id, answers, results, score)
		VALUES (coalesce($1::uuid, gen_random_uuid()), $2, $3, $4, $5, $6, $7, $8, $9)
		RETURNING id, kind, score, created_at`
	var a Attempt
	err := tx.GetContext(ctx, &a, ins, id, e.ID, kind, userID, e.CourseID, e.VersionID, string(ans), string(res), score)
	switch {
	case postgres.IsUniqueViolation(err, "assessment_attempts_pkey"):
		return a, cc.Errorf(cc.ECONFLICT, "This attempt id was already used; make a new id for a new attempt.")
	case postgres.IsUniqueViolation(err):
		return a, cc.Errorf(cc.ECONFLICT, "You have already taken this test; it allows one attempt.")
	}
	return a, err
}
