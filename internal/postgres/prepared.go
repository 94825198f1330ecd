package postgres

import (
	"context"
	"fmt"
	"sync"

	"github.com/jmoiron/sqlx"
)

// Prepared is a statement prepared on first use (and again after a failed
// attempt): PostgreSQL then parses and plans it once per connection instead
// of on every call, which for the hottest small statements is most of the
// database's work. database/sql prepares it on each pooled connection as
// needed; tx.StmtxContext runs it inside a transaction. Behind PgBouncer in
// transaction mode this needs its max_prepared_statements (deploy/README.md).
type Prepared struct {
	Query string

	mu   sync.Mutex
	stmt *sqlx.Stmt
}

// Stmt returns the statement prepared on db.
func (p *Prepared) Stmt(ctx context.Context, db *sqlx.DB) (*sqlx.Stmt, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stmt == nil {
		stmt, err := db.PreparexContext(ctx, p.Query)
		if err != nil {
			return nil, fmt.Errorf("prepare statement: %w", err)
		}
		p.stmt = stmt
	}
	return p.stmt, nil
}
