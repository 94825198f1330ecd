package certification

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash/maphash"
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
	parser *jwt.Parser    // decodes segments (strict base64)
	valid  *jwt.Validator // checks exp and nbf
	now    func() time.Time
	mu     sync.Mutex
	cache  map[string]cachedRecord // by certificate id
	// byToken finds, by the token's hash, the certificate id of a token
	// issued() read by itself (the record it names is still checked to hold
	// the very token), or remembers for recordTTL that no certificate holds
	// it (id empty): our status list credentials are signed as certificates
	// are, and would otherwise cost a query each.
	byToken map[uint64]tokenRecord
	seed    maphash.Seed
	headers sync.Map // header segment → kid, for the segments we write (ourHeader)
}

// NewVerifier returns a verifier. It accepts RS256 only, the one algorithm we sign with.
func NewVerifier(keys *Keyring, baseURL string, db *sqlx.DB, now func() time.Time) *Verifier {
	return &Verifier{keys: keys, urls: urls{baseURL}, db: db, now: now, cache: map[string]cachedRecord{},
		byToken: map[uint64]tokenRecord{}, seed: maphash.MakeSeed(),
		parser: jwt.NewParser(jwt.WithStrictDecoding()),
		valid:  jwt.NewValidator(jwt.WithLeeway(clockLeeway), jwt.WithTimeFunc(now))}
}

// Verify checks token and says why it is not valid. Bad input never is an
// error: only a failing database is.
func (v *Verifier) Verify(ctx context.Context, token string) (VerifyResult, error) {
	res, sig, done := v.issued(ctx, token)
	if done {
		return res, nil
	}
	return v.full(ctx, token, sig)
}

// full is the verification of any token: every check, in golang-jwt's
// order, then the record.
func (v *Verifier) full(ctx context.Context, token string, sig signature) (VerifyResult, error) {
	claims, reason := v.check(ctx, token, sig)
	if reason != "" {
		return VerifyResult{Reason: reason}, nil
	}
	if slices.Contains(claims.Type, StatusListType) {
		return v.statusList(ctx, claims)
	}
	return v.lookup(ctx, token, claims)
}

// signature is what the first path learnt of a token's RS256 signature, so
// that the full path does not check it twice.
type signature uint8

const (
	sigUnchecked signature = iota
	sigBad
	sigGood
)

// issued answers for a token that is, byte for byte, one we issued: its
// header is the one we write for one of our keys, its RS256 signature holds,
// and a certificate record holds this very token. Every check of the full
// path (check, then lookup) holds for such a token by construction: we wrote
// its claims from that record, under the base URL its kid carries, which is
// ours, and gave it no validUntil. So the answer comes from the record, read
// by the token itself (certificates_token_md5_idx), without decoding the
// 2 kB credential; nbf is the issuance time, which is checked.
//
// This rests on how certificates are issued (Store.insert, urls.credential):
// a stored token is never rewritten (revocation sets revoked_at only), its
// nbf is issued_at, it has no validUntil, and its status entry is the
// record's. TestIssuedPathAgreesWithFullPath holds the two paths to the same
// answers for the tokens the issuer makes.
//
// Any other token goes the full path (done false), which names the reason;
// sig tells it what was learnt of the signature here. So does a token whose
// record cannot be read: the full path reads it again, or needs no record to
// refuse it.
func (v *Verifier) issued(ctx context.Context, token string) (res VerifyResult, sig signature, done bool) {
	if len(token) == 0 || len(token) > MaxTokenBytes {
		return VerifyResult{}, sigUnchecked, false
	}
	head, rest, _ := strings.Cut(token, ".")
	payload, sigSeg, ok := strings.Cut(rest, ".")
	if !ok || strings.IndexByte(sigSeg, '.') >= 0 {
		return VerifyResult{}, sigUnchecked, false
	}
	kid, ok := v.ourHeader(ctx, head)
	if !ok {
		return VerifyResult{}, sigUnchecked, false
	}
	pub, ok := v.keys.PublicKey(ctx, kid)
	if !ok {
		return VerifyResult{}, sigUnchecked, false
	}
	raw, err := v.parser.DecodeSegment(sigSeg)
	if err != nil {
		return VerifyResult{}, sigUnchecked, false
	}
	if jwt.SigningMethodRS256.Verify(token[:len(head)+1+len(payload)], raw, pub) != nil {
		return VerifyResult{}, sigBad, false
	}
	row, found, err := v.recordByToken(ctx, token)
	if err != nil || !found || row.IssuedAt.After(v.now().Add(clockLeeway)) {
		return VerifyResult{}, sigGood, false
	}
	return verified(row), sigGood, true
}

// ourHeader returns the kid of a header segment that is exactly the one we
// write for one of our keys (headerSegment). Those segments are remembered:
// there is one per key.
func (v *Verifier) ourHeader(ctx context.Context, seg string) (string, bool) {
	if kid, ok := v.headers.Load(seg); ok {
		return kid.(string), true
	}
	kid, reason := checkHeader(seg)
	if reason != "" || seg != headerSegment(kid) || !strings.HasPrefix(kid, v.urls.base+"/v1/certificates/keys/") {
		return "", false // the last: a key under another base URL than our claims' (wrong_issuer)
	}
	if _, ok := v.keys.PublicKey(ctx, kid); !ok {
		return "", false
	}
	v.headers.Store(seg, kid)
	return kid, true
}

// check verifies the signature and the claims; it returns a reason on failure.
//
// It runs golang-jwt's steps in golang-jwt's order (segments, header, claims,
// key, RS256 signature, exp and nbf), with the library's own segment decoder,
// signature method and claims validator. It does not call Parser.ParseWithClaims
// because that decodes the header a second time into a map and copies the
// signing input once more, a tenth of the work of a verification; the header
// is checked more strictly here anyway (checkHeader).
//
// sig is what Verify learnt of the signature already (issued): the result of
// the RS256 check, which is then not repeated.
func (v *Verifier) check(ctx context.Context, token string, sig signature) (*verifyClaims, string) {
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
	rawSig, err := v.parser.DecodeSegment(sigSeg)
	if err != nil {
		return nil, ReasonMalformed
	}
	pub, ok := v.keys.PublicKey(ctx, kid)
	if !ok {
		return nil, ReasonUnknownKey
	}
	if sig == sigBad || (sig == sigUnchecked && jwt.SigningMethodRS256.Verify(token[:len(head)+1+len(payload)], rawSig, pub) != nil) {
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
func (v *Verifier) statusList(_ context.Context, c *verifyClaims) (VerifyResult, error) {
	return VerifyResult{Valid: true, StatusList: &VerifiedStatusList{ID: c.ID, ValidUntil: c.ExpiresAt.Time.UTC()}}, nil
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
	var row verifiedRow
	err := v.db.GetContext(ctx, &row, verifiedSelect+` WHERE id = $1`, id)
	if err != nil && !postgres.IsNoRows(err) {
		return verifiedRow{}, false, err
	}
	v.remember(id, cachedRecord{row: row, found: err == nil, expires: now.Add(recordTTL)})
	return row, err == nil, nil
}

// verifiedSelect reads a verifiedRow.
const verifiedSelect = `SELECT id, learner_name, course_title, issued_at, token, status_list_id, status_index, revoked_at
	FROM certificates`

// recordByToken reads, through the same cache, the certificate whose token
// is exactly token.
func (v *Verifier) recordByToken(ctx context.Context, token string) (verifiedRow, bool, error) {
	now := v.now()
	h := maphash.String(v.seed, token)
	v.mu.Lock()
	t, ok := v.byToken[h]
	c := v.cache[t.id]
	v.mu.Unlock()
	switch {
	case ok && t.id == "" && now.Before(t.expires):
		return verifiedRow{}, false, nil // a hash collision only sends a token to the full path
	case ok && c.found && c.row.Token == token && now.Before(c.expires):
		return c.row, true, nil
	}
	var row verifiedRow
	err := v.db.GetContext(ctx, &row, verifiedSelect+` WHERE md5(token) = md5($1) AND token = $1`, token)
	if err != nil && !postgres.IsNoRows(err) {
		return verifiedRow{}, false, err
	}
	found := err == nil
	v.mu.Lock()
	defer v.mu.Unlock()
	v.makeRoom()
	if found {
		v.cache[row.ID] = cachedRecord{row: row, found: true, expires: now.Add(recordTTL)}
	}
	v.byToken[h] = tokenRecord{id: row.ID, expires: now.Add(recordTTL)}
	return row, found, nil
}

// tokenRecord is what byToken knows of a token: its certificate, or none
// until expires.
type tokenRecord struct {
	id      string
	expires time.Time
}

// remember caches a record read by id.
func (v *Verifier) remember(id string, c cachedRecord) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.makeRoom()
	v.cache[id] = c
}

// makeRoom keeps both caches within maxCachedRecords; v.mu is held.
func (v *Verifier) makeRoom() {
	if len(v.cache) >= maxCachedRecords || len(v.byToken) >= maxCachedRecords {
		clear(v.cache)
		clear(v.byToken)
	}
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
