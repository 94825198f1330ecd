package reports

import (
	"net/http"
	"testing"
	"time"

	"github.com/cybercampus/cybercampus/internal/apptest"
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
