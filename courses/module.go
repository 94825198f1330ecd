// Package courses is the curriculum: versioned, multilingual courses with quizzes, the course document format, the starter curriculum and the catalogue.
package courses

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hibiken/asynq"

	"github.com/cybercampus/cybercampus/internal/app"
)

// catalogueRecheck is how often an instance rereads the catalogue generation:
// other instances' course writes show within about this long.
const catalogueRecheck = time.Second

// Module is the courses feature.
type Module struct {
	deps    app.Deps
	Store   *Store
	Handler *Handler
}

// NewModule builds the courses feature from the shared dependencies.
func NewModule(d app.Deps) *Module {
	store := NewStore(d.DB)
	return &Module{deps: d, Store: store, Handler: NewHandler(store, catalogueRecheck)}
}

// Routes mounts the courses routes.
func (m *Module) Routes(r fiber.Router) {
	m.Handler.Register(r, m.deps.Auth)
}

// Tasks registers the courses task handlers; the curriculum has none.
func (m *Module) Tasks(mux *asynq.ServeMux) {}
