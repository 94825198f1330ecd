package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts task outcomes by task type.
type Metrics struct {
	processed *prometheus.CounterVec
	retried   *prometheus.CounterVec
	failed    *prometheus.CounterVec
	duration  *prometheus.HistogramVec
}

// NewMetrics registers the job counters on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		processed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cybercampus_jobs_processed_total",
			Help: "Task runs that succeeded, by task type."}, []string{"task_type"}),
		retried: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cybercampus_jobs_retried_total",
			Help: "Task runs that failed and will be retried, by task type."}, []string{"task_type"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cybercampus_jobs_failed_total",
			Help: "Task runs that failed for good (retries exhausted or not retryable; the task is archived), by task type."},
			[]string{"task_type"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "cybercampus_job_duration_seconds",
			Help: "Task run time, by task type.", Buckets: prometheus.ExponentialBuckets(0.005, 4, 8)},
			[]string{"task_type"}),
	}
	reg.MustRegister(m.processed, m.retried, m.failed, m.duration)
	return m
}

// Middleware counts the outcome of every task run; install it with mux.Use.
func (m *Metrics) Middleware(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		start := time.Now()
		err := next.ProcessTask(ctx, t)
		m.duration.WithLabelValues(t.Type()).Observe(time.Since(start).Seconds())
		switch {
		case err == nil:
			m.processed.WithLabelValues(t.Type()).Inc()
		case IsFinal(ctx, err):
			m.failed.WithLabelValues(t.Type()).Inc()
		default:
			m.retried.WithLabelValues(t.Type()).Inc()
		}
		return err
	})
}

// IsFinal reports whether asynq will archive rather than retry a task that
// returned err: it asked not to be retried, or it used its last retry.
func IsFinal(ctx context.Context, err error) bool {
	if errors.Is(err, asynq.SkipRetry) || errors.Is(err, asynq.RevokeTask) {
		return true
	}
	n, ok1 := asynq.GetRetryCount(ctx)
	limit, ok2 := asynq.GetMaxRetry(ctx)
	return ok1 && ok2 && n >= limit
}

// outboxCollector reports the outbox backlog at scrape time.
type outboxCollector struct {
	db      *sqlx.DB
	backlog *prometheus.Desc
	oldest  *prometheus.Desc
}

// NewOutboxCollector reports the number of unsent outbox rows and the age of
// the oldest one; a growing age means the relay is stuck (Redis down, no
// worker running). The query has a short timeout so a slow database never
// blocks a scrape; on error the two gauges are simply absent.
func NewOutboxCollector(db *sqlx.DB) prometheus.Collector {
	return &outboxCollector{db: db,
		backlog: prometheus.NewDesc("cybercampus_outbox_backlog", "Outbox rows not yet relayed to the job queue.", nil, nil),
		oldest: prometheus.NewDesc("cybercampus_outbox_oldest_age_seconds",
			"Age of the oldest outbox row not yet relayed (0 when none).", nil, nil)}
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.backlog; ch <- c.oldest }

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var s struct {
		N   int64   `db:"n"`
		Age float64 `db:"age"`
	}
	const q = `SELECT count(*) AS n, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age
		FROM outbox WHERE sent_at IS NULL`
	if err := c.db.GetContext(ctx, &s, q); err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.backlog, prometheus.GaugeValue, float64(s.N))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, max(s.Age, 0))
}
