package assessments_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/cybercampus/cybercampus/assessments"
	"github.com/cybercampus/cybercampus/courses"
	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

// served is a test as the API returns it.
type served struct {
	Kind      string `json:"kind"`
	Questions []struct {
		ID      string `json:"id"`
		Options []struct {
			ID      string `json:"id"`
			Correct *bool  `json:"correct"`
		} `json:"options"`
		Explanation *string `json:"explanation"`
	} `json:"questions"`
	Attempt *assessments.Attempt `json:"attempt"`
}

func (s served) ids() []string {
	out := make([]string, len(s.Questions))
	for i, q := range s.Questions {
		out[i] = q.ID
	}
	return out
}

func getTest(t *testing.T, e *apptest.Env, u apptest.User, slug, kind string, want int) served {
	t.Helper()
	var s served
	r := e.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/courses/" + slug + "/assessments/" + kind, Token: u.Token}, want)
	if want == http.StatusOK {
		r.JSON(t, &s)
	}
	return s
}

func submit(t *testing.T, e *apptest.Env, u apptest.User, slug, kind string, body map[string]any, want int) map[string]any {
	t.Helper()
	return e.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/courses/" + slug + "/assessments/" + kind + "/attempts",
		Token: u.Token, Body: body}, want).Map(t)
}

// answersFor answers the first right of the served questions right and the rest wrong.
func answersFor(s served, right int) map[string][]string {
	a := map[string][]string{}
	for i, q := range s.Questions {
		if i < right {
			a[q.ID] = []string{"a"}
		} else {
			a[q.ID] = []string{"b"}
		}
	}
	return a
}

func TestDrawRules(t *testing.T) {
	e := newEnv(t)
	t.Run("draw size, no repeats, never the answers, the same on every read", func(t *testing.T) {
		slug := newCourse(t, 5, 12)
		u := e.NewUser(t)
		enrol(t, e, u, slug)
		pre := getTest(t, e, u, slug, "pre", http.StatusOK)
		if len(pre.Questions) != 5 {
			t.Fatalf("drew %d questions, want 5", len(pre.Questions))
		}
		ids := pre.ids()
		slices.Sort(ids)
		if len(slices.Compact(ids)) != 5 {
			t.Fatalf("the draw repeats an item: %v", pre.ids())
		}
		for _, q := range pre.Questions {
			if q.Explanation != nil || q.Options[0].Correct != nil {
				t.Fatal("the test reveals answers")
			}
		}
		again := getTest(t, e, u, slug, "pre", http.StatusOK)
		if !slices.Equal(again.ids(), pre.ids()) {
			t.Fatalf("a second read drew again: %v then %v", pre.ids(), again.ids())
		}
	})
	t.Run("the post-test avoids the pre-test's items when the bank allows", func(t *testing.T) {
		slug := newCourse(t, 5, 10)
		u := e.NewUser(t)
		enrol(t, e, u, slug)
		pre := getTest(t, e, u, slug, "pre", http.StatusOK)
		completeLessons(t, e, u, slug, 2)
		post := getTest(t, e, u, slug, "post", http.StatusOK)
		for _, id := range post.ids() {
			if slices.Contains(pre.ids(), id) {
				t.Fatalf("post-test repeats pre-test item %s (pre %v, post %v)", id, pre.ids(), post.ids())
			}
		}
	})
	t.Run("a small bank repeats only as many items as it must", func(t *testing.T) {
		slug := newCourse(t, 5, 7)
		u := e.NewUser(t)
		enrol(t, e, u, slug)
		pre := getTest(t, e, u, slug, "pre", http.StatusOK)
		completeLessons(t, e, u, slug, 2)
		post := getTest(t, e, u, slug, "post", http.StatusOK)
		repeated := 0
		for _, id := range post.ids() {
			if slices.Contains(pre.ids(), id) {
				repeated++
			}
		}
		if len(post.Questions) != 5 || repeated != 3 {
			t.Fatalf("post-test of %d items repeats %d of the pre-test, want 5 and 3", len(post.Questions), repeated)
		}
	})
}

func TestAttempts(t *testing.T) {
	e := newEnv(t)
	slug := newCourse(t, 4, 8)
	t.Run("one attempt each, graded", func(t *testing.T) {
		u := e.NewUser(t)
		enrol(t, e, u, slug)
		pre := getTest(t, e, u, slug, "pre", http.StatusOK)
		got := submit(t, e, u, slug, "pre", map[string]any{"answers": answersFor(pre, 3)}, http.StatusCreated)
		if got["score"] != 75.0 {
			t.Fatalf("score %v, want 75", got["score"])
		}
		submit(t, e, u, slug, "pre", map[string]any{"answers": answersFor(pre, 4)}, http.StatusConflict)
		if s := getTest(t, e, u, slug, "pre", http.StatusOK); s.Attempt == nil || s.Attempt.Score != 75 {
			t.Fatalf("the test does not show its attempt: %+v", s.Attempt)
		}
	})
	t.Run("a resent attempt is counted once", func(t *testing.T) {
		u := e.NewUser(t)
		enrol(t, e, u, slug)
		pre := getTest(t, e, u, slug, "pre", http.StatusOK)
		body := map[string]any{"id": uuid.NewString(), "answers": answersFor(pre, 2)}
		first := submit(t, e, u, slug, "pre", body, http.StatusCreated)
		again := submit(t, e, u, slug, "pre", body, http.StatusOK)
		if first["score"] != again["score"] || first["score"] != 50.0 {
			t.Fatalf("resend answered %v, first %v", again, first)
		}
		var n int
		if err := testDB.DB.Get(&n, `SELECT count(*) FROM assessment_attempts WHERE user_id = $1`, u.ID); err != nil || n != 1 {
			t.Fatalf("%d attempts stored (%v), want 1", n, err)
		}
		body["answers"] = answersFor(pre, 4)
		submit(t, e, u, slug, "pre", body, http.StatusConflict)
	})
	t.Run("the post-test opens only once the course is completed", func(t *testing.T) {
		u := e.NewUser(t)
		enrol(t, e, u, slug)
		getTest(t, e, u, slug, "post", http.StatusConflict)
		submit(t, e, u, slug, "post", map[string]any{"answers": map[string]any{}}, http.StatusConflict)
		completeLessons(t, e, u, slug, 1)
		getTest(t, e, u, slug, "post", http.StatusConflict)
		completeLessons(t, e, u, slug, 2)
		post := getTest(t, e, u, slug, "post", http.StatusOK)
		submit(t, e, u, slug, "post", map[string]any{"answers": answersFor(post, 4)}, http.StatusCreated)
		submit(t, e, u, slug, "post", map[string]any{"answers": answersFor(post, 4)}, http.StatusConflict)
	})
	t.Run("the pre-test never blocks lessons and closes after the first", func(t *testing.T) {
		u := e.NewUser(t)
		enrol(t, e, u, slug)
		completeLessons(t, e, u, slug, 1) // no pre-test taken: progress is accepted
		getTest(t, e, u, slug, "pre", http.StatusConflict)
		submit(t, e, u, slug, "pre", map[string]any{"answers": map[string]any{}}, http.StatusConflict)
	})
	t.Run("unhappy paths", func(t *testing.T) {
		u, stranger := e.NewUser(t), e.NewUser(t)
		enrol(t, e, u, slug)
		pre := getTest(t, e, u, slug, "pre", http.StatusOK)
		getTest(t, e, stranger, slug, "pre", http.StatusForbidden)
		getTest(t, e, u, "no-such-course", "pre", http.StatusNotFound)
		getTest(t, e, u, slug, "mid", http.StatusNotFound)
		e.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/courses/" + slug + "/assessments/pre"}, http.StatusUnauthorized)
		noBank := newCourse(t, 0, 0)
		enrol(t, e, u, noBank)
		getTest(t, e, u, noBank, "pre", http.StatusNotFound)
		for name, body := range map[string]map[string]any{
			"no answers":              {},
			"bad id":                  {"id": "x", "answers": map[string]any{}},
			"unknown item":            {"answers": map[string]any{"zz": []string{"a"}}},
			"unknown option":          {"answers": map[string]any{pre.Questions[0].ID: []string{"z"}}},
			"two options for single":  {"answers": map[string]any{pre.Questions[0].ID: []string{"a", "b"}}},
			"answers of another type": {"answers": []string{"a"}},
		} {
			t.Run(name, func(t *testing.T) {
				r := e.Do(t, apptest.Request{Method: http.MethodPost, Path: "/v1/courses/" + slug + "/assessments/pre/attempts", Token: u.Token, Body: body})
				if r.StatusCode != http.StatusUnprocessableEntity && r.StatusCode != http.StatusBadRequest {
					t.Fatalf("status %d: %s", r.StatusCode, r.Body)
				}
			})
		}
		submit(t, e, stranger, slug, "pre", map[string]any{"answers": map[string]any{}}, http.StatusForbidden)
	})
}

func TestItemStatisticsHTTP(t *testing.T) {
	e := newEnv(t)
	slug := newCourse(t, 2, 2)
	admin := e.NewUser(t, "admin")
	// Learner i answers i1 right when i < 15 and i2 right when i < 20: facility
	// 1/2 and 2/3; both right for 15 of 30, so the covariance is 1/2 - 1/3 = 1/6
	// and r = (1/6) / sqrt(1/4 * 2/9) = 0.707 for either item.
	for i := range assessments.MinResponses {
		u := e.NewUser(t)
		enrol(t, e, u, slug)
		getTest(t, e, u, slug, "pre", http.StatusOK)
		answers := map[string][]string{"i1": {"b"}, "i2": {"b"}}
		if i < 15 {
			answers["i1"] = []string{"a"}
		}
		if i < 20 {
			answers["i2"] = []string{"a"}
		}
		submit(t, e, u, slug, "pre", map[string]any{"answers": answers}, http.StatusCreated)
	}
	var st assessments.ItemStatistics
	e.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/courses/" + slug + "/item-statistics", Token: admin.Token}, http.StatusOK).JSON(t, &st)
	want := map[string][2]float64{"i1": {0.5, 0.707}, "i2": {0.667, 0.707}}
	if len(st.Items) != 2 {
		t.Fatalf("items %+v", st.Items)
	}
	for _, it := range st.Items {
		w := want[it.Key]
		if it.Responses != 30 || it.Facility == nil || *it.Facility != w[0] || it.Discrimination == nil || *it.Discrimination != w[1] {
			t.Errorf("%s: %d responses, facility %v, discrimination %v; want 30, %v", it.Key, it.Responses, show(it.Facility), show(it.Discrimination), w)
		}
	}
	t.Run("too few responses give no figures, with a reason", func(t *testing.T) {
		other := newCourse(t, 2, 3)
		u := e.NewUser(t)
		enrol(t, e, u, other)
		getTest(t, e, u, other, "pre", http.StatusOK)
		var few assessments.ItemStatistics
		e.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/courses/" + other + "/item-statistics", Token: admin.Token}, http.StatusOK).JSON(t, &few)
		for _, it := range few.Items {
			if it.Facility != nil || it.Discrimination != nil || it.Reason == nil {
				t.Fatalf("figures over too few responses: %+v", it)
			}
		}
	})
	t.Run("admins only", func(t *testing.T) {
		for _, roles := range [][]string{nil, {"trainer"}, {"analyst"}} {
			u := e.NewUser(t, roles...)
			e.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/courses/" + slug + "/item-statistics", Token: u.Token}, http.StatusForbidden)
		}
		e.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/courses/no-such/item-statistics", Token: admin.Token}, http.StatusNotFound)
	})
}

func show[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestItemStatisticsReadQuizFirstAttempts(t *testing.T) {
	e := newEnv(t)
	d := &courses.Document{Slug: "quizzed-" + pgtest.RandomSuffix(), Title: "Quizzed", Summary: "A course with a quiz.",
		Level: "beginner", Audiences: []string{"youth"}, Language: "en",
		Modules: []courses.DocModule{{Key: "m1", Title: "Module",
			Lessons: []courses.DocLesson{{Key: "l1", Title: "One", Kind: "text", DurationMinutes: 5, Content: "First."}},
			Quiz:    &courses.DocQuiz{Key: "check", Title: "Check", PassScore: 100, MaxAttempts: 3, Questions: bank(2)}}}}
	importDoc(t, d)
	var quizID string
	if err := testDB.DB.Get(&quizID, `SELECT q.id FROM quizzes q JOIN courses c ON c.current_version_id = q.version_id WHERE c.slug = $1`, d.Slug); err != nil {
		t.Fatal(err)
	}
	var opts []struct {
		Question string `db:"question"`
		Option   string `db:"option"`
		Correct  bool   `db:"correct"`
	}
	if err := testDB.DB.Select(&opts, `SELECT qq.id AS question, o.id AS option, o.correct FROM quiz_questions qq
		JOIN quiz_options o ON o.question_id = qq.id WHERE qq.quiz_id = $1`, quizID); err != nil {
		t.Fatal(err)
	}
	answers := func(right bool) map[string][]string {
		a := map[string][]string{}
		for _, o := range opts {
			if o.Correct == right {
				a[o.Question] = []string{o.Option}
			}
		}
		return a
	}
	attempt := func(u apptest.User, right bool) {
		e.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/quizzes/" + quizID + "/attempts", Token: u.Token,
			Body: map[string]any{"answers": answers(right)}}, http.StatusCreated)
	}
	for _, second := range []bool{true, false} {
		u := e.NewUser(t)
		enrol(t, e, u, d.Slug)
		attempt(u, false)
		if second {
			attempt(u, true) // a second attempt is not a response: memory of the feedback
		}
	}
	admin := e.NewUser(t, "admin")
	var st assessments.ItemStatistics
	e.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/courses/" + d.Slug + "/item-statistics", Token: admin.Token}, http.StatusOK).JSON(t, &st)
	if len(st.Items) != 2 {
		t.Fatalf("items %+v", st.Items)
	}
	for _, it := range st.Items {
		if it.Source != "quiz" || it.QuizKey == nil || *it.QuizKey != "check" || it.Responses != 2 || it.Facility != nil || it.Reason == nil {
			t.Errorf("quiz item %+v", it)
		}
	}
}

func TestConcurrentAttemptsCountOnce(t *testing.T) {
	e := newEnv(t)
	slug := newCourse(t, 3, 6)
	for _, sameID := range []bool{true, false} {
		u := e.NewUser(t)
		enrol(t, e, u, slug)
		pre := getTest(t, e, u, slug, "pre", http.StatusOK)
		id := uuid.NewString()
		codes := make(chan int, 4)
		errs := make(chan error, 4)
		for range 4 {
			go func() {
				body := map[string]any{"id": id, "answers": answersFor(pre, 2)}
				if !sameID {
					body["id"] = uuid.NewString()
				}
				r, err := e.Try(apptest.Request{Method: http.MethodPost, Path: "/v1/courses/" + slug + "/assessments/pre/attempts", Token: u.Token, Body: body})
				errs <- err
				if err == nil {
					codes <- r.StatusCode
				}
			}()
		}
		count := map[int]int{}
		for range 4 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
			count[<-codes]++
		}
		want := map[int]int{http.StatusCreated: 1, http.StatusOK: 3} // resends of one attempt
		if !sameID {
			want = map[int]int{http.StatusCreated: 1, http.StatusConflict: 3} // four different attempts
		}
		if len(count) != len(want) || count[http.StatusCreated] != 1 || count[http.StatusOK] != want[http.StatusOK] || count[http.StatusConflict] != want[http.StatusConflict] {
			t.Errorf("same id %v: statuses %v, want %v", sameID, count, want)
		}
		var n int
		if err := testDB.DB.Get(&n, `SELECT count(*) FROM assessment_attempts WHERE user_id = $1`, u.ID); err != nil || n != 1 {
			t.Errorf("%d attempts stored (%v)", n, err)
		}
	}
}
