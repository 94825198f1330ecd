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

	"github.com/cybercampus/cybercampus/internal/app"
	"github.com/cybercampus/cybercampus/internal/auth"
	"github.com/cybercampus/cybercampus/internal/config"
	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/internal/web"
	"github.com/cybercampus/cybercampus/migrations"
)

// env is what every command opens: configuration, logger, database, Redis.
type env struct {
	app.Deps
	redisOpt asynq.RedisConnOpt
	tokens   *auth.Tokens
	logOut   *logBuffer
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
	e := &env{Deps: app.Deps{Config: cfg, DB: db, ReportsDB: reportsDB, Redis: redis.NewClient(ropts),
		Logger: logger, Registry: prometheus.NewRegistry(), Now: time.Now}, redisOpt: redisOpt, logOut: logOut}
	e.Queue = asynq.NewClient(redisOpt)
	e.Inspector = asynq.NewInspector(redisOpt)
	e.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.DB, "primary"))
	if reportsDB != db {
		e.Registry.MustRegister(collectors.NewDBStatsCollector(reportsDB.DB, "reports"))
	}
	if err := e.initTokens(ctx); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func (e *env) initTokens(ctx context.Context) error {
	key := []byte(e.Config.JWTSecret)
	if len(key) == 0 {
		var err error
		if key, err = postgres.Secret(ctx, e.DB, "jwt_hs256", 32); err != nil {
			return fmt.Errorf("access token key: %w", err)
		}
		e.Logger.Warn("JWT_SECRET is not set; using a generated key stored in the database (set JWT_SECRET in production)")
	}
	e.tokens = auth.NewTokens(key, e.Config.PublicBaseURL, e.Config.AccessTokenTTL)
	e.Sessions = auth.NewSessions(e.DB, e.Redis, e.Logger)
	e.Auth = web.NewAuth(e.tokens, e.Sessions)
	return nil
}

// ready reports whether PostgreSQL and Redis answer.
func (e *env) ready(ctx context.Context) map[string]error {
	return map[string]error{
		"postgres": e.DB.PingContext(ctx),
		"redis":    e.Redis.Ping(ctx).Err(),
	}
}

// Close releases everything, the databases last.
func (e *env) Close() {
	e.Queue.Close()
	e.Inspector.Close()
	e.Redis.Close()
	if e.ReportsDB != e.DB {
		e.ReportsDB.Close()
	}
	e.DB.Close()
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
