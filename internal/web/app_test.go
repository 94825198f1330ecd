package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
)

func newTestApp(t *testing.T, logs io.Writer) *fiber.App {
	t.Helper()
	app := New(Options{Logger: slog.New(slog.NewJSONHandler(logs, nil)), Registry: prometheus.NewRegistry(),
		BodyLimit: 1024, RequestTimeout: time.Second, OpenAPI: []byte("openapi: 3.0.3\n"),
		Ready: func(context.Context) map[string]error { return map[string]error{"postgres": nil} }})
	app.Get("/boom", func(c *fiber.Ctx) error { panic("handler bug with secret=abc") })
	app.Get("/ok", func(c *fiber.Ctx) error { return c.SendString("fine") })
	return app
}

func TestPanicsBecomeProblems(t *testing.T) {
	var logs bytes.Buffer
	app := newTestApp(t, &logs)
	resp, err := app.Test(httptest.NewRequest("GET", "/boom", nil))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	var p Problem
	json.Unmarshal(body, &p)
	if resp.StatusCode != 500 || p.Status != 500 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("panic answered %d %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if strings.Contains(string(body), "secret") || strings.Contains(string(body), "panic") {
		t.Fatalf("the panic's text reached the client: %s", body)
	}
	if !strings.Contains(logs.String(), `"msg":"panic"`) || !strings.Contains(logs.String(), `"stack"`) {
		t.Fatalf("the panic was not logged with its stack: %s", logs.String())
	}
	resp, _ = app.Test(httptest.NewRequest("GET", "/ok", nil))
	if resp.StatusCode != 200 {
		t.Fatalf("the server stopped serving after a panic: %d", resp.StatusCode)
	}
}

func TestRequestLogLine(t *testing.T) {
	var logs bytes.Buffer
	app := newTestApp(t, &logs)
	req := httptest.NewRequest("GET", "/ok?token=should-not-be-logged", nil)
	req.Header.Set("X-Request-ID", "abc-123")
	if _, err := app.Test(req); err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		json.Unmarshal([]byte(l), &line)
	}
	for _, k := range []string{"method", "path", "route", "status", "duration_ms", "request_id"} {
		if _, ok := line[k]; !ok {
			t.Fatalf("log line lacks %s: %v", k, line)
		}
	}
	if line["request_id"] != "abc-123" || strings.Contains(logs.String(), "should-not-be-logged") {
		t.Fatalf("log line %v", line)
	}
}
