// Package reports serves participation statistics for analysts: counts of
// learners, enrollments, completions and certificates by gender, geography,
// audience, age band, disability, course, cohort and month, protected so that no
// combination of queries can be turned against a person.
//
// # Counting: the rollup model
//
// Triggers log every enrollment and certificate change in report_changes. The
// rollup job (RefreshRollups, every few minutes) reads the changed learners'
// enrollments in one snapshot, compares them with what it counted before
// (report_enrollment_state, one row per counted enrollment) and adds the
// difference to the rollups, in the same transaction:
//
//   - report_cells: every dimension, additive counts (a learner has one
//     enrollment per course, so within a course learners = enrollments);
//   - the learner rollups (learnerRollups in query.go), distinct learners
//     per cell: report_learner_cells (the demographic snapshot),
//     report_region_cells (the snapshot without the country),
//     report_month_cells (snapshot and month), report_geo_month_cells
//     (gender, geography and month) and report_place_month_cells (geography
//     and month).
//
// A learner whose snapshot changed between enrollments (a mover) has several
// cells in a learner rollup. Next to them the job writes their overlap rows
// (overlap.go): each meet of those cells, NULL where they differ, weighted by
// inclusion–exclusion, so that summing the rows whose grouped and filtered
// columns are set counts the mover once in any grouping. Query.route picks
// the smallest rollup that answers a grouping exactly; what none answers
// (date filters without a month grouping, cohorts across courses) is counted
// from report_enrollment_state. Every source therefore reflects the same
// moment, data_as_of. Only before the first refresh are the raw tables read.
// Date filters are widened to whole months, which the month rollups hold.
//
// # From request to SQL
//
// Handler.participation (http.go) parses the request into a Query
// (report.go) and Store.Resolve checks the course, cohort and country it
// names. Store.Participation (store.go) then reads, in one read-only
// repeatable-read transaction on one connection: data_as_of, the totals and
// the gender margin (one statement, GROUPING SETS ((gender), ())), and the
// rows; when the rows and the margins come from the same learner rollup, one
// statement reads all three (Store.withMargins). Otherwise each read is one
// aggregate: Query.route picks the source and aggregateSQL fills in that
// source's statement (the constants in query.go: rollupSQL, cellsSQL,
// stateSQL, enrollmentsSQL). The exact counts are then perturbed and
// suppressed (disclosure.go) and the rows sorted. testdata/sql holds every
// statement a report runs, per source, as TestReportSQL prints it.
//
// # Disclosure control: the cell-key method
//
// Every enrollment carries two random keys, drawn once and never shown
// (migration 00070): its own record key and its learner's key. Each rollup
// row carries, next to each count, the sum of the keys of the records behind
// it, so any cell's key sum is the same however it was counted: rollup,
// overlap rows or raw rows (the exactness tests check this). A cell's
// key is that sum modulo KeyRange, shifted per measure (keyOffsets); the
// published count is the true count plus the perturbation ptable gives for
// (count, key). The same set of people therefore gets the same number in
// every table, route, format and run, and the difference of two answers
// carries the noise of both. Zero stays zero. Rows whose published learners
// are under min_cell_size are left out entirely (their dimension values are
// never listed); the totals are a cell of their own, perturbed and
// suppressed independently of which rows are shown. Rates and the gender
// parity index are computed from the published counts.
//
// # Adding a dimension
//
// A demographic dimension is a column of the enrollment snapshot; disability
// (migrations 00102 and 00103) is the worked example. Add it to enrollments,
// then, in one migration that recounts the rollups as 00070 does, to
// report_enrollment_state, the rollups keyed by the profile (report_cells,
// report_month_cells, report_learner_cells and, unless it is geography,
// report_region_cells; nullable in the learner rollups, whose overlap rows
// leave it NULL) and to the columns report_log_enrollments compares, so that
// a later change of the snapshot is logged. Then add it to Dimensions
// (report.go), columns, profile and learnerRollups (query.go), columnTypes
// (overlap.go) and to stateCols and newState (rollup.go); to the dashboard's
// DIMENSIONS and the group_by enum of openapi.yaml; and to the tests' facts
// (exact_test.go), random data (fixtures_test.go), exactGroupings and the
// attacks. Nothing in the
// disclosure control changes: cell keys depend on the records counted, not on
// the grouping.
package reports
