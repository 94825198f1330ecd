package learners_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cybercampus/cybercampus/internal/apptest"
)

func TestProgressBatchValidation(t *testing.T) {
	env := newLearningEnv(t)
	c := newCourse(t, courseSpec{Lessons: 2})
	u := env.NewUser(t)
	enrollmentID := enroll(t, env, u, c.Slug)
	good := lessonEvent(c.Lessons[0], time.Now())
	many := make([]event, 501)
	for i := range many {
		many[i] = lessonEvent(c.Lessons[0], time.Now())
	}
	changed := good
	changed.OccurredAt = time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)

	for _, tc := range []struct {
		name  string
		raw   string
		body  any
		ctype string
		want  int
		field string
	}{
		{name: "not JSON", raw: `{"events": [`, want: http.StatusBadRequest},
		{name: "wrong content type", raw: `events`, ctype: "text/plain", want: http.StatusUnsupportedMediaType},
		{name: "no events", body: map[string]any{"events": []event{}}, want: http.StatusUnprocessableEntity, field: "events"},
		{name: "events missing", body: map[string]any{}, want: http.StatusUnprocessableEntity, field: "events"},
		{name: "more than 500 events", body: map[string]any{"events": many}, want: http.StatusUnprocessableEntity, field: "events"},
		{name: "non-UUID id", body: map[string]any{"events": []event{good, {ID: "abc", LessonID: c.Lessons[0], Type: "lesson_completed", OccurredAt: good.OccurredAt}}},
			want: http.StatusUnprocessableEntity, field: "events[1].id"},
		{name: "non-UUID lesson", body: map[string]any{"events": []event{{ID: uuid.NewString(), LessonID: "x", Type: "lesson_completed", OccurredAt: good.OccurredAt}}},
			want: http.StatusUnprocessableEntity, field: "events[0].lesson_id"},
		{name: "unknown type", body: map[string]any{"events": []event{{ID: uuid.NewString(), LessonID: c.Lessons[0], Type: "lesson_started", OccurredAt: good.OccurredAt}}},
			want: http.StatusUnprocessableEntity, field: "events[0].type"},
		{name: "unparseable occurred_at", body: map[string]any{"events": []event{{ID: uuid.NewString(), LessonID: c.Lessons[0], Type: "lesson_completed", OccurredAt: "yesterday"}}},
			want: http.StatusUnprocessableEntity, field: "events[0].occurred_at"},
		{name: "same id twice with different content", body: map[string]any{"events": []event{good, changed}},
			want: http.StatusUnprocessableEntity, field: "events[1].id"},
		{name: "unknown field", raw: `{"events": [], "extra": 1}`, want: http.StatusUnprocessableEntity, field: "extra"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := apptest.Request{Method: http.MethodPost, Path: "/v1/progress", Token: u.Token, Body: tc.body, Type: tc.ctype}
			if tc.raw != "" {
				req.Raw = []byte(tc.raw)
				if req.Type == "" {
					req.Type = "application/json"
				}
			}
			resp := env.Expect(t, req, tc.want)
			if tc.field != "" && !strings.Contains(string(resp.Body), `"field":"`+tc.field+`"`) {
				t.Fatalf("error does not name %s: %s", tc.field, resp.Body)
			}
			// Each case checks its own batch left nothing, so that it holds
			// when run alone too.
			var n int
			mustGet(t, &n, `SELECT count(*) FROM progress_events WHERE enrollment_id = $1`, enrollmentID)
			if n != 0 {
				t.Fatalf("%d events stored by a malformed batch", n)
			}
		})
	}
	t.Run("without a token is 401", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/progress", Body: map[string]any{"events": []event{good}}}, http.StatusUnauthorized)
	})
}

func TestProgressReplay(t *testing.T) {
	env := newLearningEnv(t)
	c := newCourse(t, courseSpec{Lessons: 4})
	u := env.NewUser(t)
	enrollmentID := enroll(t, env, u, c.Slug)
	batch := completeAll(c.Lessons[:2])

	t.Run("first delivery is accepted", func(t *testing.T) {
		r := sendProgress(t, env, u, batch)
		if r.Accepted != 2 || r.Duplicates != 0 || len(r.Rejected) != 0 {
			t.Fatalf("result = %+v", r)
		}
	})
	t.Run("replayed batch is all duplicates and not counted twice", func(t *testing.T) {
		r := sendProgress(t, env, u, batch)
		if r.Accepted != 0 || r.Duplicates != 2 {
			t.Fatalf("result = %+v", r)
		}
		if _, done, pct := enrollmentStatus(t, enrollmentID); done != 2 || pct != 50 {
			t.Fatalf("lessons_completed %d, percent %d; want 2, 50", done, pct)
		}
	})
	t.Run("a replay with a different time is still a duplicate", func(t *testing.T) {
		// Another month puts the copy in another partition: the primary key
		// (id, occurred_at) alone would not catch it.
		moved := batch[0]
		moved.OccurredAt = time.Now().AddDate(0, -2, 0).UTC().Format(time.RFC3339)
		r := sendProgress(t, env, u, []event{moved})
		if r.Accepted != 0 || r.Duplicates != 1 {
			t.Fatalf("result = %+v", r)
		}
		var n int
		mustGet(t, &n, `SELECT count(*) FROM progress_events WHERE id = $1`, moved.ID)
		if n != 1 {
			t.Fatalf("event stored %d times", n)
		}
	})
	t.Run("identical copies within a batch count once", func(t *testing.T) {
		e := lessonEvent(c.Lessons[2], time.Now())
		r := sendProgress(t, env, u, []event{e, e, e})
		if r.Accepted != 1 || r.Duplicates != 2 {
			t.Fatalf("result = %+v", r)
		}
	})
	t.Run("a new event for a completed lesson is stored but not counted", func(t *testing.T) {
		r := sendProgress(t, env, u, []event{lessonEvent(c.Lessons[0], time.Now())})
		if r.Accepted != 1 {
			t.Fatalf("result = %+v", r)
		}
		if _, done, _ := enrollmentStatus(t, enrollmentID); done != 3 {
			t.Fatalf("lessons_completed %d, want 3", done)
		}
	})
	t.Run("last activity follows the latest event", func(t *testing.T) {
		var last time.Time
		mustGet(t, &last, `SELECT last_activity_at FROM enrollment_progress WHERE enrollment_id = $1`, enrollmentID)
		if time.Since(last) > time.Minute {
			t.Fatalf("last_activity_at %v", last)
		}
	})
}

// An event changes the enrollment's progress row, never the enrollment row:
// that row has eight indexes, ten CHECK constraints and the report trigger,
// and rewriting it on every event was a third of the write's cost.
func TestProgressLeavesTheEnrollmentRowAlone(t *testing.T) {
	env := newLearningEnv(t)
	c := newCourse(t, courseSpec{Lessons: 4})
	u := env.NewUser(t)
	id := enroll(t, env, u, c.Slug)
	version := func() string {
		var xmin string
		mustGet(t, &xmin, `SELECT xmin::text FROM enrollments WHERE id = $1`, id)
		return xmin
	}
	before := version()
	at := time.Now().Add(-time.Hour).UTC().Truncate(time.Millisecond)
	sendProgress(t, env, u, []event{lessonEvent(c.Lessons[0], at), lessonEvent(c.Lessons[1], at.Add(time.Minute))})
	if after := version(); after != before {
		t.Fatalf("the enrollment row was rewritten (xmin %s -> %s)", before, after)
	}
	var p struct {
		Done int       `db:"lessons_completed"`
		Last time.Time `db:"last_activity_at"`
	}
	mustGet(t, &p, `SELECT lessons_completed, last_activity_at FROM enrollment_progress WHERE enrollment_id = $1`, id)
	if p.Done != 2 || !p.Last.Equal(at.Add(time.Minute)) {
		t.Fatalf("progress row = %+v, want 2 lessons, last activity %s", p, at.Add(time.Minute))
	}
	var e struct {
		Percent int        `json:"progress_percent"`
		Last    *time.Time `json:"last_activity_at"`
	}
	env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/courses/" + c.Slug + "/enrollments", Token: u.Token},
		http.StatusOK).JSON(t, &e)
	if e.Percent != 50 || e.Last == nil || !e.Last.Equal(at.Add(time.Minute)) {
		t.Fatalf("enrollment = %+v, want 50 %% and the last event's time", e)
	}
}

func TestProgressConcurrentReplay(t *testing.T) {
	env := newLearningEnv(t)
	c := newCourse(t, courseSpec{Lessons: 20})
	u := env.NewUser(t)
	enrollmentID := enroll(t, env, u, c.Slug)
	batch := completeAll(c.Lessons)
	const copies = 8
	results := make([]progressResult, copies)
	errs := make([]error, copies)
	var wg sync.WaitGroup
	for i := range copies {
		wg.Go(func() { results[i], errs[i] = tryProgress(env, u, batch) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	accepted, duplicates := 0, 0
	for _, r := range results {
		accepted += r.Accepted
		duplicates += r.Duplicates
	}
	if accepted != len(batch) || duplicates != (copies-1)*len(batch) {
		t.Fatalf("accepted %d, duplicates %d over %d copies of %d events", accepted, duplicates, copies, len(batch))
	}
	var stored int
	mustGet(t, &stored, `SELECT count(*) FROM progress_events WHERE enrollment_id = $1`, enrollmentID)
	status, done, pct := enrollmentStatus(t, enrollmentID)
	if stored != 20 || done != 20 || pct != 100 || status != "completed" {
		t.Fatalf("stored %d, lessons_completed %d, percent %d, status %s", stored, done, pct, status)
	}
	if n := certificateTasks(t, enrollmentID); n != 1 {
		t.Fatalf("%d certificate tasks, want 1", n)
	}
}

// tryProgress sends a batch like sendProgress but returns what went wrong
// instead of failing the test, for the goroutines a test starts.
func tryProgress(env *apptest.Env, u apptest.User, events []event) (progressResult, error) {
	var r progressResult
	resp, err := env.Try(apptest.Request{Method: http.MethodPost, Path: "/v1/progress", Token: u.Token,
		Body: map[string]any{"events": events}})
	if err != nil {
		return r, err
	}
	if resp.StatusCode != http.StatusOK {
		return r, fmt.Errorf("POST /v1/progress: status %d: %s", resp.StatusCode, resp.Body)
	}
	if err := json.Unmarshal(resp.Body, &r); err != nil {
		return r, fmt.Errorf("POST /v1/progress: %w in %s", err, resp.Body)
	}
	return r, nil
}

func TestProgressPartialRejection(t *testing.T) {
	env := newLearningEnv(t)
	c := newCourse(t, courseSpec{Lessons: 3})
	notEnrolled := newCourse(t, courseSpec{Lessons: 1})
	u := env.NewUser(t)
	enrollmentID := enroll(t, env, u, c.Slug)
	ok := lessonEvent(c.Lessons[0], time.Now())
	skewed := lessonEvent(c.Lessons[1], time.Now().Add(2*time.Minute)) // within the clock-skew allowance
	future := lessonEvent(c.Lessons[2], time.Now().Add(time.Hour))
	unknown := lessonEvent(uuid.NewString(), time.Now())
	other := lessonEvent(notEnrolled.Lessons[0], time.Now())

	r := sendProgress(t, env, u, []event{ok, future, unknown, skewed, other})
	want := map[string]string{
		future.ID:  "occurred_at is in the future",
		unknown.ID: "unknown lesson",
		other.ID:   "not enrolled in this lesson's course",
	}
	if r.Accepted != 2 || r.Duplicates != 0 || len(r.Rejected) != len(want) {
		t.Fatalf("result = %+v", r)
	}
	for _, rej := range r.Rejected {
		if want[rej.ID] != rej.Error {
			t.Errorf("event %s rejected with %q, want %q", rej.ID, rej.Error, want[rej.ID])
		}
	}
	if _, done, _ := enrollmentStatus(t, enrollmentID); done != 2 {
		t.Fatalf("lessons_completed %d, want 2", done)
	}
	t.Run("a learner's events never touch another learner's enrollment", func(t *testing.T) {
		stranger := env.NewUser(t)
		r := sendProgress(t, env, stranger, []event{lessonEvent(c.Lessons[2], time.Now())})
		if r.Accepted != 0 || len(r.Rejected) != 1 {
			t.Fatalf("result = %+v", r)
		}
		if _, done, _ := enrollmentStatus(t, enrollmentID); done != 2 {
			t.Fatalf("lessons_completed %d, want 2", done)
		}
	})
}
