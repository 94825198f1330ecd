package learners_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
	"github.com/cybercampus/cybercampus/learners"
)

type cohortView struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	OwnerID string `json:"owner_id"`
	Course  struct {
		Slug string `json:"slug"`
	} `json:"course"`
	StartsOn   string  `json:"starts_on"`
	EndsOn     string  `json:"ends_on"`
	ArchivedAt *string `json:"archived_at"`
	Counts     struct {
		Members, Active, Completed, Certified int
		PendingInvitations                    int `json:"pending_invitations"`
	} `json:"counts"`
}

type membersResult struct {
	Invited        int `json:"invited"`
	AlreadyMembers int `json:"already_members"`
	Errors         []struct {
		Line  int    `json:"line"`
		Error string `json:"error"`
	} `json:"errors"`
}

func createCohort(tb testing.TB, env *apptest.Env, owner apptest.User, courseSlug string) cohortView {
	tb.Helper()
	var r struct {
		Cohort cohortView `json:"cohort"`
	}
	env.Expect(tb, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts", Token: owner.Token, Body: map[string]any{
		"name": "Nairobi spring", "course": courseSlug, "country": "KE", "starts_on": "2026-03-01", "ends_on": "2026-05-31"}},
		http.StatusCreated).JSON(tb, &r)
	return r.Cohort
}

func addMembersCSV(tb testing.TB, env *apptest.Env, u apptest.User, cohortID, body string, want int) membersResult {
	tb.Helper()
	var r membersResult
	resp := env.Expect(tb, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/" + cohortID + "/members", Token: u.Token,
		Raw: []byte(body), Type: "text/csv"}, want)
	if want == http.StatusOK {
		resp.JSON(tb, &r)
	}
	return r
}

func TestCreateCohort(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	draft := newCourse(t, courseSpec{Lessons: 1, Draft: true})
	trainer := env.NewUser(t, "trainer")
	valid := func(change map[string]any) map[string]any {
		m := map[string]any{"name": "Cohort", "course": course.Slug, "country": "KE", "starts_on": "2026-03-01", "ends_on": "2026-05-31"}
		for k, v := range change {
			m[k] = v
		}
		return m
	}
	t.Run("a trainer creates a cohort they own, with its task queued", func(t *testing.T) {
		h := createCohort(t, env, trainer, course.Slug)
		if h.OwnerID != trainer.ID || h.Course.Slug != course.Slug || h.StartsOn != "2026-03-01" || h.Counts.Members != 0 {
			t.Fatalf("cohort = %+v", h)
		}
		var n int
		mustGet(t, &n, `SELECT count(*) FROM outbox WHERE task_type = 'cohort:created' AND payload->>'cohort_id' = $1`, h.ID)
		if n != 1 {
			t.Fatalf("%d cohort tasks, want 1", n)
		}
	})
	for _, tc := range []struct {
		name   string
		body   map[string]any
		fields []string
	}{
		{"missing name", valid(map[string]any{"name": " "}), []string{"name"}},
		{"bad dates", valid(map[string]any{"starts_on": "01/03/2026", "ends_on": "2026-02-30"}), []string{"starts_on", "ends_on"}},
		{"ends before it starts", valid(map[string]any{"ends_on": "2026-02-01"}), []string{"ends_on"}},
		{"ends the day it starts", valid(map[string]any{"ends_on": "2026-03-01"}), []string{"ends_on"}},
		{"unknown course", valid(map[string]any{"course": "no-such-course"}), []string{"course"}},
		{"unpublished course", valid(map[string]any{"course": draft.Slug}), []string{"course"}},
		{"unknown country and course together", valid(map[string]any{"course": "nope-x", "country": "ZZ"}), []string{"course", "country"}},
		{"malformed country", valid(map[string]any{"country": "Kenya"}), []string{"country"}},
	} {
		t.Run(tc.name+" is 422", func(t *testing.T) {
			resp := env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts", Token: trainer.Token, Body: tc.body}, http.StatusUnprocessableEntity)
			for _, f := range tc.fields {
				if !strings.Contains(string(resp.Body), `"field":"`+f+`"`) {
					t.Errorf("error does not name %s: %s", f, resp.Body)
				}
			}
		})
	}
	t.Run("a learner gets 403", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts", Token: env.NewUser(t).Token, Body: valid(nil)}, http.StatusForbidden)
	})
	t.Run("without a token is 401", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts", Body: valid(nil)}, http.StatusUnauthorized)
	})
}

func TestCohortAuthorization(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	owner := env.NewUser(t, "trainer")
	rival := env.NewUser(t, "trainer")
	admin := env.NewUser(t, "admin")
	learner := env.NewUser(t)
	mine := createCohort(t, env, owner, course.Slug)
	theirs := createCohort(t, env, rival, course.Slug)
	member := env.NewUser(t)
	joinCohort(t, env, owner, member, mine.ID)
	membersJSON := map[string]any{"emails": []string{"someone-" + pgtest.RandomSuffix() + "@example.org"}}

	routes := []struct {
		method, path string
		body         any
		ok           int
	}{
		{http.MethodGet, "/v1/cohorts/" + mine.ID, nil, http.StatusOK},
		{http.MethodPatch, "/v1/cohorts/" + mine.ID, map[string]any{"name": "Renamed"}, http.StatusOK},
		{http.MethodPost, "/v1/cohorts/" + mine.ID + "/members", membersJSON, http.StatusOK},
		{http.MethodPost, "/v1/cohorts/" + mine.ID + "/join-code", nil, http.StatusCreated},
		{http.MethodGet, "/v1/cohorts/" + mine.ID + "/progress", nil, http.StatusOK},
		{http.MethodGet, "/v1/cohorts/" + mine.ID + "/progress?format=csv", nil, http.StatusOK},
	}
	for _, r := range routes {
		t.Run("another trainer gets 404 on "+r.method+" "+r.path, func(t *testing.T) {
			env.Expect(t, apptest.Request{Method: r.method, Path: r.path, Token: rival.Token, Body: r.body}, http.StatusNotFound)
		})
		t.Run("a learner gets 403 on "+r.method+" "+r.path, func(t *testing.T) {
			env.Expect(t, apptest.Request{Method: r.method, Path: r.path, Token: learner.Token, Body: r.body}, http.StatusForbidden)
		})
		t.Run("an anonymous caller gets 401 on "+r.method+" "+r.path, func(t *testing.T) {
			env.Expect(t, apptest.Request{Method: r.method, Path: r.path, Body: r.body}, http.StatusUnauthorized)
		})
		t.Run("the owner succeeds on "+r.method+" "+r.path, func(t *testing.T) {
			env.Expect(t, apptest.Request{Method: r.method, Path: r.path, Token: owner.Token, Body: r.body}, r.ok)
		})
		t.Run("an admin succeeds on "+r.method+" "+r.path, func(t *testing.T) {
			env.Expect(t, apptest.Request{Method: r.method, Path: r.path, Token: admin.Token, Body: r.body}, r.ok)
		})
	}
	removal := "/v1/cohorts/" + mine.ID + "/members/" + member.ID
	t.Run("removing a member: another trainer 404, a learner 403, anonymous 401", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: http.MethodDelete, Path: removal, Token: rival.Token}, http.StatusNotFound)
		env.Expect(t, apptest.Request{Method: http.MethodDelete, Path: removal, Token: member.Token}, http.StatusForbidden)
		env.Expect(t, apptest.Request{Method: http.MethodDelete, Path: removal}, http.StatusUnauthorized)
		if !isMember(t, mine.ID, member.ID) {
			t.Fatal("a refused removal removed the member")
		}
	})
	t.Run("ending a cohort: another trainer 404, a learner 403, anonymous 401", func(t *testing.T) {
		path := "/v1/cohorts/" + mine.ID + "/archive"
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: path, Token: rival.Token}, http.StatusNotFound)
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: path, Token: learner.Token}, http.StatusForbidden)
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: path}, http.StatusUnauthorized)
		var archived *time.Time
		mustGet(t, &archived, `SELECT archived_at FROM cohorts WHERE id = $1`, mine.ID)
		if archived != nil {
			t.Fatal("a refused archive ended the cohort")
		}
	})
	t.Run("an admin removes a member of a trainer's cohort", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: http.MethodDelete, Path: removal, Token: admin.Token}, http.StatusNoContent)
	})
	t.Run("a learner gets 403 on the list", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/cohorts", Token: learner.Token}, http.StatusForbidden)
	})
	t.Run("an unknown cohort is 404", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/cohorts/" + uuid.NewString(), Token: admin.Token}, http.StatusNotFound)
	})
	t.Run("another trainer's upload, rename and join code changed nothing", func(t *testing.T) {
		env.Do(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/" + theirs.ID + "/members", Token: owner.Token, Body: membersJSON})
		env.Do(t, apptest.Request{Method: http.MethodPatch, Path: "/v1/cohorts/" + theirs.ID, Token: owner.Token, Body: map[string]any{"name": "Mine now"}})
		env.Do(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/" + theirs.ID + "/join-code", Token: owner.Token})
		var n int
		mustGet(t, &n, `SELECT (SELECT count(*) FROM cohort_invitations WHERE cohort_id = $1)
			+ (SELECT count(*) FROM cohort_join_codes WHERE cohort_id = $1)
			+ (SELECT count(*) FROM cohorts WHERE id = $1 AND name <> 'Nairobi spring')`, theirs.ID)
		if n != 0 {
			t.Fatalf("%d changes to the other trainer's cohort", n)
		}
	})

	type page struct {
		Items []cohortView `json:"items"`
	}
	list := func(u apptest.User) map[string]bool {
		var p page
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/cohorts?limit=200", Token: u.Token}, http.StatusOK).JSON(t, &p)
		ids := map[string]bool{}
		for _, h := range p.Items {
			ids[h.ID] = true
		}
		return ids
	}
	t.Run("a trainer lists only their own cohorts", func(t *testing.T) {
		if ids := list(owner); !ids[mine.ID] || ids[theirs.ID] || len(ids) != 1 {
			t.Fatalf("owner sees %v", ids)
		}
	})
	t.Run("an admin lists every cohort", func(t *testing.T) {
		if ids := list(admin); !ids[mine.ID] || !ids[theirs.ID] {
			t.Fatalf("admin sees %v", ids)
		}
	})
}

func TestCohortListPagination(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	trainer := env.NewUser(t, "trainer")
	var want []string
	for range 3 {
		want = append([]string{createCohort(t, env, trainer, course.Slug).ID}, want...)
	}
	var got []string
	path := "/v1/cohorts?limit=2"
	for range 3 {
		var p struct {
			Items      []cohortView `json:"items"`
			NextCursor *string      `json:"next_cursor"`
		}
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: path, Token: trainer.Token}, http.StatusOK).JSON(t, &p)
		for _, h := range p.Items {
			got = append(got, h.ID)
		}
		if p.NextCursor == nil {
			break
		}
		path = "/v1/cohorts?limit=2&cursor=" + *p.NextCursor
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("got %v, want newest first %v", got, want)
	}
}

func TestCohortRoster(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 2})
	trainer := env.NewUser(t, "trainer")

	t.Run("JSON list: invited, already members and bad lines", func(t *testing.T) {
		h := createCohort(t, env, trainer, course.Slug)
		a, b, joined := env.NewUser(t), env.NewUser(t), env.NewUser(t)
		joinCohort(t, env, trainer, joined, h.ID)
		body := map[string]any{"emails": []string{a.Email, strings.ToUpper(b.Email), "ghost-" + pgtest.RandomSuffix() + "@example.org",
			"not-an-email", a.Email, joined.Email}}
		r := invite(t, env, trainer, h.ID, body)
		if r.Invited != 3 || r.AlreadyMembers != 1 || len(r.Errors) != 1 || r.Errors[0].Line != 4 {
			t.Fatalf("result = %+v", r)
		}
		r = invite(t, env, trainer, h.ID, body)
		if r.Invited != 3 || r.AlreadyMembers != 1 {
			t.Fatalf("second upload = %+v", r)
		}
		var accounts int
		mustGet(t, &accounts, `SELECT count(*) FROM users WHERE email LIKE 'ghost-%'`)
		if accounts != 0 {
			t.Fatal("an address without an account was turned into an account")
		}
	})
	t.Run("empty JSON list is 422", func(t *testing.T) {
		h := createCohort(t, env, trainer, course.Slug)
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/" + h.ID + "/members", Token: trainer.Token,
			Body: map[string]any{"emails": []string{}}}, http.StatusUnprocessableEntity)
	})
	t.Run("wrong content type is 415", func(t *testing.T) {
		h := createCohort(t, env, trainer, course.Slug)
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/" + h.ID + "/members", Token: trainer.Token,
			Raw: []byte("a@b.org"), Type: "text/plain"}, http.StatusUnsupportedMediaType)
	})

	csvCases := []struct {
		name      string
		body      func(a, b apptest.User) string
		invited   int
		errLines  []int
		wantError int // HTTP status when the whole file is refused
	}{
		{name: "BOM and CRLF", body: func(a, b apptest.User) string {
			return "\uFEFFemail,name\r\n" + a.Email + ",Ada\r\n" + b.Email + ",Kwame\r\n"
		}, invited: 2},
		{name: "quoted commas and the email column not first, header in any case", body: func(a, b apptest.User) string {
			return "Name, EMAIL ,org\n\"Lovelace, Ada\"," + a.Email + ",\"ACME, Inc\"\n\"Kwame \"\"K\"\"\"," + b.Email + ",x\n"
		}, invited: 2},
		{name: "duplicates in the file count once", body: func(a, b apptest.User) string {
			return "email\n" + a.Email + "\n" + strings.ToUpper(a.Email) + "\n" + a.Email + "\n"
		}, invited: 1},
		{name: "a malformed line is reported and the rest applied", body: func(a, b apptest.User) string {
			return "email,name\n" + a.Email + ",Ada\nbad\"quote@example.org,x\nnot-an-email,y\n," + "z\n" + b.Email + ",Kwame\n"
		}, invited: 2, errLines: []int{3, 4, 5}},
		{name: "addresses without an account are invited like the others", body: func(a, b apptest.User) string {
			return "email\nnobody-" + pgtest.RandomSuffix() + "@example.org\n" + a.Email + "\n"
		}, invited: 2},
		{name: "missing email column is 422", body: func(a, b apptest.User) string {
			return "name,mail\nAda," + a.Email + "\n"
		}, wantError: http.StatusUnprocessableEntity},
		{name: "empty file is 422", body: func(a, b apptest.User) string { return "" }, wantError: http.StatusUnprocessableEntity},
		{name: "not UTF-8 is 400", body: func(a, b apptest.User) string { return "email\n\xff\xfe@example.org\n" }, wantError: http.StatusBadRequest},
		{name: "more than 10,000 rows is 413", body: func(a, b apptest.User) string {
			var sb strings.Builder
			sb.WriteString("email\n")
			for i := range 10001 {
				fmt.Fprintf(&sb, "x%d@example.org\n", i)
			}
			return sb.String()
		}, wantError: http.StatusRequestEntityTooLarge},
	}
	for _, tc := range csvCases {
		t.Run("CSV: "+tc.name, func(t *testing.T) {
			h := createCohort(t, env, trainer, course.Slug)
			a, b := env.NewUser(t), env.NewUser(t)
			if tc.wantError != 0 {
				addMembersCSV(t, env, trainer, h.ID, tc.body(a, b), tc.wantError)
				if n := invitationsIn(t, h.ID); n != 0 {
					t.Fatalf("%d invitations made by a refused file", n)
				}
				return
			}
			r := addMembersCSV(t, env, trainer, h.ID, tc.body(a, b), http.StatusOK)
			var lines []int
			for _, e := range r.Errors {
				lines = append(lines, e.Line)
			}
			if r.Invited != tc.invited || fmt.Sprint(lines) != fmt.Sprint(tc.errLines) && len(tc.errLines)+len(lines) > 0 {
				t.Fatalf("result = %+v, want invited %d, error lines %v", r, tc.invited, tc.errLines)
			}
			if n := invitationsIn(t, h.ID); n != tc.invited {
				t.Fatalf("%d invitations stored, want %d", n, tc.invited)
			}
		})
	}
	t.Run("CSV: 10,000 rows are invited in one go, one email task each, nobody enrolled", func(t *testing.T) {
		h := createCohort(t, env, trainer, course.Slug)
		prefix := "bulk-" + pgtest.RandomSuffix()
		mustExec(t, `INSERT INTO users (email, password_hash, name, gender, birth_year, country, audience)
			SELECT $1 || '-' || g || '@example.org', 'x', 'Bulk ' || g, 'other', 1990, 'FJ', 'professional' FROM generate_series(1, 5000) g`, prefix)
		var sb strings.Builder
		sb.WriteString("email\r\n")
		for i := 1; i <= 10000; i++ {
			fmt.Fprintf(&sb, "%s-%d@example.org\r\n", prefix, i)
		}
		r := addMembersCSV(t, env, trainer, h.ID, sb.String(), http.StatusOK)
		if r.Invited != 10000 || len(r.Errors) != 0 {
			t.Fatalf("invited %d, %d errors", r.Invited, len(r.Errors))
		}
		var tasks, enrolled int
		mustGet(t, &tasks, `SELECT count(*) FROM outbox o JOIN cohort_invitations i ON i.id = (o.payload->>'invitation_id')::uuid
			WHERE o.task_type = 'cohort:invitation' AND i.cohort_id = $1`, h.ID)
		mustGet(t, &enrolled, `SELECT count(*) FROM enrollments WHERE cohort_id = $1`, h.ID)
		if tasks != 10000 || enrolled != 0 {
			t.Fatalf("%d email tasks (want 10000), %d enrolled (want 0)", tasks, enrolled)
		}
	})
}

func TestCohortProgress(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 2})
	trainer := env.NewUser(t, "trainer")
	h := createCohort(t, env, trainer, course.Slug)
	done := env.NewUserWith(t, apptest.Profile{Name: "=HYPERLINK(\"http://evil\")"})
	halfway := env.NewUserWith(t, apptest.Profile{Name: "Kwame, Jr."})
	idle := env.NewUserWith(t, apptest.Profile{Name: "Zoë"})
	for _, u := range []apptest.User{done, halfway, idle} {
		joinCohort(t, env, trainer, u, h.ID)
	}
	undecided := env.NewUser(t)
	invite(t, env, trainer, h.ID, map[string]any{"emails": []string{undecided.Email, "nobody-" + pgtest.RandomSuffix() + "@example.org"}})
	sendProgress(t, env, done, completeAll(course.Lessons))
	sendProgress(t, env, halfway, completeAll(course.Lessons[:1]))
	var doneEnrollment string
	mustGet(t, &doneEnrollment, `SELECT id FROM enrollments WHERE user_id = $1`, done.ID)
	issueCertificate(t, done.ID, doneEnrollment, course)

	t.Run("details count members who accepted, active, completed, certified and pending invitations", func(t *testing.T) {
		var got cohortView
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/cohorts/" + h.ID, Token: trainer.Token}, http.StatusOK).JSON(t, &got)
		c := got.Counts
		if c.Members != 3 || c.Active != 2 || c.Completed != 1 || c.Certified != 1 || c.PendingInvitations != 2 {
			t.Fatalf("counts = %+v", c)
		}
	})
	t.Run("JSON has every accepted member's progress and nobody else", func(t *testing.T) {
		var p struct {
			Cohort  cohortView `json:"cohort"`
			Members []struct {
				UserID    string  `json:"user_id"`
				Email     string  `json:"email"`
				Percent   int     `json:"progress_percent"`
				Completed *string `json:"completed_at"`
				Certified bool    `json:"certified"`
			} `json:"members"`
		}
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/cohorts/" + h.ID + "/progress", Token: trainer.Token}, http.StatusOK).JSON(t, &p)
		if p.Cohort.ID != h.ID || len(p.Members) != 3 || p.Cohort.Counts.PendingInvitations != 2 {
			t.Fatalf("progress = %+v", p)
		}
		byUser := map[string]int{}
		for i, m := range p.Members {
			byUser[m.UserID] = i
		}
		if _, ok := byUser[undecided.ID]; ok {
			t.Fatal("an invitee who has not accepted is listed")
		}
		d, hw := p.Members[byUser[done.ID]], p.Members[byUser[halfway.ID]]
		if d.Percent != 100 || d.Completed == nil || !d.Certified || hw.Percent != 50 || hw.Certified || hw.Email != halfway.Email {
			t.Fatalf("members = %+v", p.Members)
		}
	})
	t.Run("pre/post gain over members who took both tests, and the survey response rate", func(t *testing.T) {
		var halfwayEnrollment string
		mustGet(t, &halfwayEnrollment, `SELECT id FROM enrollments WHERE user_id = $1`, halfway.ID)
		took := func(u apptest.User, enrollment, kind string, score int) {
			mustExec(t, `INSERT INTO assessment_draws (enrollment_id, kind, user_id, course_id, version_id, items)
				VALUES ($1, $2, $3, $4, $5, '{b1}')`, enrollment, kind, u.ID, course.ID, course.VersionID)
			mustExec(t, `INSERT INTO assessment_attempts (id, enrollment_id, kind, user_id, course_id, version_id, answers, results, score)
				VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, '{}', '[]', $6)`, enrollment, kind, u.ID, course.ID, course.VersionID, score)
		}
		took(done, doneEnrollment, "pre", 40)
		took(done, doneEnrollment, "post", 80)
		took(halfway, halfwayEnrollment, "pre", 60) // no post-test: not a matched pair
		survey := func(kind, due string, answered bool) {
			mustExec(t, `INSERT INTO surveys (user_id, enrollment_id, course_id, kind, due_at, response_id, answers, responded_at)
				VALUES ($1, $2, $3, $4, now() + $5::interval, CASE WHEN $6 THEN gen_random_uuid() END,
					CASE WHEN $6 THEN '{}'::jsonb END, CASE WHEN $6 THEN now() END)`, done.ID, doneEnrollment, course.ID, kind, due, answered)
		}
		survey("satisfaction", "-100 days", true)
		survey("follow_up_90", "-10 days", false)
		survey("follow_up_180", "80 days", false) // not due yet: not counted
		var p struct {
			Members []struct {
				UserID    string `json:"user_id"`
				PreScore  *int   `json:"pre_score"`
				PostScore *int   `json:"post_score"`
				Gain      *int   `json:"gain"`
			} `json:"members"`
			Impact learners.CohortImpact `json:"impact"`
		}
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/cohorts/" + h.ID + "/progress", Token: trainer.Token}, http.StatusOK).JSON(t, &p)
		im := p.Impact
		if im.MatchedPairs != 1 || *im.PreMean != 40 || *im.PostMean != 80 || *im.MeanGain != 40 ||
			im.SurveysDue != 2 || im.SurveysAnswered != 1 || *im.SurveyResponseRate != 0.5 {
			t.Fatalf("impact = %+v", im)
		}
		for _, m := range p.Members {
			if m.UserID == halfway.ID && (m.PreScore == nil || *m.PreScore != 60 || m.PostScore != nil || m.Gain != nil) {
				t.Fatalf("halfway's scores = %v, %v, gain %v", m.PreScore, m.PostScore, m.Gain)
			}
			if m.UserID == done.ID && (m.Gain == nil || *m.Gain != 40) {
				t.Fatalf("done's gain = %v", m.Gain)
			}
		}
	})
	for _, tc := range []struct {
		name, query string
		headers     map[string]string
	}{
		{"?format=csv", "?format=csv", nil},
		{"Accept: text/csv", "", map[string]string{"Accept": "text/csv"}},
	} {
		t.Run("CSV by "+tc.name+": BOM, header, quoting, no formulas", func(t *testing.T) {
			resp := env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/cohorts/" + h.ID + "/progress" + tc.query,
				Token: trainer.Token, Headers: tc.headers}, http.StatusOK)
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
				t.Fatalf("Content-Type %q", ct)
			}
			body := string(resp.Body)
			if !strings.HasPrefix(body, "\uFEFFuser_id,name,email,progress_percent,last_activity_at,completed_at,certified,pre_score,post_score,gain\r\n") {
				t.Fatalf("header: %q", body)
			}
			rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
			if err != nil || len(rows) != 5 {
				t.Fatalf("%d rows, %v: %q", len(rows), err, body)
			}
			names := map[string]bool{}
			scores := map[string][]string{}
			for _, r := range rows[1:4] {
				names[r[1]] = true
				scores[r[0]] = r[7:]
			}
			if !names[`'=HYPERLINK("http://evil")`] || !names["Kwame, Jr."] || !names["Zoë"] {
				t.Fatalf("names = %v", names)
			}
			// The impact subtest above gave done 40 then 80 and halfway a pre-test of 60.
			if !slices.Equal(scores[done.ID], []string{"40", "80", "40"}) || !slices.Equal(scores[halfway.ID], []string{"60", "", ""}) ||
				!slices.Equal(scores[idle.ID], []string{"", "", ""}) {
				t.Fatalf("pre, post, gain = %v", scores)
			}
			const summary = "# cohort impact: matched_pairs=1; pre_mean=40; post_mean=80; mean_gain=40; surveys_due=2; surveys_answered=1; survey_response_rate=0.5"
			if last := rows[4]; last[0] != summary || strings.Join(last[1:], "") != "" {
				t.Fatalf("summary row %q", last)
			}
		})
	}
	t.Run("unknown format is 400", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/cohorts/" + h.ID + "/progress?format=xlsx", Token: trainer.Token}, http.StatusBadRequest)
	})
	t.Run("a revoked certificate does not count", func(t *testing.T) {
		mustExec(t, `UPDATE certificates SET revoked_at = now(), revoked_reason = 'test' WHERE enrollment_id = $1`, doneEnrollment)
		var got cohortView
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/cohorts/" + h.ID, Token: trainer.Token}, http.StatusOK).JSON(t, &got)
		if got.Counts.Certified != 0 {
			t.Fatalf("certified = %d", got.Counts.Certified)
		}
	})
}

// issueCertificate writes a certificate row as the certification package would.
func issueCertificate(tb testing.TB, userID, enrollmentID string, c courseFixture) {
	tb.Helper()
	thumb := "test-" + pgtest.RandomSuffix()
	mustExec(tb, `INSERT INTO certificate_keys (thumbprint, private_enc, public_jwk) VALUES ($1, '\x00', '{}')`, thumb)
	mustExec(tb, `INSERT INTO status_lists (id, size) VALUES (1, 131072) ON CONFLICT DO NOTHING`)
	mustExec(tb, `INSERT INTO certificates (user_id, enrollment_id, course_id, version_id, key_id, learner_name, course_title, token,
		issued_at, status_list_id, status_index) VALUES ($1, $2, $3, $4, $5, 'Learner', 'Course', 'jws', now(), 1,
		(SELECT coalesce(max(status_index), -1) + 1 FROM certificates))`, userID, enrollmentID, c.ID, c.VersionID, thumb)
}
