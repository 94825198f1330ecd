package surveys_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cybercampus/cybercampus/courses"
	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/apptest/learnerstest"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
	"github.com/cybercampus/cybercampus/surveys"
)

// testDB is the package's migrated test database.
var testDB *pgtest.DB

func TestMain(m *testing.M) { pgtest.Main(m, "surveys", &testDB) }

// redisDB is this package's Redis database in tests.
const redisDB = 6

// clock is the injected time surveys fall due by.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		return time.Now()
	}
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// newEnv builds the application a learner completes a course in, with the
// surveys store on the injected clock.
func newEnv(tb testing.TB, c *clock) (*apptest.Env, *surveys.Store) {
	tb.Helper()
	e := apptest.New(tb, testDB, apptest.Options{RedisDB: redisDB})
	courses.NewHandler(courses.NewStore(e.DB.DB), courses.CatalogueRecheck).Register(e.App, e.Auth)
	learnerstest.Mount(e)
	store := surveys.NewStore(e.DB.DB, c.Now, e.Config.PublicBaseURL)
	surveys.NewHandler(store).Register(e.App, e.Auth)
	return e, store
}

// newCourse imports and publishes a one-lesson course, returning its slug.
func newCourse(tb testing.TB) string {
	tb.Helper()
	d := &courses.Document{Slug: "course-" + pgtest.RandomSuffix(), Title: "Survey course", Summary: "A course to ask about.",
		Level: "beginner", Audiences: []string{"professional"}, Language: "en",
		Modules: []courses.DocModule{{Key: "m1", Title: "Module", Lessons: []courses.DocLesson{
			{Key: "l1", Title: "One", Kind: "text", DurationMinutes: 5, Content: "First."}}}}}
	body, err := d.YAML()
	if err != nil {
		tb.Fatal(err)
	}
	p, err := courses.ParseDocument(body, courses.FormatYAML)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := courses.NewStore(testDB.DB).Import(context.Background(), p, courses.ImportOptions{Mode: courses.ModeUpsert, Publish: true}); err != nil {
		tb.Fatal(err)
	}
	return d.Slug
}

// complete enrols u in slug and completes it, returning the enrollment ID.
func complete(tb testing.TB, e *apptest.Env, u apptest.User, slug string) string {
	tb.Helper()
	e.Expect(tb, apptest.Request{Method: http.MethodPost, Path: "/v1/courses/" + slug + "/enrollments", Token: u.Token}, http.StatusCreated)
	var o struct {
		Modules []struct {
			Lessons []struct {
				ID string `json:"id"`
			} `json:"lessons"`
		} `json:"modules"`
	}
	e.Expect(tb, apptest.Request{Method: http.MethodGet, Path: "/v1/courses/" + slug}, http.StatusOK).JSON(tb, &o)
	ev := map[string]any{"id": uuid.NewString(), "lesson_id": o.Modules[0].Lessons[0].ID, "type": "lesson_completed",
		"occurred_at": time.Now().Add(-time.Minute).Format(time.RFC3339)}
	e.Expect(tb, apptest.Request{Method: http.MethodPost, Path: "/v1/progress", Token: u.Token, Body: map[string]any{"events": []any{ev}}}, http.StatusOK)
	var id string
	if err := testDB.DB.Get(&id, `SELECT id FROM enrollments WHERE user_id = $1 AND status = 'completed'`, u.ID); err != nil {
		tb.Fatalf("the course was not completed: %v", err)
	}
	return id
}
