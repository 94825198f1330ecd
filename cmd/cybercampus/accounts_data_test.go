package main

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// A learner with an enrollment, progress, a certificate and a notification
// exports every record, then erases the account: the person is gone, the
// statistics and the certificate stay.
func TestExportAndErasure(t *testing.T) {
	s := sharedServer(t)
	w := &world{s: s, tally: &tally{}}
	w.admin = w.staff(t, "Erasure Admin", "admin")
	slug := w.course(t, false)
	u := w.learner(t, "Erased Learner")
	other := w.learner(t, "Other Learner")
	w.enrol(t, u, slug)
	w.completeLesson(t, u, w.lessonOf(t, slug))
	cert := w.waitCertificates(t, u, 1)[0]

	// Health data given with consent, and an invitation addressed to the
	// learner's email: both are personal records the export lists and the
	// erasure removes.
	if code, _, b := s.call(t, "PATCH", "/v1/me", u.token, map[string]any{"functioning_consent": true, "functioning": map[string]string{
		"seeing": "no_difficulty", "hearing": "a_lot_of_difficulty", "walking": "no_difficulty", "cognition": "no_difficulty",
		"self_care": "no_difficulty", "communication": "no_difficulty"}}); code != 200 {
		t.Fatalf("functioning: %d %s", code, b)
	}
	code, _, b := s.call(t, "POST", "/v1/cohorts", w.admin.token, map[string]string{"name": "Erasure cohort", "course": slug,
		"country": "KE", "starts_on": "2026-01-05", "ends_on": "2027-12-31"})
	if code != 201 {
		t.Fatalf("cohort: %d %s", code, b)
	}
	var cohort struct{ Cohort struct{ ID string } }
	if err := json.Unmarshal(b, &cohort); err != nil {
		t.Fatal(err)
	}
	if code, _, b := s.call(t, "POST", "/v1/cohorts/"+cohort.Cohort.ID+"/members", w.admin.token, map[string]any{"emails": []string{u.email}}); code != 200 {
		t.Fatalf("invite: %d %s", code, b)
	}

	code, hdr, b := s.call(t, "GET", "/v1/me/export", u.token, nil)
	if code != 200 || !strings.Contains(hdr.Get("Content-Disposition"), "attachment") || hdr.Get("Cache-Control") != "private, no-store" {
		t.Fatalf("export: %d %v", code, hdr)
	}
	var doc struct {
		Account struct {
			ID, Email, Name string
		}
		Sessions, Enrollments, ProgressEvents, Certificates, Notifications []map[string]any
		QuizAttempts                                                       []map[string]any `json:"quiz_attempts"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	json.Unmarshal(b, &raw)
	for _, k := range []string{"progress_events", "emailed_links", "cohort_memberships", "cohort_invitations", "functioning", "cohorts_owned", "report_requests", "report_exports", "assessment_attempts", "surveys"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("export lacks %s", k)
		}
	}
	if !strings.Contains(string(raw["functioning"]), "a_lot_of_difficulty") || !strings.Contains(string(raw["cohort_invitations"]), "Erasure cohort") {
		t.Errorf("export lacks the functioning answers or the invitation: %s %s", raw["functioning"], raw["cohort_invitations"])
	}
	json.Unmarshal(raw["progress_events"], &doc.ProgressEvents)
	if doc.Account.ID != u.id || doc.Account.Email != u.email || doc.Account.Name != "Erased Learner" ||
		len(doc.Sessions) == 0 || len(doc.Enrollments) != 1 || len(doc.ProgressEvents) != 1 || len(doc.Certificates) != 1 ||
		len(doc.Notifications) == 0 {
		t.Fatalf("export is missing records: %s", b)
	}
	if lc := doc.Enrollments[0]["lesson_completions"].([]any); len(lc) != 1 {
		t.Fatalf("enrollment without its lesson completion: %v", doc.Enrollments[0])
	}
	if strings.Contains(string(b), "argon2") || strings.Contains(string(b), "password") || strings.Contains(string(b), u.refresh) {
		t.Fatal("the export carries a secret")
	}
	if _, _, ob := s.call(t, "GET", "/v1/me/export", other.token, nil); strings.Contains(string(ob), u.email) {
		t.Fatal("another learner's export names this one")
	}

	t.Run("erasure needs the password", func(t *testing.T) {
		code, _, b := s.call(t, "DELETE", "/v1/me", u.token, map[string]string{"password": "not my password"})
		expectProblem(t, code, b, 422, "password")
		code, _, b = s.call(t, "DELETE", "/v1/me", u.token, map[string]string{})
		expectProblem(t, code, b, 422, "password")
	})
	var enrolledBefore int
	testDB.Get(&enrolledBefore, `SELECT count(*) FROM enrollments WHERE course_id = (SELECT id FROM courses WHERE slug = $1)`, slug)
	if code, _, b := s.call(t, "DELETE", "/v1/me", u.token, map[string]string{"password": u.password}); code != 204 {
		t.Fatalf("erase: %d %s", code, b)
	}

	t.Run("the account is gone", func(t *testing.T) {
		for _, r := range []struct{ method, path string }{{"GET", "/v1/me"}, {"GET", "/v1/me/export"}, {"GET", "/v1/me/enrollments"}} {
			if code, _, _ := s.call(t, r.method, r.path, u.token, nil); code != 401 {
				t.Errorf("%s %s with the erased account's token: %d", r.method, r.path, code)
			}
		}
		if code, _, _ := s.call(t, "POST", "/v1/auth/refresh", "", map[string]string{"refresh_token": u.refresh}); code != 401 {
			t.Errorf("refresh after erasure: %d", code)
		}
		if code, _, _ := s.call(t, "POST", "/v1/auth/login", "", map[string]string{"email": u.email, "password": u.password}); code != 401 {
			t.Errorf("sign-in after erasure: %d", code)
		}
		var row struct {
			Email  *string `db:"email"`
			Name   string  `db:"name"`
			Gender *string `db:"gender"`
			Erased bool    `db:"erased"`
		}
		if err := testDB.Get(&row, `SELECT email, name, gender, erased_at IS NOT NULL AS erased FROM users WHERE id = $1`, u.id); err != nil {
			t.Fatal(err)
		}
		if row.Email != nil || row.Name != "" || row.Gender != nil || !row.Erased {
			t.Fatalf("personal data left: %+v", row)
		}
		var left int
		if err := testDB.Get(&left, `SELECT (SELECT count(*) FROM notifications WHERE user_id = $1) + (SELECT count(*) FROM refresh_tokens WHERE user_id = $1)
			+ (SELECT count(*) FROM account_tokens WHERE user_id = $1) + (SELECT count(*) FROM certificates WHERE user_id = $1 AND learner_name <> '')
			+ (SELECT count(*) FROM user_functioning WHERE user_id = $1) + (SELECT count(*) FROM cohort_invitations WHERE email_key = lower($2))
			+ (SELECT count(*) FROM enrollments WHERE user_id = $1 AND disability <> 'not_stated')`, u.id, u.email); err != nil {
			t.Fatal(err)
		}
		if left != 0 {
			t.Fatalf("%d personal rows left", left)
		}
		if code, _, b := s.call(t, "POST", "/v1/auth/register", "", registration(u.email)); code != 201 {
			t.Fatalf("the erased address cannot register again: %d %s", code, b)
		}
	})

	t.Run("anonymous statistics keep their counts", func(t *testing.T) {
		var after int
		testDB.Get(&after, `SELECT count(*) FROM enrollments WHERE course_id = (SELECT id FROM courses WHERE slug = $1)`, slug)
		var snap struct {
			Gender   string `db:"gender"`
			Country  string `db:"country"`
			AgeBand  string `db:"age_band"`
			Complete bool   `db:"complete"`
		}
		err := testDB.Get(&snap, `SELECT gender, country, age_band, status = 'completed' AS complete FROM enrollments WHERE user_id = $1`, u.id)
		if err != nil || after != enrolledBefore || snap.Gender != "female" || snap.Country != "SN" || !snap.Complete {
			t.Fatalf("enrollments %d → %d, snapshot %+v, %v", enrolledBefore, after, snap, err)
		}
	})

	t.Run("the certificate keeps verifying without the name", func(t *testing.T) {
		code, _, b := s.call(t, "POST", "/v1/certificates/verify", "", map[string]string{"token": cert.Token})
		res := decode(t, b)
		if code != 200 || res["valid"] != true || res["certificate"].(map[string]any)["learner_name"] != "" {
			t.Fatalf("verify after erasure: %d %s", code, b)
		}
		req, _ := http.NewRequest("GET", s.base+"/v1/certificates/"+cert.ID, nil)
		req.Header.Set("Accept", "text/html")
		code, _, page := s.do(t, req)
		if code != 200 || strings.Contains(string(page), "Erased Learner") || !strings.Contains(string(page), "Name erased") {
			t.Fatalf("verify page after erasure: %d %s", code, page)
		}
	})
}

// Cursors that do not decode to a list position are a 400 naming cursor on
// every keyset-paginated list, never a 500.
func TestHostileCursors(t *testing.T) {
	s := sharedServer(t)
	w := &world{s: s, tally: &tally{}}
	trainer := w.staff(t, "Cursor Trainer", "trainer")
	for _, path := range []string{"/v1/me/enrollments", "/v1/me/notifications", "/v1/cohorts", "/v1/me/certificates", "/v1/courses"} {
		for _, cursor := range []string{"e30", "bnVsbA", "W10", "eyJ0IjoiMjAyNi0wMS0wMVQwMDowMDowMFoiLCJpIjoieCJ9", "eyJzIjoiIn0", "%25%25", "e30.."} {
			code, _, b := s.call(t, "GET", path+"?cursor="+cursor, trainer.token, nil)
			if code != 400 || !slices.Contains(fieldsOf(t, b), "cursor") {
				t.Errorf("%s?cursor=%s: %d %s", path, cursor, code, b)
			}
		}
	}
}
