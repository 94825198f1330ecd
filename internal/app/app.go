// Package app holds Deps, the arguments internal/notify's constructors still
// take. Every other package receives its collaborators as explicit
// constructor arguments in cmd/cybercampus; Deps goes when the notifications
// feature package replaces internal/notify.
package app

import (
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/cybercampus/cybercampus/internal/config"
)

// Deps are the objects internal/notify is built from.
type Deps struct {
	Config config.Config
	DB     *sqlx.DB
	Logger *slog.Logger
	Now    func() time.Time
}
