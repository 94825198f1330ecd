// Package learnerstest builds the learners handlers over an apptest.Env the
// way cmd/cybercampus builds them, for the test packages whose journeys go
// through accounts, enrollment and cohorts.
package learnerstest

import (
	"time"

	"github.com/hibiken/asynq"

	"github.com/cybercampus/cybercampus/accounts"
	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
	"github.com/cybercampus/cybercampus/internal/ratelimit"
	"github.com/cybercampus/cybercampus/learners"
	"github.com/cybercampus/cybercampus/notifications"
)

// Handlers are the learners package's handlers.
type Handlers struct {
	Accounts *accounts.Handler
	Learning *learners.LearningHandler
	Cohorts  *learners.CohortHandler
	Pupils   *learners.PupilHandler
}

// New builds the handlers over env's database, Redis (under a rate-limit
// prefix of their own) and configuration.
func New(env *apptest.Env) Handlers {
	cfg := env.Config
	limiter := ratelimit.New(env.Redis, "test-"+pgtest.RandomSuffix()+":", env.Logger)
	cohorts := learners.NewCohortStore(env.DB.DB, time.Now, env.Sessions.Changed)
	return Handlers{
		Accounts: accounts.NewHandler(accounts.NewStore(env.DB.DB), env.Tokens, limiter, accounts.Options{
			RefreshTTL:               cfg.RefreshTokenTTL,
			AuthIPLimitPerMinute:     cfg.AuthIPLimitPerMinute,
			LoginFailuresPerAccount:  cfg.LoginFailuresPerAccount,
			PublicBaseURL:            cfg.PublicBaseURL,
			Sessions:                 env.Sessions,
			Mailer:                   notifications.NewMailer(env.Config, env.Logger),
			Logger:                   env.Logger,
			DigitalConsentAgeDefault: cfg.DigitalConsentAgeDefault,
		}),
		Learning: learners.NewLearningHandler(learners.NewLearningStore(env.DB.DB, time.Now)),
		Cohorts:  learners.NewCohortHandler(cohorts, limiter),
		Pupils:   learners.NewPupilHandler(cohorts, limiter, cfg.PublicBaseURL),
	}
}

// Mount builds the handlers with New and mounts their routes on env.App.
func Mount(env *apptest.Env) Handlers {
	h := New(env)
	h.Accounts.Register(env.App, env.Auth)
	h.Learning.Register(env.App, env.Auth)
	h.Cohorts.Register(env.App, env.Auth)
	h.Pupils.Register(env.App, env.Auth)
	return h
}

// RegisterTasks registers the learners job handlers.
func (h Handlers) RegisterTasks(mux *asynq.ServeMux) { h.Accounts.RegisterTasks(mux) }
