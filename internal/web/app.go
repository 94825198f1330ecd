package web

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	cc "github.com/cybercampus/cybercampus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options configure the HTTP application.
type Options struct {
	Logger         *slog.Logger
	Registry       *prometheus.Registry
	BodyLimit      int
	RequestTimeout time.Duration
	TrustedProxies []string
	// Ready reports whether the dependencies answer; /readyz is 503 otherwise.
	Ready func(ctx context.Context) map[string]error
	// OpenAPI is the OpenAPI document served at /openapi.yaml.
	OpenAPI []byte
}

// New returns the Fiber application with the shared middleware and the
// operations endpoints; feature packages register their routes on it.
func New(o Options) *fiber.App {
	app := fiber.New(fiber.Config{
		ErrorHandler:            ErrorHandler(o.Logger),
		BodyLimit:               o.BodyLimit,
		ReadTimeout:             o.RequestTimeout,
		WriteTimeout:            o.RequestTimeout,
		IdleTimeout:             2 * time.Minute,
		DisableStartupMessage:   true,
		EnableTrustedProxyCheck: len(o.TrustedProxies) > 0,
		TrustedProxies:          o.TrustedProxies,
		ProxyHeader:             proxyHeader(o.TrustedProxies),
		ReadBufferSize:          16 * 1024,
	})
	metrics := NewMetrics(o.Registry)
	app.Use(requestIDs(), observe(o.Logger, metrics), recoverPanics(o.Logger), withTimeout(o.RequestTimeout))
	app.Get("/healthz", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"status": "ok"})
	})
	app.Get("/readyz", readyz(o.Ready))
	app.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(o.Registry, promhttp.HandlerOpts{})))
	app.Get("/openapi.yaml", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, "application/yaml")
		c.Set(fiber.HeaderCacheControl, "public, max-age=300")
		return c.Send(o.OpenAPI)
	})
	return app
}

func proxyHeader(trusted []string) string {
	if len(trusted) > 0 {
		return fiber.HeaderXForwardedFor
	}
	return ""
}

// readyz answers 200 only when every dependency answers. ?check=postgres
// (a comma-separated subset) narrows it: the API keeps serving while Redis is
// down (jobs wait in the outbox), so its load-balancer probe asks about
// PostgreSQL alone, while plain /readyz reports both.
func readyz(ready func(ctx context.Context) map[string]error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		results := ready(ctx)
		only, err := readyScope(c.Query("check"), results)
		if err != nil {
			return err
		}
		checks := fiber.Map{}
		ok := true
		for name, err := range results {
			if only != nil && !only[name] {
				continue
			}
			checks[name] = "ok"
			if err != nil {
				checks[name] = "unavailable"
				ok = false
			}
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		if !ok {
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "checks": checks})
		}
		return c.JSON(fiber.Map{"status": "ok", "checks": checks})
	}
}

// readyScope parses ?check=; nil means every dependency.
func readyScope(param string, known map[string]error) (map[string]bool, error) {
	if param == "" {
		return nil, nil
	}
	only := map[string]bool{}
	for _, name := range strings.Split(param, ",") {
		if _, ok := known[name]; !ok {
			return nil, cc.FieldErr(cc.EBADREQUEST, "check names an unknown dependency.", "check", fmt.Sprintf("%q is not a dependency (postgres, redis)", name))
		}
		only[name] = true
	}
	return only, nil
}

// ParseProxies splits a comma-separated list of trusted proxy addresses or CIDRs.
func ParseProxies(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
