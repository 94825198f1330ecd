package accounts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/auth"
	"github.com/cybercampus/cybercampus/internal/ratelimit"
	"github.com/cybercampus/cybercampus/internal/web"
	"github.com/cybercampus/cybercampus/jobs"
	"github.com/cybercampus/cybercampus/notifications"
)

// Handler serves registration, login, tokens, the caller's profile and
// role management.
type Handler struct {
	store             *Store
	tokens            *auth.Tokens
	sessions          *auth.Sessions
	limiter           *ratelimit.Limiter
	mailer            notifications.Mailer
	logger            *slog.Logger
	baseURL           string
	refreshTTL        time.Duration
	ipLimitPerMinute  int
	failuresPerWindow int
	consent           ConsentPolicy
	now               func() time.Time
}

// Options are the limits and collaborators of the account endpoints.
type Options struct {
	RefreshTTL              time.Duration
	AuthIPLimitPerMinute    int
	LoginFailuresPerAccount int
	PublicBaseURL           string               // origin of the links in account emails
	Sessions                *auth.Sessions       // told whenever sessions end or roles change
	Mailer                  notifications.Mailer // sends account emails from the worker
	Logger                  *slog.Logger
	// DigitalConsentAgeDefault is the age of digital consent where
	// ConsentAges has no entry.
	DigitalConsentAgeDefault int
}

// NewHandler returns the account endpoints.
func NewHandler(store *Store, tokens *auth.Tokens, limiter *ratelimit.Limiter, o Options) *Handler {
	return &Handler{store: store, tokens: tokens, sessions: o.Sessions, limiter: limiter, mailer: o.Mailer,
		logger: o.Logger, baseURL: o.PublicBaseURL, refreshTTL: o.RefreshTTL,
		ipLimitPerMinute: o.AuthIPLimitPerMinute, failuresPerWindow: o.LoginFailuresPerAccount,
		consent: ConsentPolicy{Default: o.DigitalConsentAgeDefault}, now: time.Now}
}

// loginFailureWindow is the window failed logins are counted in.
const loginFailureWindow = 15 * time.Minute

// accountCeiling is how many times more failures an account takes from all
// addresses together than from one: an attacker spreading guesses over many
// addresses is stopped, while one attacking from a few addresses does not
// lock the owner out (the owner's own address has its own count).
const accountCeiling = 10

// Register mounts the routes.
func (h *Handler) Register(r fiber.Router, a *web.Auth) {
	g := r.Group("/v1/auth", h.limitIP)
	g.Post("/register", h.register)
	g.Post("/login", h.login)
	g.Post("/refresh", h.refresh)
	g.Post("/logout", a.Required, h.logout)
	g.Post("/logout-all", a.Required, h.logoutAll)
	g.Post("/password/forgot", h.forgotPassword)
	g.Post("/password/reset", h.resetPassword)
	g.Post("/verify-email", h.verifyEmail)
	r.Get("/v1/me", a.Required, h.me)
	r.Patch("/v1/me", a.Required, h.updateMe)
	r.Delete("/v1/me", a.Required, h.erase)
	r.Get("/v1/me/export", a.Required, h.export)
	r.Put("/v1/me/password", a.Required, h.changePassword)
	r.Post("/v1/me/verify-email", a.Required, h.resendVerification)
	r.Get("/v1/users/:id", a.Required, web.Role(cc.RoleAdmin), h.user)
	r.Put("/v1/users/:id/roles", a.Required, web.Role(cc.RoleAdmin), h.setRoles)
}

func (h *Handler) limitIP(c *fiber.Ctx) error {
	res := h.limiter.Take(c.UserContext(), "auth-ip", c.IP(), h.ipLimitPerMinute, time.Minute)
	if !res.Allowed {
		return cc.TooMany(res.RetryAfter, "Too many requests from this address; try again later.")
	}
	return c.Next()
}

func (h *Handler) register(c *fiber.Ctx) error {
	var r Registration
	if err := h.withCountry(c, web.Bind(c, &r), &r.Country); err != nil {
		return err
	}
	if !h.consent.MayConsent(r.Country, r.BirthYear, h.now()) {
		return tooYoung(h.consent.Age(r.Country))
	}
	u, err := h.store.CreateUser(c.UserContext(), r, []string{cc.RoleLearner})
	if err != nil {
		return err
	}
	c.Location("/v1/me")
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"user": u})
}

// withCountry adds "unknown country" to the validation result of a request
// whose country is well-formed but not an ISO 3166-1 code, so every bad field
// is reported at once.
func (h *Handler) withCountry(c *fiber.Ctx, err error, country *string) error {
	var appErr *cc.Error
	if country == nil || !cc.IsAlpha2(*country) || (err != nil && (!errors.As(err, &appErr) || appErr.Code != cc.EINVALID)) {
		return err
	}
	ok, qerr := h.store.CountryExists(c.UserContext(), *country)
	if qerr != nil {
		return qerr
	}
	if ok {
		return err
	}
	fe := cc.FieldError{Field: "country", Message: "is not an ISO 3166-1 country code"}
	if appErr == nil {
		appErr = &cc.Error{Code: cc.EINVALID, Message: "The request has invalid fields."}
	}
	appErr.Fields = append(appErr.Fields, fe)
	return appErr
}

// tooYoung is the answer to a self-registration below the age of digital
// consent: a 422 naming birth_year that says, kindly, what to do instead.
func tooYoung(age int) error {
	return cc.FieldErr(cc.EINVALID,
		"You are welcome here! Because of your age, a teacher or parent needs to make your account for you.",
		"birth_year", fmt.Sprintf("in your country you need to be %d or older to sign up on your own; "+
			"please ask your teacher or a parent to set up your account", age))
}

// loginRequest signs in with an email or, for a pupil's account, a username.
type loginRequest struct {
	Email    string `json:"email"`
	Username string `json:"username"`
	Password string `json:"password"`
}

func (r *loginRequest) Validate() error {
	var v cc.Validation
	email, username := strings.TrimSpace(r.Email) != "", strings.TrimSpace(r.Username) != ""
	v.Check(email || username, "email", "is required (or username, for a pupil's account)")
	v.Check(!(email && username), "username", "send either email or username, not both")
	v.Check(!username || !strings.Contains(r.Username, "@"), "username", "is not a username; sign in with email instead")
	v.Check(len(r.Email) <= 320 && len(r.Username) <= 64, "email", "is too long")
	v.Check(r.Password != "", "password", "is required")
	v.Check(len(r.Password) <= 1024, "password", "is too long")
	return v.Err()
}

// TokenPair is the answer to login and refresh.
type TokenPair struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
}

func (h *Handler) login(c *fiber.Ctx) error {
	var r loginRequest
	if err := web.Bind(c, &r); err != nil {
		return err
	}
	ctx := c.UserContext()
	// Emails and usernames share the attempt counters' key space: a username
	// never contains @, so the two never collide.
	account := strings.ToLower(strings.TrimSpace(r.Email + r.Username))
	if err := h.reserveAttempt(c, "login", account); err != nil {
		return err
	}
	cred, err := h.store.Credentials(ctx, account)
	if err != nil {
		return err
	}
	if !auth.CheckPassword(cred.Hash, r.Password) { // runs the full hash for unknown accounts too
		return cc.Errorf(cc.EUNAUTHORIZED, "The email, username or password is incorrect.")
	}
	h.forgiveAttempt(c, "login", account)
	if cred.Disabled {
		return cc.Errorf(cc.EFORBIDDEN, "This account is closed: its class has ended or consent was withdrawn. Ask your teacher.")
	}
	u, err := h.store.User(ctx, cred.ID)
	if err != nil {
		return err
	}
	rt, sid, err := h.store.StartSession(ctx, u.ID, h.refreshTTL)
	if err != nil {
		return err
	}
	return h.issue(c, u, rt, sid)
}

// reserveAttempt counts one password check for account from the caller's
// address before it is made, atomically (30 concurrent guesses get at most
// the limit checked). Each account and address has its own count, so an
// attacker's guesses do not lock the owner out elsewhere; the account as a
// whole takes accountCeiling times more, and the first refusal by that
// ceiling emails the owner a link that resets the password (and so unlocks).
func (h *Handler) reserveAttempt(c *fiber.Ctx, name, account string) error {
	ctx := c.UserContext()
	res, blocked := h.limiter.Attempt(ctx, name, loginFailureWindow,
		ratelimit.Counter{Subject: "pair:" + account + "|" + c.IP(), Limit: h.failuresPerWindow},
		ratelimit.Counter{Subject: "account:" + account, Limit: h.failuresPerWindow * accountCeiling})
	if res.Allowed {
		return nil
	}
	// A pupil's account has no email to send the notice to: its teacher
	// gives it a new password instead.
	if blocked == 2 && name == "login" && strings.Contains(account, "@") && h.limiter.First(ctx, "lockout-notice", account, loginFailureWindow) {
		err := h.store.QueueAccountEmail(ctx, jobs.AccountEmailPayload{Kind: jobs.AccountEmailAccountLocked, Email: account})
		if err != nil {
			h.logger.Error("lockout email not queued", "error", err)
		}
	}
	return cc.TooMany(res.RetryAfter, "Too many failed sign-ins for this account; try again later or reset your password.")
}

// forgiveAttempt takes back a reserved attempt that succeeded.
func (h *Handler) forgiveAttempt(c *fiber.Ctx, name, account string) {
	h.limiter.Reset(c.UserContext(), name, "pair:"+account+"|"+c.IP(), loginFailureWindow)
	h.limiter.Forgive(c.UserContext(), name, "account:"+account, loginFailureWindow)
}

// issue answers with an access token for u in session sid and the refresh token rt.
func (h *Handler) issue(c *fiber.Ctx, u User, rt, sid string) error {
	access, err := h.tokens.IssueAccess(u.Principal(sid))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(TokenPair{AccessToken: access, RefreshToken: rt, TokenType: "Bearer", ExpiresIn: int(h.tokens.TTL().Seconds())})
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func (r *refreshRequest) Validate() error {
	var v cc.Validation
	v.Check(r.RefreshToken != "", "refresh_token", "is required")
	v.Check(len(r.RefreshToken) <= 256, "refresh_token", "is too long")
	return v.Err()
}

func (h *Handler) refresh(c *fiber.Ctx) error {
	var r refreshRequest
	if err := web.Bind(c, &r); err != nil {
		return err
	}
	u, next, sid, err := h.store.Rotate(c.UserContext(), r.RefreshToken, h.refreshTTL)
	if err != nil {
		return err
	}
	return h.issue(c, u, next, sid)
}

func (h *Handler) logout(c *fiber.Ctx) error {
	p := web.MustPrincipal(c)
	var r struct {
		RefreshToken string `json:"refresh_token"`
	}
	if len(c.Body()) > 0 {
		if err := web.Bind(c, &r); err != nil {
			return err
		}
	}
	ctx := c.UserContext()
	if r.RefreshToken != "" {
		if err := h.store.RevokeFamily(ctx, p.UserID, r.RefreshToken); err != nil {
			return err
		}
	}
	if p.SessionID != "" {
		if err := h.store.EndSession(ctx, p.UserID, p.SessionID); err != nil {
			return err
		}
	}
	h.sessions.Changed(ctx, p.UserID)
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) logoutAll(c *fiber.Ctx) error {
	p := web.MustPrincipal(c)
	if err := h.store.RevokeAll(c.UserContext(), p.UserID); err != nil {
		return err
	}
	h.sessions.Changed(c.UserContext(), p.UserID)
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handler) me(c *fiber.Ctx) error {
	u, err := h.store.Me(c.UserContext(), web.MustPrincipal(c).UserID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.JSON(u)
}

func (h *Handler) updateMe(c *fiber.Ctx) error {
	me, err := h.store.User(c.UserContext(), web.MustPrincipal(c).UserID)
	if err != nil {
		return err
	}
	if me.Managed {
		return cc.Errorf(cc.EFORBIDDEN, "A pupil's profile is kept by the school; ask your teacher to change it.")
	}
	var p ProfileUpdate
	if err := h.withCountry(c, web.Bind(c, &p), p.Country); err != nil {
		return err
	}
	u, err := h.store.UpdateProfile(c.UserContext(), web.MustPrincipal(c).UserID, p)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.JSON(u)
}

func (h *Handler) user(c *fiber.Ctx) error {
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	u, err := h.store.User(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(u)
}

type rolesRequest struct {
	Roles []string `json:"roles"`
}

func (r *rolesRequest) Validate() error {
	var v cc.Validation
	v.Check(len(r.Roles) > 0, "roles", "must name at least one role")
	for _, role := range r.Roles {
		v.Check(cc.ValidRole(role), "roles", "%q is not a role (learner, trainer, analyst, admin)", role)
	}
	slices.Sort(r.Roles)
	r.Roles = slices.Compact(r.Roles)
	return v.Err()
}

func (h *Handler) setRoles(c *fiber.Ctx) error {
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var r rolesRequest
	if err := web.Bind(c, &r); err != nil {
		return err
	}
	u, err := h.store.SetRoles(c.UserContext(), id, r.Roles)
	if err != nil {
		return err
	}
	h.sessions.Changed(c.UserContext(), id) // the next request with any of its tokens has the new roles
	return c.JSON(fiber.Map{"user": u})
}

// CreateUser is how an operator makes an account with roles (the first admin).
func (h *Handler) CreateUser(ctx context.Context, r Registration, roles []string) (User, error) {
	if err := r.Validate(); err != nil {
		return User{}, err
	}
	return h.store.CreateUser(ctx, r, roles)
}
