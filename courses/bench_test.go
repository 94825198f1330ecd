package courses

import (
	"io"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// The catalogue benchmarks compare GET /v1/courses with a static route that
// sends the very same bytes through the same Fiber application and
// middleware; the ratio of their ns/op is the catalogue's cost over a static
// response:
//
//	go test -run '^$' -bench 'Catalogue|StaticRoute' -benchmem ./courses/
const benchPath = "/v1/courses?audience=professional&limit=50"

func benchEnv(b *testing.B) (*testEnv, []byte) {
	b.Helper()
	seeded(b)
	e := newEnv(b)
	e.mod.Handler.cache.every = CatalogueRecheck // as in production
	body := serve(b, e.App, benchPath)
	e.App.Get("/bench/static", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		return c.Send(body)
	})
	return e, body
}

func serve(b *testing.B, app *fiber.App, path string) []byte {
	resp, err := app.Test(httptest.NewRequest("GET", path, nil), -1)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("%s: %d %s", path, resp.StatusCode, body)
	}
	return body
}

func BenchmarkCatalogue(b *testing.B) {
	e, want := benchEnv(b)
	b.ResetTimer()
	for b.Loop() {
		if got := serve(b, e.App, benchPath); len(got) != len(want) {
			b.Fatal("catalogue response changed")
		}
	}
}

func BenchmarkStaticRoute(b *testing.B) {
	e, want := benchEnv(b)
	b.ResetTimer()
	for b.Loop() {
		if got := serve(b, e.App, "/bench/static"); len(got) != len(want) {
			b.Fatal("static response changed")
		}
	}
}

// BenchmarkCatalogueUncached renders every response (the generation is
// reread and the cache bypassed), to show what the cache saves.
func BenchmarkCatalogueUncached(b *testing.B) {
	e, _ := benchEnv(b)
	b.ResetTimer()
	for b.Loop() {
		e.mod.Handler.cache.invalidate()
		serve(b, e.App, benchPath)
	}
}
