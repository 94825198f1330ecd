package auth

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	cc "github.com/cybercampus/cybercampus"
)

const uid = "7c9e6679-7425-40de-944b-e07fc1f90ae7"

func TestAccessTokenRoundTrip(t *testing.T) {
	tk := NewTokens([]byte("k-0123456789abcdef0123456789abcdef"), "https://cc.example", time.Minute)
	s, err := tk.IssueAccess(cc.Principal{UserID: uid, Roles: []string{"learner", "trainer"}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := tk.ParseAccess(s)
	if err != nil || p.UserID != uid || !p.Has("trainer") {
		t.Fatalf("parse: %v %+v", err, p)
	}
}

func TestAccessTokenRejections(t *testing.T) {
	key := []byte("k-0123456789abcdef0123456789abcdef")
	tk := NewTokens(key, "https://cc.example", time.Minute)
	now := time.Now()
	base := func() jwt.MapClaims {
		return jwt.MapClaims{"sub": uid, "iss": "https://cc.example", "aud": []string{Audience},
			"exp": now.Add(time.Minute).Unix(), "iat": now.Unix(), "roles": []string{"learner"}}
	}
	sign := func(c jwt.MapClaims, typ string, method jwt.SigningMethod, k any, header ...string) string {
		tok := jwt.NewWithClaims(method, c)
		if typ != "" {
			tok.Header["typ"] = typ
		}
		for i := 0; i+1 < len(header); i += 2 {
			tok.Header[header[i]] = header[i+1]
		}
		s, err := tok.SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	with := func(k string, v any) jwt.MapClaims { c := base(); c[k] = v; return c }
	without := func(k string) jwt.MapClaims { c := base(); delete(c, k); return c }
	cases := []struct{ name, token string }{
		{"expired", sign(with("exp", now.Add(-time.Hour).Unix()), AccessTokenType, jwt.SigningMethodHS256, key)},
		{"no exp", sign(without("exp"), AccessTokenType, jwt.SigningMethodHS256, key)},
		{"wrong audience", sign(with("aud", []string{"someone-else"}), AccessTokenType, jwt.SigningMethodHS256, key)},
		{"wrong issuer", sign(with("iss", "https://evil.example"), AccessTokenType, jwt.SigningMethodHS256, key)},
		{"certificate typ", sign(base(), "JWT", jwt.SigningMethodHS256, key)},
		{"no typ", sign(base(), "", jwt.SigningMethodHS256, key)},
		{"HS512", sign(base(), AccessTokenType, jwt.SigningMethodHS512, key)},
		{"other key", sign(base(), AccessTokenType, jwt.SigningMethodHS256, []byte("another key of enough length....."))},
		{"alg none", sign(base(), AccessTokenType, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType)},
		{"subject not a uuid", sign(with("sub", "admin"), AccessTokenType, jwt.SigningMethodHS256, key)},
		{"unknown role", sign(with("roles", []string{"root"}), AccessTokenType, jwt.SigningMethodHS256, key)},
		{"issued in the future", sign(with("iat", now.Add(time.Hour).Unix()), AccessTokenType, jwt.SigningMethodHS256, key)},
		{"empty", ""},
		{"our key with a kid", sign(base(), AccessTokenType, jwt.SigningMethodHS256, key, "kid", "k1")},
		{"our key with a jku", sign(base(), AccessTokenType, jwt.SigningMethodHS256, key, "jku", "https://evil.example/keys")},
		{"typ in other case", sign(base(), "AT+JWT", jwt.SigningMethodHS256, key)},
		{"not yet valid", sign(with("nbf", now.Add(time.Hour).Unix()), AccessTokenType, jwt.SigningMethodHS256, key)},
		{"four segments", sign(base(), AccessTokenType, jwt.SigningMethodHS256, key) + ".x"},
		{"payload not JSON", ourHeader + "." + base64.RawURLEncoding.EncodeToString([]byte("roles")) + "." + hs256(key, ourHeader+"."+base64.RawURLEncoding.EncodeToString([]byte("roles")))},
		{"audience missing", sign(without("aud"), AccessTokenType, jwt.SigningMethodHS256, key)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tk.ParseAccess(tc.token); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// ourHeader is the header segment of the access tokens we sign.
var ourHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"at+jwt"}`))

// hs256 signs a signing input with key.
func hs256(key []byte, input string) string {
	sig, _ := jwt.SigningMethodHS256.Sign(input, key)
	return base64.RawURLEncoding.EncodeToString(sig)
}

// Tokens made by hand with our header, key and claims are accepted: what
// counts is the header, not the way a token was made.
func TestAccessTokenByHand(t *testing.T) {
	key := []byte("k-0123456789abcdef0123456789abcdef")
	tk := NewTokens(key, "https://cc.example", time.Minute)
	now := time.Now().Unix()
	payload := base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"https://cc.example","aud":"cybercampus-api","sub":"` + uid +
		`","exp":` + strconv.FormatInt(now+60, 10) + `,"iat":` + strconv.FormatInt(now, 10) + `,"roles":["analyst"]}`))
	head := ourHeader
	p, err := tk.ParseAccess(head + "." + payload + "." + hs256(key, head+"."+payload))
	if err != nil || p.UserID != uid || !p.Has("analyst") {
		t.Fatalf("parse: %v %+v", err, p)
	}
}

// BenchmarkParseAccess runs on every authenticated request.
func BenchmarkParseAccess(b *testing.B) {
	tk := NewTokens([]byte("k-0123456789abcdef0123456789abcdef"), "https://cc.example", time.Minute)
	s, _ := tk.IssueAccess(cc.Principal{UserID: uid, Roles: []string{"learner"}})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tk.ParseAccess(s); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPasswords(t *testing.T) {
	h := HashPassword("correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$") || strings.Contains(h, "correct") {
		t.Fatalf("hash %q", h)
	}
	if !CheckPassword(h, "correct horse battery") {
		t.Fatal("right password rejected")
	}
	for _, tc := range []struct{ name, hash, pw string }{
		{"wrong password", h, "correct horse batterY"},
		{"no account", "", "correct horse battery"},
		{"corrupt hash", "$argon2id$v=19$m=x$salt$key", "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if CheckPassword(tc.hash, tc.pw) {
				t.Fatal("accepted")
			}
		})
	}
	if HashPassword("same") == HashPassword("same") {
		t.Fatal("hashes are not salted")
	}
}

func TestRefreshTokens(t *testing.T) {
	a, ha := NewRefreshToken()
	b, _ := NewRefreshToken()
	if a == b || len(a) < 40 || string(HashRefreshToken(a)) != string(ha) {
		t.Fatal("refresh tokens are not random or hashes differ")
	}
}
