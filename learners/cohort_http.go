package learners

import (
	"bytes"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/ratelimit"
	"github.com/cybercampus/cybercampus/internal/spreadsheet"
	"github.com/cybercampus/cybercampus/internal/web"
)

// CohortHandler serves trainers' cohorts and learners' side of them
// (invitations, join codes). Managing a cohort needs the trainer or admin
// role, and a trainer manages only the cohorts they own.
type CohortHandler struct {
	store   *CohortStore
	limiter *ratelimit.Limiter
	// Limits bound join-code guessing; see DefaultJoinLimits.
	Limits JoinLimits
}

// JoinLimits bound how many join codes may be tried per window, by one
// account and from one address. Every try counts, right or wrong, so the
// count and the check are one atomic step.
type JoinLimits struct {
	PerUser int
	PerIP   int
	Window  time.Duration
}

// DefaultJoinLimits let a learner mistype a few times; the address limit is
// higher because a whole classroom often shares one address.
var DefaultJoinLimits = JoinLimits{PerUser: 10, PerIP: 300, Window: 15 * time.Minute}

// NewCohortHandler returns the cohort endpoints.
func NewCohortHandler(store *CohortStore, limiter *ratelimit.Limiter) *CohortHandler {
	return &CohortHandler{store: store, limiter: limiter, Limits: DefaultJoinLimits}
}

// Register mounts the routes.
func (h *CohortHandler) Register(r fiber.Router, a *web.Auth) {
	staff := func(h fiber.Handler) []fiber.Handler {
		return []fiber.Handler{a.Required, web.Role(cc.RoleTrainer, cc.RoleAdmin), h}
	}
	r.Post("/v1/cohorts", staff(h.create)...)
	r.Get("/v1/cohorts", staff(h.list)...)
	r.Post("/v1/cohorts/join", a.Required, h.join)
	r.Get("/v1/cohorts/:id", staff(h.get)...)
	r.Patch("/v1/cohorts/:id", staff(h.update)...)
	r.Post("/v1/cohorts/:id/archive", staff(h.archive)...)
	r.Post("/v1/cohorts/:id/members", staff(h.invite)...)
	r.Delete("/v1/cohorts/:id/members/:user_id", staff(h.removeMember)...)
	r.Post("/v1/cohorts/:id/join-code", staff(h.joinCode)...)
	r.Get("/v1/cohorts/:id/progress", staff(h.progress)...)
	r.Get("/v1/me/invitations", a.Required, h.invitations)
	r.Post("/v1/invitations/:id/accept", a.Required, h.accept)
	r.Post("/v1/invitations/:id/decline", a.Required, h.decline)
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
	p, after, err := web.CursorPaging(c)
	if err != nil {
		return err
	}
	items, err := h.store.Cohorts(c.UserContext(), web.MustPrincipal(c), after, p.Limit)
	if err != nil {
		return err
	}
	return private(c).JSON(web.NewPage(items, p.Limit, func(h Cohort) any { return web.Cursor{At: h.CreatedAt, ID: h.ID} }))
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

func (h *CohortHandler) update(c *fiber.Ctx) error {
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	if _, err := h.store.Cohort(c.UserContext(), web.MustPrincipal(c), id); err != nil {
		return err
	}
	var r CohortUpdate
	if err := web.Bind(c, &r); err != nil {
		return err
	}
	cohort, err := h.store.UpdateCohort(c.UserContext(), web.MustPrincipal(c), id, r)
	if err != nil {
		return err
	}
	return private(c).JSON(fiber.Map{"cohort": cohort})
}

func (h *CohortHandler) archive(c *fiber.Ctx) error {
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	cohort, err := h.store.ArchiveCohort(c.UserContext(), web.MustPrincipal(c), id)
	if err != nil {
		return err
	}
	return private(c).JSON(fiber.Map{"cohort": cohort})
}

func (h *CohortHandler) invite(c *fiber.Ctx) error {
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
	res, err := h.store.Invite(c.UserContext(), web.MustPrincipal(c), id, list)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func (h *CohortHandler) removeMember(c *fiber.Ctx) error {
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	if _, err := h.store.Cohort(c.UserContext(), web.MustPrincipal(c), id); err != nil {
		return err
	}
	userID, err := web.UUIDParam(c, "user_id")
	if err != nil {
		return err
	}
	if err := h.store.RemoveMember(c.UserContext(), web.MustPrincipal(c), id, userID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *CohortHandler) joinCode(c *fiber.Ctx) error {
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	jc, err := h.store.NewJoinCode(c.UserContext(), web.MustPrincipal(c), id)
	if err != nil {
		return err
	}
	return private(c).Status(fiber.StatusCreated).JSON(jc)
}

func (h *CohortHandler) join(c *fiber.Ctx) error {
	p := web.MustPrincipal(c)
	var r JoinRequest
	if err := web.Bind(c, &r); err != nil {
		return err
	}
	if err := h.limitJoin(c, p.UserID); err != nil {
		return err
	}
	if !p.Has(cc.RoleLearner) {
		return learnersOnly()
	}
	cohort, err := h.store.JoinByCode(c.UserContext(), p, r.Code)
	if err != nil {
		return err
	}
	return private(c).JSON(fiber.Map{"cohort": cohort})
}

// limitJoin counts a join-code try against the caller's and the address's
// limits before the code is looked at, so that guessing is slowed whatever
// the codes tried. A body that is not even a request names no code, so it is
// refused before it counts.
func (h *CohortHandler) limitJoin(c *fiber.Ctx, userID string) error {
	return h.Limits.take(c, h.limiter, "join-code", userID,
		"Too many join codes tried; wait a while, then check the code with your trainer.",
		"Too many join codes tried from this network; try again later.")
}

// take counts one guess of a kind of code against the caller's limit and the
// address's, answering 429 with the message of whichever is spent.
func (l JoinLimits) take(c *fiber.Ctx, limiter *ratelimit.Limiter, kind, userID, userMsg, ipMsg string) error {
	if res := limiter.Take(c.UserContext(), kind+"-user", userID, l.PerUser, l.Window); !res.Allowed {
		return cc.TooMany(res.RetryAfter, userMsg)
	}
	if res := limiter.Take(c.UserContext(), kind+"-ip", c.IP(), l.PerIP, l.Window); !res.Allowed {
		return cc.TooMany(res.RetryAfter, ipMsg)
	}
	return nil
}

func (h *CohortHandler) invitations(c *fiber.Ctx) error {
	p, after, err := web.CursorPaging(c)
	if err != nil {
		return err
	}
	items, err := h.store.Invitations(c.UserContext(), web.MustPrincipal(c).UserID, after, p.Limit)
	if err != nil {
		return err
	}
	return private(c).JSON(web.NewPage(items, p.Limit, func(i Invitation) any { return web.Cursor{At: i.ExpiresAt, ID: i.ID} }))
}

func (h *CohortHandler) accept(c *fiber.Ctx) error {
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	cohort, err := h.store.AcceptInvitation(c.UserContext(), web.MustPrincipal(c), id)
	if err != nil {
		return err
	}
	return private(c).JSON(fiber.Map{"cohort": cohort})
}

func (h *CohortHandler) decline(c *fiber.Ctx) error {
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	res, err := h.store.DeclineInvitation(c.UserContext(), web.MustPrincipal(c).UserID, id)
	if err != nil {
		return err
	}
	return private(c).JSON(res)
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
	return false, cc.FieldErr(cc.EBADREQUEST, "format must be csv or json.", "format", "must be csv or json")
}

// progressColumns are the cohort progress CSV's columns, one row a member.
var progressColumns = []string{"user_id", "name", "email", "progress_percent", "last_activity_at", "completed_at",
	"certified", "pre_score", "post_score", "gain"}

// sendProgressCSV writes one row a member and, last, the cohort's impact
// summary as a comment row, so that the header stays the first line for
// programs that read the file and a reader skipping '#' lines gets the
// members only.
func sendProgressCSV(c *fiber.Ctx, p CohortProgress) error {
	var buf bytes.Buffer
	w, err := spreadsheet.NewWriter(&buf)
	if err != nil {
		return err
	}
	if err := w.Write(progressColumns); err != nil {
		return err
	}
	for _, m := range p.Members {
		row := []string{m.UserID, m.Name, m.Email, strconv.Itoa(m.ProgressPercent),
			timeCell(m.LastActivityAt), timeCell(m.CompletedAt), strconv.FormatBool(m.Certified),
			intCell(m.PreScore), intCell(m.PostScore), intCell(m.Gain)}
		if err := w.Write(row); err != nil {
			return err
		}
	}
	summary := make([]string, len(progressColumns))
	summary[0] = p.Impact.comment()
	if err := w.Write(summary); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, spreadsheet.ContentType)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="cohort-`+p.Cohort.ID+`-progress.csv"`)
	return c.Send(buf.Bytes())
}

// comment is the cohort's impact as one CSV comment cell; an empty value is
// a figure that cannot be computed (no matched pair, no survey due).
func (im CohortImpact) comment() string {
	return fmt.Sprintf("# cohort impact: matched_pairs=%d; pre_mean=%s; post_mean=%s; mean_gain=%s; "+
		"surveys_due=%d; surveys_answered=%d; survey_response_rate=%s",
		im.MatchedPairs, floatCell(im.PreMean), floatCell(im.PostMean), floatCell(im.MeanGain),
		im.SurveysDue, im.SurveysAnswered, floatCell(im.SurveyResponseRate))
}

func intCell(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

func floatCell(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

func timeCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
