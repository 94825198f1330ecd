package web

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/lib/pq"

	cc "github.com/cybercampus/cybercampus"
)

// TestErrorHandlerDependencyDown checks that a failure of a dependency (the
// database restarting, a connection terminated or refused, the request's
// deadline passing) is a 503 with Retry-After, while a defect stays a 500 and
// application errors keep their status.
func TestErrorHandlerDependencyDown(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	tests := []struct {
		name       string
		err        error
		waitCtx    bool // the handler fails only after the request's deadline
		status     int
		retryAfter string
	}{
		{"database shutting down", fmt.Errorf("begin: %w", &pq.Error{Code: "57P03", Message: "the database system is shutting down"}), false, 503, "1"},
		{"connection terminated by an administrator", &pq.Error{Code: "57P01"}, false, 503, "1"},
		{"connection exception", &pq.Error{Code: "08006"}, false, 503, "1"},
		{"too many connections", &pq.Error{Code: "53300"}, false, 503, "1"},
		{"bad pooled connection", fmt.Errorf("query: %w", driver.ErrBadConn), false, 503, "1"},
		{"connection refused", fmt.Errorf("dial: %w", refused), false, 503, "1"},
		{"deadline exceeded", fmt.Errorf("query: %w", context.DeadlineExceeded), false, 503, "1"},
		{"statement cancelled at the request deadline", &pq.Error{Code: "57014"}, true, 503, "1"},
		{"unique violation is still a defect", &pq.Error{Code: "23505"}, false, 500, ""},
		{"plain error is a defect", errors.New("boom"), false, 500, ""},
		{"application error keeps its status", cc.Errorf(cc.EINVALID, "bad"), false, 422, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := fiber.New(fiber.Config{ErrorHandler: ErrorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)))})
			app.Use(withTimeout(20 * time.Millisecond))
			app.Get("/x", func(c *fiber.Ctx) error {
				if tt.waitCtx {
					<-c.UserContext().Done()
				}
				return tt.err
			})
			resp, err := app.Test(httptest.NewRequest("GET", "/x", nil), 5000)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if got := resp.Header.Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
			var p Problem
			if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
				t.Fatal(err)
			}
			if p.Status != tt.status {
				t.Errorf("problem status %d, want %d", p.Status, tt.status)
			}
			if tt.status >= 500 && p.Detail != "Internal error." && p.Detail != errUnavailable.Message {
				t.Errorf("detail %q shows internal text", p.Detail)
			}
		})
	}
}
