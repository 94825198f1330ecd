// Package certification issues Open Badges 3.0 certificates as signed VC-JWTs, verifies and revokes them, and renders printable copies.
package certification

import (
	"github.com/gofiber/fiber/v2"
	"github.com/hibiken/asynq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/app"
	"github.com/cybercampus/cybercampus/internal/web"
	"github.com/cybercampus/cybercampus/jobs"
)

// Module is the certification feature.
type Module struct {
	deps     app.Deps
	keys     *Keyring
	store    *Store
	verifier *Verifier
	status   *statusCache
	urls     urls
}

// NewModule builds the certification feature from the shared dependencies.
func NewModule(d app.Deps) *Module {
	base := d.Config.PublicBaseURL
	keys := NewKeyring(d.DB, base, d.Config.CertKeyEncryptionKey, d.Logger, d.Now)
	return &Module{
		deps:     d,
		keys:     keys,
		store:    NewStore(d.DB, keys, base, d.Now),
		verifier: NewVerifier(keys, base, d.DB, d.Now),
		status:   newStatusCache(),
		urls:     urls{base},
	}
}

// Store returns the module's certificate store.
func (m *Module) Store() *Store { return m.store }

// Verifier returns the module's certificate verifier.
func (m *Module) Verifier() *Verifier { return m.verifier }

// Routes mounts the certification routes.
func (m *Module) Routes(r fiber.Router) {
	auth := m.deps.Auth.Required
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

// Tasks registers the certification task handlers.
func (m *Module) Tasks(mux *asynq.ServeMux) {
	mux.HandleFunc(jobs.TypeIssueCertificate, m.ProcessIssue)
	mux.HandleFunc(jobs.TypeCertificateSweep, m.ProcessSweep)
	mux.HandleFunc(jobs.TypeStatusLists, m.ProcessStatusLists)
	mux.HandleFunc(jobs.TypeSignStatusList, m.ProcessSignStatusList)
}
