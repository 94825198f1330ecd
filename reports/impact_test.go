package reports

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/apptest"
)

// took stores an enrollment's pre- or post-test attempt, as package
// assessments would.
func (f fixtures) took(enrollment, kind string, score int) {
	f.exec(`INSERT INTO assessment_draws (enrollment_id, kind, user_id, course_id, version_id, items)
		SELECT id, $2, user_id, course_id, version_id, '{b1}' FROM enrollments WHERE id = $1`, enrollment, kind)
	f.exec(`INSERT INTO assessment_attempts (id, enrollment_id, kind, user_id, course_id, version_id, answers, results, score)
		SELECT gen_random_uuid(), id, $2, user_id, course_id, version_id, '{}', '[]', $3 FROM enrollments WHERE id = $1`,
		enrollment, kind, score)
}

// answered stores an enrollment's answered survey, as package surveys would.
func (f fixtures) answered(enrollment, kind, answers string) {
	f.exec(`INSERT INTO surveys (user_id, enrollment_id, course_id, kind, due_at, response_id, answers, responded_at)
		SELECT user_id, id, course_id, $2, now(), gen_random_uuid(), $3::jsonb, now() FROM enrollments WHERE id = $1`,
		enrollment, kind, answers)
}

// impactWorld is what the impact report should say about one country,
// computed while the data is made.
type impactWorld struct {
	learners, pairs, satN, fuN, applied int
	preSum, postSum, satSum             float64
}

// makeImpactWorld enrols n learners of country in c and gives each, at
// random, tests, a satisfaction rating and follow-ups, tallying as it goes.
func makeImpactWorld(f fixtures, rng *rand.Rand, c course, country string, n int) impactWorld {
	var w impactWorld
	at := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	for range n {
		e := f.enroll(f.user("female", country), c, nil, snap{"female", "youth", country, "15_24"}, at, true)
		w.learners++
		pre, post := rng.IntN(3) > 0, rng.IntN(3) > 0
		ps, qs := rng.IntN(101), rng.IntN(101)
		if pre {
			f.took(e, "pre", ps)
		}
		if post {
			f.took(e, "post", qs)
		}
		if pre && post {
			w.pairs++
			w.preSum += float64(ps)
			w.postSum += float64(qs)
		}
		if rng.IntN(2) == 0 {
			r := 1 + rng.IntN(5)
			f.answered(e, "satisfaction", fmt.Sprintf(`{"overall": %d, "relevance": 3, "recommend": true}`, r))
			w.satN++
			w.satSum += float64(r)
		}
		for _, kind := range []string{"follow_up_90", "follow_up_180"} {
			if rng.IntN(2) == 0 {
				applied := rng.IntN(2) == 0
				f.answered(e, kind, fmt.Sprintf(`{"applied": %t, "changed_practice": false, "new_role": false}`, applied))
				w.fuN++
				if applied {
					w.applied++
				}
			}
		}
	}
	return w
}

func TestImpactFiguresMatchADirectComputation(t *testing.T) {
	f := fixtures{t, testDB.DB}
	c := f.course("impact-" + uniq())
	rng := rand.New(rand.NewPCG(23, 42))
	want := map[string]impactWorld{"KE": makeImpactWorld(f, rng, c, "KE", 40), "FJ": makeImpactWorld(f, rng, c, "FJ", 25)}
	store := NewStore(testDB.DB, testDB.DB, time.Now)
	q, err := Params{GroupBy: "country", Course: c.Slug}.Parse(5)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Resolve(context.Background(), &q); err != nil {
		t.Fatal(err)
	}
	values, counts, total, err := store.ImpactCells(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 2 {
		t.Fatalf("%d rows, want 2", len(counts))
	}
	var all impactWorld
	for i, got := range counts {
		w := want[*values[i][0]]
		all.learners, all.pairs, all.satN, all.fuN, all.applied = all.learners+w.learners, all.pairs+w.pairs, all.satN+w.satN, all.fuN+w.fuN, all.applied+w.applied
		all.preSum, all.postSum, all.satSum = all.preSum+w.preSum, all.postSum+w.postSum, all.satSum+w.satSum
		checkImpact(t, *values[i][0], got, w)
	}
	checkImpact(t, "totals", total, all)
	for i, got := range counts {
		var keys int64
		f.get(&keys, `SELECT sum(k) FROM (SELECT DISTINCT user_id, learner_key AS k FROM enrollments WHERE course_id = $1 AND country = $2) l`, c.ID, *values[i][0])
		if got.LearnerKeys != keys {
			t.Errorf("%s: learner key sum %d, want %d", *values[i][0], got.LearnerKeys, keys)
		}
	}
	pub := total.publish(5)
	if pub.MeanGain == nil || *pub.MeanGain != math.Round((all.postSum-all.preSum)/float64(all.pairs)*100)/100 ||
		*pub.AppliedShare != math.Round(float64(all.applied)/float64(all.fuN)*10000)/10000 {
		t.Fatalf("published totals %+v from %+v", pub, all)
	}
}

func checkImpact(t *testing.T, name string, got ImpactCounts, w impactWorld) {
	t.Helper()
	if got.Learners != int64(w.learners) || got.MatchedPairs != int64(w.pairs) || got.PreSum != w.preSum || got.PostSum != w.postSum ||
		got.SatisfactionResponses != int64(w.satN) || got.SatisfactionSum != w.satSum ||
		got.FollowUpResponses != int64(w.fuN) || got.Applied != int64(w.applied) {
		t.Errorf("%s: got %+v, want %+v", name, got, w)
	}
}

func TestImpactReportHTTP(t *testing.T) {
	env, _ := newEnv(t)
	f := fixtures{t, testDB.DB}
	c := f.course("impact-http-" + uniq())
	at := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	// KE: 10 learners, 7 with both tests (pre 50, post 80), 2 satisfaction
	// ratings (too few for a mean at the minimum of 5), 7 follow-ups of which
	// 4 applied. Perturbation moves a count of 5 or more by at most 2, so
	// every KE count is published at 5 or more.
	for i := range 10 {
		e := f.enroll(f.user("female", "KE"), c, nil, snap{"female", "youth", "KE", "15_24"}, at, true)
		if i < 7 {
			f.took(e, "pre", 50)
			f.took(e, "post", 80)
			f.answered(e, "follow_up_90", fmt.Sprintf(`{"applied": %t, "changed_practice": true, "new_role": false}`, i < 4))
		}
		if i < 2 {
			f.answered(e, "satisfaction", `{"overall": 5, "relevance": 5, "recommend": true}`)
		}
	}
	// FJ: 2 learners, both tested, gaining 90: published as at most 4, under
	// the minimum cell size, so the row is never listed.
	for range 2 {
		e := f.enroll(f.user("male", "FJ"), c, nil, snap{"male", "youth", "FJ", "15_24"}, at, true)
		f.took(e, "pre", 10)
		f.took(e, "post", 100)
	}
	analyst := env.NewUser(t, cc.RoleAnalyst)
	path := "/v1/reports/impact?group_by=country&course=" + c.Slug
	type report struct {
		Rows []struct {
			Country string `json:"country"`
			ImpactFigures
		} `json:"rows"`
		Totals            ImpactFigures `json:"totals"`
		DisclosureControl Disclosure    `json:"disclosure_control"`
	}
	var rep report
	env.Expect(t, apptest.Request{Method: http.MethodGet, Path: path, Token: analyst.Token}, http.StatusOK).JSON(t, &rep)
	if len(rep.Rows) != 1 || rep.Rows[0].Country != "KE" || rep.DisclosureControl.Method != Method || rep.DisclosureControl.MinCellSize != 5 {
		t.Fatalf("report %+v", rep)
	}
	near := func(p *int64, truth int64) bool { return p != nil && *p >= truth-MaxNoise && *p <= truth+MaxNoise }
	ke := rep.Rows[0].ImpactFigures
	if !near(ke.Learners, 10) || !near(ke.MatchedPairs, 7) || !near(ke.FollowUpResponses, 7) {
		t.Errorf("KE counts are not the truth within the noise: %+v", ke)
	}
	if ke.PreMean == nil || *ke.PreMean != 50 || *ke.PostMean != 80 || *ke.MeanGain != 30 || ke.SatisfactionMean != nil || *ke.AppliedShare != 0.5714 {
		t.Errorf("KE means = %+v", ke)
	}
	// Totals: 7 pairs gaining 30 and 2 gaining 90: 390 / 9.
	if tt := rep.Totals; !near(tt.Learners, 12) || !near(tt.MatchedPairs, 9) || *tt.MeanGain != 43.33 {
		t.Errorf("totals = %+v", tt)
	}
	t.Run("the same people always get the same figures", func(t *testing.T) {
		var again report
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: path, Token: analyst.Token}, http.StatusOK).JSON(t, &again)
		a, b := again.Rows[0].ImpactFigures, rep.Rows[0].ImpactFigures
		if *a.Learners != *b.Learners || *a.MatchedPairs != *b.MatchedPairs || *a.FollowUpResponses != *b.FollowUpResponses {
			t.Fatalf("figures changed between requests: %+v then %+v", b, a)
		}
	})
	t.Run("CSV states the disclosure control and lists no small group", func(t *testing.T) {
		r := env.Expect(t, apptest.Request{Method: http.MethodGet, Path: path, Token: analyst.Token, Headers: map[string]string{"Accept": "text/csv"}}, http.StatusOK)
		lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(string(r.Body), "\ufeff")), "\r\n")
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || len(lines) != 3 ||
			!strings.HasPrefix(lines[0], "# disclosure_control: method=cell_key_perturbation") ||
			!strings.HasPrefix(lines[1], "country,learners,matched_pairs,pre_mean") || !strings.HasPrefix(lines[2], "KE,") {
			t.Fatalf("CSV %q", lines)
		}
	})
	t.Run("analysts and admins only, validated like participation", func(t *testing.T) {
		for _, roles := range [][]string{nil, {cc.RoleTrainer}} {
			u := env.NewUser(t, roles...)
			env.Expect(t, apptest.Request{Method: http.MethodGet, Path: path, Token: u.Token}, http.StatusForbidden)
		}
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: path}, http.StatusUnauthorized)
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/reports/impact?group_by=shoe_size", Token: analyst.Token}, http.StatusUnprocessableEntity)
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/reports/impact?min_cell_size=1", Token: analyst.Token}, http.StatusUnprocessableEntity)
	})
}

// Every participation dimension groups the impact report too.
func TestImpactGroupsByEveryDimension(t *testing.T) {
	store := NewStore(testDB.DB, testDB.DB, time.Now)
	for _, d := range Dimensions {
		q, err := Params{GroupBy: d}.Parse(5)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Impact(context.Background(), q); err != nil {
			t.Errorf("group_by=%s: %v", d, err)
		}
	}
}
