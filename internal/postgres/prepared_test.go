package postgres_test

import (
	"context"
	"testing"

	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

var testDB *pgtest.DB

func TestMain(m *testing.M) { pgtest.Main(m, "postgres", &testDB) }

func TestPrepared(t *testing.T) {
	ctx := context.Background()
	t.Run("prepared once, used inside and outside transactions", func(t *testing.T) {
		p := postgres.Prepared{Query: `SELECT $1::int + 1`}
		first, err := p.Stmt(ctx, testDB.DB)
		if err != nil {
			t.Fatal(err)
		}
		again, err := p.Stmt(ctx, testDB.DB)
		if err != nil || again != first {
			t.Fatalf("second Stmt: %p, %v; want the statement of the first call %p", again, err, first)
		}
		var n int
		if err := first.GetContext(ctx, &n, 41); err != nil || n != 42 {
			t.Fatalf("outside a transaction: %d, %v", n, err)
		}
		tx := testDB.MustBeginTx(ctx, nil)
		defer tx.Rollback()
		if err := tx.StmtxContext(ctx, first).GetContext(ctx, &n, 1); err != nil || n != 2 {
			t.Fatalf("inside a transaction: %d, %v", n, err)
		}
	})
	t.Run("a failed prepare is tried again on the next call", func(t *testing.T) {
		p := postgres.Prepared{Query: `SELECT FROM no_such_table_here`}
		if _, err := p.Stmt(ctx, testDB.DB); err == nil {
			t.Fatal("a statement over a missing table was prepared")
		}
		testDB.MustExec(`CREATE TABLE no_such_table_here ()`)
		if _, err := p.Stmt(ctx, testDB.DB); err != nil {
			t.Fatalf("after the table was created: %v", err)
		}
	})
}
