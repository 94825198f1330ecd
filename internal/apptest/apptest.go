// Package apptest builds a real application for HTTP tests: a migrated
// PostgreSQL database, a Redis database of the test package's own (claimed
// through pgtest.ClaimRedis, so never one holding anyone else's data), the shared
// middleware, and users with access tokens. Each test builds the stores and
// handlers it tests from the Env's fields, as cmd/cybercampus does.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hibiken/asynq"
	"github.com/lib/pq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/auth"
	"github.com/cybercampus/cybercampus/internal/config"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
	"github.com/cybercampus/cybercampus/internal/web"
	"github.com/cybercampus/cybercampus/openapi"
)

// Env is a running test application: the shared objects a test builds its
// stores and handlers from, and the Fiber application it mounts them on.
type Env struct {
	DB       *pgtest.DB
	Config   config.Config
	Redis    redis.UniversalClient
	RedisOpt asynq.RedisClientOpt
	Queue    *asynq.Client
	Logger   *slog.Logger
	Tokens   *auth.Tokens
	Sessions *auth.Sessions
	Auth     *web.Auth
	App      *fiber.App
}

// Options adjust the environment.
type Options struct {
	// RedisDB is the Redis database number the package uses on the server
	// REDIS_URL names; give each test package its own (2 to 15 are taken) so
	// asynq queues never mix between packages run in parallel.
	RedisDB int
	// Config overrides; nil uses the defaults with the test databases.
	Config func(*config.Config)
	// Logs receives the JSON log; nil discards it.
	Logs io.Writer
}

// New builds the environment over db; the test mounts its handlers on App.
func New(tb testing.TB, db *pgtest.DB, o Options) *Env {
	tb.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		tb.Fatal(err)
	}
	cfg.DatabaseURL, cfg.ReportsDatabaseURL = db.URL, db.URL
	if err := pgtest.ClaimRedis(o.RedisDB); err != nil {
		tb.Fatal(err)
	}
	ro := pgtest.RedisOptions(o.RedisDB)
	cfg.RedisURL = (&url.URL{Scheme: "redis", User: redisUser(ro), Host: ro.Addr, Path: fmt.Sprint("/", o.RedisDB)}).String()
	cfg.PublicBaseURL = "http://cybercampus.test"
	cfg.AuthIPLimitPerMinute = 100000
	if o.Config != nil {
		o.Config(&cfg)
	}
	logs := o.Logs
	if logs == nil {
		logs = io.Discard
	}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	ropt := asynq.RedisClientOpt{Addr: ro.Addr, Username: ro.Username, Password: ro.Password, DB: o.RedisDB}
	rdb := redis.NewClient(ro)
	tokens := auth.NewTokens([]byte("test-access-token-key-0123456789abcdef"), cfg.PublicBaseURL, 15*time.Minute)
	sessions := auth.NewSessions(db.DB, rdb, logger)
	e := &Env{DB: db, Config: cfg, Redis: rdb, RedisOpt: ropt, Queue: asynq.NewClient(ropt), Logger: logger,
		Tokens: tokens, Sessions: sessions, Auth: web.NewAuth(tokens, sessions)}
	tb.Cleanup(func() { e.Queue.Close(); rdb.Close() })
	e.App = web.New(web.Options{Logger: logger, Registry: prometheus.NewRegistry(), BodyLimit: cfg.BodyLimitBytes,
		RequestTimeout: cfg.RequestTimeout, Ready: func(context.Context) map[string]error { return nil },
		OpenAPI: openapi.Document})
	return e
}

// redisUser is the user part of a Redis URL with o's credentials.
func redisUser(o *redis.Options) *url.Userinfo {
	switch {
	case o.Password != "":
		return url.UserPassword(o.Username, o.Password)
	case o.Username != "":
		return url.User(o.Username)
	}
	return nil
}

// User is a test account with a valid access token.
type User struct {
	ID    string
	Email string
	Name  string
	Token string
}

// Profile overrides the demographics of a created user.
type Profile struct {
	Name, Gender, Country, Audience string
	BirthYear                       int
}

// NewUser inserts a user with roles (learner when none) and returns it with an access token.
func (e *Env) NewUser(tb testing.TB, roles ...string) User {
	return e.NewUserWith(tb, Profile{}, roles...)
}

// NewUserWith inserts a user with the given profile values.
func (e *Env) NewUserWith(tb testing.TB, p Profile, roles ...string) User {
	tb.Helper()
	if len(roles) == 0 {
		roles = []string{cc.RoleLearner}
	}
	p = withDefaults(p)
	email := fmt.Sprintf("user-%s@example.org", pgtest.RandomSuffix()+pgtest.RandomSuffix())
	// Test users have verified their address, as a real learner who
	// followed the emailed link has.
	const q = `INSERT INTO users (email, password_hash, name, roles, gender, birth_year, country, audience, email_verified_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now()) RETURNING id`
	var id string
	if err := e.DB.Get(&id, q, email, "x", p.Name, pq.StringArray(roles), p.Gender, p.BirthYear, p.Country, p.Audience); err != nil {
		tb.Fatalf("create user: %v", err)
	}
	tok, err := e.Tokens.IssueAccess(cc.Principal{UserID: id, Roles: roles, SessionVersion: 1})
	if err != nil {
		tb.Fatal(err)
	}
	return User{ID: id, Email: email, Name: p.Name, Token: tok}
}

func withDefaults(p Profile) Profile {
	if p.Name == "" {
		p.Name = "Test Learner"
	}
	if p.Gender == "" {
		p.Gender = "female"
	}
	if p.Country == "" {
		p.Country = "KE"
	}
	if p.Audience == "" {
		p.Audience = "youth"
	}
	if p.BirthYear == 0 {
		p.BirthYear = 2000
	}
	return p
}

// Request is one HTTP request to the application.
type Request struct {
	Method  string
	Path    string
	Token   string
	Body    any    // marshalled as JSON unless Raw is set
	Raw     []byte // sent as is with ContentType
	Type    string // Content-Type; default application/json
	Headers map[string]string
}

// Response is a received response with its body read.
type Response struct {
	*http.Response
	Body []byte
}

// JSON decodes the body into v, failing the test when it cannot.
func (r Response) JSON(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %d response %q: %v", r.StatusCode, r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r Response) Map(tb testing.TB) map[string]any {
	var m map[string]any
	r.JSON(tb, &m)
	return m
}

// Do sends the request through the application (no network).
func (e *Env) Do(tb testing.TB, r Request) Response {
	tb.Helper()
	resp, err := e.Try(r)
	if err != nil {
		tb.Fatal(err)
	}
	return resp
}

// Try sends the request like Do but returns its error instead of failing a
// test: goroutines a test starts use it, since only the test's own goroutine
// may end the test.
func (e *Env) Try(r Request) (Response, error) {
	var body io.Reader
	ctype := r.Type
	switch {
	case r.Raw != nil:
		body = bytes.NewReader(r.Raw)
	case r.Body != nil:
		b, err := json.Marshal(r.Body)
		if err != nil {
			return Response{}, fmt.Errorf("%s %s: %w", r.Method, r.Path, err)
		}
		body = bytes.NewReader(b)
		if ctype == "" {
			ctype = "application/json"
		}
	}
	req := httptest.NewRequest(r.Method, r.Path, body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if r.Token != "" {
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	resp, err := e.App.Test(req, 30_000)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: %w", r.Method, r.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, fmt.Errorf("%s %s: read body: %w", r.Method, r.Path, err)
	}
	return Response{Response: resp, Body: b}, nil
}

// Expect sends the request and fails the test unless the status is want.
func (e *Env) Expect(tb testing.TB, r Request, want int) Response {
	tb.Helper()
	resp := e.Do(tb, r)
	if resp.StatusCode != want {
		tb.Fatalf("%s %s: status %d, want %d; body: %s", r.Method, r.Path, resp.StatusCode, want, trim(resp.Body))
	}
	if want >= 400 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") && r.Method != http.MethodHead {
		tb.Fatalf("%s %s: error response has Content-Type %q, want application/problem+json", r.Method, r.Path, resp.Header.Get("Content-Type"))
	}
	return resp
}

func trim(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}
