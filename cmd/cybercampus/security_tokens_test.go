package main

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/cybercampus/cybercampus/certification/certtest"
)

func newUUID() string { return uuid.NewString() }

// jwsHeader decodes the header of a compact JWS.
func jwsHeader(t *testing.T, token string) map[string]any {
	t.Helper()
	seg, _, _ := strings.Cut(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatalf("header of %.40q: %v", token, err)
	}
	return decode(t, b)
}

// certificateAttacks runs every attack of the certification attack table
// against the running program's verifier.
func (w *world) certificateAttacks(t *testing.T) {
	_, _, jwk := w.send(t, attempt{method: "GET", path: "/v1/certificates/keys/" + w.thumbprint})
	var k struct{ N, E string }
	json.Unmarshal(jwk, &k)
	n, _ := base64.RawURLEncoding.DecodeString(k.N)
	e, _ := base64.RawURLEncoding.DecodeString(k.E)
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatalf("published key %s: %v", jwk, err)
	}
	in := certtest.Inputs{Good: w.good, Other: w.other, Revoked: w.revoked, Kid: w.kid, PublicJWK: jwk,
		PublicPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), AccessToken: w.learnerA.token,
		Sign: certSigner(t, w.thumbprint)}
	const route = "POST /v1/certificates/verify"
	for _, a := range certtest.Attacks(in) {
		code, _, b := w.send(t, attempt{method: "POST", path: "/v1/certificates/verify", body: map[string]string{"token": a.Token}})
		var res struct {
			Valid, Revoked bool
			Reason         string
			Certificate    map[string]any
		}
		json.Unmarshal(b, &res)
		ok := code == 200 && !res.Valid && res.Reason == a.Reason && res.Revoked == a.Revoked && (res.Certificate != nil) == a.Revoked
		if !ok {
			t.Errorf("%s: %d %.300s, want valid=false reason=%s", a.Describe(), code, b, a.Reason)
		}
		w.tally.add("certificate forgery (certtest table)", "200 valid=false with the expected reason", route, ok, string(b))
	}
	code, _, b := w.send(t, attempt{method: "POST", path: "/v1/certificates/verify", body: map[string]string{"token": w.good}})
	if code != 200 || !strings.Contains(string(b), `"valid":true`) {
		t.Fatalf("the genuine certificate no longer verifies: %d %s", code, b)
	}
}

// certSigner signs with the program's current certificate key, read from the
// database the way the program stores it (AES-GCM under a key derived from
// the generated secret): the attacks that need a perfect signature over bad
// claims are those of an insider holding the key.
func certSigner(t *testing.T, thumbprint string) func(header, payload map[string]any) string {
	t.Helper()
	var enc, secret []byte
	if err := testDB.Get(&enc, `SELECT private_enc FROM certificate_keys WHERE thumbprint = $1`, thumbprint); err != nil {
		t.Fatalf("certificate key: %v", err)
	}
	if err := testDB.Get(&secret, `SELECT value FROM app_secrets WHERE name = 'cert_key_encryption'`); err != nil {
		t.Fatalf("certificate key secret: %v", err)
	}
	key, _ := hkdf.Key(sha256.New, secret, nil, "cybercampus certificate signing keys v1", 32)
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	plain, err := gcm.Open(nil, enc[:gcm.NonceSize()], enc[gcm.NonceSize():], []byte(thumbprint))
	if err != nil {
		t.Fatalf("decrypt the certificate key (has its storage changed?): %v", err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(plain)
	if err != nil {
		t.Fatal(err)
	}
	priv := parsed.(*rsa.PrivateKey)
	return func(header, payload map[string]any) string {
		h, _ := json.Marshal(header)
		p, _ := json.Marshal(payload)
		input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
		sum := sha256.Sum256([]byte(input))
		sig, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		return input + "." + base64.RawURLEncoding.EncodeToString(sig)
	}
}

// forgedTokens are access tokens that must all be refused; those signed with
// the program's own key (read from the database, as an insider could) show
// that a correct signature is not enough.
func (w *world) forgedTokens(t *testing.T) map[string]string {
	t.Helper()
	var key []byte
	if err := testDB.Get(&key, `SELECT value FROM app_secrets WHERE name = 'jwt_hs256'`); err != nil {
		t.Fatalf("access token key: %v", err)
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(w.learnerA.token, claims); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	sign := func(method jwt.SigningMethod, k any, header map[string]any, change map[string]any, drop ...string) string {
		c := jwt.MapClaims{}
		for name, v := range claims {
			c[name] = v
		}
		for name, v := range change {
			c[name] = v
		}
		for _, name := range drop {
			delete(c, name)
		}
		tok := jwt.NewWithClaims(method, c)
		tok.Header["typ"] = "at+jwt"
		for name, v := range header {
			if v == nil {
				delete(tok.Header, name)
			} else {
				tok.Header[name] = v
			}
		}
		s, err := tok.SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	attacker, _ := rsa.GenerateKey(rand.Reader, 2048)
	parts := strings.Split(w.learnerA.token, ".")
	stripped := headerSwap(t, w.learnerA.token, "alg", "none")
	stripped = stripped[:strings.LastIndex(stripped, ".")+1]
	escalated, _ := json.Marshal(mergeClaims(claims, map[string]any{"roles": []string{"learner", "admin"}}))
	return map[string]string{
		"alg none":                               sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil, nil),
		"alg None with the real signature":       headerSwap(t, w.learnerA.token, "alg", "None"),
		"alg none, signature stripped":           stripped,
		"HS256 with an attacker's key":           sign(jwt.SigningMethodHS256, []byte("an attacker's key of enough length!"), nil, nil),
		"HS384 with the real key":                sign(jwt.SigningMethodHS384, key, nil, nil),
		"HS512 with the real key":                sign(jwt.SigningMethodHS512, key, nil, nil),
		"RS256 with an attacker's embedded jwk":  sign(jwt.SigningMethodRS256, attacker, map[string]any{"jwk": map[string]any{"kty": "RSA", "n": base64.RawURLEncoding.EncodeToString(attacker.N.Bytes()), "e": "AQAB"}}, nil),
		"RS256 claiming the certificate key kid": sign(jwt.SigningMethodRS256, attacker, map[string]any{"kid": w.kid}, nil),
		"expired":                                sign(jwt.SigningMethodHS256, key, nil, map[string]any{"exp": now.Add(-time.Minute).Unix(), "iat": now.Add(-time.Hour).Unix()}),
		"without exp":                            sign(jwt.SigningMethodHS256, key, nil, nil, "exp"),
		"issued in the future":                   sign(jwt.SigningMethodHS256, key, nil, map[string]any{"iat": now.Add(time.Hour).Unix()}),
		"not valid yet":                          sign(jwt.SigningMethodHS256, key, nil, map[string]any{"nbf": now.Add(time.Hour).Unix()}),
		"typ JWT (a certificate's)":              sign(jwt.SigningMethodHS256, key, map[string]any{"typ": "JWT"}, nil),
		"without typ":                            sign(jwt.SigningMethodHS256, key, map[string]any{"typ": nil}, nil),
		"wrong audience":                         sign(jwt.SigningMethodHS256, key, nil, map[string]any{"aud": []string{"another-api"}}),
		"without audience":                       sign(jwt.SigningMethodHS256, key, nil, nil, "aud"),
		"wrong issuer":                           sign(jwt.SigningMethodHS256, key, nil, map[string]any{"iss": "https://attacker.example"}),
		"subject that is not a user id":          sign(jwt.SigningMethodHS256, key, nil, map[string]any{"sub": "admin"}),
		"unknown role":                           sign(jwt.SigningMethodHS256, key, nil, map[string]any{"roles": []string{"root"}}),
		"roles raised, signature kept":           parts[0] + "." + base64.RawURLEncoding.EncodeToString(escalated) + "." + parts[2],
		"signature of another user's token":      parts[0] + "." + parts[1] + "." + strings.Split(w.learnerB.token, ".")[2],
		"certificate presented as access token":  w.good,
		"refresh token presented as access":      w.learnerA.refresh,
		"empty bearer":                           " ",
		"garbage":                                "not-a-token",
		"token with trailing data":               w.learnerA.token + ".x",
	}
}

func mergeClaims(c jwt.MapClaims, change map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range c {
		out[k] = v
	}
	for k, v := range change {
		out[k] = v
	}
	return out
}

// headerSwap changes one header parameter of token, keeping its signature.
func headerSwap(t *testing.T, token, name string, value any) string {
	h := jwsHeader(t, token)
	h[name] = value
	b, _ := json.Marshal(h)
	_, rest, _ := strings.Cut(token, ".")
	return base64.RawURLEncoding.EncodeToString(b) + "." + rest
}

// tokenForgery sends every forged token to every route that reads a token.
func (w *world) tokenForgery(t *testing.T) {
	tokens := w.forgedTokens(t)
	for _, r := range routesWhere(func(r secRoute) bool { return r.access != accPublic }) {
		path := w.fill(r.sample)
		for name, tok := range tokens {
			a := attempt{method: r.method, path: path, token: tok}
			if r.method != "GET" {
				a.body = "{}"
			}
			code, _ := w.refuse(t, "access token forgery ("+strconv.Itoa(len(tokens))+" kinds)", r.key(), a, 401)
			if code != 401 {
				t.Errorf("forged token %q on %s", name, r.key())
			}
		}
	}
	for _, where := range []attempt{
		{method: "GET", path: "/v1/me?access_token=" + w.learnerA.token},
		{method: "GET", path: "/v1/me", header: map[string]string{"Cookie": "access_token=" + w.learnerA.token}},
		{method: "GET", path: "/v1/me", header: map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(w.learnerA.email+":"+w.learnerA.password))}},
		{method: "GET", path: "/v1/me", header: map[string]string{"Authorization": "Token " + w.learnerA.token}},
	} {
		w.refuse(t, "access token outside the Authorization bearer", "GET /v1/me", where, 401)
	}
}

// refreshReuse replays a rotated refresh token: it and its family are refused.
func (w *world) refreshReuse(t *testing.T) {
	u := w.learner(t, "Refresh Victim")
	const route = "POST /v1/auth/refresh"
	code, _, b := w.send(t, attempt{method: "POST", path: "/v1/auth/refresh", body: map[string]string{"refresh_token": u.refresh}})
	if code != 200 {
		t.Fatalf("first refresh: %d %s", code, b)
	}
	next := decode(t, b)["refresh_token"].(string)
	for _, tok := range []string{u.refresh, next, u.refresh, u.token, w.good, "", strings.Repeat("r", 5000)} {
		w.refuse(t, "refresh token reuse and forgery", route, attempt{method: "POST", path: "/v1/auth/refresh",
			body: map[string]string{"refresh_token": tok}}, 401, 422)
	}
}

// noToken calls every route that needs a token without one.
func (w *world) noToken(t *testing.T) {
	for _, r := range routesWhere(func(r secRoute) bool { return r.access >= accUser }) {
		a := attempt{method: r.method, path: w.fill(r.sample)}
		if r.method != "GET" {
			a.body = "{}"
		}
		w.refuse(t, "no token", r.key(), a, 401)
	}
}

// functionLevel calls every role-restricted route with each weaker role.
func (w *world) functionLevel(t *testing.T) {
	weaker := map[access][]user{
		accAdmin:   {w.learnerA, w.trainerA, w.analyst, w.multi},
		accStaff:   {w.learnerA, w.analyst},
		accAnalyst: {w.learnerA, w.trainerA},
	}
	for _, r := range routesWhere(func(r secRoute) bool { return r.access >= accStaff }) {
		for _, u := range weaker[r.access] {
			a := attempt{method: r.method, path: w.fill(r.sample), token: u.token}
			if r.method != "GET" {
				a.body = "{}"
			}
			w.refuse(t, "function level: weaker role on admin, trainer and analyst routes", r.key(), a, 403)
		}
	}
}
