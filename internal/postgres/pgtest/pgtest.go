// Package pgtest gives each test package its own freshly migrated database on
// the real PostgreSQL server, and each test its own Redis key space.
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

	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/migrations"
)

// AdminURL is the server URL tests create databases through (TEST_DATABASE_URL,
// default the local server's postgres database).
func AdminURL() string {
	if v := os.Getenv("TEST_DATABASE_URL"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// RedisAddr is the host:port of the Redis the tests use: the one REDIS_URL
// names, as for the program, or the local default.
func RedisAddr() string {
	if v := os.Getenv("REDIS_URL"); v != "" {
		if u, err := url.Parse(v); err == nil && u.Host != "" {
			return u.Host
		}
	}
	return "127.0.0.1:6379"
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
		return nil, fmt.Errorf("create test database: %w", err)
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
