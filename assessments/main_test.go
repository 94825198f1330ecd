package assessments_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cybercampus/cybercampus/assessments"
	"github.com/cybercampus/cybercampus/courses"
	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/apptest/learnerstest"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

// testDB is the package's migrated test database.
var testDB *pgtest.DB

func TestMain(m *testing.M) { pgtest.Main(m, "assessments", &testDB) }

// redisDB is this package's Redis database in tests.
const redisDB = 5

// newEnv builds the application with the modules a learner goes through:
// courses (outline), learners (enrollment, progress) and assessments.
func newEnv(tb testing.TB) *apptest.Env {
	tb.Helper()
	env := apptest.New(tb, testDB, apptest.Options{RedisDB: redisDB})
	courses.NewHandler(courses.NewStore(env.DB.DB), courses.CatalogueRecheck).Register(env.App, env.Auth)
	learnerstest.Mount(env)
	assessments.NewHandler(assessments.NewStore(env.DB.DB)).Register(env.App, env.Auth)
	return env
}

// bank makes n single-choice items keyed i1..in whose option "a" is right.
func bank(n int) []courses.DocQuestion {
	out := make([]courses.DocQuestion, n)
	for i := range out {
		out[i] = courses.DocQuestion{Key: fmt.Sprintf("i%d", i+1), Text: fmt.Sprintf("Item %d?", i+1), Kind: "single",
			Options: []courses.DocOption{{Key: "a", Text: "Right", Correct: true}, {Key: "b", Text: "Wrong"}}}
	}
	return out
}

// newCourse imports and publishes a two-lesson course with an assessment of
// draw items from a bank of size (nil for none), returning its slug.
func newCourse(tb testing.TB, draw, size int) string {
	tb.Helper()
	d := &courses.Document{Slug: "course-" + pgtest.RandomSuffix(), Title: "Impact course", Summary: "A course to measure.",
		Level: "beginner", Audiences: []string{"youth"}, Language: "en",
		Modules: []courses.DocModule{{Key: "m1", Title: "Module", Lessons: []courses.DocLesson{
			{Key: "l1", Title: "One", Kind: "text", DurationMinutes: 5, Content: "First."},
			{Key: "l2", Title: "Two", Kind: "text", DurationMinutes: 5, Content: "Second."}}}}}
	if size > 0 {
		d.Assessment = &courses.DocAssessment{Draw: draw, Bank: bank(size)}
	}
	importDoc(tb, d)
	return d.Slug
}

// importDoc validates, imports and publishes a course document.
func importDoc(tb testing.TB, d *courses.Document) {
	tb.Helper()
	body, err := d.YAML()
	if err != nil {
		tb.Fatal(err)
	}
	p, err := courses.ParseDocument(body, courses.FormatYAML)
	if err != nil {
		tb.Fatalf("fixture document: %v", err)
	}
	if _, err := courses.NewStore(testDB.DB).Import(context.Background(), p, courses.ImportOptions{Mode: courses.ModeUpsert, Publish: true}); err != nil {
		tb.Fatal(err)
	}
}

// enrol enrols u in slug.
func enrol(tb testing.TB, e *apptest.Env, u apptest.User, slug string) {
	tb.Helper()
	e.Expect(tb, apptest.Request{Method: http.MethodPost, Path: "/v1/courses/" + slug + "/enrollments", Token: u.Token}, http.StatusCreated)
}

// completeLessons records u completing the first n lessons of slug.
func completeLessons(tb testing.TB, e *apptest.Env, u apptest.User, slug string, n int) {
	tb.Helper()
	var o struct {
		Modules []struct {
			Lessons []struct {
				ID string `json:"id"`
			} `json:"lessons"`
		} `json:"modules"`
	}
	e.Expect(tb, apptest.Request{Method: http.MethodGet, Path: "/v1/courses/" + slug}, http.StatusOK).JSON(tb, &o)
	var events []map[string]any
	for _, l := range o.Modules[0].Lessons[:n] {
		events = append(events, map[string]any{"id": uuid.NewString(), "lesson_id": l.ID, "type": "lesson_completed",
			"occurred_at": time.Now().Add(-time.Minute).Format(time.RFC3339)})
	}
	e.Expect(tb, apptest.Request{Method: http.MethodPost, Path: "/v1/progress", Token: u.Token, Body: map[string]any{"events": events}}, http.StatusOK)
}
