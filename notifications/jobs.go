package notifications

import (
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"

	"github.com/cybercampus/cybercampus/internal/config"
	"github.com/cybercampus/cybercampus/jobs"
)

// Jobs are the notification jobs: they write reminders, deadlines, digests
// and cohort notes, and deliver every notification by email.
type Jobs struct {
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

// NewJobs builds the notification jobs over db, sending email through mailer
// and linking to cfg.PublicBaseURL.
func NewJobs(db *sqlx.DB, cfg config.Config, mailer Mailer, logger *slog.Logger, now func() time.Time) *Jobs {
	return &Jobs{db: db, logger: logger, mailer: mailer, now: now, baseURL: cfg.PublicBaseURL,
		InactiveAfter: cfg.ReminderInactiveAfter, MaxIdle: 90 * 24 * time.Hour,
		DeadlineDays: 3, BatchSize: 200}
}

// NewMailer returns the mailer the configuration asks for: SMTP_URL's
// server, or the log when it is empty (or unusable, which is logged).
func NewMailer(cfg config.Config, logger *slog.Logger) Mailer {
	if cfg.SMTPURL == "" {
		return LogMailer{Logger: logger}
	}
	sm, err := NewSMTPMailer(cfg.SMTPURL, cfg.SMTPFrom)
	if err != nil {
		logger.Error("SMTP_URL unusable; emails are written to the log only", "error", err)
		return LogMailer{Logger: logger}
	}
	return sm
}

// WithMailer replaces the mailer (tests use a local SMTP server).
func (m *Jobs) WithMailer(ml Mailer) *Jobs { m.mailer = ml; return m }

// RegisterTasks registers the notification task handlers.
func (m *Jobs) RegisterTasks(mux *asynq.ServeMux) {
	mux.HandleFunc(jobs.TypeDeliverNotification, m.Deliver)
	mux.HandleFunc(jobs.TypeCohortCreated, m.CohortCreated)
	mux.HandleFunc(jobs.TypeCohortInvitation, m.CohortInvitation)
	mux.HandleFunc(jobs.TypeReminders, m.Reminders)
	mux.HandleFunc(jobs.TypeCohortDeadlines, m.CohortDeadlines)
	mux.HandleFunc(jobs.TypeDigests, m.Digests)
}
