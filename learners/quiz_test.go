package learners_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/web"
)

type attemptResult struct {
	Attempt struct {
		ID            string `json:"id"`
		AttemptNumber int    `json:"attempt_number"`
		Score         int    `json:"score"`
		Results       []struct {
			QuestionID       string   `json:"question_id"`
			Correct          bool     `json:"correct"`
			CorrectOptionIDs []string `json:"correct_option_ids"`
			Explanation      string   `json:"explanation"`
		} `json:"results"`
	} `json:"attempt"`
	Score        int  `json:"score"`
	Passed       bool `json:"passed"`
	AttemptsLeft int  `json:"attempts_left"`
}

func TestQuizGrading(t *testing.T) {
	env := newLearningEnv(t)
	c := newCourse(t, courseSpec{Lessons: 1, Quiz: true, PassScore: 100, MaxAttempts: 10})
	q := c.Quizzes[0]
	u := env.NewUser(t)
	enroll(t, env, u, c.Slug)
	q1, q2 := q.Questions[0], q.Questions[1]

	for _, tc := range []struct {
		name    string
		answers map[string][]string
		score   int
		passed  bool
	}{
		{"all right passes", q.rightAnswers(), 100, true},
		{"a partial multiple choice is wrong", q.halfRight(), 50, false},
		{"unanswered questions count as wrong", map[string][]string{q1.ID: q1.Correct}, 50, false},
		{"an empty answer counts as wrong", map[string][]string{q1.ID: {}, q2.ID: q2.Correct}, 50, false},
		{"a wrong extra option makes it wrong", map[string][]string{q1.ID: q1.Correct, q2.ID: append([]string{q2.Wrong[0]}, q2.Correct...)}, 50, false},
		{"nothing answered scores 0", map[string][]string{}, 0, false},
		{"upper-case IDs are the same IDs", map[string][]string{strings.ToUpper(q1.ID): {strings.ToUpper(q1.Correct[0])}, q2.ID: q2.Correct}, 100, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r attemptResult
			submitAttempt(t, env, u, q.ID, tc.answers, http.StatusCreated).JSON(t, &r)
			if r.Score != tc.score || r.Passed != tc.passed || r.Attempt.Score != tc.score {
				t.Fatalf("score %d passed %v, want %d %v", r.Score, r.Passed, tc.score, tc.passed)
			}
			if len(r.Attempt.Results) != 2 || r.Attempt.Results[0].Explanation != "Because." || len(r.Attempt.Results[1].CorrectOptionIDs) != 2 {
				t.Fatalf("results = %+v", r.Attempt.Results)
			}
		})
	}
	for _, tc := range []struct {
		name    string
		answers map[string][]string
		field   string
	}{
		{"a question of another quiz", map[string][]string{uuid.NewString(): {q1.Correct[0]}}, "answers."},
		{"an option of another question", map[string][]string{q1.ID: {q2.Correct[0]}}, "answers." + q1.ID},
		{"two options for a single-choice question", map[string][]string{q1.ID: {q1.Correct[0], q1.Wrong[0]}}, "answers." + q1.ID},
		{"a non-UUID question", map[string][]string{"q1": {q1.Correct[0]}}, "answers.q1"},
	} {
		t.Run(tc.name+" is 422 naming it", func(t *testing.T) {
			resp := submitAttempt(t, env, u, q.ID, tc.answers, http.StatusUnprocessableEntity)
			if !strings.Contains(string(resp.Body), `"field":"`+tc.field) {
				t.Fatalf("error does not name %s: %s", tc.field, resp.Body)
			}
		})
	}
	t.Run("answers missing is 422", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/quizzes/" + q.ID + "/attempts", Token: u.Token, Body: map[string]any{}}, http.StatusUnprocessableEntity)
	})
	t.Run("rejected answers used no attempt", func(t *testing.T) {
		var n int
		mustGet(t, &n, `SELECT count(*) FROM quiz_attempts WHERE quiz_id = $1`, q.ID)
		if n != 7 {
			t.Fatalf("%d attempts stored, want 7", n)
		}
	})
}

func TestQuizAccess(t *testing.T) {
	env := newLearningEnv(t)
	c := newCourse(t, courseSpec{Lessons: 1, Quiz: true, PassScore: 50})
	draft := newCourse(t, courseSpec{Lessons: 1, Quiz: true, Draft: true})
	q := c.Quizzes[0]
	enrolled := env.NewUser(t)
	enroll(t, env, enrolled, c.Slug)
	submitAttempt(t, env, enrolled, q.ID, q.rightAnswers(), http.StatusCreated)
	stranger := env.NewUser(t)

	for _, tc := range []struct {
		name   string
		user   apptest.User
		quizID string
		want   int
	}{
		{"not enrolled is 403", stranger, q.ID, http.StatusForbidden},
		{"unknown quiz is 404", enrolled, uuid.NewString(), http.StatusNotFound},
		{"non-UUID quiz is 404", enrolled, "quiz-1", http.StatusNotFound},
		{"a draft's quiz is 404", enrolled, draft.Quizzes[0].ID, http.StatusNotFound},
	} {
		t.Run("submit: "+tc.name, func(t *testing.T) {
			submitAttempt(t, env, tc.user, tc.quizID, map[string][]string{}, tc.want)
		})
		t.Run("list: "+tc.name, func(t *testing.T) {
			env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/quizzes/" + tc.quizID + "/attempts", Token: tc.user.Token}, tc.want)
		})
	}
	t.Run("learner enrolled in another version is 403", func(t *testing.T) {
		publishVersion(t, courseFixture{ID: c.ID, Slug: c.Slug}, 2, courseSpec{Lessons: 1, Quiz: true})
		late := env.NewUser(t)
		enroll(t, env, late, c.Slug)
		submitAttempt(t, env, late, q.ID, map[string][]string{}, http.StatusForbidden)
	})
	t.Run("a learner never sees another learner's attempts", func(t *testing.T) {
		other := env.NewUser(t)
		mustExec(t, `INSERT INTO enrollments (user_id, course_id, version_id, lessons_total, gender, audience, country, region, ldc, sids, lldc, age_band)
			VALUES ($1, $2, $3, 1, 'female', 'youth', 'KE', 'africa', false, false, false, '15_24')`, other.ID, c.ID, c.VersionID)
		var page struct {
			Items []any `json:"items"`
		}
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/quizzes/" + q.ID + "/attempts", Token: other.Token}, http.StatusOK).JSON(t, &page)
		if len(page.Items) != 0 {
			t.Fatalf("sees %d attempts of someone else", len(page.Items))
		}
	})
	t.Run("without a token is 401", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/quizzes/" + q.ID + "/attempts", Body: map[string]any{"answers": map[string]any{}}}, http.StatusUnauthorized)
	})
	t.Run("a cursor that names no attempt is 400", func(t *testing.T) {
		for _, cursor := range []string{"e30", web.EncodeCursor(map[string]int{"n": 0}), web.EncodeCursor(map[string]int{"n": -3})} {
			resp := env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/quizzes/" + q.ID + "/attempts?cursor=" + cursor, Token: enrolled.Token}, http.StatusBadRequest)
			if !strings.Contains(string(resp.Body), `"cursor"`) {
				t.Fatalf("cursor %q: the problem does not name the cursor: %s", cursor, resp.Body)
			}
		}
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/quizzes/" + q.ID + "/attempts?cursor=" + web.EncodeCursor(map[string]int{"n": 1}), Token: enrolled.Token}, http.StatusOK)
	})
}

func TestQuizAttemptLimit(t *testing.T) {
	env := newLearningEnv(t)
	c := newCourse(t, courseSpec{Lessons: 1, Quiz: true, PassScore: 100, MaxAttempts: 3})
	q := c.Quizzes[0]
	u := env.NewUser(t)
	enroll(t, env, u, c.Slug)

	for i, left := range []int{2, 1, 0} {
		var r attemptResult
		submitAttempt(t, env, u, q.ID, q.halfRight(), http.StatusCreated).JSON(t, &r)
		if r.AttemptsLeft != left || r.Attempt.AttemptNumber != i+1 {
			t.Fatalf("attempt %d: number %d, attempts_left %d, want %d", i+1, r.Attempt.AttemptNumber, r.AttemptsLeft, left)
		}
	}
	t.Run("an attempt beyond max_attempts is 422", func(t *testing.T) {
		resp := submitAttempt(t, env, u, q.ID, q.rightAnswers(), http.StatusUnprocessableEntity)
		if !strings.Contains(string(resp.Body), "all 3 attempts") {
			t.Fatalf("unclear message: %s", resp.Body)
		}
	})
	t.Run("concurrent attempts never exceed the limit", func(t *testing.T) {
		other := env.NewUser(t)
		enroll(t, env, other, c.Slug)
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[int]int{}
		var errs []error
		for range 8 {
			wg.Go(func() {
				resp, err := env.Try(apptest.Request{Method: http.MethodPost, Path: "/v1/quizzes/" + q.ID + "/attempts", Token: other.Token,
					Body: map[string]any{"answers": q.halfRight()}})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				codes[resp.StatusCode]++
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if codes[http.StatusCreated] != 3 || codes[http.StatusUnprocessableEntity] != 5 {
			t.Fatalf("status counts %v, want 3 created and 5 refused", codes)
		}
	})
	t.Run("attempts are listed newest first and paginated", func(t *testing.T) {
		type page struct {
			Items []struct {
				AttemptNumber int `json:"attempt_number"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		var p1, p2 page
		base := "/v1/quizzes/" + q.ID + "/attempts?limit=2"
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: base, Token: u.Token}, http.StatusOK).JSON(t, &p1)
		if len(p1.Items) != 2 || p1.Items[0].AttemptNumber != 3 || p1.Items[1].AttemptNumber != 2 || p1.NextCursor == nil {
			t.Fatalf("page 1 = %+v", p1)
		}
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: base + "&cursor=" + *p1.NextCursor, Token: u.Token}, http.StatusOK).JSON(t, &p2)
		if len(p2.Items) != 1 || p2.Items[0].AttemptNumber != 1 || p2.NextCursor != nil {
			t.Fatalf("page 2 = %+v", p2)
		}
	})
}

func TestCompletion(t *testing.T) {
	env := newLearningEnv(t)
	spec := courseSpec{Modules: 2, Lessons: 2, Quiz: true, PassScore: 100, MaxAttempts: 5}

	t.Run("lessons done and every quiz passed completes once with one certificate task", func(t *testing.T) {
		c := newCourse(t, spec)
		u := env.NewUser(t)
		id := enroll(t, env, u, c.Slug)
		sendProgress(t, env, u, completeAll(c.Lessons))
		submitAttempt(t, env, u, c.Quizzes[0].ID, c.Quizzes[0].rightAnswers(), http.StatusCreated)
		if status, _, _ := enrollmentStatus(t, id); status != "active" {
			t.Fatalf("completed with a quiz still to pass")
		}
		submitAttempt(t, env, u, c.Quizzes[1].ID, c.Quizzes[1].rightAnswers(), http.StatusCreated)
		if status, _, pct := enrollmentStatus(t, id); status != "completed" || pct != 100 {
			t.Fatalf("status %s, percent %d", status, pct)
		}
		// Passing again and replaying progress must not queue a second certificate.
		submitAttempt(t, env, u, c.Quizzes[1].ID, c.Quizzes[1].rightAnswers(), http.StatusCreated)
		sendProgress(t, env, u, completeAll(c.Lessons))
		if n := certificateTasks(t, id); n != 1 {
			t.Fatalf("%d certificate tasks, want 1", n)
		}
		var e struct {
			Status      string  `json:"status"`
			CompletedAt *string `json:"completed_at"`
		}
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/courses/" + c.Slug + "/enrollments", Token: u.Token}, http.StatusOK).JSON(t, &e)
		if e.Status != "completed" || e.CompletedAt == nil {
			t.Fatalf("enrollment = %+v", e)
		}
	})
	t.Run("quizzes first, then the last lesson completes", func(t *testing.T) {
		c := newCourse(t, spec)
		u := env.NewUser(t)
		id := enroll(t, env, u, c.Slug)
		for _, q := range c.Quizzes {
			submitAttempt(t, env, u, q.ID, q.rightAnswers(), http.StatusCreated)
		}
		sendProgress(t, env, u, completeAll(c.Lessons[:3]))
		if status, _, _ := enrollmentStatus(t, id); status != "active" {
			t.Fatalf("completed with a lesson left")
		}
		sendProgress(t, env, u, completeAll(c.Lessons[3:]))
		if status, _, _ := enrollmentStatus(t, id); status != "completed" || certificateTasks(t, id) != 1 {
			t.Fatalf("status %s, certificate tasks %d", status, certificateTasks(t, id))
		}
	})
	t.Run("a failed quiz does not complete", func(t *testing.T) {
		c := newCourse(t, spec)
		u := env.NewUser(t)
		id := enroll(t, env, u, c.Slug)
		sendProgress(t, env, u, completeAll(c.Lessons))
		submitAttempt(t, env, u, c.Quizzes[0].ID, c.Quizzes[0].rightAnswers(), http.StatusCreated)
		var r attemptResult
		submitAttempt(t, env, u, c.Quizzes[1].ID, c.Quizzes[1].halfRight(), http.StatusCreated).JSON(t, &r)
		if r.Passed {
			t.Fatal("50% passed a quiz needing 100%")
		}
		if status, _, _ := enrollmentStatus(t, id); status != "active" || certificateTasks(t, id) != 0 {
			t.Fatalf("status %s, certificate tasks %d", status, certificateTasks(t, id))
		}
	})
	t.Run("lessons finished after a failed quiz do not complete", func(t *testing.T) {
		c := newCourse(t, spec)
		u := env.NewUser(t)
		id := enroll(t, env, u, c.Slug)
		submitAttempt(t, env, u, c.Quizzes[0].ID, c.Quizzes[0].rightAnswers(), http.StatusCreated)
		submitAttempt(t, env, u, c.Quizzes[1].ID, c.Quizzes[1].halfRight(), http.StatusCreated)
		sendProgress(t, env, u, completeAll(c.Lessons))
		if status, _, _ := enrollmentStatus(t, id); status != "active" || certificateTasks(t, id) != 0 {
			t.Fatalf("status %s, certificate tasks %d", status, certificateTasks(t, id))
		}
	})
	t.Run("the last lesson and the last quiz at once complete once", func(t *testing.T) {
		// Whichever commits second must see the other's work: both update
		// the enrollment's progress row before they check, the progress
		// write completes in a transaction after its lessons committed, and
		// the attempt checks after its row update, in the same transaction.
		for range 10 {
			c := newCourse(t, spec)
			u := env.NewUser(t)
			id := enroll(t, env, u, c.Slug)
			sendProgress(t, env, u, completeAll(c.Lessons[:3]))
			submitAttempt(t, env, u, c.Quizzes[0].ID, c.Quizzes[0].rightAnswers(), http.StatusCreated)
			var wg sync.WaitGroup
			var progressErr, attemptErr error
			wg.Go(func() { _, progressErr = tryProgress(env, u, completeAll(c.Lessons[3:])) })
			wg.Go(func() {
				resp, err := env.Try(apptest.Request{Method: http.MethodPost, Path: "/v1/quizzes/" + c.Quizzes[1].ID + "/attempts",
					Token: u.Token, Body: map[string]any{"answers": c.Quizzes[1].rightAnswers()}})
				if err == nil && resp.StatusCode != http.StatusCreated {
					err = fmt.Errorf("attempt: status %d: %s", resp.StatusCode, resp.Body)
				}
				attemptErr = err
			})
			wg.Wait()
			if err := errors.Join(progressErr, attemptErr); err != nil {
				t.Fatal(err)
			}
			if status, _, _ := enrollmentStatus(t, id); status != "completed" || certificateTasks(t, id) != 1 {
				t.Fatalf("status %s, certificate tasks %d", status, certificateTasks(t, id))
			}
		}
	})
	t.Run("a course without quizzes completes with its last lesson", func(t *testing.T) {
		c := newCourse(t, courseSpec{Lessons: 3})
		u := env.NewUser(t)
		id := enroll(t, env, u, c.Slug)
		sendProgress(t, env, u, completeAll(c.Lessons))
		if status, _, _ := enrollmentStatus(t, id); status != "completed" || certificateTasks(t, id) != 1 {
			t.Fatalf("status %s, certificate tasks %d", status, certificateTasks(t, id))
		}
	})
	t.Run("the last two lessons from two devices at once complete once", func(t *testing.T) {
		// Neither batch sees the other's lesson in its snapshot; the second
		// to update the progress row adds to the row the first left, and so
		// reports the enrollment finished.
		for range 10 {
			c := newCourse(t, courseSpec{Lessons: 3})
			u := env.NewUser(t)
			id := enroll(t, env, u, c.Slug)
			sendProgress(t, env, u, completeAll(c.Lessons[:1]))
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i := range 2 {
				wg.Go(func() { _, errs[i] = tryProgress(env, u, completeAll(c.Lessons[1+i:2+i])) })
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			status, done, pct := enrollmentStatus(t, id)
			if status != "completed" || done != 3 || pct != 100 || certificateTasks(t, id) != 1 {
				t.Fatalf("status %s, %d lessons, %d %%, certificate tasks %d", status, done, pct, certificateTasks(t, id))
			}
		}
	})
}
