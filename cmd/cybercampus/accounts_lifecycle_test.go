package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

// mailbox is an SMTP server for tests: it accepts every message and keeps
// it, decoded, by recipient.
type mailbox struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []received
}

// received is one email as a person reads it.
type received struct {
	To, Subject, Text, HTML string
}

func startMailbox(t *testing.T) *mailbox {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &mailbox{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go m.serve(conn)
		}
	}()
	return m
}

func (m *mailbox) url() string { return "smtp://" + m.ln.Addr().String() }

func (m *mailbox) serve(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(conn)
	say := func(line string) { fmt.Fprintf(conn, "%s\r\n", line) }
	say("220 localhost ESMTP test")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250-localhost")
			say("250 8BITMIME")
		case strings.HasPrefix(cmd, "DATA"):
			say("354 go ahead")
			var raw bytes.Buffer
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				raw.WriteString(strings.TrimPrefix(l, "."))
			}
			m.keep(raw.Bytes())
			say("250 2.0.0 queued")
		case strings.HasPrefix(cmd, "QUIT"):
			say("221 bye")
			return
		default: // MAIL, RCPT, RSET, NOOP
			say("250 ok")
		}
	}
}

// keep decodes a MIME message (headers, multipart/alternative, quoted-printable).
func (m *mailbox) keep(raw []byte) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return
	}
	var dec mime.WordDecoder
	subject, _ := dec.DecodeHeader(msg.Header.Get("Subject"))
	to, _ := mail.ParseAddress(msg.Header.Get("To"))
	rec := received{Subject: subject}
	if to != nil {
		rec.To = strings.ToLower(to.Address)
	}
	_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		var body io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(p)
		}
		b, _ := io.ReadAll(body)
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			rec.HTML = string(b)
		} else {
			rec.Text = string(b)
		}
	}
	m.mu.Lock()
	m.msgs = append(m.msgs, rec)
	m.mu.Unlock()
}

// to returns the emails received for address so far.
func (m *mailbox) to(address string) []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []received
	for _, r := range m.msgs {
		if r.To == strings.ToLower(address) {
			out = append(out, r)
		}
	}
	return out
}

// wait returns the n-th email (from 1) to address, waiting for the worker.
func (m *mailbox) wait(t *testing.T, address string, n int) received {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if got := m.to(address); len(got) >= n {
			return got[n-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no email #%d to %s within 30s (got %d)", n, address, len(m.to(address)))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var linkToken = regexp.MustCompile(`(https?://[^\s"<>]+)\?token=([A-Za-z0-9_%-]+)`)

// tokenIn returns the link path and the token of an email's link.
func tokenIn(t *testing.T, e received) (path, token string) {
	t.Helper()
	m := linkToken.FindStringSubmatch(e.Text)
	if m == nil {
		t.Fatalf("no link with a token in %q", e.Text)
	}
	u, _ := url.Parse(m[1])
	tok, _ := url.QueryUnescape(m[2])
	if !strings.Contains(e.HTML, tok) {
		t.Fatalf("the HTML part lacks the link: %q", e.HTML)
	}
	return u.Path, tok
}

// accountServer runs the program with an SMTP server, trusting
// X-Forwarded-For from the test (so tests can sign in from several
// addresses), and the default limit of 10 failed sign-ins. It has a database
// of its own: the outbox relay of another test server on the same database
// would take its emails and send them nowhere.
func accountServer(t *testing.T) (*server, *mailbox, func(string) string, *pgtest.DB) {
	t.Helper()
	mb := startMailbox(t)
	db, err := pgtest.New("cmdaccounts")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close) // runs after the server has stopped
	flushRedis(t, 7)
	env := testEnv(7, map[string]string{"DATABASE_URL": db.URL, "SMTP_URL": mb.url(), "TRUSTED_PROXIES": "127.0.0.1",
		"LOGIN_FAILURES_PER_ACCOUNT": "10"})
	return startServer(t, env, "serve"), mb, env, db
}

// staffIn creates a user with roles through the operator command on the
// server's database and signs in.
func staffIn(t *testing.T, s *server, env func(string) string, name string, roles ...string) user {
	t.Helper()
	u := user{email: newEmail(), password: "a long staff passphrase", name: name}
	args := []string{"users", "create", "--email", u.email, "--password", u.password, "--name", name}
	for _, r := range roles {
		args = append(args, "--role", r)
	}
	if err := run(t.Context(), args, env, io.Discard, io.Discard); err != nil {
		t.Fatalf("users create: %v", err)
	}
	u.token, u.refresh = login(t, s, u.email, u.password)
	_, _, b := s.call(t, "GET", "/v1/me", u.token, nil)
	u.id = decode(t, b)["id"].(string)
	return u
}

// callFrom sends a JSON request as if from address ip.
func (s *server) callFrom(t testing.TB, ip, method, path, token string, body any) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("X-Forwarded-For", ip)
	return s.do(t, req)
}

// registerAs registers a learner with a language and returns its email.
func registerAs(t *testing.T, s *server, lang, name string) string {
	t.Helper()
	email := newEmail()
	body := registration(email)
	body["language"], body["name"] = lang, name
	if code, _, b := s.call(t, "POST", "/v1/auth/register", "", body); code != 201 {
		t.Fatalf("register: %d %s", code, b)
	}
	return email
}

// expectProblem fails unless the answer is status naming field.
func expectProblem(t *testing.T, code int, b []byte, status int, field string) {
	t.Helper()
	if code != status {
		t.Fatalf("status %d, want %d: %s", code, status, b)
	}
	if field != "" && !slices.Contains(fieldsOf(t, b), field) {
		t.Fatalf("problem does not name %s: %s", field, b)
	}
}

func TestAccountLifecycle(t *testing.T) {
	s, mb, env, db := accountServer(t)

	t.Run("sign-up emails a verification link that works once", func(t *testing.T) {
		email := registerAs(t, s, "fr", "Awa Ndiaye")
		e := mb.wait(t, email, 1)
		if !strings.Contains(e.Subject, "Confirmez votre adresse") || !strings.Contains(e.Text, "Bonjour Awa Ndiaye") {
			t.Fatalf("verification email not in French: %q %q", e.Subject, e.Text)
		}
		path, token := tokenIn(t, e)
		if path != "/verify-email" {
			t.Fatalf("link path %s", path)
		}
		access, _ := login(t, s, email, "correct horse battery")
		if _, _, b := s.call(t, "GET", "/v1/me", access, nil); decode(t, b)["email_verified"] != false {
			t.Fatalf("verified before the link: %s", b)
		}
		if code, _, b := s.call(t, "POST", "/v1/auth/verify-email", "", map[string]string{"token": token}); code != 200 {
			t.Fatalf("verify: %d %s", code, b)
		}
		if _, _, b := s.call(t, "GET", "/v1/me", access, nil); decode(t, b)["email_verified"] != true {
			t.Fatalf("not verified after the link: %s", b)
		}
		code, _, b := s.call(t, "POST", "/v1/auth/verify-email", "", map[string]string{"token": token})
		expectProblem(t, code, b, 422, "token")
		code, _, b = s.call(t, "POST", "/v1/me/verify-email", access, nil)
		expectProblem(t, code, b, 409, "")
	})

	t.Run("the verification link can be sent again and the new one works", func(t *testing.T) {
		email := registerAs(t, s, "en", "Lena Petrova")
		mb.wait(t, email, 1)
		access, _ := login(t, s, email, "correct horse battery")
		if code, _, b := s.call(t, "POST", "/v1/me/verify-email", access, nil); code != 202 {
			t.Fatalf("resend: %d %s", code, b)
		}
		_, token := tokenIn(t, mb.wait(t, email, 2))
		if code, _, b := s.call(t, "POST", "/v1/auth/verify-email", "", map[string]string{"token": token}); code != 200 {
			t.Fatalf("verify with the resent link: %d %s", code, b)
		}
		for _, bad := range []string{"", strings.Repeat("x", 300), "not-a-token-we-sent"} {
			code, _, b := s.call(t, "POST", "/v1/auth/verify-email", "", map[string]string{"token": bad})
			expectProblem(t, code, b, 422, "token")
		}
	})

	t.Run("forgot password answers the same for known and unknown addresses", func(t *testing.T) {
		known := registerAs(t, s, "en", "Known Person")
		unknown := newEmail()
		c1, _, b1 := s.call(t, "POST", "/v1/auth/password/forgot", "", map[string]string{"email": known})
		c2, _, b2 := s.call(t, "POST", "/v1/auth/password/forgot", "", map[string]string{"email": unknown})
		if c1 != 202 || c2 != 202 || !bytes.Equal(b1, b2) {
			t.Fatalf("known %d %s, unknown %d %s", c1, b1, c2, b2)
		}
		mb.wait(t, known, 2) // the verification, then the reset link
		time.Sleep(500 * time.Millisecond)
		if got := mb.to(unknown); len(got) != 0 {
			t.Fatalf("an address without an account got %d emails", len(got))
		}
		code, _, b := s.call(t, "POST", "/v1/auth/password/forgot", "", map[string]string{"email": "not an address"})
		expectProblem(t, code, b, 422, "email")
	})

	t.Run("reset ends every session and its token works once", func(t *testing.T) {
		email := registerAs(t, s, "en", "Reset Person")
		mb.wait(t, email, 1)
		a1, r1 := login(t, s, email, "correct horse battery")
		a2, _ := login(t, s, email, "correct horse battery")
		s.call(t, "POST", "/v1/auth/password/forgot", "", map[string]string{"email": strings.ToUpper(email)})
		e := mb.wait(t, email, 2)
		if !strings.Contains(e.Text, "60 minutes") {
			t.Fatalf("reset email does not say the link lasts an hour: %q", e.Text)
		}
		path, token := tokenIn(t, e)
		if path != "/reset-password" {
			t.Fatalf("link path %s", path)
		}
		code, _, b := s.call(t, "POST", "/v1/auth/password/reset", "", map[string]string{"token": token, "password": "password12"})
		expectProblem(t, code, b, 422, "password")
		if code, _, b := s.call(t, "POST", "/v1/auth/password/reset", "", map[string]string{"token": token, "password": "a brand new passphrase"}); code != 200 {
			t.Fatalf("reset (the refused password left the token usable): %d %s", code, b)
		}
		for _, a := range []string{a1, a2} {
			if code, _, _ := s.call(t, "GET", "/v1/me", a, nil); code != 401 {
				t.Fatalf("access token from before the reset: %d", code)
			}
		}
		if code, _, _ := s.call(t, "POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": r1}); code != 401 {
			t.Fatalf("refresh token from before the reset: %d", code)
		}
		if code, _, _ := s.call(t, "POST", "/v1/auth/login", "", map[string]string{"email": email, "password": "correct horse battery"}); code != 401 {
			t.Fatalf("old password after the reset: %d", code)
		}
		login(t, s, email, "a brand new passphrase")
		code, _, b = s.call(t, "POST", "/v1/auth/password/reset", "", map[string]string{"token": token, "password": "yet another passphrase"})
		expectProblem(t, code, b, 422, "token")
	})

	t.Run("reset tokens are stored hashed, never in the outbox, and expire", func(t *testing.T) {
		email := registerAs(t, s, "es", "Expiry Person")
		mb.wait(t, email, 1)
		s.call(t, "POST", "/v1/auth/password/forgot", "", map[string]string{"email": email})
		_, token := tokenIn(t, mb.wait(t, email, 2))
		var hashed, plain int
		db.Get(&hashed, `SELECT count(*) FROM account_tokens WHERE token_hash = sha256(convert_to($1, 'UTF8'))
			AND purpose = 'password_reset' AND expires_at - created_at <= interval '1 hour'`, token)
		db.Get(&plain, `SELECT (SELECT count(*) FROM account_tokens WHERE encode(token_hash, 'escape') LIKE '%' || $1 || '%' OR email LIKE '%' || $1 || '%')
			+ (SELECT count(*) FROM outbox WHERE payload::text LIKE '%' || $1 || '%')`, token)
		if hashed != 1 || plain != 0 {
			t.Fatalf("token stored: %d rows by its hash (want 1, living at most an hour), %d rows in clear (want 0)", hashed, plain)
		}
		db.MustExec(`UPDATE account_tokens SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour'
			WHERE token_hash = sha256(convert_to($1, 'UTF8'))`, token)
		code, _, b := s.call(t, "POST", "/v1/auth/password/reset", "", map[string]string{"token": token, "password": "a brand new passphrase"})
		expectProblem(t, code, b, 422, "token")
	})

	t.Run("account emails are written in each of the six languages", func(t *testing.T) {
		subjects := map[string]string{"ar": "إعادة تعيين كلمة المرور", "en": "Reset your CyberCampus password",
			"es": "Restablezca su contraseña", "fr": "Réinitialisez votre mot de passe", "ru": "Сброс пароля",
			"zh": "重置您的 CyberCampus 密码"}
		for lang, want := range subjects {
			email := registerAs(t, s, lang, "Learner "+lang)
			mb.wait(t, email, 1)
			s.call(t, "POST", "/v1/auth/password/forgot", "", map[string]string{"email": email})
			e := mb.wait(t, email, 2)
			if !strings.Contains(e.Subject, want) || !strings.Contains(e.HTML, `lang="`+lang+`"`) {
				t.Errorf("%s: subject %q (want %q), html lang missing", lang, e.Subject, want)
			}
			if v := mb.wait(t, email, 1); v.Subject == e.Subject {
				t.Errorf("%s: verification and reset share a subject", lang)
			}
		}
	})

	t.Run("password change needs the current password and ends every other session", func(t *testing.T) {
		email := registerAs(t, s, "en", "Change Person")
		mine, _ := login(t, s, email, "correct horse battery")
		other, otherRefresh := login(t, s, email, "correct horse battery")
		code, _, b := s.call(t, "PUT", "/v1/me/password", mine, map[string]string{"current_password": "wrong password!!", "new_password": "a brand new passphrase"})
		expectProblem(t, code, b, 422, "current_password")
		for _, weak := range []string{"          ", "aaaaaaaaaa", "password12", "1234567890", "change person", email} {
			code, _, b := s.call(t, "PUT", "/v1/me/password", mine, map[string]string{"current_password": "correct horse battery", "new_password": weak})
			expectProblem(t, code, b, 422, "new_password")
		}
		if code, _, b := s.call(t, "PUT", "/v1/me/password", mine, map[string]string{"current_password": "correct horse battery", "new_password": "a brand new passphrase"}); code != 200 {
			t.Fatalf("change: %d %s", code, b)
		}
		if code, _, _ := s.call(t, "GET", "/v1/me", other, nil); code != 401 {
			t.Fatalf("another session's access token after the change: %d", code)
		}
		if code, _, _ := s.call(t, "POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": otherRefresh}); code != 401 {
			t.Fatalf("another session's refresh token after the change: %d", code)
		}
		if code, _, _ := s.call(t, "GET", "/v1/me", mine, nil); code != 200 {
			t.Fatalf("the caller's own session ended: %d", code)
		}
		login(t, s, email, "a brand new passphrase")
	})

	t.Run("weak passwords are refused at sign-up with the reason", func(t *testing.T) {
		for _, tc := range []struct{ password, reason string }{
			{"          ", "only spaces"}, {"aaaaaaaaaa", "repeat"}, {"password12", "commonly used"},
			{"short", "at least 10"}, {"qwertyuiop", "commonly used"}, {"abcdefghij", "sequence"},
			{"Amina Diallo!", "your email address or your name"},
		} {
			body := registration(newEmail())
			body["password"] = tc.password
			code, _, b := s.call(t, "POST", "/v1/auth/register", "", body)
			expectProblem(t, code, b, 422, "password")
			if !strings.Contains(string(b), tc.reason) {
				t.Errorf("%q: reason %s does not say %q", tc.password, b, tc.reason)
			}
		}
	})

	t.Run("logout ends its session's access tokens; logout-all ends every session", func(t *testing.T) {
		email := registerAs(t, s, "en", "Logout Person")
		a1, _ := login(t, s, email, "correct horse battery")
		a2, r2 := login(t, s, email, "correct horse battery")
		a3, r3 := login(t, s, email, "correct horse battery")
		if code, _, _ := s.call(t, "POST", "/v1/auth/logout", a1, nil); code != 204 {
			t.Fatalf("logout: %d", code)
		}
		if code, _, _ := s.call(t, "GET", "/v1/me", a1, nil); code != 401 {
			t.Fatalf("access token after its logout: %d", code)
		}
		if code, _, _ := s.call(t, "GET", "/v1/me", a2, nil); code != 200 {
			t.Fatalf("another session ended with the logout: %d", code)
		}
		if code, _, b := s.call(t, "POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": r2}); code != 200 {
			t.Fatalf("refresh of another session: %d %s", code, b)
		}
		if code, _, _ := s.call(t, "POST", "/v1/auth/logout-all", a3, nil); code != 204 {
			t.Fatalf("logout-all: %d", code)
		}
		for _, a := range []string{a2, a3} {
			if code, _, _ := s.call(t, "GET", "/v1/me", a, nil); code != 401 {
				t.Fatalf("access token after logout-all: %d", code)
			}
		}
		if code, _, _ := s.call(t, "POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": r3}); code != 401 {
			t.Fatalf("refresh token after logout-all: %d", code)
		}
	})

	t.Run("a demoted admin's old token has the new roles on the next request", func(t *testing.T) {
		a := staffIn(t, s, env, "Admin One", "admin")
		b := staffIn(t, s, env, "Admin Two", "admin")
		if code, _, body := s.call(t, "PUT", "/v1/users/"+a.id+"/roles", b.token, map[string]any{"roles": []string{"learner"}}); code != 200 {
			t.Fatalf("demote: %d %s", code, body)
		}
		if code, _, _ := s.call(t, "PUT", "/v1/users/"+a.id+"/roles", a.token, map[string]any{"roles": []string{"admin"}}); code != 403 {
			t.Fatalf("demoted admin made itself admin again: %d", code)
		}
		if code, _, _ := s.call(t, "GET", "/v1/users/"+b.id, a.token, nil); code != 403 {
			t.Fatalf("demoted admin still reads users: %d", code)
		}
		if _, _, body := s.call(t, "GET", "/v1/me", a.token, nil); !strings.Contains(string(body), `"roles":["learner"]`) {
			t.Fatalf("me shows %s", body)
		}
		if code, _, _ := s.call(t, "PUT", "/v1/users/"+a.id+"/roles", b.token, map[string]any{"roles": []string{"learner", "trainer"}}); code != 200 {
			t.Fatal("promote")
		}
		if code, _, _ := s.call(t, "GET", "/v1/cohorts", a.token, nil); code != 200 {
			t.Fatalf("promoted user's old token lacks the new role: %d", code)
		}
	})
}

// Thirty concurrent wrong passwords from one address get at most ten
// checked; the owner, from another address, still signs in; and an account
// attacked from many addresses locks at its ceiling and emails the owner a
// reset link, which unlocks it.
func TestSignInLimits(t *testing.T) {
	s, mb, _, _ := accountServer(t)
	email := registerAs(t, s, "en", "Victim Person")
	mb.wait(t, email, 1)
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, hdr, _ := s.callFrom(t, "198.51.100.9", "POST", "/v1/auth/login", "", map[string]string{"email": email, "password": "wrong password!"})
			if code == 429 && hdr.Get("Retry-After") == "" {
				code = -429
			}
			mu.Lock()
			counts[code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if counts[401] != 10 || counts[429] != 20 {
		t.Fatalf("30 concurrent guesses answered %v; want 10 checked (401) and 20 refused (429 with Retry-After)", counts)
	}
	if code, hdr, _ := s.callFrom(t, "198.51.100.9", "POST", "/v1/auth/login", "", map[string]string{"email": email, "password": "correct horse battery"}); code != 429 || hdr.Get("Retry-After") == "" {
		t.Fatalf("the attacker's address with the right password: %d", code)
	}
	if code, _, b := s.callFrom(t, "203.0.113.7", "POST", "/v1/auth/login", "", map[string]string{"email": email, "password": "correct horse battery"}); code != 200 {
		t.Fatalf("the owner from another address is locked out: %d %s", code, b)
	}

	// Nine more addresses bring the account to its ceiling of 100 failures.
	for i := range 9 {
		for range 10 {
			s.callFrom(t, fmt.Sprintf("198.51.100.%d", 20+i), "POST", "/v1/auth/login", "", map[string]string{"email": email, "password": "wrong password!"})
		}
	}
	code, hdr, _ := s.callFrom(t, "192.0.2.44", "POST", "/v1/auth/login", "", map[string]string{"email": email, "password": "correct horse battery"})
	if code != 429 || hdr.Get("Retry-After") == "" {
		t.Fatalf("past the account ceiling: %d", code)
	}
	e := mb.wait(t, email, 2) // the verification, then the lockout notice
	if !strings.Contains(e.Subject, "failed sign-ins") {
		t.Fatalf("lockout email subject %q", e.Subject)
	}
	_, token := tokenIn(t, e)
	if code, _, b := s.call(t, "POST", "/v1/auth/password/reset", "", map[string]string{"token": token, "password": "a brand new passphrase"}); code != 200 {
		t.Fatalf("reset from the lockout email: %d %s", code, b)
	}
	if code, _, b := s.callFrom(t, "192.0.2.44", "POST", "/v1/auth/login", "", map[string]string{"email": email, "password": "a brand new passphrase"}); code != 200 {
		t.Fatalf("the reset did not unlock the account: %d %s", code, b)
	}
}
