package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"

	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
	"github.com/cybercampus/cybercampus/jobs"
)

// redisDB is this package's own Redis database.
const redisDB = 11

var testDB *pgtest.DB

func TestMain(m *testing.M) { pgtest.Main(m, "jobs", &testDB) }

var redisOpt = func() asynq.RedisClientOpt {
	o := pgtest.RedisOptions(redisDB)
	return asynq.RedisClientOpt{Addr: o.Addr, Username: o.Username, Password: o.Password, DB: redisDB}
}()

// deadRedis is a port nothing listens on: Redis "down" without stopping the shared server.
var deadRedis = asynq.RedisClientOpt{Addr: "127.0.0.1:1", DB: redisDB, DialTimeout: 200 * time.Millisecond}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// reset empties the outbox and this package's Redis database.
func reset(t testing.TB) {
	t.Helper()
	if _, err := testDB.Exec(`DELETE FROM outbox`); err != nil {
		t.Fatal(err)
	}
	if err := pgtest.FlushRedis(redisDB); err != nil {
		t.Fatal(err)
	}
}

func newClient(t testing.TB, opt asynq.RedisClientOpt) *asynq.Client {
	c := asynq.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

func newRelay(t testing.TB, opt asynq.RedisClientOpt) *jobs.Relay {
	r := jobs.NewRelay(testDB.DB, newClient(t, opt), discard())
	r.PollInterval = 20 * time.Millisecond
	r.MaxBackoff = 100 * time.Millisecond
	return r
}

// enqueue commits n outbox rows of a test type and returns their ids in order.
func enqueue(t testing.TB, n int, queue string) []string {
	t.Helper()
	var ids []string
	for i := range n {
		tx := testDB.MustBegin()
		id, err := jobs.Enqueue(context.Background(), tx, "test:echo", queue, map[string]int{"n": i})
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func unsent(t testing.TB) int {
	t.Helper()
	var n int
	if err := testDB.Get(&n, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	return n
}

// queuedIDs lists the ids of every task asynq holds in queue, in any state.
func queuedIDs(t *testing.T, queue string) map[string]int {
	t.Helper()
	insp := asynq.NewInspector(redisOpt)
	defer insp.Close()
	ids := map[string]int{}
	for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
		insp.ListPendingTasks, insp.ListActiveTasks, insp.ListCompletedTasks, insp.ListRetryTasks, insp.ListArchivedTasks,
	} {
		tasks, err := list(queue, asynq.PageSize(1000))
		if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
			t.Fatal(err)
		}
		for _, ti := range tasks {
			ids[ti.ID]++
		}
	}
	return ids
}

func TestRolledBackEnqueueLeavesNoRow(t *testing.T) {
	reset(t)
	tx := testDB.MustBegin()
	if _, err := jobs.Enqueue(context.Background(), tx, "test:echo", jobs.QueueDefault, map[string]int{}); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	if n := unsent(t); n != 0 {
		t.Fatalf("outbox rows after rollback = %d, want 0", n)
	}
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload string
		skip    bool
	}{
		{"valid payload decodes", `{"notification_id":"0b0d8e0e-7a53-4d35-9d65-0b8c5a3f5d11"}`, false},
		{"malformed JSON is not retried", `{"notification_id":`, true},
		{"wrong type is not retried", `{"notification_id": 12}`, true},
		{"id that is not a UUID is not retried", `{"notification_id":"abc"}`, true},
		{"missing id is not retried", `{}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p jobs.NotificationPayload
			err := jobs.Decode(asynq.NewTask(jobs.TypeDeliverNotification, []byte(tc.payload)), &p)
			if got := errors.Is(err, asynq.SkipRetry); got != tc.skip || (!tc.skip && err != nil) {
				t.Fatalf("Decode(%s) = %v, want SkipRetry %v", tc.payload, err, tc.skip)
			}
		})
	}
}

func TestPeriodicSchedule(t *testing.T) {
	t.Run("every job's uniqueness lock expires before its next run", func(t *testing.T) {
		for _, p := range jobs.Schedule {
			ttl := p.UniqueTTL()
			if ttl <= 0 || ttl > time.Hour {
				t.Errorf("%s: UniqueTTL %v outside (0, 1h]", p.Name, ttl)
			}
		}
		rollups, _ := jobs.Lookup("rollups")
		if got := rollups.UniqueTTL(); got != 150*time.Second {
			t.Errorf("rollups (every 5 minutes) UniqueTTL = %v, want 2m30s", got)
		}
	})
	t.Run("a job enqueued twice is queued once", func(t *testing.T) {
		reset(t)
		c := newClient(t, redisOpt)
		p, err := jobs.Lookup("reminders")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Enqueue(p.Task()); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Enqueue(p.Task()); !errors.Is(err, asynq.ErrDuplicateTask) {
			t.Fatalf("second enqueue: %v, want ErrDuplicateTask", err)
		}
	})
	t.Run("unknown job name is an error naming the known ones", func(t *testing.T) {
		if _, err := jobs.Lookup("nope"); err == nil {
			t.Fatal("Lookup(nope) succeeded")
		}
	})
}

func TestEnsurePartitions(t *testing.T) {
	m := jobs.NewMaintenance(testDB.DB)
	for range 2 { // idempotent: the second run creates nothing and does not fail
		if err := m.EnsurePartitions(context.Background(), asynq.NewTask(jobs.TypeProgressPartitions, nil)); err != nil {
			t.Fatal(err)
		}
	}
	for months := 0; months <= jobs.PartitionMonthsAhead; months++ {
		name := "progress_events_" + time.Now().UTC().AddDate(0, months, 1-time.Now().UTC().Day()).Format("2006_01")
		var exists bool
		if err := testDB.Get(&exists, `SELECT to_regclass($1) IS NOT NULL`, name); err != nil {
			t.Fatal(err)
		}
		if !exists {
			t.Errorf("partition %s missing", name)
		}
	}
}

func countRows(t *testing.T, db *sqlx.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Get(&n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}
