package reports

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/jobs"
)

// TestConsentWithdrawalReachesReports follows one learner through the
// accounts API: with consent and answers past the Washington Group cut-off
// their enrollment counts as "yes"; withdrawing consent resets the snapshot
// to not_stated, which the rollups count after their next refresh (the
// enrollments trigger logs the change), and not before.
func TestConsentWithdrawalReachesReports(t *testing.T) {
	env, mod := newBrowserEnv(t)
	f := fixtures{t, testDB.DB}
	c := f.course("disability-" + uniq())
	s := mod.Store
	u := env.NewUser(t)
	answers := map[string]any{"seeing": "no_difficulty", "hearing": "a_lot_of_difficulty", "walking": "no_difficulty",
		"cognition": "some_difficulty", "self_care": "no_difficulty", "communication": "no_difficulty"}
	env.Expect(t, apptest.Request{Method: http.MethodPatch, Path: "/v1/me", Token: u.Token,
		Body: map[string]any{"functioning_consent": true, "functioning": answers}}, http.StatusOK)
	env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/courses/" + c.Slug + "/enrollments", Token: u.Token}, http.StatusCreated)
	f.refresh(s)

	q := query(t, s, Params{GroupBy: "disability", Course: c.Slug})
	statuses := func(t *testing.T, live bool) map[string]int64 {
		t.Helper()
		out := map[string]int64{}
		for _, r := range rowsOf(t, s, q, live) {
			out[*r.Values[0]] = r.Counts.Learners
		}
		return out
	}
	check := func(t *testing.T, live bool, want string) {
		t.Helper()
		if got := statuses(t, live); len(got) != 1 || got[want] != 1 {
			t.Fatalf("live=%v: learners by disability %v, want one %s", live, got, want)
		}
	}
	t.Run("with consent the enrollment counts as yes", func(t *testing.T) {
		check(t, false, "yes")
		check(t, true, "yes")
	})
	env.Expect(t, apptest.Request{Method: http.MethodPatch, Path: "/v1/me", Token: u.Token,
		Body: map[string]any{"functioning_consent": false}}, http.StatusOK)
	t.Run("the rollups count it as before until they are refreshed", func(t *testing.T) {
		check(t, false, "yes")
		check(t, true, "not_stated")
	})
	time.Sleep(10 * time.Millisecond)
	f.refresh(s)
	t.Run("after the refresh it counts as not_stated, through every route", func(t *testing.T) {
		check(t, false, "not_stated")
		check(t, true, "not_stated")
		// Without the course filter other tests' learners count too: every
		// route must agree with the enrollments as they are now.
		for _, p := range []Params{{GroupBy: "disability"}, {GroupBy: "disability,month"}, {GroupBy: "gender,disability", From: "2000-01-01"},
			{GroupBy: "cohort,disability"}, {GroupBy: "course,disability"}} {
			q := query(t, s, p)
			want := counted(t, s, q, q.GroupBy, true)
			if got := counted(t, s, q, q.GroupBy, false); len(got) != len(want) {
				t.Fatalf("%+v: %d rows, live %d", p, len(got), len(want))
			} else {
				for k, w := range want {
					if got[k] != w {
						t.Fatalf("%+v: cell %q = %+v, live %+v", p, k, got[k], w)
					}
				}
			}
		}
	})
}

// rowsOf returns the noise-free rows of q grouped by its group_by.
func rowsOf(t *testing.T, s *Store, q Query, live bool) []Row {
	t.Helper()
	tx, err := s.rdb.BeginTxx(t.Context(), reportTx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	rows, err := s.aggregate(t.Context(), tx, q, q.GroupBy, live, false)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestDisabilityInEveryFormat groups a known course by disability (KE's 19
// learners with a disability, NG's 17 without, FJ's 8 not stated) and checks
// that JSON, CSV, the chart and an export publish the same figures.
func TestDisabilityInEveryFormat(t *testing.T) {
	env, mod := newEnv(t)
	f := fixtures{t, testDB.DB}
	c := smallWorld(t, f)
	f.exec(`UPDATE enrollments SET disability = CASE country WHEN 'KE' THEN 'yes' WHEN 'NG' THEN 'no' ELSE 'not_stated' END
		WHERE course_id = $1`, c.ID)
	f.refresh(mod.Store)
	analyst := env.NewUser(t, cc.RoleAnalyst)
	get := func(path string) []byte {
		return env.Expect(t, apptest.Request{Method: http.MethodGet, Path: path, Token: analyst.Token}, http.StatusOK).Body
	}
	query := "group_by=disability&course=" + c.Slug
	var rep struct {
		Rows []struct {
			Disability string `json:"disability"`
			Learners   int64  `json:"learners"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(get("/v1/reports/participation?"+query), &rep); err != nil {
		t.Fatal(err)
	}
	published := map[string]int64{}
	for _, r := range rep.Rows {
		published[r.Disability] = r.Learners
	}
	for status, truth := range map[string]int64{"yes": 19, "no": 17, "not_stated": 8} {
		if n, ok := published[status]; !ok || !nearTruth(n, truth) {
			t.Fatalf("%s: %d learners published (listed %v), true %d", status, n, ok, truth)
		}
	}
	sync := get("/v1/reports/participation?format=csv&" + query)
	t.Run("CSV", func(t *testing.T) {
		rows := readCSV(t, sync)
		if len(rows) != 4 || rows[0][0] != "disability" {
			t.Fatalf("CSV %v", rows)
		}
		for _, r := range rows[1:] {
			if r[1] != strconv.FormatInt(published[r[0]], 10) {
				t.Fatalf("CSV row %v, JSON %d", r, published[r[0]])
			}
		}
	})
	t.Run("chart", func(t *testing.T) {
		text := svgText(t, get("/v1/reports/participation.svg?"+query))
		for _, status := range []string{"yes", "no", "not_stated"} {
			if want := textsFor("en").get("disability."+status) + ": " + strconv.FormatInt(published[status], 10); !strings.Contains(text, want) {
				t.Fatalf("chart lacks %q: %s", want, text)
			}
		}
	})
	t.Run("export", func(t *testing.T) {
		var e struct{ ID string }
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/reports/exports", Token: analyst.Token,
			Body: map[string]any{"group_by": "disability", "course": c.Slug}}, http.StatusAccepted).JSON(t, &e)
		mux := asynq.NewServeMux()
		mod.handler.RegisterTasks(mux)
		if err := mux.ProcessTask(t.Context(), asynq.NewTask(jobs.TypeBuildExport, []byte(`{"export_id":"`+e.ID+`"}`))); err != nil {
			t.Fatal(err)
		}
		if file := get("/v1/reports/exports/" + e.ID + "?format=csv"); !bytes.Equal(file, sync) {
			t.Fatalf("export %s, report %s", file, sync)
		}
	})
}
