package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	cc "github.com/cybercampus/cybercampus"
)

// anyToken takes every token but "bad" for the user it names.
type anyToken struct{}

func (anyToken) ParseAccess(token string) (cc.Principal, error) {
	if token == "bad" {
		return cc.Principal{}, errors.New("bad token")
	}
	return cc.Principal{UserID: token, Roles: []string{cc.RoleLearner}}, nil
}

type openSessions struct{}

func (openSessions) Check(_ context.Context, p cc.Principal) (cc.Principal, bool, error) {
	return p, true, nil
}

// gatedApp is the application with room for one authenticated request at a
// time; an authenticated request to /v1/work/:name reports its name on
// entered and waits on release. /v1/public is anonymous.
func gatedApp(timeout time.Duration) (app *fiber.App, entered chan string, release chan struct{}, inside *atomic.Int32) {
	app = New(Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Registry: prometheus.NewRegistry(),
		BodyLimit: 1024, RequestTimeout: timeout, OpenAPI: []byte("openapi: 3.0.3\n"),
		Ready: func(context.Context) map[string]error { return map[string]error{} }})
	a := NewAuth(anyToken{}, openSessions{})
	a.Admit(1)
	entered, release, inside = make(chan string, 16), make(chan struct{}), new(atomic.Int32)
	// Authenticated twice, as a route of a group with Required would be: one turn.
	app.Get("/v1/work/:name", a.Required, a.Required, func(c *fiber.Ctx) error {
		if inside.Add(1) > 1 {
			entered <- "two at once"
		}
		defer inside.Add(-1)
		entered <- c.Params("name")
		<-release
		return c.SendString("done")
	})
	app.Get("/v1/public", func(c *fiber.Ctx) error { return c.SendString("open") })
	return app, entered, release, inside
}

func get(app *fiber.App, path, token string, timeout int) (int, error) {
	req := httptest.NewRequest("GET", path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := app.Test(req, timeout)
	if err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

func TestAdmitServesInArrivalOrder(t *testing.T) {
	app, entered, release, _ := gatedApp(10 * time.Second)
	status := make(chan int, 16)
	send := func(name string) {
		s, _ := get(app, "/v1/work/"+name, name, -1)
		status <- s
	}
	go send("first")
	if got := <-entered; got != "first" {
		t.Fatalf("entered %q, want first", got)
	}
	// The others arrive one after another while the first holds the only
	// place; each has long been waiting when the next comes.
	order := []string{"a", "b", "c", "d", "e", "f"}
	for _, name := range order {
		go send(name)
		time.Sleep(30 * time.Millisecond)
	}
	select {
	case got := <-entered:
		t.Fatalf("%q started while the only place was taken", got)
	default:
	}
	// Anonymous requests and refused tokens do not wait.
	if s, err := get(app, "/v1/public", "", 2000); err != nil || s != 200 {
		t.Fatalf("an anonymous request waited for the authenticated ones: %d %v", s, err)
	}
	if s, err := get(app, "/v1/work/x", "bad", 2000); err != nil || s != 401 {
		t.Fatalf("a refused token answered %d (%v), want 401 at once", s, err)
	}
	for _, want := range order {
		release <- struct{}{}
		if got := <-entered; got != want {
			t.Fatalf("%q went before %q, which came earlier", got, want)
		}
	}
	release <- struct{}{}
	for range len(order) + 1 {
		if s := <-status; s != 200 {
			t.Fatalf("a request answered %d", s)
		}
	}
}

func TestAdmitGivesUpAtTheDeadline(t *testing.T) {
	app, entered, release, inside := gatedApp(200 * time.Millisecond)
	done := make(chan struct{})
	go func() {
		get(app, "/v1/work/slow", "slow", -1)
		close(done)
	}()
	<-entered
	req := httptest.NewRequest("GET", "/v1/work/late", nil)
	req.Header.Set("Authorization", "Bearer late")
	resp, err := app.Test(req, 5000)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("a request that waited past its deadline answered %d (Retry-After %q), want 503 with Retry-After",
			resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if n := inside.Load(); n != 1 {
		t.Fatalf("%d requests in the handler, want the first only", n)
	}
	release <- struct{}{}
	<-done
	// Its place is free again: the next request is served.
	go func() { <-entered; release <- struct{}{} }()
	if s, err := get(app, "/v1/work/next", "next", 5000); err != nil || s != 200 {
		t.Fatalf("after a timeout the next request was not served: %d %v", s, err)
	}
}
