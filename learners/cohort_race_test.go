package learners_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/cybercampus/cybercampus/internal/apptest"
)

// concurrently sends the requests at once and returns their statuses in order.
func concurrently(tb testing.TB, env *apptest.Env, reqs []apptest.Request) []int {
	tb.Helper()
	codes := make([]int, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = env.Do(tb, r).StatusCode
		}()
	}
	wg.Wait()
	return codes
}

func TestCohortConcurrency(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	trainer := env.NewUser(t, "trainer")

	t.Run("a classroom joins with one code at once", func(t *testing.T) {
		h := createCohort(t, env, trainer, course.Slug)
		jc := newJoinCode(t, env, trainer, h.ID)
		var reqs []apptest.Request
		for range 16 {
			u := env.NewUser(t)
			reqs = append(reqs, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/join", Token: u.Token, Body: map[string]any{"code": jc.Code}})
		}
		for i, code := range concurrently(t, env, reqs) {
			if code != http.StatusOK {
				t.Errorf("learner %d: %d", i, code)
			}
		}
		var members, enrolled int
		mustGet(t, &members, `SELECT count(*) FROM cohort_members WHERE cohort_id = $1`, h.ID)
		mustGet(t, &enrolled, `SELECT count(*) FROM enrollments WHERE cohort_id = $1`, h.ID)
		if members != 16 || enrolled != 16 {
			t.Fatalf("%d members, %d enrollments, want 16", members, enrolled)
		}
	})
	t.Run("one invitation accepted twice at once makes one member", func(t *testing.T) {
		h := createCohort(t, env, trainer, course.Slug)
		u := env.NewUser(t)
		invite(t, env, trainer, h.ID, map[string]any{"emails": []string{u.Email}})
		id := invitationTo(t, env, u, h.ID)
		req := apptest.Request{Method: http.MethodPost, Path: "/v1/invitations/" + id + "/accept", Token: u.Token}
		for _, code := range concurrently(t, env, []apptest.Request{req, req, req}) {
			if code != http.StatusOK {
				t.Fatalf("accept: %d", code)
			}
		}
		if enrollments(t, u.ID, course.ID) != 1 || !isMember(t, h.ID, u.ID) {
			t.Fatal("not exactly one enrollment and membership")
		}
	})
	t.Run("ending a cohort while learners join and accept: nobody joins after it ended", func(t *testing.T) {
		h := createCohort(t, env, trainer, course.Slug)
		jc := newJoinCode(t, env, trainer, h.ID)
		var reqs []apptest.Request
		var users []apptest.User
		for i := range 12 {
			u := env.NewUser(t)
			users = append(users, u)
			if i%2 == 0 {
				reqs = append(reqs, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/join", Token: u.Token, Body: map[string]any{"code": jc.Code}})
				continue
			}
			invite(t, env, trainer, h.ID, map[string]any{"emails": []string{u.Email}})
			reqs = append(reqs, apptest.Request{Method: http.MethodPost, Path: "/v1/invitations/" + invitationTo(t, env, u, h.ID) + "/accept", Token: u.Token})
		}
		archive := apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/" + h.ID + "/archive", Token: trainer.Token}
		codes := concurrently(t, env, append(reqs, archive))
		if codes[len(codes)-1] != http.StatusOK {
			t.Fatalf("archive: %d", codes[len(codes)-1])
		}
		var late int
		mustGet(t, &late, `SELECT count(*) FROM cohort_members m JOIN cohorts h ON h.id = m.cohort_id
			WHERE h.id = $1 AND m.added_at > h.archived_at`, h.ID)
		if late != 0 {
			t.Fatalf("%d members joined after the cohort ended", late)
		}
		for i, u := range users {
			switch codes[i] {
			case http.StatusOK:
				if !isMember(t, h.ID, u.ID) {
					t.Errorf("learner %d got 200 but is not a member", i)
				}
			case http.StatusNotFound, http.StatusConflict:
				if isMember(t, h.ID, u.ID) {
					t.Errorf("learner %d was refused but is a member", i)
				}
			default:
				t.Errorf("learner %d: %d", i, codes[i])
			}
		}
	})
}
