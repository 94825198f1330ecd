package reports

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/cybercampus/cybercampus/internal/postgres"
)

// RollupBatch is how many logged changes one refresh transaction applies.
const RollupBatch = 50_000

// RefreshStats describe one rollup refresh.
type RefreshStats struct {
	Changes int  // change-log rows applied
	Busy    bool // another refresh was running; this one did nothing
}

var errBusy = errors.New("another rollup refresh is running")

// RefreshRollups applies every logged enrollment and certificate change to the
// rollups, in batches, and moves data_as_of to the start of the last batch.
func (s *Store) RefreshRollups(ctx context.Context) (RefreshStats, error) {
	var st RefreshStats
	for {
		n, err := s.refresh(ctx, false)
		if errors.Is(err, errBusy) {
			st.Busy = true
			return st, nil
		} else if err != nil {
			return st, err
		}
		st.Changes += n
		if n < RollupBatch {
			return st, nil
		}
	}
}

// refresh runs one batch in a repeatable-read transaction: the change-log rows
// it consumes and the enrollments it reads come from the same snapshot, so a
// change committed later stays logged for the next run. It returns how many
// change-log rows it consumed.
func (s *Store) refresh(ctx context.Context, all bool) (int, error) {
	var consumed int
	err := postgres.Transact(ctx, s.db, &sql.TxOptions{Isolation: sql.LevelRepeatableRead}, func(tx *sqlx.Tx) error {
		var locked bool
		if err := tx.GetContext(ctx, &locked, `SELECT pg_try_advisory_xact_lock(7431202605)`); err != nil {
			return fmt.Errorf("rollup lock: %w", err)
		}
		if !locked {
			return errBusy
		}
		n, err := collectChanges(ctx, tx, all)
		if err != nil {
			return err
		}
		if err := applyChanges(ctx, tx); err != nil {
			return err
		}
		const done = `UPDATE report_rollup_state SET last_run_at = now(), last_changes = $1,
			data_as_of = CASE WHEN $2 THEN now() ELSE data_as_of END`
		if _, err := tx.ExecContext(ctx, done, n, all || n < RollupBatch); err != nil {
			return fmt.Errorf("rollup state: %w", err)
		}
		consumed = n
		return nil
	})
	return consumed, err
}

// collectChanges consumes change-log rows and fills rc_users (the learners
// whose counts may have changed), rc_old (what the rollups count for them) and
// rc_new (what their enrollments say now).
func collectChanges(ctx context.Context, tx *sqlx.Tx, all bool) (int, error) {
	steps := []string{
		`CREATE TEMP TABLE rc_changed (enrollment_id uuid) ON COMMIT DROP`,
		`CREATE TEMP TABLE rc_users (user_id uuid PRIMARY KEY) ON COMMIT DROP`,
	}
	for _, q := range steps {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return 0, fmt.Errorf("rollup: %w", err)
		}
	}
	limit := RollupBatch
	if all {
		limit = -1
	}
	var n int
	const consume = `WITH d AS (DELETE FROM report_changes WHERE id IN
			(SELECT id FROM report_changes ORDER BY id LIMIT CASE WHEN $1 < 0 THEN NULL ELSE $1 END)
			RETURNING enrollment_id),
		i AS (INSERT INTO rc_changed SELECT DISTINCT enrollment_id FROM d)
		SELECT count(*) FROM d`
	if err := tx.GetContext(ctx, &n, consume, limit); err != nil {
		return 0, fmt.Errorf("rollup: consume changes: %w", err)
	}
	users := `INSERT INTO rc_users
		SELECT user_id FROM report_enrollment_state WHERE enrollment_id IN (SELECT enrollment_id FROM rc_changed)
		UNION SELECT user_id FROM enrollments WHERE id IN (SELECT enrollment_id FROM rc_changed)`
	if all {
		users = `INSERT INTO rc_users SELECT user_id FROM report_enrollment_state UNION SELECT user_id FROM enrollments`
	}
	for _, q := range []string{users, `ANALYZE rc_users`, oldState, newState, markMovers, `ANALYZE rc_old`, `ANALYZE rc_new`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return 0, fmt.Errorf("rollup: %w", err)
		}
	}
	return n, nil
}

const stateCols = `enrollment_id, user_id, gender, region, country, audience, age_band, ldc, sids, lldc, disability, education_level,
	course_id, cohort_id, month, completed, certified, mover, learner_key, record_key`

const oldState = `CREATE TEMP TABLE rc_old ON COMMIT DROP AS
	SELECT ` + stateCols + ` FROM report_enrollment_state WHERE user_id IN (SELECT user_id FROM rc_users)`

const newState = `CREATE TEMP TABLE rc_new ON COMMIT DROP AS
	SELECT e.id AS enrollment_id, e.user_id, e.gender, e.region, e.country, e.audience, e.age_band,
		e.ldc, e.sids, e.lldc, e.disability, e.education_level, e.course_id, e.cohort_id,
		date_trunc('month', e.enrolled_at AT TIME ZONE 'UTC')::date AS month,
		e.status = 'completed' AS completed,
		EXISTS (SELECT 1 FROM certificates c WHERE c.enrollment_id = e.id AND c.revoked_at IS NULL) AS certified,
		false AS mover, e.learner_key, e.record_key
	FROM enrollments e WHERE e.user_id IN (SELECT user_id FROM rc_users)`

const markMovers = `UPDATE rc_new SET mover = true WHERE user_id IN (
	SELECT user_id FROM rc_new GROUP BY user_id
	HAVING count(DISTINCT (` + profile + `)) > 1)`

// signed is rc_new counted +1 and rc_old −1.
const signed = `(SELECT *, 1 AS s FROM rc_new UNION ALL SELECT *, -1 FROM rc_old) x`

// applyChanges adds the difference between rc_new and rc_old to each rollup
// and replaces the learners' counted state.
func applyChanges(ctx context.Context, tx *sqlx.Tx) error {
	deltas := []string{cellsDelta, `DELETE FROM report_cells WHERE enrollments = 0`}
	var empties []string
	for _, r := range learnerRollups {
		deltas = append(deltas, learnerDelta(r.table, strings.Join(r.key, ", ")))
		// A cell with no enrollments left and no overlap weight is gone.
		empties = append(empties, `DELETE FROM `+r.table+` WHERE enrollments = 0 AND learners = 0 AND learner_keys = 0`)
	}
	if err := execAll(ctx, tx, deltas); err != nil {
		return err
	}
	if err := applyOverlaps(ctx, tx); err != nil {
		return err
	}
	return execAll(ctx, tx, append(empties,
		`DELETE FROM report_enrollment_state WHERE user_id IN (SELECT user_id FROM rc_users)`,
		`INSERT INTO report_enrollment_state (`+stateCols+`) SELECT `+stateCols+` FROM rc_new`))
}

func execAll(ctx context.Context, tx *sqlx.Tx, statements []string) error {
	for _, q := range statements {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("rollup: %w", err)
		}
	}
	return nil
}

const cellKey = `course_id, cohort_id, month, ` + profile

// cellsDelta upserts the change of report_cells. A learner has one
// enrollment per course, so the cells' learner keys add up like enrollments.
const cellsDelta = `INSERT INTO report_cells AS r (` + cellKey + `, enrollments, completions, certificates, ` + keySums + `)
	SELECT ` + cellKey + `, sum(e), sum(c), sum(k), sum(lk), sum(ek), sum(ck), sum(kk) FROM (
		SELECT ` + cellKey + `, ` + signedMeasures + ` FROM ` + signed + `) y
	GROUP BY ` + cellKey + `
	HAVING sum(e) <> 0 OR sum(c) <> 0 OR sum(k) <> 0 OR sum(lk) <> 0 OR sum(ek) <> 0 OR sum(ck) <> 0 OR sum(kk) <> 0
	ON CONFLICT ON CONSTRAINT report_cells_key DO UPDATE SET
		enrollments = r.enrollments + excluded.enrollments,
		completions = r.completions + excluded.completions,
		certificates = r.certificates + excluded.certificates,` + addKeySums

// keySums are the rollup columns holding the sum of the keys of the records
// behind each count (the cell keys before their modulus).
const keySums = `learner_keys, enrollment_keys, completion_keys, certificate_keys`

// signedMeasures are one enrollment's contributions to the counts and key
// sums, signed by s (+1 counted now, −1 counted before).
const signedMeasures = `s AS e, s * completed::int AS c, s * certified::int AS k,
	s * learner_key AS lk, s * record_key AS ek, s * completed::int * record_key AS ck, s * certified::int * record_key AS kk`

// addKeySums adds the upserted key sums to a rollup row's.
const addKeySums = `
		learner_keys = r.learner_keys + excluded.learner_keys,
		enrollment_keys = r.enrollment_keys + excluded.enrollment_keys,
		completion_keys = r.completion_keys + excluded.completion_keys,
		certificate_keys = r.certificate_keys + excluded.certificate_keys`

// learnerDelta upserts the change of a learner rollup keyed by key: distinct
// learners per cell, and the additive counts.
// Its learner keys are those of the distinct learners per cell.
func learnerDelta(table, key string) string {
	return `INSERT INTO ` + table + ` AS r (` + key + `, learners, enrollments, completions, certificates, ` + keySums + `)
	SELECT ` + key + `, sum(l), sum(e), sum(c), sum(k), sum(lk), sum(ek), sum(ck), sum(kk) FROM (
		SELECT ` + key + `, 0 AS l, e, c, k, 0 AS lk, ek, ck, kk FROM (
			SELECT ` + key + `, ` + signedMeasures + ` FROM ` + signed + `) m
		UNION ALL SELECT ` + key + `, 1, 0, 0, 0, learner_key, 0, 0, 0
			FROM (SELECT DISTINCT user_id, ` + key + `, learner_key FROM rc_new) n
		UNION ALL SELECT ` + key + `, -1, 0, 0, 0, -learner_key, 0, 0, 0
			FROM (SELECT DISTINCT user_id, ` + key + `, learner_key FROM rc_old) o
	) y GROUP BY ` + key + `
	HAVING sum(l) <> 0 OR sum(e) <> 0 OR sum(c) <> 0 OR sum(k) <> 0 OR sum(lk) <> 0 OR sum(ek) <> 0 OR sum(ck) <> 0 OR sum(kk) <> 0
	ON CONFLICT ON CONSTRAINT ` + table + `_key DO UPDATE SET
		learners = r.learners + excluded.learners,
		enrollments = r.enrollments + excluded.enrollments,
		completions = r.completions + excluded.completions,
		certificates = r.certificates + excluded.certificates,` + addKeySums
}
