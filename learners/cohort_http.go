package learners

import (
	"bytes"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/spreadsheet"
	"github.com/cybercampus/cybercampus/internal/web"
)

// CohortHandler serves trainers' cohorts. Every route needs the trainer or
// admin role; a trainer sees only the cohorts they own.
type CohortHandler struct {
	store *CohortStore
}

// NewCohortHandler returns the cohort endpoints.
func NewCohortHandler(store *CohortStore) *CohortHandler {
	return &CohortHandler{store: store}
}

// Register mounts the routes.
func (h *CohortHandler) Register(r fiber.Router, a *web.Auth) {
	staff := func(h fiber.Handler) []fiber.Handler {
		return []fiber.Handler{a.Required, web.Role(cc.RoleTrainer, cc.RoleAdmin), h}
	}
	r.Post("/v1/cohorts", staff(h.create)...)
	r.Get("/v1/cohorts", staff(h.list)...)
	r.Get("/v1/cohorts/:id", staff(h.get)...)
	r.Post("/v1/cohorts/:id/members", staff(h.addMembers)...)
	r.Get("/v1/cohorts/:id/progress", staff(h.progress)...)
}

func (h *CohortHandler) create(c *fiber.Ctx) error {
	var r CohortCreate
	if err := web.Bind(c, &r); err != nil {
		return err
	}
	cohort, err := h.store.CreateCohort(c.UserContext(), web.MustPrincipal(c).UserID, r)
	if err != nil {
		return err
	}
	c.Location("/v1/cohorts/" + cohort.ID)
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"cohort": cohort})
}

func (h *CohortHandler) list(c *fiber.Ctx) error {
	var after keyset
	p, err := web.Paging(c, &after)
	if err != nil {
		return err
	}
	items, err := h.store.Cohorts(c.UserContext(), web.MustPrincipal(c), cursorOrNil(p, &after), p.Limit)
	if err != nil {
		return err
	}
	return private(c).JSON(web.NewPage(items, p.Limit, func(h Cohort) any { return keyset{h.CreatedAt, h.ID} }))
}

func (h *CohortHandler) get(c *fiber.Ctx) error {
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	cohort, err := h.store.Cohort(c.UserContext(), web.MustPrincipal(c), id)
	if err != nil {
		return err
	}
	return private(c).JSON(cohort)
}

func (h *CohortHandler) addMembers(c *fiber.Ctx) error {
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	// The cohort is checked before the body is read, so that someone else's
	// cohort is a 404 whatever was uploaded to it.
	if _, err := h.store.Cohort(c.UserContext(), web.MustPrincipal(c), id); err != nil {
		return err
	}
	list, err := readMembers(c)
	if err != nil {
		return err
	}
	res, err := h.store.AddMembers(c.UserContext(), web.MustPrincipal(c), id, list)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// readMembers reads a member list sent as JSON or as CSV.
func readMembers(c *fiber.Ctx) (memberList, error) {
	if web.MediaType(c) == "text/csv" {
		return memberCSV(c.Body())
	}
	var r MembersRequest
	if err := web.Bind(c, &r); err != nil {
		return memberList{}, err
	}
	return memberEmails(r.Emails), nil
}

func (h *CohortHandler) progress(c *fiber.Ctx) error {
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	csv, err := wantsCSV(c)
	if err != nil {
		return err
	}
	p, err := h.store.Progress(c.UserContext(), web.MustPrincipal(c), id)
	if err != nil {
		return err
	}
	private(c)
	if !csv {
		return c.JSON(p)
	}
	return sendProgressCSV(c, p)
}

// wantsCSV reads ?format (csv or json), falling back to the Accept header.
func wantsCSV(c *fiber.Ctx) (bool, error) {
	switch c.Query("format") {
	case "csv":
		return true, nil
	case "json":
		return false, nil
	case "":
		return c.Accepts(fiber.MIMEApplicationJSON, "text/csv") == "text/csv", nil
	}
	return false, &cc.Error{Code: cc.EBADREQUEST, Message: "format must be csv or json.",
		Fields: []cc.FieldError{{Field: "format", Message: "must be csv or json"}}}
}

func sendProgressCSV(c *fiber.Ctx, p CohortProgress) error {
	var buf bytes.Buffer
	w, err := spreadsheet.NewWriter(&buf)
	if err != nil {
		return err
	}
	if err := w.Write([]string{"user_id", "name", "email", "progress_percent", "last_activity_at", "completed_at", "certified"}); err != nil {
		return err
	}
	for _, m := range p.Members {
		row := []string{m.UserID, m.Name, m.Email, strconv.Itoa(m.ProgressPercent),
			timeCell(m.LastActivityAt), timeCell(m.CompletedAt), strconv.FormatBool(m.Certified)}
		if err := w.Write(row); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, spreadsheet.ContentType)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="cohort-`+p.Cohort.ID+`-progress.csv"`)
	return c.Send(buf.Bytes())
}

func timeCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
