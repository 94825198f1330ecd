package reports

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// fact is one enrollment as the reference counts it, read from the raw tables.
type fact struct {
	ID        string         `db:"id"`
	UserID    string         `db:"user_id"`
	Gender    string         `db:"gender"`
	Region    string         `db:"region"`
	Country   string         `db:"country"`
	Audience  string         `db:"audience"`
	AgeBand   string         `db:"age_band"`
	Course    string         `db:"course"`
	CourseID  string         `db:"course_id"`
	Cohort    sql.NullString `db:"cohort_id"`
	At        time.Time      `db:"enrolled_at"`
	LDC       bool           `db:"ldc"`
	SIDS      bool           `db:"sids"`
	LLDC      bool           `db:"lldc"`
	Disabled  string         `db:"disability"`
	Education string         `db:"education_level"`
	Completed bool           `db:"completed"`
	Certified bool           `db:"certified"`
	// The record keys, which the reference adds up as the store must.
	LearnerKey int64 `db:"learner_key"`
	RecordKey  int64 `db:"record_key"`
}

func loadFacts(t testing.TB, s *Store) []fact {
	t.Helper()
	var fs []fact
	err := s.db.Select(&fs, `SELECT e.id, e.user_id, e.gender, e.region, e.country, e.audience, e.age_band, c.slug AS course,
			e.course_id, e.cohort_id, e.enrolled_at, e.ldc, e.sids, e.lldc, e.disability, e.education_level, e.status = 'completed' AS completed,
			EXISTS (SELECT 1 FROM certificates x WHERE x.enrollment_id = e.id AND x.revoked_at IS NULL) AS certified,
			e.learner_key, e.record_key
		FROM enrollments e JOIN courses c ON c.id = e.course_id`)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func (f fact) value(dim string) *string {
	var v string
	switch dim {
	case "gender":
		v = f.Gender
	case "region":
		v = f.Region
	case "country":
		v = f.Country
	case "audience":
		v = f.Audience
	case "age_band":
		v = f.AgeBand
	case "course":
		v = f.CourseID
	case "cohort":
		if !f.Cohort.Valid {
			return nil
		}
		v = f.Cohort.String
	case "month":
		v = f.At.UTC().Format("2006-01")
	case "ldc":
		v = fmt.Sprint(f.LDC)
	case "sids":
		v = fmt.Sprint(f.SIDS)
	case "lldc":
		v = fmt.Sprint(f.LLDC)
	case "disability":
		v = f.Disabled
	case "education_level":
		v = f.Education
	}
	return &v
}

func (f fact) matches(q Query) bool {
	day := f.At.UTC().Truncate(24 * time.Hour)
	return (q.courseID == "" || f.CourseID == q.courseID) && (q.Cohort == "" || f.Cohort.String == q.Cohort) &&
		(q.Country == "" || f.Country == q.Country) && (q.Region == "" || f.Region == q.Region) &&
		(q.from.IsZero() || !day.Before(q.from)) && (q.to.IsZero() || !day.After(q.to))
}

// rowKey identifies a row by its dimension values: each value followed by a
// zero byte, or \x01 and a zero byte for NULL (text never holds a NUL).
func rowKey(r Row) string {
	var b strings.Builder
	for _, v := range r.Values {
		if v == nil {
			b.WriteByte(1)
		} else {
			b.WriteString(*v)
		}
		b.WriteByte(0)
	}
	return b.String()
}

// cell is a cell's exact counts and the sums of their records' keys.
type cell struct{ Counts, Keys Counts }

// reference counts q grouped by dims the plainest way: sets of people per
// cell, each person's key added once.
func reference(facts []fact, q Query, dims []string) map[string]cell {
	out := map[string]cell{}
	people := map[string]map[string]bool{}
	for _, f := range facts {
		if !f.matches(q) {
			continue
		}
		r := Row{Values: make([]*string, len(dims))}
		for i, d := range dims {
			r.Values[i] = f.value(d)
		}
		k := rowKey(r)
		c := out[k]
		if people[k] == nil {
			people[k] = map[string]bool{}
		}
		if !people[k][f.UserID] {
			people[k][f.UserID] = true
			c.Counts.Learners++
			c.Keys.Learners += f.LearnerKey
		}
		c.Counts.Enrollments++
		c.Keys.Enrollments += f.RecordKey
		if f.Completed {
			c.Counts.Completions++
			c.Keys.Completions += f.RecordKey
		}
		if f.Certified {
			c.Counts.Certificates++
			c.Keys.Certificates += f.RecordKey
		}
		out[k] = c
	}
	if len(dims) == 0 && len(out) == 0 {
		out[""] = cell{}
	}
	return out
}

// counted runs the store's noise-free aggregation (no perturbation, no
// suppression) from the rollups, or live.
func counted(t testing.TB, s *Store, q Query, dims []string, live bool) map[string]cell {
	t.Helper()
	tx, err := s.rdb.BeginTxx(context.Background(), reportTx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var rows []Row
	if len(dims) == 0 { // a report without dimensions is its totals
		totals, _, err := s.margins(context.Background(), tx, q, live)
		if err != nil {
			t.Fatal(err)
		}
		rows = []Row{{Counts: totals.Counts, Keys: totals.Keys}}
	} else if rows, err = s.aggregate(context.Background(), tx, q, dims, live, false); err != nil {
		t.Fatal(err)
	}
	out := map[string]cell{}
	for _, r := range rows {
		out[rowKey(r)] = cell{r.Counts, r.Keys}
	}
	return out
}

func query(t testing.TB, s *Store, p Params) Query {
	t.Helper()
	q, err := p.Parse(5)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Resolve(context.Background(), &q); err != nil {
		t.Fatal(err)
	}
	return q
}

var exactGroupings = []string{
	"", "gender", "gender,region", "country,month", "course", "course,gender", "cohort", "month",
	"age_band,ldc", "region,audience,sids,lldc", "course,cohort,month", "cohort,course",
	"gender,month", "region,month", "month,country,region,ldc", "audience,month",
	"disability", "gender,disability", "disability,month", "course,disability", "cohort,disability",
	"disability,education_level", "education_level,region,ldc", "country,gender", "audience,age_band,month",
	strings.Join(Dimensions, ","),
}

// groupsChanged adds enrollments of one country and month taken while its
// groups differed (as when a country leaves the LDC list): that country and
// month then spans two places of the geography rollups.
func groupsChanged(f fixtures, ds dataset) {
	at := func(d int) time.Time { return time.Date(2024, 4, d, 9, 0, 0, 0, time.UTC) }
	f.enroll(f.user("female", "BD"), ds.courses[0], nil, snap{"female", "youth", "BD", "15_24"}, at(3), true)
	f.enroll(f.user("male", "BD"), ds.courses[1], nil, snap{"male", "professional", "BD", "25_34"}, at(9), false)
	before := f.enroll(f.user("female", "BD"), ds.courses[2], nil, snap{"female", "msme", "BD", "35_44"}, at(20), true)
	f.exec(`UPDATE enrollments SET ldc = NOT ldc WHERE id = $1`, before)
}

// sameMonthMovers adds learners with several snapshots within one month: one
// that changed only age band (one cell of the geography-by-month rollup), one
// that changed only audience, and ones that changed country within and across
// regions (several cells).
func sameMonthMovers(f fixtures, ds dataset) {
	at := func(m, d int) time.Time { return time.Date(2024, time.Month(m), d, 9, 0, 0, 0, time.UTC) }
	a := f.user("female", "KE")
	f.enroll(a, ds.courses[0], nil, snap{"female", "youth", "KE", "25_34"}, at(5, 2), true)
	f.enroll(a, ds.courses[1], nil, snap{"female", "youth", "KE", "35_44"}, at(5, 20), false)
	f.enroll(a, ds.courses[2], nil, snap{"female", "youth", "NG", "35_44"}, at(5, 28), false)
	b := f.user("male", "KE")
	f.enroll(b, ds.courses[0], nil, snap{"male", "youth", "KE", "15_24"}, at(6, 3), false)
	f.enroll(b, ds.courses[3], nil, snap{"male", "professional", "KE", "15_24"}, at(6, 4), true)
	c := f.user("female", "BR")
	f.enroll(c, ds.courses[1], nil, snap{"female", "msme", "BR", "45_54"}, at(7, 1), false)
	f.enroll(c, ds.courses[2], nil, snap{"female", "msme", "FR", "45_54"}, at(7, 31), false)
	f.enroll(c, ds.courses[3], nil, snap{"female", "msme", "FR", "45_54"}, at(8, 1), false)
}

func exactFilters(ds dataset) []Params {
	return []Params{
		{}, {Country: "KE"}, {Region: "africa"}, {Course: ds.courses[0].Slug}, {Cohort: ds.cohorts[1]},
		{From: "2024-03-01", To: "2024-08-31"}, {From: "2024-03-15", To: "2024-09-10"},
		{Course: ds.courses[2].Slug, From: "2024-02-01"}, {To: "2024-05-31", Region: "asia_pacific"},
	}
}

// checkExact compares every grouping and filter with the reference.
func checkExact(t *testing.T, s *Store, ds dataset) {
	facts := loadFacts(t, s)
	for _, p := range exactFilters(ds) {
		checkMargins(t, s, facts, query(t, s, p))
		for _, g := range exactGroupings {
			p.GroupBy = g
			q := query(t, s, p)
			want := reference(facts, q, q.GroupBy)
			checkWithMargins(t, s, facts, q, want)
			for _, live := range []bool{false, true} {
				name := fmt.Sprintf("group_by=%s filters=%+v live=%v", g, p, live)
				got := counted(t, s, q, q.GroupBy, live)
				if len(got) != len(want) {
					t.Fatalf("%s: %d rows, want %d", name, len(got), len(want))
				}
				for k, w := range want {
					if got[k] != w {
						t.Fatalf("%s: cell %q = %+v, want %+v", name, strings.ReplaceAll(k, "\x00", "|"), got[k], w)
					}
				}
			}
		}
	}
}

// checkMargins compares the totals and gender margin, read in one statement,
// with the reference.
func checkMargins(t *testing.T, s *Store, facts []fact, q Query) {
	t.Helper()
	for _, live := range []bool{false, true} {
		tx, err := s.rdb.BeginTxx(context.Background(), reportTx)
		if err != nil {
			t.Fatal(err)
		}
		totals, byGender, err := s.margins(context.Background(), tx, q, live)
		tx.Rollback()
		if err != nil {
			t.Fatal(err)
		}
		if want := reference(facts, q, nil)[""]; (cell{totals.Counts, totals.Keys}) != want {
			t.Fatalf("filters %+v live=%v: totals %+v %+v, want %+v", q, live, totals.Counts, totals.Keys, want)
		}
		want := reference(facts, q, []string{"gender"})
		if len(byGender) != len(want) {
			t.Fatalf("filters %+v live=%v: %d gender rows, want %d", q, live, len(byGender), len(want))
		}
		for _, r := range byGender {
			if got := (cell{r.Counts, r.Keys}); got != want[rowKey(r)] {
				t.Fatalf("filters %+v live=%v: gender %s = %+v, want %+v", q, live, *r.Values[0], got, want[rowKey(r)])
			}
		}
	}
}

// checkWithMargins compares the one scan of a learner rollup that serves a
// report's rows and margins together with the reference.
func checkWithMargins(t *testing.T, s *Store, facts []fact, q Query, want map[string]cell) {
	t.Helper()
	if len(q.GroupBy) == 0 || slices.Equal(q.GroupBy, []string{"gender"}) || !sameRollup(q) {
		return
	}
	tx, err := s.rdb.BeginTxx(context.Background(), reportTx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	rows, totals, byGender, err := s.withMargins(context.Background(), tx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(want) {
		t.Fatalf("%v filters %+v: %d rows, want %d", q.GroupBy, q, len(rows), len(want))
	}
	for _, r := range rows {
		if got := (cell{r.Counts, r.Keys}); got != want[rowKey(r)] {
			t.Fatalf("%v filters %+v: cell %q = %+v, want %+v", q.GroupBy, q, rowKey(r), got, want[rowKey(r)])
		}
	}
	if w := reference(facts, q, nil)[""]; (cell{totals.Counts, totals.Keys}) != w {
		t.Fatalf("%v filters %+v: totals %+v %+v, want %+v", q.GroupBy, q, totals.Counts, totals.Keys, w)
	}
	wantGender := reference(facts, q, []string{"gender"})
	if len(byGender) != len(wantGender) {
		t.Fatalf("%v filters %+v: %d gender rows, want %d", q.GroupBy, q, len(byGender), len(wantGender))
	}
	for _, r := range byGender {
		if got := (cell{r.Counts, r.Keys}); got != wantGender[rowKey(r)] {
			t.Fatalf("%v filters %+v: gender %s = %+v, want %+v", q.GroupBy, q, *r.Values[0], got, wantGender[rowKey(r)])
		}
	}
}

func TestCountsAreExact(t *testing.T) {
	f := fixtures{t, testDB.DB}
	s := NewStore(testDB.DB, testDB.DB, time.Now)
	ds := f.randomData(rand.New(rand.NewPCG(7, 11)), 150)
	sameMonthMovers(f, ds)
	groupsChanged(f, ds)
	f.refresh(s)

	t.Run("rollups and raw counts, and their key sums, agree with a direct count for every grouping and filter", func(t *testing.T) {
		checkExact(t, s, ds)
	})
	t.Run("a learner in several courses counts once in learners and once per enrollment", func(t *testing.T) {
		q := query(t, s, Params{GroupBy: "gender"})
		got := counted(t, s, q, nil, false)[""].Counts
		if got.Learners >= got.Enrollments {
			t.Fatalf("learners %d, enrollments %d: the data should have learners in several courses", got.Learners, got.Enrollments)
		}
	})
	t.Run("the common groupings are served by rollups", func(t *testing.T) {
		for _, g := range []string{"gender,region", "country,month", "region,month", "course,gender", "", "age_band", "disability", "disability,month"} {
			q := query(t, s, Params{GroupBy: g})
			if src := q.route(q.GroupBy); src == fromState || src == fromEnrollments {
				t.Errorf("group_by=%s is counted enrollment by enrollment", g)
			}
		}
	})
	t.Run("date filters are widened to whole months", func(t *testing.T) {
		q := query(t, s, Params{GroupBy: "month", From: "2024-01-10", To: "2024-02-03"})
		if from, to := q.window(); from != "2024-01-01" || to != "2024-02-29" {
			t.Fatalf("window %s..%s, want 2024-01-01..2024-02-29", from, to)
		}
		if src := q.route(q.GroupBy); src != fromPlaceMonthCells {
			t.Fatalf("a month window grouped by month is counted from source %d", src)
		}
	})
	t.Run("every learner rollup has overlap rows, so that they are exercised", func(t *testing.T) {
		for _, r := range learnerRollups {
			var n int
			nulls := strings.Join(r.key, " IS NULL OR ") + " IS NULL"
			if err := s.db.Get(&n, `SELECT count(*) FROM `+r.table+` WHERE `+nulls); err != nil || n == 0 {
				t.Fatalf("%s: %d overlap rows, %v", r.table, n, err)
			}
		}
	})
	t.Run("learners whose disability status differs between enrollments are movers", func(t *testing.T) {
		var n int
		err := s.db.Get(&n, `SELECT count(*) FROM (SELECT user_id FROM report_enrollment_state WHERE mover
			GROUP BY user_id HAVING count(DISTINCT disability) > 1) m`)
		if err != nil || n == 0 {
			t.Fatalf("disability movers: %d, %v", n, err)
		}
	})
	t.Run("a country whose groups changed spans two places in a month", func(t *testing.T) {
		var n int
		err := s.db.Get(&n, `SELECT count(*) FROM (SELECT 1 FROM report_place_month_cells
			GROUP BY country, month HAVING count(*) > 1) d`)
		if err != nil || n == 0 {
			t.Fatalf("countries and months with several places: %d, %v", n, err)
		}
	})
	t.Run("geography by month is served by its own rollup", func(t *testing.T) {
		for g, want := range map[string]source{"country,month": fromPlaceMonthCells, "month": fromPlaceMonthCells,
			"ldc,month": fromPlaceMonthCells, "region,country,month": fromPlaceMonthCells,
			"gender,region,month": fromGeoMonthCells, "gender,month": fromGeoMonthCells} {
			if src := query(t, s, Params{GroupBy: g}).route(strings.Split(g, ",")); src != want {
				t.Errorf("group_by=%s is counted from source %d, want %d", g, src, want)
			}
		}
		for _, g := range []string{"audience,month", "disability,month"} {
			if src := query(t, s, Params{GroupBy: g}).route(strings.Split(g, ",")); src != fromMonthCells {
				t.Errorf("group_by=%s is counted from source %d", g, src)
			}
		}
	})
}

func TestRollupsRefreshIncrementally(t *testing.T) {
	f := fixtures{t, testDB.DB}
	s := NewStore(testDB.DB, testDB.DB, time.Now)
	r := rand.New(rand.NewPCG(3, 5))
	ds := f.randomData(r, 60)
	f.refresh(s)
	before := totalsFromRollups(t, s)
	asOf := rollupAge(t, s)

	// Changes of every kind after the refresh.
	u := f.user("female", "FJ")
	e1 := f.enroll(u, ds.courses[3], nil, snap{"female", "youth", "FJ", "15_24"}, time.Date(2025, 2, 3, 0, 0, 0, 0, time.UTC), false)
	e2 := f.enroll(u, ds.courses[1], nil, snap{"female", "youth", "NP", "25_34"}, time.Date(2025, 2, 9, 0, 0, 0, 0, time.UTC), false)
	f.complete(e1)
	cert := f.certify(e1)
	f.certify(e2)
	f.exec(`UPDATE certificates SET revoked_at = now(), revoked_reason = 'test' WHERE id = $1`, cert)
	f.exec(`UPDATE enrollments SET cohort_id = $1 WHERE id = $2`, ds.cohorts[1], e2)
	var gone string
	f.get(&gone, `SELECT e.user_id FROM enrollments e WHERE NOT EXISTS (SELECT 1 FROM certificates c WHERE c.user_id = e.user_id) AND e.user_id <> $1 LIMIT 1`, u)
	f.exec(`DELETE FROM users WHERE id = $1`, gone)
	f.exec(`INSERT INTO enrollment_progress (enrollment_id, lessons_completed, last_activity_at) VALUES ($1, 3, now())
		ON CONFLICT (enrollment_id) DO UPDATE SET lessons_completed = 3, last_activity_at = now()`, e2) // not counted

	t.Run("changes are not visible before the next refresh", func(t *testing.T) {
		if got := totalsFromRollups(t, s); got != before {
			t.Fatalf("totals moved before a refresh: %+v -> %+v", before, got)
		}
	})
	time.Sleep(10 * time.Millisecond)
	f.refresh(s)
	t.Run("they are after it, exactly", func(t *testing.T) {
		checkExact(t, s, ds)
	})
	t.Run("data_as_of moves forward", func(t *testing.T) {
		after := rollupAge(t, s)
		if !after.Valid || !after.Time.After(asOf.Time) {
			t.Fatalf("data_as_of %v -> %v", asOf, after)
		}
	})
	t.Run("the change log is drained", func(t *testing.T) {
		var n int
		f.get(&n, `SELECT count(*) FROM report_changes`)
		if n != 0 {
			t.Fatalf("%d changes left", n)
		}
	})
	t.Run("incremental rollups equal a full rebuild", func(t *testing.T) {
		snapshot := func() []string {
			var rows []string
			err := f.db.Select(&rows, `SELECT t::text FROM (SELECT * FROM report_cells ORDER BY 1,2,3,4,5,6,7,8,9,10,11) t
				UNION ALL SELECT 'M' || t::text FROM (SELECT * FROM report_month_cells ORDER BY 1,2,3,4,5,6,7,8,9) t
				UNION ALL SELECT 'L' || t::text FROM (SELECT * FROM report_learner_cells ORDER BY 1,2,3,4,5,6,7,8) t
				UNION ALL SELECT 'G' || t::text FROM (SELECT * FROM report_geo_month_cells ORDER BY 1,2,3,4,5,6,7) t
				UNION ALL SELECT 'C' || t::text FROM (SELECT * FROM report_place_month_cells ORDER BY 1,2,3,4,5,6) t
				UNION ALL SELECT 'R' || t::text FROM report_region_cells t`)
			if err != nil {
				t.Fatalf("snapshot of the rollups: %v", err)
			}
			slices.Sort(rows)
			return rows
		}
		inc := snapshot()
		if len(inc) == 0 {
			t.Fatal("no rollup rows: the comparison would prove nothing")
		}
		if err := rebuildRollups(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		if full := snapshot(); !slices.Equal(inc, full) {
			t.Fatalf("incremental %d rows differ from rebuild %d rows", len(inc), len(full))
		}
	})
}

func totalsFromRollups(t testing.TB, s *Store) cell {
	return counted(t, s, query(t, s, Params{}), nil, false)[""]
}
