// Package certification issues Open Badges 3.0 certificates as signed VC-JWTs, verifies and revokes them, and renders printable copies.
package certification

import (
	"github.com/gofiber/fiber/v2"
	"github.com/hibiken/asynq"

	"github.com/cybercampus/cybercampus/internal/app"
)

// Module is the certification feature.
type Module struct {
	deps app.Deps
}

// NewModule builds the certification feature from the shared dependencies.
func NewModule(d app.Deps) *Module {
	return &Module{deps: d}
}

// Routes mounts the certification routes.
func (m *Module) Routes(r fiber.Router) {}

// Tasks registers the certification task handlers.
func (m *Module) Tasks(mux *asynq.ServeMux) {}
