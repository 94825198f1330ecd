package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/jobs"
)

// Tasks are the reports job handlers.
type Tasks struct {
	store  *Store
	logger *slog.Logger
}

// Rollups applies the logged enrollment and certificate changes to the rollups.
func (t *Tasks) Rollups(ctx context.Context, _ *asynq.Task) error {
	st, err := t.store.RefreshRollups(ctx)
	if err != nil {
		return err
	}
	t.logger.Info("report rollups refreshed", "changes", st.Changes, "skipped_busy", st.Busy)
	return nil
}

// BuildExport builds the CSV of a queued export.
func (t *Tasks) BuildExport(ctx context.Context, task *asynq.Task) error {
	var p jobs.ExportPayload
	if err := json.Unmarshal(task.Payload(), &p); err != nil || !cc.IsUUID(p.ExportID) {
		return fmt.Errorf("export payload %q: %w", task.Payload(), asynq.SkipRetry)
	}
	return t.store.BuildExport(ctx, p.ExportID)
}
