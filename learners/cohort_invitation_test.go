package learners_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

// learnerCohortView is a cohort as invitees and members see it.
type learnerCohortView struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Course struct {
		Slug  string `json:"slug"`
		Title string `json:"title"`
	} `json:"course"`
	StartsOn string `json:"starts_on"`
	EndsOn   string `json:"ends_on"`
	Trainer  struct {
		Name string `json:"name"`
	} `json:"trainer"`
}

// invitationView is an item of GET /v1/me/invitations.
type invitationView struct {
	ID        string            `json:"id"`
	Cohort    learnerCohortView `json:"cohort"`
	ExpiresAt time.Time         `json:"expires_at"`
}

func invite(tb testing.TB, env *apptest.Env, trainer apptest.User, cohortID string, body any) membersResult {
	tb.Helper()
	var r membersResult
	env.Expect(tb, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/" + cohortID + "/members", Token: trainer.Token, Body: body},
		http.StatusOK).JSON(tb, &r)
	return r
}

func myInvitations(tb testing.TB, env *apptest.Env, u apptest.User) []invitationView {
	tb.Helper()
	var p struct {
		Items []invitationView `json:"items"`
	}
	env.Expect(tb, apptest.Request{Method: http.MethodGet, Path: "/v1/me/invitations?limit=200", Token: u.Token}, http.StatusOK).JSON(tb, &p)
	return p.Items
}

// invitationTo returns the id of u's pending invitation to the cohort, "" when there is none.
func invitationTo(tb testing.TB, env *apptest.Env, u apptest.User, cohortID string) string {
	tb.Helper()
	for _, i := range myInvitations(tb, env, u) {
		if i.Cohort.ID == cohortID {
			return i.ID
		}
	}
	return ""
}

func answer(tb testing.TB, env *apptest.Env, u apptest.User, invitationID, verb string, want int) apptest.Response {
	tb.Helper()
	return env.Expect(tb, apptest.Request{Method: http.MethodPost, Path: "/v1/invitations/" + invitationID + "/" + verb, Token: u.Token}, want)
}

// joinCohort invites u and has u accept, the consent flow every member goes through.
func joinCohort(tb testing.TB, env *apptest.Env, trainer, u apptest.User, cohortID string) {
	tb.Helper()
	invite(tb, env, trainer, cohortID, map[string]any{"emails": []string{u.Email}})
	id := invitationTo(tb, env, u, cohortID)
	if id == "" {
		tb.Fatalf("%s has no invitation to %s", u.Email, cohortID)
	}
	answer(tb, env, u, id, "accept", http.StatusOK)
}

func invitationsIn(tb testing.TB, cohortID string) int {
	tb.Helper()
	var n int
	mustGet(tb, &n, `SELECT count(*) FROM cohort_invitations WHERE cohort_id = $1`, cohortID)
	return n
}

func isMember(tb testing.TB, cohortID, userID string) bool {
	tb.Helper()
	var ok bool
	mustGet(tb, &ok, `SELECT EXISTS (SELECT 1 FROM cohort_members WHERE cohort_id = $1 AND user_id = $2)`, cohortID, userID)
	return ok
}

func enrollments(tb testing.TB, userID, courseID string) int {
	tb.Helper()
	var n int
	mustGet(tb, &n, `SELECT count(*) FROM enrollments WHERE user_id = $1 AND course_id = $2`, userID, courseID)
	return n
}

func TestInvitationsNeverTellWhoHasAnAccount(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	trainer := env.NewUser(t, "trainer")
	h := createCohort(t, env, trainer, course.Slug)
	registered, staff := env.NewUser(t), env.NewUser(t, "analyst")
	unregistered := "nobody-" + pgtest.RandomSuffix() + "@example.org"

	var bodies [][]byte
	for _, email := range []string{registered.Email, unregistered, staff.Email} {
		resp := env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/" + h.ID + "/members", Token: trainer.Token,
			Body: map[string]any{"emails": []string{email}}}, http.StatusOK)
		bodies = append(bodies, resp.Body)
	}
	t.Run("a registered, an unregistered and a staff address get byte-identical answers", func(t *testing.T) {
		for _, b := range bodies[1:] {
			if !bytes.Equal(b, bodies[0]) {
				t.Fatalf("answers differ: %s vs %s", bodies[0], b)
			}
		}
		if string(bodies[0]) != `{"invited":1,"already_members":0,"errors":[]}` {
			t.Fatalf("answer %s", bodies[0])
		}
	})
	t.Run("each address got one invitation and one email task, whether or not it has an account", func(t *testing.T) {
		var rows []struct {
			Email string `db:"email"`
			Tasks int    `db:"tasks"`
		}
		if err := learningDB.Select(&rows, `SELECT i.email, (SELECT count(*) FROM outbox o WHERE o.task_type = 'cohort:invitation'
			AND o.payload->>'invitation_id' = i.id::text) AS tasks FROM cohort_invitations i WHERE i.cohort_id = $1`, h.ID); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 {
			t.Fatalf("%d invitations", len(rows))
		}
		for _, r := range rows {
			if r.Tasks != 1 {
				t.Fatalf("%s has %d email tasks", r.Email, r.Tasks)
			}
		}
	})
	t.Run("nobody is a member, enrolled or visible to the trainer before accepting", func(t *testing.T) {
		if isMember(t, h.ID, registered.ID) || enrollments(t, registered.ID, course.ID) != 0 {
			t.Fatal("the registered invitee joined or was enrolled without accepting")
		}
		resp := env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/cohorts/" + h.ID + "/progress", Token: trainer.Token}, http.StatusOK)
		if strings.Contains(string(resp.Body), registered.ID) || strings.Contains(string(resp.Body), registered.Email) {
			t.Fatalf("progress shows an invitee: %s", resp.Body)
		}
		var p struct {
			Cohort  cohortView `json:"cohort"`
			Members []any      `json:"members"`
		}
		resp.JSON(t, &p)
		if len(p.Members) != 0 || p.Cohort.Counts.Members != 0 || p.Cohort.Counts.PendingInvitations != 3 {
			t.Fatalf("progress = %+v", p)
		}
	})
}

func TestInvitationLifecycle(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 2})
	trainer := env.NewUserWith(t, apptest.Profile{Name: "Trainer Amina"}, "trainer")
	h := createCohort(t, env, trainer, course.Slug)

	t.Run("the invitee sees the invitation with its cohort, course, dates, trainer and expiry", func(t *testing.T) {
		u := env.NewUser(t)
		invite(t, env, trainer, h.ID, map[string]any{"emails": []string{strings.ToUpper(u.Email)}})
		items := myInvitations(t, env, u)
		if len(items) != 1 {
			t.Fatalf("%d invitations", len(items))
		}
		i := items[0]
		left := time.Until(i.ExpiresAt)
		if i.Cohort.ID != h.ID || i.Cohort.Name != "Nairobi spring" || i.Cohort.Course.Slug != course.Slug || i.Cohort.Course.Title == "" ||
			i.Cohort.StartsOn != "2026-03-01" || i.Cohort.EndsOn != "2026-05-31" || i.Cohort.Trainer.Name != "Trainer Amina" ||
			left < 13*24*time.Hour || left > 14*24*time.Hour+time.Minute {
			t.Fatalf("invitation = %+v", i)
		}
	})
	t.Run("only the invitee may see, accept or decline it; others get 404", func(t *testing.T) {
		u, other := env.NewUser(t), env.NewUser(t)
		invite(t, env, trainer, h.ID, map[string]any{"emails": []string{u.Email}})
		id := invitationTo(t, env, u, h.ID)
		if len(myInvitations(t, env, other)) != 0 {
			t.Fatal("another user sees the invitation")
		}
		answer(t, env, other, id, "accept", http.StatusNotFound)
		answer(t, env, other, id, "decline", http.StatusNotFound)
		answer(t, env, trainer, id, "accept", http.StatusNotFound)
		answer(t, env, u, uuid.NewString(), "accept", http.StatusNotFound)
		answer(t, env, u, "not-a-uuid", "decline", http.StatusNotFound)
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/invitations/" + id + "/accept"}, http.StatusUnauthorized)
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me/invitations"}, http.StatusUnauthorized)
		if isMember(t, h.ID, other.ID) || isMember(t, h.ID, u.ID) {
			t.Fatal("someone joined through another person's invitation")
		}
	})
	t.Run("accepting joins the cohort and enrols; accepting again changes nothing", func(t *testing.T) {
		u := env.NewUser(t)
		invite(t, env, trainer, h.ID, map[string]any{"emails": []string{u.Email}})
		id := invitationTo(t, env, u, h.ID)
		var r struct {
			Cohort learnerCohortView `json:"cohort"`
		}
		answer(t, env, u, id, "accept", http.StatusOK).JSON(t, &r)
		if r.Cohort.ID != h.ID || r.Cohort.Trainer.Name != "Trainer Amina" {
			t.Fatalf("accept answered %+v", r.Cohort)
		}
		answer(t, env, u, id, "accept", http.StatusOK)
		var via, cohortOfEnrollment string
		mustGet(t, &via, `SELECT joined_via FROM cohort_members WHERE cohort_id = $1 AND user_id = $2`, h.ID, u.ID)
		mustGet(t, &cohortOfEnrollment, `SELECT cohort_id FROM enrollments WHERE user_id = $1 AND course_id = $2`, u.ID, course.ID)
		if via != "invitation" || cohortOfEnrollment != h.ID || enrollments(t, u.ID, course.ID) != 1 {
			t.Fatalf("joined via %q, enrollment in cohort %q", via, cohortOfEnrollment)
		}
		if invitationTo(t, env, u, h.ID) != "" {
			t.Fatal("an accepted invitation is still listed")
		}
		answer(t, env, u, id, "decline", http.StatusConflict)
	})
	t.Run("an existing enrollment of the course joins the cohort with its progress", func(t *testing.T) {
		u := env.NewUser(t)
		existing := enroll(t, env, u, course.Slug)
		sendProgress(t, env, u, completeAll(course.Lessons[:1]))
		invite(t, env, trainer, h.ID, map[string]any{"emails": []string{u.Email}})
		var before *string
		mustGet(t, &before, `SELECT cohort_id::text FROM enrollments WHERE id = $1`, existing)
		if before != nil {
			t.Fatal("the invitation moved the enrollment before it was accepted")
		}
		answer(t, env, u, invitationTo(t, env, u, h.ID), "accept", http.StatusOK)
		var e struct {
			Cohort  string `db:"cohort_id"`
			Percent int    `db:"progress_percent"`
		}
		if err := learningDB.Get(&e, `SELECT e.cohort_id, enrollment_percent(e.status, ep.lessons_completed, e.lessons_total) AS progress_percent
			FROM enrollments e LEFT JOIN enrollment_progress ep ON ep.enrollment_id = e.id WHERE e.id = $1`, existing); err != nil {
			t.Fatal(err)
		}
		if e.Cohort != h.ID || e.Percent != 50 || enrollments(t, u.ID, course.ID) != 1 {
			t.Fatalf("enrollment = %+v", e)
		}
	})
	t.Run("declining: nobody joins, the invitation leaves the list and cannot be accepted", func(t *testing.T) {
		u := env.NewUser(t)
		invite(t, env, trainer, h.ID, map[string]any{"emails": []string{u.Email}})
		id := invitationTo(t, env, u, h.ID)
		var r struct{ ID, Status string }
		answer(t, env, u, id, "decline", http.StatusOK).JSON(t, &r)
		answer(t, env, u, id, "decline", http.StatusOK)
		if r.ID != id || r.Status != "declined" || invitationTo(t, env, u, h.ID) != "" {
			t.Fatalf("decline = %+v", r)
		}
		answer(t, env, u, id, "accept", http.StatusConflict)
		if isMember(t, h.ID, u.ID) || enrollments(t, u.ID, course.ID) != 0 {
			t.Fatal("a declined invitee joined")
		}
		t.Run("inviting again asks again", func(t *testing.T) {
			invite(t, env, trainer, h.ID, map[string]any{"emails": []string{u.Email}})
			if invitationTo(t, env, u, h.ID) != id {
				t.Fatal("the re-sent invitation is not listed under its id")
			}
			answer(t, env, u, id, "accept", http.StatusOK)
		})
	})
	t.Run("an expired invitation is not listed, cannot be accepted, and re-sending renews it", func(t *testing.T) {
		u := env.NewUser(t)
		invite(t, env, trainer, h.ID, map[string]any{"emails": []string{u.Email}})
		id := invitationTo(t, env, u, h.ID)
		mustExec(t, `UPDATE cohort_invitations SET sent_at = now() - interval '15 days', expires_at = now() - interval '1 day' WHERE id = $1`, id)
		if invitationTo(t, env, u, h.ID) != "" {
			t.Fatal("an expired invitation is listed")
		}
		answer(t, env, u, id, "accept", http.StatusConflict)
		if isMember(t, h.ID, u.ID) {
			t.Fatal("an expired invitation was accepted")
		}
		var tasksBefore, tasksAfter int
		const tasks = `SELECT count(*) FROM outbox WHERE task_type = 'cohort:invitation' AND payload->>'invitation_id' = $1`
		mustGet(t, &tasksBefore, tasks, id)
		r := invite(t, env, trainer, h.ID, map[string]any{"emails": []string{u.Email}})
		mustGet(t, &tasksAfter, tasks, id)
		if r.Invited != 1 || tasksAfter != tasksBefore+1 || invitationTo(t, env, u, h.ID) != id {
			t.Fatalf("re-sent: %+v, email tasks %d -> %d", r, tasksBefore, tasksAfter)
		}
		answer(t, env, u, id, "accept", http.StatusOK)
	})
	t.Run("a current member is counted, not invited again", func(t *testing.T) {
		u := env.NewUser(t)
		joinCohort(t, env, trainer, u, h.ID)
		r := invite(t, env, trainer, h.ID, map[string]any{"emails": []string{u.Email}})
		if r.Invited != 0 || r.AlreadyMembers != 1 {
			t.Fatalf("result = %+v", r)
		}
	})
	t.Run("staff-only accounts cannot join, so they never count as participants", func(t *testing.T) {
		for _, role := range []string{"admin", "analyst", "trainer"} {
			u := env.NewUser(t, role)
			invite(t, env, trainer, h.ID, map[string]any{"emails": []string{u.Email}})
			answer(t, env, u, invitationTo(t, env, u, h.ID), "accept", http.StatusForbidden)
			if isMember(t, h.ID, u.ID) || enrollments(t, u.ID, course.ID) != 0 {
				t.Fatalf("a %s account joined", role)
			}
		}
		both := env.NewUser(t, "learner", "trainer")
		joinCohort(t, env, trainer, both, h.ID)
	})
}

func TestInvitationListPagination(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	trainer := env.NewUser(t, "trainer")
	u := env.NewUser(t)
	want := map[string]bool{}
	for range 3 {
		h := createCohort(t, env, trainer, course.Slug)
		invite(t, env, trainer, h.ID, map[string]any{"emails": []string{u.Email}})
		want[h.ID] = true
	}
	got := map[string]bool{}
	path := "/v1/me/invitations?limit=2"
	for pages := 0; ; pages++ {
		var p struct {
			Items      []invitationView `json:"items"`
			NextCursor *string          `json:"next_cursor"`
		}
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: path, Token: u.Token}, http.StatusOK).JSON(t, &p)
		for _, i := range p.Items {
			if got[i.Cohort.ID] {
				t.Fatalf("invitation to %s listed twice", i.Cohort.ID)
			}
			got[i.Cohort.ID] = true
		}
		if p.NextCursor == nil || pages > 3 {
			break
		}
		path = "/v1/me/invitations?limit=2&cursor=" + *p.NextCursor
	}
	for id := range want {
		if !got[id] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me/invitations?cursor=e30", Token: u.Token}, http.StatusBadRequest)
	env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me/invitations?limit=0", Token: u.Token}, http.StatusBadRequest)
}

// TestInviteeWhoSignsUpLater follows an address without an account: it is
// invited, then its owner registers (in another letter case) and finds the
// invitation waiting.
func TestInviteeWhoSignsUpLater(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	trainer := env.NewUser(t, "trainer")
	h := createCohort(t, env, trainer, course.Slug)
	email := "Newcomer-" + pgtest.RandomSuffix() + "@Example.org"
	invite(t, env, trainer, h.ID, map[string]any{"emails": []string{email}})

	lower := strings.ToLower(email)
	env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/auth/register", Body: map[string]any{
		"email": lower, "password": "a long and unusual passphrase", "name": "Newcomer", "gender": "female",
		"birth_year": 1999, "country": "KE", "audience": "youth"}}, http.StatusCreated)
	var login struct {
		AccessToken string `json:"access_token"`
	}
	env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/auth/login", Body: map[string]any{
		"email": lower, "password": "a long and unusual passphrase"}}, http.StatusOK).JSON(t, &login)
	u := apptest.User{Email: lower, Token: login.AccessToken}

	// Until the address is verified, nobody who merely typed it at sign-up
	// can see or answer what was sent to it.
	var invID string
	mustGet(t, &invID, `SELECT id FROM cohort_invitations WHERE cohort_id = $1 AND email_key = $2`, h.ID, lower)
	for _, c := range []struct {
		r    apptest.Request
		want int
	}{
		{apptest.Request{Method: http.MethodGet, Path: "/v1/me/invitations", Token: u.Token}, http.StatusForbidden},
		{apptest.Request{Method: http.MethodPost, Path: "/v1/invitations/" + invID + "/accept", Token: u.Token}, http.StatusNotFound},
		{apptest.Request{Method: http.MethodPost, Path: "/v1/invitations/" + invID + "/decline", Token: u.Token}, http.StatusNotFound},
	} {
		resp := env.Expect(t, c.r, c.want)
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") || !strings.Contains(string(resp.Body), "verify your email") && !strings.Contains(string(resp.Body), "Verify your email") {
			t.Fatalf("%s %s: %s %s", c.r.Method, c.r.Path, resp.Header.Get("Content-Type"), resp.Body)
		}
	}
	var status string
	mustGet(t, &status, `SELECT status FROM cohort_invitations WHERE id = $1`, invID)
	if status != "pending" {
		t.Fatalf("an unverified account answered the invitation: %s", status)
	}
	mustExec(t, `UPDATE users SET email_verified_at = now() WHERE lower(email) = $1`, lower) // the emailed link, followed

	id := invitationTo(t, env, u, h.ID)
	if id == "" {
		t.Fatal("the new account does not see the invitation sent to its address")
	}
	answer(t, env, u, id, "accept", http.StatusOK)
	var n int
	mustGet(t, &n, `SELECT count(*) FROM cohort_members m JOIN users u ON u.id = m.user_id WHERE m.cohort_id = $1 AND lower(u.email) = $2`, h.ID, lower)
	if n != 1 {
		t.Fatal("the new account did not join")
	}
}
