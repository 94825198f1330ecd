package learners_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cybercampus/cybercampus/internal/apptest"
)

type createdPupil struct {
	UserID   string `json:"user_id"`
	Name     string `json:"name"`
	Username string `json:"username"`
	Password string `json:"password"`
}

func createPupils(tb testing.TB, env *apptest.Env, trainer apptest.User, cohortID string, names ...string) []createdPupil {
	tb.Helper()
	var learners []map[string]any
	for _, n := range names {
		learners = append(learners, map[string]any{"name": n, "gender": "female", "birth_year": time.Now().Year() - 10})
	}
	var r struct {
		Learners []createdPupil `json:"learners"`
	}
	env.Expect(tb, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/" + cohortID + "/learners", Token: trainer.Token,
		Body: map[string]any{"consent": map[string]any{"basis": "guardian", "note": "Forms collected on 3 March"}, "learners": learners}},
		http.StatusCreated).JSON(tb, &r)
	if len(r.Learners) != len(names) {
		tb.Fatalf("created %d pupils, want %d", len(r.Learners), len(names))
	}
	return r.Learners
}

func pupilLogin(env *apptest.Env, tb testing.TB, username, password string, want int) apptest.Response {
	tb.Helper()
	return env.Expect(tb, apptest.Request{Method: http.MethodPost, Path: "/v1/auth/login",
		Body: map[string]any{"username": username, "password": password}}, want)
}

var (
	usernameShape = regexp.MustCompile(`^[a-z]+-[a-z]+-[0-9]{2}$`)
	passwordShape = regexp.MustCompile(`^[a-z]+-[a-z]+-[a-z]+-[a-z]+$`)
)

func TestPupilAccounts(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	trainer := env.NewUser(t, "trainer")
	h := createCohort(t, env, trainer, course.Slug)
	pupils := createPupils(t, env, trainer, h.ID, "Amina Otieno", "Wanjiru Kamau")

	t.Run("accounts without email, with a username and a word password, enrolled and members", func(t *testing.T) {
		for _, p := range pupils {
			if !usernameShape.MatchString(p.Username) || !passwordShape.MatchString(p.Password) || p.UserID == "" {
				t.Fatalf("pupil = %+v", p)
			}
			var row struct {
				Email     *string `db:"email"`
				BirthYear *int    `db:"birth_year"`
				AgeBand   string  `db:"age_band"`
				Via       string  `db:"joined_via"`
			}
			mustGet(t, &row, `SELECT u.email, u.birth_year, u.age_band, m.joined_via FROM users u
				JOIN cohort_members m ON m.user_id = u.id AND m.cohort_id = $2 WHERE u.id = $1`, p.UserID, h.ID)
			if row.Email != nil || row.BirthYear != nil || row.AgeBand != "under_15" || row.Via != "managed" {
				t.Fatalf("stored %+v", row)
			}
			if enrollments(t, p.UserID, course.ID) != 1 {
				t.Fatal("pupil not enrolled in the cohort's course")
			}
		}
	})
	t.Run("the consent ledger records basis, note, who and when", func(t *testing.T) {
		var c struct {
			Basis, Note string
			By          string    `db:"recorded_by"`
			At          time.Time `db:"recorded_at"`
		}
		mustGet(t, &c, `SELECT basis, note, recorded_by, recorded_at FROM pupil_consents WHERE user_id = $1`, pupils[0].UserID)
		if c.Basis != "guardian" || c.Note != "Forms collected on 3 March" || c.By != trainer.ID || time.Since(c.At) > time.Hour {
			t.Fatalf("consent = %+v", c)
		}
	})
	t.Run("a pupil signs in with the username; the profile shows the age band, not a birth year", func(t *testing.T) {
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		pupilLogin(env, t, strings.ToUpper(pupils[0].Username), pupils[0].Password, http.StatusOK).JSON(t, &tok)
		me := env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me", Token: tok.AccessToken}, http.StatusOK).Map(t)
		if me["username"] != pupils[0].Username || me["age_band"] != "under_15" || me["birth_year"] != nil || me["managed"] != true {
			t.Fatalf("me = %v", me)
		}
	})
	t.Run("a pupil cannot change the profile", func(t *testing.T) {
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		pupilLogin(env, t, pupils[1].Username, pupils[1].Password, http.StatusOK).JSON(t, &tok)
		resp := env.Expect(t, apptest.Request{Method: http.MethodPatch, Path: "/v1/me", Token: tok.AccessToken,
			Body: map[string]any{"name": "Someone Else"}}, http.StatusForbidden)
		if resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
		}
		var name string
		mustGet(t, &name, `SELECT name FROM users WHERE id = $1`, pupils[1].UserID)
		if name != "Wanjiru Kamau" {
			t.Fatalf("name changed to %q", name)
		}
	})
	t.Run("wrong password and an email-shaped username", func(t *testing.T) {
		pupilLogin(env, t, pupils[0].Username, "wrong-words-here-now", http.StatusUnauthorized)
		pupilLogin(env, t, "someone@example.org", "x", http.StatusUnprocessableEntity)
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/auth/login",
			Body: map[string]any{"username": pupils[0].Username, "email": "a@example.org", "password": "x"}}, http.StatusUnprocessableEntity)
	})
	t.Run("a new password works and the old one no longer does", func(t *testing.T) {
		var r struct {
			Password string `json:"password"`
		}
		env.Expect(t, apptest.Request{Method: http.MethodPost, Token: trainer.Token,
			Path: "/v1/cohorts/" + h.ID + "/learners/" + pupils[0].UserID + "/password"}, http.StatusOK).JSON(t, &r)
		if !passwordShape.MatchString(r.Password) || r.Password == pupils[0].Password {
			t.Fatalf("new password %q", r.Password)
		}
		pupilLogin(env, t, pupils[0].Username, pupils[0].Password, http.StatusUnauthorized)
		pupilLogin(env, t, pupils[0].Username, r.Password, http.StatusOK)
		var open int
		mustGet(t, &open, `SELECT count(*) FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL`, pupils[0].UserID)
		if open != 1 {
			t.Fatalf("%d open sessions after the reset and one sign-in", open)
		}
	})
}

func TestPupilValidation(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	trainer := env.NewUser(t, "trainer")
	h := createCohort(t, env, trainer, course.Slug)
	path := "/v1/cohorts/" + h.ID + "/learners"
	year := time.Now().Year()
	many := make([]map[string]any, 61)
	for i := range many {
		many[i] = map[string]any{"name": "P", "gender": "male", "birth_year": year - 10}
	}
	for _, c := range []struct {
		name   string
		body   map[string]any
		fields []string
	}{
		{"every bad field is named", map[string]any{"consent": map[string]any{"basis": "parent"},
			"learners": []map[string]any{{"name": "", "gender": "boy", "birth_year": 1800}}},
			[]string{"consent.basis", "learners[0].name", "learners[0].gender", "learners[0].birth_year"}},
		{"no pupils", map[string]any{"consent": map[string]any{"basis": "school"}, "learners": []any{}}, []string{"learners"}},
		{"too many pupils at once", map[string]any{"consent": map[string]any{"basis": "school"}, "learners": many}, []string{"learners"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := env.Expect(t, apptest.Request{Method: http.MethodPost, Path: path, Token: trainer.Token, Body: c.body},
				http.StatusUnprocessableEntity).Map(t)
			got := map[string]bool{}
			for _, e := range m["errors"].([]any) {
				got[e.(map[string]any)["field"].(string)] = true
			}
			for _, f := range c.fields {
				if !got[f] {
					t.Errorf("field %s not named in %v", f, m["errors"])
				}
			}
		})
	}
	var n int
	mustGet(t, &n, `SELECT count(*) FROM pupil_consents WHERE cohort_id = $1`, h.ID)
	if n != 0 {
		t.Fatalf("%d pupil accounts written by invalid requests", n)
	}
}

func TestPupilsBelongToTheirCohortsManagers(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	owner, other := env.NewUser(t, "trainer"), env.NewUser(t, "trainer")
	admin, learner := env.NewUser(t, "admin"), env.NewUser(t)
	h := createCohort(t, env, owner, course.Slug)
	otherCohort := createCohort(t, env, other, course.Slug)
	p := createPupils(t, env, owner, h.ID, "Amina Otieno")[0]
	body := map[string]any{"consent": map[string]any{"basis": "school"},
		"learners": []map[string]any{{"name": "X", "gender": "male", "birth_year": time.Now().Year() - 9}}}
	base := "/v1/cohorts/" + h.ID
	for _, c := range []struct {
		name   string
		req    apptest.Request
		status int
	}{
		{"another trainer cannot add pupils", apptest.Request{Method: http.MethodPost, Path: base + "/learners", Token: other.Token, Body: body}, http.StatusNotFound},
		{"another trainer cannot print cards", apptest.Request{Method: http.MethodGet, Path: base + "/sign-in-cards", Token: other.Token}, http.StatusNotFound},
		{"another trainer cannot reset a password", apptest.Request{Method: http.MethodPost, Path: base + "/learners/" + p.UserID + "/password", Token: other.Token}, http.StatusNotFound},
		{"another trainer cannot issue a guardian code", apptest.Request{Method: http.MethodPost, Path: base + "/learners/" + p.UserID + "/guardian-code", Token: other.Token}, http.StatusNotFound},
		{"the pupil through another trainer's own cohort", apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/" + otherCohort.ID + "/learners/" + p.UserID + "/password", Token: other.Token}, http.StatusNotFound},
		{"a learner is forbidden", apptest.Request{Method: http.MethodPost, Path: base + "/learners", Token: learner.Token, Body: body}, http.StatusForbidden},
		{"anonymous", apptest.Request{Method: http.MethodGet, Path: base + "/sign-in-cards"}, http.StatusUnauthorized},
		{"a self-registered member is not a pupil", apptest.Request{Method: http.MethodPost, Path: base + "/learners/" + learner.ID + "/password", Token: owner.Token}, http.StatusNotFound},
		{"an admin may reset", apptest.Request{Method: http.MethodPost, Path: base + "/learners/" + p.UserID + "/password", Token: admin.Token}, http.StatusOK},
		{"a user id that is not a UUID", apptest.Request{Method: http.MethodPost, Path: base + "/learners/nope/password", Token: owner.Token}, http.StatusNotFound},
	} {
		t.Run(c.name, func(t *testing.T) { env.Expect(t, c.req, c.status) })
	}
}

func TestArchivedClassCannotSignIn(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	trainer := env.NewUser(t, "trainer")
	h := createCohort(t, env, trainer, course.Slug)
	p := createPupils(t, env, trainer, h.ID, "Amina Otieno")[0]
	var tok struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	pupilLogin(env, t, p.Username, p.Password, http.StatusOK).JSON(t, &tok)
	env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me", Token: tok.AccessToken}, http.StatusOK)
	env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/" + h.ID + "/archive", Token: trainer.Token}, http.StatusOK)

	// The access token issued before ends on the very next request.
	env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me", Token: tok.AccessToken}, http.StatusUnauthorized)

	pupilLogin(env, t, p.Username, p.Password, http.StatusForbidden)
	env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/auth/refresh", Body: map[string]any{"refresh_token": tok.RefreshToken}},
		http.StatusUnauthorized)
	if enrollments(t, p.UserID, course.ID) != 1 {
		t.Fatal("the pupil's enrollment went with the class")
	}
	env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts/" + h.ID + "/learners/" + p.UserID + "/password",
		Token: trainer.Token}, http.StatusNotFound)
}

func TestUsernameSignInIsRateLimited(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	trainer := env.NewUser(t, "trainer")
	h := createCohort(t, env, trainer, course.Slug)
	p := createPupils(t, env, trainer, h.ID, "Amina Otieno")[0]
	for i := 0; i < 10; i++ {
		pupilLogin(env, t, p.Username, "not-the-password", http.StatusUnauthorized)
	}
	resp := pupilLogin(env, t, p.Username, p.Password, http.StatusTooManyRequests)
	if resp.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}

func TestSignInCards(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	trainer := env.NewUser(t, "trainer")
	h := createCohort(t, env, trainer, course.Slug)
	// One name in every script the certificate PDF draws.
	names := []string{"Zoë Ñúñez", "Анна Кузнецова", "Ελένη Παπαδοπούλου", "فاطمة الزهراء", "王小明", "प्रिया शर्मा",
		"山田 さくら", "ნინო ბერიძე", "Արամ Խաչատրյան", "דוד כהן"}
	pupils := createPupils(t, env, trainer, h.ID, names...)
	resp := env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/cohorts/" + h.ID + "/sign-in-cards", Token: trainer.Token}, http.StatusOK)
	if resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(resp.Body), "%PDF-") {
		t.Fatalf("not a PDF: %q", resp.Header.Get("Content-Type"))
	}
	text := pdfText(t, resp.Body)
	flat := strings.Join(strings.Fields(text), "")
	for _, p := range pupils {
		if !strings.Contains(text, p.Username) {
			t.Errorf("username %s not on the cards", p.Username)
		}
		if strings.Contains(text, p.Password) {
			t.Errorf("a password is printed on the cards")
		}
	}
	if !strings.Contains(text, "http://cybercampus.test/app") {
		t.Errorf("sign-in address not on the cards: %q", text)
	}
	for _, n := range []string{"Zoë", "Анна", "Ελένη", "王小明", "शर्मा", "さくら", "ბერიძე", "Խաչատրյան"} {
		if !strings.Contains(flat, n) && !strings.Contains(text, n) {
			t.Errorf("name %q not drawn: %q", n, text)
		}
	}
	// Arabic is shaped into presentation forms and Hebrew laid out right to
	// left; their letters must be there.
	if !regexp.MustCompile(`[\x{0600}-\x{06FF}\x{FB50}-\x{FDFF}\x{FE70}-\x{FEFF}]{3,}`).MatchString(text) {
		t.Errorf("no Arabic drawn: %q", text)
	}
	if !regexp.MustCompile(`[\x{05D0}-\x{05EA}]{3}`).MatchString(text) {
		t.Errorf("no Hebrew drawn: %q", text)
	}
}

// pdfText extracts a PDF's text with pdftotext (poppler-utils), skipping when
// it is not installed.
func pdfText(t *testing.T, doc []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	in := filepath.Join(t.TempDir(), "cards.pdf")
	if err := os.WriteFile(in, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

func TestCohortEducationLevel(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	trainer := env.NewUser(t, "trainer")
	body := map[string]any{"name": "Year 5", "course": course.Slug, "country": "FR", "starts_on": "2026-03-01",
		"ends_on": "2026-05-31", "education_level": "primary"}
	var r struct {
		Cohort struct {
			ID             string  `json:"id"`
			EducationLevel *string `json:"education_level"`
		} `json:"cohort"`
	}
	env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts", Token: trainer.Token, Body: body}, http.StatusCreated).JSON(t, &r)
	if r.Cohort.EducationLevel == nil || *r.Cohort.EducationLevel != "primary" {
		t.Fatalf("cohort = %+v", r.Cohort)
	}
	p := createPupils(t, env, trainer, r.Cohort.ID, "Léa Martin")[0]
	var level, band string
	mustGet(t, &level, `SELECT education_level FROM enrollments WHERE user_id = $1`, p.UserID)
	mustGet(t, &band, `SELECT age_band FROM enrollments WHERE user_id = $1`, p.UserID)
	if level != "primary" || band != "under_15" {
		t.Fatalf("enrollment snapshot: level %q, band %q", level, band)
	}
	t.Run("an unknown level is a 422 naming it, on create and update", func(t *testing.T) {
		body["education_level"] = "kindergarten"
		m := env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts", Token: trainer.Token, Body: body},
			http.StatusUnprocessableEntity).Map(t)
		if !strings.Contains(fmt.Sprint(m["errors"]), "education_level") {
			t.Fatalf("errors %v", m["errors"])
		}
		env.Expect(t, apptest.Request{Method: http.MethodPatch, Path: "/v1/cohorts/" + r.Cohort.ID, Token: trainer.Token,
			Body: map[string]any{"education_level": "college"}}, http.StatusUnprocessableEntity)
		env.Expect(t, apptest.Request{Method: http.MethodPatch, Path: "/v1/cohorts/" + r.Cohort.ID, Token: trainer.Token,
			Body: map[string]any{"education_level": "secondary"}}, http.StatusOK)
	})
}

func TestPupilErasesOwnAccount(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	trainer := env.NewUser(t, "trainer")
	h := createCohort(t, env, trainer, course.Slug)
	p := createPupils(t, env, trainer, h.ID, "Amina Otieno")[0]
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	pupilLogin(env, t, p.Username, p.Password, http.StatusOK).JSON(t, &tok)
	env.Expect(t, apptest.Request{Method: http.MethodDelete, Path: "/v1/me", Token: tok.AccessToken,
		Body: map[string]any{"password": p.Password}}, http.StatusNoContent)
	var left int
	mustGet(t, &left, `SELECT count(*) FROM users WHERE id = $1 AND (username IS NOT NULL OR age_band IS NOT NULL OR erased_at IS NULL)`, p.UserID)
	if left != 0 || enrollments(t, p.UserID, course.ID) != 1 {
		t.Fatalf("after erasure: %d identifying rows, %d enrollments", left, enrollments(t, p.UserID, course.ID))
	}
}
