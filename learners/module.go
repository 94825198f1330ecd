package learners

import (
	"github.com/gofiber/fiber/v2"
	"github.com/hibiken/asynq"

	"github.com/cybercampus/cybercampus/internal/app"
	"github.com/cybercampus/cybercampus/internal/auth"
	"github.com/cybercampus/cybercampus/internal/ratelimit"
)

// Module is the learners feature: accounts, learning and cohorts.
type Module struct {
	deps     app.Deps
	Accounts *AccountHandler
}

// NewModule builds the learners feature from the shared dependencies.
func NewModule(d app.Deps, tokens *auth.Tokens, limiter *ratelimit.Limiter) *Module {
	accounts := NewAccountHandler(NewAccountStore(d.DB), tokens, limiter, AccountOptions{
		RefreshTTL:              d.Config.RefreshTokenTTL,
		AuthIPLimitPerMinute:    d.Config.AuthIPLimitPerMinute,
		LoginFailuresPerAccount: d.Config.LoginFailuresPerAccount,
	})
	return &Module{deps: d, Accounts: accounts}
}

// Routes mounts the learners routes.
func (m *Module) Routes(r fiber.Router) {
	m.Accounts.Register(r, m.deps.Auth)
}

// Tasks registers the learners task handlers.
func (m *Module) Tasks(mux *asynq.ServeMux) {}
