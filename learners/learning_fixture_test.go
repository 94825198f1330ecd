package learners_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/apptest/learnerstest"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

// learningRedisDB is this package's Redis database in tests.
const learningRedisDB = 14

// newLearningEnv builds the application with the learners module.
func newLearningEnv(tb testing.TB) *apptest.Env {
	tb.Helper()
	env := apptest.New(tb, learningDB, apptest.Options{RedisDB: learningRedisDB})
	learnerstest.Mount(env)
	return env
}

// courseSpec describes a course fixture.
type courseSpec struct {
	Modules, Lessons int  // modules, and lessons in each
	Quiz             bool // one quiz on every module
	PassScore        int
	MaxAttempts      int
	Draft            bool // never published
	Archived         bool
}

// courseFixture is a course written straight into the course tables.
type courseFixture struct {
	ID, Slug, VersionID string
	Lessons             []string
	Quizzes             []quizFixture
}

// quizFixture is a quiz with two questions: a single-choice one whose first
// option is right, and a multiple-choice one whose first two options are right.
type quizFixture struct {
	ID        string
	Questions []questionFixture
}

type questionFixture struct {
	ID      string
	Correct []string
	Wrong   []string
}

// rightAnswers answers every question correctly.
func (q quizFixture) rightAnswers() map[string][]string {
	a := map[string][]string{}
	for _, qq := range q.Questions {
		a[qq.ID] = qq.Correct
	}
	return a
}

// halfRight answers the first question right and the second wrong (50%).
func (q quizFixture) halfRight() map[string][]string {
	return map[string][]string{q.Questions[0].ID: q.Questions[0].Correct, q.Questions[1].ID: q.Questions[1].Correct[:1]}
}

func newCourse(tb testing.TB, s courseSpec) courseFixture {
	tb.Helper()
	c := courseFixture{Slug: "course-" + pgtest.RandomSuffix()}
	mustExec(tb, `INSERT INTO courses (slug) VALUES ($1)`, c.Slug)
	mustGet(tb, &c.ID, `SELECT id FROM courses WHERE slug = $1`, c.Slug)
	v := addVersion(tb, c.ID, 1, s)
	c.VersionID, c.Lessons, c.Quizzes = v.VersionID, v.Lessons, v.Quizzes
	if !s.Draft {
		mustExec(tb, `UPDATE courses SET current_version_id = $2 WHERE id = $1`, c.ID, c.VersionID)
	}
	if s.Archived {
		mustExec(tb, `UPDATE courses SET archived_at = now() WHERE id = $1`, c.ID)
	}
	return c
}

// publishVersion adds a new published version and makes it current.
func publishVersion(tb testing.TB, c courseFixture, n int, s courseSpec) courseFixture {
	tb.Helper()
	v := addVersion(tb, c.ID, n, s)
	mustExec(tb, `UPDATE courses SET current_version_id = $2 WHERE id = $1`, c.ID, v.VersionID)
	v.ID, v.Slug = c.ID, c.Slug
	return v
}

func addVersion(tb testing.TB, courseID string, n int, s courseSpec) courseFixture {
	tb.Helper()
	if s.Modules == 0 {
		s.Modules = 1
	}
	if s.MaxAttempts == 0 {
		s.MaxAttempts = 3
	}
	status := "published"
	if s.Draft {
		status = "draft"
	}
	var c courseFixture
	mustGet(tb, &c.VersionID, `INSERT INTO course_versions (course_id, version, status, title, summary, level, audiences,
		language, languages, document, document_hash, published_at)
		VALUES ($1, $2, $3, $4, 'A course.', 'beginner', '{youth}', 'en', '{en}', '{}', 'x', now()) RETURNING id`,
		courseID, n, status, fmt.Sprintf("Course v%d", n))
	for m := 1; m <= s.Modules; m++ {
		var moduleID string
		mustGet(tb, &moduleID, `INSERT INTO course_modules (version_id, key, position, title) VALUES ($1, $2, $3, 'Module') RETURNING id`,
			c.VersionID, fmt.Sprintf("m%d", m), m)
		for l := 1; l <= s.Lessons; l++ {
			var id string
			mustGet(tb, &id, `INSERT INTO lessons (version_id, module_id, key, position, title, kind, duration_minutes)
				VALUES ($1, $2, $3, $4, 'Lesson', 'text', 5) RETURNING id`, c.VersionID, moduleID, fmt.Sprintf("m%d-l%d", m, l), l)
			c.Lessons = append(c.Lessons, id)
		}
		if s.Quiz {
			c.Quizzes = append(c.Quizzes, addQuiz(tb, c.VersionID, moduleID, m, s))
		}
	}
	return c
}

func addQuiz(tb testing.TB, versionID, moduleID string, m int, s courseSpec) quizFixture {
	tb.Helper()
	var q quizFixture
	mustGet(tb, &q.ID, `INSERT INTO quizzes (version_id, module_id, key, title, pass_score, max_attempts)
		VALUES ($1, $2, $3, 'Check', $4, $5) RETURNING id`, versionID, moduleID, fmt.Sprintf("quiz%d", m), s.PassScore, s.MaxAttempts)
	for i, kind := range []string{"single", "multiple"} {
		var qq questionFixture
		mustGet(tb, &qq.ID, `INSERT INTO quiz_questions (quiz_id, key, position, text, kind, explanation)
			VALUES ($1, $2, $3, 'Question?', $4, 'Because.') RETURNING id`, q.ID, fmt.Sprintf("q%d", i+1), i+1, kind)
		for o := 1; o <= 3; o++ {
			correct := o == 1 || (kind == "multiple" && o == 2)
			var id string
			mustGet(tb, &id, `INSERT INTO quiz_options (question_id, key, position, text, correct)
				VALUES ($1, $2, $3, 'Option', $4) RETURNING id`, qq.ID, fmt.Sprintf("o%d", o), o, correct)
			if correct {
				qq.Correct = append(qq.Correct, id)
			} else {
				qq.Wrong = append(qq.Wrong, id)
			}
		}
		q.Questions = append(q.Questions, qq)
	}
	return q
}

func mustExec(tb testing.TB, q string, args ...any) {
	tb.Helper()
	if _, err := learningDB.Exec(q, args...); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
}

func mustGet(tb testing.TB, into any, q string, args ...any) {
	tb.Helper()
	if err := learningDB.Get(into, q, args...); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
}

// event is a progress event as a client sends it.
type event struct {
	ID         string `json:"id"`
	LessonID   string `json:"lesson_id"`
	Type       string `json:"type"`
	OccurredAt string `json:"occurred_at"`
}

func lessonEvent(lessonID string, at time.Time) event {
	return event{ID: uuid.NewString(), LessonID: lessonID, Type: "lesson_completed", OccurredAt: at.UTC().Format(time.RFC3339Nano)}
}

// completeAll makes one event per lesson, an hour ago.
func completeAll(lessons []string) []event {
	out := make([]event, len(lessons))
	for i, l := range lessons {
		out[i] = lessonEvent(l, time.Now().Add(-time.Hour))
	}
	return out
}

type progressResult struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	Rejected   []struct {
		ID    string `json:"id"`
		Error string `json:"error"`
	} `json:"rejected"`
}

func sendProgress(tb testing.TB, env *apptest.Env, u apptest.User, events []event) progressResult {
	tb.Helper()
	var r progressResult
	env.Expect(tb, apptest.Request{Method: http.MethodPost, Path: "/v1/progress", Token: u.Token,
		Body: map[string]any{"events": events}}, http.StatusOK).JSON(tb, &r)
	return r
}

func enroll(tb testing.TB, env *apptest.Env, u apptest.User, slug string) string {
	tb.Helper()
	var e struct {
		ID string `json:"id"`
	}
	env.Expect(tb, apptest.Request{Method: http.MethodPost, Path: "/v1/courses/" + slug + "/enrollments", Token: u.Token},
		http.StatusCreated).JSON(tb, &e)
	return e.ID
}

// courseProgressBody is the body of GET /v1/me/courses/{slug}/progress.
type courseProgressBody struct {
	Percent int `json:"progress_percent"`
	Lessons []struct {
		ID          string     `json:"id"`
		CompletedAt *time.Time `json:"completed_at"`
	} `json:"lessons"`
	Quizzes []struct {
		ID        string `json:"id"`
		BestScore *int   `json:"best_score"`
		Passed    bool   `json:"passed"`
	} `json:"quizzes"`
}

// courseProgress reads u's progress page of the course slug.
func courseProgress(tb testing.TB, env *apptest.Env, u apptest.User, slug string) courseProgressBody {
	tb.Helper()
	var p courseProgressBody
	env.Expect(tb, apptest.Request{Method: http.MethodGet, Path: "/v1/me/courses/" + slug + "/progress", Token: u.Token},
		http.StatusOK).JSON(tb, &p)
	return p
}

func submitAttempt(tb testing.TB, env *apptest.Env, u apptest.User, quizID string, answers map[string][]string, want int) apptest.Response {
	tb.Helper()
	return env.Expect(tb, apptest.Request{Method: http.MethodPost, Path: "/v1/quizzes/" + quizID + "/attempts", Token: u.Token,
		Body: map[string]any{"answers": answers}}, want)
}

// certificateTasks counts the outbox rows queuing a certificate for an enrollment.
func certificateTasks(tb testing.TB, enrollmentID string) int {
	tb.Helper()
	var n int
	payload, _ := json.Marshal(map[string]string{"enrollment_id": enrollmentID})
	mustGet(tb, &n, `SELECT count(*) FROM outbox WHERE task_type = 'certificate:issue' AND queue = 'critical' AND payload = $1::jsonb`, string(payload))
	return n
}

func enrollmentStatus(tb testing.TB, id string) (status string, lessonsCompleted, percent int) {
	tb.Helper()
	var row struct {
		Status  string `db:"status"`
		Done    int    `db:"lessons_completed"`
		Percent int    `db:"progress_percent"`
	}
	mustGet(tb, &row, `SELECT e.status, coalesce(ep.lessons_completed, 0) AS lessons_completed,
		enrollment_percent(e.status, ep.lessons_completed, e.lessons_total) AS progress_percent
		FROM enrollments e LEFT JOIN enrollment_progress ep ON ep.enrollment_id = e.id WHERE e.id = $1`, id)
	return row.Status, row.Done, row.Percent
}
