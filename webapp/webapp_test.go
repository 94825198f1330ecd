package webapp

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/cybercampus/cybercampus/internal/web"
)

func newApp() (*fiber.App, *Handler) {
	a := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	h := NewHandler()
	h.Register(a)
	return a, h
}

func get(t *testing.T, a *fiber.App, path string, headers map[string]string) (int, http, []byte) {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := a.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, http{resp.Header.Get}, b
}

type http struct{ get func(string) string }

func TestServesTheApp(t *testing.T) {
	a, _ := newApp()
	tests := []struct {
		path, ctype string
	}{
		{"/app", "text/html; charset=utf-8"},
		{"/app/verify-email?token=abc", "text/html; charset=utf-8"},
		{"/app/reset-password?token=abc", "text/html; charset=utf-8"},
		{"/app/join?code=ABC", "text/html; charset=utf-8"},
		{"/app/?invitation=0b0f6a70-0000-4000-8000-000000000000", "text/html; charset=utf-8"},
		{"/app/app.js", "text/javascript; charset=utf-8"},
		{"/app/app.css", "text/css; charset=utf-8"},
		{"/app/sw.js", "text/javascript; charset=utf-8"},
		{"/app/i18n-ar.json", "application/json; charset=utf-8"},
		{"/app/manifest.webmanifest", "application/manifest+json; charset=utf-8"},
		{"/app/icon.svg", "image/svg+xml"},
		{"/app/icon-192.png", "image/png"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			status, h, body := get(t, a, tt.path, nil)
			if status != 200 || h.get("Content-Type") != tt.ctype || len(body) == 0 {
				t.Fatalf("%d %q (%d bytes)", status, h.get("Content-Type"), len(body))
			}
			if !strings.Contains(h.get("Content-Security-Policy"), "script-src 'self'") || h.get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("security headers: CSP %q", h.get("Content-Security-Policy"))
			}
			if h.get("Cache-Control") != "no-cache" || h.get("ETag") == "" {
				t.Fatalf("caching headers %q %q", h.get("Cache-Control"), h.get("ETag"))
			}
		})
	}
	for _, path := range []string{"/app/index.html", "/app/index.en.html", "/app/nope.js", "/app/..%2fwebapp.go", "/app/static"} {
		t.Run("404 "+path, func(t *testing.T) {
			if status, h, _ := get(t, a, path, nil); status != 404 || !strings.HasPrefix(h.get("Content-Type"), "application/problem+json") {
				t.Fatalf("%s: %d %s", path, status, h.get("Content-Type"))
			}
		})
	}
}

func TestPageLanguage(t *testing.T) {
	a, _ := newApp()
	tests := []struct {
		name, path, accept, want string
	}{
		{"default", "/app", "", `<html lang="en" dir="ltr">`},
		{"browser preference", "/app", "ar-EG,ar;q=0.9,en;q=0.5", `<html lang="ar" dir="rtl">`},
		{"browser preference among the six", "/app", "de-DE,fr;q=0.8", `<html lang="fr" dir="ltr">`},
		{"query wins", "/app?lang=zh", "ar", `<html lang="zh" dir="ltr">`},
		{"unknown query ignored", "/app?lang=xx", "ru", `<html lang="ru" dir="ltr">`},
		{"link page", "/app/verify-email?token=t", "es", `<html lang="es" dir="ltr">`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, h, body := get(t, a, tt.path, map[string]string{"Accept-Language": tt.accept})
			if !bytes.Contains(body, []byte(tt.want)) || h.get("Vary") == "" {
				t.Fatalf("page starts %.120q, Vary %q", body, h.get("Vary"))
			}
			if bytes.Contains(body, []byte("{{")) {
				t.Fatal("a placeholder was left in the page")
			}
		})
	}
}

func TestRevalidation(t *testing.T) {
	a, _ := newApp()
	_, h, _ := get(t, a, "/app/app.js", nil)
	status, _, body := get(t, a, "/app/app.js", map[string]string{"If-None-Match": h.get("ETag")})
	if status != 304 || len(body) != 0 {
		t.Fatalf("If-None-Match: %d with %d bytes", status, len(body))
	}
	if status, _, _ := get(t, a, "/app/app.js", map[string]string{"If-None-Match": `"old"`}); status != 200 {
		t.Fatalf("stale tag: %d", status)
	}
}

// TestServiceWorker checks that the worker precaches every file the app has
// (so nothing is missing offline) and carries the app's version.
func TestServiceWorker(t *testing.T) {
	a, h := newApp()
	_, hd, sw := get(t, a, "/app/sw.js", nil)
	if hd.get("Service-Worker-Allowed") != "/app" {
		t.Fatalf("Service-Worker-Allowed %q", hd.get("Service-Worker-Allowed"))
	}
	if !bytes.Contains(sw, []byte("'cc-shell-' + VERSION")) || !bytes.Contains(sw, []byte("const VERSION = '"+h.version+"'")) {
		t.Fatal("the worker does not carry the app's version")
	}
	listed := regexp.MustCompile(`'/app(/[^']*)?'`).FindAllString(string(sw), -1)
	var cached []string
	for _, l := range listed {
		cached = append(cached, strings.Trim(l, "'"))
	}
	for name := range h.Files() {
		if name == "sw.js" || strings.HasPrefix(name, "index") {
			continue
		}
		if !slices.Contains(cached, "/app/"+name) {
			t.Errorf("the service worker does not precache %s", name)
		}
	}
	if !slices.Contains(cached, "/app") {
		t.Error("the service worker does not precache the page")
	}
}

// TestTranslations: the six languages have the same keys with the same
// placeholders, and every key the scripts use exists.
func TestTranslations(t *testing.T) {
	_, h := newApp()
	files := h.Files()
	langs := map[string]map[string]string{}
	for _, l := range []string{"ar", "en", "es", "fr", "ru", "zh"} {
		var m map[string]string
		if err := json.Unmarshal(files["i18n-"+l+".json"], &m); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		langs[l] = m
	}
	ph := regexp.MustCompile(`\{\w+\}`)
	placeholders := func(s string) string { p := ph.FindAllString(s, -1); sort.Strings(p); return strings.Join(p, ",") }
	for l, m := range langs {
		if len(m) != len(langs["en"]) {
			t.Errorf("%s has %d strings, English %d", l, len(m), len(langs["en"]))
		}
		for k, en := range langs["en"] {
			v, ok := m[k]
			if !ok || strings.TrimSpace(v) == "" {
				t.Errorf("%s lacks %s", l, k)
			} else if placeholders(v) != placeholders(en) {
				t.Errorf("%s %s: placeholders %s, English %s", l, k, placeholders(v), placeholders(en))
			}
		}
	}
	used := regexp.MustCompile(`\bt\('([A-Za-z0-9.]+)'`)
	for name, b := range files {
		if !strings.HasSuffix(name, ".js") {
			continue
		}
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			if key := m[1]; !strings.HasSuffix(key, ".") && langs["en"][key] == "" {
				t.Errorf("%s uses the untranslated key %s", name, key)
			}
		}
	}
}

// budget is the most the app may weigh, gzip-compressed, for everything a
// first visit downloads: the page, its scripts and style sheet, and what the
// service worker then saves for offline use (every file of the app).
const budget = 200 * 1024

func TestFirstVisitBudget(t *testing.T) {
	_, h := newApp()
	total, raw := 0, 0
	names := make([]string, 0, len(h.files))
	for n := range h.Files() {
		if strings.HasPrefix(n, "index.") && n != "index.en.html" {
			continue // one page is served, in one language
		}
		if n == "index.html" {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		b := h.Files()[n]
		var buf bytes.Buffer
		w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		w.Write(b)
		w.Close()
		total += buf.Len()
		raw += len(b)
		t.Logf("%-24s %7d bytes, %6d gzipped", n, len(b), buf.Len())
	}
	t.Logf("first visit: %d bytes, %d gzipped (budget %d)", raw, total, budget)
	if total > budget {
		t.Fatalf("the app weighs %d bytes gzipped, over the %d budget", total, budget)
	}
}

func TestCompressed(t *testing.T) {
	a, h := newApp()
	status, hd, body := get(t, a, "/app/app.js", map[string]string{"Accept-Encoding": "gzip, deflate, br"})
	if status != 200 || hd.get("Content-Encoding") != "gzip" || !strings.HasSuffix(hd.get("ETag"), `-gz"`) {
		t.Fatalf("%d encoding %q etag %q", status, hd.get("Content-Encoding"), hd.get("ETag"))
	}
	r, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(r)
	if !bytes.Equal(plain, h.Files()["app.js"]) {
		t.Fatal("the gzipped body is not the file")
	}
	status, _, _ = get(t, a, "/app/app.js", map[string]string{"Accept-Encoding": "gzip", "If-None-Match": hd.get("ETag")})
	if status != 304 {
		t.Fatalf("revalidating the gzipped file: %d", status)
	}
}

func TestEmailLinksReachTheApp(t *testing.T) {
	a, _ := newApp()
	for path, want := range map[string]string{
		"/verify-email?token=a.b_c-d":   "/app/verify-email?token=a.b_c-d",
		"/reset-password?token=xyz&x=1": "/app/reset-password?token=xyz&x=1",
		"/reset-password":               "/app/reset-password",
	} {
		status, h, _ := get(t, a, path, nil)
		if status != 302 || h.get("Location") != want || h.get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d to %q", path, status, h.get("Location"))
		}
	}
}
