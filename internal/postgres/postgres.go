// Package postgres opens the PostgreSQL pool and holds the small helpers every
// store shares: transactions with retry, and mapping driver errors to domain errors.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Options configure the connection pool.
type Options struct {
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
	ConnectTimeout  time.Duration
}

// Open connects to dsn with the pool limits, a connect timeout and the UTC
// session time zone (a startup parameter, so it also holds behind PgBouncer),
// and pings it.
func Open(ctx context.Context, dsn string, o Options) (*sqlx.DB, error) {
	dsn, err := sessionDSN(dsn, o.ConnectTimeout)
	if err != nil {
		return nil, err
	}
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.SetMaxOpenConns(o.MaxOpenConns)
	db.SetMaxIdleConns(o.MaxIdleConns)
	db.SetConnMaxLifetime(o.ConnMaxLifetime)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, o.ConnectTimeout+time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return db, nil
}

// sessionDSN adds the connection settings every CyberCampus session uses
// unless the URL sets them: a connect timeout, UTC and binary parameters.
func sessionDSN(dsn string, d time.Duration) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", errors.New("database URL is not a valid URL")
	}
	q := u.Query()
	if q.Get("connect_timeout") == "" && d > 0 {
		q.Set("connect_timeout", strconv.Itoa(max(int(d.Seconds()), 1)))
	}
	if q.Get("timezone") == "" {
		q.Set("timezone", "UTC") // timestamps leave the API in UTC whatever the server's zone
	}
	if q.Get("binary_parameters") == "" {
		// lib/pq then sends Parse, Bind, Execute and Sync of a query with
		// parameters together: one round trip instead of two, and the
		// unnamed statement never outlives its Sync, which PgBouncer in
		// transaction mode needs (between two Syncs it may hand the server
		// connection to another client: "unnamed prepared statement does
		// not exist"). []byte arguments travel in binary, so JSON for
		// jsonb columns must be passed as a string.
		q.Set("binary_parameters", "yes")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Transact runs fn in a transaction and commits it, retrying the whole function
// a few times on serialization failures and deadlocks.
func Transact(ctx context.Context, db *sqlx.DB, opts *sql.TxOptions, fn func(tx *sqlx.Tx) error) error {
	return Retry(ctx, func() error { return transactOnce(ctx, db, opts, fn) })
}

// Retry runs fn, and again a few times while it fails with a serialization
// failure or a deadlock: fn is a whole transaction (Transact) or a single
// statement run on its own, which PostgreSQL applies atomically.
func Retry(ctx context.Context, fn func() error) error {
	const attempts = 5
	var err error
	for i := range attempts {
		if err = fn(); !IsRetryable(err) || i == attempts-1 {
			return err
		}
		select {
		case <-time.After(time.Duration(rand.IntN(20*(i+1))) * time.Millisecond):
		case <-ctx.Done():
			return err
		}
	}
	return err
}

func transactOnce(ctx context.Context, db *sqlx.DB, opts *sql.TxOptions, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// IsRetryable reports serialization failures (40001) and deadlocks (40P01).
func IsRetryable(err error) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// IsUniqueViolation reports a unique constraint violation (23505), optionally
// of one named constraint.
func IsUniqueViolation(err error, constraint ...string) bool {
	return isCode(err, "23505", constraint)
}

// IsForeignKeyViolation reports a foreign key violation (23503).
func IsForeignKeyViolation(err error, constraint ...string) bool {
	return isCode(err, "23503", constraint)
}

func isCode(err error, code pq.ErrorCode, constraint []string) bool {
	var pe *pq.Error
	if !errors.As(err, &pe) || pe.Code != code {
		return false
	}
	return len(constraint) == 0 || pe.Constraint == constraint[0]
}

// IsNoRows reports sql.ErrNoRows.
func IsNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
