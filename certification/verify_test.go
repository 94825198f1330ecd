package certification

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/certification/certtest"
	"github.com/cybercampus/cybercampus/internal/apptest"
)

// verifyHTTP posts token to the verify endpoint and decodes the answer.
func (f fixture) verifyHTTP(tb testing.TB, token string) VerifyResult {
	tb.Helper()
	resp := f.Expect(tb, apptest.Request{Method: http.MethodPost, Path: "/v1/certificates/verify",
		Body: map[string]string{"token": token}}, http.StatusOK)
	var res VerifyResult
	resp.JSON(tb, &res)
	return res
}

// jwks fetches the published key set.
func (f fixture) jwks(tb testing.TB) (jose.JSONWebKeySet, []byte) {
	tb.Helper()
	resp := f.Expect(tb, apptest.Request{Method: http.MethodGet, Path: "/.well-known/jwks.json"}, http.StatusOK)
	var set jose.JSONWebKeySet
	resp.JSON(tb, &set)
	return set, resp.Body
}

// joseVerify checks token with go-jose and the published JWKS only, as an
// outside verifier would.
func joseVerify(tb testing.TB, set jose.JSONWebKeySet, token string) map[string]any {
	tb.Helper()
	jws, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		tb.Fatalf("go-jose cannot parse: %v", err)
	}
	kid := jws.Signatures[0].Header.KeyID
	keys := set.Key(kid)
	if len(keys) != 1 {
		tb.Fatalf("kid %q is not in the JWKS once (%d)", kid, len(keys))
	}
	payload, err := jws.Verify(keys[0])
	if err != nil {
		tb.Fatalf("go-jose rejects the signature: %v", err)
	}
	var claims map[string]any
	json.Unmarshal(payload, &claims)
	return claims
}

func TestGoodCertificateVerifiesWithAnIndependentLibrary(t *testing.T) {
	f := newFixture(t)
	u := f.NewUserWith(t, apptest.Profile{Name: "Amina Wanjiru"})
	id, token := f.issue(t, u.ID, "Cyber Hygiene for Universities")
	set, _ := f.jwks(t)
	claims := joseVerify(t, set, token)
	if claims["id"] != "http://cybercampus.test/v1/certificates/"+id {
		t.Fatalf("credential id %v", claims["id"])
	}
	for _, k := range set.Keys {
		pub, ok := k.Key.(interface{ Size() int })
		if !ok || pub.Size()*8 < 2048 || k.Algorithm != "RS256" || k.Use != "sig" {
			t.Fatalf("JWKS key %+v is not an RS256 signing key of 2048 bits or more", k)
		}
	}
	res := f.verifyHTTP(t, token)
	want := VerifiedCertificate{ID: id, LearnerName: "Amina Wanjiru", CourseTitle: "Cyber Hygiene for Universities", Issuer: "CyberCampus"}
	if !res.Valid || res.Revoked || res.Reason != "" || res.Certificate == nil {
		t.Fatalf("verify: %+v", res)
	}
	got := *res.Certificate
	got.IssuedAt = time.Time{}
	if got != want {
		t.Fatalf("certificate %+v, want %+v", got, want)
	}
}

func TestCredentialShape(t *testing.T) {
	f := newFixture(t)
	u := f.NewUserWith(t, apptest.Profile{Name: "Nadia Haddad"})
	id, token := f.issue(t, u.ID, "Online Safety")
	h, p := segments(t, token)
	var email string
	if err := f.DB.Get(&email, `SELECT email FROM users WHERE id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	base := "http://cybercampus.test"
	subject := p["credentialSubject"].(map[string]any)
	achievement := subject["achievement"].(map[string]any)
	status := p["credentialStatus"].(map[string]any)
	issuer := p["issuer"].(map[string]any)
	ident := subject["identifier"].([]any)[0].(map[string]any)
	thumb := h["kid"].(string)[strings.LastIndex(h["kid"].(string), "/")+1:]
	validFrom, _ := p["validFrom"].(string)
	vf, err := time.Parse(time.RFC3339, validFrom)
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"header alg RS256", h["alg"] == "RS256"},
		{"header typ JWT", h["typ"] == "JWT"},
		{"kid is the key URL", h["kid"] == base+"/v1/certificates/keys/"+thumb && thumbprintPattern.MatchString(thumb)},
		{"only alg, typ and kid in the header", len(h) == 3},
		{"@context", equalJSON(p["@context"], []string{"https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"})},
		{"type", equalJSON(p["type"], []string{"VerifiableCredential", "OpenBadgeCredential"})},
		{"id is the verify URL", p["id"] == base+"/v1/certificates/"+id},
		{"issuer profile", issuer["id"] == base+"/v1/issuer" && issuer["name"] == "CyberCampus" && equalJSON(issuer["type"], []string{"Profile"})},
		{"validFrom in whole seconds", err == nil && regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(validFrom)},
		{"name is the course", p["name"] == "Online Safety"},
		{"subject type", equalJSON(subject["type"], []string{"AchievementSubject"})},
		{"subject id is an opaque urn:uuid", strings.HasPrefix(subject["id"].(string), "urn:uuid:") && cc.IsUUID(strings.TrimPrefix(subject["id"].(string), "urn:uuid:"))},
		{"subject id exposes neither email nor user id", !strings.Contains(subject["id"].(string), u.ID) && !strings.Contains(token, email)},
		{"learner name as IdentityObject", ident["type"] == "IdentityObject" && ident["identityHash"] == "Nadia Haddad" && ident["identityType"] == "name" && ident["hashed"] == false},
		{"achievement", achievement["name"] == "Online Safety" && achievement["description"] != "" && equalJSON(achievement["type"], []string{"Achievement"})},
		{"achievement criteria narrative", strings.Contains(achievement["criteria"].(map[string]any)["narrative"].(string), "version 1")},
		{"achievement level and audience", equalJSON(achievement["tag"].([]any)[1:], []string{"level:beginner", "audience:youth", "audience:professional"})},
		{"credentialStatus", status["type"] == "BitstringStatusListEntry" && status["statusPurpose"] == "revocation" &&
			regexp.MustCompile(`^\d+$`).MatchString(status["statusListIndex"].(string)) &&
			strings.HasPrefix(status["statusListCredential"].(string), base+"/v1/certificates/status/")},
		{"iss mirrors issuer", p["iss"] == issuer["id"]},
		{"jti mirrors id", p["jti"] == p["id"]},
		{"sub mirrors subject id", p["sub"] == subject["id"]},
		{"nbf mirrors validFrom", p["nbf"] == float64(vf.Unix())},
		{"no exp without validUntil", p["exp"] == nil && p["validUntil"] == nil},
	} {
		if !c.ok {
			t.Errorf("%s: header %v payload %v", c.name, h, p)
		}
	}
}

func equalJSON(got any, want any) bool {
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	return string(a) == string(b)
}

// attackInputs issues the certificates the attack table (and the verifier
// fuzz target) is built from.
func attackInputs(t testing.TB, f fixture) certtest.Inputs {
	t.Helper()
	u := f.NewUser(t)
	_, good := f.issue(t, u.ID, "Attack Surface")
	_, other := f.issue(t, u.ID, "Other Course")
	revokedID, revoked := f.issue(t, u.ID, "Revoked Course")
	admin := f.NewUser(t, cc.RoleAdmin)
	f.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/certificates/" + revokedID + "/revoke", Token: admin.Token,
		Body: map[string]string{"reason": "issued in error"}}, http.StatusOK)
	h, _ := segments(t, good)
	kid := h["kid"].(string)
	resp := f.Expect(t, apptest.Request{Method: http.MethodGet, Path: strings.TrimPrefix(kid, "http://cybercampus.test")}, http.StatusOK)
	pub, ok := f.mod.keys.PublicKey(context.Background(), kid)
	if !ok {
		t.Fatal("no public key for the good token")
	}
	der, _ := x509.MarshalPKIXPublicKey(pub)
	return certtest.Inputs{Good: good, Other: other, Revoked: revoked, Kid: kid, PublicJWK: resp.Body,
		PublicPEM: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), AccessToken: u.Token, Sign: f.signRaw(t)}
}

func TestVerifyRejectsAttacks(t *testing.T) {
	f := newFixture(t)
	for _, a := range certtest.Attacks(attackInputs(t, f)) {
		t.Run(a.Name, func(t *testing.T) {
			res := f.verifyHTTP(t, a.Token)
			if res.Valid || res.Reason != a.Reason || res.Revoked != a.Revoked {
				t.Fatalf("%s: got valid=%v reason=%q revoked=%v, want reason %q revoked=%v",
					a.Describe(), res.Valid, res.Reason, res.Revoked, a.Reason, a.Revoked)
			}
			if (res.Certificate != nil) != a.Revoked {
				t.Fatalf("certificate shown for a refused token: %+v", res.Certificate)
			}
		})
	}
}

func TestVerifyRequestErrors(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		name   string
		req    apptest.Request
		status int
	}{
		{"body that is not JSON", apptest.Request{Raw: []byte("token=abc"), Type: "application/json"}, http.StatusBadRequest},
		{"empty body", apptest.Request{Raw: []byte(""), Type: "application/json"}, http.StatusBadRequest},
		{"no token", apptest.Request{Body: map[string]string{}}, http.StatusUnprocessableEntity},
		{"token that is a number", apptest.Request{Body: map[string]any{"token": 42}}, http.StatusUnprocessableEntity},
		{"token that is null", apptest.Request{Raw: []byte(`{"token": null}`)}, http.StatusUnprocessableEntity},
		{"unknown field", apptest.Request{Body: map[string]string{"token": "a.b.c", "alg": "none"}}, http.StatusUnprocessableEntity},
		{"form content type", apptest.Request{Raw: []byte("token=abc"), Type: "application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.req.Method, c.req.Path = http.MethodPost, "/v1/certificates/verify"
			if c.req.Raw != nil && c.req.Type == "" {
				c.req.Type = "application/json"
			}
			f.Expect(t, c.req, c.status)
		})
	}
}

func TestRotation(t *testing.T) {
	f := newFixture(t)
	u := f.NewUser(t)
	_, before := f.issue(t, u.ID, "Before Rotation")
	// another API instance, which has loaded the keys already
	clock := time.Now()
	other := newFixture(t)
	other.mod.keys.now = func() time.Time { return clock }
	other.mod.verifier = NewVerifier(other.mod.keys, "http://cybercampus.test", testDB.DB, func() time.Time { return clock })
	if r := other.verifyHTTP(t, before); !r.Valid {
		t.Fatalf("other instance: %+v", r)
	}
	tp, err := f.mod.keys.Rotate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	kid := f.mod.keys.KeyID(tp)
	_, after := f.issue(t, u.ID, "After Rotation")
	hb, _ := segments(t, before)
	ha, _ := segments(t, after)
	if ha["kid"] != kid || hb["kid"] == kid {
		t.Fatalf("kid before %v, after %v, rotated to %s", hb["kid"], ha["kid"], kid)
	}
	set, _ := f.jwks(t)
	for name, tok := range map[string]string{"old key": before, "new key": after} {
		joseVerify(t, set, tok)
		if r := f.verifyHTTP(t, tok); !r.Valid {
			t.Fatalf("%s: %+v", name, r)
		}
	}
	t.Run("another instance picks up the new key after the refresh interval", func(t *testing.T) {
		if r := other.verifyHTTP(t, after); r.Reason != ReasonUnknownKey {
			t.Fatalf("within the refresh interval the other instance answered %+v, want its cache to be used", r)
		}
		clock = clock.Add(keyRefreshInterval + time.Second)
		if r := other.verifyHTTP(t, after); !r.Valid {
			t.Fatalf("other instance: %+v", r)
		}
	})
	t.Run("status lists are signed with the current key", func(t *testing.T) {
		resp := f.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/certificates/status/1"}, http.StatusOK)
		h, _ := segments(t, string(resp.Body))
		if h["kid"] != kid {
			t.Fatalf("status list kid %v, want %s", h["kid"], kid)
		}
	})
}
