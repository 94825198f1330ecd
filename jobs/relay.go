package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Relay moves committed outbox rows to asynq. Several relays (one per worker
// process) can run at once: each claims a batch with FOR UPDATE SKIP LOCKED,
// enqueues it, and marks the rows sent in the same transaction, so a row is
// marked only after asynq has it and a crash in between re-sends it under the
// same task id, which asynq rejects as a conflict.
type Relay struct {
	db     *sqlx.DB
	client *asynq.Client
	logger *slog.Logger

	BatchSize    int           // rows claimed per transaction
	PollInterval time.Duration // wait when the outbox is drained
	// Wake, when set (ListenOutbox(…).Wake()), ends the wait of a drained relay as soon
	// as new rows are committed, so a task reaches the queue within a
	// round trip instead of up to PollInterval later.
	Wake       <-chan struct{}
	MaxBackoff time.Duration // longest wait while Redis or PostgreSQL is down
	PurgeEvery time.Duration // how often sent rows are purged
	KeepSent   time.Duration // how long sent rows are kept for inspection
}

// NewRelay returns a relay with production settings.
func NewRelay(db *sqlx.DB, client *asynq.Client, logger *slog.Logger) *Relay {
	return &Relay{db: db, client: client, logger: logger, BatchSize: 100,
		PollInterval: 200 * time.Millisecond, MaxBackoff: 5 * time.Second, // one cheap probe per 5 s keeps recovery prompt
		PurgeEvery: 10 * time.Minute, KeepSent: 7 * 24 * time.Hour}
}

// ErrRedisUnavailable wraps an enqueue failure while Redis does not answer.
var ErrRedisUnavailable = errors.New("redis unavailable")

type outboxRow struct {
	ID       string `db:"id"`
	TaskType string `db:"task_type"`
	Payload  []byte `db:"payload"`
	Queue    string `db:"queue"`
	Attempts int    `db:"attempts"`
}

// Run relays until ctx ends: at once again after a full batch, every
// PollInterval when idle, with growing backoff while a dependency is down.
// It never gives up; unsent rows simply wait in the outbox.
func (r *Relay) Run(ctx context.Context) {
	var backoff time.Duration
	nextPurge := time.Now().Add(time.Minute)
	for ctx.Err() == nil {
		n, err := r.RelayOnce(ctx)
		wait := r.PollInterval
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			backoff = min(max(2*backoff, r.PollInterval), r.MaxBackoff)
			wait = backoff/2 + rand.N(backoff/2+1)
			r.logger.Warn("outbox relay paused", "error", err, "retry_in", wait.String())
		case n == r.BatchSize:
			wait, backoff = 0, 0
		default:
			if backoff > 0 {
				r.logger.Info("outbox relay resumed")
			}
			backoff = 0
		}
		if time.Now().After(nextPurge) {
			r.purge(ctx)
			nextPurge = time.Now().Add(r.PurgeEvery)
		}
		if backoff > 0 {
			sleep(ctx, wait, nil) // a dependency is down: new rows do not cut the backoff short
		} else {
			sleep(ctx, wait, r.Wake)
		}
	}
}

func (r *Relay) purge(ctx context.Context) {
	n, err := r.PurgeSent(ctx, time.Now().Add(-r.KeepSent))
	if err != nil {
		r.logger.Warn("outbox purge failed", "error", err)
	} else if n > 0 {
		r.logger.Info("outbox purged", "rows", n)
	}
}

// sleep waits for d, or until ctx ends or wake receives (a nil wake never does).
func sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-wake:
	}
}

// The partial index outbox_relay_idx serves this scan in created_at order.
const claimOutbox = `
SELECT id, task_type, payload, queue, attempts FROM outbox
WHERE sent_at IS NULL AND available_at <= now()
ORDER BY created_at, id
LIMIT $1
FOR UPDATE SKIP LOCKED`

// RelayOnce claims one batch, enqueues it in created_at order and marks what
// asynq accepted as sent. It returns how many rows it sent. When Redis does not
// answer it stops at the first failure and returns ErrRedisUnavailable,
// leaving the rest untouched; a row that fails on its own while Redis answers
// is put back with a delay so it does not hold up the rows behind it.
func (r *Relay) RelayOnce(ctx context.Context) (int, error) {
	tx, err := r.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("outbox: begin: %w", err)
	}
	defer tx.Rollback()
	var rows []outboxRow
	if err := tx.SelectContext(ctx, &rows, claimOutbox, r.BatchSize); err != nil {
		return 0, fmt.Errorf("outbox: claim: %w", err)
	}
	sent, failErr := r.enqueueAll(ctx, tx, rows)
	if err := markSent(ctx, tx, sent); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("outbox: commit: %w", err)
	}
	return len(sent), failErr
}

func (r *Relay) enqueueAll(ctx context.Context, tx *sqlx.Tx, rows []outboxRow) ([]string, error) {
	sent := make([]string, 0, len(rows))
	for _, row := range rows {
		err := r.enqueue(ctx, row)
		if err == nil {
			sent = append(sent, row.ID)
			continue
		}
		down := r.redisDown(err)
		if ferr := recordFailure(ctx, tx, row, err, !down); ferr != nil {
			return sent, ferr
		}
		if down {
			return sent, fmt.Errorf("%w: %v", ErrRedisUnavailable, err)
		}
		r.logger.Error("outbox row not enqueued", "outbox_id", row.ID, "task_type", row.TaskType, "error", err)
	}
	return sent, nil
}

// redisDown tells an unreachable Redis (every row would fail) from a
// failure of one row.
func (r *Relay) redisDown(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	return r.client.Ping() != nil
}

// enqueue treats a task id conflict as success: the task was enqueued by an
// earlier attempt whose commit was lost.
func (r *Relay) enqueue(ctx context.Context, row outboxRow) error {
	_, err := r.client.EnqueueContext(ctx, NewTask(row.ID, row.TaskType, row.Queue, row.Payload))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	return err
}

func markSent(ctx context.Context, tx sqlx.ExtContext, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	const q = `UPDATE outbox SET sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = ANY($1)`
	if _, err := tx.ExecContext(ctx, q, pq.StringArray(ids)); err != nil {
		return fmt.Errorf("outbox: mark sent: %w", err)
	}
	return nil
}

// recordFailure notes the error on the row; delay pushes the row back with an
// exponential backoff (1s doubling up to 10 minutes).
func recordFailure(ctx context.Context, tx sqlx.ExtContext, row outboxRow, cause error, delay bool) error {
	wait := time.Duration(0)
	if delay {
		wait = min(time.Second<<min(row.Attempts, 10), 10*time.Minute)
	}
	const q = `UPDATE outbox SET attempts = attempts + 1, last_error = $2,
		available_at = now() + make_interval(secs => $3) WHERE id = $1`
	msg := cause.Error()
	if len(msg) > 500 {
		msg = strings.ToValidUTF8(msg[:500], "")
	}
	if _, err := tx.ExecContext(ctx, q, row.ID, msg, wait.Seconds()); err != nil {
		return fmt.Errorf("outbox: record failure: %w", err)
	}
	return nil
}

// PurgeSent deletes rows sent before the cutoff, a thousand per statement so
// no statement holds locks for long. It returns how many rows it deleted.
func (r *Relay) PurgeSent(ctx context.Context, before time.Time) (int64, error) {
	const q = `DELETE FROM outbox WHERE id IN (
		SELECT id FROM outbox WHERE sent_at < $1 ORDER BY sent_at LIMIT 1000)`
	var total int64
	for {
		res, err := r.db.ExecContext(ctx, q, before)
		if err != nil {
			return total, fmt.Errorf("outbox: purge: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
		if n < 1000 {
			return total, nil
		}
	}
}
