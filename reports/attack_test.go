package reports

import (
	"bytes"
	"context"
	"math"
	"testing"
	"time"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

// The five attacks of issue 17, tried as an analyst would over the HTTP API:
// a course with 40 learners in five countries and one woman from Fiji, the
// only learner with a disability (some others answered "no"). They
// run in a database of their own, so that reports without filters count
// this population alone and every route (each rollup, the counted state) is
// exercised.

// attackWorld is the population and the analyst's view of it.
type attackWorld struct {
	env     *apptest.Env
	mod     *module
	f       fixtures
	analyst apptest.User
	course  course
	her     string // the woman from Fiji (a user id)
}

// herDay is when she enrolled: the only enrollment of Asia-Pacific in November.
var herDay = time.Date(2025, 11, 14, 10, 0, 0, 0, time.UTC)

func newAttackWorld(t *testing.T, withHer bool) *attackWorld {
	db, err := pgtest.New("reports_attacks")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	w := &attackWorld{f: fixtures{t, db.DB}}
	w.env = apptest.New(t, db, apptest.Options{RedisDB: redisDB})
	w.mod = newModule(w.env)
	w.mod.handler.perMinute = 1 << 20 // the trials run thousands of reports
	w.analyst = w.env.NewUser(t, cc.RoleAnalyst)
	w.course = w.f.course("attack-" + uniq())
	i := 0
	for _, g := range []struct {
		country string
		n       int
	}{{"KE", 10}, {"NG", 8}, {"BR", 8}, {"IN", 7}, {"BD", 7}} {
		for j := range g.n {
			gender := []string{"female", "male"}[j%2]
			at := time.Date(2025, time.Month(1+i%10), 1+i%27, 9, 0, 0, 0, time.UTC)
			e := w.f.enroll(w.f.user(gender, g.country), w.course, nil, snap{gender, "youth", g.country, "25_34"}, at, false)
			if j%3 == 0 {
				w.f.disability(e, "no")
			}
			if j < 3 { // every country has three completions with certificates
				w.f.complete(e)
				w.f.certify(e)
			}
			i++
		}
	}
	if withHer {
		w.addHer()
	}
	w.f.refresh(w.mod.Store)
	return w
}

// addHer enrolls the woman from Fiji, with a disability; she completes and
// is certified.
func (w *attackWorld) addHer() {
	w.her = w.f.user("female", "FJ")
	e := w.f.enroll(w.her, w.course, nil, snap{"female", "professional", "FJ", "35_44"}, herDay, true)
	w.f.disability(e, "yes")
	w.f.certify(e)
}

// report asks for a report as the analyst, in JSON.
func (w *attackWorld) report(t *testing.T, query string) map[string]any {
	t.Helper()
	return w.env.Expect(t, apptest.Request{Method: "GET", Path: "/v1/reports/participation?" + query, Token: w.analyst.Token}, 200).Map(t)
}

// body asks for a report in any format and returns it as it is.
func (w *attackWorld) body(t *testing.T, path string) []byte {
	t.Helper()
	return w.env.Expect(t, apptest.Request{Method: "GET", Path: path, Token: w.analyst.Token}, 200).Body
}

// rekey draws new random keys for every learner and enrollment, as if the
// same people had enrolled again: each trial of a differencing attack is an
// independent draw of the noise.
func (w *attackWorld) rekey(t *testing.T) {
	w.f.exec(`UPDATE learner_record_keys SET record_key = floor(random() * 256)`)
	w.f.exec(`UPDATE enrollments e SET record_key = floor(random() * 256), learner_key = k.record_key
		FROM learner_record_keys k WHERE k.user_id = e.user_id`)
	w.f.exec(`INSERT INTO report_changes (enrollment_id) SELECT id FROM enrollments`)
	w.f.refresh(w.mod.Store)
}

// measureNames are the counts an attacker tries to recover.
var measureNames = []string{"learners", "completions", "certificates"}

// count is a published count, or -1 when not shown.
func count(v any) int64 {
	f, ok := v.(float64)
	if !ok {
		return -1
	}
	return int64(f)
}

// maxShare is the largest probability of one perturbation of a count of 5
// or more: the chance that a sum of independent perturbations, one of which
// is such a count's, happens to be exactly zero is at most this.
func maxShare() float64 {
	m := 0.0
	for _, p := range published {
		m = math.Max(m, p)
	}
	return m
}

// collision is the chance that two independent perturbations of counts of
// 5 or more are equal: a difference of two such answers is exact only then.
func collision() float64 {
	var c float64
	for _, p := range published {
		c += p * p
	}
	return c
}

// checkRate fails when an attack recovered her values in more than p of the
// trials plus three standard deviations of a binomial count.
func checkRate(t *testing.T, what string, hits, trials int, p float64) {
	t.Helper()
	bound := float64(trials)*p + 3*math.Sqrt(float64(trials)*p*(1-p))
	t.Logf("%s: exact in %d of %d trials (bound %.1f, expected at most %.0f%%)", what, hits, trials, bound, p*100)
	if float64(hits) > bound {
		t.Fatalf("%s: exact in %d of %d trials, more than the noise allows (%.1f)", what, hits, trials, bound)
	}
}

func TestAttacksOnALoneLearner(t *testing.T) {
	w := newAttackWorld(t, true)
	const trials = 60
	linked := map[string]int{}
	windows := map[string]int{}
	for range trials {
		w.rekey(t)
		// 1. Linked tables: the totals minus every row shown is Fiji, or
		// the learners with a disability.
		for _, dim := range []string{"country", "disability"} {
			rep := w.report(t, "group_by="+dim)
			totals := rep["totals"].(map[string]any)
			for _, m := range measureNames {
				est := count(totals[m])
				for _, r := range rep["rows"].([]any) {
					if v := r.(map[string]any)[dim]; v == "FJ" || v == "yes" {
						t.Fatalf("%s %v is listed", dim, v)
					}
					est -= count(r.(map[string]any)[m])
				}
				if est == 1 {
					linked[dim+", "+m]++
				}
			}
		}
		// 3. Date windows a month apart: Asia-Pacific up to November minus
		// up to October is her.
		upTo := func(to string) map[string]any {
			return w.report(t, "region=asia_pacific&to="+to)["totals"].(map[string]any)
		}
		nov, oct := upTo("2025-11-30"), upTo("2025-10-31")
		for _, m := range measureNames {
			if count(nov[m])-count(oct[m]) == 1 {
				windows[m]++
			}
		}
		// Windows a day apart are the same whole month: nothing to difference.
		day, dayBefore := w.report(t, "region=asia_pacific&to=2025-11-14"), w.report(t, "region=asia_pacific&to=2025-11-13")
		if !sameCounts(day["totals"], dayBefore["totals"]) || !sameCounts(day["totals"], nov) {
			t.Fatalf("windows within one month differ: %v, %v, %v", day["totals"], dayBefore["totals"], nov)
		}
		checkNeverListed(t, w)
	}
	for _, m := range measureNames {
		checkRate(t, "linked tables by country, "+m, linked["country, "+m], trials, maxShare())
		checkRate(t, "linked tables by disability, "+m, linked["disability, "+m], trials, maxShare())
		checkRate(t, "date windows, "+m, windows[m], trials, collision())
	}
}

// checkNeverListed is attack 2: her combination is never listed, in any
// grouping fine enough to single her out, in any format, on her day.
func checkNeverListed(t *testing.T, w *attackWorld) {
	t.Helper()
	all := "group_by=country,gender,age_band,audience,course,month,disability"
	for _, q := range []string{all, all + "&from=2025-11-14&to=2025-11-14", "group_by=country&from=2025-11-14&to=2025-11-14",
		"group_by=age_band,audience", "group_by=sids,gender", "group_by=disability", "group_by=disability,month",
		"group_by=disability&region=asia_pacific", "group_by=gender,disability&from=2025-11-14&to=2025-11-14"} {
		rep := w.report(t, q)
		for _, r := range rep["rows"].([]any) {
			r := r.(map[string]any)
			if r["country"] == "FJ" || r["age_band"] == "35_44" || r["audience"] == "professional" || r["sids"] == true ||
				r["disability"] == "yes" {
				t.Fatalf("%s: her combination is listed: %v", q, r)
			}
		}
		for _, path := range []string{"/v1/reports/participation?format=csv&" + q, "/v1/reports/participation.svg?" + q} {
			if b := w.body(t, path); bytes.Contains(b, []byte("FJ")) || bytes.Contains(b, []byte("35_44")) || bytes.Contains(b, []byte("rofessional")) ||
				bytes.Contains(b, []byte("yes")) || bytes.Contains(b, []byte("with disability")) {
				t.Fatalf("%s names her: %s", path, b)
			}
		}
	}
}

func sameCounts(a, b any) bool {
	x, y := a.(map[string]any), b.(map[string]any)
	for _, m := range []string{"learners", "enrollments", "completions", "certificates", "completion_rate", "suppressed"} {
		if x[m] != y[m] {
			return false
		}
	}
	return true
}

// TestAttacksAcrossRoutesAndTime are attacks 4 and 5: the same table through
// every route gives one answer, before she enrolls, after she enrolled but
// before the rollups were refreshed, and after.
func TestAttacksAcrossRoutesAndTime(t *testing.T) {
	w := newAttackWorld(t, false)
	// Each asks for the same population (everyone, or Asia-Pacific) through
	// a different route: a rollup, a month rollup, the counted state (a
	// date filter without a month grouping), a cohort grouping, a course.
	routes := []string{"", "from=2000-01-01", "to=2099-12-31", "group_by=cohort", "course=" + w.course.Slug,
		"group_by=month", "group_by=gender", "group_by=country,month", "from=2025-01-01&to=2025-11-30"}
	regional := []string{"region=asia_pacific", "region=asia_pacific&from=2000-01-01", "region=asia_pacific&group_by=cohort",
		"region=asia_pacific&group_by=month", "region=asia_pacific&course=" + w.course.Slug, "region=asia_pacific&to=2025-11-14"}
	answers := func(t *testing.T, qs []string) map[string]any {
		var first map[string]any
		for _, q := range qs {
			rep := w.report(t, q)
			if first != nil && !sameCounts(first["totals"], rep["totals"]) {
				t.Fatalf("%q totals %v differ from %q totals %v", qs[0], first["totals"], q, rep["totals"])
			}
			if first == nil {
				first = rep
			}
		}
		return first["totals"].(map[string]any)
	}
	rows := func(t *testing.T, q string) []any { return w.report(t, q)["rows"].([]any) }
	before, beforeAP := answers(t, routes), answers(t, regional)
	tableBefore := rows(t, "group_by=country,gender")

	w.addHer()
	t.Run("right after she enrolled every route gives the answer of before", func(t *testing.T) {
		if now := answers(t, routes); !sameCounts(now, before) {
			t.Fatalf("totals moved before the refresh: %v -> %v", before, now)
		}
		if now := answers(t, regional); !sameCounts(now, beforeAP) {
			t.Fatalf("Asia-Pacific moved before the refresh: %v -> %v", beforeAP, now)
		}
		if !equalJSON(tableBefore, rows(t, "group_by=country,gender")) || !equalJSON(tableBefore, rows(t, "group_by=country,gender&from=2000-01-01")) {
			t.Fatal("a table moved before the refresh")
		}
	})
	w.f.refresh(w.mod.Store)
	t.Run("after the refresh every route gives one new answer", func(t *testing.T) {
		answers(t, routes)
		answers(t, regional)
	})
	t.Run("the same table through the rollup and the counted state lists the same rows", func(t *testing.T) {
		for _, g := range []string{"country,gender", "country", "gender,age_band", "sids,audience", "disability", "gender,disability"} {
			rollup, state := rows(t, "group_by="+g), rows(t, "group_by="+g+"&from=2000-01-01")
			if !equalJSON(rollup, state) {
				t.Fatalf("group_by=%s: %v through the rollups, %v through the counted state", g, rollup, state)
			}
		}
	})
	t.Run("counted from the raw tables the report is the same too", func(t *testing.T) {
		for _, p := range []Params{{GroupBy: "country,gender"}, {GroupBy: "month", Region: "asia_pacific"}, {}, {GroupBy: "disability,month"}} {
			q, err := p.Parse(5)
			if err != nil {
				t.Fatal(err)
			}
			rollup, err := participationVia(context.Background(), w.mod.Store, q, false)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := participationVia(context.Background(), w.mod.Store, q, true)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := rollup.JSON()
			b, _ := raw.JSON()
			if !bytes.Equal(stripTimes(a), stripTimes(b)) {
				t.Fatalf("%+v: rollups %s, raw %s", p, a, b)
			}
		}
	})
}

func equalJSON(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i].(map[string]any), b[i].(map[string]any)
		if len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if y[k] != v {
				return false
			}
		}
	}
	return true
}

// stripTimes drops generated_at and data_as_of, which differ between two
// runs of the same report.
func stripTimes(b []byte) []byte {
	for _, field := range []string{`"generated_at":"`, `"data_as_of":"`} {
		if i := bytes.Index(b, []byte(field)); i >= 0 {
			j := bytes.IndexByte(b[i+len(field):], '"')
			b = append(b[:i:i], b[i+len(field)+j+1:]...)
		}
	}
	return b
}
