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

	"github.com/cybercampus/cybercampus/assessments"
	"github.com/cybercampus/cybercampus/certification"
	"github.com/cybercampus/cybercampus/courses"
	"github.com/cybercampus/cybercampus/internal/app"
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

// modules builds every feature module; the order is the order routes mount in.
func (e *env) modules() []app.Module {
	limiter := ratelimit.New(e.Redis, "cc:", e.Logger)
	l := learners.NewModule(e.Deps, e.tokens, limiter)
	return []app.Module{
		l,
		courses.NewModule(e.Deps),
		certification.NewModule(e.Deps),
		reports.NewModule(e.Deps),
		notifications.NewModule(e.Deps),
		webapp.NewModule(e.Deps),
		assessments.NewModule(e.Deps),
		surveys.NewModule(e.Deps),
	}
}

// newHTTP builds the Fiber application with every module's routes.
func (e *env) newHTTP(mods []app.Module) *fiber.App {
	a := web.New(web.Options{Logger: e.Logger, Registry: e.Registry, BodyLimit: e.Config.BodyLimitBytes,
		RequestTimeout: e.Config.RequestTimeout, TrustedProxies: web.ParseProxies(e.Config.TrustedProxies),
		Ready: e.ready, OpenAPI: openapi.Document})
	for _, m := range mods {
		m.Routes(a)
	}
	return a // unknown routes and methods fall through to Fiber's 404 and 405, rendered as problems

}

// defaultGCPercent is the collector's target when GOGC is not set. The
// server's live heap is small (tens of MiB) and nearly all its garbage is
// per-request: collecting at three times the live heap instead of twice
// halves the collector's work for about 20 MiB more memory (bench/RESULTS.md,
// "Request path fixes").
const defaultGCPercent = 200

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
	mods := e.modules()
	jobMetrics := jobs.NewMetrics(e.Registry)
	e.Registry.MustRegister(jobs.NewOutboxCollector(e.DB))
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	var httpApp *fiber.App
	var ln net.Listener
	if r.api {
		// Other instances' session changes (logout, role change...) reach this
		// one's session cache through Redis.
		sessCtx, stopSessions := context.WithCancel(context.WithoutCancel(ctx))
		defer stopSessions()
		go e.Sessions.Listen(sessCtx)
		httpApp = e.newHTTP(mods)
		if ln, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
			return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
		}
		e.Logger.Info("listening", "addr", ln.Addr().String(), "public_base_url", cfg.PublicBaseURL)
		wg.Add(1)
		go func() { defer wg.Done(); errc <- httpApp.Listener(ln) }()
	}
	var opsSrv *http.Server
	if !r.api { // a worker or scheduler alone still serves /healthz, /readyz and /metrics
		if opsSrv = e.startOpsHTTP(cfg.HTTPAddr); opsSrv != nil {
			defer opsSrv.Close() // also when the worker or scheduler fails to start
		}
	}
	var worker *asynq.Server
	relayCtx, stopRelay := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRelay()
	var relayDone sync.WaitGroup
	if r.worker {
		if worker, err = e.startWorker(mods, jobMetrics); err != nil {
			return err
		}
		relay := jobs.NewRelay(e.DB, e.Queue, e.Logger.With("component", "outbox"))
		relay.Wake = jobs.ListenOutbox(relayCtx, cfg.ListenDatabaseURL, e.Logger.With("component", "outbox")).Wake()
		relayDone.Add(1)
		go func() { defer relayDone.Done(); relay.Run(relayCtx) }()
	}
	var sched *asynq.Scheduler
	if r.scheduler {
		if sched, err = e.startScheduler(); err != nil {
			return err
		}
	}
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	e.Logger.Info("shutting down")
	if httpApp != nil { // in-flight requests finish first
		httpApp.ShutdownWithTimeout(20 * time.Second)
		ln.Close() // a shutdown that raced the server's start must still end Serve
	}
	stopRelay() // rows it has not marked sent stay in the outbox for the next relay
	relayDone.Wait()
	if opsSrv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		opsSrv.Shutdown(sctx)
		cancel()
	}
	if worker != nil {
		worker.Shutdown()
	}
	if sched != nil {
		sched.Shutdown()
	}
	wg.Wait()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

func (e *env) startWorker(mods []app.Module, metrics *jobs.Metrics) (*asynq.Server, error) {
	mux := asynq.NewServeMux()
	mux.Use(metrics.Middleware)
	for _, m := range mods {
		m.Tasks(mux)
	}
	jobs.NewMaintenance(e.DB).Tasks(mux)
	srv := asynq.NewServer(e.redisOpt, asynq.Config{
		Concurrency:       e.Config.WorkerConcurrency,
		Queues:            jobs.QueueWeights,
		TaskCheckInterval: jobs.TaskCheckInterval,
		ShutdownTimeout:   20 * time.Second,
		Logger:            asynqLogger{e.Logger},
		ErrorHandler:      asynq.ErrorHandlerFunc(e.taskFailed),
	})
	if err := srv.Start(mux); err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	e.Logger.Info("worker started", "concurrency", e.Config.WorkerConcurrency)
	return srv, nil
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
	e.Logger.Log(ctx, level, "task failed", "task_type", t.Type(), "task_id", id, "retried", retried,
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
	mux.Handle("GET /metrics", promhttp.HandlerFor(e.Registry, promhttp.HandlerOpts{}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		e.Logger.Warn("health and metrics endpoints not served", "addr", addr, "error", err)
		return nil
	}
	e.Logger.Info("serving health and metrics", "addr", ln.Addr().String())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return srv
}

func (e *env) startScheduler() (*asynq.Scheduler, error) {
	s := asynq.NewScheduler(e.redisOpt, &asynq.SchedulerOpts{Location: time.UTC, Logger: asynqLogger{e.Logger},
		PostEnqueueFunc: func(info *asynq.TaskInfo, err error) {
			// A duplicate means another scheduler instance (or this one before a
			// restart) enqueued this run already: expected, not an error.
			if err != nil && !errors.Is(err, asynq.ErrDuplicateTask) {
				e.Logger.Error("periodic job not enqueued", "error", err)
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
	e.Logger.Info("scheduler started", "jobs", len(jobs.Schedule))
	return s, nil
}
