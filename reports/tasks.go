package reports

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hibiken/asynq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/jobs"
)

// RegisterTasks registers the reports job handlers: the periodic rollup
// refresh and the CSV export builder.
func (h *Handler) RegisterTasks(mux *asynq.ServeMux) {
	mux.HandleFunc(jobs.TypeRollups, h.Rollups)
	mux.HandleFunc(jobs.TypeBuildExport, h.BuildExport)
}

// Rollups applies the logged enrollment and certificate changes to the rollups.
func (h *Handler) Rollups(ctx context.Context, _ *asynq.Task) error {
	st, err := h.store.RefreshRollups(ctx)
	if err != nil {
		return err
	}
	h.logger.Info("report rollups refreshed", "changes", st.Changes, "skipped_busy", st.Busy)
	return nil
}

// BuildExport builds the CSV of a queued export.
func (h *Handler) BuildExport(ctx context.Context, task *asynq.Task) error {
	var p jobs.ExportPayload
	if err := json.Unmarshal(task.Payload(), &p); err != nil || !cc.IsUUID(p.ExportID) {
		return fmt.Errorf("export payload %q: %w", task.Payload(), asynq.SkipRetry)
	}
	return h.store.BuildExport(ctx, p.ExportID)
}
