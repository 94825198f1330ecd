package reports

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/sync/errgroup"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/postgres"
)

// Store runs report queries on the reports database (a replica in production)
// and writes audit rows, exports and rollups on the primary.
type Store struct {
	db    *sqlx.DB
	rdb   *sqlx.DB
	now   func() time.Time
	sizes rowCounts
}

// NewStore returns a store over the primary db and the reports database rdb.
func NewStore(db, rdb *sqlx.DB, now func() time.Time) *Store {
	return &Store{db: db, rdb: rdb, now: now, sizes: rowCounts{m: map[string]int{}}}
}

// rowCounts remembers how many rows each report query returned last time, so
// that the next run of it allocates its rows once. A country × month report
// has thousands: growing them by doubling took a fifth of the report's time
// (each step a fresh, zeroed, pointer-holding array, copied with the
// collector's write barriers). The count is only a capacity: a query that
// returns more rows grows as before.
type rowCounts struct {
	mu sync.Mutex
	m  map[string]int // by query text
}

// maxRowCounts bounds the remembered queries (there is one text per
// grouping, route and set of filters, the filter values being parameters).
const maxRowCounts = 1024

// maxRowCount caps a remembered count: the filters' values are parameters,
// so the same text may next return far fewer rows.
const maxRowCount = 1 << 14

func (c *rowCounts) get(query string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return min(c.m[query], maxRowCount)
}

func (c *rowCounts) put(query string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[query]; !ok && len(c.m) >= maxRowCounts {
		clear(c.m)
	}
	c.m[query] = n
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
// out. Every read runs in one read-only snapshot so that rows, totals and the
// parity index agree with each other.
func (s *Store) Participation(ctx context.Context, q Query) (*Report, error) {
	return s.participation(ctx, q, false)
}

// participation computes the report; forceLive counts it from the raw tables
// (benchmarks compare the two). Before the first rollup refresh the raw
// tables are all there is.
//
// The rows and the margins (totals and the gender split behind the parity
// index) are independent reads of the same snapshot. When the reports
// database can export its snapshot (a primary; a standby in recovery cannot)
// and a second connection is at hand, the margins are read on that
// connection, in the exported snapshot, while the rows are read here; else
// they are read after the rows in this transaction. Either way they see the
// same data. (Reading them one after the other was measurably slower: see
// bench/RESULTS.md.)
func (s *Store) participation(ctx context.Context, q Query, forceLive bool) (*Report, error) {
	tx, err := s.rdb.BeginTxx(ctx, reportTx)
	if err != nil {
		return nil, fmt.Errorf("begin report: %w", err)
	}
	defer tx.Rollback()
	var state struct {
		AsOf     sql.NullTime   `db:"data_as_of"`
		Snapshot sql.NullString `db:"snapshot"`
	}
	// Grouped by nothing or by gender alone, the margins are the whole report.
	share := len(q.GroupBy) > 0 && !slices.Equal(q.GroupBy, []string{"gender"})
	if err := tx.GetContext(ctx, &state, `SELECT data_as_of, CASE WHEN $1 AND NOT pg_is_in_recovery()
		THEN pg_export_snapshot() END AS snapshot FROM report_rollup_state`, share); err != nil {
		return nil, fmt.Errorf("rollup state: %w", err)
	}
	live := forceLive || !state.AsOf.Valid
	var totals Row
	var byGender []Row
	margins := func(ctx context.Context, tx *sqlx.Tx) (err error) {
		totals, byGender, err = s.margins(ctx, tx, q, live)
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	shared := false
	if state.Snapshot.Valid {
		if helper, release := s.sharedSnapshot(gctx, state.Snapshot.String); helper != nil {
			shared = true
			g.Go(func() error {
				defer release()
				return margins(gctx, helper)
			})
		}
	}
	rows := []Row{} // no dimensions: only the totals
	if share {
		g.Go(func() (err error) {
			rows, err = s.aggregate(gctx, tx, q, q.GroupBy, live, false)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if !shared {
		if err := margins(ctx, tx); err != nil {
			return nil, err
		}
	}
	if slices.Equal(q.GroupBy, []string{"gender"}) {
		rows = byGender
	}
	r := &Report{GroupBy: q.GroupBy, MinCellSize: q.MinCellSize, GeneratedAt: s.now().UTC(),
		GenderParity: genderParity(byGender, q.MinCellSize), Totals: discloseTotals(totals, q.MinCellSize),
		DisclosureControl: disclosure(q.MinCellSize)}
	r.From, r.To = q.window()
	r.DataAsOf = r.GeneratedAt
	if !live {
		r.DataAsOf = state.AsOf.Time.UTC()
	}
	r.Rows = discloseRows(rows, q.MinCellSize) // after the parity, which may read the same rows
	if slices.Contains(q.GroupBy, "course") {
		if err := s.courseSlugs(ctx, tx, r.Rows, slices.Index(q.GroupBy, "course")); err != nil {
			return nil, err
		}
	}
	sortRows(r.Rows)
	return r, nil
}

// reportTx is the transaction a report reads in: one read-only snapshot,
// which a second connection can share (sharedSnapshot).
var reportTx = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}

// sharedSnapshotWait bounds the wait for a second connection: past it, the
// report reads its margins on its own connection rather than hold that
// connection while waiting for another (which, with every connection held by
// a waiting report, would never come).
const sharedSnapshotWait = 100 * time.Millisecond

// sharedSnapshot opens a read-only transaction on a second connection of the
// reports database in the snapshot a report exported, so that both read the
// same data. It returns nil when the pool has no connection to spare; release
// ends the transaction and returns the connection.
func (s *Store) sharedSnapshot(ctx context.Context, snapshot string) (tx *sqlx.Tx, release func()) {
	if !validSnapshotID(snapshot) {
		return nil, nil
	}
	if st := s.rdb.Stats(); st.MaxOpenConnections > 0 && st.InUse+1 >= st.MaxOpenConnections {
		return nil, nil // leave the last connection to a report that has none
	}
	wait, cancel := context.WithTimeout(ctx, sharedSnapshotWait)
	conn, err := s.rdb.Connx(wait)
	cancel()
	if err != nil {
		return nil, nil
	}
	tx, err = conn.BeginTxx(ctx, reportTx)
	if err == nil {
		// The snapshot name cannot be a parameter; validSnapshotID allows
		// only the hexadecimal digits and dashes PostgreSQL names it with.
		if _, err = tx.ExecContext(ctx, "SET TRANSACTION SNAPSHOT '"+snapshot+"'"); err != nil {
			tx.Rollback()
		}
	}
	if err != nil {
		conn.Close()
		return nil, nil
	}
	return tx, func() {
		tx.Rollback()
		conn.Close()
	}
}

// validSnapshotID reports whether id looks like a name pg_export_snapshot
// returns, such as 00000003-0000001B-1.
func validSnapshotID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c == '-') {
			return false
		}
	}
	return true
}

// margins returns the exact totals of q and its rows grouped by gender alone
// (behind the parity index), read in one statement: they always come from
// the same source.
func (s *Store) margins(ctx context.Context, tx *sqlx.Tx, q Query, live bool) (totals Row, byGender []Row, err error) {
	rows, err := s.aggregate(ctx, tx, q, []string{"gender"}, live, true)
	if err != nil {
		return Row{}, nil, err
	}
	byGender = rows[:0:0]
	for _, r := range rows {
		if r.Values[0] == nil {
			totals = r
		} else {
			byGender = append(byGender, r)
		}
	}
	return totals, byGender, nil // totals are zero when nobody matches
}

// aggregate returns the exact counts of q grouped by dims and their key sums,
// from the rollup that can answer them (or from the enrollments when live).
// With total, the grand total comes too, as a row whose dimensions are nil.
func (s *Store) aggregate(ctx context.Context, tx *sqlx.Tx, q Query, dims []string, live, total bool) ([]Row, error) {
	src := fromEnrollments
	if !live {
		src = q.route(dims)
	}
	query, args := aggregateSQL(src, q, dims, total)
	rows, err := scanRows(ctx, tx, dims, query, args, s.sizes.get(query), rowPerCell(src, dims))
	if err != nil {
		return nil, fmt.Errorf("aggregate %v: %w", dims, err)
	}
	s.sizes.put(query, len(rows))
	if _, ok := learnerRollups[src]; !ok {
		return rows, nil
	}
	query, args = overlapSQL(src, q, dims, total)
	overlaps, err := scanRows(ctx, tx, dims, query, args, 0, false)
	if err != nil {
		return nil, fmt.Errorf("overlaps %v: %w", dims, err)
	}
	return subtractOverlaps(rows, overlaps), nil
}

// subtractOverlaps removes, from each row's learners, the people the rollup
// counted in more than one of its cells that fall into the row.
func subtractOverlaps(rows, overlaps []Row) []Row {
	if len(overlaps) == 0 {
		return rows // most reports: nobody moved between the rollup's cells
	}
	idx := make(map[string]int, len(rows))
	var key []byte
	for i, r := range rows {
		key = appendRowKey(key[:0], r)
		idx[string(key)] = i
	}
	for _, o := range overlaps {
		key = appendRowKey(key[:0], o)
		if i, ok := idx[string(key)]; ok {
			rows[i].Counts.Learners -= o.Counts.Learners
			rows[i].Keys.Learners -= o.Keys.Learners
		}
	}
	return rows
}

func appendRowKey(b []byte, r Row) []byte {
	for _, v := range r.Values {
		b = appendValueKey(b, v)
	}
	return b
}

// appendValueKey appends one dimension value of a row key: the value and a
// zero byte, or \x01 and a zero byte for NULL.
func appendValueKey(b []byte, v *string) []byte {
	if v == nil {
		return append(b, 1, 0)
	}
	return append(append(b, *v...), 0)
}

// scanRows runs a query returning one text column per dimension followed by
// learners, enrollments, completions and certificates, then their key sums.
//
// It scans into interface values, which database/sql fills with the driver's
// values as they are (text as string, bigint as int64) instead of converting
// each through reflection, and it shares one string per distinct dimension
// value: a country × month report has thousands of rows but a few hundred
// values. size is the number of rows expected (a capacity, 0 when unknown);
// the rows' values share arrays of that many rows' worth. With merge, rows
// with the same dimension values are added up into the first of them (the
// query did not group them: rowPerCell).
func scanRows(ctx context.Context, tx *sqlx.Tx, dims []string, query string, args []any, size int, merge bool) ([]Row, error) {
	if merge && len(dims) > maxCellDims {
		return nil, fmt.Errorf("cannot merge rows of %d dimensions", len(dims))
	}
	rs, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	vals := make([]any, len(dims)+8)
	dest := make([]any, len(vals))
	for i := range vals {
		dest[i] = &vals[i]
	}
	values := map[string]*string{}
	month := slices.Index(dims, "month")
	out := make([]Row, 0, size)
	var backing []*string // the rows' Values, cut from shared arrays
	// With merge, a row's place in out by its values: they are the shared
	// strings of dimValue, so equal values are equal pointers.
	var seen map[rowValues]int
	if merge {
		seen = make(map[rowValues]int, size)
	}
	for rs.Next() {
		if err := rs.Scan(dest...); err != nil {
			return nil, err
		}
		if len(backing)+len(dims) > cap(backing) {
			backing = make([]*string, 0, max(size, 64)*len(dims))
		}
		backing = backing[:len(backing)+len(dims)]
		r := Row{dims: dims, Values: backing[len(backing)-len(dims) : len(backing) : len(backing)]}
		for i := range dims {
			if r.Values[i], err = dimValue(values, vals[i], i == month); err != nil {
				return nil, err
			}
		}
		counts, keys := r.Counts.measures(), r.Keys.measures()
		for i, c := range append(counts[:], keys[:]...) {
			n, ok := vals[len(dims)+i].(int64)
			if !ok {
				return nil, fmt.Errorf("count column %d is %T, not bigint", i, vals[len(dims)+i])
			}
			*c = n
		}
		if merge {
			var k rowValues
			copy(k[:], r.Values)
			if i, ok := seen[k]; ok {
				out[i].Counts = out[i].Counts.plus(r.Counts)
				out[i].Keys = out[i].Keys.plus(r.Keys)
				backing = backing[:len(backing)-len(dims)] // its values' place, unused
				continue
			}
			seen[k] = len(out)
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

// maxCellDims bounds the dimensions of rows scanRows merges: the place and
// the month of report_place_month_cells.
const maxCellDims = 6

// rowValues identifies a row by its shared dimension values (see seen in scanRows).
type rowValues [maxCellDims]*string

// isoMonth cuts an ISO date (2024-05-01), as the rollups give their month,
// to the month (2024-05) the reports show; other values pass as they are.
func isoMonth[T string | []byte](d T) T {
	if len(d) == len("2006-01-02") && d[4] == '-' && d[7] == '-' {
		return d[:7]
	}
	return d
}

// dimValue returns the shared copy of a dimension value (nil for NULL),
// cut to its month first when the dimension is the month. It allocates only
// for a value not seen before.
func dimValue(values map[string]*string, v any, month bool) (*string, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		if month {
			v = isoMonth(v)
		}
		return sharedValue(values, v), nil
	case []byte:
		if month {
			v = isoMonth(v)
		}
		if p, ok := values[string(v)]; ok {
			return p, nil
		}
		return sharedValue(values, string(v)), nil
	}
	return nil, fmt.Errorf("dimension column is %T, not text", v)
}

func sharedValue(values map[string]*string, s string) *string {
	if p, ok := values[s]; ok {
		return p
	}
	p := new(string)
	*p = s
	values[s] = p
	return p
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
// and "no cohort" last. Equal rows keep their order.
func sortRows(rows []Row) {
	if !sortRowsByRank(rows) {
		sortRowsByKey(rows)
	}
}

// sortRowsByRank sorts rows by integers: a report has thousands of rows but a
// few hundred distinct values per dimension, so each value is ranked once
// among its dimension's distinct values, and each row becomes one number (its
// ranks in mixed radix, then its position, which keeps the sort stable). It
// reports false, leaving the rows as they are, when the numbers would not fit
// in 64 bits.
func sortRowsByRank(rows []Row) bool {
	if len(rows) < 2 {
		return true
	}
	dims := rows[0].dims
	ranks := make([]map[*string]uint64, len(dims))
	radix := make([]uint64, len(dims))
	span := uint64(len(rows)) // the product of the radixes, with the position's
	for d, dim := range dims {
		rank := map[*string]uint64{}
		type value struct {
			at  *string
			key string
		}
		var distinct []value
		for _, r := range rows {
			if _, ok := rank[r.Values[d]]; !ok {
				rank[r.Values[d]] = 0
				distinct = append(distinct, value{r.Values[d], string(appendSortKey(nil, dim, r.Values[d]))})
			}
		}
		slices.SortFunc(distinct, func(a, b value) int { return strings.Compare(a.key, b.key) })
		var n uint64 // values equal in content but held at two addresses share a rank
		for i, v := range distinct {
			if i > 0 && distinct[i-1].key != v.key {
				n++
			}
			rank[v.at] = n
		}
		hi, lo := bits.Mul64(span, n+1)
		if hi != 0 {
			return false
		}
		span, ranks[d], radix[d] = lo, rank, n+1
	}
	count := uint64(len(rows))
	keys := make([]uint64, len(rows))
	for i, r := range rows {
		var k uint64
		for d, v := range r.Values {
			k = k*radix[d] + ranks[d][v]
		}
		keys[i] = k*count + uint64(i)
	}
	slices.Sort(keys)
	permute(rows, func(i int) int { return int(keys[i] % count) })
	return true
}

// sortRowsByKey sorts rows whose ranks would not fit in 64 bits. Each row's
// values become one byte string that compares as the values do
// (appendSortKey), in one shared allocation, and the sort moves (key,
// position) pairs, the position keeping the order stable.
func sortRowsByKey(rows []Row) {
	ends := make([]int, len(rows))
	arena := make([]byte, 0, 16*len(rows))
	for i, r := range rows {
		for d, v := range r.Values {
			arena = appendSortKey(arena, r.dims[d], v)
		}
		ends[i] = len(arena)
	}
	all := string(arena)
	type entry struct {
		key string
		at  int
	}
	order := make([]entry, len(rows))
	for i, start := 0, 0; i < len(rows); i++ {
		order[i] = entry{all[start:ends[i]], i}
		start = ends[i]
	}
	slices.SortFunc(order, func(x, y entry) int {
		if c := strings.Compare(x.key, y.key); c != 0 {
			return c
		}
		return cmp.Compare(x.at, y.at)
	})
	permute(rows, func(i int) int { return order[i].at })
}

// permute moves into position i the row at from(i), for a permutation from,
// along its cycles: each row moves once, without a copy of the report.
func permute(rows []Row, from func(i int) int) {
	done := make([]bool, len(rows))
	for i := range rows {
		if done[i] {
			continue
		}
		held, j := rows[i], i
		for {
			done[j] = true
			k := from(j)
			if k == i {
				rows[j] = held
				break
			}
			rows[j] = rows[k]
			j = k
		}
	}
}

// appendSortKey appends the sort key of one dimension value. Values compare
// by their bytes (text never holds a NUL or, being UTF-8, a 0xff byte), age
// bands by their rank, and NULL after every value; the NUL ending each key
// puts a value before the values it is a prefix of.
func appendSortKey(b []byte, dim string, v *string) []byte {
	switch {
	case v == nil:
		b = append(b, 0xff)
	case dim == "age_band":
		b = append(b, byte(2+slices.Index(cc.AgeBands, *v))) // 1 for an unknown band, as Index gives -1
	default:
		b = append(b, *v...)
	}
	return append(b, 0)
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
