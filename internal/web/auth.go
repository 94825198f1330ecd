package web

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"

	cc "github.com/cybercampus/cybercampus"
)

const principalKey = "principal"

// TokenParser validates an access token and returns its principal.
type TokenParser interface {
	ParseAccess(token string) (cc.Principal, error)
}

// SessionChecker confirms that a well-signed token's session is still open
// (ok) and returns the caller with its roles as they are now; err is a
// failure to find out, never an answer.
type SessionChecker interface {
	Check(ctx context.Context, p cc.Principal) (current cc.Principal, ok bool, err error)
}

// Auth holds the authentication middleware.
type Auth struct {
	parser   TokenParser
	sessions SessionChecker
	turns    chan struct{} // see Admit
}

// NewAuth returns the middleware factory over parser; sessions checks every
// token's session and gives the caller's current roles.
func NewAuth(parser TokenParser, sessions SessionChecker) *Auth {
	return &Auth{parser: parser, sessions: sessions}
}

// Admit lets at most n authenticated requests work at once (the database
// pool's size) and keeps the others waiting their turn in the order they
// came, until their deadline (then a 503 the client may retry). Each of them
// reads the database (its session at least, unless cached), and
// database/sql hands a freed connection to a random waiter: with more
// requests than connections, an unlucky one lost turn after turn, and the
// slowest progress write in a hundred took nearly three times the median
// (bench/RESULTS.md, sixth session). A channel hands its places to the
// senders blocked on it first come, first served. Anonymous requests (the
// catalogue from memory, certificate checks) do not wait here, nor do
// refused tokens: the token is read before the turn, the session in it.
func (a *Auth) Admit(n int) {
	a.turns = make(chan struct{}, n)
}

// Required rejects a request without a valid access token with 401.
func (a *Auth) Required(c *fiber.Ctx) error {
	if _, ok := PrincipalOf(c); ok {
		return c.Next() // authenticated, and admitted, by a group's Required already
	}
	p, err := a.token(c)
	if err != nil {
		return err
	}
	if a.turns != nil {
		select {
		case a.turns <- struct{}{}:
		case <-c.UserContext().Done():
			return c.UserContext().Err()
		}
		defer func() { <-a.turns }()
	}
	if p, err = a.session(c, p); err != nil {
		return err
	}
	c.Locals(principalKey, p)
	return c.Next()
}

// Optional authenticates when a token is present; an invalid token is still a 401.
func (a *Auth) Optional(c *fiber.Ctx) error {
	if c.Get(fiber.HeaderAuthorization) == "" {
		return c.Next()
	}
	return a.Required(c)
}

// Role allows the request only when the (already authenticated) caller holds
// one of roles; others get 403.
func Role(roles ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, ok := PrincipalOf(c)
		if !ok {
			return cc.Errorf(cc.EUNAUTHORIZED, "Authentication is required.")
		}
		if !p.Has(roles...) {
			return cc.Errorf(cc.EFORBIDDEN, "This action needs the %s role.", strings.Join(roles, " or "))
		}
		return c.Next()
	}
}

// token reads the bearer token's principal; it needs no database.
func (a *Auth) token(c *fiber.Ctx) (cc.Principal, error) {
	h := c.Get(fiber.HeaderAuthorization)
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="cybercampus"`)
		return cc.Principal{}, cc.Errorf(cc.EUNAUTHORIZED, "A bearer access token is required.")
	}
	p, err := a.parser.ParseAccess(strings.TrimSpace(token))
	if err != nil {
		return cc.Principal{}, invalidToken(c)
	}
	return p, nil
}

// session checks that the token's session is still open and gives the
// caller's roles as they are now.
func (a *Auth) session(c *fiber.Ctx, p cc.Principal) (cc.Principal, error) {
	p, ok, err := a.sessions.Check(c.UserContext(), p)
	if err != nil {
		return cc.Principal{}, err
	}
	if !ok {
		return cc.Principal{}, invalidToken(c)
	}
	return p, nil
}

func invalidToken(c *fiber.Ctx) error {
	c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="cybercampus", error="invalid_token"`)
	return cc.Errorf(cc.EUNAUTHORIZED, "The access token is invalid or expired.")
}

// PrincipalOf returns the authenticated caller, if any.
func PrincipalOf(c *fiber.Ctx) (cc.Principal, bool) {
	p, ok := c.Locals(principalKey).(cc.Principal)
	return p, ok
}

// MustPrincipal returns the caller of a route behind Auth.Required.
func MustPrincipal(c *fiber.Ctx) cc.Principal {
	p, _ := PrincipalOf(c)
	return p
}
