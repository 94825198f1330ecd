package jobs

import (
	"fmt"
	"slices"
	"time"

	"github.com/hibiken/asynq"
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
	{Name: "partitions", Cron: "30 2 * * *", Type: TypeProgressPartitions, Queue: QueueLow},
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

// Task returns the asynq task for a periodic job. Unique for a while, so a
// restarted scheduler or a repeated `jobs run` does not enqueue it twice.
func (p Periodic) Task() *asynq.Task {
	return asynq.NewTask(p.Type, nil, asynq.Queue(p.Queue), asynq.Unique(5*time.Minute), asynq.MaxRetry(5))
}
