package webapp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/hibiken/asynq"
	"github.com/lib/pq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/assessments"
	"github.com/cybercampus/cybercampus/certification"
	"github.com/cybercampus/cybercampus/courses"
	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/apptest/learnerstest"
	"github.com/cybercampus/cybercampus/internal/auth"
	"github.com/cybercampus/cybercampus/internal/browsertest"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
	"github.com/cybercampus/cybercampus/jobs"
	"github.com/cybercampus/cybercampus/notifications"
	"github.com/cybercampus/cybercampus/surveys"
)

var testDB *pgtest.DB

func TestMain(m *testing.M) { pgtest.Main(m, "webapp", &testDB) }

// redisDB is this package's own Redis database.
const redisDB = 4

// hostile is lesson Markdown that tries to run script in the app.
const hostile = "# Phishing\n\nA *phishing* mail asks for your **password**.\n\n" +
	"<script>window.__pwned = 1</script>\n\n<img alt=\"a broken picture\" src=x onerror=\"window.__pwned = 2\">\n\n" +
	"[click me](javascript:window.__pwned=3) and [the guide](https://example.org/guide)\n\n- Check the sender\n- Never share codes\n"

// courseDoc is the course the journeys follow: two modules, three lessons
// and a quiz whose right answer is the option keyed "a".
func courseDoc(slug string) map[string]any {
	lesson := func(key, title, content string) map[string]any {
		return map[string]any{"key": key, "title": title, "kind": "text", "duration_minutes": 5, "content": content}
	}
	return map[string]any{
		"slug": slug, "title": "Spot the phish", "summary": "Recognise and report phishing.", "level": "beginner",
		"audiences": []string{"youth", "professional"}, "language": "en",
		"modules": []any{
			map[string]any{"key": "basics", "title": "Basics", "lessons": []any{
				lesson("what", "What phishing is", hostile),
				lesson("signs", "Warning signs", "## Signs\n\nUrgency, odd links, requests for codes."),
			}, "quiz": map[string]any{"key": "check", "title": "Phishing check", "pass_score": 50, "max_attempts": 3,
				"questions": []any{map[string]any{"key": "q1", "text": "A mail asks for your one-time code. What do you do?", "kind": "single",
					"explanation": "Nobody legitimate asks for it.", "options": []any{
						map[string]any{"key": "a", "text": "Refuse and report it", "correct": true},
						map[string]any{"key": "b", "text": "Send the code", "correct": false}}}}}},
			map[string]any{"key": "act", "title": "Act", "lessons": []any{lesson("report", "Reporting", "Report to your IT team.")}},
		},
	}
}

// world is a running application with the modules the app calls, a job
// worker (so certificates are issued) and a browser.
type world struct {
	t    *testing.T
	env  *apptest.Env
	base string
	ctx  context.Context
	slug string
	shot int
	name string
	mail *mailLog
}

func newWorld(t *testing.T, name string) *world {
	mail := &mailLog{}
	env := apptest.New(t, testDB, apptest.Options{RedisDB: redisDB, Logs: mail})
	learnersHandlers := learnerstest.Mount(env)
	courses.NewHandler(courses.NewStore(env.DB.DB), courses.CatalogueRecheck).Register(env.App, env.Auth)
	base := env.Config.PublicBaseURL
	keys := certification.NewKeyring(env.DB.DB, base, env.Config.CertKeyEncryptionKey, env.Logger, time.Now)
	certs := certification.NewHandler(keys, certification.NewStore(env.DB.DB, keys, base, time.Now),
		certification.NewVerifier(keys, base, env.DB.DB, time.Now), base, env.Logger)
	certs.Register(env.App, env.Auth)
	assessments.NewHandler(assessments.NewStore(env.DB.DB)).Register(env.App, env.Auth)
	surveysHandler := surveys.NewHandler(surveys.NewStore(env.DB.DB, time.Now, base))
	surveysHandler.Register(env.App, env.Auth)
	notifications.NewHandler(notifications.NewStore(env.DB.DB)).Register(env.App, env.Auth)
	NewHandler().Register(env.App)
	startJobs(t, env, learnersHandlers.RegisterTasks, certs.RegisterTasks, surveysHandler.RegisterTasks,
		notifications.NewJobs(env.DB.DB, env.Config, notifications.NewMailer(env.Config, env.Logger), env.Logger, time.Now).RegisterTasks)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go env.App.Listener(ln)
	t.Cleanup(func() { env.App.Shutdown() })
	w := &world{t: t, env: env, base: "http://" + ln.Addr().String(), name: name, mail: mail}
	old, _ := filepath.Glob(filepath.Join(browsertest.ArtifactsDir, name+"-*"))
	for _, f := range old {
		os.Remove(f)
	}
	// A phone's screen, in British English.
	w.ctx = browsertest.NewWith(t, browsertest.Options{Width: 390, Height: 844, Lang: "en-GB", Timeout: 4 * time.Minute})
	browsertest.Do(t, w.ctx, chromedp.EmulateViewport(390, 844))
	w.watchExceptions()
	w.traceOnFailure()
	w.slug = "phish-" + pgtest.RandomSuffix()
	admin := env.NewUser(t, cc.RoleAdmin)
	env.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses", Token: admin.Token, Body: courseDoc(w.slug)}, 201)
	env.Expect(t, apptest.Request{Method: "POST", Path: "/v1/courses/" + w.slug + "/publish", Token: admin.Token}, 200)
	return w
}

// startJobs runs the outbox relay and an asynq worker with the features'
// task handlers, as `cybercampus serve` does.
func startJobs(t *testing.T, env *apptest.Env, registers ...func(*asynq.ServeMux)) {
	mux := asynq.NewServeMux()
	for _, register := range registers {
		register(mux)
	}
	srv := asynq.NewServer(env.RedisOpt, asynq.Config{Concurrency: 2, Queues: jobs.QueueWeights, Logger: quiet{},
		DelayedTaskCheckInterval: 100 * time.Millisecond})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	relay := jobs.NewRelay(env.DB.DB, env.Queue, slog.New(slog.NewTextHandler(io.Discard, nil)))
	done := make(chan struct{})
	go func() { defer close(done); relay.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; srv.Shutdown() })
}

type quiet struct{}

func (quiet) Debug(...any) {}
func (quiet) Info(...any)  {}
func (quiet) Warn(...any)  {}
func (quiet) Error(...any) {}
func (quiet) Fatal(...any) {}

// watchExceptions fails the test on any uncaught exception or unhandled
// promise rejection in the app, reported when the test ends.
func (w *world) watchExceptions() { browsertest.FailOnExceptions(w.t, w.ctx) }

// ---- driving the page ---------------------------------------------------------

func (w *world) do(actions ...chromedp.Action[chromedp.Void]) {
	w.t.Helper()
	if err := chromedp.Do(w.ctx, actions...); err != nil {
		w.t.Fatalf("browser: %v; page: %s", err, w.text())
	}
}

// eval runs JavaScript (awaiting a promise) and decodes its value into out.
func (w *world) eval(js string, out any) {
	w.t.Helper()
	v, err := chromedp.Run(w.ctx, chromedp.Evaluate[json.RawMessage](js, chromedp.EvalAwaitPromise))
	if err != nil {
		w.t.Fatalf("%s: %v", js, err)
	}
	if out != nil {
		if err := json.Unmarshal(v, out); err != nil {
			w.t.Fatalf("%s: %s: %v", js, v, err)
		}
	}
}

func (w *world) text() string {
	v, _ := chromedp.Run(w.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	return v
}

// waitFor polls a JavaScript condition until it holds.
func (w *world) waitFor(what, js string) {
	w.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var ok bool
		v, err := chromedp.Run(w.ctx, chromedp.Evaluate[json.RawMessage](`!!(`+js+`)`, chromedp.EvalAwaitPromise))
		if err == nil && json.Unmarshal(v, &ok) == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	w.t.Fatalf("timed out waiting for %s (%s); page: %s", what, js, w.text())
}

// waitText waits until the main area shows text.
func (w *world) waitText(text string) {
	w.t.Helper()
	w.waitFor(fmt.Sprintf("%q on the page", text), fmt.Sprintf(`document.body.innerText.includes(%q)`, text))
}

// open goes to a screen of the app and waits for its heading.
func (w *world) open(hash, heading string) {
	w.t.Helper()
	w.eval(fmt.Sprintf(`location.hash = %q; true`, hash), nil)
	w.waitFor("the "+heading+" screen", fmt.Sprintf(`document.querySelector('main h1') && document.querySelector('main h1').textContent.includes(%q)`, heading))
}

// fill sets a form control's value as a user would, by name.
func (w *world) fill(name, value string) {
	w.t.Helper()
	w.eval(fmt.Sprintf(`(() => { const el = document.querySelector('main [name=%q]'); if (!el) throw new Error('no field %s');
		el.value = %q; el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true})); return true })()`, name, name, value), nil)
}

// click presses the button or link whose text contains label.
func (w *world) click(label string) {
	w.t.Helper()
	w.eval(fmt.Sprintf(`(() => { const el = [...document.querySelectorAll('main button, main a')].find(e => e.textContent.includes(%q));
		if (!el) throw new Error('no button or link %s'); el.click(); return true })()`, label, label), nil)
}

// check is axe-core on the current screen (no serious or critical
// violation, its findings and a screenshot kept as artifacts) and no
// sideways scrolling.
func (w *world) check(screen string) {
	w.t.Helper()
	var overflow int
	w.eval(`document.documentElement.scrollWidth - document.documentElement.clientWidth`, &overflow)
	if overflow > 0 {
		w.t.Errorf("%s scrolls sideways by %d px", screen, overflow)
	}
	w.shot++
	for _, v := range browsertest.Axe(w.t, w.ctx, fmt.Sprintf("%s-%02d-%s", w.name, w.shot, screen)) {
		if v.Impact != "serious" && v.Impact != "critical" {
			w.t.Logf("axe on %s: %s (%s): %s", screen, v.ID, v.Impact, v.Help)
		}
	}
}

// offline cuts the page and its service worker off the network (and tells
// the page, through navigator.onLine); online restores both.
func (w *world) offline(off bool) {
	w.t.Helper()
	conds := []*network.Conditions{{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}}
	sw := true
	if _, err := chromedp.Call(w.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		EmulateOfflineServiceWorker: &sw, MatchedNetworkConditions: conds}); err != nil {
		w.t.Fatal(err)
	}
	if _, err := chromedp.Call(w.ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
		Offline: off, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
		w.t.Fatal(err)
	}
}

// newAccount makes a user who signs in with a password.
func (w *world) newAccount(name, password string, roles ...string) (id, email string) {
	email = strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "-" + pgtest.RandomSuffix() + "@example.org"
	const q = `INSERT INTO users (email, password_hash, name, roles, gender, birth_year, country, audience, email_verified_at)
		VALUES ($1, $2, $3, $4, 'female', 1990, 'KE', 'professional', now()) RETURNING id`
	if err := testDB.Get(&id, q, email, auth.HashPassword(password), name, pq.StringArray(roles)); err != nil {
		w.t.Fatal(err)
	}
	return id, email
}

func (w *world) signIn(login, password string) {
	w.t.Helper()
	w.open("#/signin", "Sign in")
	w.fill("login", login)
	w.fill("password", password)
	w.eval(`document.querySelector('main form button[type=submit]').click(); true`, nil)
	w.waitFor("signed in", `location.hash === '#/learning' && document.querySelector('main h1') && document.querySelector('main h1').textContent.includes('My learning')`)
}

// run is t.Run with the world's helpers reporting to the subtest.
func (w *world) run(t *testing.T, name string, f func(t *testing.T)) {
	t.Run(name, func(t *testing.T) {
		parent := w.t
		w.t = t
		defer func() { w.t = parent }()
		f(t)
	})
}

func (w *world) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := testDB.Get(&n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}
