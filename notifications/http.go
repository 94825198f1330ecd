package notifications

import (
	"github.com/gofiber/fiber/v2"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/web"
)

// Handler serves a user's own notifications.
type Handler struct {
	store *Store
}

// NewHandler returns the notification endpoints.
func NewHandler(store *Store) *Handler { return &Handler{store: store} }

// Register mounts the routes; both need a signed-in user and act on the
// caller's own notifications only.
func (h *Handler) Register(r fiber.Router, a *web.Auth) {
	r.Get("/v1/me/notifications", a.Required, h.list)
	r.Post("/v1/me/notifications/:id/read", a.Required, h.read)
}

func (h *Handler) list(c *fiber.Ctx) error {
	p, after, err := web.CursorPaging(c)
	if err != nil {
		return err
	}
	unread, err := boolQuery(c, "unread")
	if err != nil {
		return err
	}
	items, err := h.store.List(c.UserContext(), web.MustPrincipal(c).UserID, unread, after, p.Limit)
	if err != nil {
		return err
	}
	return private(c).JSON(web.NewPage(items, p.Limit, func(n Notification) any { return web.Cursor{At: n.CreatedAt, ID: n.ID} }))
}

func (h *Handler) read(c *fiber.Ctx) error {
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	n, err := h.store.MarkRead(c.UserContext(), web.MustPrincipal(c).UserID, id)
	if err != nil {
		return err
	}
	return private(c).JSON(n)
}

// boolQuery reads an optional true/false query parameter; anything else is a 400.
func boolQuery(c *fiber.Ctx, name string) (bool, error) {
	switch c.Query(name) {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	}
	return false, cc.FieldErr(cc.EBADREQUEST, name+" must be true or false.", name, "must be true or false")
}

// private marks a response as the caller's own data: never cached by proxies.
func private(c *fiber.Ctx) *fiber.Ctx {
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c
}
