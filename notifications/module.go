package notifications

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"

	"github.com/cybercampus/cybercampus/internal/app"
	"github.com/cybercampus/cybercampus/internal/web"
	"github.com/cybercampus/cybercampus/jobs"
)

// Module is the notifications feature: the in-app list and the jobs that
// write and deliver notifications and emails.
type Module struct {
	Store   *Store
	Handler *Handler
	auth    *web.Auth

	db      *sqlx.DB
	logger  *slog.Logger
	mailer  Mailer
	now     func() time.Time
	baseURL string

	// InactiveAfter is how long an enrollment may stay idle before a reminder.
	InactiveAfter time.Duration
	// MaxIdle bounds the reminder scan: an enrollment idle longer than this got
	// its reminder when it crossed InactiveAfter (or gave up long ago), so the
	// hourly job does not walk every abandoned enrollment again.
	MaxIdle time.Duration
	// DeadlineDays is how many days before a cohort ends its members are reminded.
	DeadlineDays int
	// BatchSize is how many rows a job reads and writes per transaction.
	BatchSize int
}

// NewModule builds the notification feature from the shared dependencies.
// With SMTP_URL empty, emails are written to the log instead of sent.
func NewModule(d app.Deps) *Module {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	store := NewStore(d.DB)
	m := &Module{Store: store, Handler: NewHandler(store), auth: d.Auth,
		db: d.DB, logger: d.Logger, now: now, baseURL: d.Config.PublicBaseURL,
		InactiveAfter: d.Config.ReminderInactiveAfter, MaxIdle: 90 * 24 * time.Hour,
		DeadlineDays: 3, BatchSize: 200}
	m.mailer = NewMailer(d)
	return m
}

// NewMailer returns the mailer the configuration asks for: SMTP_URL's
// server, or the log when it is empty (or unusable, which is logged).
func NewMailer(d app.Deps) Mailer {
	if d.Config.SMTPURL == "" {
		return LogMailer{Logger: d.Logger}
	}
	sm, err := NewSMTPMailer(d.Config.SMTPURL, d.Config.SMTPFrom)
	if err != nil {
		d.Logger.Error("SMTP_URL unusable; emails are written to the log only", "error", err)
		return LogMailer{Logger: d.Logger}
	}
	return sm
}

// WithMailer replaces the mailer (tests use a local SMTP server).
func (m *Module) WithMailer(ml Mailer) *Module { m.mailer = ml; return m }

// Routes mounts a user's notification routes.
func (m *Module) Routes(r fiber.Router) { m.Handler.Register(r, m.auth) }

// Tasks registers the notification task handlers.
func (m *Module) Tasks(mux *asynq.ServeMux) {
	mux.HandleFunc(jobs.TypeDeliverNotification, m.Deliver)
	mux.HandleFunc(jobs.TypeCohortCreated, m.CohortCreated)
	mux.HandleFunc(jobs.TypeCohortInvitation, m.CohortInvitation)
	mux.HandleFunc(jobs.TypeReminders, m.Reminders)
	mux.HandleFunc(jobs.TypeCohortDeadlines, m.CohortDeadlines)
	mux.HandleFunc(jobs.TypeDigests, m.Digests)
}
