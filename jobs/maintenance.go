package jobs

import (
	"context"
	"fmt"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"
)

// PartitionMonthsAhead is how many months past the current one always have a
// progress_events partition, so events never land in the default partition.
const PartitionMonthsAhead = 4

// Maintenance runs the database housekeeping jobs.
type Maintenance struct {
	db *sqlx.DB
}

// NewMaintenance returns the housekeeping job handlers.
func NewMaintenance(db *sqlx.DB) *Maintenance { return &Maintenance{db: db} }

// Tasks registers the housekeeping handlers.
func (m *Maintenance) Tasks(mux *asynq.ServeMux) {
	mux.HandleFunc(TypeProgressPartitions, m.EnsurePartitions)
}

// EnsurePartitions creates the missing monthly progress_events partitions from
// the current month through PartitionMonthsAhead months ahead; it is
// idempotent, so a rerun creates nothing.
func (m *Maintenance) EnsurePartitions(ctx context.Context, _ *asynq.Task) error {
	var created int
	const q = `SELECT ensure_progress_partitions(date_trunc('month', now())::date, $1)`
	if err := m.db.GetContext(ctx, &created, q, PartitionMonthsAhead); err != nil {
		return fmt.Errorf("ensure progress partitions: %w", err)
	}
	return nil
}
