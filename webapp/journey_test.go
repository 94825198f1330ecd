package webapp

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/apptest"
)

const password = "correct horse battery staple"

// completedLessons counts a user's lessons completed on the server.
const completedLessons = `SELECT count(*) FROM lesson_completions lc JOIN enrollments e ON e.id = lc.enrollment_id WHERE e.user_id = $1`

// TestLearnerJourney follows a learner from sign-up to certificate, with a
// period offline in the middle: lessons read from the saved course, lessons
// completed and a quiz answered on the device, all sent when the connection
// returns, and then the certificate appears.
func TestLearnerJourney(t *testing.T) {
	w := newWorld(t, "learner")
	w.do(chromedp.Navigate(w.base + "/app"))
	w.waitFor("the app to start", `document.body.dataset.ready === 'true'`)
	w.waitFor("the service worker", `navigator.serviceWorker.ready.then(() => true)`)
	w.check("home")

	w.run(t, "sign-up names every missing field", func(t *testing.T) {
		w.open("#/signup", "Sign up")
		w.check("signup")
		w.eval(`document.querySelector('main form button[type=submit]').click(); true`, nil)
		w.waitFor("field errors", `document.querySelectorAll('main [aria-invalid=true]').length >= 5`)
		w.waitFor("the summary", `document.querySelector('.form-summary').textContent.length > 0`)
		w.check("signup-errors")
	})
	email := "learner-" + fmt.Sprint(time.Now().UnixNano()) + "@example.org"
	w.run(t, "sign up and land in my learning", func(t *testing.T) {
		for name, v := range map[string]string{"name": "Lina Learner", "email": email, "password": password, "birth_year": "1998",
			"gender": "female", "country": "KE", "audience": "youth", "organization": ""} {
			w.fill(name, v)
		}
		w.eval(`document.querySelector('main form button[type=submit]').click(); true`, nil)
		w.waitFor("my learning", `location.hash === '#/learning' && document.querySelector('main h1').textContent.includes('My learning')`)
		w.waitText("You are not enrolled in a course yet.")
		w.check("learning-empty")
	})
	var userID string
	if err := testDB.Get(&userID, `SELECT id FROM users WHERE email = $1`, email); err != nil {
		t.Fatal(err)
	}

	w.run(t, "search and filter the catalogue, enrol, course saved on the device", func(t *testing.T) {
		w.open("#/catalogue", "Catalogue")
		w.fill("q", "phish")
		w.fill("level", "beginner")
		w.eval(`document.querySelector('main form.filters [name=accessibility][value=captions]').click(); true`, nil)
		w.eval(`document.querySelector('main form.filters [name=accessibility][value=captions]').click(); true`, nil) // on, then off again
		w.eval(`document.querySelector('main form.filters button[type=submit]').click(); true`, nil)
		link := courseLink(w.slug)
		w.waitFor("filtered results", `location.hash.includes('q=phish') && location.hash.includes('level=beginner') && `+link)
		w.check("catalogue")
		w.eval(link+`.click(); true`, nil)
		w.waitFor("the course", `document.querySelector('main h1').textContent === 'Spot the phish'`)
		w.click("Enrol")
		w.waitText("Saved on this device")
		w.check("course")
	})

	w.run(t, "a lesson's Markdown is rendered and cannot run script", func(t *testing.T) {
		w.click("What phishing is")
		w.waitFor("the lesson", `document.querySelector('main h1').textContent === 'What phishing is'`)
		var r struct {
			Pwned                      any
			Scripts, Handlers, JSLinks int
			Strong, Items, SafeLinks   int
			ShowsTag                   bool
		}
		w.eval(`(() => { const p = document.querySelector('.prose'); return {
			pwned: window.__pwned ?? null, scripts: p.querySelectorAll('script, iframe, object').length,
			handlers: [...p.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
			jsLinks: [...p.querySelectorAll('a')].filter(a => !/^https?:/.test(a.getAttribute('href'))).length,
			strong: p.querySelectorAll('strong').length, items: p.querySelectorAll('li').length,
			safeLinks: p.querySelectorAll('a[href="https://example.org/guide"][rel~=noopener]').length,
			showsTag: p.textContent.includes('<script>') } })()`, &r)
		if r.Pwned != nil || r.Scripts != 0 || r.Handlers != 0 || r.JSLinks != 0 {
			t.Fatalf("lesson Markdown injected something: %+v", r)
		}
		if r.Strong != 1 || r.Items != 2 || r.SafeLinks != 1 || !r.ShowsTag {
			t.Fatalf("lesson Markdown not rendered as expected: %+v", r)
		}
		w.check("lesson")
		w.click("Mark as complete")
		w.waitFor("the event synced", `document.getElementById('status').textContent.includes('Synced')`)
		if n := w.count(t, completedLessons, userID); n != 1 {
			t.Fatalf("%d lessons completed on the server, want 1", n)
		}
	})

	w.run(t, "the Markdown renderer never turns text into markup", func(t *testing.T) {
		var bad []string
		w.eval(`import('/app/lib.js').then(({ markdown }) => {
			const cases = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '[x](javascript:alert(1))', '[x](JaVaScRiPt:alert(1))',
				'[x]( javascript:alert(1))', '[x](data:text/html,<script>alert(1)</script>)', '[x](vbscript:msgbox(1))', '[x](//evil.example/)',
				'![a](javascript:alert(1))', '**<b onmouseover=alert(1)>bold</b>**', '*[x](javascript:alert(1))*', '> <iframe src=//evil>',
				'- <svg onload=alert(1)>', '# <a href="javascript:alert(1)">h</a>', '`+"`"+`<script>`+"`"+`', '[`+"`"+`x`+"`"+`](https://ok.example/)'];
			const out = [];
			for (const c of cases) {
				const box = document.createElement('div');
				box.append(markdown(c));
				const els = [...box.querySelectorAll('*')];
				if (box.querySelector('script, iframe, img, svg, object, embed, b, form')) out.push(c + ': element');
				if (els.some(e => [...e.attributes].some(a => a.name.startsWith('on')))) out.push(c + ': handler');
				if ([...box.querySelectorAll('a')].some(a => !/^(https?:|mailto:|\/[^/]|#)/i.test(a.getAttribute('href')))) out.push(c + ': link');
			}
			return out;
		})`, &bad)
		if len(bad) > 0 {
			t.Fatalf("the renderer made markup: %v", bad)
		}
	})

	w.run(t, "offline: the app opens, lessons read and completed, quiz answered, all kept on the device", func(t *testing.T) {
		w.offline(true)
		w.waitFor("the page to know it is offline", `!navigator.onLine`)
		w.do(chromedp.Reload())
		w.waitFor("the app from the service worker", `document.body.dataset.ready === 'true'`)
		w.open("#/course/"+w.slug, "Spot the phish")
		w.click("Warning signs")
		w.waitFor("the second lesson", `document.querySelector('main h1').textContent === 'Warning signs'`)
		w.click("Mark as complete")
		w.waitText("Saved on this device; it will sync when you are back online.")
		w.waitFor("the pending state", `document.getElementById('status').textContent.includes('1 changes saved on this device')`)
		w.check("offline-lesson")
		w.click("Take the quiz: Phishing check")
		w.waitFor("the quiz", `document.querySelector('main h1').textContent === 'Phishing check'`)
		w.eval(`[...document.querySelectorAll('main label.option')].find(l => l.textContent.includes('Refuse and report it')).querySelector('input').click(); true`, nil)
		w.eval(`document.querySelector('main form button[type=submit]').click(); true`, nil)
		w.waitText("Your answers are saved on this device.")
		w.open("#/course/"+w.slug, "Spot the phish")
		w.click("Reporting")
		w.waitFor("the third lesson", `document.querySelector('main h1').textContent === 'Reporting'`)
		w.click("Mark as complete")
		w.waitFor("three changes waiting", `document.getElementById('status').textContent.includes('3 changes saved on this device')`)
		w.open("#/learning", "My learning")
		w.waitText("Saved on this device: readable offline")
		w.check("offline-learning")
		if n := w.count(t, completedLessons, userID); n != 1 {
			t.Fatalf("%d lessons completed on the server while offline, want still 1", n)
		}
		if n := w.count(t, `SELECT count(*) FROM quiz_attempts WHERE user_id = $1`, userID); n != 0 {
			t.Fatalf("%d quiz attempts reached the server while offline", n)
		}
	})

	w.run(t, "back online: everything syncs once, then the certificate appears", func(t *testing.T) {
		w.open("#/certificates", "You are offline")
		w.offline(false)
		w.waitFor("the sync", `document.getElementById('status').textContent.includes('Synced')`)
		// The screen that needed a connection loads by itself once it is back.
		w.waitFor("the certificates screen", `document.querySelector('main h1').textContent === 'Certificates'`)
		if n := w.count(t, completedLessons, userID); n != 3 {
			t.Fatalf("%d lessons completed on the server, want 3", n)
		}
		if n := w.count(t, `SELECT count(*) FROM quiz_attempts WHERE user_id = $1 AND passed`, userID); n != 1 {
			t.Fatalf("%d passed attempts, want 1", n)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			w.open("#/certificates", "Certificates")
			if strings.Contains(w.text(), "Spot the phish") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no certificate; page: %s", w.text())
			}
			w.open("#/learning", "My learning")
			time.Sleep(300 * time.Millisecond)
		}
		w.waitFor("the verify link", `document.querySelector('main a[href*="/v1/certificates/"]')`)
		w.click("Download PDF")
		w.waitText("The certificate was downloaded.")
		w.check("certificates")
		w.open("#/learning", "My learning")
		w.waitText("100%")
		w.check("learning-done")
	})

	w.run(t, "a quiz answered online is graded at once, with the review", func(t *testing.T) {
		w.open("#/course/"+w.slug, "Spot the phish")
		w.waitFor("the passed quiz", `[...document.querySelectorAll('main .quiz-link .badge')].some(b => b.textContent === 'Passed')`)
		w.click("Take the quiz: Phishing check")
		w.waitFor("the quiz", `document.querySelector('main h1').textContent === 'Phishing check'`)
		w.eval(`document.querySelector('main form button[type=submit]').click(); true`, nil)
		w.waitText("Answer every question before you submit.")
		w.eval(`[...document.querySelectorAll('main label.option')].find(l => l.textContent.includes('Send the code')).querySelector('input').click(); true`, nil)
		w.eval(`document.querySelector('main form button[type=submit]').click(); true`, nil)
		w.waitText("Score 0%: not passed yet. Attempts left: 1.")
		w.waitText("Not right.")
		w.check("quiz-graded")
	})

	w.run(t, "the certificate's notification, marked as read", func(t *testing.T) {
		w.open("#/notifications", "Notifications")
		w.waitText("Your certificate for Spot the phish")
		w.check("notifications")
		w.click("Mark as read")
		w.waitFor("read", `[...document.querySelectorAll('main .meta')].some(m => m.textContent === 'Read')`)
		if n := w.count(t, `SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NOT NULL`, userID); n != 1 {
			t.Fatalf("%d notifications read on the server, want 1", n)
		}
	})

	w.run(t, "the other learner screens", func(t *testing.T) {
		for _, s := range []struct{ hash, heading string }{
			{"#/invitations", "Invitations"}, {"#/account", "Account"},
			{"#/forgot", "Forgotten password"}, {"#/verify", "Verify your email address"}, {"#/reset", "Choose a new password"},
		} {
			w.open(s.hash, s.heading)
			w.check(strings.TrimPrefix(s.hash, "#/"))
		}
	})

	w.run(t, "emailed links land on their pages with the token", func(t *testing.T) {
		w.do(chromedp.Navigate(w.base + "/app/reset-password?token=not-a-real-token"))
		w.waitFor("the reset page", `document.body.dataset.ready === 'true' && location.hash === '#/reset' && document.querySelector('main [name=password]')`)
		w.check("reset-link")
		w.do(chromedp.Navigate(w.base + "/app/verify-email?token=not-a-real-token"))
		w.waitFor("the verify page", `document.body.dataset.ready === 'true' && location.hash === '#/verify'`)
		w.waitText("This link has expired or was already used.")
		w.check("verify-link")
		w.do(chromedp.Navigate(w.base + "/app#/learning"))
		w.waitFor("the app", `document.body.dataset.ready === 'true'`)
	})

	w.run(t, "Arabic, right to left, at 320 px", func(t *testing.T) {
		w.do(chromedp.EmulateViewport(320, 640))
		w.open("#/learning", "My learning")
		w.eval(`(() => { const s = document.getElementById('lang'); s.value = 'ar'; s.dispatchEvent(new Event('change')); return true })()`, nil)
		w.waitFor("Arabic", `document.documentElement.dir === 'rtl' && document.documentElement.lang === 'ar' && document.querySelector('main h1').textContent === 'تعلّمي'`)
		w.waitFor("the sync state in Arabic", `document.getElementById('status').textContent.includes('تمت المزامنة')`)
		var overflow int
		w.eval(`document.documentElement.scrollWidth - document.documentElement.clientWidth`, &overflow)
		if overflow > 0 {
			t.Errorf("the page scrolls sideways by %d px at 320 px", overflow)
		}
		w.check("arabic-320")
		w.open("#/catalogue", "الفهرس")
		w.check("arabic-catalogue-320")
		w.eval(`(() => { const s = document.getElementById('lang'); s.value = 'en'; s.dispatchEvent(new Event('change')); return true })()`, nil)
		w.waitFor("English", `document.documentElement.dir === 'ltr' && document.documentElement.lang === 'en'`)
		w.do(chromedp.EmulateViewport(390, 844))
	})

	w.run(t, "sign out, then sign in again by email", func(t *testing.T) {
		w.open("#/account", "Account")
		var refresh string
		w.eval(`localStorage.getItem('cc.refresh')`, &refresh)
		w.click("Sign out")
		w.waitFor("signed out", `document.querySelector('main h1') && document.querySelector('main h1').textContent.includes('Welcome')`)
		w.env.Expect(t, apptest.Request{Method: "POST", Path: "/v1/auth/refresh", Body: map[string]string{"refresh_token": refresh}}, 401)
		w.signIn(email, password)
		w.waitText("Spot the phish")
	})
}

// TestTrainerJourney: a trainer creates a cohort, invites learners by typing
// addresses and by a roster file (whose bad lines are shown), then reads the
// progress table with whoever is furthest behind first, and downloads it.
func TestTrainerJourney(t *testing.T) {
	w := newWorld(t, "trainer")
	_, trainerEmail := w.newAccount("Tess Trainer", password, cc.RoleLearner, cc.RoleTrainer)
	behindID, behind := w.newAccount("Bo Behind", password, cc.RoleLearner)
	aheadID, ahead := w.newAccount("Ada Ahead", password, cc.RoleLearner)
	w.do(chromedp.Navigate(w.base + "/app"))
	w.waitFor("the app to start", `document.body.dataset.ready === 'true'`)
	w.signIn(trainerEmail, password)

	w.open("#/trainer", "My cohorts")
	w.waitText("You have no cohort yet.")
	w.check("cohorts")
	w.fill("name", "Nairobi evening class")
	w.fill("course", w.slug)
	w.fill("country", "KE")
	w.fill("starts_on", time.Now().Format("2006-01-02"))
	w.fill("ends_on", time.Now().AddDate(0, 2, 0).Format("2006-01-02"))
	w.eval(`document.querySelector('main form button[type=submit]').click(); true`, nil)
	w.waitFor("the cohort", `document.querySelector('main h1').textContent === 'Nairobi evening class'`)
	var cohortID string
	w.eval(`location.hash.split('/').pop()`, &cohortID)
	w.check("cohort-new")

	w.run(t, "invite by typing addresses", func(t *testing.T) {
		w.fill("emails", ahead+", "+behind)
		w.eval(`document.querySelector('main [name=emails]').form.querySelector('button[type=submit]').click(); true`, nil)
		w.waitText("Invitations sent: 2.")
	})
	w.run(t, "a roster file's bad lines are shown line by line", func(t *testing.T) {
		csv := filepath.Join(t.TempDir(), "roster.csv")
		os.WriteFile(csv, []byte("email,name\nnot-an-address,X\n"+ahead+",Ada\n"), 0o644)
		w.do(chromedp.SetUploadFiles(chromedp.CSS(`main input[name=roster]`), []string{csv}))
		w.eval(`document.querySelector('main [name=roster]').form.querySelector('button[type=submit]').click(); true`, nil)
		w.waitText("Line 2:")
		w.check("roster-errors")
	})

	// The learners join (accepting the invitation where invitations exist),
	// and one of them gets ahead.
	for _, id := range []string{aheadID, behindID} {
		tok, err := w.env.Tokens.IssueAccess(cc.Principal{UserID: id, Roles: []string{cc.RoleLearner}, SessionVersion: 1})
		if err != nil {
			t.Fatal(err)
		}
		if resp := w.env.Do(t, apptest.Request{Method: "GET", Path: "/v1/me/invitations", Token: tok}); resp.StatusCode == 200 {
			var inv struct{ Items []struct{ ID string } }
			resp.JSON(t, &inv)
			for _, i := range inv.Items {
				w.env.Expect(t, apptest.Request{Method: "POST", Path: "/v1/invitations/" + i.ID + "/accept", Token: tok}, 200)
			}
		}
		if id == aheadID {
			var lesson string
			if err := testDB.Get(&lesson, `SELECT l.id FROM lessons l JOIN courses c ON c.current_version_id = l.version_id
				WHERE c.slug = $1 ORDER BY l.position LIMIT 1`, w.slug); err != nil {
				t.Fatal(err)
			}
			w.env.Expect(t, apptest.Request{Method: "POST", Path: "/v1/progress", Token: tok, Body: map[string]any{"events": []any{
				map[string]any{"id": "6f1c1a52-2b7a-4c1e-9f00-" + fmt.Sprintf("%012d", time.Now().UnixNano()%1e12), "lesson_id": lesson,
					"type": "lesson_completed", "occurred_at": time.Now().UTC().Format(time.RFC3339)}}}}, 200)
		}
	}

	w.run(t, "the progress table puts who is behind first", func(t *testing.T) {
		w.open("#/trainer", "My cohorts")
		w.open("#/trainer/cohort/"+cohortID, "Nairobi evening class")
		w.waitFor("two rows", `document.querySelectorAll('main tbody tr').length === 2`)
		var names []string
		w.eval(`[...document.querySelectorAll('main tbody tr th')].map(th => th.textContent)`, &names)
		if len(names) != 2 || names[0] != "Bo Behind" || names[1] != "Ada Ahead" {
			t.Fatalf("rows %v, want Bo Behind first", names)
		}
		w.check("cohort-progress")
		w.click("Download CSV")
		w.waitText("Downloaded: cohort-" + cohortID + ".csv")
	})
}
