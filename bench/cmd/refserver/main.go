// Command refserver is the reference of the catalogue scenario: the program's
// own HTTP stack (internal/web: the same Fiber version, configuration and
// middleware — request IDs, request log and metrics, panic recovery, timeout)
// with one static route, GET /v1/courses, answering the bytes and headers
// captured from the real server's GET /v1/courses.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cybercampus/cybercampus/internal/web"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18081", "listen address")
	bodyFile := flag.String("body", "", "file holding the response body")
	headerFile := flag.String("headers", "", "JSON file of response headers to send")
	level := flag.String("log-level", "info", "log level, as LOG_LEVEL of the server")
	flag.Parse()
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		log.Fatal(err)
	}
	headers := map[string]string{}
	if b, err := os.ReadFile(*headerFile); err == nil {
		if err := json.Unmarshal(b, &headers); err != nil {
			log.Fatal(err)
		}
	}
	var l slog.Level
	l.UnmarshalText([]byte(*level))
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: l}))
	// The options cmd/cybercampus passes with its default configuration.
	app := web.New(web.Options{Logger: logger, Registry: prometheus.NewRegistry(), BodyLimit: 4 << 20,
		RequestTimeout: 30 * time.Second, Ready: func(context.Context) map[string]error { return nil }})
	app.Get("/v1/courses", func(c *fiber.Ctx) error {
		for k, v := range headers {
			c.Set(k, v)
		}
		return c.Send(body)
	})
	log.Fatal(app.Listen(*addr))
}
