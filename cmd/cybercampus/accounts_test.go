package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

func newEmail() string {
	return "learner-" + pgtest.RandomSuffix() + pgtest.RandomSuffix() + "@example.org"
}

func registration(email string) map[string]any {
	return map[string]any{"email": email, "password": "correct horse battery", "name": "Amina Diallo",
		"gender": "female", "birth_year": 2001, "country": "SN", "audience": "youth", "language": "fr"}
}

// register creates a learner and returns its access and refresh tokens.
func register(t *testing.T, s *server) (email, access, refresh string) {
	t.Helper()
	email = newEmail()
	if code, _, b := s.call(t, "POST", "/v1/auth/register", "", registration(email)); code != 201 {
		t.Fatalf("register: %d %s", code, b)
	}
	access, refresh = login(t, s, email, "correct horse battery")
	return email, access, refresh
}

func login(t *testing.T, s *server, email, password string) (string, string) {
	t.Helper()
	code, _, b := s.call(t, "POST", "/v1/auth/login", "", map[string]string{"email": email, "password": password})
	if code != 200 {
		t.Fatalf("login: %d %s", code, b)
	}
	m := decode(t, b)
	if m["token_type"] != "Bearer" || m["expires_in"].(float64) <= 0 {
		t.Fatalf("login answer %v", m)
	}
	return m["access_token"].(string), m["refresh_token"].(string)
}

func fieldsOf(t *testing.T, b []byte) []string {
	t.Helper()
	var names []string
	for _, e := range decode(t, b)["errors"].([]any) {
		names = append(names, e.(map[string]any)["field"].(string))
	}
	return names
}

func TestRegister(t *testing.T) {
	s := sharedServer(t)
	email := newEmail()
	code, hdr, b := s.call(t, "POST", "/v1/auth/register", "", registration(email))
	if code != 201 {
		t.Fatalf("register: %d %s", code, b)
	}
	u := decode(t, b)["user"].(map[string]any)
	if u["region"] != "africa" || u["country"] != "SN" || u["email"] != email || u["language"] != "fr" {
		t.Fatalf("user %v", u)
	}
	if strings.Contains(string(b), "password") || strings.Contains(string(b), "argon2") {
		t.Fatalf("register response leaks the password: %s", b)
	}
	if hdr.Get("X-Request-ID") == "" {
		t.Fatal("no X-Request-ID")
	}

	t.Run("duplicate email in another case is 409", func(t *testing.T) {
		code, hdr, b := s.call(t, "POST", "/v1/auth/register", "", registration(strings.ToUpper(email)))
		if code != 409 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/problem+json") {
			t.Fatalf("%d %s", code, b)
		}
	})
	invalid := []struct {
		name   string
		change map[string]any
		fields []string
	}{
		{"bad email", map[string]any{"email": "not-an-email"}, []string{"email"}},
		{"email with display name", map[string]any{"email": "Amina <a@example.org>"}, []string{"email"}},
		{"short password", map[string]any{"password": "short"}, []string{"password"}},
		{"empty name", map[string]any{"name": "  "}, []string{"name"}},
		{"control characters in name", map[string]any{"name": "A\u0007B"}, []string{"name"}},
		{"unknown gender", map[string]any{"gender": "f"}, []string{"gender"}},
		{"birth year too early", map[string]any{"birth_year": 1899}, []string{"birth_year"}},
		{"birth year in the future", map[string]any{"birth_year": time.Now().Year() + 1}, []string{"birth_year"}},
		{"malformed country", map[string]any{"country": "KEN"}, []string{"country"}},
		{"unknown country", map[string]any{"country": "ZZ"}, []string{"country"}},
		{"unknown audience", map[string]any{"audience": "kids"}, []string{"audience"}},
		{"unknown language", map[string]any{"language": "de"}, []string{"language"}},
		{"long organization", map[string]any{"organization": strings.Repeat("x", 201)}, []string{"organization"}},
		{"birth year as string", map[string]any{"birth_year": "2001"}, []string{"birth_year"}},
		{"roles may not be sent", map[string]any{"roles": []string{"admin"}}, []string{"roles"}},
		{"every bad field at once", map[string]any{"email": "x", "password": "y", "gender": "?", "country": "ZZ", "audience": "?"},
			[]string{"email", "password", "gender", "audience", "country"}},
	}
	for _, tc := range invalid {
		t.Run(tc.name+" is 422", func(t *testing.T) {
			body := registration(newEmail())
			for k, v := range tc.change {
				body[k] = v
			}
			code, _, b := s.call(t, "POST", "/v1/auth/register", "", body)
			if code != 422 {
				t.Fatalf("%d %s", code, b)
			}
			got := fieldsOf(t, b)
			for _, f := range tc.fields {
				if !strings.Contains(strings.Join(got, ","), f) {
					t.Fatalf("errors %v do not name %s", got, f)
				}
			}
		})
	}
	var count int
	if err := testDB.Get(&count, `SELECT count(*) FROM users WHERE name = 'A'||chr(7)||'B' OR email = 'not-an-email'`); err != nil {
		t.Fatal(err)
	}
	if count != 0 {
		t.Fatal("an invalid registration was stored")
	}
}

func TestMalformedRequests(t *testing.T) {
	s := sharedServer(t)
	post := func(t *testing.T, ctype string, body []byte) (int, http.Header, []byte) {
		req, _ := http.NewRequest("POST", s.base+"/v1/auth/register", bytes.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		return s.do(t, req)
	}
	cases := []struct {
		name  string
		ctype string
		body  []byte
		code  int
	}{
		{"wrong content type", "text/plain", []byte(`{}`), 415},
		{"no content type", "", []byte(`{}`), 415},
		{"malformed JSON", "application/json", []byte(`{"email": `), 400},
		{"empty body", "application/json", nil, 400},
		{"two JSON values", "application/json", []byte(`{} {}`), 400},
		{"null instead of an object", "application/json", []byte(` null `), 400},
		{"invalid UTF-8", "application/json", []byte("{\"name\": \"\xff\xfe\"}"), 400},
		{"NUL character", "application/json", []byte(`{"name": "a\u0000b"}`), 400},
		{"deeply nested JSON", "application/json", []byte(strings.Repeat("[", 20000) + strings.Repeat("]", 20000)), 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, hdr, b := post(t, tc.ctype, tc.body)
			if code != tc.code {
				t.Fatalf("status %d, want %d: %s", code, tc.code, b)
			}
			if !strings.HasPrefix(hdr.Get("Content-Type"), "application/problem+json") {
				t.Fatalf("content type %q", hdr.Get("Content-Type"))
			}
			p := decode(t, b)
			if int(p["status"].(float64)) != tc.code || p["title"] == "" || p["type"] == "" {
				t.Fatalf("problem %v", p)
			}
		})
	}
}

func TestOversizedBody(t *testing.T) {
	s := sharedServer(t)
	// The server refuses a body over BODY_LIMIT_BYTES from its Content-Length,
	// before the client has sent it, so speak HTTP by hand.
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", 5<<20)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 413 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestLoginRefreshLogout(t *testing.T) {
	s := sharedServer(t)
	email, access, refresh := register(t, s)

	t.Run("unknown email and wrong password answer the same 401", func(t *testing.T) {
		c1, _, b1 := s.call(t, "POST", "/v1/auth/login", "", map[string]string{"email": email, "password": "wrong password!"})
		c2, _, b2 := s.call(t, "POST", "/v1/auth/login", "", map[string]string{"email": newEmail(), "password": "wrong password!"})
		if c1 != 401 || c2 != 401 || decode(t, b1)["detail"] != decode(t, b2)["detail"] {
			t.Fatalf("%d %s / %d %s", c1, b1, c2, b2)
		}
	})
	t.Run("missing fields are 422", func(t *testing.T) {
		code, _, b := s.call(t, "POST", "/v1/auth/login", "", map[string]string{})
		if code != 422 || len(fieldsOf(t, b)) != 2 {
			t.Fatalf("%d %s", code, b)
		}
	})
	t.Run("me with the access token", func(t *testing.T) {
		code, _, b := s.call(t, "GET", "/v1/me", access, nil)
		if code != 200 || decode(t, b)["email"] != email {
			t.Fatalf("%d %s", code, b)
		}
	})
	var next string
	t.Run("refresh gives a new pair", func(t *testing.T) {
		code, _, b := s.call(t, "POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": refresh})
		if code != 200 {
			t.Fatalf("%d %s", code, b)
		}
		next = decode(t, b)["refresh_token"].(string)
		if next == refresh {
			t.Fatal("refresh token was not rotated")
		}
	})
	t.Run("reusing a rotated refresh token revokes the family", func(t *testing.T) {
		if code, _, b := s.call(t, "POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": refresh}); code != 401 {
			t.Fatalf("reuse: %d %s", code, b)
		}
		if code, _, b := s.call(t, "POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": next}); code != 401 {
			t.Fatalf("the newer token of a revoked family still works: %d %s", code, b)
		}
	})
	t.Run("unknown refresh token is 401", func(t *testing.T) {
		if code, _, _ := s.call(t, "POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": "nope"}); code != 401 {
			t.Fatalf("%d", code)
		}
	})
	t.Run("logout revokes the family", func(t *testing.T) {
		a2, r2 := login(t, s, email, "correct horse battery")
		if code, _, b := s.call(t, "POST", "/v1/auth/logout", a2, map[string]string{"refresh_token": r2}); code != 204 {
			t.Fatalf("logout: %d %s", code, b)
		}
		if code, _, _ := s.call(t, "POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": r2}); code != 401 {
			t.Fatalf("refresh after logout: %d", code)
		}
	})
	t.Run("logout needs authentication", func(t *testing.T) {
		if code, _, _ := s.call(t, "POST", "/v1/auth/logout", "", nil); code != 401 {
			t.Fatalf("%d", code)
		}
	})
}

func TestUpdateMe(t *testing.T) {
	s := sharedServer(t)
	_, access, _ := register(t, s)
	code, _, b := s.call(t, "PATCH", "/v1/me", access, map[string]any{"name": "Amina D.", "country": "FJ",
		"notifications": map[string]bool{"reminders": false}})
	if code != 200 {
		t.Fatalf("%d %s", code, b)
	}
	me := decode(t, b)
	if me["name"] != "Amina D." || me["region"] != "asia_pacific" || me["notifications"].(map[string]any)["reminders"] != false ||
		me["notifications"].(map[string]any)["email"] != true {
		t.Fatalf("me %v", me)
	}
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"email cannot change", map[string]any{"email": "new@example.org"}, "email"},
		{"roles cannot be set", map[string]any{"roles": []string{"admin"}}, "roles"},
		{"bad gender", map[string]any{"gender": "x"}, "gender"},
		{"unknown country", map[string]any{"country": "ZZ"}, "country"},
		{"password is not a profile field (PUT /v1/me/password changes it)", map[string]any{"password": "a new long passphrase"}, "password"},
		{"notifications must be booleans", map[string]any{"notifications": map[string]any{"email": "yes"}}, "email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, b := s.call(t, "PATCH", "/v1/me", access, tc.body)
			if code != 422 || !strings.Contains(strings.Join(fieldsOf(t, b), ","), tc.field) {
				t.Fatalf("%d %s", code, b)
			}
		})
	}
	code, _, b = s.call(t, "GET", "/v1/me", access, nil)
	if code != 200 || decode(t, b)["roles"].([]any)[0] != "learner" {
		t.Fatalf("roles changed: %s", b)
	}
}

func TestRoles(t *testing.T) {
	s := sharedServer(t)
	_, learner, _ := register(t, s)
	me := func(tok string) map[string]any {
		_, _, b := s.call(t, "GET", "/v1/me", tok, nil)
		return decode(t, b)
	}
	target := me(learner)["id"].(string)
	adminEmail := newEmail()
	if err := run(t.Context(), []string{"users", "create", "--email", adminEmail, "--password", "keys to the kingdom 42",
		"--name", "Admin", "--role", "admin"}, testEnv(10, nil), &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	admin, _ := login(t, s, adminEmail, "keys to the kingdom 42")
	cases := []struct {
		name  string
		token string
		path  string
		body  any
		code  int
	}{
		{"learner may not change roles", learner, "/v1/users/" + target + "/roles", map[string]any{"roles": []string{"admin"}}, 403},
		{"anonymous may not change roles", "", "/v1/users/" + target + "/roles", map[string]any{"roles": []string{"trainer"}}, 401},
		{"unknown role", admin, "/v1/users/" + target + "/roles", map[string]any{"roles": []string{"king"}}, 422},
		{"no roles", admin, "/v1/users/" + target + "/roles", map[string]any{"roles": []string{}}, 422},
		{"unknown user", admin, "/v1/users/00000000-0000-0000-0000-000000000000/roles", map[string]any{"roles": []string{"trainer"}}, 404},
		{"not a uuid", admin, "/v1/users/42/roles", map[string]any{"roles": []string{"trainer"}}, 404},
		{"admin grants trainer", admin, "/v1/users/" + target + "/roles", map[string]any{"roles": []string{"learner", "trainer"}}, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if code, _, b := s.call(t, "PUT", tc.path, tc.token, tc.body); code != tc.code {
				t.Fatalf("%d, want %d: %s", code, tc.code, b)
			}
		})
	}
	if code, _, b := s.call(t, "GET", "/v1/users/"+target, admin, nil); code != 200 || !strings.Contains(string(b), "trainer") {
		t.Fatalf("roles not stored: %d %s", code, b)
	}
	if code, _, _ := s.call(t, "GET", "/v1/users/"+target, learner, nil); code != 403 {
		t.Fatalf("learner reads a user: %d", code)
	}
}

func TestAccessTokens(t *testing.T) {
	s := sharedServer(t)
	_, access, _ := register(t, s)
	parts := strings.Split(access, ".")
	claims := jwt.MapClaims{}
	jwt.NewParser().ParseUnverified(access, claims)
	sign := func(method jwt.SigningMethod, key any, typ string, mutate func(jwt.MapClaims)) string {
		c := jwt.MapClaims{}
		for k, v := range claims {
			c[k] = v
		}
		if mutate != nil {
			mutate(c)
		}
		tok := jwt.NewWithClaims(method, c)
		tok.Header["typ"] = typ
		str, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return str
	}
	otherKey := []byte("an attacker's key that is long enough")
	none := func() string {
		tok := jwt.NewWithClaims(jwt.SigningMethodNone, claims)
		tok.Header["typ"] = "at+jwt"
		str, _ := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
		return str
	}
	cases := []struct{ name, token string }{
		{"tampered payload", parts[0] + "." + strings.TrimRight(parts[1], "A") + "B." + parts[2]},
		{"no signature", parts[0] + "." + parts[1] + "."},
		{"alg none", none()},
		{"signed with another key", sign(jwt.SigningMethodHS256, otherKey, "at+jwt", nil)},
		{"garbage", "not.a.token"},
		{"two segments", parts[0] + "." + parts[1]},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is 401", func(t *testing.T) {
			code, hdr, b := s.call(t, "GET", "/v1/me", tc.token, nil)
			if code != 401 || hdr.Get("WWW-Authenticate") == "" {
				t.Fatalf("%d %s", code, b)
			}
		})
	}
	t.Run("no token is 401", func(t *testing.T) {
		if code, _, _ := s.call(t, "GET", "/v1/me", "", nil); code != 401 {
			t.Fatal(code)
		}
	})
	t.Run("basic auth scheme is 401", func(t *testing.T) {
		req, _ := http.NewRequest("GET", s.base+"/v1/me", nil)
		req.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
		if code, _, _ := s.do(t, req); code != 401 {
			t.Fatal(code)
		}
	})
}

func TestOperationsEndpoints(t *testing.T) {
	s := sharedServer(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, _, b := s.call(t, "GET", path, "", nil); code != 200 || !strings.Contains(string(b), "ok") {
			t.Fatalf("%s: %d %s", path, code, b)
		}
	}
	s.call(t, "GET", "/v1/me", "", nil)
	code, hdr, b := s.call(t, "GET", "/metrics", "", nil)
	for _, want := range []string{`cybercampus_http_requests_total{method="GET",route="/v1/me",status="401"}`,
		"cybercampus_http_request_duration_seconds_bucket", `go_sql_open_connections{db_name="primary"}`} {
		if code != 200 || !strings.Contains(string(b), want) {
			t.Fatalf("/metrics lacks %s", want)
		}
	}
	if !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics content type %q", hdr.Get("Content-Type"))
	}
	code, hdr, b = s.call(t, "GET", "/openapi.yaml", "", nil)
	if code != 200 || !strings.HasPrefix(string(b), "openapi: 3") || hdr.Get("Content-Type") != "application/yaml" {
		t.Fatalf("openapi: %d %q", code, hdr.Get("Content-Type"))
	}
	t.Run("unknown route is a problem 404", func(t *testing.T) {
		code, hdr, b := s.call(t, "GET", "/v1/nothing-here", "", nil)
		if code != 404 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/problem+json") {
			t.Fatalf("%d %s", code, b)
		}
	})
	t.Run("wrong method is a problem 405", func(t *testing.T) {
		code, hdr, b := s.call(t, "DELETE", "/healthz", "", nil)
		if code != 405 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/problem+json") {
			t.Fatalf("%d %s", code, b)
		}
	})
	t.Run("request id is echoed or made", func(t *testing.T) {
		req, _ := http.NewRequest("GET", s.base+"/healthz", nil)
		req.Header.Set("X-Request-ID", "trace-123")
		if _, hdr, _ := s.do(t, req); hdr.Get("X-Request-ID") != "trace-123" {
			t.Fatalf("echoed %q", hdr.Get("X-Request-ID"))
		}
		req.Header.Set("X-Request-ID", "bad id\twith tab")
		if _, hdr, _ := s.do(t, req); hdr.Get("X-Request-ID") == "" || strings.Contains(hdr.Get("X-Request-ID"), "\t") {
			t.Fatalf("unsafe id accepted: %q", hdr.Get("X-Request-ID"))
		}
	})
	t.Run("logs carry no secrets", func(t *testing.T) {
		// Each request carries its own X-Request-ID so that its log line can
		// be found: the check must read the lines these requests wrote.
		id := "no-secrets-" + pgtest.RandomSuffix()
		send := func(name, method, path, token string, body any) []byte {
			b, _ := json.Marshal(body)
			req, _ := http.NewRequest(method, s.base+path, bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Request-ID", id+"-"+name)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			code, _, out := s.do(t, req)
			if code >= 300 {
				t.Fatalf("%s: %d %s", name, code, out)
			}
			return out
		}
		email, password := newEmail(), "correct horse battery"
		send("register", "POST", "/v1/auth/register", "", registration(email))
		login := decode(t, send("login", "POST", "/v1/auth/login", "", map[string]string{"email": email, "password": password}))
		access, refresh := login["access_token"].(string), login["refresh_token"].(string)
		send("me", "GET", "/v1/me", access, nil)
		renewed := decode(t, send("refresh", "POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": refresh}))
		secrets := map[string]string{"password": password, "access token": access, "refresh token": refresh,
			"renewed access token": renewed["access_token"].(string), "renewed refresh token": renewed["refresh_token"].(string)}

		// Request lines are written in batches: wait for this test's own.
		names := []string{"register", "login", "me", "refresh"}
		var logs string
		lines := map[string]map[string]any{}
		for deadline := time.Now().Add(30 * time.Second); len(lines) < len(names); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("log lines of %d of the %d requests found; log:\n%s", len(lines), len(names), logs)
			}
			logs = s.logs.String()
			for _, line := range strings.Split(logs, "\n") {
				var rec map[string]any
				if json.Unmarshal([]byte(line), &rec) != nil {
					continue
				}
				for _, name := range names {
					if rec["request_id"] == id+"-"+name && rec["msg"] == "request" {
						lines[name] = rec
					}
				}
			}
		}
		for name, rec := range lines {
			if _, ok := rec["duration_ms"]; !ok {
				t.Errorf("%s: request line lacks duration_ms: %v", name, rec)
			}
		}
		for what, value := range secrets {
			if value == "" || strings.Contains(logs, value) {
				t.Errorf("the %s (%q) reached the log", what, value)
			}
		}
	})
}

func TestRateLimits(t *testing.T) {
	flushRedis(t, 8)
	s := startServer(t, testEnv(8, map[string]string{"LOGIN_FAILURES_PER_ACCOUNT": "3", "AUTH_IP_LIMIT_PER_MINUTE": "12"}), "api")
	// The IP limit counts in fixed one-minute windows: start at the beginning
	// of one, so the 12 requests (slow under the race detector) share it.
	if left := time.Until(time.Now().Truncate(time.Minute).Add(time.Minute)); left < 45*time.Second {
		time.Sleep(left)
	}
	email, _, _ := register(t, s) // 2 requests
	for i := range 3 {
		if code, _, _ := s.call(t, "POST", "/v1/auth/login", "", map[string]string{"email": email, "password": "wrong password!"}); code != 401 {
			t.Fatalf("failure %d: %d", i, code)
		}
	}
	code, hdr, b := s.call(t, "POST", "/v1/auth/login", "", map[string]string{"email": email, "password": "correct horse battery"})
	if code != 429 || hdr.Get("Retry-After") == "" {
		t.Fatalf("after 3 failures the account is not locked: %d %s", code, b)
	}
	for range 6 {
		s.call(t, "POST", "/v1/auth/login", "", map[string]string{"email": newEmail(), "password": "whatever12"})
	}
	code, hdr, _ = s.call(t, "POST", "/v1/auth/login", "", map[string]string{"email": newEmail(), "password": "whatever12"})
	if code != 429 || hdr.Get("Retry-After") == "" {
		t.Fatalf("IP limit not applied: %d", code)
	}
}

func TestReadyzWhenRedisIsDown(t *testing.T) {
	s := startServer(t, testEnv(10, map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0"}), "api")
	code, _, b := s.call(t, "GET", "/readyz", "", nil)
	if code != 503 || !strings.Contains(string(b), `"redis":"unavailable"`) {
		t.Fatalf("readyz %d %s", code, b)
	}
	if code, _, _ := s.call(t, "GET", "/healthz", "", nil); code != 200 {
		t.Fatalf("healthz %d", code)
	}
	code, _, b = s.call(t, "GET", "/readyz?check=postgres", "", nil)
	if code != 200 || strings.Contains(string(b), "redis") {
		t.Fatalf("readyz?check=postgres while only Redis is down: %d %s", code, b)
	}
	if code, _, _ := s.call(t, "GET", "/readyz?check=mysql", "", nil); code != 400 {
		t.Fatalf("unknown check: %d", code)
	}
	register(t, s) // the API keeps serving without Redis
}

func TestGracefulShutdown(t *testing.T) {
	s := startServer(t, testEnv(10, map[string]string{"MIGRATE_ON_START": "false"}), "api")
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("run returned %v on shutdown", err)
		}
		s.done <- nil
	case <-time.After(30 * time.Second):
		t.Fatal("no shutdown within 30s")
	}
}
