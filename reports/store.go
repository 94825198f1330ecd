package reports

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/postgres"
)

// Store runs report queries on the reports database (a replica in production)
// and writes audit rows, exports and rollups on the primary.
type Store struct {
	db  *sqlx.DB
	rdb *sqlx.DB
	now func() time.Time
}

// NewStore returns a store over the primary db and the reports database rdb.
func NewStore(db, rdb *sqlx.DB, now func() time.Time) *Store {
	return &Store{db: db, rdb: rdb, now: now}
}

// Resolve checks that the course, cohort and country a query filters on
// exist, and resolves the course slug (422 naming each unknown one).
func (s *Store) Resolve(ctx context.Context, q *Query) error {
	var v cc.Validation
	if q.Course != "" {
		err := s.rdb.GetContext(ctx, &q.courseID, `SELECT id FROM courses WHERE slug = $1`, q.Course)
		if postgres.IsNoRows(err) {
			v.Add("course", "no course has this slug")
		} else if err != nil {
			return fmt.Errorf("resolve course: %w", err)
		}
	}
	exists := func(field, query, arg string) error {
		var ok bool
		if err := s.rdb.GetContext(ctx, &ok, query, arg); err != nil {
			return fmt.Errorf("resolve %s: %w", field, err)
		}
		v.Check(ok, field, "no %s has this value", field)
		return nil
	}
	if q.Cohort != "" {
		if err := exists("cohort", `SELECT EXISTS (SELECT 1 FROM cohorts WHERE id = $1)`, q.Cohort); err != nil {
			return err
		}
	}
	if q.Country != "" {
		if err := exists("country", `SELECT EXISTS (SELECT 1 FROM countries WHERE code = $1)`, q.Country); err != nil {
			return err
		}
	}
	return v.Err()
}

// Participation computes the report for a resolved query: exact counts,
// perturbed by the cell-key method, then the cells under min_cell_size left
// out. Every read runs in one read-only transaction, so that rows, totals and
// the parity index are counted from the same data.
func (s *Store) Participation(ctx context.Context, q Query) (*Report, error) {
	tx, err := s.rdb.BeginTxx(ctx, reportTx)
	if err != nil {
		return nil, fmt.Errorf("begin report: %w", err)
	}
	defer tx.Rollback()
	var asOf sql.NullTime
	if err := tx.GetContext(ctx, &asOf, `SELECT data_as_of FROM report_rollup_state`); err != nil {
		return nil, fmt.Errorf("rollup state: %w", err)
	}
	// Before the first rollup refresh the raw tables are all there is.
	return s.participation(ctx, tx, q, asOf)
}

// reportTx is the transaction a report reads in: one read-only snapshot.
var reportTx = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}

// participation computes the report in tx: from the rollups as of asOf, or
// from the raw tables when asOf is null.
func (s *Store) participation(ctx context.Context, tx *sqlx.Tx, q Query, asOf sql.NullTime) (*Report, error) {
	live := !asOf.Valid
	rows, totals, byGender, err := s.counts(ctx, tx, q, live)
	if err != nil {
		return nil, err
	}
	r := &Report{GroupBy: q.GroupBy, MinCellSize: q.MinCellSize, GeneratedAt: s.now().UTC(),
		GenderParity: genderParity(byGender, q.MinCellSize), Totals: discloseTotals(totals, q.MinCellSize),
		DisclosureControl: disclosure(q.MinCellSize), Rows: discloseRows(rows, q.MinCellSize)}
	r.From, r.To = q.window()
	r.DataAsOf = r.GeneratedAt
	if !live {
		r.DataAsOf = asOf.Time.UTC()
	}
	if slices.Contains(q.GroupBy, "course") {
		if err := s.courseSlugs(ctx, tx, r.Rows, slices.Index(q.GroupBy, "course")); err != nil {
			return nil, err
		}
	}
	sortRows(r.Rows)
	return r, nil
}

// counts returns the exact counts of q: its rows, its totals and its rows
// grouped by gender alone (behind the parity index).
func (s *Store) counts(ctx context.Context, tx *sqlx.Tx, q Query, live bool) (rows []Row, totals Row, byGender []Row, err error) {
	switch {
	case len(q.GroupBy) == 0:
		totals, byGender, err = s.margins(ctx, tx, q, live)
		return []Row{}, totals, byGender, err
	case slices.Equal(q.GroupBy, []string{"gender"}):
		totals, byGender, err = s.margins(ctx, tx, q, live)
		return slices.Clone(byGender), totals, byGender, err // the gender margin is the whole report
	case !live && sameRollup(q):
		return s.withMargins(ctx, tx, q)
	}
	if totals, byGender, err = s.margins(ctx, tx, q, live); err != nil {
		return nil, Row{}, nil, err
	}
	rows, err = s.aggregate(ctx, tx, q, q.GroupBy, live, false)
	return rows, totals, byGender, err
}

// margins returns the exact totals of q and its rows grouped by gender alone,
// read in one statement: they always come from the same source.
func (s *Store) margins(ctx context.Context, tx *sqlx.Tx, q Query, live bool) (totals Row, byGender []Row, err error) {
	rows, err := s.aggregate(ctx, tx, q, []string{"gender"}, live, true)
	if err != nil {
		return Row{}, nil, err
	}
	totals, byGender = splitMargins(rows)
	return totals, byGender, nil
}

// splitMargins separates the total row (its gender NULL) from the rows by
// gender; the totals are zero when nobody matches.
func splitMargins(rows []Row) (totals Row, byGender []Row) {
	for _, r := range rows {
		if r.Values[0] == nil {
			totals = r
		} else {
			byGender = append(byGender, r)
		}
	}
	return totals, byGender
}

// sameRollup reports whether q's rows and margins come from one learner rollup.
func sameRollup(q Query) bool {
	_, ok := rollupOf(q.route(q.GroupBy))
	return ok && q.route(q.GroupBy) == q.route([]string{"gender"})
}

// withMargins counts a report whose rows and margins both come from one
// learner rollup in one scan of it (withMarginsSQL). A row whose dimensions
// other than gender are all NULL is a margin (of one gender, or the total).
func (s *Store) withMargins(ctx context.Context, tx *sqlx.Tx, q Query) (rows []Row, totals Row, byGender []Row, err error) {
	query, dims, args := withMarginsSQL(q.route(q.GroupBy), q)
	gender := slices.Index(dims, "gender")
	all, err := scanRows(ctx, tx, dims, query, args)
	if err != nil {
		return nil, Row{}, nil, fmt.Errorf("aggregate %v: %w", dims, err)
	}
	var margins []Row
	for _, r := range all {
		others := slices.Delete(slices.Clone(r.Values), gender, gender+1)
		if slices.ContainsFunc(others, func(v *string) bool { return v != nil }) {
			rows = append(rows, Row{dims: q.GroupBy, Values: r.Values[:len(q.GroupBy)], Counts: r.Counts, Keys: r.Keys})
		} else {
			margins = append(margins, Row{dims: []string{"gender"}, Values: r.Values[gender : gender+1], Counts: r.Counts, Keys: r.Keys})
		}
	}
	totals, byGender = splitMargins(margins)
	return rows, totals, byGender, nil
}

// aggregate returns the exact counts of q grouped by dims (at least one) and
// their key sums, from the rollup that can answer them (or from the
// enrollments when live). With total, the grand total comes too, as a row
// whose dimensions are nil.
func (s *Store) aggregate(ctx context.Context, tx *sqlx.Tx, q Query, dims []string, live, total bool) ([]Row, error) {
	src := fromEnrollments
	if !live {
		src = q.route(dims)
	}
	query, args := aggregateSQL(src, q, dims, total)
	rows, err := scanRows(ctx, tx, dims, query, args)
	if err != nil {
		return nil, fmt.Errorf("aggregate %v: %w", dims, err)
	}
	return rows, nil
}

// scanRows runs a query returning one text column per dimension followed by
// learners, enrollments, completions and certificates, then their key sums.
func scanRows(ctx context.Context, tx *sqlx.Tx, dims []string, query string, args []any) ([]Row, error) {
	rs, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []Row
	for rs.Next() {
		r := Row{dims: dims, Values: make([]*string, len(dims))}
		dest := make([]any, 0, len(dims)+8)
		for i := range r.Values {
			dest = append(dest, &r.Values[i])
		}
		for _, c := range r.Counts.measures() {
			dest = append(dest, c)
		}
		for _, k := range r.Keys.measures() {
			dest = append(dest, k)
		}
		if err := rs.Scan(dest...); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

func (s *Store) courseSlugs(ctx context.Context, tx *sqlx.Tx, rows []Row, i int) error {
	var ids []string
	for _, r := range rows {
		ids = append(ids, *r.Values[i])
	}
	var found []struct {
		ID   string `db:"id"`
		Slug string `db:"slug"`
	}
	if err := tx.SelectContext(ctx, &found, `SELECT id::text AS id, slug FROM courses WHERE id = ANY($1::uuid[])`, pq.Array(ids)); err != nil {
		return fmt.Errorf("course slugs: %w", err)
	}
	slugs := make(map[string]string, len(found))
	for _, f := range found {
		slugs[f.ID] = f.Slug
	}
	for _, r := range rows {
		slug := slugs[*r.Values[i]]
		r.Values[i] = &slug
	}
	return nil
}

// sortRows orders rows by their dimension values; age bands go youngest first
// and NULL ("no cohort") last. Equal rows keep their order.
func sortRows(rows []Row) {
	slices.SortStableFunc(rows, func(a, b Row) int {
		for d, dim := range a.dims {
			if c := compareValues(dim, a.Values[d], b.Values[d]); c != 0 {
				return c
			}
		}
		return 0
	})
}

// compareValues orders two values of one dimension: NULL after every value,
// age bands by their rank (an unknown band first), the rest by their bytes.
func compareValues(dim string, a, b *string) int {
	switch {
	case a == nil || b == nil:
		return cmp.Compare(boolRank(a == nil), boolRank(b == nil))
	case dim == "age_band":
		return cmp.Compare(slices.Index(cc.AgeBands, *a), slices.Index(cc.AgeBands, *b))
	}
	return strings.Compare(*a, *b)
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Audit records a report request.
func (s *Store) Audit(ctx context.Context, userID, endpoint string, q Query, format string) error {
	params, err := json.Marshal(q)
	if err != nil {
		return err
	}
	return s.AuditRaw(ctx, userID, endpoint, params, format)
}

func itoa(n int) string { return strconv.Itoa(n) }

// AuditRaw records a request whose parameters are already stored as JSON.
func (s *Store) AuditRaw(ctx context.Context, userID, endpoint string, params []byte, format string) error {
	const stmt = `INSERT INTO report_audit (user_id, endpoint, params, format) VALUES ($1, $2, $3, $4)`
	if _, err := s.db.ExecContext(ctx, stmt, userID, endpoint, string(params), format); err != nil {
		return fmt.Errorf("audit report request: %w", err)
	}
	return nil
}
