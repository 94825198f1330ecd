package jobs

import (
	"fmt"
	"slices"
	"time"

	"github.com/hibiken/asynq"
	"github.com/robfig/cron/v3"
)

// Periodic is a job the scheduler enqueues on a cron schedule and that
// `cybercampus jobs run NAME` enqueues on demand.
type Periodic struct {
	Name  string // the operator's name for it
	Cron  string // schedule, UTC
	Type  string // task type
	Queue string
}

// Schedule lists every periodic job.
var Schedule = []Periodic{
	{Name: "reminders", Cron: "17 * * * *", Type: TypeReminders, Queue: QueueDefault},
	{Name: "cohort-deadlines", Cron: "5 8 * * *", Type: TypeCohortDeadlines, Queue: QueueDefault},
	{Name: "digests", Cron: "0 7 * * 1", Type: TypeDigests, Queue: QueueLow},
	{Name: "rollups", Cron: "*/5 * * * *", Type: TypeRollups, Queue: QueueLow},
	{Name: "certificate-sweep", Cron: "*/10 * * * *", Type: TypeCertificateSweep, Queue: QueueCritical},
	{Name: "status-lists", Cron: "23 * * * *", Type: TypeStatusLists, Queue: QueueCritical},
	{Name: "partitions", Cron: "30 2 * * *", Type: TypeProgressPartitions, Queue: QueueLow},
	{Name: "surveys", Cron: "23 * * * *", Type: TypeSurveys, Queue: QueueDefault},
}

// Lookup finds a periodic job by name.
func Lookup(name string) (Periodic, error) {
	i := slices.IndexFunc(Schedule, func(p Periodic) bool { return p.Name == name })
	if i < 0 {
		names := make([]string, len(Schedule))
		for j, p := range Schedule {
			names[j] = p.Name
		}
		return Periodic{}, fmt.Errorf("unknown job %q (known: %v)", name, names)
	}
	return Schedule[i], nil
}

// Task returns the asynq task for a periodic job. It is unique for UniqueTTL,
// so a second scheduler instance, a restarted one or a repeated `jobs run`
// does not enqueue it twice while one is queued.
func (p Periodic) Task() *asynq.Task {
	return asynq.NewTask(p.Type, nil, asynq.Queue(p.Queue), asynq.Unique(p.UniqueTTL()), asynq.MaxRetry(5))
}

// UniqueTTL is how long the uniqueness lock of a periodic task lives: half
// the shortest gap between two runs, at most an hour. asynq frees the lock
// when the task succeeds, but a retrying or archived task keeps it until it
// expires, so it must expire well before the next run is due or that run
// would be dropped as a duplicate.
func (p Periodic) UniqueTTL() time.Duration {
	const ceiling = time.Hour
	gap, err := p.period()
	if err != nil {
		return time.Minute
	}
	return min(gap/2, ceiling)
}

// period is the shortest gap between two of the next 600 runs.
func (p Periodic) period() (time.Duration, error) {
	sched, err := cron.ParseStandard(p.Cron)
	if err != nil {
		return 0, err
	}
	t := sched.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	shortest := time.Duration(1<<63 - 1)
	for range 600 {
		next := sched.Next(t)
		shortest = min(shortest, next.Sub(t))
		t = next
	}
	return shortest, nil
}
