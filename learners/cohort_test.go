package learners_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

type cohortView struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	OwnerID string `json:"owner_id"`
	Course  struct {
		Slug string `json:"slug"`
	} `json:"course"`
	StartsOn string `json:"starts_on"`
	Counts   struct {
		Members, Active, Completed, Certified int
	} `json:"counts"`
}

type membersResult struct {
	Added          int      `json:"added"`
	AlreadyMembers int      `json:"already_members"`
	Unknown        []string `json:"unknown"`
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
	membersJSON := map[string]any{"emails": []string{member.Email}}

	routes := []struct {
		method, path string
		body         any
	}{
		{http.MethodGet, "/v1/cohorts/" + mine.ID, nil},
		{http.MethodPost, "/v1/cohorts/" + mine.ID + "/members", membersJSON},
		{http.MethodGet, "/v1/cohorts/" + mine.ID + "/progress", nil},
		{http.MethodGet, "/v1/cohorts/" + mine.ID + "/progress?format=csv", nil},
	}
	for _, r := range routes {
		t.Run("another trainer gets 404 on "+r.method+" "+r.path, func(t *testing.T) {
			env.Expect(t, apptest.Request{Method: r.method, Path: r.path, Token: rival.Token, Body: r.body}, http.StatusNotFound)
		})
		t.Run("a learner gets 403 on "+r.method+" "+r.path, func(t *testing.T) {
			env.Expect(t, apptest.Request{Method: r.method, Path: r.path, Token: learner.Token, Body: r.body}, http.StatusForbidden)
		})
		t.Run("the owner gets 200 on "+r.method+" "+r.path, func(t *testing.T) {
			env.Expect(t, apptest.Request{Method: r.method, Path: r.path, Token: owner.Token, Body: r.body}, http.StatusOK)
		})
		t.Run("an admin gets 200 on "+r.method+" "+r.path, func(t *testing.T) {
			env.Expect(t, apptest.Request{Method: r.method, Path: r.path, Token: admin.Token, Body: r.body}, http.StatusOK)
		})
	}
	t.Run("a learner gets 403 on the list", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/cohorts", Token: learner.Token}, http.StatusForbidden)
	})
	t.Run("an unknown cohort is 404", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/cohorts/" + uuid.NewString(), Token: admin.Token}, http.StatusNotFound)
	})
	t.Run("another trainer's upload changed nothing", func(t *testing.T) {
		env.Do(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/" + theirs.ID + "/members", Token: owner.Token, Body: membersJSON})
		var n int
		mustGet(t, &n, `SELECT count(*) FROM cohort_members WHERE cohort_id = $1`, theirs.ID)
		if n != 0 {
			t.Fatalf("%d members in the other trainer's cohort", n)
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

func TestCohortMembers(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 2})
	trainer := env.NewUser(t, "trainer")

	t.Run("JSON list: added, already members, unknown and bad lines", func(t *testing.T) {
		h := createCohort(t, env, trainer, course.Slug)
		a, b := env.NewUser(t), env.NewUser(t)
		var r membersResult
		body := map[string]any{"emails": []string{a.Email, strings.ToUpper(b.Email), "ghost@example.org", "not-an-email", a.Email}}
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/" + h.ID + "/members", Token: trainer.Token, Body: body}, http.StatusOK).JSON(t, &r)
		if r.Added != 2 || r.AlreadyMembers != 0 || len(r.Unknown) != 1 || r.Unknown[0] != "ghost@example.org" || len(r.Errors) != 1 || r.Errors[0].Line != 4 {
			t.Fatalf("result = %+v", r)
		}
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/" + h.ID + "/members", Token: trainer.Token, Body: body}, http.StatusOK).JSON(t, &r)
		if r.Added != 0 || r.AlreadyMembers != 2 {
			t.Fatalf("second upload = %+v", r)
		}
		var n int
		mustGet(t, &n, `SELECT count(*) FROM users WHERE email = 'ghost@example.org'`)
		if n != 0 {
			t.Fatal("an unknown email was turned into an account")
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
	t.Run("members are enrolled; an existing enrollment is reused and joins the cohort", func(t *testing.T) {
		h := createCohort(t, env, trainer, course.Slug)
		fresh, existing := env.NewUser(t), env.NewUser(t)
		existingID := enroll(t, env, existing, course.Slug)
		r := addMembersCSV(t, env, trainer, h.ID, "email\n"+fresh.Email+"\n"+existing.Email+"\n", http.StatusOK)
		if r.Added != 2 {
			t.Fatalf("result = %+v", r)
		}
		var rows []struct {
			ID     string `db:"id"`
			User   string `db:"user_id"`
			Cohort string `db:"cohort_id"`
		}
		if err := learningDB.Select(&rows, `SELECT id, user_id, cohort_id FROM enrollments WHERE course_id = $1 AND user_id IN ($2, $3)`,
			course.ID, fresh.ID, existing.ID); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 {
			t.Fatalf("%d enrollments", len(rows))
		}
		for _, e := range rows {
			if e.Cohort != h.ID || (e.User == existing.ID && e.ID != existingID) {
				t.Fatalf("enrollment %+v", e)
			}
		}
	})

	csvCases := []struct {
		name      string
		body      func(a, b apptest.User) string
		added     int
		errLines  []int
		unknown   int
		wantError int // HTTP status when the whole file is refused
	}{
		{name: "BOM and CRLF", body: func(a, b apptest.User) string {
			return "\uFEFFemail,name\r\n" + a.Email + ",Ada\r\n" + b.Email + ",Kwame\r\n"
		}, added: 2},
		{name: "quoted commas and the email column not first, header in any case", body: func(a, b apptest.User) string {
			return "Name, EMAIL ,org\n\"Lovelace, Ada\"," + a.Email + ",\"ACME, Inc\"\n\"Kwame \"\"K\"\"\"," + b.Email + ",x\n"
		}, added: 2},
		{name: "duplicates in the file count once", body: func(a, b apptest.User) string {
			return "email\n" + a.Email + "\n" + strings.ToUpper(a.Email) + "\n" + a.Email + "\n"
		}, added: 1},
		{name: "a malformed line is reported and the rest applied", body: func(a, b apptest.User) string {
			return "email,name\n" + a.Email + ",Ada\nbad\"quote@example.org,x\nnot-an-email,y\n," + "z\n" + b.Email + ",Kwame\n"
		}, added: 2, errLines: []int{3, 4, 5}},
		{name: "unknown emails are reported", body: func(a, b apptest.User) string {
			return "email\nnobody-" + pgtest.RandomSuffix() + "@example.org\n" + a.Email + "\n"
		}, added: 1, unknown: 1},
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
				var n int
				mustGet(t, &n, `SELECT count(*) FROM cohort_members WHERE cohort_id = $1`, h.ID)
				if n != 0 {
					t.Fatalf("%d members added by a refused file", n)
				}
				return
			}
			r := addMembersCSV(t, env, trainer, h.ID, tc.body(a, b), http.StatusOK)
			var lines []int
			for _, e := range r.Errors {
				lines = append(lines, e.Line)
			}
			if r.Added != tc.added || len(r.Unknown) != tc.unknown || fmt.Sprint(lines) != fmt.Sprint(tc.errLines) && len(tc.errLines)+len(lines) > 0 {
				t.Fatalf("result = %+v, want added %d, unknown %d, error lines %v", r, tc.added, tc.unknown, tc.errLines)
			}
		})
	}
	t.Run("CSV: 10,000 rows are applied in one go", func(t *testing.T) {
		h := createCohort(t, env, trainer, course.Slug)
		prefix := "bulk-" + pgtest.RandomSuffix()
		mustExec(t, `INSERT INTO users (email, password_hash, name, gender, birth_year, country, audience)
			SELECT $1 || '-' || g || '@example.org', 'x', 'Bulk ' || g, 'other', 1990, 'FJ', 'professional' FROM generate_series(1, 10000) g`, prefix)
		var sb strings.Builder
		sb.WriteString("email\r\n")
		for i := 1; i <= 10000; i++ {
			fmt.Fprintf(&sb, "%s-%d@example.org\r\n", prefix, i)
		}
		r := addMembersCSV(t, env, trainer, h.ID, sb.String(), http.StatusOK)
		if r.Added != 10000 || len(r.Errors) != 0 || len(r.Unknown) != 0 {
			t.Fatalf("added %d, %d errors, %d unknown", r.Added, len(r.Errors), len(r.Unknown))
		}
		var sids int
		mustGet(t, &sids, `SELECT count(*) FROM enrollments WHERE cohort_id = $1 AND sids AND region = 'asia_pacific' AND age_band <> ''`, h.ID)
		if sids != 10000 {
			t.Fatalf("%d enrollments with the snapshot, want 10000", sids)
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
	addMembersCSV(t, env, trainer, h.ID, "email\n"+done.Email+"\n"+halfway.Email+"\n"+idle.Email+"\n", http.StatusOK)
	sendProgress(t, env, done, completeAll(course.Lessons))
	sendProgress(t, env, halfway, completeAll(course.Lessons[:1]))
	var doneEnrollment string
	mustGet(t, &doneEnrollment, `SELECT id FROM enrollments WHERE user_id = $1`, done.ID)
	issueCertificate(t, done.ID, doneEnrollment, course)

	t.Run("details count members, active, completed and certified", func(t *testing.T) {
		var got cohortView
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/cohorts/" + h.ID, Token: trainer.Token}, http.StatusOK).JSON(t, &got)
		if got.Counts.Members != 3 || got.Counts.Active != 2 || got.Counts.Completed != 1 || got.Counts.Certified != 1 {
			t.Fatalf("counts = %+v", got.Counts)
		}
	})
	t.Run("JSON has every member's progress", func(t *testing.T) {
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
		if p.Cohort.ID != h.ID || len(p.Members) != 3 {
			t.Fatalf("progress = %+v", p)
		}
		byUser := map[string]int{}
		for i, m := range p.Members {
			byUser[m.UserID] = i
		}
		d, hw := p.Members[byUser[done.ID]], p.Members[byUser[halfway.ID]]
		if d.Percent != 100 || d.Completed == nil || !d.Certified || hw.Percent != 50 || hw.Certified || hw.Email != halfway.Email {
			t.Fatalf("members = %+v", p.Members)
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
			if !strings.HasPrefix(body, "\uFEFFuser_id,name,email,progress_percent,last_activity_at,completed_at,certified\r\n") {
				t.Fatalf("header: %q", body)
			}
			rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
			if err != nil || len(rows) != 4 {
				t.Fatalf("%d rows, %v: %q", len(rows), err, body)
			}
			names := map[string]bool{}
			for _, r := range rows[1:] {
				names[r[1]] = true
			}
			if !names[`'=HYPERLINK("http://evil")`] || !names["Kwame, Jr."] || !names["Zoë"] {
				t.Fatalf("names = %v", names)
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
