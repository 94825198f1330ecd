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
}

// NewTokens returns a token service signing with key for issuer.
func NewTokens(key []byte, issuer string, ttl time.Duration) *Tokens {
	return &Tokens{key: key, issuer: issuer, ttl: ttl, now: time.Now}
}

// TTL is the lifetime of access tokens.
func (t *Tokens) TTL() time.Duration { return t.ttl }

type accessClaims struct {
	Roles []string `json:"roles"`
	jwt.RegisteredClaims
}

// IssueAccess signs an access token for the principal.
func (t *Tokens) IssueAccess(p cc.Principal) (string, error) {
	now := t.now()
	claims := accessClaims{
		Roles: p.Roles,
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
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	tok.Header["typ"] = AccessTokenType
	return tok.SignedString(t.key)
}

// ParseAccess verifies an access token: only HS256, our issuer and audience,
// typ at+jwt, a required exp, and a subject that is a UUID.
func (t *Tokens) ParseAccess(s string) (cc.Principal, error) {
	var claims accessClaims
	tok, err := jwt.ParseWithClaims(s, &claims, func(tok *jwt.Token) (any, error) {
		if typ, _ := tok.Header["typ"].(string); typ != AccessTokenType {
			return nil, errors.New("wrong token type")
		}
		return t.key, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(t.issuer),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(t.now),
		jwt.WithLeeway(30*time.Second),
	)
	if err != nil || !tok.Valid {
		return cc.Principal{}, errors.New("invalid access token")
	}
	if !cc.IsUUID(claims.Subject) {
		return cc.Principal{}, errors.New("invalid subject")
	}
	for _, r := range claims.Roles {
		if !cc.ValidRole(r) {
			return cc.Principal{}, errors.New("invalid role")
		}
	}
	return cc.Principal{UserID: claims.Subject, Roles: claims.Roles}, nil
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
