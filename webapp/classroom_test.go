package webapp

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/apptest"
)

// TestClassroom: a trainer makes pupils' accounts (no email), prints their
// sign-in cards, makes a join code and a code for a pupil's guardian; an
// invited learner accepts, another declines and then joins by the code; the
// pupil signs in by username from the card's link; the guardian links the
// pupil (in Arabic too), follows their progress and withdraws consent.
func TestClassroom(t *testing.T) {
	w := newWorld(t, "classroom")
	trainerID, trainerEmail := w.newAccount("Tariq Trainer", password, cc.RoleLearner, cc.RoleTrainer)
	_, accepter := w.newAccount("Ana Accepts", password, cc.RoleLearner)
	declinerID, decliner := w.newAccount("Dev Declines", password, cc.RoleLearner)
	_, guardian := w.newAccount("Gita Guardian", password, cc.RoleLearner)
	tok := w.token(trainerID, cc.RoleLearner, cc.RoleTrainer)
	var made struct {
		ID     string
		Cohort struct{ ID string }
	}
	w.env.Expect(t, apptest.Request{Method: "POST", Path: "/v1/cohorts", Token: tok, Body: map[string]any{"name": "Amman primary 5B", "course": w.slug,
		"country": "JO", "starts_on": time.Now().Format("2006-01-02"), "ends_on": time.Now().AddDate(0, 1, 0).Format("2006-01-02"),
		"education_level": "primary"}}, 201).JSON(t, &made)
	cohortID := made.Cohort.ID
	if cohortID == "" {
		cohortID = made.ID
	}
	w.env.Expect(t, apptest.Request{Method: "POST", Path: "/v1/cohorts/" + cohortID + "/members", Token: tok,
		Body: map[string]any{"emails": []string{accepter, decliner}}}, 200)

	w.startApp()
	w.signIn(trainerEmail, password)
	w.open("#/trainer/cohort/"+cohortID, "Amman primary 5B")
	w.catchDownloads()

	var username, pupilPassword string
	w.run(t, "pupils' accounts: made with their consent basis, passwords shown once", func(t *testing.T) {
		w.fill("basis", "school")
		w.fill("note", "Signed forms kept by the head teacher, 2 March")
		w.fill("pupils", "Pat Pupil, female, 2015")
		w.submitForm("pupils")
		w.waitText("Accounts created.")
		var row []string
		w.eval(`[...document.querySelector('section[aria-labelledby=pupils-h] tbody tr').children].map(c => c.textContent)`, &row)
		if len(row) != 3 || row[0] != "Pat Pupil" || row[1] == "" || len(row[2]) < 8 {
			t.Fatalf("pupil row %q", row)
		}
		username, pupilPassword = row[1], row[2]
		w.check("pupils-made")
	})

	w.run(t, "sign-in cards download as a PDF", func(t *testing.T) {
		w.click("Print sign-in cards")
		w.waitText("Downloaded: sign-in-cards-" + cohortID + ".pdf")
		if got := w.lastDownload(); !strings.HasPrefix(got, "%PDF-") {
			t.Fatalf("the cards are not a PDF: %.40q", got)
		}
	})

	var joinCode, guardianCode string
	w.run(t, "a join code, a code for the pupil's guardian, and a new password for the pupil", func(t *testing.T) {
		w.click("Make a join code")
		w.waitFor("the code", `document.querySelector('main p.code')`)
		w.eval(`document.querySelector('main p.code').textContent`, &joinCode)
		w.open("#/trainer", "My cohorts")
		w.open("#/trainer/cohort/"+cohortID, "Amman primary 5B")
		w.waitFor("the pupil's row", `[...document.querySelectorAll('main tbody tr th')].some(th => th.textContent === 'Pat Pupil')`)
		w.click("Code for a guardian")
		w.waitText("Code for Pat Pupil's parent or guardian:")
		m := regexp.MustCompile(`guardian: (\S+) \(`).FindStringSubmatch(w.text())
		if m == nil {
			t.Fatalf("no guardian code on the page: %s", w.text())
		}
		guardianCode = m[1]
		w.check("guardian-code")
		w.click("New password")
		w.waitText("New password for Pat Pupil: ")
		m = regexp.MustCompile(`New password for Pat Pupil: (\S+)`).FindStringSubmatch(w.text())
		if m == nil || m[1] == pupilPassword {
			t.Fatalf("no new password on the page: %s", w.text())
		}
		pupilPassword = m[1]
		w.signOut()
	})

	w.run(t, "an invitation accepted", func(t *testing.T) {
		w.signIn(accepter, password)
		w.open("#/invitations", "Invitations")
		w.waitText("Amman primary 5B")
		w.waitText("Trainer: Tariq Trainer")
		w.check("invitations")
		w.click("Accept")
		w.waitText("You joined Amman primary 5B.")
		w.check("invitation-accepted")
		w.open("#/learning", "My learning")
		w.waitText("Spot the phish")
		w.signOut()
	})

	w.run(t, "an invitation declined, then the cohort joined by its code", func(t *testing.T) {
		w.signIn(decliner, password)
		w.open("#/invitations", "Invitations")
		w.waitText("Amman primary 5B")
		w.click("Decline")
		w.waitText("You declined the invitation to Amman primary 5B.")
		if n := w.count(t, `SELECT count(*) FROM cohort_members WHERE user_id = $1`, declinerID); n != 0 {
			t.Fatalf("a declined invitation made %d memberships", n)
		}
		w.fill("code", "WRONG-CODE")
		w.submitForm("code")
		w.waitFor("the refusal", `document.querySelector('main .form-summary').textContent.length > 0`)
		w.check("join-refused")
		w.fill("code", strings.ToLower(joinCode))
		w.submitForm("code")
		w.waitText("You joined Amman primary 5B.")
		w.check("joined-by-code")
		if n := w.count(t, `SELECT count(*) FROM cohort_members WHERE user_id = $1`, declinerID); n != 1 {
			t.Fatalf("%d memberships after joining by code, want 1", n)
		}
		w.signOut()
	})

	w.run(t, "the pupil signs in by username from the card's link", func(t *testing.T) {
		w.do(chromedp.Navigate(w.base + "/app?username=" + username))
		w.waitFor("the sign-in screen", `document.body.dataset.ready === 'true' && location.hash === '#/signin'`)
		var prefilled string
		w.eval(`document.querySelector('main [name=login]').value`, &prefilled)
		if prefilled != username {
			t.Fatalf("login field %q, want the card's username %q", prefilled, username)
		}
		w.check("pupil-signin")
		w.fill("password", pupilPassword)
		w.submitForm("password")
		w.waitFor("my learning", `location.hash === '#/learning' && document.querySelector('main h1').textContent.includes('My learning')`)
		w.waitText("Spot the phish")
		w.open("#/course/"+w.slug, "Spot the phish")
		w.click("Warning signs")
		w.waitFor("the lesson", `document.querySelector('main h1').textContent === 'Warning signs'`)
		w.click("Mark as complete")
		w.waitFor("synced", `document.getElementById('status').textContent.includes('Synced')`)
		w.signOut()
	})

	w.run(t, "the guardian links the pupil, follows the progress in Arabic, and withdraws consent", func(t *testing.T) {
		w.signIn(guardian, password)
		w.open("#/account", "Account")
		w.click("Follow their progress")
		w.waitFor("the guardians' screen", `document.querySelector('main h1').textContent === 'Parents and guardians'`)
		w.waitText("No pupil is linked to your account.")
		w.check("children-none")
		w.fill("code", "ABCDEFGHJK")
		w.submitForm("code")
		w.waitFor("the refusal", `document.querySelector('main .form-summary').textContent.includes('No pupil has this code')`)
		w.fill("code", strings.ToLower(guardianCode[:5])+" "+guardianCode[5:])
		w.submitForm("code")
		w.waitFor("the pupil", `[...document.querySelectorAll('main h2')].some(h => h.textContent === 'Pat Pupil')`)
		w.waitText("Spot the phish")
		w.waitFor("progress made", `document.querySelector('main progress') && Number(document.querySelector('main progress').value) > 0`)
		w.check("children")
		w.language("ar", "rtl")
		w.waitFor("the screen in Arabic", `document.querySelector('main h1').textContent === 'الآباء والأوصياء'`)
		w.check("children-ar")
		w.language("en", "ltr")
		w.waitFor("the screen in English", `document.querySelector('main h1').textContent === 'Parents and guardians'`)
		var pupilID string
		if err := testDB.Get(&pupilID, `SELECT id FROM users WHERE username = $1`, username); err != nil {
			t.Fatal(err)
		}
		w.catchDownloads() // says yes to the confirmation
		w.click("Withdraw consent")
		w.waitText("Consent withdrawn: Pat Pupil's account is closed")
		w.check("consent-withdrawn")
		if n := w.count(t, `SELECT count(*) FROM users WHERE id = $1 AND sign_in_disabled_at IS NOT NULL`, pupilID); n != 1 {
			t.Fatal("the pupil can still sign in")
		}
		w.env.Expect(t, apptest.Request{Method: "POST", Path: "/v1/auth/login", Body: map[string]string{"username": username, "password": pupilPassword}}, 401)
	})
}
