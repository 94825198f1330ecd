package migrations_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

var testDB *pgtest.DB

func TestMain(m *testing.M) { pgtest.Main(m, "partitions", &testDB) }

// partitionName is the monthly partition that holds t (in UTC).
func partitionName(t time.Time) string {
	return "progress_events_" + t.UTC().Format("2006_01")
}

// monthStart is the first instant of the month that is n months from now's.
func monthStart(n int) time.Time {
	now := time.Now().UTC()
	return time.Date(now.Year(), now.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
}

// begin opens a transaction that the test rolls back: partitions are DDL and
// PostgreSQL's DDL is transactional, so no test leaves anything behind.
func begin(t *testing.T) *sqlx.Tx {
	t.Helper()
	tx, err := testDB.BeginTxx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	return tx
}

const insertEvent = `
INSERT INTO progress_events (id, occurred_at, user_id, enrollment_id, lesson_id, type)
VALUES ($1, $2, $3, $4, $5, 'lesson_completed')
RETURNING tableoid::regclass::text`

func insert(t *testing.T, tx *sqlx.Tx, at time.Time) string {
	t.Helper()
	var part string
	if err := tx.Get(&part, insertEvent, uuid.New(), at, uuid.New(), uuid.New(), uuid.New()); err != nil {
		t.Fatalf("insert at %s: %v", at, err)
	}
	return part
}

func exists(t *testing.T, q sqlx.Queryer, table string) bool {
	t.Helper()
	var ok bool
	if err := sqlx.Get(q, &ok, `SELECT to_regclass($1) IS NOT NULL`, table); err != nil {
		t.Fatal(err)
	}
	return ok
}

func countPartitions(t *testing.T, q sqlx.Queryer) int {
	t.Helper()
	var n int
	if err := sqlx.Get(q, &n, `SELECT count(*) FROM pg_inherits WHERE inhparent = 'progress_events'::regclass`); err != nil {
		t.Fatal(err)
	}
	return n
}

func ensure(t *testing.T, tx *sqlx.Tx, from time.Time, ahead int) int {
	t.Helper()
	var created int
	if err := tx.Get(&created, `SELECT ensure_progress_partitions($1::date, $2)`, from.Format("2006-01-02"), ahead); err != nil {
		t.Fatalf("ensure_progress_partitions(%s, %d): %v", from.Format("2006-01"), ahead, err)
	}
	return created
}

func TestMigrationCreatesMonthlyPartitions(t *testing.T) {
	for _, n := range []int{-24, -12, -1, 0, 1, 3} {
		name := partitionName(monthStart(n))
		t.Run(name, func(t *testing.T) {
			if !exists(t, testDB, name) {
				t.Errorf("%s does not exist", name)
			}
		})
	}
	for _, n := range []int{-25, 4} {
		name := partitionName(monthStart(n))
		t.Run("not yet "+name, func(t *testing.T) {
			if exists(t, testDB, name) {
				t.Errorf("%s exists; the migration creates 24 months back through 3 ahead", name)
			}
		})
	}
	t.Run("a default partition", func(t *testing.T) {
		if !exists(t, testDB, "progress_events_default") {
			t.Error("progress_events_default does not exist")
		}
	})
}

func TestInsertsLandInTheirMonth(t *testing.T) {
	tx := begin(t)
	tests := []struct {
		name string
		at   time.Time
		want string
	}{
		{"this month", time.Now().UTC(), partitionName(time.Now())},
		{"the first instant of a month", monthStart(0), partitionName(monthStart(0))},
		{"the last instant of the month before", monthStart(0).Add(-time.Microsecond), partitionName(monthStart(-1))},
		{"a year ago", monthStart(-12).Add(15 * 24 * time.Hour), partitionName(monthStart(-12))},
		{"two years ago", monthStart(-24), partitionName(monthStart(-24))},
		{"two months ahead", monthStart(2).Add(time.Hour), partitionName(monthStart(2))},
		{"in another time zone, by its UTC instant", time.Date(monthStart(-1).Year(), monthStart(-1).Month(), 1, 0, 30, 0, 0,
			time.FixedZone("UTC+1", 3600)), partitionName(monthStart(-2))},
		{"long before the oldest month", time.Date(1999, 12, 31, 23, 0, 0, 0, time.UTC), "progress_events_default"},
		{"long after the newest month", time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), "progress_events_default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := insert(t, tx, tt.at); got != tt.want {
				t.Errorf("a row at %s landed in %s, want %s", tt.at.UTC().Format(time.RFC3339Nano), got, tt.want)
			}
		})
	}
	t.Run("every row is read back through the parent", func(t *testing.T) {
		var n int
		if err := tx.Get(&n, `SELECT count(*) FROM progress_events`); err != nil {
			t.Fatal(err)
		}
		if n != len(tests) {
			t.Errorf("%d rows, want %d", n, len(tests))
		}
	})
	t.Run("a query for one month reads only its partition", func(t *testing.T) {
		var plan []string
		err := tx.Select(&plan, `EXPLAIN SELECT * FROM progress_events WHERE occurred_at >= $1 AND occurred_at < $2`,
			monthStart(-12), monthStart(-11))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(plan, "\n")
		if !strings.Contains(text, partitionName(monthStart(-12))) || strings.Contains(text, partitionName(monthStart(-11))) ||
			strings.Contains(text, "progress_events_default") {
			t.Errorf("the plan does not prune to one partition:\n%s", text)
		}
	})
}

func TestEnsurePartitions(t *testing.T) {
	from := monthStart(-24)
	t.Run("is idempotent", func(t *testing.T) {
		tx := begin(t)
		before := countPartitions(t, tx)
		for i := range 2 {
			if n := ensure(t, tx, from, 3); n != 0 {
				t.Errorf("call %d created %d partitions, want 0: the migration made them all", i+1, n)
			}
		}
		if after := countPartitions(t, tx); after != before {
			t.Errorf("%d partitions, want %d", after, before)
		}
	})
	t.Run("creates future months", func(t *testing.T) {
		tx := begin(t)
		before := countPartitions(t, tx)
		if n := ensure(t, tx, monthStart(0), 6); n != 3 {
			t.Errorf("created %d partitions, want 3 (months 4 to 6 ahead)", n)
		}
		for _, k := range []int{4, 5, 6} {
			if !exists(t, tx, partitionName(monthStart(k))) {
				t.Errorf("%s was not created", partitionName(monthStart(k)))
			}
		}
		if exists(t, tx, partitionName(monthStart(7))) {
			t.Errorf("%s created beyond the horizon", partitionName(monthStart(7)))
		}
		if after := countPartitions(t, tx); after != before+3 {
			t.Errorf("%d partitions, want %d", after, before+3)
		}
		if n := ensure(t, tx, monthStart(0), 6); n != 0 {
			t.Errorf("the second call created %d partitions, want 0", n)
		}
		if got := insert(t, tx, monthStart(6).Add(time.Minute)); got != partitionName(monthStart(6)) {
			t.Errorf("a row six months ahead landed in %s", got)
		}
	})
	t.Run("fills a gap in the past", func(t *testing.T) {
		tx := begin(t)
		if n := ensure(t, tx, monthStart(-30), 3); n != 6 {
			t.Errorf("created %d partitions, want 6 (months 30 to 25 back)", n)
		}
	})
}

// TestDefaultPartitionRows covers the repair in deploy/README.md: a month
// cannot be created while the default partition holds rows of it, until
// they are moved into the new month's table and it is attached.
func TestDefaultPartitionRows(t *testing.T) {
	tx := begin(t)
	month := monthStart(5)
	if got := insert(t, tx, month.Add(time.Hour)); got != "progress_events_default" {
		t.Fatalf("a row five months ahead landed in %s, want the default partition", got)
	}
	if _, err := tx.Exec(`SAVEPOINT before_ensure`); err != nil {
		t.Fatal(err)
	}
	_, err := tx.Exec(`SELECT ensure_progress_partitions($1::date, 6)`, monthStart(0).Format("2006-01-02"))
	if err == nil || !strings.Contains(err.Error(), "default partition") {
		t.Fatalf("ensure_progress_partitions over rows in the default partition: err = %v, want a default partition violation", err)
	}
	if _, err := tx.Exec(`ROLLBACK TO SAVEPOINT before_ensure`); err != nil {
		t.Fatal(err)
	}
	name, lo, hi := partitionName(month), month.Format("2006-01-02"), month.AddDate(0, 1, 0).Format("2006-01-02")
	for _, q := range []string{
		`CREATE TABLE ` + name + ` (LIKE progress_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
		`WITH moved AS (DELETE FROM progress_events_default WHERE occurred_at >= '` + lo + `' AND occurred_at < '` + hi + `' RETURNING *)
		 INSERT INTO ` + name + ` SELECT * FROM moved`,
		`ALTER TABLE progress_events ATTACH PARTITION ` + name + ` FOR VALUES FROM ('` + lo + `') TO ('` + hi + `')`,
	} {
		if _, err := tx.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if n := ensure(t, tx, monthStart(0), 6); n != 2 {
		t.Errorf("after the repair ensure_progress_partitions created %d, want 2 (months 4 and 6)", n)
	}
	var part string
	if err := tx.Get(&part, `SELECT tableoid::regclass::text FROM progress_events WHERE occurred_at >= $1 AND occurred_at < $2`, lo, hi); err != nil {
		t.Fatal(err)
	}
	if part != name {
		t.Errorf("the moved row is in %s, want %s", part, name)
	}
}

// TestDetachAndArchive covers the archive procedure in deploy/README.md.
func TestDetachAndArchive(t *testing.T) {
	old := monthStart(-20)
	name := partitionName(old)
	t.Run("concurrent detach is refused while a default partition exists", func(t *testing.T) {
		// Not in a transaction: CONCURRENTLY refuses transaction blocks
		// first. It refuses for the default partition, so nothing changes.
		_, err := testDB.Exec(`ALTER TABLE progress_events DETACH PARTITION ` + name + ` CONCURRENTLY`)
		if err == nil || !strings.Contains(err.Error(), "default partition") {
			t.Errorf("err = %v, want a refusal naming the default partition", err)
		}
		if !exists(t, testDB, name) || countPartitions(t, testDB) == 0 {
			t.Fatal("the partition is gone")
		}
	})
	t.Run("detach keeps the rows in a table of their own", func(t *testing.T) {
		tx := begin(t)
		insert(t, tx, old.Add(time.Hour))
		insert(t, tx, monthStart(-19).Add(time.Hour))
		if _, err := tx.Exec(`ALTER TABLE progress_events DETACH PARTITION ` + name); err != nil {
			t.Fatal(err)
		}
		var inParent, inDetached, others int
		if err := tx.Get(&inParent, `SELECT count(*) FROM progress_events WHERE occurred_at >= $1 AND occurred_at < $2`, old, monthStart(-19)); err != nil {
			t.Fatal(err)
		}
		if err := tx.Get(&inDetached, `SELECT count(*) FROM `+name); err != nil {
			t.Fatal(err)
		}
		if err := tx.Get(&others, `SELECT count(*) FROM progress_events`); err != nil {
			t.Fatal(err)
		}
		if inParent != 0 || inDetached != 1 || others != 1 {
			t.Errorf("after detach: %d rows of the month through the parent (want 0), %d in %s (want 1), %d others (want 1)",
				inParent, inDetached, name, others)
		}
		// A late event for the archived month lands in the default partition.
		if got := insert(t, tx, old.Add(2*time.Hour)); got != "progress_events_default" {
			t.Errorf("a late event for a detached month landed in %s", got)
		}
	})
}
