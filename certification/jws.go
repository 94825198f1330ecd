package certification

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
)

// jwsHeader is the protected header of every token we sign. It names the key
// only by kid; it never carries jku, x5u or an embedded jwk.
type jwsHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// signJWS returns the compact RS256 JWS of payload under key.
func signJWS(key *rsa.PrivateKey, kid string, payload any) (string, error) {
	p, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	input := headerSegment(kid) + "." + base64.RawURLEncoding.EncodeToString(p)
	sig, err := signInput(key, input)
	if err != nil {
		return "", err
	}
	return input + "." + sig, nil
}

// headerSegment is the encoded protected header we sign with the key kid.
func headerSegment(kid string) string {
	h, _ := json.Marshal(jwsHeader{Alg: "RS256", Kid: kid, Typ: JWTType}) // strings only: cannot fail
	return base64.RawURLEncoding.EncodeToString(h)
}

// signInput returns the base64url RS256 signature of a JWS signing input.
func signInput(key *rsa.PrivateKey, input string) (string, error) {
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sig), nil
}
