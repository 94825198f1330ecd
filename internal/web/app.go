package web

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
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

func readyz(ready func(ctx context.Context) map[string]error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		checks := fiber.Map{}
		ok := true
		for name, err := range ready(ctx) {
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
