// Package courses is the curriculum: versioned, multilingual courses with quizzes, the course document format, the starter curriculum and the catalogue.
package courses

import (
	"github.com/gofiber/fiber/v2"
	"github.com/hibiken/asynq"

	"github.com/cybercampus/cybercampus/internal/app"
)

// Module is the courses feature.
type Module struct {
	deps app.Deps
}

// NewModule builds the courses feature from the shared dependencies.
func NewModule(d app.Deps) *Module {
	return &Module{deps: d}
}

// Routes mounts the courses routes.
func (m *Module) Routes(r fiber.Router) {}

// Tasks registers the courses task handlers.
func (m *Module) Tasks(mux *asynq.ServeMux) {}
