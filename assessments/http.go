package assessments

import (
	"github.com/gofiber/fiber/v2"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/courses"
	"github.com/cybercampus/cybercampus/internal/web"
)

// Handler serves the pre- and post-tests to enrolled learners and the item
// statistics to admins.
type Handler struct {
	store *Store
}

// NewHandler returns the assessment endpoints.
func NewHandler(store *Store) *Handler { return &Handler{store: store} }

// Register mounts the routes.
func (h *Handler) Register(r fiber.Router, a *web.Auth) {
	r.Get("/v1/courses/:slug/assessments/:kind", a.Required, h.test)
	r.Post("/v1/courses/:slug/assessments/:kind/attempts", a.Required, h.submit)
	r.Get("/v1/courses/:slug/item-statistics", a.Required, web.Role(cc.RoleAdmin), h.statistics)
}

// private marks a response as the caller's own data: never cached by proxies.
func private(c *fiber.Ctx) *fiber.Ctx {
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c
}

func (h *Handler) test(c *fiber.Ctx) error {
	kind, err := ParseKind(c.Params("kind"))
	if err != nil {
		return err
	}
	lang, err := courses.ParseLang(c.Query("lang"))
	if err != nil {
		return err
	}
	t, err := h.store.Test(c.UserContext(), web.MustPrincipal(c).UserID, c.Params("slug"), kind, lang)
	if err != nil {
		return err
	}
	return private(c).JSON(t)
}

func (h *Handler) submit(c *fiber.Ctx) error {
	kind, err := ParseKind(c.Params("kind"))
	if err != nil {
		return err
	}
	var r AttemptRequest
	if err := web.Bind(c, &r); err != nil {
		return err
	}
	a, replayed, err := h.store.Submit(c.UserContext(), web.MustPrincipal(c).UserID, c.Params("slug"), kind, r)
	if err != nil {
		return err
	}
	body := fiber.Map{"attempt": a, "score": a.Score}
	if replayed {
		return private(c).JSON(body) // 200: the attempt the client resent, counted once
	}
	return private(c).Status(fiber.StatusCreated).JSON(body)
}

func (h *Handler) statistics(c *fiber.Ctx) error {
	st, err := h.store.ItemStatistics(c.UserContext(), c.Params("slug"))
	if err != nil {
		return err
	}
	return private(c).JSON(st)
}
