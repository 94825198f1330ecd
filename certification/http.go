package certification

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/web"
)

// Handler serves the certificate routes (keys, verification, the printable
// copies, revocation) and runs the certificate jobs (tasks.go).
type Handler struct {
	keys     *Keyring
	store    *Store
	verifier *Verifier
	status   *statusCache
	urls     urls
	logger   *slog.Logger
}

// NewHandler returns the certificate endpoints and jobs over store and
// verifier, which sign and check with keys; baseURL is the issuer's origin.
func NewHandler(keys *Keyring, store *Store, verifier *Verifier, baseURL string, logger *slog.Logger) *Handler {
	return &Handler{keys: keys, store: store, verifier: verifier, status: newStatusCache(), urls: urls{baseURL},
		logger: logger}
}

// Register mounts the routes.
func (m *Handler) Register(r fiber.Router, a *web.Auth) {
	auth := a.Required
	r.Get("/.well-known/jwks.json", m.getJWKS)
	r.Get("/v1/issuer", m.getIssuer)
	r.Get("/v1/me/certificates", auth, m.listMine)
	r.Post("/v1/certificates/verify", m.verify)
	r.Get("/v1/certificates/keys/:thumbprint", m.getKey)
	r.Get("/v1/certificates/status/:list", m.getStatusList)
	r.Get("/v1/certificates/:id", m.getCertificate)
	r.Get("/v1/certificates/:id/pdf", auth, m.getPDF)
	r.Post("/v1/certificates/:id/revoke", auth, web.Role(cc.RoleAdmin), m.revoke)
}

func (m *Handler) getJWKS(c *fiber.Ctx) error {
	keys, err := m.keys.JWKS(c.UserContext())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return c.JSON(fiber.Map{"keys": keys})
}

func (m *Handler) getKey(c *fiber.Ctx) error {
	keys, err := m.keys.JWKS(c.UserContext())
	if err != nil {
		return err
	}
	kid := m.keys.KeyID(c.Params("thumbprint"))
	for _, k := range keys {
		if k.Kid == kid {
			c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
			return c.JSON(k)
		}
	}
	return cc.Errorf(cc.ENOTFOUND, "No such key.")
}

func (m *Handler) getIssuer(c *fiber.Ctx) error {
	p := m.urls.profile()
	p.Context = obContexts
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.JSON(p)
}

// verifyRequest is the body of POST /v1/certificates/verify.
type verifyRequest struct {
	Token *string `json:"token"`
}

// Validate requires the token field; its content is the verifier's business.
func (r verifyRequest) Validate() error {
	var v cc.Validation
	v.Check(r.Token != nil, "token", "is required")
	return v.Err()
}

func (m *Handler) verify(c *fiber.Ctx) error {
	var req verifyRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	res, err := m.verifier.Verify(c.UserContext(), *req.Token)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(res)
}

func (m *Handler) getCertificate(c *fiber.Ctx) error {
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	rec, err := m.store.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	c.Vary(fiber.HeaderAccept)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	switch c.Accepts(fiber.MIMEApplicationJSON, fiber.MIMETextHTML, fiber.MIMETextPlain) {
	case fiber.MIMEApplicationJSON:
		return c.JSON(rec)
	case fiber.MIMETextHTML:
		return m.sendPage(c, rec)
	case fiber.MIMETextPlain:
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.SendString(rec.Token)
	}
	return cc.Errorf(cc.ENOTACCEPTABLE, "The certificate is available as application/json, text/html or text/plain.")
}

func (m *Handler) sendPage(c *fiber.Ctx, rec Record) error {
	var buf bytes.Buffer
	lang := web.PageLanguage(c)
	if err := pageTemplate.Execute(&buf, pageData(rec, lang)); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderContentLanguage, lang)
	// The page needs nothing from anywhere: no scripts, no external assets.
	c.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	c.Set("X-Content-Type-Options", "nosniff")
	return c.Send(buf.Bytes())
}

func (m *Handler) listMine(c *fiber.Ctx) error {
	p, after, err := web.CursorPaging(c)
	if err != nil {
		return err
	}
	items, err := m.store.ListMine(c.UserContext(), web.MustPrincipal(c).UserID, after, p.Limit)
	if err != nil {
		return err
	}
	return c.JSON(web.NewPage(items, p.Limit, func(x Mine) any { return web.Cursor{At: x.IssuedAt, ID: x.ID} }))
}

func (m *Handler) getPDF(c *fiber.Ctx) error {
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	rec, err := m.store.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	if p := web.MustPrincipal(c); rec.UserID != p.UserID && !p.Has(cc.RoleAdmin) {
		return cc.Errorf(cc.ENOTFOUND, "No such certificate.") // never confirm another learner's certificate
	}
	lang := c.Query("lang")
	if lang != "" && !cc.OneOf(lang, cc.Languages) {
		return cc.FieldErr(cc.EINVALID, "The language is not supported.", "lang", "must be one of "+strings.Join(cc.Languages, ", "))
	}
	if lang == "" {
		if lang, err = m.store.LearnerLanguage(c.UserContext(), rec.UserID); err != nil {
			return err
		}
	}
	rec.LearnerName = rec.FullName
	doc, err := RenderPDF(rec, lang)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="certificate-`+rec.ID+`.pdf"`)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(doc)
}

// revokeRequest is the body of POST /v1/certificates/{id}/revoke.
type revokeRequest struct {
	Reason string `json:"reason"`
}

// Validate requires a reason of 1 to 500 characters.
func (r revokeRequest) Validate() error {
	var v cc.Validation
	n := utf8.RuneCountInString(strings.TrimSpace(r.Reason))
	v.Check(n >= 1 && n <= 500, "reason", "is required (1 to 500 characters)")
	return v.Err()
}

func (m *Handler) revoke(c *fiber.Ctx) error {
	id, err := web.UUIDParam(c, "id")
	if err != nil {
		return err
	}
	var req revokeRequest
	if err := web.Bind(c, &req); err != nil {
		return err
	}
	rec, list, err := m.store.Revoke(c.UserContext(), id, strings.TrimSpace(req.Reason), web.MustPrincipal(c).UserID)
	m.verifier.Forget(id)
	if err != nil {
		return err
	}
	m.status.forget(list)
	m.logger.Info("certificate revoked", "certificate_id", id, "by", web.MustPrincipal(c).UserID)
	return c.JSON(rec)
}

func (m *Handler) getStatusList(c *fiber.Ctx) error {
	raw := c.Params("list")
	list, err := strconv.Atoi(raw)
	if err != nil || list < 1 || strconv.Itoa(list) != raw {
		return cc.Errorf(cc.ENOTFOUND, "No such status list.")
	}
	sl, err := m.statusList(c.UserContext(), list)
	if err != nil {
		return err
	}
	c.Vary(fiber.HeaderAccept)
	c.Set(fiber.HeaderCacheControl, "public, max-age="+strconv.Itoa(int(statusTTL.Seconds())))
	if c.Accepts("application/vc+jwt", fiber.MIMEApplicationJSON) == fiber.MIMEApplicationJSON {
		return c.JSON(sl.credential)
	}
	c.Set(fiber.HeaderContentType, "application/vc+jwt")
	return c.SendString(sl.jws)
}

// statusTTL is how long an instance reuses a status list it read; a
// revocation on this instance refreshes it at once, one on another instance
// within the TTL.
const statusTTL = 30 * time.Second

// statusCache keeps recently read status lists.
type statusCache struct {
	mu    sync.Mutex
	lists map[int]signedList
}

func newStatusCache() *statusCache { return &statusCache{lists: map[int]signedList{}} }

func (s *statusCache) get(list int, now time.Time) (signedList, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sl, ok := s.lists[list]
	return sl, ok && now.Sub(sl.at) < statusTTL && sl.validUntil.After(now.Add(statusServeWithin))
}

func (s *statusCache) put(list int, sl signedList) {
	s.mu.Lock()
	s.lists[list] = sl
	s.mu.Unlock()
}

func (s *statusCache) forget(list int) {
	s.mu.Lock()
	delete(s.lists, list)
	s.mu.Unlock()
}

// statusList returns the signed status list credential of list, never one
// that expires within statusServeWithin.
func (m *Handler) statusList(ctx context.Context, list int) (signedList, error) {
	if sl, ok := m.status.get(list, m.store.now()); ok {
		return sl, nil
	}
	sl, err := m.store.StatusList(ctx, list, statusServeWithin)
	if err != nil {
		return signedList{}, err
	}
	m.status.put(list, sl)
	return sl, nil
}
