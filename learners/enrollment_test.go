package learners_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/cybercampus/cybercampus/internal/apptest"
)

func TestEnroll(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 3})
	draft := newCourse(t, courseSpec{Lessons: 1, Draft: true})
	archived := newCourse(t, courseSpec{Lessons: 1, Archived: true})

	t.Run("first enrollment is 201, again is 200 with the same enrollment", func(t *testing.T) {
		u := env.NewUser(t)
		req := apptest.Request{Method: http.MethodPost, Path: "/v1/courses/" + course.Slug + "/enrollments", Token: u.Token}
		first := env.Expect(t, req, http.StatusCreated).Map(t)
		again := env.Expect(t, req, http.StatusOK).Map(t)
		if first["id"] != again["id"] {
			t.Fatalf("ids differ: %v, %v", first["id"], again["id"])
		}
		c := first["course"].(map[string]any)
		if c["slug"] != course.Slug || c["title"] != "Course v1" || first["status"] != "active" || first["progress_percent"] != 0.0 {
			t.Fatalf("enrollment = %v", first)
		}
		if first["last_activity_at"] != nil || first["completed_at"] != nil {
			t.Fatalf("new enrollment has activity: %v", first)
		}
	})
	for _, tc := range []struct {
		name, slug string
		want       int
	}{
		{"unknown course is 404", "no-such-course", http.StatusNotFound},
		{"unpublished course is 404", draft.Slug, http.StatusNotFound},
		{"archived course is 409", archived.Slug, http.StatusConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := env.NewUser(t)
			env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/courses/" + tc.slug + "/enrollments", Token: u.Token}, tc.want)
		})
	}
	t.Run("without a token is 401", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/courses/" + course.Slug + "/enrollments"}, http.StatusUnauthorized)
	})
	t.Run("archived course keeps existing enrollments", func(t *testing.T) {
		c := newCourse(t, courseSpec{Lessons: 1})
		u := env.NewUser(t)
		id := enroll(t, env, u, c.Slug)
		mustExec(t, `UPDATE courses SET archived_at = now() WHERE id = $1`, c.ID)
		got := env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/courses/" + c.Slug + "/enrollments", Token: u.Token}, http.StatusOK).Map(t)
		if got["id"] != id {
			t.Fatalf("got %v, want %s", got["id"], id)
		}
	})
}

func TestEnrollmentSnapshot(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 4})
	u := env.NewUserWith(t, apptest.Profile{Gender: "male", Country: "NP", Audience: "msme", BirthYear: time.Now().Year() - 30})
	id := enroll(t, env, u, course.Slug)
	// A later profile change must not rewrite the snapshot reports use.
	mustExec(t, `UPDATE users SET gender = 'female', country = 'FR', audience = 'youth', birth_year = 1950 WHERE id = $1`, u.ID)

	var got struct {
		Gender   string `db:"gender"`
		Audience string `db:"audience"`
		Country  string `db:"country"`
		Region   string `db:"region"`
		LDC      bool   `db:"ldc"`
		SIDS     bool   `db:"sids"`
		LLDC     bool   `db:"lldc"`
		AgeBand  string `db:"age_band"`
		Total    int    `db:"lessons_total"`
		Version  string `db:"version_id"`
	}
	mustGet(t, &got, `SELECT gender, audience, country, region, ldc, sids, lldc, age_band, lessons_total, version_id FROM enrollments WHERE id = $1`, id)
	want := struct {
		Gender, Audience, Country, Region string
		LDC, SIDS, LLDC                   bool
		AgeBand                           string
		Total                             int
	}{"male", "msme", "NP", "asia_pacific", true, false, true, "25_34", 4}
	if got.Gender != want.Gender || got.Audience != want.Audience || got.Country != want.Country || got.Region != want.Region ||
		got.LDC != want.LDC || got.SIDS != want.SIDS || got.LLDC != want.LLDC || got.AgeBand != want.AgeBand || got.Total != want.Total {
		t.Fatalf("snapshot = %+v, want %+v", got, want)
	}
	if got.Version != course.VersionID {
		t.Fatalf("version %s, want %s", got.Version, course.VersionID)
	}
}

func TestVersionPinning(t *testing.T) {
	env := newLearningEnv(t)
	v1 := newCourse(t, courseSpec{Lessons: 2})
	early := env.NewUser(t)
	earlyID := enroll(t, env, early, v1.Slug)
	v2 := publishVersion(t, v1, 2, courseSpec{Lessons: 3})
	late := env.NewUser(t)
	lateID := enroll(t, env, late, v1.Slug)

	t.Run("each learner keeps the version current when they enrolled", func(t *testing.T) {
		var ver string
		mustGet(t, &ver, `SELECT version_id FROM enrollments WHERE id = $1`, earlyID)
		if ver != v1.VersionID {
			t.Fatalf("early learner on %s, want v1 %s", ver, v1.VersionID)
		}
		mustGet(t, &ver, `SELECT version_id FROM enrollments WHERE id = $1`, lateID)
		if ver != v2.VersionID {
			t.Fatalf("late learner on %s, want v2 %s", ver, v2.VersionID)
		}
	})
	t.Run("events for the other version's lessons are rejected", func(t *testing.T) {
		r := sendProgress(t, env, early, []event{lessonEvent(v2.Lessons[0], time.Now()), lessonEvent(v1.Lessons[0], time.Now())})
		if r.Accepted != 1 || len(r.Rejected) != 1 || r.Rejected[0].Error != "lesson is not in the course version you are enrolled in" {
			t.Fatalf("result = %+v", r)
		}
	})
	t.Run("progress counts the pinned version's lessons", func(t *testing.T) {
		p := courseProgress(t, env, early, v1.Slug)
		if p.Percent != 50 || len(p.Lessons) != 2 || p.Lessons[0].ID != v1.Lessons[0] || p.Lessons[0].CompletedAt == nil || p.Lessons[1].CompletedAt != nil {
			t.Fatalf("progress = %+v", p)
		}
		p = courseProgress(t, env, late, v1.Slug)
		if p.Percent != 0 || len(p.Lessons) != 3 || p.Lessons[0].ID != v2.Lessons[0] || p.Lessons[2].ID != v2.Lessons[2] {
			t.Fatalf("late learner's progress = %+v, want v2's three lessons", p)
		}
	})
}

func TestMyEnrollments(t *testing.T) {
	env := newLearningEnv(t)
	u := env.NewUser(t)
	other := env.NewUser(t)
	var ids []string
	for range 3 {
		c := newCourse(t, courseSpec{Lessons: 1})
		ids = append(ids, enroll(t, env, u, c.Slug))
		enroll(t, env, other, c.Slug)
	}
	type page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
	t.Run("newest first, two pages, only the caller's", func(t *testing.T) {
		var p1, p2 page
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me/enrollments?limit=2", Token: u.Token}, http.StatusOK).JSON(t, &p1)
		if len(p1.Items) != 2 || p1.NextCursor == nil || p1.Items[0].ID != ids[2] || p1.Items[1].ID != ids[1] {
			t.Fatalf("page 1 = %+v", p1)
		}
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me/enrollments?limit=2&cursor=" + *p1.NextCursor, Token: u.Token}, http.StatusOK).JSON(t, &p2)
		if len(p2.Items) != 1 || p2.NextCursor != nil || p2.Items[0].ID != ids[0] {
			t.Fatalf("page 2 = %+v", p2)
		}
	})
	for _, tc := range []struct {
		name, query string
		want        int
	}{
		{"bad limit is 400", "?limit=0", http.StatusBadRequest},
		{"bad cursor is 400", "?cursor=garbage!", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me/enrollments" + tc.query, Token: u.Token}, tc.want)
		})
	}
}

func TestCourseProgressIsOwn(t *testing.T) {
	env := newLearningEnv(t)
	c := newCourse(t, courseSpec{Lessons: 2, Quiz: true, PassScore: 50})
	owner := env.NewUser(t)
	enroll(t, env, owner, c.Slug)
	sendProgress(t, env, owner, completeAll(c.Lessons[:1]))
	submitAttempt(t, env, owner, c.Quizzes[0].ID, c.Quizzes[0].halfRight(), http.StatusCreated)

	t.Run("the learner sees lessons and best quiz score", func(t *testing.T) {
		p := courseProgress(t, env, owner, c.Slug)
		if p.Percent != 50 || len(p.Quizzes) != 1 || p.Quizzes[0].BestScore == nil || *p.Quizzes[0].BestScore != 50 || !p.Quizzes[0].Passed {
			t.Fatalf("progress = %+v", p)
		}
	})
	t.Run("every lesson and quiz of the version, in course order, with what the learner did", func(t *testing.T) {
		c := newCourse(t, courseSpec{Modules: 2, Lessons: 2, Quiz: true, PassScore: 60})
		u := env.NewUser(t)
		enroll(t, env, u, c.Slug)
		done := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
		sendProgress(t, env, u, []event{lessonEvent(c.Lessons[2], done), lessonEvent(c.Lessons[1], done.Add(time.Minute))})
		submitAttempt(t, env, u, c.Quizzes[1].ID, c.Quizzes[1].halfRight(), http.StatusCreated)
		submitAttempt(t, env, u, c.Quizzes[1].ID, c.Quizzes[1].rightAnswers(), http.StatusCreated)
		submitAttempt(t, env, u, c.Quizzes[1].ID, c.Quizzes[1].halfRight(), http.StatusCreated)
		p := courseProgress(t, env, u, c.Slug)
		if p.Percent != 50 || len(p.Lessons) != 4 || len(p.Quizzes) != 2 {
			t.Fatalf("progress = %+v", p)
		}
		for i, l := range p.Lessons {
			var want *time.Time
			switch i {
			case 1:
				at := done.Add(time.Minute)
				want = &at
			case 2:
				want = &done
			}
			if l.ID != c.Lessons[i] || (l.CompletedAt == nil) != (want == nil) || (want != nil && !l.CompletedAt.Equal(*want)) {
				t.Errorf("lesson %d = %s completed %v, want %s completed %v", i, l.ID, l.CompletedAt, c.Lessons[i], want)
			}
		}
		if q := p.Quizzes[0]; q.ID != c.Quizzes[0].ID || q.BestScore != nil || q.Passed {
			t.Errorf("quiz not attempted = %+v, want %s with no score, not passed", q, c.Quizzes[0].ID)
		}
		if q := p.Quizzes[1]; q.ID != c.Quizzes[1].ID || q.BestScore == nil || *q.BestScore != 100 || !q.Passed {
			t.Errorf("quiz attempted three times = %+v, want %s best 100, passed", q, c.Quizzes[1].ID)
		}
	})
	t.Run("a learner not enrolled gets 404, never someone else's progress", func(t *testing.T) {
		stranger := env.NewUser(t)
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me/courses/" + c.Slug + "/progress", Token: stranger.Token}, http.StatusNotFound)
	})
	t.Run("unknown course is 404", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me/courses/nope-nope/progress", Token: owner.Token}, http.StatusNotFound)
	})
}
