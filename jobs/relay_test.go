package jobs_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cybercampus/cybercampus/jobs"
)

// startWorker runs a real asynq server on this package's Redis database with
// handler for test:echo, behind the metrics middleware, retrying quickly.
func startWorker(t *testing.T, metrics *jobs.Metrics, handler asynq.HandlerFunc) {
	t.Helper()
	mux := asynq.NewServeMux()
	if metrics != nil {
		mux.Use(metrics.Middleware)
	}
	mux.HandleFunc("test:echo", handler)
	srv := asynq.NewServer(redisOpt, asynq.Config{Concurrency: 4, Queues: jobs.QueueWeights,
		Logger: quietLogger{}, DelayedTaskCheckInterval: 50 * time.Millisecond, RetryDelayFunc: func(int, error, *asynq.Task) time.Duration { return 10 * time.Millisecond }})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
}

type quietLogger struct{}

func (quietLogger) Debug(...any) {}
func (quietLogger) Info(...any)  {}
func (quietLogger) Warn(...any)  {}
func (quietLogger) Error(...any) {}
func (quietLogger) Fatal(...any) {}

// eventually polls cond until it holds or ten seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// seen records which task ids a handler ran, and how often.
type seen struct {
	mu  sync.Mutex
	ids map[string]int
}

func (s *seen) handle(ctx context.Context, t *asynq.Task) error {
	id, _ := asynq.GetTaskID(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids == nil {
		s.ids = map[string]int{}
	}
	s.ids[id]++
	return nil
}

func (s *seen) count() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.ids) }

// times reports how often the handler ran task id.
func (s *seen) times(id string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.ids[id] }

func TestOutboxToHandledTask(t *testing.T) {
	reset(t)
	var s seen
	startWorker(t, nil, s.handle)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	relay := newRelay(t, redisOpt)
	go func() { relay.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	ids := enqueue(t, 5, jobs.QueueCritical)
	eventually(t, "every outbox row handled", func() bool { return s.count() == len(ids) })
	for _, id := range ids {
		if n := s.times(id); n != 1 {
			t.Errorf("task %s ran %d times, want 1 (task id = outbox row id)", id, n)
		}
	}
	eventually(t, "rows marked sent", func() bool { return unsent(t) == 0 })
}

func TestRedisDown(t *testing.T) {
	reset(t)
	ctx := context.Background()
	ids := enqueue(t, 3, jobs.QueueDefault)

	t.Run("rows stay unsent while Redis is unreachable", func(t *testing.T) {
		n, err := newRelay(t, deadRedis).RelayOnce(ctx)
		if !errors.Is(err, jobs.ErrRedisUnavailable) || n != 0 {
			t.Fatalf("RelayOnce = %d, %v; want 0, ErrRedisUnavailable", n, err)
		}
		if got := unsent(t); got != len(ids) {
			t.Fatalf("unsent rows = %d, want %d", got, len(ids))
		}
		if n := countRows(t, testDB.DB, `SELECT count(*) FROM outbox WHERE last_error IS NOT NULL AND available_at <= now()`); n != 1 {
			t.Fatalf("rows with an error, still available at once = %d, want 1 (the first, not pushed back)", n)
		}
	})
	t.Run("the run loop keeps going without crashing", func(t *testing.T) {
		rctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		newRelay(t, deadRedis).Run(rctx) // returns only when ctx ends
		if got := unsent(t); got != len(ids) {
			t.Fatalf("unsent rows = %d, want %d", got, len(ids))
		}
	})
	t.Run("rows added during the outage are kept", func(t *testing.T) {
		ids = append(ids, enqueue(t, 2, jobs.QueueLow)...)
		if got := unsent(t); got != len(ids) {
			t.Fatalf("unsent rows = %d, want %d", got, len(ids))
		}
	})
	t.Run("when Redis is back every row is enqueued once, under its own id", func(t *testing.T) {
		r := newRelay(t, redisOpt)
		n, err := r.RelayOnce(ctx)
		if err != nil || n != len(ids) {
			t.Fatalf("RelayOnce = %d, %v; want %d, nil", n, err, len(ids))
		}
		if n, err := r.RelayOnce(ctx); err != nil || n != 0 {
			t.Fatalf("second RelayOnce = %d, %v; want 0, nil", n, err)
		}
		got := map[string]int{}
		for _, q := range []string{jobs.QueueDefault, jobs.QueueLow} {
			for id, c := range queuedIDs(t, q) {
				got[id] += c
			}
		}
		if len(got) != len(ids) {
			t.Fatalf("asynq holds %d tasks, want %d", len(got), len(ids))
		}
		for _, id := range ids {
			if got[id] != 1 {
				t.Errorf("task %s queued %d times, want 1", id, got[id])
			}
		}
	})
	t.Run("a row relayed again after a lost commit is a conflict, not a second task", func(t *testing.T) {
		if _, err := testDB.Exec(`UPDATE outbox SET sent_at = NULL`); err != nil {
			t.Fatal(err)
		}
		n, err := newRelay(t, redisOpt).RelayOnce(ctx)
		if err != nil || n != len(ids) {
			t.Fatalf("RelayOnce = %d, %v; want %d marked sent", n, err, len(ids))
		}
		if got := len(queuedIDs(t, jobs.QueueDefault)) + len(queuedIDs(t, jobs.QueueLow)); got != len(ids) {
			t.Fatalf("asynq holds %d tasks, want still %d", got, len(ids))
		}
	})
}

func TestRelayOrderAndBatches(t *testing.T) {
	reset(t)
	ids := enqueue(t, 3, jobs.QueueDefault)
	r := newRelay(t, redisOpt)
	r.BatchSize = 2
	n, err := r.RelayOnce(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("RelayOnce = %d, %v; want 2", n, err)
	}
	var left []string
	if err := testDB.Select(&left, `SELECT id FROM outbox WHERE sent_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0] != ids[2] {
		t.Fatalf("unsent after one batch = %v, want the newest row %s", left, ids[2])
	}
}

func TestConcurrentRelays(t *testing.T) {
	reset(t)
	ids := enqueue(t, 60, jobs.QueueDefault)
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 4 {
		r := newRelay(t, redisOpt)
		r.BatchSize = 5
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, err := r.RelayOnce(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				total += n
				mu.Unlock()
				if n == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	if total != len(ids) || unsent(t) != 0 {
		t.Fatalf("relays marked %d rows sent (unsent %d), want %d once each", total, unsent(t), len(ids))
	}
	if got := len(queuedIDs(t, jobs.QueueDefault)); got != len(ids) {
		t.Fatalf("asynq holds %d tasks, want %d", got, len(ids))
	}
}

func TestPurgeSent(t *testing.T) {
	reset(t)
	ids := enqueue(t, 3, jobs.QueueDefault)
	_, err := testDB.Exec(`UPDATE outbox SET sent_at = CASE id WHEN $1::uuid THEN now() - interval '8 days'
		WHEN $2::uuid THEN now() - interval '1 day' END`, ids[0], ids[1])
	if err != nil {
		t.Fatal(err)
	}
	n, err := newRelay(t, redisOpt).PurgeSent(context.Background(), time.Now().Add(-7*24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("PurgeSent = %d, %v; want 1", n, err)
	}
	var left []string
	if err := testDB.Select(&left, `SELECT id FROM outbox ORDER BY created_at`); err != nil {
		t.Fatal(err)
	}
	if len(left) != 2 || left[0] != ids[1] || left[1] != ids[2] {
		t.Fatalf("rows left %v, want the recently sent and the unsent one", left)
	}
}

func TestJobMetrics(t *testing.T) {
	reset(t)
	reg := prometheus.NewRegistry()
	m := jobs.NewMetrics(reg)
	var mu sync.Mutex
	runs := map[string]int{}
	startWorker(t, m, func(ctx context.Context, task *asynq.Task) error {
		id, _ := asynq.GetTaskID(ctx)
		mu.Lock()
		runs[id]++
		n := runs[id]
		mu.Unlock()
		switch {
		case strings.HasPrefix(id, "flaky") && n == 1:
			return errors.New("transient")
		case strings.HasPrefix(id, "broken"):
			return asynq.SkipRetry
		}
		return nil
	})
	c := newClient(t, redisOpt)
	for _, id := range []string{"ok-1", "flaky-1", "broken-1"} {
		if _, err := c.Enqueue(asynq.NewTask("test:echo", nil, asynq.TaskID(id), asynq.MaxRetry(3))); err != nil {
			t.Fatal(err)
		}
	}
	value := func(name string) float64 {
		mfs, _ := reg.Gather()
		for _, mf := range mfs {
			if mf.GetName() == name {
				return mf.GetMetric()[0].GetCounter().GetValue()
			}
		}
		return 0
	}
	eventually(t, "outcomes counted", func() bool {
		return value("cybercampus_jobs_processed_total") == 2 && value("cybercampus_jobs_retried_total") == 1 &&
			value("cybercampus_jobs_failed_total") == 1
	})
}

func TestOutboxCollector(t *testing.T) {
	reset(t)
	enqueue(t, 4, jobs.QueueDefault)
	if _, err := testDB.Exec(`UPDATE outbox SET created_at = now() - interval '90 seconds'`); err != nil {
		t.Fatal(err)
	}
	c := jobs.NewOutboxCollector(testDB.DB)
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		got[mf.GetName()] = mf.GetMetric()[0].GetGauge().GetValue()
	}
	if got["cybercampus_outbox_backlog"] != 4 {
		t.Errorf("backlog = %v, want 4", got["cybercampus_outbox_backlog"])
	}
	if age := got["cybercampus_outbox_oldest_age_seconds"]; age < 90 || age > 600 {
		t.Errorf("oldest age = %v, want about 90s", age)
	}
}

// BenchmarkRelay measures relaying committed outbox rows to Redis, in rows per second.
func BenchmarkRelay(b *testing.B) {
	reset(b)
	ctx := context.Background()
	client := asynq.NewClient(redisOpt)
	defer client.Close()
	r := jobs.NewRelay(testDB.DB, client, discard())
	const rows = 1000
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		_, err := testDB.Exec(`INSERT INTO outbox (task_type, payload, queue)
			SELECT 'test:echo', '{"n": 1}', 'low' FROM generate_series(1, $1)`, rows)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for sent := 0; sent < rows; {
			n, err := r.RelayOnce(ctx)
			if err != nil {
				b.Fatal(err)
			}
			sent += n
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// TestRelayWakesOnCommit shows that a committed outbox row reaches the queue
// through LISTEN/NOTIFY rather than at the relay's next poll: the relay below
// polls once an hour, so only the notification can move a row before the
// test's deadline. How quickly it moves is BenchmarkRelayWake's to measure.
func TestRelayWakesOnCommit(t *testing.T) {
	reset(t)
	run := func(r *jobs.Relay) (stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		return func() { cancel(); <-done }
	}
	before := enqueue(t, 1, jobs.QueueDefault)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	listener := jobs.ListenOutbox(ctx, testDB.URL, discard())
	awake := newRelay(t, redisOpt)
	awake.PollInterval = time.Hour
	awake.Wake = listener.Wake()
	stop := run(awake)
	defer stop()
	eventually(t, "the row there at start relayed", func() bool { return unsent(t) == 0 })
	select {
	case <-listener.Listening():
	case <-time.After(30 * time.Second):
		t.Fatal("the outbox listener never reported its LISTEN active")
	}

	// A rolled-back insert notifies nobody and leaves nothing.
	tx := testDB.MustBegin()
	if _, err := jobs.Enqueue(context.Background(), tx, "test:echo", jobs.QueueDefault, map[string]int{"n": -1}); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()

	ids := enqueue(t, 3, jobs.QueueDefault)
	eventually(t, "rows relayed after the notification", func() bool { return unsent(t) == 0 })
	queued := queuedIDs(t, jobs.QueueDefault)
	for _, id := range append(before, ids...) {
		if queued[id] != 1 {
			t.Errorf("task %s queued %d times, want 1", id, queued[id])
		}
	}
	if want := len(before) + len(ids); len(queued) != want {
		t.Errorf("queue holds %d tasks, want %d (the rolled-back row must not be there)", len(queued), want)
	}
}

// BenchmarkRelayWake measures how long a committed outbox row waits until the
// relay, woken by the commit's notification (it polls once an hour), has
// queued it: ns/op is commit to queued, one row at a time.
func BenchmarkRelayWake(b *testing.B) {
	reset(b)
	ctx, cancel := context.WithCancel(context.Background())
	listener := jobs.ListenOutbox(ctx, testDB.URL, discard())
	r := newRelay(b, redisOpt)
	r.PollInterval = time.Hour
	r.Wake = listener.Wake()
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	select {
	case <-listener.Listening():
	case <-time.After(30 * time.Second):
		b.Fatal("the outbox listener never reported its LISTEN active")
	}
	for b.Loop() {
		enqueue(b, 1, jobs.QueueDefault)
		for unsent(b) != 0 {
			time.Sleep(100 * time.Microsecond)
		}
	}
}
