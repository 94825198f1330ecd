package learners

import (
	"github.com/gofiber/fiber/v2"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/ratelimit"
	"github.com/cybercampus/cybercampus/internal/web"
)

// PupilHandler serves schools' pupil accounts (made by trainers, signed in
// with a username), their sign-in cards, and their guardians.
type PupilHandler struct {
	store   *CohortStore
	limiter *ratelimit.Limiter
	baseURL string
	// Limits bound guardian-code guessing, as join codes are bounded.
	Limits JoinLimits
}

// NewPupilHandler returns the pupil and guardian endpoints; baseURL is the
// public origin printed on sign-in cards and in verify URLs.
func NewPupilHandler(store *CohortStore, limiter *ratelimit.Limiter, baseURL string) *PupilHandler {
	return &PupilHandler{store: store, limiter: limiter, baseURL: baseURL, Limits: DefaultJoinLimits}
}

// Register mounts the routes.
func (h *PupilHandler) Register(r fiber.Router, a *web.Auth) {
	staff := func(h fiber.Handler) []fiber.Handler {
		return []fiber.Handler{a.Required, web.Role(cc.RoleTrainer, cc.RoleAdmin), h}
	}
	r.Post("/v1/cohorts/:id/learners", staff(h.create)...)
	r.Get("/v1/cohorts/:id/sign-in-cards", staff(h.cards)...)
	r.Post("/v1/cohorts/:id/learners/:user_id/password", staff(h.password)...)
	r.Post("/v1/cohorts/:id/learners/:user_id/guardian-code", staff(h.guardianCode)...)
	r.Post("/v1/me/children", a.Required, h.link)
	r.Get("/v1/me/children", a.Required, h.children)
	r.Delete("/v1/me/children/:user_id", a.Required, h.withdraw)
}

func (h *PupilHandler) create(c *fiber.Ctx) error {
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	// Someone else's cohort is a 404 whatever the body says.
	if _, err := h.store.Cohort(c.UserContext(), web.MustPrincipal(c), id); err != nil {
		return err
	}
	var r PupilsRequest
	if err := web.Bind(c, &r); err != nil {
		return err
	}
	out, err := h.store.CreatePupils(c.UserContext(), web.MustPrincipal(c), id, r)
	if err != nil {
		return err
	}
	return private(c).Status(fiber.StatusCreated).JSON(fiber.Map{"learners": out})
}

func (h *PupilHandler) cards(c *fiber.Ctx) error {
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	cohort, pupils, err := h.store.CardPupils(c.UserContext(), web.MustPrincipal(c), id)
	if err != nil {
		return err
	}
	doc, err := renderSignInCards(cohort, pupils, h.baseURL)
	if err != nil {
		return err
	}
	private(c).Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="cohort-`+id+`-sign-in-cards.pdf"`)
	return c.Send(doc)
}

// cohortAndUser reads the {id} and {user_id} path parameters.
func cohortAndUser(c *fiber.Ctx) (string, string, error) {
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return "", "", err
	}
	userID, err := web.UUIDParam(c, "user_id")
	return id, userID, err
}

func (h *PupilHandler) password(c *fiber.Ctx) error {
	id, userID, err := cohortAndUser(c)
	if err != nil {
		return err
	}
	pw, err := h.store.ResetPupilPassword(c.UserContext(), web.MustPrincipal(c), id, userID)
	if err != nil {
		return err
	}
	return private(c).JSON(fiber.Map{"password": pw})
}

func (h *PupilHandler) guardianCode(c *fiber.Ctx) error {
	id, userID, err := cohortAndUser(c)
	if err != nil {
		return err
	}
	gc, err := h.store.NewGuardianCode(c.UserContext(), web.MustPrincipal(c), id, userID)
	if err != nil {
		return err
	}
	return private(c).Status(fiber.StatusCreated).JSON(gc)
}

func (h *PupilHandler) link(c *fiber.Ctx) error {
	p := web.MustPrincipal(c)
	var r LinkRequest
	if err := web.Bind(c, &r); err != nil {
		return err
	}
	if err := h.limitGuess(c, p.UserID); err != nil {
		return err
	}
	if err := h.store.LinkGuardian(c.UserContext(), p.UserID, r.Code); err != nil {
		return err
	}
	return h.children(c)
}

// limitGuess counts a guardian-code try against the caller's and the
// address's limits before the code is looked at, as join codes are counted.
func (h *PupilHandler) limitGuess(c *fiber.Ctx, userID string) error {
	return h.Limits.take(c, h.limiter, "guardian-code", userID,
		"Too many codes tried; wait a while, then check the code with the teacher.",
		"Too many codes tried from this network; try again later.")
}

func (h *PupilHandler) children(c *fiber.Ctx) error {
	p, after, err := web.CursorPaging(c)
	if err != nil {
		return err
	}
	items, err := h.store.Children(c.UserContext(), web.MustPrincipal(c).UserID, h.baseURL, after, p.Limit)
	if err != nil {
		return err
	}
	return private(c).JSON(web.NewPage(items, p.Limit, func(ch Child) any { return web.Cursor{At: ch.LinkedAt, ID: ch.UserID} }))
}

func (h *PupilHandler) withdraw(c *fiber.Ctx) error {
	userID, err := web.UUIDParam(c, "user_id")
	if err != nil {
		return err
	}
	if err := h.store.WithdrawConsent(c.UserContext(), web.MustPrincipal(c).UserID, userID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
