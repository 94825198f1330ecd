package webapp

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/apptest"
)

// TestLostAnswerIsResent: the server records a progress batch but its answer
// never reaches the phone (the connection drops). The app keeps the event,
// sends it again with the same id, and the server counts it once.
func TestLostAnswerIsResent(t *testing.T) {
	w := newWorld(t, "resend")
	id, email := w.newAccount("Rea Resend", password, cc.RoleLearner)
	tok, err := w.env.Tokens.IssueAccess(cc.Principal{UserID: id, Roles: []string{cc.RoleLearner}, SessionVersion: 1})
	if err != nil {
		t.Fatal(err)
	}
	w.env.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses/" + w.slug + "/enrollments", Token: tok}, 201)
	w.do(chromedp.Navigate(w.base + "/app"))
	w.waitFor("the app to start", `document.body.dataset.ready === 'true'`)
	w.signIn(email, password)
	w.open("#/course/"+w.slug, "Spot the phish")
	w.click("What phishing is")
	w.waitFor("the lesson", `document.querySelector('main h1').textContent === 'What phishing is'`)

	// Every answer to POST /v1/progress is dropped after the server handled it.
	var dropped atomic.Int32
	paused := make(chan fetch.RequestID, 8)
	if err := chromedp.Listen(w.ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			paused <- e.RequestID
		}
	}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for id := range paused {
			dropped.Add(1)
			chromedp.Call(w.ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: id, ErrorReason: network.ErrorReasonConnectionReset})
		}
	}()
	t.Cleanup(func() { close(paused) })
	if _, err := chromedp.Call(w.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{
		{URLPattern: "*/v1/progress", RequestStage: fetch.RequestStageResponse}}}); err != nil {
		t.Fatal(err)
	}
	w.click("Mark as complete")
	for deadline := time.Now().Add(20 * time.Second); dropped.Load() == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the app never sent the batch")
		}
	}
	time.Sleep(500 * time.Millisecond) // the app hears of the failure and settles
	w.waitFor("the event still waiting on the device", `document.getElementById('status').textContent.includes('1 changes saved on this device')`)
	if n := w.count(t, completedLessons, id); n != 1 {
		t.Fatalf("the server recorded %d completions before the answer was lost, want 1", n)
	}

	if _, err := chromedp.Call(w.ctx, fetch.Disable, struct{}{}); err != nil {
		t.Fatal(err)
	}
	w.eval(`document.querySelector('#status button').click(); true`, nil)
	w.waitFor("the resend", `document.getElementById('status').textContent.includes('Synced')`)
	if n := w.count(t, completedLessons, id); n != 1 {
		t.Fatalf("%d completions after the resend, want 1", n)
	}
	if n := w.count(t, `SELECT count(*) FROM progress_events WHERE user_id = $1`, id); n != 1 {
		t.Fatalf("%d progress events stored, want 1", n)
	}
	w.check("resent")
}
