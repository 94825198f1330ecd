// Package pgtest gives each test package its own freshly migrated database on
// the PostgreSQL server DATABASE_URL names, and its own Redis database on the
// server REDIS_URL names: the services come from the same variables as the
// program's.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // PostgreSQL driver
	"github.com/redis/go-redis/v9"

	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/migrations"
)

// AdminURL is the server URL tests create their databases through: the
// server, role and password of DATABASE_URL (as for the program, default
// postgres://localhost:5432) with its database replaced by postgres, so the
// role must be allowed to create databases. TEST_DATABASE_URL, when set,
// names another URL for this, for when the program's role may not.
func AdminURL() string {
	raw := os.Getenv("TEST_DATABASE_URL")
	if raw == "" {
		raw = os.Getenv("DATABASE_URL")
		if raw == "" {
			raw = "postgres://localhost:5432/cybercampus?sslmode=disable"
		}
		if u, err := url.Parse(raw); err == nil && u.Host != "" {
			u.Path = "/postgres"
			raw = u.String()
		}
	}
	// A server that does not answer fails the tests quickly instead of hanging them.
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		q := u.Query()
		if q.Get("connect_timeout") == "" {
			q.Set("connect_timeout", "5")
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return raw
}

// RedisAddr is the host:port of the Redis the tests use: the one REDIS_URL
// names, as for the program, or the local default.
func RedisAddr() string {
	return redisOptions().Addr
}

func redisOptions() *redis.Options {
	if v := os.Getenv("REDIS_URL"); v != "" {
		if o, err := redis.ParseURL(v); err == nil {
			return o
		}
	}
	return &redis.Options{Addr: "127.0.0.1:6379"}
}

// RedisOptions are the options of database db on the Redis server REDIS_URL
// names (its address, user and password; the database number in REDIS_URL is
// the program's and is never used by tests).
func RedisOptions(db int) *redis.Options {
	o := redisOptions()
	return &redis.Options{Addr: o.Addr, Username: o.Username, Password: o.Password, DB: db}
}

// redisOwnerKey marks a Redis database as one the tests may use and empty.
// Tests claim a database only when it is empty or carries this key, so they
// never use, let alone flush, a database that holds anyone else's data.
const redisOwnerKey = "cybercampus:tests:owner"

// ClaimRedis makes sure Redis database db is the tests' own: an empty
// database is marked with redisOwnerKey, a marked one is accepted, and a
// database holding other keys is refused with an error that says what to do.
func ClaimRedis(db int) error {
	ctx := context.Background()
	rdb := redis.NewClient(RedisOptions(db))
	defer rdb.Close()
	owned, err := rdb.Exists(ctx, redisOwnerKey).Result()
	if err != nil {
		return fmt.Errorf("redis at %s (REDIS_URL): %w", rdb.Options().Addr, err)
	}
	if owned == 1 {
		return nil
	}
	n, err := rdb.DBSize(ctx).Result()
	if err != nil {
		return fmt.Errorf("redis at %s (REDIS_URL): %w", rdb.Options().Addr, err)
	}
	if n != 0 {
		return fmt.Errorf("redis database %d at %s holds %d keys the tests did not write; "+
			"the tests use and empty databases 2 to 15 of the server REDIS_URL names only when they are empty or their own: "+
			"point REDIS_URL at a Redis server whose databases 2 to 15 are free", db, rdb.Options().Addr, n)
	}
	return rdb.Set(ctx, redisOwnerKey, "CyberCampus tests use and empty this database", 0).Err()
}

// FlushRedis empties Redis database db after claiming it (see ClaimRedis),
// so counters and queues from earlier runs never leak into a test.
func FlushRedis(db int) error {
	if err := ClaimRedis(db); err != nil {
		return err
	}
	ctx := context.Background()
	rdb := redis.NewClient(RedisOptions(db))
	defer rdb.Close()
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		return err
	}
	return rdb.Set(ctx, redisOwnerKey, "CyberCampus tests use and empty this database", 0).Err()
}

// DB is a migrated test database.
type DB struct {
	*sqlx.DB
	URL   string
	name  string
	admin *sqlx.DB
}

// New creates and migrates a database named after prefix. Call Close to drop it.
func New(prefix string) (*DB, error) {
	ctx := context.Background()
	admin, err := sqlx.Open("postgres", AdminURL())
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("cctest_%s_%s", strings.ToLower(prefix), RandomSuffix())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return nil, fmt.Errorf("create test database on the server DATABASE_URL (or TEST_DATABASE_URL) names: %w", err)
	}
	u, _ := url.Parse(AdminURL())
	u.Path = "/" + name
	db, err := postgres.Open(ctx, u.String(), postgres.Options{MaxOpenConns: 20, MaxIdleConns: 10, ConnMaxLifetime: time.Hour, ConnectTimeout: 5 * time.Second})
	if err != nil {
		admin.Close()
		return nil, err
	}
	if err := migrations.Up(ctx, db.DB, nil); err != nil {
		db.Close()
		admin.Close()
		return nil, err
	}
	return &DB{DB: db, URL: u.String(), name: name, admin: admin}, nil
}

// Close drops the database.
func (d *DB) Close() {
	d.DB.Close()
	d.admin.Exec("DROP DATABASE IF EXISTS " + d.name + " WITH (FORCE)")
	d.admin.Close()
}

// Main runs a package's tests with a fresh database in *db.
func Main(m *testing.M, prefix string, db **DB) {
	d, err := New(prefix)
	if err != nil {
		fmt.Fprintln(os.Stderr, "test database:", err)
		os.Exit(1)
	}
	*db = d
	code := m.Run()
	d.Close()
	os.Exit(code)
}

// RandomSuffix returns 8 random hex characters.
func RandomSuffix() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}
