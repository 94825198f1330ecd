package reports

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// A learner rollup counts, in each of its cells, the distinct learners with
// an enrollment there. A mover (a learner whose snapshot differs between
// enrollments) has several cells, and a report grouping them together must
// still count the mover once. So that no report has to look at people, the
// rollup job adds, next to the mover's own cells, their overlap rows: every
// meet of two or more of the cells (the values they share, NULL where they
// differ), weighted by inclusion–exclusion. A group of a report adds up the
// rows whose grouped and filtered columns are all set and match; for any
// group, the weights of a learner's rows that fall in it add up to 1 when one
// of their cells does and to 0 otherwise. The weights go into learners and,
// multiplied by the learner's key, learner_keys; a row's other counts are 0.

// overlapWeights returns the overlap rows of one learner's distinct cells of a
// rollup, each with its weight (rows of weight 0 left out). A cell is a
// slice of column values, unset standing for NULL.
//
// Adding the cells one at a time: the subsets that hold the new cell c are c
// alone (weight +1) and each earlier subset with c added, whose meet is the
// earlier meet narrowed by c and whose sign flips. Summing per meet keeps
// the rows to the distinct meets, however many cells there are.
func overlapWeights(cells [][]string) overlapRows {
	rows := overlapRows{}
	for _, c := range cells {
		next := maps.Clone(rows)
		for _, r := range rows {
			next.add(meet(r.cell, c), -r.weight)
		}
		next.add(c, 1)
		rows = next
	}
	for k, r := range rows {
		if !slices.Contains(r.cell, unset) { // a cell of its own: counted as one
			delete(rows, k)
		}
	}
	return rows
}

type overlapRow struct {
	cell   []string
	weight int64
}

type overlapRows map[string]overlapRow

func (rows overlapRows) add(cell []string, weight int64) {
	k := strings.Join(cell, "\x00")
	r := rows[k]
	r.cell, r.weight = cell, r.weight+weight
	if r.weight == 0 {
		delete(rows, k)
		return
	}
	rows[k] = r
}

// unset is a column of an overlap row where the cells differ: NULL in the
// rollup. PostgreSQL text never holds a NUL byte, so no value is unset.
const unset = "\x00"

// meet is what two cells share: each column where they agree, unset elsewhere.
func meet(a, b []string) []string {
	m := make([]string, len(a))
	for i := range a {
		m[i] = unset
		if a[i] == b[i] {
			m[i] = a[i]
		}
	}
	return m
}

// moverRows reads the movers' enrollments as counted before (rc_old, sign −1)
// and now (rc_new, +1), every column as text.
var moverRows = `SELECT s, user_id::text, learner_key::bigint, ` + textCols + ` FROM (
	SELECT 1 AS s, * FROM rc_new WHERE mover UNION ALL SELECT -1, * FROM rc_old WHERE mover) m
	ORDER BY s, user_id`

// textCols are the columns a learner rollup can be keyed by, as text.
var textCols = func() string {
	var cols []string
	for _, c := range overlapCols {
		cols = append(cols, c+"::text")
	}
	return strings.Join(cols, ", ")
}()

var overlapCols = append(strings.Split(profile, ", "), "month")

// mover is one learner's enrollments, as counted before or now.
type mover struct {
	sign  int64
	key   int64
	cells [][]string // per enrollment, the values of overlapCols
}

// applyOverlaps replaces the overlap rows of the learners in rc_users: it
// subtracts those of their enrollments as counted before and adds those of
// their enrollments now, in every learner rollup.
func applyOverlaps(ctx context.Context, tx *sqlx.Tx) error {
	movers, err := readMovers(ctx, tx)
	if err != nil {
		return err
	}
	for _, r := range learnerRollups {
		delta := map[string]*overlapDelta{}
		for _, m := range movers {
			r.addOverlaps(delta, m)
		}
		if err := r.upsertOverlaps(ctx, tx, delta); err != nil {
			return err
		}
	}
	return nil
}

func readMovers(ctx context.Context, tx *sqlx.Tx) ([]mover, error) {
	rs, err := tx.QueryContext(ctx, moverRows)
	if err != nil {
		return nil, fmt.Errorf("rollup: movers: %w", err)
	}
	defer rs.Close()
	var movers []mover
	var lastUser string
	var lastSign int64
	for rs.Next() {
		var sign, key int64
		var user string
		cell := make([]string, len(overlapCols))
		dest := []any{&sign, &user, &key}
		for i := range cell {
			dest = append(dest, &cell[i])
		}
		if err := rs.Scan(dest...); err != nil {
			return nil, fmt.Errorf("rollup: movers: %w", err)
		}
		if len(movers) == 0 || user != lastUser || sign != lastSign {
			movers = append(movers, mover{sign: sign, key: key})
			lastUser, lastSign = user, sign
		}
		m := &movers[len(movers)-1]
		m.cells = append(m.cells, cell)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("rollup: movers: %w", err)
	}
	return movers, nil
}

// overlapDelta is the change of one overlap row of a rollup.
type overlapDelta struct {
	cell           []string
	learners, keys int64
}

// addOverlaps adds m's overlap rows in r, signed, to delta. A month rollup
// counts a learner once per month, so its overlaps are those of each month's
// cells.
func (r learnerRollup) addOverlaps(delta map[string]*overlapDelta, m mover) {
	cols := make([]int, len(r.key))
	for i, k := range r.key {
		cols[i] = slices.Index(overlapCols, k)
	}
	byMonth := map[string][][]string{} // a single group when r has no month
	seen := map[string]bool{}
	for _, c := range m.cells {
		cell := make([]string, len(cols))
		for i, j := range cols {
			cell[i] = c[j]
		}
		k := strings.Join(cell, "\x00")
		if seen[k] {
			continue
		}
		seen[k] = true
		month := ""
		if r.monthly() {
			month = cell[len(cell)-1]
		}
		byMonth[month] = append(byMonth[month], cell)
	}
	for _, cells := range byMonth {
		if len(cells) < 2 {
			continue
		}
		for k, o := range overlapWeights(cells) {
			d := delta[k]
			if d == nil {
				d = &overlapDelta{cell: o.cell}
				delta[k] = d
			}
			d.learners += m.sign * o.weight
			d.keys += m.sign * o.weight * m.key
		}
	}
}

// upsertOverlaps adds delta to r's overlap rows, in one statement.
func (r learnerRollup) upsertOverlaps(ctx context.Context, tx *sqlx.Tx, delta map[string]*overlapDelta) error {
	values := make([][]sql.NullString, len(r.key))
	var learners, keys []int64
	for _, d := range delta {
		if d.learners == 0 && d.keys == 0 {
			continue
		}
		for i, v := range d.cell {
			values[i] = append(values[i], sql.NullString{String: v, Valid: v != unset})
		}
		learners, keys = append(learners, d.learners), append(keys, d.keys)
	}
	if len(learners) == 0 {
		return nil
	}
	var args []any
	var unnest []string
	for i, k := range r.key {
		args = append(args, pq.Array(values[i]))
		unnest = append(unnest, fmt.Sprintf("$%d::%s[]", i+1, columnTypes[k]))
	}
	args = append(args, pq.Array(learners), pq.Array(keys))
	key := strings.Join(r.key, ", ")
	statement := `INSERT INTO ` + r.table + ` AS r (` + key + `, learners, learner_keys)
	SELECT * FROM unnest(` + strings.Join(unnest, ", ") + fmt.Sprintf(", $%d::bigint[], $%d::bigint[])", len(args)-1, len(args)) + `
	ON CONFLICT ON CONSTRAINT ` + r.table + `_key DO UPDATE SET
		learners = r.learners + excluded.learners, learner_keys = r.learner_keys + excluded.learner_keys`
	if _, err := tx.ExecContext(ctx, statement, args...); err != nil {
		return fmt.Errorf("rollup: overlaps of %s: %w", r.table, err)
	}
	return nil
}

// columnTypes are the SQL types of the rollups' key columns.
var columnTypes = map[string]string{
	"gender": "text", "region": "text", "country": "char(2)", "audience": "text", "age_band": "text",
	"ldc": "boolean", "sids": "boolean", "lldc": "boolean", "disability": "text", "education_level": "text",
	"month": "date",
}
