package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// objectLevel uses one user's session on another user's objects: each is a
// 404 that never confirms the object exists, and lists never show them.
func (w *world) objectLevel(t *testing.T) {
	const attack = "object level: another user's object"
	unknown := "00000000-0000-4000-8000-000000000000"
	for _, c := range []struct {
		route string
		a     attempt
	}{
		{"GET /v1/certificates/:id/pdf", attempt{method: "GET", path: "/v1/certificates/" + w.cert + "/pdf", token: w.learnerB.token}},
		{"GET /v1/certificates/:id/pdf", attempt{method: "GET", path: "/v1/certificates/" + w.cert + "/pdf", token: w.trainerA.token}},
		{"POST /v1/me/notifications/:id/read", attempt{method: "POST", path: "/v1/me/notifications/" + w.notification + "/read", token: w.learnerB.token}},
		{"GET /v1/me/courses/:slug/progress", attempt{method: "GET", path: "/v1/me/courses/" + w.slug + "/progress", token: w.learnerB.token}},
		{"GET /v1/cohorts/:id", attempt{method: "GET", path: "/v1/cohorts/" + w.cohort, token: w.trainerB.token}},
		{"GET /v1/cohorts/:id", attempt{method: "GET", path: "/v1/cohorts/" + w.cohort, token: w.multi.token}},
		{"POST /v1/cohorts/:id/members", attempt{method: "POST", path: "/v1/cohorts/" + w.cohort + "/members", token: w.trainerB.token,
			body: map[string]any{"emails": []string{w.learnerB.email}}}},
		{"POST /v1/cohorts/:id/members", attempt{method: "POST", path: "/v1/cohorts/" + w.cohort + "/members", token: w.trainerB.token,
			body: "email\n" + w.learnerB.email + "\n", ctype: "text/csv"}},
		{"PATCH /v1/cohorts/:id", attempt{method: "PATCH", path: "/v1/cohorts/" + w.cohort, token: w.trainerB.token, body: map[string]any{"name": "Taken"}}},
		{"POST /v1/cohorts/:id/archive", attempt{method: "POST", path: "/v1/cohorts/" + w.cohort + "/archive", token: w.trainerB.token}},
		{"POST /v1/cohorts/:id/join-code", attempt{method: "POST", path: "/v1/cohorts/" + w.cohort + "/join-code", token: w.trainerB.token}},
		{"DELETE /v1/cohorts/:id/members/:user_id", attempt{method: "DELETE", path: "/v1/cohorts/" + w.cohort + "/members/" + w.learnerC.id, token: w.trainerB.token}},
		{"POST /v1/invitations/:id/accept", attempt{method: "POST", path: "/v1/invitations/" + w.invitation + "/accept", token: w.learnerD.token}},
		{"POST /v1/invitations/:id/decline", attempt{method: "POST", path: "/v1/invitations/" + w.invitation + "/decline", token: w.learnerA.token}},
		{"POST /v1/invitations/:id/accept", attempt{method: "POST", path: "/v1/invitations/" + w.invitation + "/accept", token: w.trainerA.token}},
		{"GET /v1/cohorts/:id/progress", attempt{method: "GET", path: "/v1/cohorts/" + w.cohort + "/progress", token: w.trainerB.token}},
		{"GET /v1/cohorts/:id/progress", attempt{method: "GET", path: "/v1/cohorts/" + w.cohort + "/progress?format=csv", token: w.trainerB.token}},
		{"GET /v1/reports/exports/:id", attempt{method: "GET", path: "/v1/reports/exports/" + w.export, token: w.analystB.token}},
		{"GET /v1/reports/exports/:id", attempt{method: "GET", path: "/v1/reports/exports/" + w.export + "?format=csv", token: w.analystB.token}},
		// objects that do not exist answer the same
		{"GET /v1/certificates/:id/pdf", attempt{method: "GET", path: "/v1/certificates/" + unknown + "/pdf", token: w.admin.token}},
		{"POST /v1/certificates/:id/revoke", attempt{method: "POST", path: "/v1/certificates/" + unknown + "/revoke", token: w.admin.token, body: map[string]string{"reason": "x"}}},
		{"POST /v1/me/notifications/:id/read", attempt{method: "POST", path: "/v1/me/notifications/" + unknown + "/read", token: w.learnerA.token}},
		{"GET /v1/cohorts/:id", attempt{method: "GET", path: "/v1/cohorts/" + unknown, token: w.trainerA.token}},
		{"GET /v1/reports/exports/:id", attempt{method: "GET", path: "/v1/reports/exports/" + unknown, token: w.analyst.token}},
		{"GET /v1/users/:id", attempt{method: "GET", path: "/v1/users/" + unknown, token: w.admin.token}},
	} {
		_, b := w.refuse(t, attack, c.route, c.a, 404)
		for _, secret := range []string{w.learnerA.email, w.learnerA.id, "DROP TABLE cohorts"} {
			if strings.Contains(string(b), secret) {
				t.Errorf("%s %s leaks %q: %s", c.a.method, c.a.path, secret, b)
			}
		}
	}
	// Course content is public in outline, but lessons, quizzes and attempts
	// are for enrolled learners: someone not enrolled is told to enrol (403).
	const notEnrolled = "object level: course content without enrolment"
	for _, c := range []struct {
		route string
		a     attempt
	}{
		{"GET /v1/courses/:slug/lessons/:lesson_id", attempt{method: "GET", path: "/v1/courses/" + w.slug + "/lessons/" + w.lesson, token: w.learnerB.token}},
		{"GET /v1/courses/:slug/package", attempt{method: "GET", path: "/v1/courses/" + w.slug + "/package", token: w.learnerB.token}},
		{"GET /v1/quizzes/:id", attempt{method: "GET", path: "/v1/quizzes/" + w.quiz, token: w.learnerB.token}},
		{"POST /v1/quizzes/:id/attempts", attempt{method: "POST", path: "/v1/quizzes/" + w.quiz + "/attempts", token: w.learnerB.token,
			body: map[string]any{"answers": map[string][]string{w.question: {w.right}}}}},
		{"GET /v1/quizzes/:id/attempts", attempt{method: "GET", path: "/v1/quizzes/" + w.quiz + "/attempts", token: w.learnerB.token}},
	} {
		w.refuse(t, notEnrolled, c.route, c.a, 403, 404)
	}
	// Lists and batches only ever touch the caller's own objects.
	const listed = "object level: another user's objects in lists and batches"
	lists := []struct {
		route, path, token, secret string
	}{
		{"GET /v1/me/enrollments", "/v1/me/enrollments", w.learnerB.token, w.enrollment},
		{"GET /v1/me/certificates", "/v1/me/certificates", w.learnerB.token, w.cert},
		{"GET /v1/me/notifications", "/v1/me/notifications", w.learnerB.token, w.notification},
		{"GET /v1/me/invitations", "/v1/me/invitations", w.learnerD.token, w.invitation},
		{"GET /v1/cohorts", "/v1/cohorts", w.trainerB.token, w.cohort},
	}
	for _, l := range lists {
		code, _, b := w.send(t, attempt{method: "GET", path: l.path, token: l.token})
		ok := code == 200 && !strings.Contains(string(b), l.secret)
		if !ok {
			t.Errorf("%s shows another user's object: %d %s", l.route, code, b)
		}
		w.tally.add(listed, "200 without the other user's object", l.route, ok, string(b))
	}
	code, _, b := w.send(t, attempt{method: "POST", path: "/v1/progress", token: w.learnerB.token, body: map[string]any{"events": []any{
		map[string]string{"id": newUUID(), "lesson_id": w.lesson, "type": "lesson_completed", "occurred_at": "2026-01-05T10:00:00Z"}}}})
	var res struct {
		Accepted int
		Rejected []map[string]any
	}
	json.Unmarshal(b, &res)
	ok := code == 200 && res.Accepted == 0 && len(res.Rejected) == 1
	if !ok {
		t.Errorf("progress on a course learner B is not enrolled in: %d %s", code, b)
	}
	w.tally.add(listed, "200 without the other user's object", "POST /v1/progress", ok, string(b))

	// A learner enrolled in the same course sees only their own attempts and progress.
	e := w.learner(t, "Learner E")
	w.enrol(t, e, w.slug)
	for _, c := range []struct{ route, path, secret string }{
		{"GET /v1/quizzes/:id/attempts", "/v1/quizzes/" + w.quiz + "/attempts", `"score"`},
		{"GET /v1/me/courses/:slug/progress", "/v1/me/courses/" + w.slug + "/progress", `"completed_at":"`},
	} {
		code, _, b := w.send(t, attempt{method: "GET", path: c.path, token: e.token})
		ok := code == 200 && !strings.Contains(string(b), c.secret)
		if !ok {
			t.Errorf("%s shows learner A's data to learner E: %d %s", c.route, code, b)
		}
		w.tally.add(listed, "200 without the other user's object", c.route, ok, string(b))
	}
}

// massAssignment sends fields a client may not set: each is a 422 naming the
// field, and nothing changes.
func (w *world) massAssignment(t *testing.T) {
	const attack = "mass assignment (roles, email, scores, completed_at, owners...)"
	reg := func(k string, v any) map[string]any { b := registration(newEmail()); b[k] = v; return b }
	event := func(k string, v any) map[string]any {
		e := map[string]any{"id": newUUID(), "lesson_id": w.lesson, "type": "lesson_completed", "occurred_at": "2026-01-05T10:00:00Z", k: v}
		return map[string]any{"events": []any{e}}
	}
	answers := func(k string, v any) map[string]any {
		return map[string]any{"answers": map[string][]string{w.question: {w.wrong}}, k: v}
	}
	cohort := func(k string, v any) map[string]any {
		return map[string]any{"name": "C", "course": w.slug, "country": "KE", "starts_on": "2026-01-05", "ends_on": "2026-02-05", k: v}
	}
	cases := []struct {
		route, path, token string
		method             string
		body               map[string]any
		field              string
	}{
		{"POST /v1/auth/register", "/v1/auth/register", "", "POST", reg("roles", []string{"admin"}), "roles"},
		{"POST /v1/auth/register", "/v1/auth/register", "", "POST", reg("region", "europe"), "region"},
		{"POST /v1/auth/register", "/v1/auth/register", "", "POST", reg("id", w.admin.id), "id"},
		{"POST /v1/auth/register", "/v1/auth/register", "", "POST", reg("created_at", "2020-01-01T00:00:00Z"), "created_at"},
		{"POST /v1/auth/register", "/v1/auth/register", "", "POST", reg("password_hash", "$argon2id$x"), "password_hash"},
		{"POST /v1/auth/login", "/v1/auth/login", "", "POST", map[string]any{"email": w.learnerB.email, "password": "x", "roles": []string{"admin"}}, "roles"},
		{"PATCH /v1/me", "/v1/me", w.learnerA.token, "PATCH", map[string]any{"roles": []string{"learner", "admin"}}, "roles"},
		{"PATCH /v1/me", "/v1/me", w.learnerA.token, "PATCH", map[string]any{"email": w.admin.email}, "email"},
		{"PATCH /v1/me", "/v1/me", w.learnerA.token, "PATCH", map[string]any{"id": w.learnerB.id}, "id"},
		{"PATCH /v1/me", "/v1/me", w.learnerA.token, "PATCH", map[string]any{"region": "europe"}, "region"},
		{"PATCH /v1/me", "/v1/me", w.learnerA.token, "PATCH", map[string]any{"created_at": "2020-01-01T00:00:00Z"}, "created_at"},
		{"PUT /v1/users/:id/roles", "/v1/users/" + w.learnerB.id + "/roles", w.admin.token, "PUT", map[string]any{"roles": []string{"learner"}, "email": "x@example.org"}, "email"},
		{"POST /v1/progress", "/v1/progress", w.learnerA.token, "POST", event("completed_at", "2026-01-05T10:00:00Z"), "completed_at"},
		{"POST /v1/progress", "/v1/progress", w.learnerA.token, "POST", event("user_id", w.learnerB.id), "user_id"},
		{"POST /v1/progress", "/v1/progress", w.learnerA.token, "POST", event("progress_percent", 100), "progress_percent"},
		{"POST /v1/progress", "/v1/progress", w.learnerA.token, "POST", map[string]any{"events": []any{}, "user_id": w.learnerB.id}, "user_id"},
		{"POST /v1/quizzes/:id/attempts", "/v1/quizzes/" + w.quiz + "/attempts", w.learnerA.token, "POST", answers("score", 100), "score"},
		{"POST /v1/quizzes/:id/attempts", "/v1/quizzes/" + w.quiz + "/attempts", w.learnerA.token, "POST", answers("passed", true), "passed"},
		{"POST /v1/quizzes/:id/attempts", "/v1/quizzes/" + w.quiz + "/attempts", w.learnerA.token, "POST", answers("attempt_number", 1), "attempt_number"},
		{"POST /v1/cohorts", "/v1/cohorts", w.trainerA.token, "POST", cohort("owner_id", w.trainerB.id), "owner_id"},
		{"POST /v1/cohorts", "/v1/cohorts", w.trainerA.token, "POST", cohort("trainer_id", w.trainerB.id), "trainer_id"},
		{"POST /v1/cohorts/:id/members", "/v1/cohorts/" + w.cohort + "/members", w.trainerA.token, "POST", map[string]any{"emails": []string{}, "user_ids": []string{w.learnerB.id}}, "user_ids"},
		{"PATCH /v1/cohorts/:id", "/v1/cohorts/" + w.cohort, w.trainerA.token, "PATCH", map[string]any{"owner_id": w.trainerB.id}, "owner_id"},
		{"PATCH /v1/cohorts/:id", "/v1/cohorts/" + w.cohort, w.trainerA.token, "PATCH", map[string]any{"archived_at": nil}, "archived_at"},
		{"POST /v1/cohorts/join", "/v1/cohorts/join", w.learnerB.token, "POST", map[string]any{"code": "ABCDEFGH", "user_id": w.learnerC.id}, "user_id"},
		{"POST /v1/certificates/:id/revoke", "/v1/certificates/" + w.cert + "/revoke", w.admin.token, "POST", map[string]any{"reason": "x", "revoked_at": "2020-01-01T00:00:00Z"}, "revoked_at"},
		{"POST /v1/certificates/verify", "/v1/certificates/verify", "", "POST", map[string]any{"token": w.revoked, "valid": true}, "valid"},
		{"POST /v1/reports/exports", "/v1/reports/exports", w.analyst.token, "POST", map[string]any{"group_by": "gender", "user_id": w.analystB.id}, "user_id"},
		{"POST /v1/reports/exports", "/v1/reports/exports", w.analyst.token, "POST", map[string]any{"group_by": "gender", "status": "done"}, "status"},
	}
	for _, c := range cases {
		code, b := w.refuse(t, attack, c.route, attempt{method: c.method, path: c.path, token: c.token, body: c.body}, 422)
		if code == 422 && !strings.Contains(string(b), `"field":"`+c.field+`"`) && !strings.Contains(string(b), "."+c.field+`"`) {
			t.Errorf("%s: the 422 does not name %s: %s", c.route, c.field, b)
		}
	}
	_, _, b := w.send(t, attempt{method: "GET", path: "/v1/me", token: w.learnerA.token})
	me := decode(t, b)
	if me["email"] != w.learnerA.email || fmt.Sprint(me["roles"]) != "[learner]" || me["region"] != "africa" {
		t.Fatalf("learner A changed: %v", me)
	}
	// A route that takes no body ignores one: enrolling with a forged status
	// and owner enrols the caller, at the start.
	code, _, b := w.send(t, attempt{method: "POST", path: "/v1/courses/" + w.slug + "/enrollments", token: w.learnerC.token,
		body: map[string]any{"status": "completed", "progress_percent": 100, "user_id": w.learnerB.id, "completed_at": "2026-01-01T00:00:00Z"}})
	e := decode(t, b)
	ok := (code == 201 || code == 200) && e["status"] == "active" && e["completed_at"] == nil && fmt.Sprint(e["progress_percent"]) == "0"
	_, _, lb := w.send(t, attempt{method: "GET", path: "/v1/me/enrollments", token: w.learnerB.token})
	ok = ok && !strings.Contains(string(lb), w.slug)
	if !ok {
		t.Errorf("enrolment took fields from the body: %d %s / learner B: %s", code, b, lb)
	}
	w.tally.add("mass assignment on a route that takes no body", "body ignored: caller enrolled as active, 0%", "POST /v1/courses/:slug/enrollments", ok, string(b))
}

// hostileBodies sends malformed bodies to every route that reads one.
func (w *world) hostileBodies(t *testing.T) {
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	deepObject := strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)
	bodies := []struct {
		name, ctype, body string
		want              []int
	}{
		{"wrong content type", "text/plain", `{}`, []int{415}},
		{"form content type", "application/x-www-form-urlencoded", `roles=admin`, []int{415}},
		{"malformed JSON", "application/json", `{"name": `, []int{400}},
		{"two JSON values", "application/json", `{} {}`, []int{400}},
		{"invalid UTF-8", "application/json", "{\"name\": \"\xff\xfe\xfd\"}", []int{400}},
		{"overlong UTF-8 encoding", "application/json", "{\"name\": \"\xc0\xaf\"}", []int{400}},
		{"escaped NUL", "application/json", `{"name": "a\u0000b"}`, []int{400}},
		{"raw NUL byte", "application/json", "{\"name\": \"a\x00b\"}", []int{400}},
		{"deeply nested arrays", "application/json", deep, []int{400, 422}},
		{"deeply nested objects", "application/json", deepObject, []int{400, 422}},
		{"huge number", "application/json", `{"name": 1e999999}`, []int{400, 422}},
	}
	for _, r := range routesWhere(func(r secRoute) bool { return r.body }) {
		for _, hb := range bodies {
			w.refuse(t, "malformed bodies (type, JSON, UTF-8, NUL, depth)", r.key(),
				attempt{method: r.method, path: w.fill(r.sample), token: w.caller(r), body: hb.body, ctype: hb.ctype}, hb.want...)
		}
		if r.key() != "POST /v1/auth/logout" { // its body is optional
			w.refuse(t, "malformed bodies (type, JSON, UTF-8, NUL, depth)", r.key(),
				attempt{method: r.method, path: w.fill(r.sample), token: w.caller(r), body: "", ctype: "application/json"}, 400, 422)
		}
	}
	bomb := "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		bomb += n + ": &" + n + " [*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + "]\n"
		prev = n
	}
	for _, y := range []string{bomb, "slug: [unclosed", "!!binary AAAA", "a: !!python/object:os.system 'id'", strings.Repeat("- ", 20000) + "x",
		"slug: \"\xff\"", "title: !!float .nan"} {
		w.refuse(t, "hostile YAML course documents (alias bomb, tags, depth)", "POST /v1/courses",
			attempt{method: "POST", path: "/v1/courses", token: w.admin.token, body: y, ctype: "application/yaml"}, 400, 422)
	}
}

// oversizedBodies announces a body over the limit on every route that reads
// one: 413 before the body is read.
func (w *world) oversizedBodies(t *testing.T) {
	for _, r := range routesWhere(func(r secRoute) bool { return r.body }) {
		code := w.rawPost(t, r.method, w.fill(r.sample), w.caller(r), 5<<20)
		if code != 413 {
			t.Errorf("%s: oversized body answered %d", r.key(), code)
		}
		w.tally.add("oversized bodies (5 MiB)", "413", r.key(), code == 413, fmt.Sprint(code))
	}
	code := w.rawPost(t, "POST", "/v1/auth/register", "", 1<<40)
	w.tally.add("oversized bodies (5 MiB)", "413", "POST /v1/auth/register", code == 413, fmt.Sprint(code))
	if code != 413 {
		t.Errorf("a 1 TiB Content-Length answered %d", code)
	}
}

// hostileArrays sends 10,000-element arrays to every route that reads a body,
// in place of the body and in the fields that hold lists.
func (w *world) hostileArrays(t *testing.T) {
	const attack = "10,000-element arrays"
	many := func(v any, n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	for _, r := range routesWhere(func(r secRoute) bool { return r.body }) {
		w.refuse(t, attack, r.key(), attempt{method: r.method, path: w.fill(r.sample), token: w.caller(r), body: many(0, 10000)}, 400, 422)
	}
	events := make([]any, 10000)
	emails := make([]string, 10001)
	csvBody := "email\n"
	answers := map[string][]string{}
	for i := range events {
		events[i] = map[string]string{"id": newUUID(), "lesson_id": w.lesson, "type": "lesson_completed", "occurred_at": "2026-01-05T10:00:00Z"}
		answers[newUUID()] = []string{w.right}
	}
	for i := range emails {
		emails[i] = fmt.Sprintf("member%05d@example.org", i)
		csvBody += emails[i] + "\n"
	}
	doc := func(k string, v any) map[string]any {
		return map[string]any{"slug": "sec-arrays", "title": "T", "summary": "S", "level": "beginner", "audiences": []string{"youth"},
			"language": "en", "modules": []any{}, k: v}
	}
	roles := make([]string, 10000)
	for i := range roles {
		roles[i] = fmt.Sprintf("role-%d", i)
	}
	name := registration(newEmail())
	name["name"] = many("x", 10000)
	for _, c := range []struct {
		route string
		a     attempt
		want  []int
	}{
		{"POST /v1/progress", attempt{method: "POST", path: "/v1/progress", token: w.learnerA.token, body: map[string]any{"events": events}}, []int{413, 422}},
		{"POST /v1/cohorts/:id/members", attempt{method: "POST", path: "/v1/cohorts/" + w.cohort + "/members", token: w.trainerA.token, body: map[string]any{"emails": emails}}, []int{413, 422}},
		{"POST /v1/cohorts/:id/members", attempt{method: "POST", path: "/v1/cohorts/" + w.cohort + "/members", token: w.trainerA.token, body: csvBody, ctype: "text/csv"}, []int{413, 422}},
		{"PUT /v1/users/:id/roles", attempt{method: "PUT", path: "/v1/users/" + w.learnerB.id + "/roles", token: w.admin.token, body: map[string]any{"roles": roles}}, []int{413, 422}},
		{"POST /v1/quizzes/:id/attempts", attempt{method: "POST", path: "/v1/quizzes/" + w.quiz + "/attempts", token: w.learnerA.token,
			body: map[string]any{"answers": map[string]any{w.question: many(w.right, 10000)}}}, []int{413, 422}},
		{"POST /v1/quizzes/:id/attempts", attempt{method: "POST", path: "/v1/quizzes/" + w.quiz + "/attempts", token: w.learnerA.token,
			body: map[string]any{"answers": answers}}, []int{413, 422}},
		{"POST /v1/courses", attempt{method: "POST", path: "/v1/courses", token: w.admin.token, body: doc("audiences", many("youth", 10000))}, []int{413, 422}},
		{"POST /v1/courses", attempt{method: "POST", path: "/v1/courses", token: w.admin.token, body: doc("modules", many(map[string]any{}, 10000))}, []int{413, 422}},
		{"POST /v1/auth/register", attempt{method: "POST", path: "/v1/auth/register", body: name}, []int{422}},
		{"POST /v1/reports/exports", attempt{method: "POST", path: "/v1/reports/exports", token: w.analyst.token, body: map[string]any{"group_by": many("gender", 10000)}}, []int{422}},
	} {
		w.refuse(t, attack, c.route, c.a, c.want...)
	}
	// A list in the query string or a header beyond the 16 KiB read buffer.
	for _, c := range []struct {
		route string
		a     attempt
	}{
		{"GET /v1/reports/participation", attempt{method: "GET", path: "/v1/reports/participation?group_by=" + strings.Repeat("gender,", 10000), token: w.analyst.token}},
		{"GET /v1/me", attempt{method: "GET", path: "/v1/me", token: w.learnerD.token, header: map[string]string{"X-Padding": strings.Repeat("a,", 10000)}}},
	} {
		w.refuse(t, "request line or headers over 16 KiB", c.route, c.a, 400, 413, 414, 431)
	}
	var attempts int
	if err := testDB.Get(&attempts, `SELECT count(*) FROM quiz_attempts a JOIN users u ON u.id = a.user_id WHERE u.email = $1`, w.learnerA.email); err != nil {
		t.Fatal(err)
	}
	if attempts != 2 {
		t.Errorf("learner A has %d quiz attempts after the refused ones, want 2", attempts)
	}
}

// hostilePaths puts hostile values in every path parameter of every route.
func (w *world) hostilePaths(t *testing.T) {
	const attack = "hostile path parameters (SQL, traversal, NUL, markup, 10,000 chars)"
	values := []string{url.PathEscape(`' OR '1'='1`), "..%2F..%2F..%2Fetc%2Fpasswd", "%00", url.PathEscape("<script>alert(1)</script>"),
		strings.Repeat("a", 10000), "-1", "99999999999999999999", "00000000-0000-4000-8000-000000000000", "%F0%28%8C%BC"}
	param := regexp.MustCompile(`\{[a-zA-Z]+\}`)
	for _, r := range routesWhere(func(r secRoute) bool { return strings.Contains(r.pattern, ":") }) {
		locs := param.FindAllStringIndex(r.sample, -1)
		if len(locs) == 0 { // a fixed sample value, such as status list 1 or app.js
			i := strings.LastIndex(r.sample, "/")
			locs = [][]int{{i + 1, len(r.sample)}}
		}
		for _, loc := range locs {
			for _, v := range values {
				path := w.fill(r.sample[:loc[0]] + v + r.sample[loc[1]:])
				a := attempt{method: r.method, path: path, token: w.caller(r)}
				if r.body {
					a.body = "{}"
				}
				w.refuse(t, attack, r.key(), a, 400, 404, 414, 422, 431)
			}
		}
	}
}

// hostileText checks that markup and SQL typed into text fields are stored as
// typed and escaped in the HTML, SVG and CSV outputs.
func (w *world) hostileText(t *testing.T) {
	const literal = "hostile text stored literally (SQL metacharacters, HTML)"
	const escaped = "hostile text escaped in HTML, SVG and CSV outputs"
	check := func(row, means, route string, ok bool, got string) {
		if !ok {
			t.Errorf("%s on %s: %.500s", row, route, got)
		}
		w.tally.add(row, means, route, ok, got)
	}
	_, _, b := w.send(t, attempt{method: "GET", path: "/v1/me", token: w.learnerA.token})
	check(literal, "read back exactly as sent", "POST /v1/auth/register", decode(t, b)["name"] == hostileName, string(b))
	code, _, b := w.send(t, attempt{method: "PATCH", path: "/v1/me", token: w.learnerB.token,
		body: map[string]any{"organization": hostileText, "name": "B " + hostileText}})
	me := decode(t, b)
	check(literal, "read back exactly as sent", "PATCH /v1/me", code == 200 && me["organization"] == hostileText && me["name"] == "B "+hostileText, string(b))
	_, _, b = w.send(t, attempt{method: "GET", path: "/v1/cohorts/" + w.cohort, token: w.trainerA.token})
	check(literal, "read back exactly as sent", "POST /v1/cohorts", strings.Contains(string(b), jsonString(hostileText)), string(b))
	_, _, b = w.send(t, attempt{method: "GET", path: "/v1/courses/" + w.slug})
	check(literal, "read back exactly as sent", "POST /v1/courses", decode(t, b)["title"] == "Security "+hostileText, string(b))
	_, _, b = w.send(t, attempt{method: "GET", path: "/v1/courses/" + w.slug + "/lessons/" + w.lesson, token: w.learnerA.token})
	check(literal, "read back exactly as sent", "GET /v1/courses/:slug/lessons/:lesson_id", decode(t, b)["content"] == "# Hello\n\n"+hostileText, string(b))
	_, _, b = w.send(t, attempt{method: "GET", path: "/v1/certificates/" + w.cert})
	check(literal, "read back exactly as sent", "GET /v1/certificates/:id", strings.Contains(string(b), jsonString(hostileName)), string(b))
	for _, q := range []string{`' OR 1=1 --`, `"; SELECT pg_sleep(10); --`, `<script>alert(1)</script>`, `%`, `_`, `\`, `') OR ('a'='a`, strings.Repeat("ab ", 300)} {
		code, _, b := w.send(t, attempt{method: "GET", path: "/v1/courses?q=" + url.QueryEscape(q)})
		check(literal, "read back exactly as sent", "GET /v1/courses", code == 200 || code == 422, string(b))
	}
	for _, f := range []string{"course", "country", "region", "cohort", "from", "group_by"} {
		w.refuse(t, "SQL metacharacters in report filters", "GET /v1/reports/participation",
			attempt{method: "GET", path: "/v1/reports/participation?" + f + "=" + url.QueryEscape(`x' OR '1'='1'; --`), token: w.analyst.token}, 422)
	}

	code, hdr, b := w.send(t, attempt{method: "GET", path: "/v1/certificates/" + w.cert, header: map[string]string{"Accept": "text/html"}})
	page := string(b)
	check(escaped, "no live markup; entities in HTML and SVG; formulas neutralised in CSV", "GET /v1/certificates/:id (HTML)",
		code == 200 && strings.HasPrefix(hdr.Get("Content-Type"), "text/html") && !strings.Contains(page, "<script>alert") &&
			!strings.Contains(page, "<img src=x") && strings.Contains(page, "&lt;script&gt;"), page)

	code, _, b = w.send(t, attempt{method: "GET", path: "/v1/cohorts/" + w.cohort + "/progress?format=csv", token: w.trainerA.token})
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF")))).ReadAll()
	names := map[string]bool{}
	for _, r := range rows {
		if len(r) > 1 {
			names[r[1]] = true
		}
	}
	check(escaped, "no live markup; entities in HTML and SVG; formulas neutralised in CSV", "GET /v1/cohorts/:id/progress (CSV)",
		code == 200 && err == nil && len(rows) == 4 && strings.HasPrefix(rows[3][0], "# cohort impact:") && // header, two members, summary
			names[hostileName] && names["'"+formulaName] && !names[formulaName], string(b))

	for _, path := range []string{"/v1/reports/participation.svg?group_by=course", "/v1/reports/participation.svg?group_by=gender&course=" + w.slug} {
		code, _, b = w.send(t, attempt{method: "GET", path: path, token: w.analyst.token})
		check(escaped, "no live markup; entities in HTML and SVG; formulas neutralised in CSV", "GET /v1/reports/participation.svg",
			code == 200 && wellFormedXML(b) && !strings.Contains(string(b), "<img") && !strings.Contains(string(b), "<script"), string(b))
	}
	code, _, b = w.send(t, attempt{method: "GET", path: "/v1/reports/participation?group_by=course", token: w.analyst.token,
		header: map[string]string{"Accept": "text/csv"}})
	_, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF")))).ReadAll()
	check(escaped, "no live markup; entities in HTML and SVG; formulas neutralised in CSV", "GET /v1/reports/participation (CSV)",
		code == 200 && err == nil && !regexp.MustCompile(`(?m)(^|,)[=+@]`).Match(b), string(b))
}

func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }

// wellFormedXML reports whether b parses as XML to the end.
func wellFormedXML(b []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			return false
		}
	}
}

// bruteForce guesses passwords: the account locks (429 with Retry-After)
// after LOGIN_FAILURES_PER_ACCOUNT failures, even for the right password, and
// one address trying many accounts is limited by AUTH_IP_LIMIT_PER_MINUTE.
func (w *world) bruteForce(t *testing.T) {
	const attack = "login brute force (one account; many accounts from one address)"
	const route = "POST /v1/auth/login"
	victim := w.learner(t, "Brute Force Victim")
	for i := range 10 { // LOGIN_FAILURES_PER_ACCOUNT defaults to 10
		w.refuse(t, attack, route, attempt{method: "POST", path: "/v1/auth/login",
			body: map[string]string{"email": victim.email, "password": fmt.Sprintf("guess number %d", i)}}, 401)
	}
	for i, pw := range []string{"guess number 10", "guess number 11", victim.password} {
		code, hdr, b := w.send(t, attempt{method: "POST", path: "/v1/auth/login",
			body: map[string]string{"email": strings.ToUpper(victim.email), "password": pw}})
		ok := code == 429 && hdr.Get("Retry-After") != ""
		if !ok {
			t.Errorf("attempt %d after the failures: %d %s", 11+i, code, b)
		}
		w.tally.add(attack, "4xx", route, ok, fmt.Sprint(code))
	}

	flushRedis(t, 8)
	s := startServer(t, testEnv(8, map[string]string{"AUTH_IP_LIMIT_PER_MINUTE": "20"}), "api")
	limited := &world{s: s, tally: w.tally}
	// Sent at once, so all 30 fall in one minute however slowly each login
	// is answered (password hashing is slow under the race detector), and
	// not near the end of the limiter's fixed one-minute window.
	if left := time.Until(time.Now().Truncate(time.Minute).Add(time.Minute)); left < 20*time.Second {
		time.Sleep(left)
	}
	codes := make([]int, 30)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = limited.refuse(t, attack, route, attempt{method: "POST", path: "/v1/auth/login",
				body: map[string]string{"email": fmt.Sprintf("stuffed%d-%s@example.org", i, newUUID()[:8]), "password": "password123!"}}, 401, 429)
		}()
	}
	wg.Wait()
	if n := len(codes) - slices.Index(slices.Sorted(slices.Values(codes)), 429); !slices.Contains(codes, 429) || n != 10 {
		t.Errorf("30 logins at once from one address allowed 20 a minute: %v, want exactly 10 answered 429", codes)
	}
	w.served += limited.served
	w.failed += limited.failed
}
