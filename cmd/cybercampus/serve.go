package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hibiken/asynq"

	"github.com/cybercampus/cybercampus/certification"
	"github.com/cybercampus/cybercampus/courses"
	"github.com/cybercampus/cybercampus/internal/app"
	"github.com/cybercampus/cybercampus/internal/notify"
	"github.com/cybercampus/cybercampus/internal/ratelimit"
	"github.com/cybercampus/cybercampus/internal/web"
	"github.com/cybercampus/cybercampus/jobs"
	"github.com/cybercampus/cybercampus/learners"
	"github.com/cybercampus/cybercampus/openapi"
	"github.com/cybercampus/cybercampus/reports"
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
		notify.NewModule(e.Deps),
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

func serve(ctx context.Context, getenv func(string) string, stdout io.Writer, r roles) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	e, err := openEnv(ctx, getenv, stdout, r.api && cfg.MigrateOnStart)
	if err != nil {
		return err
	}
	defer e.Close()
	mods := e.modules()
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	var httpApp *fiber.App
	var ln net.Listener
	if r.api {
		httpApp = e.newHTTP(mods)
		if ln, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
			return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
		}
		e.Logger.Info("listening", "addr", ln.Addr().String(), "public_base_url", cfg.PublicBaseURL)
		wg.Add(1)
		go func() { defer wg.Done(); errc <- httpApp.Listener(ln) }()
	}
	var worker *asynq.Server
	if r.worker {
		if worker, err = e.startWorker(mods); err != nil {
			return err
		}
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

func (e *env) startWorker(mods []app.Module) (*asynq.Server, error) {
	mux := asynq.NewServeMux()
	for _, m := range mods {
		m.Tasks(mux)
	}
	srv := asynq.NewServer(e.redisOpt, asynq.Config{
		Concurrency:     e.Config.WorkerConcurrency,
		Queues:          jobs.QueueWeights,
		ShutdownTimeout: 20 * time.Second,
		Logger:          asynqLogger{e.Logger},
	})
	if err := srv.Start(mux); err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	e.Logger.Info("worker started", "concurrency", e.Config.WorkerConcurrency)
	return srv, nil
}

func (e *env) startScheduler() (*asynq.Scheduler, error) {
	s := asynq.NewScheduler(e.redisOpt, &asynq.SchedulerOpts{Location: time.UTC, Logger: asynqLogger{e.Logger}})
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
