package learners

import (
	"github.com/gofiber/fiber/v2"

	"github.com/cybercampus/cybercampus/internal/web"
)

// LearningHandler serves enrollment, progress and quiz attempts.
// Every route acts on the caller's own records only.
type LearningHandler struct {
	store *LearningStore
}

// NewLearningHandler returns the learning endpoints.
func NewLearningHandler(store *LearningStore) *LearningHandler {
	return &LearningHandler{store: store}
}

// Register mounts the routes; all need a signed-in user.
func (h *LearningHandler) Register(r fiber.Router, a *web.Auth) {
	r.Post("/v1/courses/:slug/enrollments", a.Required, h.enroll)
	r.Get("/v1/me/enrollments", a.Required, h.enrollments)
	r.Get("/v1/me/courses/:slug/progress", a.Required, h.courseProgress)
	r.Post("/v1/progress", a.Required, h.progress)
	r.Post("/v1/quizzes/:id/attempts", a.Required, h.submitAttempt)
	r.Get("/v1/quizzes/:id/attempts", a.Required, h.attempts)
}

func (h *LearningHandler) enroll(c *fiber.Ctx) error {
	e, created, err := h.store.Enroll(c.UserContext(), web.MustPrincipal(c).UserID, c.Params("slug"))
	if err != nil {
		return err
	}
	if created {
		c.Status(fiber.StatusCreated)
	}
	return c.JSON(e)
}

func (h *LearningHandler) enrollments(c *fiber.Ctx) error {
	p, after, err := web.CursorPaging(c)
	if err != nil {
		return err
	}
	items, err := h.store.Enrollments(c.UserContext(), web.MustPrincipal(c).UserID, after, p.Limit)
	if err != nil {
		return err
	}
	return private(c).JSON(web.NewPage(items, p.Limit, func(e Enrollment) any { return web.Cursor{At: e.EnrolledAt, ID: e.ID} }))
}

// private marks a response as the caller's own data: never cached by proxies.
func private(c *fiber.Ctx) *fiber.Ctx {
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c
}

func (h *LearningHandler) courseProgress(c *fiber.Ctx) error {
	p, err := h.store.CourseProgress(c.UserContext(), web.MustPrincipal(c).UserID, c.Params("slug"))
	if err != nil {
		return err
	}
	return private(c).JSON(p)
}

func (h *LearningHandler) progress(c *fiber.Ctx) error {
	var b ProgressBatch
	if err := web.Bind(c, &b); err != nil {
		return err
	}
	res, err := h.store.RecordProgress(c.UserContext(), web.MustPrincipal(c).UserID, b)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func (h *LearningHandler) submitAttempt(c *fiber.Ctx) error {
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var r AttemptRequest
	if err := web.Bind(c, &r); err != nil {
		return err
	}
	res, replayed, err := h.store.SubmitAttempt(c.UserContext(), web.MustPrincipal(c).UserID, id, r.ID, r.Answers)
	if err != nil {
		return err
	} else if replayed {
		return private(c).JSON(res) // 200: the attempt the client resent, spending nothing
	}
	return private(c).Status(fiber.StatusCreated).JSON(res)
}

func (h *LearningHandler) attempts(c *fiber.Ctx) error {
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var before attemptCursor
	p, err := web.Paging(c, &before)
	if err != nil {
		return err
	}
	items, err := h.store.Attempts(c.UserContext(), web.MustPrincipal(c).UserID, id, before.N, p.Limit)
	if err != nil {
		return err
	}
	return private(c).JSON(web.NewPage(items, p.Limit, func(a Attempt) any { return map[string]int{"n": a.AttemptNumber} }))
}

// attemptCursor is the attempts list's position: the number of the last
// attempt shown (attempts are numbered from 1, newest first).
type attemptCursor struct {
	N int `json:"n"`
}

// Valid reports whether the cursor names an attempt; `{}` or a number below 1
// is not a cursor this server issued.
func (a *attemptCursor) Valid() bool { return a.N >= 1 }
