package learners_test

import (
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/cybercampus/cybercampus/internal/apptest"
)

// TestQuizAttemptResend covers the offline app resending an attempt whose
// answer it never received: the same client-made id gets the stored result
// (200) and spends no attempt.
func TestQuizAttemptResend(t *testing.T) {
	env := newLearningEnv(t)
	c := newCourse(t, courseSpec{Lessons: 1, Quiz: true, PassScore: 100, MaxAttempts: 2})
	q := c.Quizzes[0]
	u := env.NewUser(t)
	enroll(t, env, u, c.Slug)
	send := func(tb testing.TB, user apptest.User, id string, answers map[string][]string) apptest.Response {
		return env.Do(tb, apptest.Request{Method: http.MethodPost, Path: "/v1/quizzes/" + q.ID + "/attempts", Token: user.Token,
			Body: map[string]any{"id": id, "answers": answers}})
	}
	id := uuid.NewString()
	var first, again attemptResult
	if r := send(t, u, id, q.halfRight()); r.StatusCode != http.StatusCreated {
		t.Fatalf("first send: %d %s", r.StatusCode, r.Body)
	} else {
		r.JSON(t, &first)
	}
	t.Run("the same id and answers return the stored attempt", func(t *testing.T) {
		r := send(t, u, id, q.halfRight())
		if r.StatusCode != http.StatusOK {
			t.Fatalf("resend: %d %s", r.StatusCode, r.Body)
		}
		r.JSON(t, &again)
		if again.Attempt.ID != id || first.Attempt.ID != id || again.Attempt.AttemptNumber != 1 || again.AttemptsLeft != 1 || again.Score != first.Score {
			t.Fatalf("resend answered %+v, first %+v", again, first)
		}
	})
	t.Run("concurrent resends store one attempt", func(t *testing.T) {
		other := env.NewUser(t)
		enroll(t, env, other, c.Slug)
		id := uuid.NewString()
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[int]int{}
		var errs []error
		for range 6 {
			wg.Go(func() {
				r, err := env.Try(apptest.Request{Method: http.MethodPost, Path: "/v1/quizzes/" + q.ID + "/attempts", Token: other.Token,
					Body: map[string]any{"id": id, "answers": q.rightAnswers()}})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				codes[r.StatusCode]++
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		var n int
		mustGet(t, &n, `SELECT count(*) FROM quiz_attempts WHERE user_id = $1`, other.ID)
		if n != 1 || codes[http.StatusCreated] != 1 || codes[http.StatusOK] != 5 {
			t.Fatalf("%d attempts stored, statuses %v", n, codes)
		}
	})
	t.Run("the id with other answers is a conflict", func(t *testing.T) {
		if r := send(t, u, id, q.rightAnswers()); r.StatusCode != http.StatusConflict {
			t.Fatalf("%d %s", r.StatusCode, r.Body)
		}
	})
	t.Run("another learner's attempt id is a conflict and reveals nothing", func(t *testing.T) {
		stranger := env.NewUser(t)
		enroll(t, env, stranger, c.Slug)
		r := send(t, stranger, id, q.halfRight())
		if r.StatusCode != http.StatusConflict || r.Map(t)["attempt"] != nil {
			t.Fatalf("%d %s", r.StatusCode, r.Body)
		}
		var n int
		mustGet(t, &n, `SELECT count(*) FROM quiz_attempts WHERE user_id = $1`, stranger.ID)
		if n != 0 {
			t.Fatal("the stranger's resend stored an attempt")
		}
	})
	t.Run("a resend still answers after the attempts are used up", func(t *testing.T) {
		submitAttempt(t, env, u, q.ID, q.halfRight(), http.StatusCreated)
		submitAttempt(t, env, u, q.ID, q.halfRight(), http.StatusUnprocessableEntity)
		if r := send(t, u, id, q.halfRight()); r.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", r.StatusCode, r.Body)
		}
	})
	t.Run("an id that is not a UUID is 422", func(t *testing.T) {
		if r := send(t, u, "attempt-1", q.halfRight()); r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("%d %s", r.StatusCode, r.Body)
		}
	})
}
