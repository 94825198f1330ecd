package learners

import (
	"github.com/gofiber/fiber/v2"
	"github.com/hibiken/asynq"

	"github.com/cybercampus/cybercampus/internal/app"
	"github.com/cybercampus/cybercampus/internal/auth"
	"github.com/cybercampus/cybercampus/internal/ratelimit"
	"github.com/cybercampus/cybercampus/jobs"
	"github.com/cybercampus/cybercampus/notifications"
)

// Module is the learners feature: accounts, learning and cohorts.
type Module struct {
	deps     app.Deps
	Accounts *AccountHandler
	Learning *LearningHandler
	Cohorts  *CohortHandler
	Pupils   *PupilHandler
}

// NewModule builds the learners feature from the shared dependencies.
func NewModule(d app.Deps, tokens *auth.Tokens, limiter *ratelimit.Limiter) *Module {
	accounts := NewAccountHandler(NewAccountStore(d.DB), tokens, limiter, AccountOptions{
		RefreshTTL:               d.Config.RefreshTokenTTL,
		AuthIPLimitPerMinute:     d.Config.AuthIPLimitPerMinute,
		LoginFailuresPerAccount:  d.Config.LoginFailuresPerAccount,
		PublicBaseURL:            d.Config.PublicBaseURL,
		Sessions:                 d.Sessions,
		Mailer:                   notifications.NewMailer(d),
		Logger:                   d.Logger,
		DigitalConsentAgeDefault: d.Config.DigitalConsentAgeDefault,
	})
	cohorts := NewCohortStore(d.DB, d.Now)
	if d.Sessions != nil {
		cohorts.sessionsChanged = d.Sessions.Changed
	}
	return &Module{
		deps:     d,
		Accounts: accounts,
		Learning: NewLearningHandler(NewLearningStore(d.DB, d.Now)),
		Cohorts:  NewCohortHandler(cohorts, limiter),
		Pupils:   NewPupilHandler(cohorts, limiter, d.Config.PublicBaseURL),
	}
}

// Routes mounts the learners routes.
func (m *Module) Routes(r fiber.Router) {
	m.Accounts.Register(r, m.deps.Auth)
	m.Learning.Register(r, m.deps.Auth)
	m.Cohorts.Register(r, m.deps.Auth)
	m.Pupils.Register(r, m.deps.Auth)
}

// Tasks registers the learners task handlers: the account emails. Learning
// work that must happen later (certificates, cohort set-up) is queued through
// the outbox and handled by the packages that own it.
func (m *Module) Tasks(mux *asynq.ServeMux) {
	mux.HandleFunc(jobs.TypeAccountEmail, m.Accounts.SendAccountEmail)
}
