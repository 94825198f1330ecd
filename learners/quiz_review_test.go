package learners_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/courses"
	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/apptest/learnerstest"
)

// reviewedAttempt is an attempt as the learner is shown it.
type reviewedAttempt struct {
	Attempt struct {
		ID            string `json:"id"`
		AttemptNumber int    `json:"attempt_number"`
		AnswersShown  bool   `json:"answers_shown"`
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

// attemptWithID submits answers under a client-made attempt id.
func attemptWithID(tb testing.TB, env *apptest.Env, u apptest.User, quizID, id string, answers map[string][]string, want int) apptest.Response {
	tb.Helper()
	return env.Expect(tb, apptest.Request{Method: http.MethodPost, Path: "/v1/quizzes/" + quizID + "/attempts", Token: u.Token,
		Body: map[string]any{"id": id, "answers": answers}}, want)
}

// revealsKey reports whether a response shows any part of the answer key.
func revealsKey(body []byte) bool {
	return strings.Contains(string(body), "correct_option_ids") || strings.Contains(string(body), "Because.")
}

func TestQuizReviewPolicy(t *testing.T) {
	env := newLearningEnv(t)
	type quizTaker struct {
		quizFixture
		learner apptest.User
	}
	quizWith := func(t *testing.T, review string, maxAttempts int) quizTaker {
		c := newCourse(t, courseSpec{Lessons: 1, Quiz: true, PassScore: 100, MaxAttempts: maxAttempts})
		mustExec(t, `UPDATE quizzes SET review = $2 WHERE id = $1`, c.Quizzes[0].ID, review)
		u := env.NewUser(t)
		enroll(t, env, u, c.Slug)
		return quizTaker{c.Quizzes[0], u}
	}
	list := func(t *testing.T, q quizTaker) apptest.Response {
		return env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/quizzes/" + q.ID + "/attempts", Token: q.learner.Token}, http.StatusOK)
	}

	t.Run("by default a failed attempt with attempts left reveals nothing", func(t *testing.T) {
		q := quizWith(t, "after_pass_or_last_attempt", 3)
		q1, q2 := q.Questions[0], q.Questions[1]
		first := uuid.NewString()
		half := map[string][]string{q1.ID: q1.Correct, q2.ID: q2.Correct[:1]}
		resp := attemptWithID(t, env, q.learner, q.ID, first, half, http.StatusCreated)
		var r reviewedAttempt
		resp.JSON(t, &r)
		if revealsKey(resp.Body) || r.Attempt.AnswersShown || r.AttemptsLeft != 2 {
			t.Fatalf("failed first attempt reveals the key: %s", resp.Body)
		}
		if len(r.Attempt.Results) != 2 || !r.Attempt.Results[0].Correct || r.Attempt.Results[1].Correct {
			t.Fatalf("which questions were right is not said: %s", resp.Body)
		}
		if b := list(t, q).Body; revealsKey(b) {
			t.Fatalf("the attempt list reveals the key: %s", b)
		}
		if b := attemptWithID(t, env, q.learner, q.ID, first, half, http.StatusOK).Body; revealsKey(b) {
			t.Fatalf("a resent attempt reveals the key: %s", b)
		}
		if b := submitAttempt(t, env, q.learner, q.ID, map[string][]string{}, http.StatusCreated).Body; revealsKey(b) {
			t.Fatalf("an empty second attempt reveals the key: %s", b)
		}

		t.Run("the last attempt reveals it, and then every attempt shows it", func(t *testing.T) {
			resp := submitAttempt(t, env, q.learner, q.ID, map[string][]string{}, http.StatusCreated)
			var r reviewedAttempt
			resp.JSON(t, &r)
			if !r.Attempt.AnswersShown || r.AttemptsLeft != 0 || r.Attempt.Results[0].Explanation != "Because." ||
				!slices.Equal(r.Attempt.Results[0].CorrectOptionIDs, q1.Correct) || len(r.Attempt.Results[1].CorrectOptionIDs) != 2 {
				t.Fatalf("last attempt: %s", resp.Body)
			}
			var page struct {
				Items []struct {
					AnswersShown bool `json:"answers_shown"`
				} `json:"items"`
			}
			list(t, q).JSON(t, &page)
			if len(page.Items) != 3 || !page.Items[0].AnswersShown || !page.Items[2].AnswersShown {
				t.Fatalf("after the last attempt the list shows %+v", page.Items)
			}
		})
	})
	t.Run("by default a passed attempt reveals the key", func(t *testing.T) {
		q := quizWith(t, "after_pass_or_last_attempt", 3)
		var r reviewedAttempt
		submitAttempt(t, env, q.learner, q.ID, q.rightAnswers(), http.StatusCreated).JSON(t, &r)
		if !r.Passed || !r.Attempt.AnswersShown || r.Attempt.Results[1].Explanation != "Because." || r.AttemptsLeft != 2 {
			t.Fatalf("passed attempt: %+v", r)
		}
	})
	t.Run("after_each_attempt reveals the key of a failed first attempt", func(t *testing.T) {
		q := quizWith(t, "after_each_attempt", 3)
		var r reviewedAttempt
		submitAttempt(t, env, q.learner, q.ID, map[string][]string{}, http.StatusCreated).JSON(t, &r)
		if r.Passed || !r.Attempt.AnswersShown || !slices.Equal(r.Attempt.Results[0].CorrectOptionIDs, q.Questions[0].Correct) {
			t.Fatalf("after_each_attempt: %+v", r)
		}
	})
	t.Run("never reveals the key, not even after the last attempt or a pass", func(t *testing.T) {
		q := quizWith(t, "never", 2)
		for _, answers := range []map[string][]string{{}, q.rightAnswers()} {
			resp := submitAttempt(t, env, q.learner, q.ID, answers, http.StatusCreated)
			var r reviewedAttempt
			resp.JSON(t, &r)
			if revealsKey(resp.Body) || r.Attempt.AnswersShown {
				t.Fatalf("never: %s", resp.Body)
			}
		}
		if b := list(t, q).Body; revealsKey(b) {
			t.Fatalf("never: the list reveals the key: %s", b)
		}
	})
}

// quizEnv serves the course routes (GET /v1/quizzes/{id}) with the learning ones.
func quizEnv(tb testing.TB) *apptest.Env {
	tb.Helper()
	env := apptest.New(tb, learningDB, apptest.Options{RedisDB: learningRedisDB})
	courses.NewHandler(courses.NewStore(env.DB.DB), courses.CatalogueRecheck).Register(env.App, env.Auth)
	learnerstest.Mount(env)
	return env
}

// servedQuiz is GET /v1/quizzes/{id} as a learner sees it.
type servedQuiz struct {
	AttemptNumber *int `json:"attempt_number"`
	QuestionCount int  `json:"question_count"`
	Questions     []struct {
		ID      string `json:"id"`
		Options []struct {
			ID  string `json:"id"`
			Key string `json:"key"`
		} `json:"options"`
	} `json:"questions"`
}

func getQuiz(tb testing.TB, env *apptest.Env, u apptest.User, quizID string) servedQuiz {
	tb.Helper()
	var q servedQuiz
	env.Expect(tb, apptest.Request{Method: http.MethodGet, Path: "/v1/quizzes/" + quizID, Token: u.Token}, http.StatusOK).JSON(tb, &q)
	return q
}

// addPool adds n single-choice questions of four options to a quiz fixture;
// option o1 is the right one.
func addPool(tb testing.TB, q *quizFixture, n int) {
	tb.Helper()
	for i := range n {
		var qq questionFixture
		mustGet(tb, &qq.ID, `INSERT INTO quiz_questions (quiz_id, key, position, text, kind, explanation)
			VALUES ($1, $2, $3, 'Pool question?', 'single', 'Because.') RETURNING id`, q.ID, fmt.Sprintf("p%d", i), 100+i)
		for o := 1; o <= 4; o++ {
			var id string
			mustGet(tb, &id, `INSERT INTO quiz_options (question_id, key, position, text, correct)
				VALUES ($1, $2, $3, 'Option', $4) RETURNING id`, qq.ID, fmt.Sprintf("o%d", o), o, o == 1)
			if o == 1 {
				qq.Correct = append(qq.Correct, id)
			} else {
				qq.Wrong = append(qq.Wrong, id)
			}
		}
		q.Questions = append(q.Questions, qq)
	}
}

// answerServed answers the served questions right, choosing options by key
// wherever the shuffle put them.
func answerServed(q quizFixture, s servedQuiz) map[string][]string {
	right := q.rightAnswers()
	answers := map[string][]string{}
	for _, sq := range s.Questions {
		for _, o := range sq.Options {
			if slices.Contains(right[sq.ID], o.ID) {
				answers[sq.ID] = append(answers[sq.ID], o.ID)
			}
		}
		slices.Sort(answers[sq.ID])
	}
	return answers
}

func TestQuizShuffleAndDraw(t *testing.T) {
	env := quizEnv(t)
	c := newCourse(t, courseSpec{Lessons: 1, Quiz: true, PassScore: 100, MaxAttempts: 5})
	q := c.Quizzes[0]
	addPool(t, &q, 8) // a pool of 10
	mustExec(t, `UPDATE quizzes SET draw = 4 WHERE id = $1`, q.ID)
	pool := map[string]bool{}
	for _, qq := range q.Questions {
		pool[qq.ID] = true
	}
	u := env.NewUser(t)
	enroll(t, env, u, c.Slug)

	served := getQuiz(t, env, u, q.ID)
	t.Run("a draw serves N distinct questions of the pool, the same on every read", func(t *testing.T) {
		seen := map[string]bool{}
		for _, sq := range served.Questions {
			if !pool[sq.ID] || seen[sq.ID] {
				t.Fatalf("question %s drawn twice or not from the pool", sq.ID)
			}
			seen[sq.ID] = true
		}
		if len(seen) != 4 || served.QuestionCount != 4 || served.AttemptNumber == nil || *served.AttemptNumber != 1 {
			t.Fatalf("served %d questions, count %d, attempt %v", len(seen), served.QuestionCount, served.AttemptNumber)
		}
		if again := getQuiz(t, env, u, q.ID); fmt.Sprint(again.Questions) != fmt.Sprint(served.Questions) {
			t.Fatalf("a second read serves other questions or orders:\n%v\n%v", served, again)
		}
	})
	t.Run("a question not served in this attempt is 422 naming it", func(t *testing.T) {
		answers := answerServed(q, served)
		var other string
		for _, qq := range q.Questions {
			if _, isServed := answers[qq.ID]; !isServed {
				other = qq.ID
				break
			}
		}
		answers[other] = []string{}
		resp := submitAttempt(t, env, u, q.ID, answers, http.StatusUnprocessableEntity)
		if !strings.Contains(string(resp.Body), `"field":"answers.`+other) {
			t.Fatalf("error does not name %s: %s", other, resp.Body)
		}
	})
	t.Run("grading uses the served questions, options chosen wherever the shuffle put them", func(t *testing.T) {
		var r reviewedAttempt
		submitAttempt(t, env, u, q.ID, map[string][]string{served.Questions[0].ID: answerServed(q, served)[served.Questions[0].ID]},
			http.StatusCreated).JSON(t, &r)
		if r.Score != 25 || len(r.Attempt.Results) != 4 {
			t.Fatalf("one of four right scored %d over %d results", r.Score, len(r.Attempt.Results))
		}
		for i, res := range r.Attempt.Results {
			if res.QuestionID != served.Questions[i].ID {
				t.Fatalf("result %d is for %s, served %s", i, res.QuestionID, served.Questions[i].ID)
			}
		}
		next := getQuiz(t, env, u, q.ID)
		if *next.AttemptNumber != 2 || len(next.Questions) != 4 {
			t.Fatalf("second attempt serves %+v", next)
		}
		submitAttempt(t, env, u, q.ID, answerServed(q, next), http.StatusCreated).JSON(t, &r)
		if r.Score != 100 || !r.Passed {
			t.Fatalf("the second attempt's served questions answered right scored %d", r.Score)
		}
	})
	t.Run("learners are served different questions and option orders", func(t *testing.T) {
		sets, orders := map[string]bool{}, map[string]bool{}
		for range 8 {
			v := env.NewUser(t)
			enroll(t, env, v, c.Slug)
			s := getQuiz(t, env, v, q.ID)
			ids := []string{}
			for _, sq := range s.Questions {
				ids = append(ids, sq.ID)
				keys := []string{}
				for _, o := range sq.Options {
					keys = append(keys, o.Key)
				}
				orders[sq.ID+":"+strings.Join(keys, ",")] = true
			}
			sets[strings.Join(ids, ",")] = true
			submitAttemptChecked(t, env, v, q, s)
		}
		if len(sets) < 3 || len(orders) < 3 {
			t.Fatalf("8 learners got %d question sets and %d option orders", len(sets), len(orders))
		}
	})
	t.Run("staff who are not enrolled preview the whole pool", func(t *testing.T) {
		admin := env.NewUser(t, cc.RoleAdmin)
		s := getQuiz(t, env, admin, q.ID)
		if len(s.Questions) != len(q.Questions) || s.AttemptNumber != nil {
			t.Fatalf("staff preview: %d questions, attempt %v", len(s.Questions), s.AttemptNumber)
		}
	})
}

// submitAttemptChecked answers a learner's served questions right and expects 100.
func submitAttemptChecked(tb testing.TB, env *apptest.Env, u apptest.User, q quizFixture, s servedQuiz) {
	tb.Helper()
	var r reviewedAttempt
	submitAttempt(tb, env, u, q.ID, answerServed(q, s), http.StatusCreated).JSON(tb, &r)
	if r.Score != 100 {
		tb.Fatalf("served questions answered right scored %d", r.Score)
	}
}

func TestQuizShuffleWithoutDraw(t *testing.T) {
	env := quizEnv(t)
	c := newCourse(t, courseSpec{Lessons: 1, Quiz: true, PassScore: 100, MaxAttempts: 5})
	q := c.Quizzes[0]
	firstOrders := map[string]bool{}
	for range 6 {
		u := env.NewUser(t)
		enroll(t, env, u, c.Slug)
		s := getQuiz(t, env, u, q.ID)
		if len(s.Questions) != 2 || s.QuestionCount != 2 {
			t.Fatalf("without a draw every question is served: %+v", s)
		}
		keys := []string{}
		for _, o := range s.Questions[1].Options {
			keys = append(keys, o.Key)
		}
		firstOrders[strings.Join(keys, ",")] = true
		submitAttemptChecked(t, env, u, q, s)
	}
	if len(firstOrders) < 2 {
		t.Fatalf("six learners all saw the options in one order: %v", firstOrders)
	}
}
