package learners_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/cybercampus/cybercampus/internal/apptest"
)

// allAnswers is a full Short Set with one answer changed per domain given.
func allAnswers(changes map[string]string) map[string]any {
	a := map[string]any{"seeing": "no_difficulty", "hearing": "no_difficulty", "walking": "some_difficulty",
		"cognition": "no_difficulty", "self_care": "no_difficulty", "communication": "no_difficulty"}
	for k, v := range changes {
		a[k] = v
	}
	return a
}

type meView struct {
	ID                 string            `json:"id"`
	FunctioningConsent bool              `json:"functioning_consent"`
	Functioning        map[string]string `json:"functioning"`
}

func patchMe(t *testing.T, env *apptest.Env, u apptest.User, body map[string]any, want int) apptest.Response {
	t.Helper()
	return env.Expect(t, apptest.Request{Method: http.MethodPatch, Path: "/v1/me", Token: u.Token, Body: body}, want)
}

func getMe(t *testing.T, env *apptest.Env, u apptest.User) meView {
	t.Helper()
	var m meView
	env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me", Token: u.Token}, http.StatusOK).JSON(t, &m)
	return m
}

// problemFields returns the field names a 422 names.
func problemFields(t *testing.T, r apptest.Response) []string {
	t.Helper()
	var p struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	r.JSON(t, &p)
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

func TestFunctioningConsent(t *testing.T) {
	env := newLearningEnv(t)

	t.Run("answers without consent are refused and nothing is stored", func(t *testing.T) {
		u := env.NewUser(t)
		r := patchMe(t, env, u, map[string]any{"name": "Changed", "functioning": allAnswers(nil)}, http.StatusUnprocessableEntity)
		if f := problemFields(t, r); len(f) != 1 || f[0] != "functioning_consent" {
			t.Fatalf("fields %v", f)
		}
		var name string
		mustGet(t, &name, `SELECT name FROM users WHERE id = $1`, u.ID)
		if name == "Changed" {
			t.Fatal("the profile changed although the request failed")
		}
		assertNoFunctioning(t, u.ID)
		if m := getMe(t, env, u); m.FunctioningConsent || m.Functioning != nil {
			t.Fatalf("me %+v", m)
		}
	})
	t.Run("bad answers name their field", func(t *testing.T) {
		u := env.NewUser(t)
		a := allAnswers(map[string]string{"hearing": "deaf"})
		delete(a, "self_care")
		r := patchMe(t, env, u, map[string]any{"functioning_consent": true, "functioning": a}, http.StatusUnprocessableEntity)
		if f := strings.Join(problemFields(t, r), ","); f != "functioning.hearing,functioning.self_care" {
			t.Fatalf("fields %s", f)
		}
		assertNoFunctioning(t, u.ID)
	})
	t.Run("answers sent while withdrawing are refused", func(t *testing.T) {
		u := env.NewUser(t)
		r := patchMe(t, env, u, map[string]any{"functioning_consent": false, "functioning": allAnswers(nil)}, http.StatusUnprocessableEntity)
		if f := problemFields(t, r); len(f) != 1 || f[0] != "functioning" {
			t.Fatalf("fields %v", f)
		}
	})
	t.Run("an unknown domain is refused", func(t *testing.T) {
		u := env.NewUser(t)
		patchMe(t, env, u, map[string]any{"functioning_consent": true, "functioning": allAnswers(map[string]string{"upper_body": "no_difficulty"})}, http.StatusUnprocessableEntity)
		assertNoFunctioning(t, u.ID)
	})
	t.Run("with consent the owner sees the answers; later answers need no new consent", func(t *testing.T) {
		u := env.NewUser(t)
		var m meView
		patchMe(t, env, u, map[string]any{"functioning_consent": true, "functioning": allAnswers(nil)}, http.StatusOK).JSON(t, &m)
		if !m.FunctioningConsent || m.Functioning["walking"] != "some_difficulty" || len(m.Functioning) != 6 {
			t.Fatalf("patch answer %+v", m)
		}
		patchMe(t, env, u, map[string]any{"functioning": allAnswers(map[string]string{"seeing": "prefer_not_to_say"})}, http.StatusOK)
		if m = getMe(t, env, u); !m.FunctioningConsent || m.Functioning["seeing"] != "prefer_not_to_say" {
			t.Fatalf("me %+v", m)
		}
	})
	t.Run("consent alone asks nothing yet", func(t *testing.T) {
		u := env.NewUser(t)
		patchMe(t, env, u, map[string]any{"functioning_consent": true}, http.StatusOK)
		if m := getMe(t, env, u); !m.FunctioningConsent || m.Functioning != nil {
			t.Fatalf("me %+v", m)
		}
	})
	t.Run("withdrawing consent erases the answers and the derived status", func(t *testing.T) {
		u := env.NewUser(t)
		course := newCourse(t, courseSpec{Lessons: 1})
		patchMe(t, env, u, map[string]any{"functioning_consent": true, "functioning": allAnswers(map[string]string{"hearing": "cannot_do_at_all"})}, http.StatusOK)
		id := enroll(t, env, u, course.Slug)
		assertDisability(t, id, "yes")
		patchMe(t, env, u, map[string]any{"functioning_consent": false}, http.StatusOK)
		assertNoFunctioning(t, u.ID)
		assertDisability(t, id, "not_stated")
		if m := getMe(t, env, u); m.FunctioningConsent || m.Functioning != nil {
			t.Fatalf("me after withdrawal %+v", m)
		}
		patchMe(t, env, u, map[string]any{"functioning": allAnswers(nil)}, http.StatusUnprocessableEntity)
	})
	t.Run("deleting the account erases the answers", func(t *testing.T) {
		u := env.NewUser(t)
		patchMe(t, env, u, map[string]any{"functioning_consent": true, "functioning": allAnswers(nil)}, http.StatusOK)
		mustExec(t, `DELETE FROM users WHERE id = $1`, u.ID)
		assertNoFunctioning(t, u.ID)
	})
}

func TestFunctioningIsSeenOnlyByItsOwner(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	trainer := env.NewUser(t, "trainer")
	admin := env.NewUser(t, "admin")
	learner, other := env.NewUser(t), env.NewUser(t)
	patchMe(t, env, learner, map[string]any{"functioning_consent": true,
		"functioning": allAnswers(map[string]string{"cognition": "a_lot_of_difficulty"})}, http.StatusOK)
	h := createCohort(t, env, trainer, course.Slug)
	joinCohort(t, env, trainer, learner, h.ID) // the learner accepts, so the trainer sees them

	// The other learner's /v1/me names the field, empty; nothing else names it.
	secrets := []string{"a_lot_of_difficulty", "cognition", "disability"}
	for _, tc := range []struct {
		name string
		req  apptest.Request
	}{
		{"another learner's own profile", apptest.Request{Method: http.MethodGet, Path: "/v1/me", Token: other.Token}},
		{"an admin reading the user", apptest.Request{Method: http.MethodGet, Path: "/v1/users/" + learner.ID, Token: admin.Token}},
		{"the trainer's cohort progress", apptest.Request{Method: http.MethodGet, Path: "/v1/cohorts/" + h.ID + "/progress", Token: trainer.Token}},
		{"the trainer's progress CSV", apptest.Request{Method: http.MethodGet, Path: "/v1/cohorts/" + h.ID + "/progress?format=csv", Token: trainer.Token}},
		{"the cohort", apptest.Request{Method: http.MethodGet, Path: "/v1/cohorts/" + h.ID, Token: trainer.Token}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := env.Expect(t, tc.req, http.StatusOK)
			for _, s := range secrets {
				if strings.Contains(string(r.Body), s) || (tc.req.Path != "/v1/me" && strings.Contains(string(r.Body), "functioning")) {
					t.Fatalf("response shows %q: %s", s, r.Body)
				}
			}
		})
	}
	t.Run("the owner sees them", func(t *testing.T) {
		if m := getMe(t, env, learner); m.Functioning["cognition"] != "a_lot_of_difficulty" {
			t.Fatalf("me %+v", m)
		}
	})
	t.Run("the cohort enrollment snapshots the status", func(t *testing.T) {
		var d string
		mustGet(t, &d, `SELECT disability FROM enrollments WHERE user_id = $1 AND cohort_id = $2`, learner.ID, h.ID)
		if d != "yes" {
			t.Fatalf("disability %q", d)
		}
	})
}

func TestEnrollmentDisabilitySnapshot(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	for _, tc := range []struct {
		name    string
		consent bool
		answers map[string]any
		want    string
	}{
		{"no consent", false, nil, "not_stated"},
		{"consent without answers", true, nil, "not_stated"},
		{"no or some difficulty everywhere", true, allAnswers(nil), "no"},
		{"a lot of difficulty in one domain", true, allAnswers(map[string]string{"walking": "a_lot_of_difficulty"}), "yes"},
		{"cannot do at all in one domain", true, allAnswers(map[string]string{"communication": "cannot_do_at_all"}), "yes"},
		{"a refusal hides whether there is none", true, allAnswers(map[string]string{"self_care": "prefer_not_to_say"}), "not_stated"},
		{"a refusal does not hide a difficulty", true, allAnswers(map[string]string{"seeing": "prefer_not_to_say", "hearing": "cannot_do_at_all"}), "yes"},
		{"all refused", true, allAnswers(map[string]string{"seeing": "prefer_not_to_say", "hearing": "prefer_not_to_say",
			"walking": "prefer_not_to_say", "cognition": "prefer_not_to_say", "self_care": "prefer_not_to_say", "communication": "prefer_not_to_say"}), "not_stated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := env.NewUser(t)
			body := map[string]any{}
			if tc.consent {
				body["functioning_consent"] = true
			}
			if tc.answers != nil {
				body["functioning"] = tc.answers
			}
			if len(body) > 0 {
				patchMe(t, env, u, body, http.StatusOK)
			}
			id := enroll(t, env, u, course.Slug)
			assertDisability(t, id, tc.want)
		})
	}
	t.Run("later answers do not rewrite the snapshot", func(t *testing.T) {
		u := env.NewUser(t)
		patchMe(t, env, u, map[string]any{"functioning_consent": true, "functioning": allAnswers(nil)}, http.StatusOK)
		id := enroll(t, env, u, course.Slug)
		patchMe(t, env, u, map[string]any{"functioning": allAnswers(map[string]string{"seeing": "cannot_do_at_all"})}, http.StatusOK)
		assertDisability(t, id, "no")
	})
}

func assertNoFunctioning(t *testing.T, userID string) {
	t.Helper()
	var n int
	mustGet(t, &n, `SELECT count(*) FROM user_functioning WHERE user_id = $1`, userID)
	if n != 0 {
		t.Fatalf("%d functioning rows for %s", n, userID)
	}
}

func assertDisability(t *testing.T, enrollmentID, want string) {
	t.Helper()
	var got string
	mustGet(t, &got, `SELECT disability FROM enrollments WHERE id = $1`, enrollmentID)
	if got != want {
		t.Fatalf("enrollment disability %q, want %q", got, want)
	}
}
