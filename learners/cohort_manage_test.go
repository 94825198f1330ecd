package learners_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/cybercampus/cybercampus/internal/apptest"
)

func patchCohort(tb testing.TB, env *apptest.Env, u apptest.User, id string, body any, want int) (cohortView, apptest.Response) {
	tb.Helper()
	var r struct {
		Cohort cohortView `json:"cohort"`
	}
	resp := env.Expect(tb, apptest.Request{Method: http.MethodPatch, Path: "/v1/cohorts/" + id, Token: u.Token, Body: body}, want)
	if want == http.StatusOK {
		resp.JSON(tb, &r)
	}
	return r.Cohort, resp
}

func TestRenameAndRedateCohort(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	trainer := env.NewUser(t, "trainer")
	h := createCohort(t, env, trainer, course.Slug)

	t.Run("renaming and re-dating change only what was sent", func(t *testing.T) {
		got, _ := patchCohort(t, env, trainer, h.ID, map[string]any{"name": "  Mombasa autumn  "}, http.StatusOK)
		if got.Name != "Mombasa autumn" || got.StartsOn != "2026-03-01" || got.EndsOn != "2026-05-31" {
			t.Fatalf("renamed = %+v", got)
		}
		got, _ = patchCohort(t, env, trainer, h.ID, map[string]any{"starts_on": "2026-04-01", "ends_on": "2026-06-30"}, http.StatusOK)
		if got.Name != "Mombasa autumn" || got.StartsOn != "2026-04-01" || got.EndsOn != "2026-06-30" {
			t.Fatalf("re-dated = %+v", got)
		}
	})
	for _, tc := range []struct {
		name   string
		body   map[string]any
		fields []string
	}{
		{"nothing to change", map[string]any{}, []string{"name"}},
		{"a blank name", map[string]any{"name": "  "}, []string{"name"}},
		{"a name too long", map[string]any{"name": strings.Repeat("x", 201)}, []string{"name"}},
		{"a name with control characters", map[string]any{"name": "a\u0007b"}, []string{"name"}},
		{"malformed dates", map[string]any{"starts_on": "1 April", "ends_on": "2026-02-30"}, []string{"starts_on", "ends_on"}},
		{"an end before the current start", map[string]any{"ends_on": "2026-01-01"}, []string{"ends_on"}},
		{"a start after the current end", map[string]any{"starts_on": "2027-01-01"}, []string{"ends_on"}},
		{"a field that cannot change", map[string]any{"course": "other"}, []string{"course"}},
		{"a wrong type", map[string]any{"name": 7}, []string{"name"}},
		{"a blank name and a bad date together", map[string]any{"name": "", "ends_on": "soon"}, []string{"name", "ends_on"}},
	} {
		t.Run(tc.name+" is 422 naming the field, and changes nothing", func(t *testing.T) {
			_, resp := patchCohort(t, env, trainer, h.ID, tc.body, http.StatusUnprocessableEntity)
			for _, f := range tc.fields {
				if !strings.Contains(string(resp.Body), `"field":"`+f+`"`) {
					t.Errorf("error does not name %s: %s", f, resp.Body)
				}
			}
			var got cohortView
			env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/cohorts/" + h.ID, Token: trainer.Token}, http.StatusOK).JSON(t, &got)
			if got.Name != "Mombasa autumn" || got.StartsOn != "2026-04-01" || got.EndsOn != "2026-06-30" {
				t.Fatalf("a refused change was applied: %+v", got)
			}
		})
	}
	t.Run("malformed JSON is 400", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: http.MethodPatch, Path: "/v1/cohorts/" + h.ID, Token: trainer.Token,
			Raw: []byte(`{"name":`), Type: "application/json"}, http.StatusBadRequest)
	})
}

func TestRemoveMember(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 2})
	trainer := env.NewUser(t, "trainer")
	h := createCohort(t, env, trainer, course.Slug)
	u := env.NewUser(t)
	joinCohort(t, env, trainer, u, h.ID)
	sendProgress(t, env, u, completeAll(course.Lessons[:1]))
	path := "/v1/cohorts/" + h.ID + "/members/" + u.ID

	env.Expect(t, apptest.Request{Method: http.MethodDelete, Path: path, Token: trainer.Token}, http.StatusNoContent)
	t.Run("the learner leaves the cohort and its progress list", func(t *testing.T) {
		if isMember(t, h.ID, u.ID) {
			t.Fatal("still a member")
		}
		var got cohortView
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/cohorts/" + h.ID, Token: trainer.Token}, http.StatusOK).JSON(t, &got)
		if got.Counts.Members != 0 {
			t.Fatalf("counts = %+v", got.Counts)
		}
	})
	t.Run("the enrollment and its progress stay the learner's, outside the cohort", func(t *testing.T) {
		var e struct {
			Cohort  *string `db:"cohort_id"`
			Percent int     `db:"progress_percent"`
		}
		if err := learningDB.Get(&e, `SELECT e.cohort_id::text, enrollment_percent(e.status, ep.lessons_completed, e.lessons_total) AS progress_percent
			FROM enrollments e LEFT JOIN enrollment_progress ep ON ep.enrollment_id = e.id WHERE e.user_id = $1 AND e.course_id = $2`, u.ID, course.ID); err != nil {
			t.Fatal(err)
		}
		if e.Cohort != nil || e.Percent != 50 {
			t.Fatalf("enrollment = %+v", e)
		}
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me/courses/" + course.Slug + "/progress", Token: u.Token}, http.StatusOK)
	})
	t.Run("removing again, an unknown user or a malformed id is 404", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: http.MethodDelete, Path: path, Token: trainer.Token}, http.StatusNotFound)
		env.Expect(t, apptest.Request{Method: http.MethodDelete, Path: "/v1/cohorts/" + h.ID + "/members/" + uuid.NewString(), Token: trainer.Token}, http.StatusNotFound)
		env.Expect(t, apptest.Request{Method: http.MethodDelete, Path: "/v1/cohorts/" + h.ID + "/members/nope", Token: trainer.Token}, http.StatusNotFound)
	})
	t.Run("the used invitation cannot bring the learner back; a new one can", func(t *testing.T) {
		var id string
		mustGet(t, &id, `SELECT id FROM cohort_invitations WHERE cohort_id = $1 AND email_key = lower($2)`, h.ID, u.Email)
		answer(t, env, u, id, "accept", http.StatusConflict)
		joinCohort(t, env, trainer, u, h.ID)
		if !isMember(t, h.ID, u.ID) {
			t.Fatal("re-invited learner did not rejoin")
		}
	})
}

func TestEndedCohort(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	trainer := env.NewUser(t, "trainer")
	h := createCohort(t, env, trainer, course.Slug)
	member, invitee := env.NewUser(t), env.NewUser(t)
	joinCohort(t, env, trainer, member, h.ID)
	sendProgress(t, env, member, completeAll(course.Lessons))
	var enrollment string
	mustGet(t, &enrollment, `SELECT id FROM enrollments WHERE user_id = $1`, member.ID)
	issueCertificate(t, member.ID, enrollment, course)
	invite(t, env, trainer, h.ID, map[string]any{"emails": []string{invitee.Email}})
	pending := invitationTo(t, env, invitee, h.ID)
	jc := newJoinCode(t, env, trainer, h.ID)

	var r struct {
		Cohort cohortView `json:"cohort"`
	}
	env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/" + h.ID + "/archive", Token: trainer.Token}, http.StatusOK).JSON(t, &r)
	if r.Cohort.ArchivedAt == nil {
		t.Fatalf("cohort = %+v", r.Cohort)
	}
	t.Run("ending again changes nothing", func(t *testing.T) {
		var again struct {
			Cohort cohortView `json:"cohort"`
		}
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/" + h.ID + "/archive", Token: trainer.Token}, http.StatusOK).JSON(t, &again)
		if again.Cohort.ArchivedAt == nil || *again.Cohort.ArchivedAt != *r.Cohort.ArchivedAt {
			t.Fatalf("archived_at moved: %v -> %v", r.Cohort.ArchivedAt, again.Cohort.ArchivedAt)
		}
	})
	t.Run("members keep their membership, enrollment and certificate", func(t *testing.T) {
		var certified bool
		mustGet(t, &certified, `SELECT EXISTS (SELECT 1 FROM certificates WHERE enrollment_id = $1 AND revoked_at IS NULL)`, enrollment)
		if !isMember(t, h.ID, member.ID) || enrollments(t, member.ID, course.ID) != 1 || !certified || r.Cohort.Counts.Certified != 1 {
			t.Fatalf("member %v, certified %v, counts %+v", isMember(t, h.ID, member.ID), certified, r.Cohort.Counts)
		}
	})
	t.Run("no new invitations, join codes, joins or changes", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/" + h.ID + "/members", Token: trainer.Token,
			Body: map[string]any{"emails": []string{"late@example.org"}}}, http.StatusConflict)
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/" + h.ID + "/join-code", Token: trainer.Token}, http.StatusConflict)
		patchCohort(t, env, trainer, h.ID, map[string]any{"name": "Reopened"}, http.StatusConflict)
		joinWith(t, env, env.NewUser(t), jc.Code, http.StatusNotFound)
		if invitationTo(t, env, invitee, h.ID) != "" {
			t.Fatal("an ended cohort's invitation is still listed")
		}
		answer(t, env, invitee, pending, "accept", http.StatusConflict)
		if isMember(t, h.ID, invitee.ID) || invitationsIn(t, h.ID) != 2 { // the member's and the invitee's
			t.Fatal("an ended cohort took a member or an invitation")
		}
	})
	t.Run("the trainer still reads its progress and may remove a member", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/cohorts/" + h.ID + "/progress?format=csv", Token: trainer.Token}, http.StatusOK)
		env.Expect(t, apptest.Request{Method: http.MethodDelete, Path: "/v1/cohorts/" + h.ID + "/members/" + member.ID, Token: trainer.Token}, http.StatusNoContent)
	})
}
