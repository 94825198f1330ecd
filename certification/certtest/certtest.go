// Package certtest holds the table of attacks on certificate verification, so
// that the certification tests and any later security suite run the same
// cases. Every case must be answered 200 {valid: false, reason}, never a 500.
package certtest

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Inputs are what the attacks are built from.
type Inputs struct {
	Good        string // a valid certificate token
	Other       string // another valid certificate token (its signature is spliced onto Good)
	Revoked     string // a validly signed token of a revoked certificate
	PublicPEM   []byte // the signing key's public key, PEM
	PublicJWK   []byte // the signing key's public JWK exactly as served
	Kid         string // the kid in Good's header
	AccessToken string // an access token of a real user
	// Sign signs header and payload with the real certificate key. Cases that
	// need it are left out when it is nil.
	Sign func(header, payload map[string]any) string
}

// Attack is one hostile token and the verifier's expected answer.
type Attack struct {
	Name    string
	Token   string
	Reason  string // expected reason
	Revoked bool   // expected revoked flag
}

// Attacks returns every attack case.
func Attacks(in Inputs) []Attack {
	hdr, payload, sig := split(in.Good)
	attacker, _ := rsa.GenerateKey(rand.Reader, 2048)
	header := map[string]any{"alg": "RS256", "typ": "JWT", "kid": in.Kid}
	claims := decode(payload)
	var out []Attack
	add := func(name, token, reason string) { out = append(out, Attack{Name: name, Token: token, Reason: reason}) }

	for _, alg := range []string{"none", "None", "NONE", "nOnE"} {
		add("alg "+alg+" without signature", join(with(header, "alg", alg), claims, nil), "unsupported_algorithm")
		add("alg "+alg+" with the original signature", enc(with(header, "alg", alg))+"."+payload+"."+sig, "unsupported_algorithm")
	}
	add("HS256 keyed with our public key PEM", hs256(with(header, "alg", "HS256"), claims, in.PublicPEM), "unsupported_algorithm")
	add("HS256 keyed with our public JWK", hs256(with(header, "alg", "HS256"), claims, in.PublicJWK), "unsupported_algorithm")
	add("RS512 signature", enc(with(header, "alg", "RS512"))+"."+payload+"."+sig, "unsupported_algorithm")
	add("PS256 signature", enc(with(header, "alg", "PS256"))+"."+payload+"."+sig, "unsupported_algorithm")
	add("ES256 signature", enc(with(header, "alg", "ES256"))+"."+payload+"."+sig, "unsupported_algorithm")
	add("attacker key carrying our kid", rs256(attacker, header, claims), "bad_signature")
	add("embedded jwk header with the attacker key", rs256(attacker, with(header, "jwk", jwkOf(&attacker.PublicKey)), claims), "bad_header")
	add("embedded jwk header without kid", rs256(attacker, without(with(header, "jwk", jwkOf(&attacker.PublicKey)), "kid"), claims), "bad_header")
	add("jku header", rs256(attacker, with(header, "jku", "https://attacker.example/jwks.json"), claims), "bad_header")
	add("x5u header", rs256(attacker, with(header, "x5u", "https://attacker.example/cert.pem"), claims), "bad_header")
	add("x5c header", rs256(attacker, with(header, "x5c", []string{"MIIB"}), claims), "bad_header")
	add("crit header", rs256(attacker, with(header, "crit", []string{"exp"}), claims), "bad_header")
	add("access token typ", rs256(attacker, with(header, "typ", "at+jwt"), claims), "bad_header")
	add("missing typ", rs256(attacker, without(header, "typ"), claims), "bad_header")
	add("missing kid", rs256(attacker, without(header, "kid"), claims), "bad_header")
	add("numeric kid", rs256(attacker, with(header, "kid", 1), claims), "bad_header")
	add("empty kid", rs256(attacker, with(header, "kid", ""), claims), "bad_header")
	base, _, _ := strings.Cut(in.Kid, "/v1/certificates/keys/")
	for name, kid := range map[string]string{
		"unknown kid":                      base + "/v1/certificates/keys/" + strings.Repeat("A", 43),
		"bare thumbprint kid":              in.Kid[strings.LastIndex(in.Kid, "/")+1:],
		"kid with path traversal":          base + "/v1/certificates/keys/../../../../etc/passwd",
		"kid that is a file path":          "../../../../../../etc/passwd",
		"kid on another origin":            "https://attacker.example/v1/certificates/keys/" + in.Kid[strings.LastIndex(in.Kid, "/")+1:],
		"very long kid":                    base + "/v1/certificates/keys/" + strings.Repeat("k", 10_000),
		"kid with SQL metacharacters":      `x' OR '1'='1'; DROP TABLE certificate_keys; --`,
		"kid with NUL and newline":         in.Kid + "\x00\n",
		"kid with our prefix and a suffix": in.Kid + "?x=1",
	} {
		add(name, rs256(attacker, with(header, "kid", kid), claims), "unknown_key")
	}
	add("tampered payload", hdr+"."+enc(with(claims, "name", "Forged Course"))+"."+sig, "bad_signature")
	add("signature of another certificate", hdr+"."+payload+"."+third(in.Other), "bad_signature")
	add("empty signature", hdr+"."+payload+".", "bad_signature")
	add("truncated signature", hdr+"."+payload+"."+sig[:len(sig)/8*4], "bad_signature")
	add("two segments", hdr+"."+payload, "malformed")
	add("four segments", in.Good+"."+sig, "malformed")
	add("five segments", in.Good+"."+sig+"."+sig, "malformed")
	add("bad base64 in payload", hdr+"."+payload[:10]+"*!"+payload[12:]+"."+sig, "malformed")
	add("bad base64 in header", "e$$."+payload+"."+sig, "malformed")
	add("padded base64", hdr+"=."+payload+"."+sig, "malformed")
	add("header that is not JSON", enc2("not json")+"."+payload+"."+sig, "malformed")
	add("payload that is not JSON", hdr+"."+enc2("not json")+"."+sig, "malformed")
	add("empty string", "", "malformed")
	add("only dots", "..", "malformed")
	add("huge string", strings.Repeat("a", 1<<20)+"."+payload+"."+sig, "malformed")
	add("access token presented as a certificate", in.AccessToken, "unsupported_algorithm")
	if in.Revoked != "" {
		out = append(out, Attack{Name: "revoked certificate", Token: in.Revoked, Reason: "revoked", Revoked: true})
	}
	if in.Sign != nil {
		out = append(out, signed(in, header, claims)...)
	}
	return out
}

// signed are the cases that need our own key: a perfect signature over claims
// that must still be refused.
func signed(in Inputs, header, claims map[string]any) []Attack {
	now := time.Now().Unix()
	past := time.Unix(now-3600, 0).UTC().Format(time.RFC3339)
	future := time.Unix(now+3600, 0).UTC().Format(time.RFC3339)
	foreign := map[string]any{"id": "https://attacker.example/issuer", "type": []string{"Profile"}, "name": "CyberCampus"}
	id, _ := claims["id"].(string)
	unknownID := id[:strings.LastIndex(id, "/")+1] + "00000000-0000-4000-8000-000000000000"
	subject := with(claims["credentialSubject"].(map[string]any), "id", "urn:uuid:00000000-0000-4000-8000-000000000000")
	cases := []struct {
		name, reason string
		payload      map[string]any
		header       map[string]any
	}{
		{"expired exp", "expired", with(with(claims, "exp", now-3600), "validUntil", past), header},
		{"future nbf", "not_yet_valid", with(with(claims, "nbf", now+3600), "validFrom", future), header},
		{"missing iss", "missing_claims", without(claims, "iss"), header},
		{"missing jti", "missing_claims", without(claims, "jti"), header},
		{"missing sub", "missing_claims", without(claims, "sub"), header},
		{"missing nbf", "missing_claims", without(claims, "nbf"), header},
		{"iss differs from issuer", "claims_mismatch", with(claims, "iss", "https://attacker.example/issuer"), header},
		{"jti differs from id", "claims_mismatch", with(claims, "jti", "https://attacker.example/certificates/1"), header},
		{"sub differs from credentialSubject.id", "claims_mismatch", with(claims, "sub", "urn:uuid:11111111-1111-4111-8111-111111111111"), header},
		{"nbf differs from validFrom", "claims_mismatch", with(claims, "nbf", now-86400*400), header},
		{"exp without validUntil", "claims_mismatch", with(claims, "exp", now+86400), header},
		{"not an OpenBadgeCredential", "claims_mismatch", with(claims, "type", []string{"VerifiableCredential"}), header},
		{"another subject with the sub to match", "claims_mismatch", with(with(claims, "credentialSubject", subject), "sub", subject["id"]), header},
		{"foreign issuer", "wrong_issuer", with(with(claims, "issuer", foreign), "iss", foreign["id"]), header},
		{"foreign issuer as a bare IRI", "wrong_issuer", with(with(claims, "issuer", foreign["id"]), "iss", foreign["id"]), header},
		{"our issuer as a bare IRI", "claims_mismatch", with(claims, "issuer", claims["iss"]), header},
		{"credential id of no certificate", "unknown_certificate", with(with(claims, "id", "https://attacker.example/x"), "jti", "https://attacker.example/x"), header},
		{"credential id of a certificate that does not exist", "unknown_certificate", with(with(claims, "id", unknownID), "jti", unknownID), header},
		{"re-signed with a changed name", "claims_mismatch", with(claims, "name", "Forged Course"), header},
		{"our key with typ at+jwt", "bad_header", claims, with(header, "typ", "at+jwt")},
	}
	var out []Attack
	for _, c := range cases {
		out = append(out, Attack{Name: c.name, Token: in.Sign(c.header, c.payload), Reason: c.reason})
	}
	return out
}

func split(tok string) (h, p, s string) {
	parts := strings.SplitN(tok, ".", 3)
	if len(parts) != 3 {
		panic("certtest: Good is not a compact JWS")
	}
	return parts[0], parts[1], parts[2]
}

func third(tok string) string { _, _, s := split(tok); return s }

func decode(seg string) map[string]any {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		panic(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		panic(err)
	}
	return m
}

func with(m map[string]any, k string, v any) map[string]any {
	c := make(map[string]any, len(m)+1)
	for kk, vv := range m {
		c[kk] = vv
	}
	c[k] = v
	return c
}

func without(m map[string]any, k string) map[string]any {
	c := with(m, k, nil)
	delete(c, k)
	return c
}

func enc(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func enc2(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func join(h, p map[string]any, sig []byte) string {
	return enc(h) + "." + enc(p) + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func hs256(h, p map[string]any, key []byte) string {
	input := enc(h) + "." + enc(p)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func rs256(key *rsa.PrivateKey, h, p map[string]any) string {
	input := enc(h) + "." + enc(p)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func jwkOf(pub *rsa.PublicKey) map[string]any {
	return map[string]any{"kty": "RSA", "n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes())}
}

// Describe names a case in failure messages without printing a huge token.
func (a Attack) Describe() string {
	t := a.Token
	if len(t) > 80 {
		t = t[:80] + "…"
	}
	return fmt.Sprintf("%s (%q)", a.Name, t)
}
