package webapp

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/chromedp"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/apptest"
)

// mailLog is the application's log, where emails land when no SMTP server
// is configured: the tests read the links the account emails carry from it.
type mailLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (m *mailLog) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.buf.Write(p)
}

var emailLink = regexp.MustCompile(`https?://[^\s"<>]+\?token=[A-Za-z0-9_%.-]+`)

// links returns the links with a token in the emails logged for address, oldest first.
func (m *mailLog) links(address string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(m.buf.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e struct{ Msg, To, Text string }
		if json.Unmarshal(sc.Bytes(), &e) != nil || !strings.HasPrefix(e.Msg, "email not sent") || e.To != address {
			continue
		}
		if l := emailLink.FindString(e.Text); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// emailedLink waits for the n-th email with a link to address and returns
// the link's path and query (the test server is not the public address).
func (w *world) emailedLink(address string, n int) string {
	w.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if l := w.mail.links(address); len(l) >= n {
			u, err := url.Parse(l[n-1])
			if err != nil {
				w.t.Fatal(err)
			}
			return u.RequestURI()
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("no email %d with a link to %s", n, address)
		}
	}
}

// catchDownloads keeps every file the page hands to the browser to save
// (the app makes them as blobs), and says yes to every confirmation, as a
// user who means it would. It lasts until the page is loaded again.
func (w *world) catchDownloads() {
	w.t.Helper()
	w.eval(`(() => { if (window.__blobs) return true; window.__blobs = [];
		const make = URL.createObjectURL.bind(URL); URL.createObjectURL = (b) => { window.__blobs.push(b); return make(b); };
		window.confirm = () => true; return true })()`, nil)
}

// lastDownload is the text of the last file the page saved.
func (w *world) lastDownload() string {
	w.t.Helper()
	var s string
	w.eval(`window.__blobs.length ? window.__blobs[window.__blobs.length - 1].text() : ''`, &s)
	return s
}

// submitForm presses the submit button of the form holding the named field.
func (w *world) submitForm(field string) {
	w.t.Helper()
	w.eval(fmt.Sprintf(`(() => { const el = document.querySelector('main [name=%q]'); if (!el) throw new Error('no field %s');
		el.form.querySelector('button[type=submit]').click(); return true })()`, field, field), nil)
}

// choose ticks the radio button or checkbox of a named field with a value.
func (w *world) choose(name, value string) {
	w.t.Helper()
	w.eval(fmt.Sprintf(`(() => { const el = document.querySelector('main input[name=%q][value=%q]'); if (!el) throw new Error('no choice %s=%s');
		el.click(); return true })()`, name, value, name, value), nil)
}

// signOut uses the account screen's button and waits for the welcome screen.
func (w *world) signOut() {
	w.t.Helper()
	w.open("#/account", "Account")
	w.click("Sign out")
	w.waitFor("signed out", `document.querySelector('main h1') && document.querySelector('main h1').textContent.includes('Welcome')`)
}

// language switches the app's language with the header's menu.
func (w *world) language(l, dir string) {
	w.t.Helper()
	w.eval(fmt.Sprintf(`(() => { const s = document.getElementById('lang'); s.value = %q; s.dispatchEvent(new Event('change')); return true })()`, l), nil)
	w.waitFor("the language "+l, fmt.Sprintf(`document.documentElement.lang === %q && document.documentElement.dir === %q`, l, dir))
}

// token is an access token for a user's current session.
func (w *world) token(id string, roles ...string) string {
	w.t.Helper()
	var version int
	if err := testDB.Get(&version, `SELECT session_version FROM users WHERE id = $1`, id); err != nil {
		w.t.Fatal(err)
	}
	tok, err := w.env.Tokens.IssueAccess(cc.Principal{UserID: id, Roles: roles, SessionVersion: version})
	if err != nil {
		w.t.Fatal(err)
	}
	return tok
}

// login signs in through the API (another device) and returns the refresh token.
func (w *world) login(email, password string) string {
	w.t.Helper()
	var pair struct {
		RefreshToken string `json:"refresh_token"`
	}
	w.env.Expect(w.t, apptest.Request{Method: "POST", Path: "/v1/auth/login", Body: map[string]string{"email": email, "password": password}}, 200).JSON(w.t, &pair)
	return pair.RefreshToken
}

// publish adds and publishes a course document as an administrator.
func (w *world) publish(doc map[string]any) {
	w.t.Helper()
	admin := w.env.NewUser(w.t, cc.RoleAdmin)
	w.env.Expect(w.t, apptest.Request{Method: "POST", Path: "/v1/courses", Token: admin.Token, Body: doc}, 201)
	w.env.Expect(w.t, apptest.Request{Method: "POST", Path: "/v1/courses/" + doc["slug"].(string) + "/publish", Token: admin.Token}, 200)
}

// heading is the current screen's title.
func (w *world) heading() string {
	var s string
	w.eval(`document.querySelector('main h1') ? document.querySelector('main h1').textContent : ''`, &s)
	return s
}

func (w *world) startApp() {
	w.t.Helper()
	w.do(chromedp.Navigate(w.base + "/app"))
	w.waitFor("the app to start", `document.body.dataset.ready === 'true'`)
}

// courseLink finds, in a list of courses, the link to this test's course by
// its address: every test (and every run under -count) publishes courses
// with the same titles into the same database, so a title can match another
// test's course.
func courseLink(slug string) string {
	return fmt.Sprintf(`document.querySelector('main a[href="#/course/%s"]')`, slug)
}
