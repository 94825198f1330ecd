package surveys

import (
	"github.com/gofiber/fiber/v2"

	"github.com/cybercampus/cybercampus/internal/web"
)

// Handler serves a learner's surveys and takes their responses.
type Handler struct {
	store *Store
}

// NewHandler returns the survey endpoints.
func NewHandler(store *Store) *Handler { return &Handler{store: store} }

// Register mounts the routes; both act on the caller's own surveys only.
func (h *Handler) Register(r fiber.Router, a *web.Auth) {
	r.Get("/v1/me/surveys", a.Required, h.waiting)
	r.Post("/v1/surveys/:id/responses", a.Required, h.respond)
}

func private(c *fiber.Ctx) *fiber.Ctx {
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c
}

func (h *Handler) waiting(c *fiber.Ctx) error {
	p, after, err := web.CursorPaging(c)
	if err != nil {
		return err
	}
	items, err := h.store.Waiting(c.UserContext(), web.MustPrincipal(c).UserID, after, p.Limit)
	if err != nil {
		return err
	}
	return private(c).JSON(web.NewPage(items, p.Limit, func(s Survey) any { return web.Cursor{At: s.DueAt, ID: s.ID} }))
}

func (h *Handler) respond(c *fiber.Ctx) error {
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var r ResponseRequest
	if err := web.Bind(c, &r); err != nil {
		return err
	}
	res, replayed, err := h.store.Respond(c.UserContext(), web.MustPrincipal(c).UserID, id, r)
	if err != nil {
		return err
	} else if replayed {
		return private(c).JSON(res) // 200: the response the client resent, counted once
	}
	return private(c).Status(fiber.StatusCreated).JSON(res)
}
