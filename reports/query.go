package reports

import (
	"slices"
	"strings"
	"time"
)

// source is where a grouping's counts come from.
type source int

const (
	fromLearnerCells    source = iota // demographics only: distinct learners + overlaps
	fromMonthCells                    // demographics and month: distinct learners per month + overlaps
	fromGeoMonthCells                 // gender, geography and month: distinct learners per month + overlaps
	fromPlaceMonthCells               // geography and month: distinct learners per month + overlaps
	fromCells                         // every dimension: one course at a time, so learners = enrollments
	fromState                         // what the rollups counted, enrollment by enrollment: the rest
	fromEnrollments                   // the raw tables: before the first refresh, and for the exactness tests
)

// route picks the rollup that answers q grouped by dims exactly.
//
// A person has at most one enrollment per course, so when the rows are split by
// course (or the filter keeps a single course or cohort) the distinct learners
// of a cell equal its enrollments, and the finest rollup answers. Otherwise a
// learner with enrollments in several courses or months must count once:
// report_learner_cells counts distinct people per demographic cell (exact
// unless grouped or filtered by month), report_month_cells per demographic
// cell and month (exact when grouped by month), report_geo_month_cells
// the same for gender and geography alone (no audience or age band, so up to
// 21 times fewer rows) when nothing else is grouped, and
// report_place_month_cells for geography alone (no gender either). Date
// filters without a month grouping, and cohort groupings that mix courses (the
// "no cohort" row), are counted from report_enrollment_state: the enrollments
// as the rollups counted them, refreshed in the same transaction, so that
// every route gives the same answer as of the same moment (data_as_of).
func (q Query) route(dims []string) source {
	has := func(d string) bool { return slices.Contains(dims, d) }
	oneCourse := q.Course != "" || q.Cohort != "" || has("course")
	switch {
	case has("cohort") && !oneCourse:
		return fromState
	case oneCourse:
		return fromCells
	case has("month") && onlyDims(dims, placeMonthDims):
		return fromPlaceMonthCells
	case has("month") && onlyDims(dims, geoMonthDims):
		return fromGeoMonthCells
	case has("month"):
		return fromMonthCells
	case q.hasDates():
		return fromState
	}
	return fromLearnerCells
}

// columns are the rollup column of each dimension; the SQL below is assembled
// only from these constants, and every value is a placeholder.
var columns = map[string]string{
	"gender": "gender", "region": "region", "country": "country", "audience": "audience",
	"age_band": "age_band", "course": "course_id", "cohort": "cohort_id", "month": "month",
	"ldc": "ldc", "sids": "sids", "lldc": "lldc", "disability": "disability", "education_level": "education_level",
}

// profile is the demographic snapshot: the key of report_learner_cells.
const profile = "gender, region, country, audience, age_band, ldc, sids, lldc, disability, education_level"

// geoMonth is the demographic key of report_geo_month_cells: gender and the
// geography (a country and what follows from it), whose filters it also serves.
const geoMonth = "gender, region, country, ldc, sids, lldc"

// place is the key of report_place_month_cells: the geography alone.
const place = "region, country, ldc, sids, lldc"

// geoMonthDims and placeMonthDims are the dimensions report_geo_month_cells
// and report_place_month_cells can group by: their key and the month.
var (
	geoMonthDims   = append(strings.Split(geoMonth, ", "), "month")
	placeMonthDims = append(strings.Split(place, ", "), "month")
)

// learnerRollup is a rollup that counts distinct learners per cell, so that
// a report reading it subtracts the learners counted in several of its cells.
type learnerRollup struct {
	table string
	// distinct is the part of the snapshot a month rollup counts a learner
	// once per (every snapshot when empty); see overlapSQL.
	distinct string
}

// learnerRollups are the sources that read a learner rollup.
var learnerRollups = map[source]learnerRollup{
	fromLearnerCells:    {table: "report_learner_cells"},
	fromMonthCells:      {table: "report_month_cells"},
	fromGeoMonthCells:   {table: "report_geo_month_cells", distinct: geoMonth},
	fromPlaceMonthCells: {table: "report_place_month_cells", distinct: place},
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

// selectDims returns the text of each dimension and the GROUP BY clause. The
// rollups are grouped by their columns, and only each group is formatted as
// text: formatting every row first costs more than the aggregation itself.
// With total, the grand total comes too, as a row whose dimensions are NULL
// (a rollup's dimensions never are).
func selectDims(src source, dims []string, total bool) (sel, group string) {
	var s, g []string
	for i, d := range dims {
		s = append(s, dimText(src, d)+" AS d"+itoa(i))
		if src == fromEnrollments || src == fromState {
			g = append(g, itoa(i+1))
		} else {
			g = append(g, columns[d])
		}
	}
	if len(dims) == 0 {
		return "", ""
	}
	if total {
		return strings.Join(s, ", ") + ", ", " GROUP BY GROUPING SETS ((" + strings.Join(g, ", ") + "), ())"
	}
	return strings.Join(s, ", ") + ", ", " GROUP BY " + strings.Join(g, ", ")
}

// aggregateSQL counts q grouped by dims from src: the four counts, then the
// four sums of their records' keys (scanRows reads them in this order). With
// total, the grand total comes too, as a row whose dimensions are NULL: a
// report's totals and gender margin are read in one statement.
func aggregateSQL(src source, q Query, dims []string, total bool) (string, []any) {
	if src == fromEnrollments || src == fromState {
		return perLearnerSQL(src, q, dims, total)
	}
	sel, group := selectDims(src, dims, total)
	w := filters(src, q, "")
	if src == fromCells {
		return "SELECT " + sel + sums("enrollments", "enrollments", "completions", "certificates",
			"learner_keys", "enrollment_keys", "completion_keys", "certificate_keys") + " FROM report_cells" + w.sql() + group, w.args
	}
	return "SELECT " + sel + sums("learners", "enrollments", "completions", "certificates",
		"learner_keys", "enrollment_keys", "completion_keys", "certificate_keys") +
		" FROM " + learnerRollups[src].table + w.sql() + group, w.args
}

// perLearnerSQL counts q grouped by dims from one row per enrollment (the raw
// tables or report_enrollment_state): each learner's enrollments of a group
// first, so that a learner counts once, with their key once.
func perLearnerSQL(src source, q Query, dims []string, total bool) (string, []any) {
	from, completed, certified := " FROM report_enrollment_state e", "e.completed", "e.certified"
	if src == fromEnrollments {
		from = " FROM enrollments e LEFT JOIN certificates c ON c.enrollment_id = e.id AND c.revoked_at IS NULL"
		completed, certified = "e.status = 'completed'", "c.id IS NOT NULL"
	}
	w := filters(src, q, "e.")
	var inner, outer, group, exprs []string
	for i, d := range dims {
		inner = append(inner, dimText(src, d)+" AS d"+itoa(i))
		outer = append(outer, "d"+itoa(i))
		group = append(group, itoa(i+1))
		exprs = append(exprs, dimText(src, d))
	}
	group = append(group, itoa(len(dims)+1))
	if total && len(dims) > 0 {
		group = []string{"e.user_id", "GROUPING SETS ((" + strings.Join(exprs, ", ") + "), ())"}
	}
	perLearner := "SELECT " + strings.Join(append(inner, "e.user_id",
		"min(e.learner_key)::bigint AS lk", "count(*) AS n", "sum(e.record_key) AS nk",
		"count(*) FILTER (WHERE "+completed+") AS c", "sum(e.record_key) FILTER (WHERE "+completed+") AS ck",
		"count(*) FILTER (WHERE "+certified+") AS k", "sum(e.record_key) FILTER (WHERE "+certified+") AS kk"), ", ") +
		from + w.sql() + " GROUP BY " + strings.Join(group, ", ")
	query := "SELECT " + strings.Join(append(outer, "count(*)", sums("n", "c", "k", "lk", "nk", "ck", "kk")), ", ") +
		" FROM (" + perLearner + ") u"
	if len(dims) > 0 {
		query += " GROUP BY " + strings.Join(outer, ", ")
	}
	return query, w.args
}

// sums adds up rollup columns with bigint_sum (migration 00061), which stays
// in bigint where sum(bigint) goes through numeric.
func sums(cols ...string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = "coalesce(bigint_sum(" + c + "), 0)"
	}
	return strings.Join(out, ", ")
}

// overlapSQL counts, for each group, the extra times the learner rollups
// counted someone, and the extra times they added that person's key. A learner whose snapshot differs between enrollments (a
// mover) is in several demographic cells and counts once per cell that falls
// into the group. Movers with two profiles are counted per pair of profiles:
// the pair adds one to a group when both profiles pass the filter and agree
// on every grouped dimension. The few with more profiles are read one by one.
// Grouped by month, only learners with several profiles within one month
// overlap.
//
// src is the rollup being corrected: the month rollups count a learner once
// per distinct snapshot within the month, or once per distinct part of it
// (learnerRollup.distinct).
func overlapSQL(src source, q Query, dims []string, total bool) (string, []any) {
	outer := make([]string, 0, len(dims)+1)
	for i := range dims {
		outer = append(outer, "d"+itoa(i))
	}
	groupOuter := ""
	if len(dims) > 0 {
		groupOuter = " GROUP BY " + strings.Join(outer, ", ")
	}
	wrap := func(parts string) string {
		return "SELECT " + strings.Join(append(outer, "coalesce(bigint_sum(n), 0), 0::bigint, 0::bigint, 0::bigint",
			"coalesce(bigint_sum(k), 0), 0::bigint, 0::bigint, 0::bigint"), ", ") +
			" FROM (" + parts + ") o" + groupOuter
	}
	if src != fromLearnerCells {
		perMonth, args := perLearnerOverlap(q, dims, "report_month_movers", learnerRollups[src].distinct, total)
		return wrap(perMonth), args
	}
	perUser, args := perLearnerOverlap(q, dims, "report_mover_profiles", "", total)
	var sel, conds, group []string
	for i, d := range dims {
		sel = append(sel, "a_"+columns[d]+"::text AS d"+itoa(i))
		conds = append(conds, "a_"+columns[d]+" = b_"+columns[d])
		group = append(group, itoa(i+1))
	}
	w := &where{args: args, conds: conds}
	if q.Country != "" {
		w.add("a_country = ?", q.Country)
		w.conds = append(w.conds, "b_country = $"+itoa(len(w.args)))
	}
	if q.Region != "" {
		w.add("a_region = ?", q.Region)
		w.conds = append(w.conds, "b_region = $"+itoa(len(w.args)))
	}
	measures := []string{"coalesce(bigint_sum(movers), 0) AS n", "coalesce(bigint_sum(mover_keys), 0) AS k"}
	pairs := "SELECT " + strings.Join(append(sel, measures...), ", ") + " FROM report_mover_pairs" + w.sql()
	if len(group) > 0 {
		pairs += " GROUP BY " + strings.Join(group, ", ")
	}
	if total && len(dims) > 0 { // every pair, whatever its profiles' dimensions
		nulls := slices.Repeat([]string{"NULL::text"}, len(dims))
		all := &where{conds: w.conds[len(conds):]}
		pairs += " UNION ALL SELECT " + strings.Join(append(nulls, measures...), ", ") + " FROM report_mover_pairs" + all.sql()
	}
	return wrap(perUser + " UNION ALL " + pairs), w.args
}

// perLearnerOverlap counts overlaps from a table of (user, profile) rows,
// already distinct: each learner adds (rows in the group − 1). With a key (a
// part of the profile), the rollup corrected is keyed by that part only, and
// each learner adds (distinct keys in the group − 1).
func perLearnerOverlap(q Query, dims []string, table, key string, total bool) (string, []any) {
	var raw []string
	for _, d := range dims {
		raw = append(raw, columns[d])
	}
	sel, group := selectDims(fromLearnerCells, dims, false)
	w := filters(fromMonthCells, q, "")
	keys := strings.Join(append([]string{"user_id"}, raw...), ", ")
	innerGroup := keys
	if total && len(dims) > 0 {
		innerGroup = "user_id, GROUPING SETS ((" + strings.Join(raw, ", ") + "), ())"
	}
	count := "count(*)"
	if key != "" {
		count = "count(DISTINCT (" + key + "))"
	}
	return "SELECT " + sel + "coalesce(bigint_sum(n - 1), 0) AS n, coalesce(bigint_sum((n - 1) * lk), 0) AS k FROM (" +
		"SELECT " + keys + ", " + count + " AS n, min(learner_key) AS lk FROM " + table + w.sql() + " GROUP BY " + innerGroup +
		") b WHERE n > 1" + group, w.args
}
