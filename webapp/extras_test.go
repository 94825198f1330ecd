package webapp

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

// accessibleDoc is a one-lesson course whose lessons all offer captions and
// a transcript, with a pre- and post-test drawn from a bank.
func accessibleDoc(slug string) map[string]any {
	question := func(i int) map[string]any {
		return map[string]any{"key": fmt.Sprintf("b%d", i), "text": fmt.Sprintf("Bank question %d: which password is stronger?", i), "kind": "single",
			"options": []any{map[string]any{"key": "a", "text": "A long passphrase", "correct": true}, map[string]any{"key": "b", "text": "Password1"}}}
	}
	return map[string]any{
		"slug": slug, "title": "Safe passwords", "summary": "Make and keep strong passwords.", "level": "beginner",
		"audiences": []string{"youth"}, "language": "en",
		"accessibility": map[string]any{"accessibilityFeature": []string{"captions", "transcript"}},
		"assessment":    map[string]any{"draw": 2, "bank": []any{question(1), question(2), question(3), question(4)}},
		"modules": []any{map[string]any{"key": "m", "title": "Passphrases", "lessons": []any{
			map[string]any{"key": "l", "title": "Long beats clever", "kind": "text", "duration_minutes": 5, "content": "Use **long** passphrases."}}}},
	}
}

// TestCourseExtras: the catalogue's accessibility filter, the pre-test before
// the lesson and the post-test after completion, then the satisfaction
// survey answered offline and sent once back online.
func TestCourseExtras(t *testing.T) {
	w := newWorld(t, "extras")
	slug := "passwords-" + pgtest.RandomSuffix()
	w.publish(accessibleDoc(slug))
	userID, email := w.newAccount("Eli Extras", password, cc.RoleLearner)
	w.startApp()
	w.signIn(email, password)

	w.run(t, "the accessibility filter keeps courses whose every lesson has captions", func(t *testing.T) {
		w.open("#/catalogue", "Catalogue")
		w.eval(`document.querySelector('main form.filters details').open = true; true`, nil)
		w.choose("accessibility", "captions")
		w.eval(`document.querySelector('main form.filters button[type=submit]').click(); true`, nil)
		w.waitFor("filtered results", `location.hash.includes('accessibility=captions') && `+courseLink(slug))
		if w.count(t, `SELECT count(*) FROM courses WHERE slug = $1`, w.slug) != 1 {
			t.Fatal("the course without captions is missing from the database")
		}
		var shown bool
		w.eval(`document.querySelector('main').innerText.includes('Spot the phish')`, &shown)
		if shown {
			t.Fatal("a course without captions is listed under the captions filter")
		}
		w.waitFor("the filter still ticked", `document.querySelector('main [name=accessibility][value=captions]').checked`)
		w.check("catalogue-captions")
		w.eval(courseLink(slug)+`.click(); true`, nil)
		w.waitFor("the course", `document.querySelector('main h1').textContent === 'Safe passwords'`)
		w.waitText("Accessibility: Captions, Transcripts")
		w.click("Enrol")
		w.waitText("Saved on this device")
	})

	answerAll := `[...document.querySelectorAll('main fieldset.question')].forEach(f => f.querySelector('input').click()); true`
	w.run(t, "the pre-test, taken once", func(t *testing.T) {
		w.waitFor("the pre-test link", `[...document.querySelectorAll('main a.button')].some(a => a.textContent === 'Pre-test')`)
		w.click("Pre-test")
		w.waitFor("the pre-test", `document.querySelector('main h1').textContent === 'Pre-test' && document.querySelectorAll('main fieldset.question').length === 2`)
		w.check("pre-test")
		w.eval(answerAll, nil)
		w.eval(`document.querySelector('main form button[type=submit]').click(); true`, nil)
		w.waitText("Your score:")
		w.check("pre-test-done")
		if n := w.count(t, `SELECT count(*) FROM assessment_attempts WHERE user_id = $1 AND kind = 'pre'`, userID); n != 1 {
			t.Fatalf("%d pre-test attempts on the server, want 1", n)
		}
		w.open("#/course/"+slug, "Safe passwords")
		w.open("#/assessment/"+slug+"/pre", "Pre-test")
		w.waitText("You have taken this test.")
	})

	w.run(t, "the post-test opens once the course is completed", func(t *testing.T) {
		w.open("#/course/"+slug, "Safe passwords")
		w.click("Long beats clever")
		w.waitFor("the lesson", `document.querySelector('main h1').textContent === 'Long beats clever'`)
		w.click("Mark as complete")
		w.waitFor("synced", `document.getElementById('status').textContent.includes('Synced')`)
		deadline := time.Now().Add(20 * time.Second)
		for {
			w.open("#/learning", "My learning")
			w.open("#/course/"+slug, "Safe passwords")
			time.Sleep(500 * time.Millisecond) // the tests' links arrive after the outline
			var ok bool
			w.eval(`[...document.querySelectorAll('main a.button')].some(a => a.textContent === 'Post-test')`, &ok)
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no post-test link; page: %s", w.text())
			}
		}
		w.click("Post-test")
		w.waitFor("the post-test", `document.querySelector('main h1').textContent === 'Post-test' && document.querySelectorAll('main fieldset.question').length === 2`)
		w.eval(answerAll, nil)
		w.eval(`document.querySelector('main form button[type=submit]').click(); true`, nil)
		w.waitText("Your score:")
		w.check("post-test-done")
		if n := w.count(t, `SELECT count(*) FROM assessment_attempts WHERE user_id = $1 AND kind = 'post'`, userID); n != 1 {
			t.Fatalf("%d post-test attempts on the server, want 1", n)
		}
	})

	w.run(t, "the satisfaction survey, answered offline, sent once back online", func(t *testing.T) {
		deadline := time.Now().Add(30 * time.Second)
		for {
			w.open("#/learning", "My learning")
			var ok bool
			w.eval(`document.querySelector('main').innerText.includes('Surveys waiting for your answers: 1')`, &ok)
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no survey waiting; page: %s", w.text())
			}
			time.Sleep(300 * time.Millisecond)
		}
		w.offline(true)
		w.waitFor("the page to know it is offline", `!navigator.onLine`)
		w.click("Surveys waiting")
		w.waitFor("the survey", `document.querySelector('main h1').textContent === 'Surveys' && document.querySelector('main h2') &&
			document.querySelector('main h2').textContent === 'How was Safe passwords?'`)
		w.check("survey")
		w.eval(`document.querySelector('main form button[type=submit]').click(); true`, nil)
		w.waitText("Answer every question before you submit.")
		w.choose("overall", "4")
		w.choose("relevance", "5")
		w.choose("recommend", "true")
		w.fill("comment", "Clear and short.")
		w.eval(`document.querySelector('main form button[type=submit]').click(); true`, nil)
		w.waitText("Your answers are saved on this device")
		w.waitFor("one change waiting", `document.getElementById('status').textContent.includes('1 changes saved on this device')`)
		w.check("survey-offline")
		if n := w.count(t, `SELECT count(*) FROM surveys WHERE user_id = $1 AND responded_at IS NOT NULL`, userID); n != 0 {
			t.Fatalf("%d survey responses reached the server while offline", n)
		}
		w.open("#/learning", "My learning")
		w.open("#/surveys", "Surveys")
		w.waitText("No survey is waiting for you.")

		w.offline(false)
		w.waitFor("the sync", `document.getElementById('status').textContent.includes('Synced')`)
		var raw []byte
		if err := testDB.Get(&raw, `SELECT answers FROM surveys WHERE user_id = $1 AND kind = 'satisfaction' AND responded_at IS NOT NULL`, userID); err != nil {
			t.Fatalf("no response on the server: %v", err)
		}
		var answers map[string]any
		if err := json.Unmarshal(raw, &answers); err != nil {
			t.Fatal(err)
		}
		if answers["overall"] != 4.0 || answers["relevance"] != 5.0 || answers["recommend"] != true || answers["comment"] != "Clear and short." {
			t.Fatalf("answers on the server %v", answers)
		}
		if w.count(t, `SELECT count(*) FROM surveys WHERE user_id = $1 AND responded_at IS NOT NULL`, userID) != 1 {
			t.Fatal("the response counted more than once")
		}
		w.open("#/learning", "My learning")
		w.open("#/surveys", "Surveys")
		w.waitText("No survey is waiting for you.")
		w.check("survey-none")
	})
}
