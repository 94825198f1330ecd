package accounts_test

import (
	"testing"

	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/apptest/learnerstest"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

// testDB is the package's migrated test database.
var testDB *pgtest.DB

func TestMain(m *testing.M) { pgtest.Main(m, "accounts", &testDB) }

// redisDB is this package's Redis database in tests.
const redisDB = 3

// newEnv builds the application with the account routes, built as
// cmd/cybercampus builds them.
func newEnv(tb testing.TB, o apptest.Options) *apptest.Env {
	tb.Helper()
	o.RedisDB = redisDB
	env := apptest.New(tb, testDB, o)
	learnerstest.New(env).Accounts.Register(env.App, env.Auth)
	return env
}
