// Package reports serves participation statistics for analysts: exact, privacy-protected counts by gender, region and other dimensions.
package reports

import (
	"github.com/gofiber/fiber/v2"
	"github.com/hibiken/asynq"

	"github.com/cybercampus/cybercampus/internal/app"
)

// Module is the reports feature.
type Module struct {
	deps app.Deps
}

// NewModule builds the reports feature from the shared dependencies.
func NewModule(d app.Deps) *Module {
	return &Module{deps: d}
}

// Routes mounts the reports routes.
func (m *Module) Routes(r fiber.Router) {}

// Tasks registers the reports task handlers.
func (m *Module) Tasks(mux *asynq.ServeMux) {}
