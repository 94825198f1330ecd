// Package app bundles the shared dependencies that the program's main builds
// once and hands to every feature module.
package app

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/cybercampus/cybercampus/internal/auth"
	"github.com/cybercampus/cybercampus/internal/config"
	"github.com/cybercampus/cybercampus/internal/web"
)

// Deps are the long-lived objects a feature module is built from.
type Deps struct {
	Config    config.Config
	DB        *sqlx.DB // primary
	ReportsDB *sqlx.DB // REPORTS_DATABASE_URL (a replica), for report queries only
	Redis     redis.UniversalClient
	Queue     *asynq.Client
	Inspector *asynq.Inspector
	Logger    *slog.Logger
	Registry  *prometheus.Registry
	Auth      *web.Auth
	Sessions  *auth.Sessions // per-request session check; Changed after ending sessions or changing roles
	Now       func() time.Time
}

// Module is a feature package's contribution to the program.
type Module interface {
	// Routes mounts the module's HTTP routes.
	Routes(r fiber.Router)
	// Tasks registers the module's asynq task handlers.
	Tasks(mux *asynq.ServeMux)
}
