package webapp

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cybercampus/cybercampus/internal/apptest"
)

// TestAccountScreens: the consent-age refusal at sign-up, then a learner who
// verifies the address from the emailed link, changes the password, downloads
// their data, signs out everywhere, resets a forgotten password from the
// emailed link, and erases the account.
func TestAccountScreens(t *testing.T) {
	w := newWorld(t, "account")
	w.startApp()

	w.run(t, "a child too young to sign up alone is told to ask a teacher or parent", func(t *testing.T) {
		w.open("#/signup", "Sign up")
		young := "young-" + fmt.Sprint(time.Now().UnixNano()) + "@example.org"
		for name, v := range map[string]string{"name": "Kim Kid", "email": young, "password": password,
			"birth_year": fmt.Sprint(time.Now().Year() - 9), "gender": "undisclosed", "country": "KE", "audience": "youth"} {
			w.fill(name, v)
		}
		w.submitForm("email")
		w.waitText("ask a teacher or a parent")
		w.waitFor("the year named", `document.querySelector('main [name=birth_year]').getAttribute('aria-invalid') === 'true' &&
			document.getElementById('f-birth_year-error').textContent.includes('too young')`)
		w.check("signup-too-young")
		if n := w.count(t, `SELECT count(*) FROM users WHERE email = $1`, young); n != 0 {
			t.Fatalf("%d accounts made for a child too young", n)
		}
	})

	email := "acc-" + fmt.Sprint(time.Now().UnixNano()) + "@example.org"
	w.run(t, "sign up, then verify the address from the emailed link (sent again from the account)", func(t *testing.T) {
		for name, v := range map[string]string{"name": "Amal Account", "email": email, "password": password, "birth_year": "1990",
			"gender": "female", "country": "JO", "audience": "professional"} {
			w.fill(name, v)
		}
		w.submitForm("email")
		w.waitFor("my learning", `location.hash === '#/learning' && document.querySelector('main h1').textContent.includes('My learning')`)
		w.emailedLink(email, 1)
		w.open("#/account", "Account")
		w.waitText("is not verified yet")
		w.check("account-unverified")
		w.click("Send the link again")
		w.waitText("We sent you a new verification link.")
		link := w.emailedLink(email, 2)
		if !strings.HasPrefix(link, "/verify-email?token=") {
			t.Fatalf("link %s", link)
		}
		w.do(chromedp.Navigate(w.base + link))
		w.waitFor("the verify page", `document.body.dataset.ready === 'true' && location.hash === '#/verify'`)
		w.waitText("Your email address is verified.")
		w.check("verified")
		if n := w.count(t, `SELECT count(*) FROM users WHERE email = $1 AND email_verified_at IS NOT NULL`, email); n != 1 {
			t.Fatal("the address is not verified on the server")
		}
		w.open("#/account", "Account")
		if strings.Contains(w.text(), "is not verified yet") {
			t.Fatal("the account still says the address is not confirmed")
		}
	})

	const newPassword = "a much longer new passphrase"
	w.run(t, "change the password: a wrong current one is named, the right one works", func(t *testing.T) {
		w.fill("current_password", "not my password at all")
		w.fill("new_password", newPassword)
		w.submitForm("new_password")
		w.waitFor("the refusal", `document.querySelector('main .form-summary').textContent.length > 0`)
		w.check("password-refused")
		w.fill("current_password", password)
		w.fill("new_password", newPassword)
		w.submitForm("new_password")
		w.waitText("Your password has been changed.")
		w.check("password-changed")
		w.env.Expect(t, apptest.Request{Method: "POST", Path: "/v1/auth/login", Body: map[string]string{"email": email, "password": password}}, 401)
	})

	w.run(t, "download my data: the file holds the account's records", func(t *testing.T) {
		w.catchDownloads()
		w.click("Download my data")
		w.waitText("Downloaded: cybercampus-my-data.json")
		if got := w.lastDownload(); !strings.Contains(got, email) || !strings.Contains(got, "Amal Account") {
			t.Fatalf("the export does not hold the account: %.300s", got)
		}
		w.check("exported")
	})

	w.run(t, "sign out everywhere ends the other devices' sessions too", func(t *testing.T) {
		other := w.login(email, newPassword)
		w.open("#/account", "Account")
		w.click("Sign out everywhere")
		w.waitFor("signed out", `document.querySelector('main h1') && document.querySelector('main h1').textContent.includes('Welcome')`)
		w.env.Expect(t, apptest.Request{Method: "POST", Path: "/v1/auth/refresh", Body: map[string]string{"refresh_token": other}}, 401)
	})

	const resetPassword = "reset from the emailed link"
	w.run(t, "a forgotten password is reset from the emailed link", func(t *testing.T) {
		w.open("#/signin", "Sign in")
		w.click("Forgotten password?")
		w.waitFor("the forgot screen", `document.querySelector('main h1').textContent.includes('Forgotten password')`)
		w.fill("email", email)
		w.submitForm("email")
		w.waitText("If an account uses this address")
		w.check("forgot-sent")
		link := w.emailedLink(email, 3)
		if !strings.HasPrefix(link, "/reset-password?token=") {
			t.Fatalf("link %s", link)
		}
		w.do(chromedp.Navigate(w.base + link))
		w.waitFor("the reset page", `document.body.dataset.ready === 'true' && location.hash === '#/reset' && document.querySelector('main [name=password]')`)
		w.fill("password", "short")
		w.submitForm("password")
		w.waitFor("the short password named", `document.querySelector('main [name=password]').getAttribute('aria-invalid') === 'true'`)
		w.check("reset-refused")
		w.fill("password", resetPassword)
		w.submitForm("password")
		w.waitText("Your new password is set.")
		w.check("reset-done")
		w.do(chromedp.Navigate(w.base + "/app#/signin"))
		w.waitFor("the app", `document.body.dataset.ready === 'true'`)
		w.signIn(email, resetPassword)
	})

	w.run(t, "erase the account: a wrong password keeps it, the right one erases it", func(t *testing.T) {
		w.open("#/account", "Account")
		w.catchDownloads() // and says yes to the confirmation
		w.fill("erase_password", "not my password at all")
		w.submitForm("erase_password")
		w.waitFor("the refusal", `document.querySelector('[name=erase_password]').form.querySelector('.form-summary').textContent.length > 0`)
		w.fill("erase_password", resetPassword)
		w.submitForm("erase_password")
		w.waitFor("erased", `document.querySelector('main h1').textContent.includes('Your account has been erased')`)
		w.check("erased")
		if n := w.count(t, `SELECT count(*) FROM users WHERE email = $1`, email); n != 0 {
			t.Fatal("the address is still on the server")
		}
		var session string
		w.eval(`localStorage.getItem('cc.access') || ''`, &session)
		if session != "" {
			t.Fatal("the device kept the erased account's session")
		}
		w.env.Expect(t, apptest.Request{Method: "POST", Path: "/v1/auth/login", Body: map[string]string{"email": email, "password": resetPassword}}, 401)
	})
}
