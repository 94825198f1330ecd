package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/cybercampus/cybercampus/internal/auth"
	"github.com/cybercampus/cybercampus/internal/config"
	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/internal/web"
	"github.com/cybercampus/cybercampus/migrations"
)

// env is what every long-running command opens: configuration, logger,
// databases, Redis, the queue and the access-token checks.
type env struct {
	cfg       config.Config
	db        *sqlx.DB // primary
	reportsDB *sqlx.DB // REPORTS_DATABASE_URL (a replica), for report queries only
	redis     redis.UniversalClient
	redisOpt  asynq.RedisConnOpt
	queue     *asynq.Client
	inspector *asynq.Inspector
	logger    *slog.Logger
	logOut    *logBuffer
	registry  *prometheus.Registry
	tokens    *auth.Tokens
	sessions  *auth.Sessions // per-request session check; Changed after ending sessions or changing roles
	auth      *web.Auth
}

// logFlushEvery bounds how long a log line waits in the buffer.
const logFlushEvery = 100 * time.Millisecond

func loadConfig(getenv func(string) string) (config.Config, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return cfg, exitError{code: 2, err: fmt.Errorf("configuration: %w", err)}
	}
	return cfg, nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// openEnv opens the databases and Redis. migrate applies migrations first.
func openEnv(ctx context.Context, getenv func(string) string, stdout io.Writer, migrate bool) (_ *env, err error) {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return nil, err
	}
	logOut := newLogBuffer(stdout, logFlushEvery)
	defer func() {
		if err != nil {
			logOut.Close()
		}
	}()
	logger := newLogger(logOut, cfg.LogLevel)
	opts := postgres.Options{MaxOpenConns: cfg.DBMaxOpenConns, MaxIdleConns: cfg.DBMaxIdleConns,
		ConnMaxLifetime: cfg.DBConnMaxLifetime, ConnectTimeout: cfg.DBConnectTimeout}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, opts)
	if err != nil {
		return nil, err
	}
	if migrate {
		if err := migrations.Up(ctx, db.DB, logger); err != nil {
			db.Close()
			return nil, err
		}
	}
	reportsDB := db
	if cfg.ReportsDatabaseURL != cfg.DatabaseURL {
		if reportsDB, err = postgres.Open(ctx, cfg.ReportsDatabaseURL, opts); err != nil {
			db.Close()
			return nil, fmt.Errorf("reports database: %w", err)
		}
	}
	redisOpt, err := asynq.ParseRedisURI(cfg.RedisURL)
	if err != nil {
		return nil, exitError{code: 2, err: fmt.Errorf("configuration: REDIS_URL: %w", err)}
	}
	ropts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, exitError{code: 2, err: fmt.Errorf("configuration: REDIS_URL: %w", err)}
	}
	ropts.DialTimeout, ropts.ReadTimeout, ropts.WriteTimeout = 2*time.Second, 2*time.Second, 2*time.Second
	e := &env{cfg: cfg, db: db, reportsDB: reportsDB, redis: redis.NewClient(ropts), redisOpt: redisOpt,
		queue: asynq.NewClient(redisOpt), inspector: asynq.NewInspector(redisOpt),
		logger: logger, logOut: logOut, registry: prometheus.NewRegistry()}
	e.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.DB, "primary"))
	if reportsDB != db {
		e.registry.MustRegister(collectors.NewDBStatsCollector(reportsDB.DB, "reports"))
	}
	if err := e.initTokens(ctx); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func (e *env) initTokens(ctx context.Context) error {
	key := []byte(e.cfg.JWTSecret)
	if len(key) == 0 {
		var err error
		if key, err = postgres.Secret(ctx, e.db, "jwt_hs256", 32); err != nil {
			return fmt.Errorf("access token key: %w", err)
		}
		e.logger.Warn("JWT_SECRET is not set; using a generated key stored in the database (set JWT_SECRET in production)")
	}
	e.tokens = auth.NewTokens(key, e.cfg.PublicBaseURL, e.cfg.AccessTokenTTL)
	e.sessions = auth.NewSessions(e.db, e.redis, e.logger)
	e.auth = web.NewAuth(e.tokens, e.sessions)
	e.auth.Admit(e.cfg.DBMaxOpenConns)
	return nil
}

// ready reports whether PostgreSQL and Redis answer.
func (e *env) ready(ctx context.Context) map[string]error {
	return map[string]error{
		"postgres": e.db.PingContext(ctx),
		"redis":    e.redis.Ping(ctx).Err(),
	}
}

// Close releases everything, the databases last.
func (e *env) Close() {
	e.queue.Close()
	e.inspector.Close()
	e.redis.Close()
	if e.reportsDB != e.db {
		e.reportsDB.Close()
	}
	e.db.Close()
	e.logOut.Close()
}

// openDB opens only the database, for operator commands.
func openDB(ctx context.Context, getenv func(string) string) (*sqlx.DB, config.Config, error) {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return nil, cfg, err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, postgres.Options{MaxOpenConns: 4, MaxIdleConns: 2,
		ConnMaxLifetime: time.Hour, ConnectTimeout: cfg.DBConnectTimeout})
	return db, cfg, err
}
