package certification

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
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

// VerifyResult is the answer of the verifier.
type VerifyResult struct {
	Valid       bool                 `json:"valid"`
	Reason      string               `json:"reason,omitempty"`
	Revoked     bool                 `json:"revoked"`
	Certificate *VerifiedCertificate `json:"certificate"`
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
		ID   string   `json:"id"`
		Type []string `json:"type"`
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
	parser *jwt.Parser    // decodes segments (strict base64)
	valid  *jwt.Validator // checks exp and nbf
	now    func() time.Time
	mu     sync.Mutex
	cache  map[string]cachedRecord
}

// NewVerifier returns a verifier. It accepts RS256 only, the one algorithm we sign with.
func NewVerifier(keys *Keyring, baseURL string, db *sqlx.DB, now func() time.Time) *Verifier {
	return &Verifier{keys: keys, urls: urls{baseURL}, db: db, now: now, cache: map[string]cachedRecord{},
		parser: jwt.NewParser(jwt.WithStrictDecoding()),
		valid:  jwt.NewValidator(jwt.WithLeeway(clockLeeway), jwt.WithTimeFunc(now))}
}

// Verify checks token and says why it is not valid. Bad input never is an
// error: only a failing database is.
func (v *Verifier) Verify(ctx context.Context, token string) (VerifyResult, error) {
	claims, reason := v.check(ctx, token)
	if reason != "" {
		return VerifyResult{Reason: reason}, nil
	}
	return v.lookup(ctx, token, claims)
}

// check verifies the signature and the claims; it returns a reason on failure.
//
// It runs golang-jwt's steps in golang-jwt's order (segments, header, claims,
// key, RS256 signature, exp and nbf), with the library's own segment decoder,
// signature method and claims validator. It does not call Parser.ParseWithClaims
// because that decodes the header a second time into a map and copies the
// signing input once more, a tenth of the work of a verification; the header
// is checked more strictly here anyway (checkHeader).
func (v *Verifier) check(ctx context.Context, token string) (*verifyClaims, string) {
	if len(token) == 0 || len(token) > MaxTokenBytes || strings.Count(token, ".") != 2 {
		return nil, ReasonMalformed
	}
	head, rest, _ := strings.Cut(token, ".")
	payload, sigSeg, _ := strings.Cut(rest, ".")
	kid, r := checkHeader(head)
	if r != "" {
		return nil, r
	}
	var claims verifyClaims
	raw, err := v.parser.DecodeSegment(payload)
	if err != nil || json.Unmarshal(raw, &claims) != nil {
		return nil, ReasonMalformed
	}
	sig, err := v.parser.DecodeSegment(sigSeg)
	if err != nil {
		return nil, ReasonMalformed
	}
	pub, ok := v.keys.PublicKey(ctx, kid)
	if !ok {
		return nil, ReasonUnknownKey
	}
	if jwt.SigningMethodRS256.Verify(token[:len(head)+1+len(payload)], sig, pub) != nil {
		return nil, ReasonSignature
	}
	if err := v.valid.Validate(&claims); err != nil {
		return nil, claimsReason(err)
	}
	if r := v.checkClaims(&claims); r != "" {
		return nil, r
	}
	return &claims, ""
}

// checkHeader allows exactly the header we issue: alg RS256, typ JWT and a kid,
// with no key-carrying or critical parameters an attacker could steer us with.
// It returns the kid.
func checkHeader(seg string) (kid string, reason string) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(seg)
	if err != nil {
		return "", ReasonMalformed
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(raw, &h); err != nil {
		return "", ReasonMalformed
	}
	if string(h["alg"]) != `"RS256"` {
		return "", ReasonAlgorithm
	}
	for _, p := range []string{"jku", "x5u", "jwk", "x5c", "x5t", "x5t#S256", "crit", "b64", "zip"} {
		if _, ok := h[p]; ok {
			return "", ReasonHeader
		}
	}
	// typ must be written exactly as we write it.
	if string(h["typ"]) != `"`+JWTType+`"` || json.Unmarshal(h["kid"], &kid) != nil || kid == "" {
		return "", ReasonHeader
	}
	return kid, ""
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

// issuerID reads the issuer, which a credential may give as an IRI or a Profile.
// The first byte says which, so only one decode runs (a failed decode as a
// string scanned the whole profile and built an error on every verification).
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
// the instance that made it). It spares the database one query per
// verification of a popular certificate.
const recordTTL = 5 * time.Second

// maxCachedRecords bounds the record cache; only well-signed tokens of our own
// certificates ever reach it.
const maxCachedRecords = 10000

type cachedRecord struct {
	row     verifiedRow
	found   bool
	expires time.Time
}

// record reads a certificate for verification through the short-lived cache.
// A plain query (no named prepared statement) keeps it safe behind PgBouncer
// in transaction mode.
func (v *Verifier) record(ctx context.Context, id string) (verifiedRow, bool, error) {
	now := v.now()
	v.mu.Lock()
	c, ok := v.cache[id]
	v.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.row, c.found, nil
	}
	const q = `SELECT id, learner_name, course_title, issued_at, token, status_list_id, status_index, revoked_at
		FROM certificates WHERE id = $1`
	var row verifiedRow
	err := v.db.GetContext(ctx, &row, q, id)
	if err != nil && !postgres.IsNoRows(err) {
		return verifiedRow{}, false, err
	}
	v.mu.Lock()
	if len(v.cache) >= maxCachedRecords {
		clear(v.cache)
	}
	v.cache[id] = cachedRecord{row: row, found: err == nil, expires: now.Add(recordTTL)}
	v.mu.Unlock()
	return row, err == nil, nil
}

// Forget drops a certificate's cached record, so a revocation on this
// instance shows at once.
func (v *Verifier) Forget(id string) {
	v.mu.Lock()
	delete(v.cache, id)
	v.mu.Unlock()
}

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
	res := VerifyResult{Valid: true, Certificate: &VerifiedCertificate{ID: row.ID, LearnerName: row.LearnerName,
		CourseTitle: row.CourseTitle, IssuedAt: row.IssuedAt.UTC(), Issuer: IssuerName}}
	if row.RevokedAt != nil {
		res.Valid, res.Revoked, res.Reason = false, true, ReasonRevoked
	}
	return res, nil
}
