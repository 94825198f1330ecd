package reports

import (
	"slices"
	"strings"
	"time"
)

// source is where a grouping's counts come from.
type source int

const (
	fromPlaceMonthCells source = iota // geography and month: distinct learners per month
	fromGeoMonthCells                 // gender, geography and month: distinct learners per month
	fromRegionCells                   // the snapshot without the country: distinct learners
	fromLearnerCells                  // the whole snapshot: distinct learners
	fromMonthCells                    // the whole snapshot and month: distinct learners per month
	fromCells                         // every dimension: one course at a time, so learners = enrollments
	fromState                         // what the rollups counted, enrollment by enrollment: the rest
	fromEnrollments                   // the raw tables: before the first refresh, and for the exactness tests
)

// learnerRollup is a rollup that counts distinct learners per cell of its key
// (per month, when the month is part of it), with the overlap rows that make
// any grouping of its cells count a learner once (overlap.go).
type learnerRollup struct {
	src   source
	table string
	key   []string // dimensions, month last in a month rollup
}

func (r learnerRollup) monthly() bool { return slices.Contains(r.key, "month") }

// profile is the demographic snapshot of an enrollment: the key of
// report_learner_cells.
const profile = "gender, region, country, audience, age_band, ldc, sids, lldc, disability, education_level"

// learnerRollups, smallest first: route picks the first that holds every
// dimension a report groups or filters by.
var learnerRollups = []learnerRollup{
	{fromPlaceMonthCells, "report_place_month_cells", dimList("region, country, ldc, sids, lldc, month")},
	{fromGeoMonthCells, "report_geo_month_cells", dimList("gender, region, country, ldc, sids, lldc, month")},
	{fromRegionCells, "report_region_cells", dimList("gender, region, audience, age_band, ldc, sids, lldc, disability, education_level")},
	{fromLearnerCells, "report_learner_cells", dimList(profile)},
	{fromMonthCells, "report_month_cells", dimList(profile + ", month")},
}

func dimList(s string) []string { return strings.Split(s, ", ") }

// rollupOf returns the learner rollup of src, if src is one.
func rollupOf(src source) (learnerRollup, bool) {
	for _, r := range learnerRollups {
		if r.src == src {
			return r, true
		}
	}
	return learnerRollup{}, false
}

// route picks the rollup that answers q grouped by dims exactly.
//
// A person has at most one enrollment per course, so when the rows are split by
// course (or the filter keeps a single course or cohort) the distinct learners
// of a cell equal its enrollments, and report_cells answers. Otherwise a
// learner with enrollments in several courses or months must count once: the
// smallest learner rollup whose key holds the grouped and filtered dimensions
// answers, a month rollup when grouped by month (it counts a learner once per
// month) and another one otherwise. Date filters without a month grouping,
// and cohort groupings that mix courses (the "no cohort" row), are counted
// from report_enrollment_state: the enrollments as the rollups counted them,
// refreshed in the same transaction, so that every route gives the same
// answer as of the same moment (data_as_of).
func (q Query) route(dims []string) source {
	has := func(d string) bool { return slices.Contains(dims, d) }
	oneCourse := q.Course != "" || q.Cohort != "" || has("course")
	switch {
	case has("cohort") && !oneCourse:
		return fromState
	case oneCourse:
		return fromCells
	case !has("month") && q.hasDates():
		return fromState
	}
	needed := slices.Clone(dims)
	if q.Country != "" {
		needed = append(needed, "country")
	}
	if q.Region != "" {
		needed = append(needed, "region")
	}
	for _, r := range learnerRollups {
		if r.monthly() == has("month") && onlyDims(needed, r.key) {
			return r.src
		}
	}
	return fromState
}

// columns are the rollup column of each dimension; the SQL below is assembled
// only from these constants, and every value is a placeholder.
var columns = map[string]string{
	"gender": "gender", "region": "region", "country": "country", "audience": "audience",
	"age_band": "age_band", "course": "course_id", "cohort": "cohort_id", "month": "month",
	"ldc": "ldc", "sids": "sids", "lldc": "lldc", "disability": "disability", "education_level": "education_level",
}

// onlyDims reports whether every dimension of dims is one of allowed.
func onlyDims(dims, allowed []string) bool {
	return !slices.ContainsFunc(dims, func(d string) bool { return !slices.Contains(allowed, d) })
}

// dimText is the text of a dimension in src's rows.
func dimText(src source, dim string) string {
	if src == fromEnrollments {
		if dim == "month" {
			return "to_char(e.enrolled_at AT TIME ZONE 'UTC', 'YYYY-MM')"
		}
		return "e." + columns[dim] + "::text"
	}
	if dim == "month" {
		return "to_char(month, 'YYYY-MM')"
	}
	return columns[dim] + "::text"
}

type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, strings.Replace(cond, "?", "$"+itoa(len(w.args)), 1))
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// filters returns the WHERE clause of q for a source; prefix qualifies columns.
func filters(src source, q Query, prefix string) *where {
	w := &where{}
	if q.courseID != "" {
		w.add(prefix+"course_id = ?", q.courseID)
	}
	if q.Cohort != "" {
		w.add(prefix+"cohort_id = ?", q.Cohort)
	}
	if q.Country != "" {
		w.add(prefix+"country = ?", q.Country)
	}
	if q.Region != "" {
		w.add(prefix+"region = ?", q.Region)
	}
	if src == fromEnrollments { // from and to are whole months (Parse)
		if !q.from.IsZero() {
			w.add("e.enrolled_at >= (?::date)::timestamp AT TIME ZONE 'UTC'", q.from.Format(time.DateOnly))
		}
		if !q.to.IsZero() {
			w.add("e.enrolled_at < (?::date + 1)::timestamp AT TIME ZONE 'UTC'", q.to.Format(time.DateOnly))
		}
		return w
	}
	if !q.from.IsZero() {
		w.add(prefix+"month >= ?::date", q.from.Format(time.DateOnly))
	}
	if !q.to.IsZero() {
		first := q.to.AddDate(0, 0, 1-q.to.Day())
		w.add(prefix+"month <= ?::date", first.Format(time.DateOnly))
	}
	return w
}

// The statements below count a report's cells, one per source; aggregateSQL
// fills in the grouped dimensions and the filters:
//
//   - {dims}: each grouped dimension as text, named d0, d1, …;
//   - {cols}: the same dimensions as the table's columns (the rollups are
//     grouped by their columns and only each group is formatted as text);
//   - {group}: what to group by, {cols} or, with the grand total too,
//     GROUPING SETS (({cols}), ()), whose total row has NULL dimensions (a
//     report's groups never have a NULL dimension but the "no cohort" row,
//     which is never grouped with a total);
//   - {having}: for a learner rollup, that the grouped columns are set;
//   - {outer}: d0, d1, …;
//   - {where}: the filters, every value a placeholder.
//
// Every statement returns the dimensions, then learners, enrollments,
// completions and certificates, then the sums of their records' keys
// (scanRows reads them in this order). bigint_sum (migration 00061) stays in
// bigint where sum(bigint) goes through numeric.

// rollupSQL counts a learner rollup ({table}). Overlap rows have NULL where
// a learner's cells differ; a group counts only the rows whose grouped
// columns are all set ({having}), and their weights make each learner count
// once.
const rollupSQL = `SELECT {dims},
	coalesce(bigint_sum(learners), 0), coalesce(bigint_sum(enrollments), 0),
	coalesce(bigint_sum(completions), 0), coalesce(bigint_sum(certificates), 0),
	coalesce(bigint_sum(learner_keys), 0), coalesce(bigint_sum(enrollment_keys), 0),
	coalesce(bigint_sum(completion_keys), 0), coalesce(bigint_sum(certificate_keys), 0)
FROM {table}{where}
GROUP BY {group}
HAVING {having}`

// cellsSQL counts report_cells, read one course at a time: a learner has one
// enrollment per course, so a cell's learners are its enrollments.
const cellsSQL = `SELECT {dims},
	coalesce(bigint_sum(enrollments), 0), coalesce(bigint_sum(enrollments), 0),
	coalesce(bigint_sum(completions), 0), coalesce(bigint_sum(certificates), 0),
	coalesce(bigint_sum(learner_keys), 0), coalesce(bigint_sum(enrollment_keys), 0),
	coalesce(bigint_sum(completion_keys), 0), coalesce(bigint_sum(certificate_keys), 0)
FROM report_cells{where}
GROUP BY {group}`

// stateSQL counts report_enrollment_state, one row per enrollment as the
// rollups counted it: each learner's enrollments in a group first (u), so
// that a learner counts once, with their learner key once.
const stateSQL = `SELECT {outer},
	count(*), coalesce(bigint_sum(n), 0), coalesce(bigint_sum(c), 0), coalesce(bigint_sum(k), 0),
	coalesce(bigint_sum(lk), 0), coalesce(bigint_sum(nk), 0), coalesce(bigint_sum(ck), 0), coalesce(bigint_sum(kk), 0)
FROM (
	SELECT {dims}, e.user_id, min(e.learner_key)::bigint AS lk,
		count(*) AS n, sum(e.record_key) AS nk,
		count(*) FILTER (WHERE e.completed) AS c, sum(e.record_key) FILTER (WHERE e.completed) AS ck,
		count(*) FILTER (WHERE e.certified) AS k, sum(e.record_key) FILTER (WHERE e.certified) AS kk
	FROM report_enrollment_state e{where}
	GROUP BY e.user_id, {group}) u
GROUP BY {outer}`

// enrollmentsSQL counts the raw tables as stateSQL counts the state: before
// the first rollup refresh, and in the tests that check the rollups.
const enrollmentsSQL = `SELECT {outer},
	count(*), coalesce(bigint_sum(n), 0), coalesce(bigint_sum(c), 0), coalesce(bigint_sum(k), 0),
	coalesce(bigint_sum(lk), 0), coalesce(bigint_sum(nk), 0), coalesce(bigint_sum(ck), 0), coalesce(bigint_sum(kk), 0)
FROM (
	SELECT {dims}, e.user_id, min(e.learner_key)::bigint AS lk,
		count(*) AS n, sum(e.record_key) AS nk,
		count(*) FILTER (WHERE e.status = 'completed') AS c, sum(e.record_key) FILTER (WHERE e.status = 'completed') AS ck,
		count(*) FILTER (WHERE c.id IS NOT NULL) AS k, sum(e.record_key) FILTER (WHERE c.id IS NOT NULL) AS kk
	FROM enrollments e LEFT JOIN certificates c ON c.enrollment_id = e.id AND c.revoked_at IS NULL{where}
	GROUP BY e.user_id, {group}) u
GROUP BY {outer}`

// grouping is the text of a grouping's dimensions, to fill in a statement.
type grouping struct {
	dims, cols, outer []string
}

func newGrouping(src source, dims []string) grouping {
	var g grouping
	for i, d := range dims {
		g.dims = append(g.dims, dimText(src, d)+" AS d"+itoa(i))
		g.cols = append(g.cols, columns[d])
		g.outer = append(g.outer, "d"+itoa(i))
	}
	return g
}

// group is what the statement groups by: exprs, and with total the grand total too.
func group(exprs []string, total bool) string {
	if total {
		return "GROUPING SETS ((" + strings.Join(exprs, ", ") + "), ())"
	}
	return strings.Join(exprs, ", ")
}

// fill replaces each {name} in statement by its text.
func fill(statement string, names ...string) string {
	return strings.NewReplacer(names...).Replace(statement)
}

// aggregateSQL counts q grouped by dims (at least one) from src. With total,
// the grand total comes too, as a row whose dimensions are NULL: a report's
// totals and gender margin are read in one statement.
func aggregateSQL(src source, q Query, dims []string, total bool) (string, []any) {
	g := newGrouping(src, dims)
	switch src {
	case fromState, fromEnrollments:
		w := filters(src, q, "e.")
		var exprs []string
		for _, d := range dims {
			exprs = append(exprs, dimText(src, d))
		}
		statement := stateSQL
		if src == fromEnrollments {
			statement = enrollmentsSQL
		}
		return fill(statement, "{dims}", strings.Join(g.dims, ", "), "{outer}", strings.Join(g.outer, ", "),
			"{where}", w.sql(), "{group}", group(exprs, total)), w.args
	case fromCells:
		w := filters(src, q, "")
		return fill(cellsSQL, "{dims}", strings.Join(g.dims, ", "), "{where}", w.sql(), "{group}", group(g.cols, total)), w.args
	}
	w := filters(src, q, "")
	r, _ := rollupOf(src)
	return fill(rollupSQL, "{dims}", strings.Join(g.dims, ", "), "{table}", r.table, "{where}", w.sql(),
		"{group}", group(g.cols, total), "{having}", allSet(g.cols)), w.args
}

// withMarginsSQL counts q grouped by its dimensions from the learner rollup
// src together with its gender margin and its grand total: one scan of the
// rollup for the whole report. The rows have a gender column even when they
// are not grouped by gender (NULL then); a group of overlap rows whose grouped
// columns are not all set is left out, so a row's NULLs tell its grouping set.
func withMarginsSQL(src source, q Query) (query string, dims []string, args []any) {
	dims = q.GroupBy
	if !slices.Contains(dims, "gender") {
		dims = append(slices.Clone(dims), "gender")
	}
	g := newGrouping(src, dims)
	rows := newGrouping(src, q.GroupBy)
	w := filters(src, q, "")
	r, _ := rollupOf(src)
	return fill(rollupSQL, "{dims}", strings.Join(g.dims, ", "), "{table}", r.table, "{where}", w.sql(),
		"{group}", "GROUPING SETS (("+strings.Join(rows.cols, ", ")+"), (gender), ())", "{having}", allSet(g.cols)), dims, w.args
}

// allSet is the condition that each of cols is set in a group of a learner
// rollup, or not part of its grouping set.
func allSet(cols []string) string {
	var conds []string
	for _, c := range cols {
		conds = append(conds, "("+c+" IS NOT NULL OR GROUPING("+c+") = 1)")
	}
	return strings.Join(conds, " AND ")
}
