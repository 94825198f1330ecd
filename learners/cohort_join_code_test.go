package learners_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/apptest/learnerstest"
	"github.com/cybercampus/cybercampus/learners"
)

type joinCodeView struct {
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expires_at"`
}

func newJoinCode(tb testing.TB, env *apptest.Env, trainer apptest.User, cohortID string) joinCodeView {
	tb.Helper()
	var jc joinCodeView
	env.Expect(tb, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/" + cohortID + "/join-code", Token: trainer.Token},
		http.StatusCreated).JSON(tb, &jc)
	return jc
}

func joinWith(tb testing.TB, env *apptest.Env, u apptest.User, code string, want int) apptest.Response {
	tb.Helper()
	return env.Expect(tb, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/join", Token: u.Token,
		Body: map[string]any{"code": code}}, want)
}

var codeShape = regexp.MustCompile(`^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}$`)

func TestJoinCodes(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	trainer := env.NewUser(t, "trainer")
	h := createCohort(t, env, trainer, course.Slug)
	jc := newJoinCode(t, env, trainer, h.ID)

	t.Run("a code is short, from an unambiguous alphabet, and expires", func(t *testing.T) {
		left := time.Until(jc.ExpiresAt)
		if !codeShape.MatchString(jc.Code) || left < 13*24*time.Hour || left > 14*24*time.Hour+time.Minute {
			t.Fatalf("code = %+v", jc)
		}
	})
	t.Run("a learner joins with the code as typed (any case, spaces, dashes) and is enrolled", func(t *testing.T) {
		u := env.NewUser(t)
		typed := strings.ToLower(jc.Code[:4]) + " - " + jc.Code[4:]
		var r struct {
			Cohort learnerCohortView `json:"cohort"`
		}
		joinWith(t, env, u, typed, http.StatusOK).JSON(t, &r)
		if r.Cohort.ID != h.ID || r.Cohort.Course.Slug != course.Slug || r.Cohort.Name != "Nairobi spring" {
			t.Fatalf("cohort = %+v", r.Cohort)
		}
		var via string
		mustGet(t, &via, `SELECT joined_via FROM cohort_members WHERE cohort_id = $1 AND user_id = $2`, h.ID, u.ID)
		if via != "join_code" || enrollments(t, u.ID, course.ID) != 1 {
			t.Fatalf("joined via %q, %d enrollments", via, enrollments(t, u.ID, course.ID))
		}
		joinWith(t, env, u, jc.Code, http.StatusOK)
	})
	t.Run("joining by code answers the learner's pending invitation to that cohort", func(t *testing.T) {
		u := env.NewUser(t)
		invite(t, env, trainer, h.ID, map[string]any{"emails": []string{u.Email}})
		joinWith(t, env, u, jc.Code, http.StatusOK)
		if invitationTo(t, env, u, h.ID) != "" {
			t.Fatal("the invitation is still pending after joining by code")
		}
	})
	t.Run("wrong, malformed and empty codes", func(t *testing.T) {
		u := env.NewUser(t)
		joinWith(t, env, u, "ABCDEFGH", http.StatusNotFound)
		joinWith(t, env, u, "O0I1L", http.StatusNotFound)
		joinWith(t, env, u, strings.Repeat("A", 5000), http.StatusNotFound)
		joinWith(t, env, u, "", http.StatusUnprocessableEntity)
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/join", Token: u.Token,
			Body: map[string]any{"code": jc.Code, "cohort_id": h.ID}}, http.StatusUnprocessableEntity)
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/join", Body: map[string]any{"code": jc.Code}}, http.StatusUnauthorized)
		if isMember(t, h.ID, u.ID) {
			t.Fatal("a refused join made a member")
		}
	})
	t.Run("staff-only accounts cannot join by code", func(t *testing.T) {
		u := env.NewUser(t, "analyst")
		joinWith(t, env, u, jc.Code, http.StatusForbidden)
		if isMember(t, h.ID, u.ID) {
			t.Fatal("an analyst joined")
		}
	})
	t.Run("a new code replaces the earlier one", func(t *testing.T) {
		next := newJoinCode(t, env, trainer, h.ID)
		u := env.NewUser(t)
		joinWith(t, env, u, jc.Code, http.StatusNotFound)
		joinWith(t, env, u, next.Code, http.StatusOK)
		jc = next
	})
	t.Run("an expired code is a 404", func(t *testing.T) {
		mustExec(t, `UPDATE cohort_join_codes SET created_at = now() - interval '15 days', expires_at = now() - interval '1 minute' WHERE code = $1`, jc.Code)
		u := env.NewUser(t)
		joinWith(t, env, u, jc.Code, http.StatusNotFound)
		if isMember(t, h.ID, u.ID) {
			t.Fatal("an expired code made a member")
		}
	})
}

func TestJoinCodeGuessingIsLimited(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	trainer := env.NewUser(t, "trainer")
	h := createCohort(t, env, trainer, course.Slug)
	jc := newJoinCode(t, env, trainer, h.ID)
	guesser := env.NewUser(t)
	for i := range learners.DefaultJoinLimits.PerUser {
		joinWith(t, env, guesser, "ZZZZZZZ"+string(joinCodeAlphabet[i%len(joinCodeAlphabet)]), http.StatusNotFound)
	}
	t.Run("past the per-account limit every try is a 429 with Retry-After, even the right code", func(t *testing.T) {
		resp := joinWith(t, env, guesser, jc.Code, http.StatusTooManyRequests)
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
			t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
		}
		if isMember(t, h.ID, guesser.ID) {
			t.Fatal("a rate-limited try joined")
		}
	})
	t.Run("another learner is not held back by the guesser", func(t *testing.T) {
		joinWith(t, env, env.NewUser(t), jc.Code, http.StatusOK)
	})
}

const joinCodeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

func TestJoinCodeGuessingIsLimitedPerAddress(t *testing.T) {
	env := apptest.New(t, learningDB, apptest.Options{RedisDB: learningRedisDB})
	cohorts := learnerstest.Mount(env).Cohorts
	cohorts.Limits = learners.JoinLimits{PerUser: 10, PerIP: 3, Window: time.Minute}
	for range 3 {
		joinWith(t, env, env.NewUser(t), "ZZZZZZZZ", http.StatusNotFound)
	}
	resp := joinWith(t, env, env.NewUser(t), "ZZZZZZZZ", http.StatusTooManyRequests)
	if resp.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}
