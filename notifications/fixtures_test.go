package notifications_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/lib/pq"

	"github.com/cybercampus/cybercampus/internal/config"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
	"github.com/cybercampus/cybercampus/notifications"
)

var testDB *pgtest.DB

func TestMain(m *testing.M) { pgtest.Main(m, "notifications", &testDB) }

// clock is the injected Now of a test module.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)         { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func (c *clock) Add(d time.Duration)     { c.Set(c.Now().Add(d)) }
func newClock(t time.Time) *clock        { return &clock{t: t} }
func mustRFC3339(s string) time.Time     { t, _ := time.Parse(time.RFC3339, s); return t }
func task(typ string, v any) *asynq.Task { b, _ := json.Marshal(v); return asynq.NewTask(typ, b) }

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// newModule builds the notification jobs over the test database with the clock, SMTP
// unset (emails go to logs) and a one-week reminder threshold.
func newModule(t *testing.T, c *clock, logs *syncBuffer) *notifications.Jobs {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.PublicBaseURL = "http://cybercampus.test"
	if logs == nil {
		logs = &syncBuffer{}
	}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	m := notifications.NewJobs(testDB.DB, cfg, notifications.NewMailer(cfg, logger), logger, c.Now)
	m.BatchSize = 2 // several keyset pages even with a handful of rows
	return m
}

type user struct {
	ID, Email, Name string
}

type userOpts struct {
	Name, Language       string
	NoEmail, NoReminders bool
	Roles                []string
}

func newUser(t *testing.T, o userOpts) user {
	t.Helper()
	if o.Name == "" {
		o.Name = "Amina Learner"
	}
	if o.Language == "" {
		o.Language = "en"
	}
	if o.Roles == nil {
		o.Roles = []string{"learner"}
	}
	email := fmt.Sprintf("u-%s@example.org", pgtest.RandomSuffix()+pgtest.RandomSuffix())
	var id string
	err := testDB.Get(&id, `INSERT INTO users (email, password_hash, name, roles, gender, birth_year, country, audience,
		language, notify_email, notify_reminders) VALUES ($1, 'x', $2, $3, 'female', 1995, 'KE', 'youth', $4, $5, $6) RETURNING id`,
		email, o.Name, pq.StringArray(o.Roles), o.Language, !o.NoEmail, !o.NoReminders)
	if err != nil {
		t.Fatalf("create user: %v", err)
	}
	return user{ID: id, Email: email, Name: o.Name}
}

// course is a published course of two modules of two lessons each.
type course struct {
	ID, VersionID, Slug, Title string
	Lessons                    []string // in module, then lesson order
	LessonTitles               []string
}

func newCourse(t *testing.T, title string) course {
	t.Helper()
	c := course{Slug: "course-" + pgtest.RandomSuffix(), Title: title}
	must(t, testDB.Get(&c.ID, `INSERT INTO courses (slug) VALUES ($1) RETURNING id`, c.Slug))
	must(t, testDB.Get(&c.VersionID, `INSERT INTO course_versions (course_id, version, status, title, summary, level,
		audiences, language, languages, document, document_hash, translations, published_at)
		VALUES ($1, 1, 'published', $2, 'Summary', 'beginner', '{youth}', 'en', '{en,fr}', '{}', 'h',
		$3, now()) RETURNING id`, c.ID, title, `{"fr": {"title": "Les bases de la sécurité"}}`))
	_, err := testDB.Exec(`UPDATE courses SET current_version_id = $1 WHERE id = $2`, c.VersionID, c.ID)
	must(t, err)
	// Modules are inserted in reverse so that only the position gives the order.
	for mi := 2; mi >= 1; mi-- {
		var modID string
		must(t, testDB.Get(&modID, `INSERT INTO course_modules (version_id, key, position, title)
			VALUES ($1, $2, $3, $4) RETURNING id`, c.VersionID, fmt.Sprintf("m%d", mi), mi, fmt.Sprintf("Module %d", mi)))
		for li := 2; li >= 1; li-- {
			var id string
			lt := fmt.Sprintf("Lesson %d.%d", mi, li)
			must(t, testDB.Get(&id, `INSERT INTO lessons (version_id, module_id, key, position, title, kind, duration_minutes, translations)
				VALUES ($1, $2, $3, $4, $5, 'text', 10, $6) RETURNING id`, c.VersionID, modID,
				fmt.Sprintf("l%d%d", mi, li), li, lt, fmt.Sprintf(`{"fr": {"title": "Leçon %d.%d"}}`, mi, li)))
			c.Lessons = append([]string{id}, c.Lessons...)
			c.LessonTitles = append([]string{lt}, c.LessonTitles...)
		}
	}
	return c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// enroll enrolls u in c at enrolledAt, active, with no activity yet.
func enroll(t *testing.T, u user, c course, enrolledAt time.Time) string {
	t.Helper()
	var id string
	must(t, testDB.Get(&id, `INSERT INTO enrollments (user_id, course_id, version_id, lessons_total, enrolled_at,
		gender, audience, country, region, ldc, sids, lldc, age_band)
		VALUES ($1, $2, $3, 4, $4, 'female', 'youth', 'KE', 'africa', false, false, false, '25_34') RETURNING id`,
		u.ID, c.ID, c.VersionID, enrolledAt))
	return id
}

// completeLesson records a completed lesson and the activity it means.
func completeLesson(t *testing.T, enrollmentID, lessonID string, at time.Time) {
	t.Helper()
	_, err := testDB.Exec(`INSERT INTO lesson_completions (enrollment_id, lesson_id, completed_at, event_id)
		VALUES ($1, $2, $3, gen_random_uuid())`, enrollmentID, lessonID, at)
	must(t, err)
	_, err = testDB.Exec(`INSERT INTO enrollment_progress AS p (enrollment_id, lessons_completed, last_activity_at)
		VALUES ($1, 1, $2) ON CONFLICT (enrollment_id) DO UPDATE
		SET lessons_completed = p.lessons_completed + 1, last_activity_at = excluded.last_activity_at`, enrollmentID, at)
	must(t, err)
}

func completeEnrollment(t *testing.T, enrollmentID string, at time.Time) {
	t.Helper()
	_, err := testDB.Exec(`UPDATE enrollments SET status = 'completed', completed_at = $2 WHERE id = $1`, enrollmentID, at)
	must(t, err)
	_, err = testDB.Exec(`INSERT INTO enrollment_progress (enrollment_id, lessons_completed, last_activity_at)
		VALUES ($1, 4, $2) ON CONFLICT (enrollment_id) DO UPDATE
		SET lessons_completed = 4, last_activity_at = excluded.last_activity_at`, enrollmentID, at)
	must(t, err)
}

func newCohort(t *testing.T, owner user, c course, name string, startsOn, endsOn time.Time) string {
	t.Helper()
	var id string
	must(t, testDB.Get(&id, `INSERT INTO cohorts (name, course_id, owner_id, country, starts_on, ends_on)
		VALUES ($1, $2, $3, 'KE', $4, $5) RETURNING id`, name, c.ID, owner.ID,
		startsOn.Format(time.DateOnly), endsOn.Format(time.DateOnly)))
	return id
}

func addMember(t *testing.T, cohortID string, u user, enrollmentID string) {
	t.Helper()
	_, err := testDB.Exec(`INSERT INTO cohort_members (cohort_id, user_id, enrollment_id) VALUES ($1, $2, $3)`,
		cohortID, u.ID, enrollmentID)
	must(t, err)
	_, err = testDB.Exec(`UPDATE enrollments SET cohort_id = $1 WHERE id = $2`, cohortID, enrollmentID)
	must(t, err)
}

type stored struct {
	ID          string          `db:"id"`
	Kind        string          `db:"kind"`
	Title       string          `db:"title"`
	Body        string          `db:"body"`
	Data        json.RawMessage `db:"data"`
	DedupeKey   string          `db:"dedupe_key"`
	EmailStatus string          `db:"email_status"`
}

// notes lists a user's notifications of a kind, oldest first.
func notes(t *testing.T, userID, kind string) []stored {
	t.Helper()
	var out []stored
	must(t, testDB.Select(&out, `SELECT id, kind, title, body, data, dedupe_key, email_status FROM notifications
		WHERE user_id = $1 AND kind = $2 ORDER BY created_at, id`, userID, kind))
	return out
}

// deliveries counts the outbox rows that deliver notification id.
func deliveries(t *testing.T, id string) int {
	t.Helper()
	var n int
	must(t, testDB.Get(&n, `SELECT count(*) FROM outbox WHERE task_type = 'notification:deliver'
		AND payload ->> 'notification_id' = $1`, id))
	return n
}

func run(t *testing.T, h func(context.Context, *asynq.Task) error, typ string) {
	t.Helper()
	if err := h(context.Background(), asynq.NewTask(typ, nil)); err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
}
