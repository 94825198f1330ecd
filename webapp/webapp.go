// Package webapp serves the learners' and trainers' web app at /app: an
// installable, offline-first app made of plain files embedded in the program
// (ES modules, a style sheet, translations, a manifest, icons and a service
// worker), with no build step and nothing loaded from elsewhere.
package webapp

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	cc "github.com/cybercampus/cybercampus"
)

//go:embed static
var static embed.FS

// csp allows only the app's own files and calls to this API; video lessons
// may play from any HTTPS host, and certificates' PDFs open as blob: URLs.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"media-src https:; connect-src 'self'; manifest-src 'self'; worker-src 'self'; " +
	"frame-src blob:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

var types = map[string]string{
	".html":        "text/html; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".json":        "application/json; charset=utf-8",
	".webmanifest": "application/manifest+json; charset=utf-8",
	".svg":         "image/svg+xml",
	".png":         "image/png",
}

// linkPages are where emailed links land; each shows the app, which reads
// the token or code from the query.
var linkPages = []string{"verify-email", "reset-password", "join"}

// file is one embedded file ready to send, also gzip-compressed once at
// start, since phones on slow connections are who the app is for.
type file struct {
	body  []byte
	gz    []byte
	ctype string
	etag  string
}

// Handler serves the app's page and files.
type Handler struct {
	files   map[string]file
	version string
}

// NewHandler loads the embedded files. The service worker carries a version
// made from every file, so that a changed app replaces the cached one.
func NewHandler() *Handler {
	h := &Handler{files: map[string]file{}}
	sum := sha256.New()
	names, _ := fs.Glob(static, "static/*")
	slices.Sort(names)
	for _, n := range names {
		b, _ := static.ReadFile(n)
		sum.Write([]byte(n))
		sum.Write(b)
		h.add(path.Base(n), b)
	}
	h.version = hex.EncodeToString(sum.Sum(nil))[:12]
	page := string(h.files["index.html"].body)
	for l, msg := range noscript {
		dir := "ltr"
		if l == "ar" {
			dir = "rtl"
		}
		h.add("index."+l+".html", []byte(strings.NewReplacer("{{lang}}", l, "{{dir}}", dir, "{{noscript}}", msg).Replace(page)))
	}
	sw := h.files["sw.js"]
	h.add("sw.js", []byte(strings.ReplaceAll(string(sw.body), "__VERSION__", h.version)))
	return h
}

func (h *Handler) add(name string, b []byte) {
	s := sha256.Sum256(b)
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	w.Write(b)
	w.Close()
	h.files[name] = file{body: b, gz: gz.Bytes(), ctype: types[path.Ext(name)], etag: hex.EncodeToString(s[:12])}
}

// Files lists the names of the app's files (for size budgets and tests).
func (h *Handler) Files() map[string][]byte {
	out := make(map[string][]byte, len(h.files))
	for n, f := range h.files {
		out[n] = f.body
	}
	return out
}

// Register mounts /app and its files, and the short addresses that account
// emails may link to.
func (h *Handler) Register(r fiber.Router) {
	r.Get("/app", h.page)
	r.Get("/app/:file", h.asset)
	r.Get("/verify-email", toApp)
	r.Get("/reset-password", toApp)
}

// toApp sends a link from an email (/verify-email?token=...) to its page in
// the app, query and all.
func toApp(c *fiber.Ctx) error {
	target := "/app" + c.Path()
	if q := string(c.Request().URI().QueryString()); q != "" {
		target += "?" + q
	}
	c.Set("Referrer-Policy", "no-referrer") // the token must not travel further
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(target, fiber.StatusFound)
}

func (h *Handler) page(c *fiber.Ctx) error {
	c.Vary(fiber.HeaderAcceptLanguage)
	return h.send(c, "index."+pageLang(c)+".html")
}

// noscript is what the page says, in its language, to a browser without scripts.
var noscript = map[string]string{
	"ar": "يتطلب CyberCampus تفعيل JavaScript.",
	"en": "CyberCampus needs JavaScript to be switched on.",
	"es": "CyberCampus necesita JavaScript activado.",
	"fr": "CyberCampus a besoin que JavaScript soit activé.",
	"ru": "Для работы CyberCampus включите JavaScript.",
	"zh": "CyberCampus 需要启用 JavaScript。",
}

// pageLang is the language the page is served in: ?lang=, else the browser's
// preference among the six, else English.
func pageLang(c *fiber.Ctx) string {
	if l := c.Query("lang"); cc.OneOf(l, cc.Languages) {
		return l
	}
	if c.Get(fiber.HeaderAcceptLanguage) == "" {
		return "en"
	}
	// English first, so that "*" picks it.
	if l := c.AcceptsLanguages("en", "ar", "es", "fr", "ru", "zh"); l != "" {
		return l
	}
	return "en"
}

func (h *Handler) asset(c *fiber.Ctx) error {
	name := c.Params("file")
	if slices.Contains(linkPages, name) {
		return h.page(c)
	}
	if _, ok := h.files[name]; !ok || strings.HasPrefix(name, "index.") {
		return cc.Errorf(cc.ENOTFOUND, "No such file.")
	}
	return h.send(c, name)
}

// send answers with a file, or a 304 when the browser holds this version.
// Everything is revalidated (no-cache) because the service worker, not the
// HTTP cache, keeps the app for offline use.
func (h *Handler) send(c *fiber.Ctx, name string) error {
	f := h.files[name]
	c.Set(fiber.HeaderContentSecurityPolicy, csp)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Vary(fiber.HeaderAcceptEncoding)
	if name == "sw.js" {
		c.Set("Service-Worker-Allowed", "/app") // the worker controls /app as well as /app/...
	}
	body, etag := f.body, `"`+f.etag+`"`
	if strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
		body, etag = f.gz, `"`+f.etag+`-gz"` // each encoding is its own representation
		c.Set(fiber.HeaderContentEncoding, "gzip")
	}
	c.Set(fiber.HeaderETag, etag)
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		c.Response().Header.Del(fiber.HeaderContentEncoding)
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, f.ctype)
	return c.Send(body)
}
