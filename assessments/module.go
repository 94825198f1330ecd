package assessments

import (
	"github.com/gofiber/fiber/v2"
	"github.com/hibiken/asynq"

	"github.com/cybercampus/cybercampus/internal/app"
)

// Module is the assessments feature.
type Module struct {
	deps    app.Deps
	Store   *Store
	Handler *Handler
}

// NewModule builds the assessments feature from the shared dependencies.
func NewModule(d app.Deps) *Module {
	store := NewStore(d.DB)
	return &Module{deps: d, Store: store, Handler: NewHandler(store)}
}

// Routes mounts the assessments routes.
func (m *Module) Routes(r fiber.Router) { m.Handler.Register(r, m.deps.Auth) }

// Tasks registers the assessments task handlers; tests are graded at once and need none.
func (m *Module) Tasks(mux *asynq.ServeMux) {}
