package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cybercampus/cybercampus/accounts"
	"github.com/cybercampus/cybercampus/assessments"
	"github.com/cybercampus/cybercampus/certification"
	"github.com/cybercampus/cybercampus/courses"
	"github.com/cybercampus/cybercampus/internal/ratelimit"
	"github.com/cybercampus/cybercampus/internal/web"
	"github.com/cybercampus/cybercampus/jobs"
	"github.com/cybercampus/cybercampus/learners"
	"github.com/cybercampus/cybercampus/notifications"
	"github.com/cybercampus/cybercampus/openapi"
	"github.com/cybercampus/cybercampus/reports"
	"github.com/cybercampus/cybercampus/surveys"
	"github.com/cybercampus/cybercampus/webapp"
)

// roles says which parts of the program a process runs.
type roles struct{ api, worker, scheduler bool }

// handlers are every feature's HTTP and job handlers.
type handlers struct {
	accounts      *accounts.Handler
	learning      *learners.LearningHandler
	cohorts       *learners.CohortHandler
	pupils        *learners.PupilHandler
	courses       *courses.Handler
	certification *certification.Handler
	reports       *reports.Handler
	notifications *notifications.Handler
	notifyJobs    *notifications.Jobs
	webapp        *webapp.Handler
	assessments   *assessments.Handler
	surveys       *surveys.Handler
}

// newHandlers builds every store and handler from its explicit dependencies:
// this function is the map of what depends on what.
func (e *env) newHandlers() handlers {
	cfg, now := e.cfg, time.Now
	limiter := ratelimit.New(e.redis, "cc:", e.logger)
	mailer := notifications.NewMailer(cfg, e.logger)
	accountStore := accounts.NewStore(e.db)
	cohorts := learners.NewCohortStore(e.db, now, e.sessions.Changed)
	keys := certification.NewKeyring(e.db, cfg.PublicBaseURL, cfg.CertKeyEncryptionKey, e.logger, now)
	certificates := certification.NewStore(e.db, keys, cfg.PublicBaseURL, now)
	verifier := certification.NewVerifier(keys, cfg.PublicBaseURL, e.db, now)
	return handlers{
		accounts: accounts.NewHandler(accountStore, e.tokens, limiter, accounts.Options{
			RefreshTTL:               cfg.RefreshTokenTTL,
			AuthIPLimitPerMinute:     cfg.AuthIPLimitPerMinute,
			LoginFailuresPerAccount:  cfg.LoginFailuresPerAccount,
			PublicBaseURL:            cfg.PublicBaseURL,
			Sessions:                 e.sessions,
			Mailer:                   mailer,
			Logger:                   e.logger,
			DigitalConsentAgeDefault: cfg.DigitalConsentAgeDefault,
		}),
		learning:      learners.NewLearningHandler(learners.NewLearningStore(e.db, now)),
		cohorts:       learners.NewCohortHandler(cohorts, limiter),
		pupils:        learners.NewPupilHandler(cohorts, limiter, cfg.PublicBaseURL),
		courses:       courses.NewHandler(courses.NewStore(e.db), courses.CatalogueRecheck),
		certification: certification.NewHandler(keys, certificates, verifier, cfg.PublicBaseURL, e.logger),
		// Report queries go to the reports database; audit rows, exports and
		// rollups are written to the primary.
		reports:       reports.NewHandler(reports.NewStore(e.db, e.reportsDB, now), cfg.ReportMinCellSize, limiter, e.logger),
		notifications: notifications.NewHandler(notifications.NewStore(e.db)),
		notifyJobs:    notifications.NewJobs(e.db, cfg, mailer, e.logger, now),
		webapp:        webapp.NewHandler(),
		assessments:   assessments.NewHandler(assessments.NewStore(e.db)),
		surveys:       surveys.NewHandler(surveys.NewStore(e.db, now, cfg.PublicBaseURL)),
	}
}

// register mounts every route; unknown routes and methods fall through to
// Fiber's 404 and 405, rendered as problems.
func (h handlers) register(r fiber.Router, a *web.Auth) {
	h.accounts.Register(r, a)
	h.learning.Register(r, a)
	h.cohorts.Register(r, a)
	h.pupils.Register(r, a)
	h.courses.Register(r, a)
	h.certification.Register(r, a)
	h.reports.Register(r, a)
	h.notifications.Register(r, a)
	h.webapp.Register(r)
	h.assessments.Register(r, a)
	h.surveys.Register(r, a)
}

// registerTasks registers every job handler. Courses, assessments and the web
// app have no background work.
func (h handlers) registerTasks(mux *asynq.ServeMux) {
	h.accounts.RegisterTasks(mux)
	h.certification.RegisterTasks(mux)
	h.reports.RegisterTasks(mux)
	h.notifyJobs.RegisterTasks(mux)
	h.surveys.RegisterTasks(mux)
}

// defaultGCPercent is the collector's target when GOGC is not set. The
// server's live heap is small and nearly all its garbage is per-request, so
// collecting at three times the live heap instead of twice trades a little
// memory for less collector work. GOGC, when set, wins.
const defaultGCPercent = 200

// serve runs the roles r asks for until ctx ends or one of them fails, then
// stops them in order.
func serve(ctx context.Context, getenv func(string) string, stdout io.Writer, r roles) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	e, err := openEnv(ctx, getenv, stdout, r.api && cfg.MigrateOnStart)
	if err != nil {
		return err
	}
	defer e.Close()
	p := &process{errc: make(chan error, 1)}
	defer p.stop(e.logger) // in order, before the databases close; also when a role fails to start
	if err := e.start(ctx, p, r, e.newHandlers()); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case err = <-p.errc:
	}
	e.logger.Info("shutting down")
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// process is what serve started, kept so that stop ends it in order.
type process struct {
	errc         chan error // the HTTP server's end
	httpApp      *fiber.App
	ln           net.Listener
	served       sync.WaitGroup
	stopSessions context.CancelFunc
	opsSrv       *http.Server
	worker       *asynq.Server
	stopRelay    context.CancelFunc
	relayDone    sync.WaitGroup
	sched        *asynq.Scheduler
}

// start starts the roles r asks for; p records each as it starts.
func (e *env) start(ctx context.Context, p *process, r roles, h handlers) error {
	e.registry.MustRegister(jobs.NewOutboxCollector(e.db))
	if r.api {
		if err := e.startAPI(ctx, p, h); err != nil {
			return err
		}
	} else { // a worker or scheduler alone still serves /healthz, /readyz and /metrics
		p.opsSrv = e.startOpsHTTP(e.cfg.HTTPAddr)
	}
	if r.worker {
		if err := e.startWorker(ctx, p, h); err != nil {
			return err
		}
	}
	if r.scheduler {
		sched, err := e.startScheduler()
		if err != nil {
			return err
		}
		p.sched = sched
	}
	return nil
}

// startAPI listens on HTTP_ADDR and serves every route.
func (e *env) startAPI(ctx context.Context, p *process, h handlers) error {
	// Other instances' session changes (logout, role change...) reach this
	// one's session cache through Redis.
	sessCtx, stopSessions := context.WithCancel(context.WithoutCancel(ctx))
	p.stopSessions = stopSessions
	go e.sessions.Listen(sessCtx)
	a := e.newHTTP(h)
	ln, err := net.Listen("tcp", e.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", e.cfg.HTTPAddr, err)
	}
	e.logger.Info("listening", "addr", ln.Addr().String(), "public_base_url", e.cfg.PublicBaseURL)
	p.httpApp, p.ln = a, ln
	p.served.Add(1)
	go func() { defer p.served.Done(); p.errc <- a.Listener(ln) }()
	return nil
}

// newHTTP builds the Fiber application with every route.
func (e *env) newHTTP(h handlers) *fiber.App {
	a := web.New(web.Options{Logger: e.logger, Registry: e.registry, BodyLimit: e.cfg.BodyLimitBytes,
		RequestTimeout: e.cfg.RequestTimeout, TrustedProxies: web.ParseProxies(e.cfg.TrustedProxies),
		Ready: e.ready, OpenAPI: openapi.Document})
	h.register(a, e.auth)
	return a
}

// stop ends what p started: HTTP first so in-flight requests finish, then
// the outbox relay, the health endpoints, the worker and the scheduler.
func (p *process) stop(logger *slog.Logger) {
	if p.httpApp != nil {
		p.httpApp.ShutdownWithTimeout(20 * time.Second)
		p.ln.Close() // a shutdown that raced the server's start must still end Serve
	}
	if p.stopRelay != nil {
		p.stopRelay() // rows it has not marked sent stay in the outbox for the next relay
		p.relayDone.Wait()
	}
	if p.opsSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		p.opsSrv.Shutdown(ctx)
		cancel()
	}
	if p.worker != nil {
		p.worker.Shutdown()
	}
	if p.sched != nil {
		p.sched.Shutdown()
	}
	p.served.Wait()
	if p.stopSessions != nil {
		p.stopSessions()
	}
}

// startWorker runs the job handlers and the outbox relay that feeds them.
func (e *env) startWorker(ctx context.Context, p *process, h handlers) error {
	mux := asynq.NewServeMux()
	mux.Use(jobs.NewMetrics(e.registry).Middleware)
	h.registerTasks(mux)
	jobs.NewMaintenance(e.db).Tasks(mux)
	srv := asynq.NewServer(e.redisOpt, asynq.Config{
		Concurrency:       e.cfg.WorkerConcurrency,
		Queues:            jobs.QueueWeights,
		TaskCheckInterval: jobs.TaskCheckInterval,
		ShutdownTimeout:   20 * time.Second,
		Logger:            asynqLogger{e.logger},
		ErrorHandler:      asynq.ErrorHandlerFunc(e.taskFailed),
	})
	if err := srv.Start(mux); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	p.worker = srv
	e.logger.Info("worker started", "concurrency", e.cfg.WorkerConcurrency)
	relayCtx, stopRelay := context.WithCancel(context.WithoutCancel(ctx))
	p.stopRelay = stopRelay
	logger := e.logger.With("component", "outbox")
	relay := jobs.NewRelay(e.db, e.queue, logger)
	relay.Wake = jobs.ListenOutbox(relayCtx, e.cfg.ListenDatabaseURL, logger).Wake()
	p.relayDone.Add(1)
	go func() { defer p.relayDone.Done(); relay.Run(relayCtx) }()
	return nil
}

// taskFailed logs a failed task run; asynq retries it with backoff unless it
// was final, in which case the task is archived (see deploy/queues.md).
func (e *env) taskFailed(ctx context.Context, t *asynq.Task, err error) {
	id, _ := asynq.GetTaskID(ctx)
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	final := jobs.IsFinal(ctx, err)
	level := slog.LevelWarn
	if final {
		level = slog.LevelError
	}
	e.logger.Log(ctx, level, "task failed", "task_type", t.Type(), "task_id", id, "retried", retried,
		"max_retry", maxRetry, "final", final, "error", err)
}

// startOpsHTTP serves the health and metrics endpoints for a process without
// the API. A port already taken (an API on the same machine) is only logged:
// the worker and scheduler do their work without it.
func (e *env) startOpsHTTP(addr string) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "application/json")
		for _, err := range e.ready(ctx) {
			if err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				w.Write([]byte(`{"status":"unavailable"}`))
				return
			}
		}
		w.Write([]byte(`{"status":"ok"}`))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(e.registry, promhttp.HandlerOpts{}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		e.logger.Warn("health and metrics endpoints not served", "addr", addr, "error", err)
		return nil
	}
	e.logger.Info("serving health and metrics", "addr", ln.Addr().String())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return srv
}

func (e *env) startScheduler() (*asynq.Scheduler, error) {
	s := asynq.NewScheduler(e.redisOpt, &asynq.SchedulerOpts{Location: time.UTC, Logger: asynqLogger{e.logger},
		PostEnqueueFunc: func(info *asynq.TaskInfo, err error) {
			// A duplicate means another scheduler instance (or this one before a
			// restart) enqueued this run already: expected, not an error.
			if err != nil && !errors.Is(err, asynq.ErrDuplicateTask) {
				e.logger.Error("periodic job not enqueued", "error", err)
			}
		}})
	for _, p := range jobs.Schedule {
		if _, err := s.Register(p.Cron, p.Task()); err != nil {
			return nil, fmt.Errorf("schedule %s: %w", p.Name, err)
		}
	}
	if err := s.Start(); err != nil {
		return nil, fmt.Errorf("start scheduler: %w", err)
	}
	e.logger.Info("scheduler started", "jobs", len(jobs.Schedule))
	return s, nil
}
