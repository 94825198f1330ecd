// Package notify delivers notifications: every notification is stored for the
// in-app list and, when SMTP is configured, emailed. It also runs the periodic
// jobs that write them: inactivity reminders, cohort deadlines, trainer digests.
package notify

import (
	"github.com/gofiber/fiber/v2"
	"github.com/hibiken/asynq"

	"github.com/cybercampus/cybercampus/internal/app"
)

// Module is the notification feature.
type Module struct {
	deps app.Deps
}

// NewModule builds the notification feature from the shared dependencies.
func NewModule(d app.Deps) *Module { return &Module{deps: d} }

// Routes mounts no routes: notifications are listed by the learners package.
func (m *Module) Routes(r fiber.Router) {}

// Tasks registers the notification task handlers.
func (m *Module) Tasks(mux *asynq.ServeMux) {}
