package learners

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/draw"
	"github.com/cybercampus/cybercampus/internal/postgres"
)

// quizRow is what taking a quiz needs to know about it.
type quizRow struct {
	ID          string `db:"id"`
	VersionID   string `db:"version_id"`
	CourseID    string `db:"course_id"`
	PassScore   int    `db:"pass_score"`
	MaxAttempts int    `db:"max_attempts"`
	Review      string `db:"review"`
	Draw        *int   `db:"draw"`
}

// quiz returns a quiz of a published (or since superseded) version; a draft's
// quiz is as unknown as a missing one.
func quiz(ctx context.Context, q sqlx.QueryerContext, id string) (quizRow, error) {
	const sel = `SELECT q.id, q.version_id, v.course_id, q.pass_score, q.max_attempts, q.review, q.draw
		FROM quizzes q JOIN course_versions v ON v.id = q.version_id WHERE q.id = $1 AND v.status <> 'draft'`
	var r quizRow
	if err := sqlx.GetContext(ctx, q, &r, sel, id); postgres.IsNoRows(err) {
		return r, cc.Errorf(cc.ENOTFOUND, "No such quiz.")
	} else if err != nil {
		return r, fmt.Errorf("quiz %s: %w", id, err)
	}
	return r, nil
}

// quizEnrollment returns the learner's enrollment that a quiz belongs to,
// locking it when lock is set (against other attempts and the completion, not
// against the key share a concurrent batch's inserts take); not being enrolled
// in the quiz's version is a 403.
func quizEnrollment(ctx context.Context, q sqlx.QueryerContext, userID string, qz quizRow, lock bool) (string, error) {
	sel := `SELECT id, version_id FROM enrollments WHERE user_id = $1 AND course_id = $2`
	if lock {
		sel += ` FOR NO KEY UPDATE`
	}
	var e struct {
		ID        string `db:"id"`
		VersionID string `db:"version_id"`
	}
	if err := sqlx.GetContext(ctx, q, &e, sel, userID, qz.CourseID); postgres.IsNoRows(err) {
		return "", cc.Errorf(cc.EFORBIDDEN, "Enrol in this course to take its quizzes.")
	} else if err != nil {
		return "", fmt.Errorf("enrollment for quiz %s: %w", qz.ID, err)
	}
	if e.VersionID != qz.VersionID {
		return "", cc.Errorf(cc.EFORBIDDEN, "This quiz belongs to a version of the course you are not enrolled in.")
	}
	return e.ID, nil
}

func quizQuestions(ctx context.Context, q sqlx.QueryerContext, quizID string) ([]quizQuestion, error) {
	const sel = `SELECT qq.id, qq.kind, qq.explanation, o.id AS option_id, o.correct
		FROM quiz_questions qq JOIN quiz_options o ON o.question_id = qq.id
		WHERE qq.quiz_id = $1 ORDER BY qq.position, o.position`
	var rows []struct {
		ID          string `db:"id"`
		Kind        string `db:"kind"`
		Explanation string `db:"explanation"`
		OptionID    string `db:"option_id"`
		Correct     bool   `db:"correct"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, sel, quizID); err != nil {
		return nil, fmt.Errorf("questions of quiz %s: %w", quizID, err)
	}
	var out []quizQuestion
	for _, r := range rows {
		if len(out) == 0 || out[len(out)-1].ID != r.ID {
			out = append(out, quizQuestion{ID: r.ID, Kind: r.Kind, Explanation: r.Explanation, Correct: []string{}})
		}
		last := &out[len(out)-1]
		last.Options = append(last.Options, r.OptionID)
		if r.Correct {
			last.Correct = append(last.Correct, r.OptionID)
		}
	}
	for i := range out {
		slices.Sort(out[i].Correct)
	}
	return out, nil
}

// SubmitAttempt grades answers to a quiz and stores the attempt. The learner's
// enrollment row is locked for the whole transaction, so attempts of one
// learner are numbered one at a time (the UNIQUE constraint on the number is
// the backstop), and a passing attempt that finishes the course completes the
// enrollment and queues its certificate in the same transaction.
//
// The attempt is graded against the questions its number draws for this
// learner (served), the ones GET /v1/quizzes/{id} showed. Its answer key is
// stored with it and shown as the quiz's review policy allows (reveals).
//
// With a client-made attemptID, a resent attempt returns the stored one
// (replayed is true) and spends nothing; the ID reused with other answers, or
// for another quiz or learner, is a conflict.
func (s *LearningStore) SubmitAttempt(ctx context.Context, userID, quizID, attemptID string, answers map[string][]string) (out AttemptResult, replayed bool, err error) {
	qz, err := quiz(ctx, s.db, quizID)
	if err != nil {
		return AttemptResult{}, false, err
	}
	pool, err := quizQuestions(ctx, s.db, quizID)
	if err != nil {
		return AttemptResult{}, false, err
	}
	err = postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		enrollmentID, err := quizEnrollment(ctx, tx, userID, qz, true)
		if err != nil {
			return err
		}
		if attemptID != "" {
			if out, replayed, err = storedAttempt(ctx, tx, userID, qz, attemptID, answers); replayed || err != nil {
				return err
			}
		}
		st, err := stats(ctx, tx, enrollmentID, qz.ID)
		if err != nil {
			return err
		}
		if st.Used >= qz.MaxAttempts {
			return attemptsExhausted(qz.MaxAttempts)
		}
		number := st.Used + 1
		results, score, err := grade(served(pool, qz, userID, number), answers)
		if err != nil {
			return err
		}
		a := Attempt{ID: attemptID, QuizID: qz.ID, AttemptNumber: number, Score: score, Passed: score >= qz.PassScore, Results: results}
		if err := insertAttempt(ctx, tx, userID, enrollmentID, qz, answers, &a); err != nil {
			return err
		}
		st = attemptStats{Used: number, Passed: st.Passed || a.Passed}
		out = AttemptResult{Attempt: a.reviewed(reveals(qz, st)), Score: a.Score, Passed: a.Passed, AttemptsLeft: qz.MaxAttempts - number}
		return s.touchAfterAttempt(ctx, tx, enrollmentID, a.Passed)
	})
	return out, replayed, err
}

// attemptStats is what the review policy needs of a learner's attempts at a quiz.
type attemptStats struct {
	Used   int  `db:"used"`   // attempts made
	Passed bool `db:"passed"` // one of them passed
}

func stats(ctx context.Context, q sqlx.QueryerContext, enrollmentID, quizID string) (attemptStats, error) {
	const sel = `SELECT count(*) AS used, COALESCE(bool_or(passed), false) AS passed
		FROM quiz_attempts WHERE enrollment_id = $1 AND quiz_id = $2`
	var st attemptStats
	if err := sqlx.GetContext(ctx, q, &st, sel, enrollmentID, quizID); err != nil {
		return st, fmt.Errorf("attempts at quiz %s: %w", quizID, err)
	}
	return st, nil
}

// served returns the questions of the learner's attempt number: those the
// attempt's seed draws from the pool, as courses.Store.Quiz served them.
func served(pool []quizQuestion, qz quizRow, userID string, number int) []quizQuestion {
	if qz.Draw == nil {
		return pool
	}
	ids := make([]string, len(pool))
	for i, q := range pool {
		ids[i] = q.ID
	}
	picked := draw.QuizAttempt(qz.ID, userID, number).Pick(ids, *qz.Draw, nil)
	return slices.DeleteFunc(slices.Clone(pool), func(q quizQuestion) bool { return !slices.Contains(picked, q.ID) })
}

// storedAttempt returns the attempt a client already stored under id. The
// enrollment row is locked by the caller, so a resend racing the original
// waits for it and then finds it.
func storedAttempt(ctx context.Context, tx *sqlx.Tx, userID string, qz quizRow, id string, answers map[string][]string) (AttemptResult, bool, error) {
	var row struct {
		attemptRow
		UserID       string          `db:"user_id"`
		EnrollmentID string          `db:"enrollment_id"`
		Answers      json.RawMessage `db:"answers"`
	}
	const q = `SELECT a.id, a.quiz_id, a.attempt_number, a.score, a.passed, a.created_at, a.results, a.user_id,
		a.enrollment_id, a.answers FROM quiz_attempts a WHERE a.id = $1`
	err := tx.GetContext(ctx, &row, q, id)
	if postgres.IsNoRows(err) {
		return AttemptResult{}, false, nil
	} else if err != nil {
		return AttemptResult{}, false, err
	}
	var stored map[string][]string
	json.Unmarshal(row.Answers, &stored)
	if row.UserID != userID || row.QuizID != qz.ID || !sameAnswers(stored, answers) {
		return AttemptResult{}, false, cc.Errorf(cc.ECONFLICT, "This attempt id was already used for other answers; make a new id for a new attempt.")
	}
	st, err := stats(ctx, tx, row.EnrollmentID, qz.ID)
	if err != nil {
		return AttemptResult{}, false, err
	}
	a, err := row.attempt()
	if err != nil {
		return AttemptResult{}, false, err
	}
	a = a.reviewed(reveals(qz, st))
	return AttemptResult{Attempt: a, Score: a.Score, Passed: a.Passed, AttemptsLeft: max(qz.MaxAttempts-st.Used, 0)}, true, nil
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

// insertAttempt stores a graded attempt with its whole answer key; what of it
// a learner sees is decided when it is shown (Attempt.reviewed).
func insertAttempt(ctx context.Context, tx *sqlx.Tx, userID, enrollmentID string, qz quizRow, answers map[string][]string, a *Attempt) error {
	ans, _ := json.Marshal(answers)
	res, _ := json.Marshal(a.Results)
	const ins = `INSERT INTO quiz_attempts (id, quiz_id, enrollment_id, user_id, attempt_number, score, passed, answers, results)
		VALUES (coalesce($1::uuid, gen_random_uuid()), $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, created_at`
	var id *string
	if a.ID != "" {
		id = &a.ID
	}
	row := tx.QueryRowxContext(ctx, ins, id, qz.ID, enrollmentID, userID, a.AttemptNumber, a.Score, a.Passed, string(ans), string(res))
	err := row.Scan(&a.ID, &a.CreatedAt)
	if postgres.IsUniqueViolation(err, "quiz_attempts_pkey") {
		return cc.Errorf(cc.ECONFLICT, "This attempt id was already used; make a new id for a new attempt.")
	} else if postgres.IsUniqueViolation(err) {
		return cc.Errorf(cc.ECONFLICT, "Another attempt at this quiz was submitted at the same time; try again.")
	} else if err != nil {
		return fmt.Errorf("insert attempt: %w", err)
	}
	return nil
}

// touchAfterAttempt records the attempt as activity on the enrollment's
// progress row and, when it passed, completes the enrollment if it is done.
// The row update comes first: it waits for a batch of lessons updating the
// same row, so the completion check after it sees that batch's lessons, and a
// batch that comes later waits for this attempt to commit before it reports
// the enrollment finished (recordProgressSQL).
func (s *LearningStore) touchAfterAttempt(ctx context.Context, tx *sqlx.Tx, enrollmentID string, passed bool) error {
	const q = `INSERT INTO enrollment_progress AS p (enrollment_id, lessons_completed, last_activity_at)
		VALUES ($1, 0, now())
		ON CONFLICT (enrollment_id) DO UPDATE SET last_activity_at = greatest(p.last_activity_at, excluded.last_activity_at)`
	if _, err := tx.ExecContext(ctx, q, enrollmentID); err != nil {
		return fmt.Errorf("touch enrollment %s: %w", enrollmentID, err)
	}
	if !passed {
		return nil
	}
	_, err := completeEnrollments(ctx, tx, []string{enrollmentID})
	return err
}

// attemptRow is a stored attempt.
type attemptRow struct {
	ID            string          `db:"id"`
	QuizID        string          `db:"quiz_id"`
	AttemptNumber int             `db:"attempt_number"`
	Score         int             `db:"score"`
	Passed        bool            `db:"passed"`
	CreatedAt     time.Time       `db:"created_at"`
	Results       json.RawMessage `db:"results"`
}

func (r attemptRow) attempt() (Attempt, error) {
	a := Attempt{ID: r.ID, QuizID: r.QuizID, AttemptNumber: r.AttemptNumber, Score: r.Score, Passed: r.Passed, CreatedAt: r.CreatedAt}
	return a, json.Unmarshal(r.Results, &a.Results)
}

// Attempts lists the learner's own attempts at a quiz, newest first; before
// is the attempt number a page starts below (0 for the first page). The
// answer keys show as the review policy allows now: once the learner passed
// or has no attempt left, every attempt shows its key.
func (s *LearningStore) Attempts(ctx context.Context, userID, quizID string, before, limit int) ([]Attempt, error) {
	qz, err := quiz(ctx, s.db, quizID)
	if err != nil {
		return nil, err
	}
	enrollmentID, err := quizEnrollment(ctx, s.db, userID, qz, false)
	if err != nil {
		return nil, err
	}
	st, err := stats(ctx, s.db, enrollmentID, quizID)
	if err != nil {
		return nil, err
	}
	if before <= 0 {
		before = 1 << 30
	}
	const q = `SELECT id, quiz_id, attempt_number, score, passed, created_at, results FROM quiz_attempts
		WHERE enrollment_id = $1 AND quiz_id = $2 AND user_id = $3 AND attempt_number < $4
		ORDER BY attempt_number DESC LIMIT $5`
	var rows []attemptRow
	if err := s.db.SelectContext(ctx, &rows, q, enrollmentID, quizID, userID, before, limit+1); err != nil {
		return nil, fmt.Errorf("list attempts: %w", err)
	}
	show := reveals(qz, st)
	out := make([]Attempt, len(rows))
	for i, r := range rows {
		a, err := r.attempt()
		if err != nil {
			return nil, err
		}
		out[i] = a.reviewed(show)
	}
	return out, nil
}
