package surveys

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hibiken/asynq"

	"github.com/cybercampus/cybercampus/internal/app"
	"github.com/cybercampus/cybercampus/jobs"
)

// Module is the surveys feature.
type Module struct {
	deps    app.Deps
	Store   *Store
	Handler *Handler
}

// NewModule builds the surveys feature from the shared dependencies.
func NewModule(d app.Deps) *Module {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	store := NewStore(d.DB, now, d.Config.PublicBaseURL)
	return &Module{deps: d, Store: store, Handler: NewHandler(store)}
}

// Routes mounts the surveys routes.
func (m *Module) Routes(r fiber.Router) { m.Handler.Register(r, m.deps.Auth) }

// Tasks registers the surveys task handlers.
func (m *Module) Tasks(mux *asynq.ServeMux) {
	mux.HandleFunc(jobs.TypeScheduleSurveys, m.Store.ProcessSchedule)
	mux.HandleFunc(jobs.TypeSurveys, m.Store.ProcessSurveys)
}
