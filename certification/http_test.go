package certification

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/apptest"
)

func get(path string, token string, accept string) apptest.Request {
	r := apptest.Request{Method: http.MethodGet, Path: path, Token: token}
	if accept != "" {
		r.Headers = map[string]string{"Accept": accept}
	}
	return r
}

func TestKeysAndIssuer(t *testing.T) {
	f := newFixture(t)
	u := f.NewUser(t)
	_, token := f.issue(t, u.ID, "Keys")
	h, _ := segments(t, token)
	kid := h["kid"].(string)
	path := strings.TrimPrefix(kid, "http://cybercampus.test")
	t.Run("JWKS lists the signing key with its parameters", func(t *testing.T) {
		_, body := f.jwks(t)
		var set struct{ Keys []map[string]string }
		json.Unmarshal(body, &set)
		found := false
		for _, k := range set.Keys {
			if k["kid"] == kid {
				found = k["kty"] == "RSA" && k["alg"] == "RS256" && k["use"] == "sig" && k["n"] != "" && k["e"] == "AQAB"
			}
		}
		if !found {
			t.Fatalf("kid %s missing or incomplete in %s", kid, body)
		}
	})
	t.Run("the kid URL serves one bare JWK whose thumbprint it is", func(t *testing.T) {
		resp := f.Expect(t, get(path, "", ""), http.StatusOK)
		var k jose.JSONWebKey
		resp.JSON(t, &k)
		tp, err := k.Thumbprint(cryptoSHA256)
		if err != nil || kid != "http://cybercampus.test/v1/certificates/keys/"+b64(tp) {
			t.Fatalf("RFC 7638 thumbprint %s does not match kid %s (%v)", b64(tp), kid, err)
		}
	})
	for name, p := range map[string]string{
		"unknown thumbprint":    "/v1/certificates/keys/" + strings.Repeat("A", 43),
		"thumbprint with dots":  "/v1/certificates/keys/..%2F..%2Fetc",
		"SQL in the thumbprint": "/v1/certificates/keys/x'%20OR%20'1'='1",
	} {
		t.Run(name+" is 404", func(t *testing.T) { f.Expect(t, get(p, "", ""), http.StatusNotFound) })
	}
	t.Run("issuer profile", func(t *testing.T) {
		m := f.Expect(t, get("/v1/issuer", "", ""), http.StatusOK).Map(t)
		if m["id"] != "http://cybercampus.test/v1/issuer" || m["name"] != "CyberCampus" || !equalJSON(m["type"], []string{"Profile"}) || m["url"] != "http://cybercampus.test" {
			t.Fatalf("issuer %v", m)
		}
	})
}

func TestCertificatePage(t *testing.T) {
	f := newFixture(t)
	u := f.NewUserWith(t, apptest.Profile{Name: `<script>alert("x")</script> Zoë`})
	id, token := f.issue(t, u.ID, `Security & <b>Risk</b>`)
	path := "/v1/certificates/" + id
	t.Run("JSON record by default", func(t *testing.T) {
		var rec map[string]any
		f.Expect(t, get(path, "", ""), http.StatusOK).JSON(t, &rec)
		if rec["id"] != id || rec["learner_name"] != u.Name || rec["course_title"] != `Security & <b>Risk</b>` ||
			rec["revoked"] != false || rec["issuer"] != "CyberCampus" || rec["verify_url"] != "http://cybercampus.test"+path ||
			rec["course"].(map[string]any)["title"] != rec["course_title"] || rec["token"] != token {
			t.Fatalf("record %v", rec)
		}
		if _, ok := rec["user_id"]; ok {
			t.Fatal("record exposes the user id")
		}
	})
	t.Run("HTML page escapes user text and loads nothing", func(t *testing.T) {
		resp := f.Expect(t, get(path, "", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"), http.StatusOK)
		body := string(resp.Body)
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("content type %s", resp.Header.Get("Content-Type"))
		}
		for _, bad := range []string{"<script>", "<b>Risk", "src=", "http://", "https://fonts", "<link"} {
			if strings.Contains(strings.ReplaceAll(body, "http://cybercampus.test"+path, ""), bad) {
				t.Errorf("page contains %q", bad)
			}
		}
		for _, want := range []string{"&lt;script&gt;", "Zoë", "Security &amp; &lt;b&gt;Risk&lt;/b&gt;", "Valid", "CyberCampus", `lang="en"`} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
	})
	t.Run("text/plain is the compact JWS", func(t *testing.T) {
		resp := f.Expect(t, get(path, "", "text/plain"), http.StatusOK)
		if string(resp.Body) != token {
			t.Fatalf("got %q", resp.Body)
		}
	})
	t.Run("an unacceptable type is 406", func(t *testing.T) {
		f.Expect(t, get(path, "", "image/png"), http.StatusNotAcceptable)
	})
	for name, p := range map[string]string{
		"unknown id":      "/v1/certificates/00000000-0000-4000-8000-000000000000",
		"id not a UUID":   "/v1/certificates/1%20OR%201=1",
		"unknown pdf":     "/v1/certificates/00000000-0000-4000-8000-000000000000/pdf",
		"unknown list":    "/v1/certificates/status/99999",
		"list not number": "/v1/certificates/status/01",
	} {
		t.Run(name+" is 404", func(t *testing.T) { f.Expect(t, get(p, u.Token, ""), http.StatusNotFound) })
	}
}

func TestMyCertificates(t *testing.T) {
	f := newFixture(t)
	u := f.NewUser(t)
	stranger := f.NewUser(t)
	f.issue(t, stranger.ID, "Not Mine")
	var ids []string
	for _, title := range []string{"First", "Second", "Third"} {
		id, _ := f.issue(t, u.ID, title)
		ids = append(ids, id)
	}
	seen := map[string]bool{}
	path := "/v1/me/certificates?limit=2"
	for pages := 0; path != ""; pages++ {
		var page struct {
			Items []struct {
				ID        string            `json:"id"`
				Course    map[string]string `json:"course"`
				IssuedAt  string            `json:"issued_at"`
				Token     string            `json:"token"`
				VerifyURL string            `json:"verify_url"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		f.Expect(t, get(path, u.Token, ""), http.StatusOK).JSON(t, &page)
		for _, it := range page.Items {
			if seen[it.ID] || it.Course["slug"] == "" || it.Course["title"] == "" || it.Token == "" ||
				it.VerifyURL != "http://cybercampus.test/v1/certificates/"+it.ID || it.IssuedAt == "" {
				t.Fatalf("bad or repeated item %+v", it)
			}
			seen[it.ID] = true
		}
		path = ""
		if page.NextCursor != nil {
			path = "/v1/me/certificates?limit=2&cursor=" + *page.NextCursor
		}
		if pages > 3 {
			t.Fatal("pagination does not end")
		}
	}
	if len(seen) != len(ids) {
		t.Fatalf("listed %d certificates, want exactly the learner's %d", len(seen), len(ids))
	}
	for name, c := range map[string]struct {
		req    apptest.Request
		status int
	}{
		"no token":       {get("/v1/me/certificates", "", ""), http.StatusUnauthorized},
		"bad limit":      {get("/v1/me/certificates?limit=500", u.Token, ""), http.StatusBadRequest},
		"foreign cursor": {get("/v1/me/certificates?cursor=bm90LWEtY3Vyc29y", u.Token, ""), http.StatusBadRequest},
	} {
		t.Run(name, func(t *testing.T) { f.Expect(t, c.req, c.status) })
	}
}

func TestRevocation(t *testing.T) {
	f := newFixture(t)
	u := f.NewUser(t)
	admin := f.NewUser(t, cc.RoleAdmin)
	id, token := f.issue(t, u.ID, "To Revoke")
	_, keep := f.issue(t, u.ID, "To Keep")
	path := "/v1/certificates/" + id + "/revoke"
	post := func(tok string, body any) apptest.Request {
		return apptest.Request{Method: http.MethodPost, Path: path, Token: tok, Body: body}
	}
	for _, c := range []struct {
		name   string
		req    apptest.Request
		status int
	}{
		{"anonymous", post("", map[string]string{"reason": "x"}), http.StatusUnauthorized},
		{"the learner", post(u.Token, map[string]string{"reason": "x"}), http.StatusForbidden},
		{"no reason", post(admin.Token, map[string]string{}), http.StatusUnprocessableEntity},
		{"blank reason", post(admin.Token, map[string]string{"reason": "   "}), http.StatusUnprocessableEntity},
		{"reason too long", post(admin.Token, map[string]string{"reason": strings.Repeat("x", 501)}), http.StatusUnprocessableEntity},
		{"unknown certificate", apptest.Request{Method: http.MethodPost, Path: "/v1/certificates/00000000-0000-4000-8000-000000000000/revoke",
			Token: admin.Token, Body: map[string]string{"reason": "x"}}, http.StatusNotFound},
	} {
		t.Run(c.name, func(t *testing.T) { f.Expect(t, c.req, c.status) })
	}
	if r := f.verifyHTTP(t, token); !r.Valid {
		t.Fatalf("refused requests revoked it: %+v", r)
	}
	rec := f.Expect(t, post(admin.Token, map[string]string{"reason": "Issued in error"}), http.StatusOK).Map(t)
	if rec["revoked"] != true || rec["revoked_at"] == nil {
		t.Fatalf("revoke answered %v", rec)
	}
	t.Run("revoking again is 409", func(t *testing.T) {
		f.Expect(t, post(admin.Token, map[string]string{"reason": "again"}), http.StatusConflict)
	})
	t.Run("verify answers revoked", func(t *testing.T) {
		r := f.verifyHTTP(t, token)
		if r.Valid || !r.Revoked || r.Reason != ReasonRevoked || r.Certificate == nil || r.Certificate.ID != id {
			t.Fatalf("verify: %+v", r)
		}
		if r := f.verifyHTTP(t, keep); !r.Valid {
			t.Fatalf("another certificate: %+v", r)
		}
	})
	t.Run("the page says revoked", func(t *testing.T) {
		body := string(f.Expect(t, get("/v1/certificates/"+id, "", "text/html"), http.StatusOK).Body)
		if !strings.Contains(body, "Revoked") {
			t.Fatal("page does not say revoked")
		}
	})
	t.Run("the published status list has the bit set and the others clear", func(t *testing.T) {
		checkStatusList(t, f, token, keep)
	})
}

// checkStatusList fetches the status list of revoked, checks its signature
// with go-jose and the JWKS, and checks the bits of revoked and kept.
func checkStatusList(t *testing.T, f fixture, revoked, kept string) {
	_, p := segments(t, revoked)
	entry := p["credentialStatus"].(map[string]any)
	listURL := entry["statusListCredential"].(string)
	resp := f.Expect(t, get(strings.TrimPrefix(listURL, "http://cybercampus.test"), "", ""), http.StatusOK)
	if ct := resp.Header.Get("Content-Type"); ct != "application/vc+jwt" {
		t.Fatalf("content type %q", ct)
	}
	set, _ := f.jwks(t)
	claims := joseVerify(t, set, string(resp.Body))
	subject := claims["credentialSubject"].(map[string]any)
	if claims["id"] != listURL || !equalJSON(claims["type"], []string{"VerifiableCredential", "BitstringStatusListCredential"}) ||
		subject["type"] != "BitstringStatusList" || subject["statusPurpose"] != "revocation" ||
		claims["iss"] != "http://cybercampus.test/v1/issuer" || claims["jti"] != listURL {
		t.Fatalf("status list credential %v", claims)
	}
	bits, err := decodeBitstring(subject["encodedList"].(string))
	if err != nil || len(bits)*8 < 131072 {
		t.Fatalf("list of %d bits: %v", len(bits)*8, err)
	}
	idx, _ := strconv.Atoi(entry["statusListIndex"].(string))
	if !bitSet(bits, idx) {
		t.Fatalf("bit %d of the revoked certificate is clear", idx)
	}
	_, kp := segments(t, kept)
	keptEntry := kp["credentialStatus"].(map[string]any)
	kidx, _ := strconv.Atoi(keptEntry["statusListIndex"].(string))
	if keptEntry["statusListCredential"] == listURL && bitSet(bits, kidx) {
		t.Fatalf("bit %d of a valid certificate is set", kidx)
	}
	list, err := strconv.Atoi(listURL[strings.LastIndex(listURL, "/")+1:])
	if err != nil {
		t.Fatalf("status list URL %q: %v", listURL, err)
	}
	revokedCount := f.count(t, `SELECT count(*) FROM certificates WHERE status_list_id = $1 AND revoked_at IS NOT NULL`, list)
	set1 := 0
	for i := range len(bits) * 8 {
		if bitSet(bits, i) {
			set1++
		}
	}
	if set1 != revokedCount {
		t.Fatalf("%d bits set, %d certificates revoked in the list", set1, revokedCount)
	}
	json := f.Expect(t, get(strings.TrimPrefix(listURL, "http://cybercampus.test"), "", "application/json"), http.StatusOK).Map(t)
	if json["id"] != listURL {
		t.Fatalf("JSON form %v", json)
	}
}
