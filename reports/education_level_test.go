package reports

import (
	"net/http"
	"testing"
	"time"

	"github.com/cybercampus/cybercampus/internal/apptest"
)

// TestEducationLevelDimension follows pupils made by a trainer in a primary
// cohort and a self-enrolled learner: the cohort's education level is
// snapshotted on the enrollments and reports group by it, in the rollups and
// live, with not_stated outside a cohort that states one.
func TestEducationLevelDimension(t *testing.T) {
	env, mod := newBrowserEnv(t)
	f := fixtures{t, testDB.DB}
	c := f.course("education-" + uniq())
	s := mod.Store
	trainer := env.NewUser(t, "trainer")
	var r struct {
		Cohort struct {
			ID string `json:"id"`
		} `json:"cohort"`
	}
	env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts", Token: trainer.Token, Body: map[string]any{
		"name": "Year 5", "course": c.Slug, "country": "FR", "starts_on": "2026-03-01", "ends_on": "2026-06-30",
		"education_level": "primary"}}, http.StatusCreated).JSON(t, &r)
	pupils := []map[string]any{}
	for i := 0; i < 2; i++ {
		pupils = append(pupils, map[string]any{"name": "Pupil", "gender": "female", "birth_year": time.Now().Year() - 10})
	}
	env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/" + r.Cohort.ID + "/learners", Token: trainer.Token,
		Body: map[string]any{"consent": map[string]any{"basis": "school"}, "learners": pupils}}, http.StatusCreated)
	u := env.NewUser(t)
	env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/courses/" + c.Slug + "/enrollments", Token: u.Token}, http.StatusCreated)
	f.refresh(s)

	q := query(t, s, Params{GroupBy: "education_level", Course: c.Slug})
	for _, live := range []bool{false, true} {
		got := map[string]int64{}
		for _, row := range rowsOf(t, s, q, live) {
			v := "<nil>"
			if row.Values[0] != nil {
				v = *row.Values[0]
			}
			got[v] = row.Counts.Learners
		}
		if len(got) != 2 || got["primary"] != 2 || got["not_stated"] != 1 {
			t.Fatalf("live=%v: learners by education level %v, want 2 primary and 1 not_stated", live, got)
		}
	}
}
