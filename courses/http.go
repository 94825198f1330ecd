package courses

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/web"
)

// CatalogueRecheck is how often an instance rereads the catalogue generation:
// other instances' course writes show within about this long.
const CatalogueRecheck = time.Second

// Handler serves the catalogue, course outlines, lessons, quizzes and the
// admin course writes.
type Handler struct {
	store *Store
	cache *responseCache
}

// NewHandler returns the course endpoints over store, with a response cache
// that rechecks the catalogue generation at most once per cacheEvery.
func NewHandler(store *Store, cacheEvery time.Duration) *Handler {
	return &Handler{store: store, cache: newResponseCache(store.db, cacheEvery)}
}

// Register mounts the routes.
func (h *Handler) Register(r fiber.Router, a *web.Auth) {
	admin := []fiber.Handler{a.Required, web.Role(cc.RoleAdmin)}
	r.Get("/v1/courses", h.list)
	r.Post("/v1/courses", append(admin, h.create)...)
	r.Get("/v1/courses/:slug", a.Optional, h.outline)
	r.Put("/v1/courses/:slug", append(admin, h.replace)...)
	r.Post("/v1/courses/:slug/publish", append(admin, h.publish)...)
	r.Post("/v1/courses/:slug/archive", append(admin, h.archive)...)
	r.Get("/v1/courses/:slug/lessons/:lesson_id", a.Required, h.lesson)
	r.Get("/v1/courses/:slug/package", a.Required, h.coursePackage)
	r.Get("/v1/quizzes/:id", a.Required, h.quiz)
}

func (h *Handler) list(c *fiber.Ctx) error {
	var p ListParams
	page, err := web.Paging(c, &p.Cursor)
	if err != nil {
		return err
	}
	p.Audience, p.Level, p.Language = c.Query("audience"), c.Query("level"), c.Query("language")
	p.Q, p.Limit = normalizeQuery(c.Query("q")), page.Limit
	p.Accessibility = ParseFeatures(c.Query("accessibility"))
	if err := p.Validate(); err != nil {
		return err
	}
	ctx := c.UserContext()
	r, err := h.cache.get(ctx, p.cacheKey(page.Cursor), func() ([]byte, error) {
		items, err := h.store.List(ctx, p)
		if err != nil {
			return nil, err
		}
		return json.Marshal(items)
	})
	if err != nil {
		return err
	}
	return sendRendered(c, r)
}

func (h *Handler) outline(c *fiber.Ctx) error {
	lang, err := ParseLang(c.Query("lang"))
	if err != nil {
		return err
	}
	sel, err := ParseVersionSelector(c.Query("version"))
	if err != nil {
		return err
	}
	slug := c.Params("slug")
	if !sel.Public() {
		return h.staffOutline(c, slug, sel, lang)
	}
	ctx := c.UserContext()
	r, err := h.cache.get(ctx, "outline\x00"+slug+"\x00"+lang, func() ([]byte, error) {
		o, err := h.store.Outline(ctx, slug, sel, lang)
		if err != nil {
			return nil, err
		}
		return json.Marshal(o)
	})
	if err != nil {
		return err
	}
	return sendRendered(c, r)
}

// staffOutline serves a draft or an earlier version: never cached, never public.
func (h *Handler) staffOutline(c *fiber.Ctx, slug string, sel VersionSelector, lang string) error {
	p, ok := web.PrincipalOf(c)
	if !ok {
		return cc.Errorf(cc.EUNAUTHORIZED, "Authentication is required to read a version other than the published one.")
	}
	if !p.IsStaff() {
		return cc.Errorf(cc.EFORBIDDEN, "Only trainers and admins may read a version other than the published one.")
	}
	o, err := h.store.Outline(c.UserContext(), slug, sel, lang)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.JSON(o)
}

func (h *Handler) lesson(c *fiber.Ctx) error {
	lang, err := ParseLang(c.Query("lang"))
	if err != nil {
		return err
	}
	id, err := web.UUIDParam(c, "lesson_id")
	if err != nil {
		return err
	}
	l, err := h.store.Lesson(c.UserContext(), web.MustPrincipal(c), c.Params("slug"), id, lang)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.JSON(l)
}

func (h *Handler) quiz(c *fiber.Ctx) error {
	lang, err := ParseLang(c.Query("lang"))
	if err != nil {
		return err
	}
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	q, err := h.store.Quiz(c.UserContext(), web.MustPrincipal(c), id, lang)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.JSON(q)
}

// documentBody parses a course document sent as JSON or YAML.
func documentBody(c *fiber.Ctx) (*Parsed, error) {
	mt := web.MediaType(c)
	switch {
	case mt == fiber.MIMEApplicationJSON || strings.HasSuffix(mt, "+json"):
		return ParseDocument(c.Body(), FormatJSON)
	case mt == "application/yaml" || mt == "application/x-yaml" || mt == "text/yaml":
		return ParseDocument(c.Body(), FormatYAML)
	}
	return nil, cc.Errorf(cc.EUNSUPPORTED, "Send the course document as JSON (application/json) or YAML (application/yaml).")
}

func (h *Handler) create(c *fiber.Ctx) error {
	p, err := documentBody(c)
	if err != nil {
		return err
	}
	res, err := h.store.Import(c.UserContext(), p, ImportOptions{Mode: ModeCreate})
	if err != nil {
		return err
	}
	h.cache.invalidate()
	c.Location("/v1/courses/" + p.Doc.Slug)
	return h.sendVersion(c.Status(fiber.StatusCreated), p.Doc.Slug, res.Version)
}

func (h *Handler) replace(c *fiber.Ctx) error {
	p, err := documentBody(c)
	if err != nil {
		return err
	}
	slug := c.Params("slug")
	if p.Doc.Slug != slug {
		return cc.FieldErr(cc.EINVALID, "The course document is invalid.", "slug", "must equal the slug in the path ("+slug+")")
	}
	res, err := h.store.Import(c.UserContext(), p, ImportOptions{Mode: ModeReplace})
	if err != nil {
		return err
	}
	h.cache.invalidate()
	if res.Change == ChangeNewVersion {
		c.Status(fiber.StatusCreated)
	}
	return h.sendVersion(c, slug, res.Version)
}

func (h *Handler) publish(c *fiber.Ctx) error {
	slug := c.Params("slug")
	if err := h.store.Publish(c.UserContext(), slug); err != nil {
		return err
	}
	h.cache.invalidate()
	o, err := h.store.Outline(c.UserContext(), slug, VersionSelector{}, "")
	if err != nil {
		return err
	}
	return c.JSON(o)
}

func (h *Handler) archive(c *fiber.Ctx) error {
	slug := c.Params("slug")
	if err := h.store.Archive(c.UserContext(), slug); err != nil {
		return err
	}
	h.cache.invalidate()
	return h.sendVersion(c, slug, 0)
}

// sendVersion answers an admin write with the outline of the version it
// touched (0: the latest), in the default language.
func (h *Handler) sendVersion(c *fiber.Ctx, slug string, version int) error {
	sel := VersionSelector{Kind: "latest"}
	if version > 0 {
		sel = VersionSelector{Kind: "number", Number: version}
	}
	o, err := h.store.Outline(c.UserContext(), slug, sel, "")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(o)
}
