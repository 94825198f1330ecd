package surveys_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/cybercampus/cybercampus/accounts"
	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/jobs"
	"github.com/cybercampus/cybercampus/surveys"
)

// runSchedule runs the survey:schedule tasks the outbox holds for an
// enrollment, as the worker would, and returns how many there were.
func runSchedule(t *testing.T, m *surveys.Store, enrollmentID string) int {
	t.Helper()
	var payloads []string
	const q = `SELECT payload::text FROM outbox WHERE task_type = $1 AND payload->>'enrollment_id' = $2`
	if err := testDB.DB.Select(&payloads, q, jobs.TypeScheduleSurveys, enrollmentID); err != nil {
		t.Fatal(err)
	}
	for _, p := range payloads {
		if err := m.ProcessSchedule(context.Background(), asynq.NewTask(jobs.TypeScheduleSurveys, []byte(p))); err != nil {
			t.Fatal(err)
		}
	}
	return len(payloads)
}

func runPeriodic(t *testing.T, m *surveys.Store) {
	t.Helper()
	if err := m.ProcessSurveys(context.Background(), asynq.NewTask(jobs.TypeSurveys, nil)); err != nil {
		t.Fatal(err)
	}
}

// notes counts u's notifications of kind and how many of them are emailed.
func notes(t *testing.T, u apptest.User, kind string) (n, emailed int, title string) {
	t.Helper()
	const q = `SELECT count(*), count(*) FILTER (WHERE email_status <> 'none'), coalesce(max(title), '')
		FROM notifications WHERE user_id = $1 AND kind = $2`
	row := testDB.DB.QueryRow(q, u.ID, kind)
	if err := row.Scan(&n, &emailed, &title); err != nil {
		t.Fatal(err)
	}
	return n, emailed, title
}

func waiting(t *testing.T, e *apptest.Env, u apptest.User) []surveys.Survey {
	t.Helper()
	var page struct {
		Items []surveys.Survey `json:"items"`
	}
	e.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me/surveys", Token: u.Token}, http.StatusOK).JSON(t, &page)
	return page.Items
}

func TestSurveysAreScheduledAndDelivered(t *testing.T) {
	c := &clock{}
	e, m := newEnv(t, c)
	slug := newCourse(t)
	u := e.NewUser(t)
	enrollment := complete(t, e, u, slug)
	if n := runSchedule(t, m, enrollment); n != 1 {
		t.Fatalf("completing queued %d survey:schedule tasks, want 1", n)
	}
	runSchedule(t, m, enrollment) // a rerun creates nothing more
	var completedAt time.Time
	if err := testDB.DB.Get(&completedAt, `SELECT completed_at FROM enrollments WHERE id = $1`, enrollment); err != nil {
		t.Fatal(err)
	}
	var due []struct {
		Kind  string    `db:"kind"`
		DueAt time.Time `db:"due_at"`
	}
	if err := testDB.DB.Select(&due, `SELECT kind, due_at FROM surveys WHERE enrollment_id = $1 ORDER BY due_at`, enrollment); err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Duration{"satisfaction": 0, "follow_up_90": 90 * 24 * time.Hour, "follow_up_180": 180 * 24 * time.Hour}
	if len(due) != 3 {
		t.Fatalf("%d surveys scheduled, want 3", len(due))
	}
	for _, d := range due {
		if !d.DueAt.Equal(completedAt.Add(want[d.Kind])) {
			t.Errorf("%s due %s, want %s after completion %s", d.Kind, d.DueAt, want[d.Kind], completedAt)
		}
	}

	t.Run("at completion only the satisfaction survey is announced", func(t *testing.T) {
		c.Set(completedAt.Add(time.Hour))
		runPeriodic(t, m)
		runPeriodic(t, m)
		if n, emailed, _ := notes(t, u, "survey"); n != 1 || emailed != 1 {
			t.Fatalf("%d survey notifications (%d emailed), want 1 and 1", n, emailed)
		}
		if w := waiting(t, e, u); len(w) != 1 || w[0].Kind != "satisfaction" || len(w[0].Questions) != 4 {
			t.Fatalf("waiting surveys %+v", w)
		}
		// The link opens the web app's surveys screen, not the API's JSON.
		var link string
		if err := testDB.DB.Get(&link, `SELECT data->>'url' FROM notifications WHERE user_id = $1 AND kind = 'survey'`, u.ID); err != nil {
			t.Fatal(err)
		}
		if link != "http://cybercampus.test/app#/surveys" {
			t.Errorf("the survey notification links to %q, want the app's surveys screen", link)
		}
	})
	t.Run("an unanswered survey is reminded once, a week later", func(t *testing.T) {
		c.Set(completedAt.Add(6 * 24 * time.Hour))
		runPeriodic(t, m)
		if n, _, _ := notes(t, u, "survey_reminder"); n != 0 {
			t.Fatalf("reminded after 6 days")
		}
		c.Set(completedAt.Add(8 * 24 * time.Hour))
		runPeriodic(t, m)
		runPeriodic(t, m)
		if n, _, _ := notes(t, u, "survey_reminder"); n != 1 {
			t.Fatalf("%d reminders, want 1", n)
		}
	})
	t.Run("follow-ups fall due 90 and 180 days after completion", func(t *testing.T) {
		c.Set(completedAt.Add(90*24*time.Hour - time.Minute))
		runPeriodic(t, m)
		if n, _, _ := notes(t, u, "survey"); n != 1 {
			t.Fatalf("a follow-up was announced before day 90")
		}
		c.Set(completedAt.Add(90 * 24 * time.Hour))
		runPeriodic(t, m)
		if n, _, _ := notes(t, u, "survey"); n != 2 {
			t.Fatalf("%d survey notifications at day 90, want 2", n)
		}
		c.Set(completedAt.Add(180 * 24 * time.Hour))
		runPeriodic(t, m)
		if n, _, _ := notes(t, u, "survey"); n != 3 {
			t.Fatalf("%d survey notifications at day 180, want 3", n)
		}
	})
}

func TestOptedOutLearnersGetNoSurveyMessages(t *testing.T) {
	c := &clock{}
	e, m := newEnv(t, c)
	slug := newCourse(t)
	optedOut, noEmail, french := e.NewUser(t), e.NewUser(t), e.NewUser(t)
	e.Expect(t, apptest.Request{Method: http.MethodPatch, Path: "/v1/me", Token: optedOut.Token,
		Body: map[string]any{"notifications": map[string]any{"reminders": false}}}, http.StatusOK)
	e.Expect(t, apptest.Request{Method: http.MethodPatch, Path: "/v1/me", Token: noEmail.Token,
		Body: map[string]any{"notifications": map[string]any{"email": false}}}, http.StatusOK)
	e.Expect(t, apptest.Request{Method: http.MethodPatch, Path: "/v1/me", Token: french.Token,
		Body: map[string]any{"language": "fr"}}, http.StatusOK)
	for _, u := range []apptest.User{optedOut, noEmail, french} {
		runSchedule(t, m, complete(t, e, u, slug))
	}
	c.Set(time.Now().Add(200 * 24 * time.Hour))
	runPeriodic(t, m)
	c.Set(time.Now().Add(300 * 24 * time.Hour))
	runPeriodic(t, m)
	if n, _, _ := notes(t, optedOut, "survey"); n != 0 {
		t.Errorf("an opted-out learner got %d survey notifications", n)
	}
	if n, _, _ := notes(t, optedOut, "survey_reminder"); n != 0 {
		t.Errorf("an opted-out learner got %d survey reminders", n)
	}
	if w := waiting(t, e, optedOut); len(w) != 3 {
		t.Errorf("an opted-out learner sees %d waiting surveys, want 3 (answering stays possible)", len(w))
	}
	t.Run("waiting surveys page by due date", func(t *testing.T) {
		var first, second struct {
			Items      []surveys.Survey `json:"items"`
			NextCursor *string          `json:"next_cursor"`
		}
		e.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me/surveys?limit=2", Token: optedOut.Token}, http.StatusOK).JSON(t, &first)
		if len(first.Items) != 2 || first.NextCursor == nil || first.Items[0].Kind != "satisfaction" || first.Items[1].Kind != "follow_up_90" {
			t.Fatalf("first page %+v", first)
		}
		e.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me/surveys?limit=2&cursor=" + *first.NextCursor, Token: optedOut.Token}, http.StatusOK).JSON(t, &second)
		if len(second.Items) != 1 || second.NextCursor != nil || second.Items[0].Kind != "follow_up_180" {
			t.Fatalf("second page %+v", second)
		}
		e.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me/surveys?cursor=garbage", Token: optedOut.Token}, http.StatusBadRequest)
	})
	if n, emailed, _ := notes(t, noEmail, "survey"); n != 3 || emailed != 0 {
		t.Errorf("a learner without email got %d survey notifications, %d emailed; want 3 and 0", n, emailed)
	}
	if _, _, title := notes(t, french, "survey"); title == "" || title[:7] == "How was" {
		t.Errorf("a French learner's survey title is %q", title)
	}
	if w := waiting(t, e, french); len(w) == 0 || w[0].Questions[0].Text[:13] != "Dans l'ensemb" {
		t.Errorf("a French learner's questions are not in French: %+v", w)
	}
}

func TestSurveyResponses(t *testing.T) {
	c := &clock{}
	e, m := newEnv(t, c)
	slug := newCourse(t)
	u, stranger := e.NewUser(t), e.NewUser(t)
	runSchedule(t, m, complete(t, e, u, slug))
	var ids map[string]string
	rows, err := testDB.DB.Query(`SELECT kind, id FROM surveys WHERE user_id = $1`, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	ids = map[string]string{}
	for rows.Next() {
		var k, id string
		rows.Scan(&k, &id)
		ids[k] = id
	}
	rows.Close()
	post := func(tok, survey string, body map[string]any, want int) {
		t.Helper()
		e.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/surveys/" + survey + "/responses", Token: tok, Body: body}, want)
	}
	good := map[string]any{"overall": 4, "relevance": 5, "recommend": true, "comment": "Useful."}

	t.Run("validation names every bad answer", func(t *testing.T) {
		r := e.Do(t, apptest.Request{Method: http.MethodPost, Path: "/v1/surveys/" + ids["satisfaction"] + "/responses", Token: u.Token,
			Body: map[string]any{"answers": map[string]any{"overall": 6, "recommend": "yes", "colour": "red"}}})
		body := r.Map(t)
		if r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", r.StatusCode)
		}
		fields := map[string]bool{}
		for _, f := range body["errors"].([]any) {
			fields[f.(map[string]any)["field"].(string)] = true
		}
		for _, f := range []string{"answers.overall", "answers.recommend", "answers.colour", "answers.relevance"} {
			if !fields[f] {
				t.Errorf("%s not named in %v", f, body["errors"])
			}
		}
		post(u.Token, ids["satisfaction"], map[string]any{"id": "nope", "answers": good}, http.StatusUnprocessableEntity)
		post(u.Token, ids["satisfaction"], map[string]any{}, http.StatusUnprocessableEntity)
	})
	t.Run("only the addressee, only once due", func(t *testing.T) {
		post(stranger.Token, ids["satisfaction"], map[string]any{"answers": good}, http.StatusNotFound)
		post(u.Token, ids["follow_up_90"], map[string]any{"answers": map[string]any{"applied": true, "changed_practice": false, "new_role": false}}, http.StatusNotFound)
		post(u.Token, uuid.NewString(), map[string]any{"answers": good}, http.StatusNotFound)
		e.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/surveys/not-a-uuid/responses", Token: u.Token, Body: map[string]any{"answers": good}}, http.StatusNotFound)
	})
	t.Run("a resent response is counted once", func(t *testing.T) {
		id := uuid.NewString()
		post(u.Token, ids["satisfaction"], map[string]any{"id": id, "answers": good}, http.StatusCreated)
		post(u.Token, ids["satisfaction"], map[string]any{"id": id, "answers": good}, http.StatusOK)
		post(u.Token, ids["satisfaction"], map[string]any{"id": uuid.NewString(), "answers": good}, http.StatusConflict)
		post(u.Token, ids["satisfaction"], map[string]any{"id": id, "answers": map[string]any{"overall": 1, "relevance": 1, "recommend": false}}, http.StatusConflict)
		var n int
		if err := testDB.DB.Get(&n, `SELECT count(*) FROM surveys WHERE user_id = $1 AND responded_at IS NOT NULL`, u.ID); err != nil || n != 1 {
			t.Fatalf("%d responses stored (%v), want 1", n, err)
		}
		if w := waiting(t, e, u); len(w) != 0 {
			t.Fatalf("an answered survey still waits: %+v", w)
		}
	})
	t.Run("a follow-up once due", func(t *testing.T) {
		c.Set(time.Now().Add(91 * 24 * time.Hour))
		post(u.Token, ids["follow_up_90"], map[string]any{"answers": map[string]any{"applied": true, "changed_practice": false, "new_role": false}}, http.StatusCreated)
	})
	e.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me/surveys"}, http.StatusUnauthorized)
}

func TestErasureKeepsRatingsButNotComments(t *testing.T) {
	c := &clock{}
	e, m := newEnv(t, c)
	u := e.NewUser(t)
	runSchedule(t, m, complete(t, e, u, newCourse(t)))
	var id string
	if err := testDB.DB.Get(&id, `SELECT id FROM surveys WHERE user_id = $1 AND kind = 'satisfaction'`, u.ID); err != nil {
		t.Fatal(err)
	}
	e.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/surveys/" + id + "/responses", Token: u.Token,
		Body: map[string]any{"answers": map[string]any{"overall": 2, "relevance": 3, "recommend": false, "comment": "I am Amina from Kisumu."}}}, http.StatusCreated)
	if err := accounts.NewStore(testDB.DB).Erase(context.Background(), u.ID); err != nil {
		t.Fatal(err)
	}
	var answers string
	if err := testDB.DB.Get(&answers, `SELECT answers::text FROM surveys WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(answers, "Amina") || !strings.Contains(answers, `"overall": 2`) {
		t.Fatalf("answers after erasure: %s", answers)
	}
}
