package postgres

import (
	"context"
	"crypto/rand"

	"github.com/jmoiron/sqlx"
)

// Secret returns the generated secret called name, creating n random bytes on
// first use. Instances started without configuration thereby share one value.
func Secret(ctx context.Context, db *sqlx.DB, name string, n int) ([]byte, error) {
	b := make([]byte, n)
	rand.Read(b)
	const ins = `INSERT INTO app_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`
	if _, err := db.ExecContext(ctx, ins, name, b); err != nil {
		return nil, err
	}
	var v []byte
	err := db.GetContext(ctx, &v, `SELECT value FROM app_secrets WHERE name = $1`, name)
	return v, err
}
