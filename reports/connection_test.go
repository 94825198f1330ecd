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

// A report reads on one connection: a pool of one serves every report, and
// gives what a larger pool gives.
func TestParticipationOnOneConnection(t *testing.T) {
	f := fixtures{t, testDB.DB}
	s := storeWithPool(t, 8)
	ds := f.randomData(rand.New(rand.NewPCG(5, 6)), 80)
	f.refresh(s)
	one := storeWithPool(t, 1)
	for _, p := range exactFilters(ds) {
		for _, g := range exactGroupings {
			p.GroupBy = g
			q := query(t, s, p)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			pooled, err := s.Participation(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			alone, err := one.Participation(ctx, q)
			cancel()
			if err != nil {
				t.Fatalf("%+v on a pool of one connection: %v", p, err)
			}
			pooled.GeneratedAt, alone.GeneratedAt = time.Time{}, time.Time{}
			if !reflect.DeepEqual(pooled, alone) {
				t.Fatalf("%+v: with a pool of eight %+v, of one %+v", p, pooled, alone)
			}
		}
	}
}
