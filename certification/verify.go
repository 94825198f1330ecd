package certification

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jmoiron/sqlx"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/postgres"
)

// Reasons a token is not valid, as reported by POST /v1/certificates/verify.
const (
	ReasonMalformed          = "malformed"
	ReasonAlgorithm          = "unsupported_algorithm"
	ReasonHeader             = "bad_header"
	ReasonUnknownKey         = "unknown_key"
	ReasonSignature          = "bad_signature"
	ReasonExpired            = "expired"
	ReasonNotYetValid        = "not_yet_valid"
	ReasonMissingClaims      = "missing_claims"
	ReasonClaimsMismatch     = "claims_mismatch"
	ReasonWrongIssuer        = "wrong_issuer"
	ReasonUnknownCertificate = "unknown_certificate"
	ReasonRevoked            = "revoked"
)

// MaxTokenBytes bounds the tokens the verifier reads; ours are a few KiB.
const MaxTokenBytes = 64 << 10

// clockLeeway absorbs clock skew between instances for nbf and exp.
const clockLeeway = 30 * time.Second

// VerifyResult is the answer of the verifier. A valid certificate comes with
// Certificate; a valid status list credential (a verifier may check the copy
// it holds) with StatusList instead.
type VerifyResult struct {
	Valid       bool                 `json:"valid"`
	Reason      string               `json:"reason,omitempty"`
	Revoked     bool                 `json:"revoked"`
	Certificate *VerifiedCertificate `json:"certificate"`
	StatusList  *VerifiedStatusList  `json:"status_list,omitempty"`
}

// VerifiedStatusList is the status list credential a validly signed,
// unexpired token holds.
type VerifiedStatusList struct {
	ID         string    `json:"id"`
	ValidUntil time.Time `json:"valid_until"`
}

// VerifiedCertificate is the certificate a validly signed token names.
type VerifiedCertificate struct {
	ID          string    `json:"id"`
	LearnerName string    `json:"learner_name"`
	CourseTitle string    `json:"course_title"`
	IssuedAt    time.Time `json:"issued_at"`
	Issuer      string    `json:"issuer"`
}

// verifyClaims is the payload as the verifier reads it: loose enough to
// decode any credential, so that disagreements are found and named.
type verifyClaims struct {
	Context           []string        `json:"@context"`
	ID                string          `json:"id"`
	Type              []string        `json:"type"`
	Issuer            json.RawMessage `json:"issuer"`
	ValidFrom         string          `json:"validFrom"`
	ValidUntil        string          `json:"validUntil"`
	CredentialSubject struct {
		ID string `json:"id"`
	} `json:"credentialSubject"`
	CredentialStatus struct {
		Type                 string `json:"type"`
		StatusListIndex      string `json:"statusListIndex"`
		StatusListCredential string `json:"statusListCredential"`
	} `json:"credentialStatus"`
	jwt.RegisteredClaims
}

// Verifier checks certificate tokens against our own keys and records.
type Verifier struct {
	keys   *Keyring
	urls   urls
	db     *sqlx.DB
	parser *jwt.Parser
	now    func() time.Time
	mu     sync.Mutex
	cache  map[string]cachedRecord // by certificate id
}

// NewVerifier returns a verifier. It accepts RS256 only, the one algorithm we
// sign with, and strict base64 only, as we write it.
func NewVerifier(keys *Keyring, baseURL string, db *sqlx.DB, now func() time.Time) *Verifier {
	return &Verifier{keys: keys, urls: urls{baseURL}, db: db, now: now, cache: map[string]cachedRecord{},
		parser: jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}), jwt.WithStrictDecoding(),
			jwt.WithLeeway(clockLeeway), jwt.WithTimeFunc(now))}
}

// Verify checks token and says why it is not valid. Bad input never is an
// error: only a failing database is.
func (v *Verifier) Verify(ctx context.Context, token string) (VerifyResult, error) {
	claims, reason := v.check(ctx, token)
	if reason != "" {
		return VerifyResult{Reason: reason}, nil
	}
	if slices.Contains(claims.Type, StatusListType) {
		return statusList(claims), nil
	}
	return v.lookup(ctx, token, claims)
}

// check verifies the signature and the claims with golang-jwt's
// ParseWithClaims; it returns a reason on failure.
func (v *Verifier) check(ctx context.Context, token string) (*verifyClaims, string) {
	if len(token) == 0 || len(token) > MaxTokenBytes {
		return nil, ReasonMalformed
	}
	var claims verifyClaims
	tok, err := v.parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) { return v.key(ctx, t.Header) })
	if err != nil {
		return nil, parseReason(tok, err)
	}
	if r := v.checkClaims(&claims); r != "" {
		return nil, r
	}
	return &claims, ""
}

// reasonError is a refusal the key lookup names itself.
type reasonError string

func (e reasonError) Error() string { return string(e) }

// key returns the public key of the token's kid among our own keys. The
// header must be the one we write: typ JWT and a kid, with no key-carrying or
// critical parameters an attacker could steer us with.
func (v *Verifier) key(ctx context.Context, header map[string]any) (any, error) {
	for _, p := range []string{"jku", "x5u", "jwk", "x5c", "x5t", "x5t#S256", "crit", "b64", "zip"} {
		if _, ok := header[p]; ok {
			return nil, reasonError(ReasonHeader)
		}
	}
	kid, ok := header["kid"].(string)
	if header["typ"] != JWTType || !ok || kid == "" {
		return nil, reasonError(ReasonHeader)
	}
	pub, ok := v.keys.PublicKey(ctx, kid)
	if !ok {
		return nil, reasonError(ReasonUnknownKey)
	}
	return pub, nil
}

// parseReason names why ParseWithClaims refused a token, in the order it
// checks: segments and JSON, algorithm, header and key, signature, times.
func parseReason(tok *jwt.Token, err error) string {
	var named reasonError
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return ReasonMalformed
	case tok == nil || tok.Header["alg"] != jwt.SigningMethodRS256.Alg():
		return ReasonAlgorithm
	case errors.As(err, &named):
		return string(named)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return ReasonSignature
	}
	return claimsReason(err)
}

// claimsReason names why the claims validator refused a token's times.
func claimsReason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return ReasonExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return ReasonNotYetValid
	}
	return ReasonMalformed
}

// checkClaims checks that the registered claims mirror the credential and that
// the credential is one of ours.
func (v *Verifier) checkClaims(c *verifyClaims) string {
	if slices.Contains(c.Type, StatusListType) {
		return v.checkStatusListClaims(c)
	}
	rc := c.RegisteredClaims
	if rc.Issuer == "" || rc.ID == "" || rc.Subject == "" || rc.NotBefore == nil {
		return ReasonMissingClaims
	}
	issuer := issuerID(c.Issuer)
	switch {
	case len(c.Context) == 0 || c.Context[0] != obContexts[0],
		!slices.Contains(c.Type, "VerifiableCredential") || !slices.Contains(c.Type, "OpenBadgeCredential"),
		rc.Issuer != issuer, rc.ID != c.ID, rc.Subject != c.CredentialSubject.ID,
		!sameInstant(c.ValidFrom, rc.NotBefore),
		(c.ValidUntil == "") != (rc.ExpiresAt == nil),
		c.ValidUntil != "" && !sameInstant(c.ValidUntil, rc.ExpiresAt):
		return ReasonClaimsMismatch
	case issuer != v.urls.issuer():
		return ReasonWrongIssuer
	}
	if _, ok := v.certificateID(c.ID); !ok {
		return ReasonUnknownCertificate
	}
	return ""
}

// checkStatusListClaims checks a status list credential: its registered
// claims mirror it, it is ours, and it expires at most StatusListValidity
// after it was signed. A list without an expiry (as lists were signed before
// they expired) is never trusted: a copy of it could hide a revocation for
// ever. Whether it has expired the claims validator checked already.
func (v *Verifier) checkStatusListClaims(c *verifyClaims) string {
	rc := c.RegisteredClaims
	if rc.Issuer == "" || rc.ID == "" || rc.NotBefore == nil || rc.ExpiresAt == nil || c.ValidUntil == "" {
		return ReasonMissingClaims
	}
	issuer := issuerID(c.Issuer)
	switch {
	case len(c.Context) == 0 || c.Context[0] != obContexts[0],
		!slices.Contains(c.Type, "VerifiableCredential") || slices.Contains(c.Type, "OpenBadgeCredential"),
		rc.Issuer != issuer, rc.ID != c.ID,
		!sameInstant(c.ValidFrom, rc.NotBefore), !sameInstant(c.ValidUntil, rc.ExpiresAt),
		rc.ExpiresAt.Sub(rc.NotBefore.Time) > StatusListValidity:
		return ReasonClaimsMismatch
	case issuer != v.urls.issuer():
		return ReasonWrongIssuer
	}
	if _, ok := v.statusListID(c.ID); !ok {
		return ReasonUnknownCertificate
	}
	return ""
}

// statusListID returns the list number of one of our status list URLs.
func (v *Verifier) statusListID(url string) (int, bool) {
	raw, ok := strings.CutPrefix(url, v.urls.base+"/v1/certificates/status/")
	n, err := strconv.Atoi(raw)
	return n, ok && err == nil && n >= 1 && strconv.Itoa(n) == raw
}

// statusList answers for a well-signed, unexpired status list credential of
// ours. It needs no record: only we sign with our keys, and we sign lists we have.
func statusList(c *verifyClaims) VerifyResult {
	return VerifyResult{Valid: true, StatusList: &VerifiedStatusList{ID: c.ID, ValidUntil: c.ExpiresAt.Time.UTC()}}
}

// issuerID reads the issuer, which a credential may give as an IRI (a JSON
// string) or a Profile (an object with an id).
func issuerID(raw json.RawMessage) string {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		json.Unmarshal(raw, &s)
		return s
	}
	var p struct {
		ID string `json:"id"`
	}
	json.Unmarshal(raw, &p)
	return p.ID
}

func sameInstant(rfc3339 string, d *jwt.NumericDate) bool {
	t, err := time.Parse(time.RFC3339, rfc3339)
	return err == nil && d != nil && t.Unix() == d.Unix()
}

// certificateID returns the certificate id of one of our verify URLs.
func (v *Verifier) certificateID(verifyURL string) (string, bool) {
	id, ok := strings.CutPrefix(verifyURL, v.urls.certificate(""))
	return id, ok && cc.IsUUID(id)
}

// recordTTL is how long a verifier trusts a certificate record it read: a
// revocation made on another instance is seen within this time (at once on
// the instance that made it, which calls Forget).
const recordTTL = 5 * time.Second

// maxCachedRecords bounds the record cache; only well-signed tokens of ours
// ever reach it.
const maxCachedRecords = 10000

type cachedRecord struct {
	row     verifiedRow
	found   bool
	expires time.Time
}

// record reads a certificate for verification, through the record cache.
func (v *Verifier) record(ctx context.Context, id string) (verifiedRow, bool, error) {
	now := v.now()
	v.mu.Lock()
	c, ok := v.cache[id]
	v.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.row, c.found, nil
	}
	// A plain query (no named prepared statement) keeps it safe behind
	// PgBouncer in transaction mode.
	var row verifiedRow
	err := v.db.GetContext(ctx, &row, verifiedSelect, id)
	if err != nil && !postgres.IsNoRows(err) {
		return row, false, fmt.Errorf("read certificate %s: %w", id, err)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.cache) >= maxCachedRecords {
		clear(v.cache)
	}
	v.cache[id] = cachedRecord{row: row, found: err == nil, expires: now.Add(recordTTL)}
	return row, err == nil, nil
}

// Forget drops a certificate's cached record, so a revocation on this
// instance shows from the next verification.
func (v *Verifier) Forget(id string) {
	v.mu.Lock()
	delete(v.cache, id)
	v.mu.Unlock()
}

// verifiedSelect reads a verifiedRow by certificate id.
const verifiedSelect = `SELECT id, learner_name, course_title, issued_at, token, status_list_id, status_index, revoked_at
	FROM certificates WHERE id = $1`

// verifiedRow is what the verifier reads about a certificate.
type verifiedRow struct {
	ID          string     `db:"id"`
	LearnerName string     `db:"learner_name"`
	CourseTitle string     `db:"course_title"`
	IssuedAt    time.Time  `db:"issued_at"`
	Token       string     `db:"token"`
	ListID      int        `db:"status_list_id"`
	Index       int        `db:"status_index"`
	RevokedAt   *time.Time `db:"revoked_at"`
}

// lookup checks a well-signed token against our record of it: it must be the
// very token we issued, and not revoked.
func (v *Verifier) lookup(ctx context.Context, token string, c *verifyClaims) (VerifyResult, error) {
	id, _ := v.certificateID(c.ID)
	row, found, err := v.record(ctx, id)
	if err != nil {
		return VerifyResult{}, err
	} else if !found {
		return VerifyResult{Reason: ReasonUnknownCertificate}, nil
	}
	if row.Token != token || c.CredentialStatus.StatusListIndex != strconv.Itoa(row.Index) ||
		c.CredentialStatus.StatusListCredential != v.urls.statusList(row.ListID) {
		return VerifyResult{Reason: ReasonClaimsMismatch}, nil
	}
	return verified(row), nil
}

// verified is the answer for a well-signed token that is the one we issued
// for row: valid, unless the certificate was revoked.
func verified(row verifiedRow) VerifyResult {
	res := VerifyResult{Valid: true, Certificate: &VerifiedCertificate{ID: row.ID, LearnerName: row.LearnerName,
		CourseTitle: row.CourseTitle, IssuedAt: row.IssuedAt.UTC(), Issuer: IssuerName}}
	if row.RevokedAt != nil {
		res.Valid, res.Revoked, res.Reason = false, true, ReasonRevoked
	}
	return res
}
