// Package auth issues and checks access tokens, hashes passwords and makes
// refresh tokens.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	cc "github.com/cybercampus/cybercampus"
)

// AccessTokenType is the JWT typ of access tokens (RFC 9068). Certificates use
// "JWT" and a different algorithm, so neither can pass for the other.
const AccessTokenType = "at+jwt"

// Audience is the aud of every access token.
const Audience = "cybercampus-api"

// Tokens issues and parses HS256 access tokens.
type Tokens struct {
	key    []byte
	issuer string
	ttl    time.Duration
	now    func() time.Time
	parser *jwt.Parser // HS256 only; checks iss, aud, exp (required), iat and nbf
}

// NewTokens returns a token service signing with key for issuer.
func NewTokens(key []byte, issuer string, ttl time.Duration) *Tokens {
	t := &Tokens{key: key, issuer: issuer, ttl: ttl, now: time.Now}
	t.parser = jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithStrictDecoding(),
		jwt.WithIssuer(issuer), jwt.WithAudience(Audience), jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
		jwt.WithLeeway(30*time.Second), jwt.WithTimeFunc(func() time.Time { return t.now() }))
	return t
}

// TTL is the lifetime of access tokens.
func (t *Tokens) TTL() time.Duration { return t.ttl }

type accessClaims struct {
	Roles          []string `json:"roles"`
	SessionID      string   `json:"sid,omitempty"`
	SessionVersion int      `json:"sv"`
	jwt.RegisteredClaims
}

// newAccessToken is an unsigned access token: HS256, typ at+jwt.
func newAccessToken(claims jwt.Claims) *jwt.Token {
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	tok.Header["typ"] = AccessTokenType
	return tok
}

// IssueAccess signs an access token for the principal, carrying its session
// and session version.
func (t *Tokens) IssueAccess(p cc.Principal) (string, error) {
	now := t.now()
	claims := accessClaims{
		Roles:          p.Roles,
		SessionID:      p.SessionID,
		SessionVersion: p.SessionVersion,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.issuer,
			Subject:   p.UserID,
			Audience:  jwt.ClaimStrings{Audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(t.ttl)),
			ID:        uuid.NewString(),
		},
	}
	return newAccessToken(claims).SignedString(t.key)
}

var errInvalidAccess = errors.New("invalid access token")

// accessKey is the key of a token whose header is the one we sign: alg (which
// the parser holds to HS256) and typ at+jwt, and no other parameter, so no
// kid, jku or embedded key can steer the check.
func (t *Tokens) accessKey(tok *jwt.Token) (any, error) {
	if len(tok.Header) != 2 || tok.Header["typ"] != AccessTokenType {
		return nil, errInvalidAccess
	}
	return t.key, nil
}

// ParseAccess verifies an access token: only HS256, our issuer and audience,
// typ at+jwt, a required exp, and a subject that is a UUID.
func (t *Tokens) ParseAccess(s string) (cc.Principal, error) {
	var claims accessClaims
	if _, err := t.parser.ParseWithClaims(s, &claims, t.accessKey); err != nil {
		return cc.Principal{}, errInvalidAccess
	}
	if !cc.IsUUID(claims.Subject) {
		return cc.Principal{}, errors.New("invalid subject")
	}
	if claims.SessionID != "" && !cc.IsUUID(claims.SessionID) {
		return cc.Principal{}, errors.New("invalid session")
	}
	for _, r := range claims.Roles {
		if !cc.ValidRole(r) {
			return cc.Principal{}, errors.New("invalid role")
		}
	}
	return cc.Principal{UserID: claims.Subject, Roles: claims.Roles, SessionID: claims.SessionID,
		SessionVersion: claims.SessionVersion}, nil
}

// NewRefreshToken returns an opaque refresh token and the hash to store.
func NewRefreshToken() (token string, hash []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashRefreshToken(token)
}

// HashRefreshToken returns the stored form of a refresh token.
func HashRefreshToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
