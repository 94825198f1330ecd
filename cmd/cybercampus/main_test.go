package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

var testDB *pgtest.DB

// redisDBs are this package's own Redis databases: 10 for most servers, 8
// for those counting rate limits from zero.
var redisDBs = []int{8, 10}

func TestMain(m *testing.M) {
	for _, db := range redisDBs {
		if err := pgtest.ClaimRedis(db); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	d, err := pgtest.New("cmd")
	if err != nil {
		fmt.Fprintln(os.Stderr, "test database:", err)
		os.Exit(1)
	}
	testDB = d
	code := m.Run()
	stopShared()
	d.Close()
	os.Exit(code)
}

// stopShared stops the shared server; TestMain's database drop waits for nothing.
func stopShared() {
	if shared != nil {
		shared.stop()
	}
}

// server is a running `cybercampus` process started through run on port 0.
type server struct {
	base   string
	cancel context.CancelFunc
	done   chan error
	logs   *serverLog
}

// serverLog is the server's log, written by the goroutine reading its output
// while tests read it.
type serverLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// WriteString appends s to the log.
func (l *serverLog) WriteString(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

// String returns the log written so far.
func (l *serverLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testEnv is the environment every test server gets, plus overrides.
func testEnv(redisDB int, overrides map[string]string) func(string) string {
	vars := map[string]string{
		"DATABASE_URL":             testDB.URL,
		"REDIS_URL":                redisURL(redisDB),
		"HTTP_ADDR":                "127.0.0.1:0",
		"PUBLIC_BASE_URL":          "http://cybercampus.test",
		"AUTH_IP_LIMIT_PER_MINUTE": "100000",
		"LOG_LEVEL":                "info",
	}
	for k, v := range overrides {
		vars[k] = v
	}
	return func(k string) string { return vars[k] }
}

// redisURL is the URL of Redis database db on the server REDIS_URL names.
func redisURL(db int) string {
	o := pgtest.RedisOptions(db)
	u := url.URL{Scheme: "redis", Host: o.Addr, Path: fmt.Sprint("/", db)}
	if o.Password != "" {
		u.User = url.UserPassword(o.Username, o.Password)
	} else if o.Username != "" {
		u.User = url.User(o.Username)
	}
	return u.String()
}

// flushRedis empties one of this package's Redis databases so counters from
// earlier runs never leak in.
func flushRedis(t testing.TB, db int) {
	if err := pgtest.FlushRedis(db); err != nil {
		t.Fatalf("flush redis: %v", err)
	}
}

// startServer runs the program with args and waits for it to listen.
func startServer(t testing.TB, getenv func(string) string, args ...string) *server {
	t.Helper()
	s := launch(t, getenv, args...)
	t.Cleanup(s.stop)
	return s
}

// launch starts the program without tying its life to one test.
func launch(t testing.TB, getenv func(string) string, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &server{cancel: cancel, done: make(chan error, 1), logs: &serverLog{}}
	go func() {
		err := run(ctx, args, getenv, pw, io.Discard)
		pw.Close()
		s.done <- err
	}()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.logs.WriteString(line + "\n")
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
				addr <- rec.Addr
			}
		}
	}()
	select {
	case a := <-addr:
		s.base = "http://" + a
	case err := <-s.done:
		t.Fatalf("server exited before listening: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start listening within 30s")
	}
	return s
}

func (s *server) stop() {
	s.cancel()
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
	}
}

// call sends a JSON request and returns the status, headers and body.
func (s *server) call(t testing.TB, method, path, token string, body any) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		if raw, ok := body.(string); ok {
			rd = strings.NewReader(raw)
		} else {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return s.do(t, req)
}

func (s *server) do(t testing.TB, req *http.Request) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func decode(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return m
}

// main server shared by the tests of this package.
var shared *server

func sharedServer(t testing.TB) *server {
	if shared == nil {
		flushRedis(t, 10)
		shared = launch(t, testEnv(10, nil), "serve")
	}
	return shared
}

func TestMainUsage(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		code int
		msg  string
	}{
		{"no command", nil, nil, 2, "no command"},
		{"unknown command", []string{"frobnicate"}, nil, 2, "unknown command"},
		{"bad database url", []string{"serve"}, map[string]string{"DATABASE_URL": "mysql://x"}, 2, "DATABASE_URL"},
		{"bad http addr", []string{"api"}, map[string]string{"HTTP_ADDR": "8080"}, 2, "HTTP_ADDR"},
		{"bad duration", []string{"serve"}, map[string]string{"REMINDER_INACTIVE_AFTER": "soon"}, 2, "REMINDER_INACTIVE_AFTER"},
		{"migrate needs a direction", []string{"migrate"}, nil, 2, "migrate up|down|status"},
		{"unknown job", []string{"jobs", "run", "nope"}, nil, 2, "unknown job"},
		{"bad role", []string{"users", "create", "--email", "x@example.org", "--password", "long-enough-pw", "--name", "X", "--role", "king"}, nil, 2, "not a role"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, testEnv(10, tc.env), io.Discard, io.Discard)
			ee, ok := err.(exitError)
			if !ok || ee.code != tc.code {
				t.Fatalf("err = %v, want exit code %d", err, tc.code)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %q, want it to mention %q", err, tc.msg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error is not one line: %q", err)
			}
		})
	}
}

func TestSecretsNeverInConfigErrors(t *testing.T) {
	err := run(context.Background(), []string{"serve"},
		testEnv(10, map[string]string{"DATABASE_URL": "mysql://admin:hunter2secret@db/x"}), io.Discard, io.Discard)
	if err == nil || strings.Contains(err.Error(), "hunter2secret") {
		t.Fatalf("config error %v must not contain the password", err)
	}
}

func TestUsersCreateAndMigrateStatus(t *testing.T) {
	var out bytes.Buffer
	email := "admin-" + pgtest.RandomSuffix() + "@example.org"
	err := run(context.Background(), []string{"users", "create", "--email", email, "--password", "a long admin password",
		"--name", "First Admin", "--role", "admin", "--role", "analyst"}, testEnv(10, nil), &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "admin, analyst") {
		t.Fatalf("output %q does not list the roles", out.String())
	}
	err = run(context.Background(), []string{"users", "create", "--email", strings.ToUpper(email), "--password", "a long admin password",
		"--name", "Again", "--role", "admin"}, testEnv(10, nil), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("duplicate email (other case): err = %v", err)
	}
	out.Reset()
	if err := run(context.Background(), []string{"migrate", "status"}, testEnv(10, nil), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "00003_accounts.sql") || strings.Contains(out.String(), "pending") {
		t.Fatalf("migrate status: %s", out.String())
	}
	s := sharedServer(t)
	code, _, body := s.call(t, "POST", "/v1/auth/login", "", map[string]string{"email": email, "password": "a long admin password"})
	if code != 200 {
		t.Fatalf("admin login: %d %s", code, body)
	}
}
