package accounts

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/auth"
	"github.com/cybercampus/cybercampus/internal/web"
	"github.com/cybercampus/cybercampus/jobs"
)

// Per address and per account, how many reset or verification emails one
// hour may send; requests past it still get the same answer, without email.
const (
	emailsPerHour    = 5
	emailLimitWindow = time.Hour
)

type forgotRequest struct {
	Email string `json:"email"`
}

func (r *forgotRequest) Validate() error {
	r.Email = strings.TrimSpace(r.Email)
	var v cc.Validation
	ValidateEmail(&v, r.Email)
	return v.Err()
}

// forgotPassword answers 202 for every well-formed address. The worker finds
// out whether an account has it, so this request does the same work either
// way and its answer and timing say nothing about accounts.
func (h *Handler) forgotPassword(c *fiber.Ctx) error {
	var r forgotRequest
	if err := web.Bind(c, &r); err != nil {
		return err
	}
	ctx := c.UserContext()
	email := strings.ToLower(r.Email)
	if h.limiter.Take(ctx, "reset-email", email, emailsPerHour, emailLimitWindow).Allowed {
		if err := h.store.QueueAccountEmail(ctx, jobs.AccountEmailPayload{Kind: jobs.AccountEmailPasswordReset, Email: email}); err != nil {
			return err
		}
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{
		"detail": "If an account has this address, a link to choose a new password is on its way; it works once, within an hour."})
}

type resetRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

func (r *resetRequest) Validate() error {
	var v cc.Validation
	v.Check(r.Token != "", "token", "is required")
	v.Check(len(r.Token) <= 256, "token", "is too long")
	v.Check(r.Password != "", "password", "is required")
	v.Check(len(r.Password) <= 1024, "password", "is too long")
	return v.Err()
}

// resetPassword spends the emailed token: the new password takes effect,
// every session of the account ends, and sign-in limits on it are lifted.
func (h *Handler) resetPassword(c *fiber.Ctx) error {
	var r resetRequest
	if err := web.Bind(c, &r); err != nil {
		return err
	}
	ctx := c.UserContext()
	userID, err := h.store.ResetPassword(ctx, r.Token, r.Password)
	if err != nil {
		return err
	}
	h.sessions.Changed(ctx, userID)
	if u, err := h.store.User(ctx, userID); err == nil {
		account := strings.ToLower(u.Email)
		h.limiter.Reset(ctx, "login", "account:"+account, loginFailureWindow)
		h.limiter.Reset(ctx, "login", "pair:"+account+"|"+c.IP(), loginFailureWindow) // the owner's own address
	}
	return c.JSON(fiber.Map{"detail": "Your password is changed and every session has ended; sign in with the new password."})
}

type tokenRequest struct {
	Token string `json:"token"`
}

func (r *tokenRequest) Validate() error {
	var v cc.Validation
	v.Check(r.Token != "", "token", "is required")
	v.Check(len(r.Token) <= 256, "token", "is too long")
	return v.Err()
}

func (h *Handler) verifyEmail(c *fiber.Ctx) error {
	var r tokenRequest
	if err := web.Bind(c, &r); err != nil {
		return err
	}
	if _, err := h.store.VerifyEmail(c.UserContext(), r.Token); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"email_verified": true})
}

// resendVerification emails a new verification link to the caller's address.
func (h *Handler) resendVerification(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p := web.MustPrincipal(c)
	u, err := h.store.User(ctx, p.UserID)
	if err != nil {
		return err
	}
	if u.EmailVerified {
		return cc.Errorf(cc.ECONFLICT, "Your email address is already verified.")
	}
	if res := h.limiter.Take(ctx, "verify-email", p.UserID, emailsPerHour, emailLimitWindow); !res.Allowed {
		return cc.TooMany(res.RetryAfter, "Too many verification emails; try again later.")
	}
	if err := h.store.QueueAccountEmail(ctx, jobs.AccountEmailPayload{Kind: jobs.AccountEmailVerification, UserID: p.UserID}); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"detail": "A new verification link is on its way."})
}

type passwordChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (r *passwordChange) Validate() error {
	var v cc.Validation
	v.Check(r.CurrentPassword != "", "current_password", "is required")
	v.Check(len(r.CurrentPassword) <= 1024, "current_password", "is too long")
	v.Check(r.NewPassword != "", "new_password", "is required")
	return v.Err()
}

// checkPassword confirms the caller's password before a change only its
// owner may make; guesses count against the sign-in limits, so a stolen
// access token cannot be used to find the password.
func (h *Handler) checkPassword(c *fiber.Ctx, field, password string) (User, error) {
	ctx := c.UserContext()
	u, err := h.store.User(ctx, web.MustPrincipal(c).UserID)
	if err != nil {
		return User{}, err
	}
	account := strings.ToLower(u.Email)
	if err := h.reserveAttempt(c, "login", account); err != nil {
		return User{}, err
	}
	hash, err := h.store.passwordHash(ctx, u.ID)
	if err != nil {
		return User{}, err
	}
	if !auth.CheckPassword(hash, password) {
		return User{}, cc.FieldErr(cc.EINVALID, "The password is not correct.", field, "is not your current password")
	}
	h.forgiveAttempt(c, "login", account)
	return u, nil
}

// changePassword sets a new password when the current one is right. Every
// other session ends; the caller's own goes on.
func (h *Handler) changePassword(c *fiber.Ctx) error {
	var r passwordChange
	if err := web.Bind(c, &r); err != nil {
		return err
	}
	u, err := h.checkPassword(c, "current_password", r.CurrentPassword)
	if err != nil {
		return err
	}
	var v cc.Validation
	validatePassword(&v, "new_password", r.NewPassword, u.Email, u.Name)
	if r.NewPassword == r.CurrentPassword {
		v.Add("new_password", "must differ from the current password")
	}
	if err := v.Err(); err != nil {
		return err
	}
	ctx := c.UserContext()
	if err := h.store.ChangePassword(ctx, u.ID, web.MustPrincipal(c).SessionID, r.NewPassword); err != nil {
		return err
	}
	h.sessions.Changed(ctx, u.ID)
	return c.JSON(fiber.Map{"detail": "Your password is changed; every other session has ended."})
}

func (h *Handler) export(c *fiber.Ctx) error {
	doc, err := h.store.Export(c.UserContext(), web.MustPrincipal(c).UserID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="cybercampus-export.json"`)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(doc)
}

type eraseRequest struct {
	Password string `json:"password"`
}

func (r *eraseRequest) Validate() error {
	var v cc.Validation
	v.Check(r.Password != "", "password", "is required")
	v.Check(len(r.Password) <= 1024, "password", "is too long")
	return v.Err()
}

// erase erases the caller's personal data (see Store.Erase) once the
// password confirms it is the owner asking; every session ends with it.
func (h *Handler) erase(c *fiber.Ctx) error {
	var r eraseRequest
	if err := web.Bind(c, &r); err != nil {
		return err
	}
	u, err := h.checkPassword(c, "password", r.Password)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if err := h.store.Erase(ctx, u.ID); err != nil {
		return err
	}
	h.sessions.Changed(ctx, u.ID)
	return c.SendStatus(fiber.StatusNoContent)
}
