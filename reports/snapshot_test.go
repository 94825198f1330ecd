package reports

import (
	"context"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// storeWithPool returns a store reading through a pool of at most n
// connections to the test database.
func storeWithPool(t *testing.T, n int) *Store {
	t.Helper()
	rdb, err := sqlx.Open("postgres", testDB.URL)
	if err != nil {
		t.Fatal(err)
	}
	rdb.SetMaxOpenConns(n)
	t.Cleanup(func() { rdb.Close() })
	return NewStore(testDB.DB, rdb, time.Now)
}

// exportSnapshot opens a report's transaction on s and exports its snapshot;
// the transaction ends with the test.
func exportSnapshot(t *testing.T, s *Store) (*sqlx.Tx, string) {
	t.Helper()
	tx, err := s.rdb.BeginTxx(context.Background(), reportTx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	var id string
	if err := tx.Get(&id, `SELECT pg_export_snapshot()`); err != nil {
		t.Fatal(err)
	}
	return tx, id
}

func TestSharedSnapshot(t *testing.T) {
	ctx := context.Background()
	s := storeWithPool(t, 4)
	count := func(q interface {
		GetContext(context.Context, any, string, ...any) error
	}) int {
		var n int
		if err := q.GetContext(ctx, &n, `SELECT count(*) FROM report_audit`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	tx, id := exportSnapshot(t, s)
	before := count(tx)
	user := fixtures{t, testDB.DB}.user("female", "KE")
	if _, err := testDB.Exec(`INSERT INTO report_audit (user_id, endpoint, params, format) VALUES ($1, 'participation', '{}', 'json')`, user); err != nil {
		t.Fatal(err)
	}

	t.Run("a second connection reads the report's snapshot, not what was committed since", func(t *testing.T) {
		helper, release := s.sharedSnapshot(ctx, id)
		if helper == nil {
			t.Fatal("no shared snapshot with connections to spare")
		}
		defer release()
		if got, now := count(helper), count(testDB); got != before || now != before+1 {
			t.Fatalf("shared snapshot counts %d, report %d, database now %d", got, before, now)
		}
	})
	t.Run("a name that is not a snapshot's is never sent", func(t *testing.T) {
		for _, bad := range []string{"", "0000-1'; DROP TABLE report_audit; --", "abc", "00000003-0000001b-1"} {
			if helper, _ := s.sharedSnapshot(ctx, bad); helper != nil {
				t.Fatalf("%q opened a transaction", bad)
			}
		}
	})
	t.Run("without a connection to spare the report reads on its own", func(t *testing.T) {
		one := storeWithPool(t, 1)
		_, id := exportSnapshot(t, one) // holds the pool's one connection
		start := time.Now()
		if helper, _ := one.sharedSnapshot(ctx, id); helper != nil {
			t.Fatal("a second connection from a pool of one")
		}
		if d := time.Since(start); d > sharedSnapshotWait {
			t.Fatalf("waited %s for a connection", d)
		}
	})
}

// Reports read with margins on a second connection equal reports read in one
// transaction, and a pool of one connection still serves reports.
func TestParticipationSharedOrNot(t *testing.T) {
	f := fixtures{t, testDB.DB}
	s := storeWithPool(t, 8)
	ds := f.randomData(rand.New(rand.NewPCG(5, 6)), 80)
	f.refresh(s)
	one := storeWithPool(t, 1)
	for _, p := range exactFilters(ds) {
		for _, g := range exactGroupings {
			p.GroupBy = g
			q := query(t, s, p)
			shared, err := s.Participation(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			alone, err := one.Participation(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			shared.GeneratedAt, alone.GeneratedAt = time.Time{}, time.Time{}
			if !shared.DataAsOf.Equal(alone.DataAsOf) {
				t.Fatalf("%+v: data as of %s and %s", p, shared.DataAsOf, alone.DataAsOf)
			}
			shared.DataAsOf, alone.DataAsOf = time.Time{}, time.Time{}
			if !reflect.DeepEqual(shared, alone) {
				t.Fatalf("%+v: with a second connection %+v, alone %+v", p, shared, alone)
			}
		}
	}
}
