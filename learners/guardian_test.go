package learners_test

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/cybercampus/cybercampus/internal/apptest"
)

type guardianCodeView struct {
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expires_at"`
}

func guardianCode(tb testing.TB, env *apptest.Env, trainer apptest.User, cohortID, pupilID string) guardianCodeView {
	tb.Helper()
	var gc guardianCodeView
	env.Expect(tb, apptest.Request{Method: http.MethodPost, Token: trainer.Token,
		Path: "/v1/cohorts/" + cohortID + "/learners/" + pupilID + "/guardian-code"}, http.StatusCreated).JSON(tb, &gc)
	return gc
}

func linkChild(tb testing.TB, env *apptest.Env, u apptest.User, code string, want int) apptest.Response {
	tb.Helper()
	return env.Expect(tb, apptest.Request{Method: http.MethodPost, Path: "/v1/me/children", Token: u.Token,
		Body: map[string]any{"code": code}}, want)
}

type childrenPage struct {
	Items []struct {
		UserID      string `json:"user_id"`
		Name        string `json:"name"`
		Username    string `json:"username"`
		Active      bool   `json:"active"`
		Enrollments []struct {
			Course struct {
				Slug string `json:"slug"`
			} `json:"course"`
			ProgressPercent int `json:"progress_percent"`
		} `json:"enrollments"`
		Certificates []any `json:"certificates"`
	} `json:"items"`
}

var guardianCodeShape = regexp.MustCompile(`^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{10}$`)

func TestGuardians(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 2})
	trainer := env.NewUser(t, "trainer")
	h := createCohort(t, env, trainer, course.Slug)
	pupils := createPupils(t, env, trainer, h.ID, "Amina Otieno", "Baraka Mwangi")
	parent, stranger := env.NewUser(t), env.NewUser(t)

	gc := guardianCode(t, env, trainer, h.ID, pupils[0].UserID)
	t.Run("a code is one-time, expiring and hashed at rest", func(t *testing.T) {
		if !guardianCodeShape.MatchString(gc.Code) || time.Until(gc.ExpiresAt) > 7*24*time.Hour+time.Minute || time.Until(gc.ExpiresAt) < 6*24*time.Hour {
			t.Fatalf("code %+v", gc)
		}
		var n int
		mustGet(t, &n, `SELECT count(*) FROM guardian_codes WHERE code_hash = sha256(convert_to($1, 'UTF8'))`, gc.Code)
		if n != 1 {
			t.Fatalf("%d codes stored as the SHA-256 of the code", n)
		}
	})
	t.Run("a parent links with the code and sees the child's progress", func(t *testing.T) {
		var page childrenPage
		linkChild(t, env, parent, gc.Code[:5]+"-"+gc.Code[5:], http.StatusOK).JSON(t, &page)
		if len(page.Items) != 1 || page.Items[0].UserID != pupils[0].UserID || !page.Items[0].Active ||
			len(page.Items[0].Enrollments) != 1 || page.Items[0].Enrollments[0].Course.Slug != course.Slug || page.Items[0].Certificates == nil {
			t.Fatalf("children = %+v", page)
		}
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me/children", Token: parent.Token}, http.StatusOK).JSON(t, &page)
		if len(page.Items) != 1 {
			t.Fatalf("list = %+v", page)
		}
	})
	t.Run("the same parent using the code again changes nothing", func(t *testing.T) {
		linkChild(t, env, parent, gc.Code, http.StatusOK)
	})
	t.Run("a reused code is a 409", func(t *testing.T) {
		linkChild(t, env, stranger, gc.Code, http.StatusConflict)
		var page childrenPage
		env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me/children", Token: stranger.Token}, http.StatusOK).JSON(t, &page)
		if len(page.Items) != 0 {
			t.Fatalf("a stranger sees %+v", page)
		}
	})
	t.Run("an expired code is a 404", func(t *testing.T) {
		late := guardianCode(t, env, trainer, h.ID, pupils[1].UserID)
		mustExec(t, `UPDATE guardian_codes SET created_at = now() - interval '8 days', expires_at = now() - interval '1 day'
			WHERE pupil_id = $1 AND used_at IS NULL`, pupils[1].UserID)
		linkChild(t, env, stranger, late.Code, http.StatusNotFound)
	})
	t.Run("unknown, malformed and empty codes", func(t *testing.T) {
		linkChild(t, env, stranger, "ABCDEFGHJK", http.StatusNotFound)
		linkChild(t, env, stranger, "short", http.StatusNotFound)
		linkChild(t, env, stranger, "", http.StatusUnprocessableEntity)
	})
	t.Run("a pupil cannot become a guardian", func(t *testing.T) {
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		pupilLogin(env, t, pupils[1].Username, pupils[1].Password, http.StatusOK).JSON(t, &tok)
		code := guardianCode(t, env, trainer, h.ID, pupils[0].UserID)
		env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/me/children", Token: tok.AccessToken,
			Body: map[string]any{"code": code.Code}}, http.StatusForbidden)
	})
	t.Run("withdrawing consent for someone else's child is a 404", func(t *testing.T) {
		env.Expect(t, apptest.Request{Method: http.MethodDelete, Path: "/v1/me/children/" + pupils[0].UserID, Token: stranger.Token},
			http.StatusNotFound)
	})
	t.Run("guessing codes is rate limited", func(t *testing.T) {
		guesser := env.NewUser(t)
		for i := 0; i < 10; i++ {
			linkChild(t, env, guesser, "ABCDEFGHJK", http.StatusNotFound)
		}
		if linkChild(t, env, guesser, "ABCDEFGHJK", http.StatusTooManyRequests).Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	})
}

func TestGuardianWithdrawsConsent(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	trainer := env.NewUser(t, "trainer")
	h := createCohort(t, env, trainer, course.Slug)
	p := createPupils(t, env, trainer, h.ID, "Amina Otieno")[0]
	parent := env.NewUser(t)
	linkChild(t, env, parent, guardianCode(t, env, trainer, h.ID, p.UserID).Code, http.StatusOK)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	pupilLogin(env, t, p.Username, p.Password, http.StatusOK).JSON(t, &tok)

	env.Expect(t, apptest.Request{Method: http.MethodDelete, Path: "/v1/me/children/" + p.UserID, Token: parent.Token}, http.StatusNoContent)

	env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me", Token: tok.AccessToken}, http.StatusUnauthorized)
	var erased bool
	mustGet(t, &erased, `SELECT erased_at IS NOT NULL AND email IS NULL AND name = '' AND age_band IS NULL FROM users WHERE id = $1`, p.UserID)
	if !erased {
		t.Fatal("the pupil's account was not erased as the account erasure does")
	}

	pupilLogin(env, t, p.Username, p.Password, http.StatusUnauthorized) // the username itself is gone
	var row struct {
		Name     string  `db:"name"`
		Username *string `db:"username"`
		Disabled bool    `db:"disabled"`
		Withdraw bool    `db:"withdrawn"`
		Sessions int     `db:"sessions"`
		Links    int     `db:"links"`
	}
	mustGet(t, &row, `SELECT u.name, u.username, u.sign_in_disabled_at IS NOT NULL AS disabled,
			(SELECT withdrawn_at IS NOT NULL AND withdrawn_by = $2 FROM pupil_consents WHERE user_id = u.id) AS withdrawn,
			(SELECT count(*) FROM refresh_tokens WHERE user_id = u.id AND revoked_at IS NULL) AS sessions,
			(SELECT count(*) FROM guardianships WHERE pupil_id = u.id) AS links
		FROM users u WHERE u.id = $1`, p.UserID, parent.ID)
	if row.Name == "Amina Otieno" || row.Username != nil || !row.Disabled || !row.Withdraw || row.Sessions != 0 || row.Links != 0 {
		t.Fatalf("after withdrawal: %+v", row)
	}
	if enrollments(t, p.UserID, course.ID) != 1 {
		t.Fatal("the anonymous enrollment (statistics) went too")
	}
	env.Expect(t, apptest.Request{Method: http.MethodDelete, Path: "/v1/me/children/" + p.UserID, Token: parent.Token}, http.StatusNotFound)
	var page childrenPage
	env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/me/children", Token: parent.Token}, http.StatusOK).JSON(t, &page)
	if len(page.Items) != 0 {
		t.Fatalf("the withdrawn child is still listed: %+v", page)
	}
	env.Expect(t, apptest.Request{Method: http.MethodGet, Path: "/v1/cohorts/" + h.ID + "/progress", Token: trainer.Token}, http.StatusOK)
}
