package reports

import (
	"github.com/gofiber/fiber/v2"
	"github.com/hibiken/asynq"

	"github.com/cybercampus/cybercampus/internal/app"
	"github.com/cybercampus/cybercampus/internal/ratelimit"
	"github.com/cybercampus/cybercampus/jobs"
)

// Module is the reports feature.
type Module struct {
	deps    app.Deps
	Store   *Store
	handler *Handler
	tasks   *Tasks
}

// NewModule builds the reports feature from the shared dependencies. Report
// queries go to d.ReportsDB; audit rows, exports and rollups are written to d.DB.
func NewModule(d app.Deps) *Module {
	store := NewStore(d.DB, d.ReportsDB, d.Now)
	limiter := ratelimit.New(d.Redis, "cc:", d.Logger)
	return &Module{deps: d, Store: store, handler: NewHandler(store, d.Config.ReportMinCellSize, limiter),
		tasks: &Tasks{store: store, logger: d.Logger}}
}

// Routes mounts the reports routes.
func (m *Module) Routes(r fiber.Router) { m.handler.Register(r, m.deps.Auth) }

// Tasks registers the reports task handlers: the periodic rollup refresh and
// the CSV export builder.
func (m *Module) Tasks(mux *asynq.ServeMux) {
	mux.HandleFunc(jobs.TypeRollups, m.tasks.Rollups)
	mux.HandleFunc(jobs.TypeBuildExport, m.tasks.BuildExport)
}
