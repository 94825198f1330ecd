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

// The statements below count a report's cells, one per source; aggregateSQL
// and overlapSQL fill in the grouped dimensions and the filters:
//
//   - {dims}: each grouped dimension as text, named d0, d1, …;
//   - {cols}: the same dimensions as the table's columns (the rollups are
//     grouped by their columns and only each group is formatted as text);
//   - {group}: what to group by, {cols} or, with the grand total too,
//     GROUPING SETS (({cols}), ()), whose total row has NULL dimensions (a
//     rollup's dimensions never are NULL);
//   - {outer}: d0, d1, …;
//   - {where}: the filters, every value a placeholder.
//
// Every statement returns the dimensions, then learners, enrollments,
// completions and certificates, then the sums of their records' keys
// (scanRows reads them in this order). bigint_sum (migration 00061) stays in
// bigint where sum(bigint) goes through numeric.

// rollupSQL counts a learner rollup ({table}): its rows count distinct
// learners per cell, and a learner in several cells of a group is
// subtracted by overlapSQL.
const rollupSQL = `SELECT {dims},
	coalesce(bigint_sum(learners), 0), coalesce(bigint_sum(enrollments), 0),
	coalesce(bigint_sum(completions), 0), coalesce(bigint_sum(certificates), 0),
	coalesce(bigint_sum(learner_keys), 0), coalesce(bigint_sum(enrollment_keys), 0),
	coalesce(bigint_sum(completion_keys), 0), coalesce(bigint_sum(certificate_keys), 0)
FROM {table}{where}
GROUP BY {group}`

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

// learnerOverlapSQL counts, per group of report_learner_cells, the extra
// times it counted someone, and the extra times it added their key. A
// learner whose snapshot differs between enrollments (a mover) is in several
// of its cells. Movers with two profiles are counted per pair (p): the pair
// adds one to a group when both profiles pass the filters ({pair_where}) and
// agree on every grouped dimension. The few with more profiles are read one
// by one (b): each adds (their profiles in the group − 1). With the grand
// total, {pair_total} adds every pair once more, as the total row.
const learnerOverlapSQL = `SELECT {outer},
	coalesce(bigint_sum(n), 0), 0::bigint, 0::bigint, 0::bigint,
	coalesce(bigint_sum(k), 0), 0::bigint, 0::bigint, 0::bigint
FROM (
	SELECT {dims}, coalesce(bigint_sum(n - 1), 0) AS n, coalesce(bigint_sum((n - 1) * lk), 0) AS k
	FROM (
		SELECT user_id, {cols}, count(*) AS n, min(learner_key) AS lk
		FROM report_mover_profiles{where}
		GROUP BY user_id, {group}) b
	WHERE n > 1
	GROUP BY {cols}
	UNION ALL
	SELECT {pair_dims}, coalesce(bigint_sum(movers), 0) AS n, coalesce(bigint_sum(mover_keys), 0) AS k
	FROM report_mover_pairs{pair_where}
	GROUP BY {pair_cols}{pair_total}) o
GROUP BY {outer}`

// monthOverlapSQL counts the same for the month rollups, from each learner's
// distinct snapshots per month (report_month_movers): a learner adds (their
// cells in the group − 1), their cells being their distinct snapshots, or
// distinct parts of it ({distinct}) for a rollup keyed by that part.
const monthOverlapSQL = `SELECT {outer},
	coalesce(bigint_sum(n), 0), 0::bigint, 0::bigint, 0::bigint,
	coalesce(bigint_sum(k), 0), 0::bigint, 0::bigint, 0::bigint
FROM (
	SELECT {dims}, coalesce(bigint_sum(n - 1), 0) AS n, coalesce(bigint_sum((n - 1) * lk), 0) AS k
	FROM (
		SELECT user_id, {cols}, {distinct} AS n, min(learner_key) AS lk
		FROM report_month_movers{where}
		GROUP BY user_id, {group}) b
	WHERE n > 1
	GROUP BY {cols}) o
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
	return fill(rollupSQL, "{dims}", strings.Join(g.dims, ", "), "{table}", learnerRollups[src].table,
		"{where}", w.sql(), "{group}", group(g.cols, total)), w.args
}

// learnerCellsSQL counts q grouped by its dimensions from report_learner_cells
// together with its gender margin and its grand total: one scan of the rollup
// for the whole report. The rows have a gender column even when they are not
// grouped by gender (NULL then), and the rollup's columns are never NULL, so
// a row's NULLs tell its grouping set.
func learnerCellsSQL(q Query) (query string, dims []string, args []any) {
	dims = q.GroupBy
	if !slices.Contains(dims, "gender") {
		dims = append(slices.Clone(dims), "gender")
	}
	g := newGrouping(fromLearnerCells, dims)
	rows := newGrouping(fromLearnerCells, q.GroupBy)
	w := filters(fromLearnerCells, q, "")
	return fill(rollupSQL, "{dims}", strings.Join(g.dims, ", "), "{table}", "report_learner_cells", "{where}", w.sql(),
		"{group}", "GROUPING SETS (("+strings.Join(rows.cols, ", ")+"), (gender), ())"), dims, w.args
}

// overlapSQL counts, for each group of q by dims, what the learner rollup
// src counted more than once (learnerOverlapSQL, monthOverlapSQL).
func overlapSQL(src source, q Query, dims []string, total bool) (string, []any) {
	g := newGrouping(fromLearnerCells, dims)
	w := filters(fromMonthCells, q, "")
	names := []string{"{dims}", strings.Join(g.dims, ", "), "{cols}", strings.Join(g.cols, ", "),
		"{outer}", strings.Join(g.outer, ", "), "{where}", w.sql(), "{group}", group(g.cols, total)}
	if src != fromLearnerCells {
		distinct := "count(*)"
		if d := learnerRollups[src].distinct; d != "" {
			distinct = "count(DISTINCT (" + d + "))"
		}
		return fill(monthOverlapSQL, append(names, "{distinct}", distinct)...), w.args
	}
	// Both profiles of a pair pass the filters and agree on the grouped dimensions.
	var pairDims, pairCols []string
	pairs := &where{args: w.args}
	for i, c := range g.cols {
		pairDims = append(pairDims, "a_"+c+"::text AS d"+itoa(i))
		pairCols = append(pairCols, "a_"+c)
		pairs.conds = append(pairs.conds, "a_"+c+" = b_"+c)
	}
	filtered := &where{args: pairs.args}
	for _, f := range []struct{ col, value string }{{"country", q.Country}, {"region", q.Region}} {
		if f.value != "" {
			filtered.add("a_"+f.col+" = ?", f.value)
			filtered.conds = append(filtered.conds, "b_"+f.col+" = $"+itoa(len(filtered.args)))
		}
	}
	pairs.conds, pairs.args = append(pairs.conds, filtered.conds...), filtered.args
	pairTotal := ""
	if total {
		pairTotal = "\n\tUNION ALL\n\tSELECT " + strings.Join(slices.Repeat([]string{"NULL::text"}, len(dims)), ", ") +
			", coalesce(bigint_sum(movers), 0), coalesce(bigint_sum(mover_keys), 0)\n\tFROM report_mover_pairs" + filtered.sql()
	}
	return fill(learnerOverlapSQL, append(names, "{pair_dims}", strings.Join(pairDims, ", "), "{pair_where}", pairs.sql(),
		"{pair_cols}", strings.Join(pairCols, ", "), "{pair_total}", pairTotal)...), pairs.args
}
