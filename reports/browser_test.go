package reports

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lib/pq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/app"
	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/auth"
	"github.com/cybercampus/cybercampus/internal/ratelimit"
	"github.com/cybercampus/cybercampus/learners"
)

// artifacts is where the browser test leaves its screenshot (gitignored).
const artifacts = "testdata/artifacts"

// devtools drives Chromium over --remote-debugging-pipe: JSON messages
// separated by NUL bytes, written to its fd 3 and read from its fd 4.
type devtools struct {
	w       io.Writer
	r       *bufio.Reader
	id      int
	session string
}

func (d *devtools) call(method string, params any) (json.RawMessage, error) {
	d.id++
	msg := map[string]any{"id": d.id, "method": method, "params": params}
	if d.session != "" {
		msg["sessionId"] = d.session
	}
	b, _ := json.Marshal(msg)
	if _, err := d.w.Write(append(b, 0)); err != nil {
		return nil, err
	}
	for {
		line, err := d.r.ReadBytes(0)
		if err != nil {
			return nil, err
		}
		var resp struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(line[:len(line)-1], &resp); err != nil {
			return nil, err
		}
		if resp.ID != d.id {
			continue // an event
		}
		if resp.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, resp.Error.Message)
		}
		return resp.Result, nil
	}
}

// eval runs JavaScript in the page and returns its value as JSON.
func (d *devtools) eval(t *testing.T, js string) json.RawMessage {
	t.Helper()
	res, err := d.call("Runtime.evaluate", map[string]any{"expression": js, "returnByValue": true, "awaitPromise": true})
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails any `json:"exceptionDetails"`
	}
	json.Unmarshal(res, &out)
	if out.ExceptionDetails != nil {
		t.Fatalf("%s: %s", js, res)
	}
	return out.Result.Value
}

// waitFor polls a JavaScript condition until it is true.
func (d *devtools) waitFor(t *testing.T, js string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if string(d.eval(t, js)) == "true" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s; page: %s", js, d.eval(t, `document.body ? document.body.innerText : ''`))
}

func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SKIP_BROWSER_TESTS") != "" {
		t.Skip("no chromium and SKIP_BROWSER_TESTS is set")
	}
	t.Fatal("chromium is not installed: run scripts/chromium.sh (or set SKIP_BROWSER_TESTS=1)")
	return ""
}

func startBrowser(t *testing.T, bin string) *devtools {
	cmdR, cmdW, _ := os.Pipe()
	respR, respW, _ := os.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	// Not t.TempDir: Chromium's helper processes may still be writing to the
	// profile when the test ends, so the folder is removed after they are gone.
	profile, err := os.MkdirTemp("", "cc-dashboard-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
		"--no-default-browser-check", "--user-data-dir="+profile, "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{cmdR, respW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group, so every helper process is stopped
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmdR.Close()
	respW.Close()
	t.Cleanup(func() {
		cmdW.Close()
		cancel()
		cmd.Wait()
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		for range 20 { // a helper killed a moment ago may still be closing files
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	return &devtools{w: cmdW, r: bufio.NewReader(respR)}
}

// newBrowserEnv builds the application with the accounts routes (for signing in).
func newBrowserEnv(t *testing.T) (*apptest.Env, *Module) {
	var mod *Module
	var env *apptest.Env
	env = apptest.New(t, testDB, apptest.Options{RedisDB: redisDB}, func(d app.Deps) []app.Module {
		mod = NewModule(d)
		return []app.Module{mod}
	})
	limiter := ratelimit.New(env.Deps.Redis, "cctest:reports:", env.Deps.Logger)
	learners.NewModule(env.Deps, env.Tokens, limiter).Routes(env.App)
	return env, mod
}

func TestDashboard(t *testing.T) {
	bin := chromium(t)
	env, mod := newBrowserEnv(t)
	f := fixtures{t, testDB.DB}
	c := smallWorld(t, f)
	f.refresh(mod.Store)
	email, password := "analyst-"+uniq()+"@example.org", "correct horse battery staple"
	f.exec(`INSERT INTO users (email, password_hash, name, roles, gender, birth_year, country, audience)
		VALUES ($1, $2, 'Analyst', $3, 'female', 1980, 'CH', 'professional')`, email, auth.HashPassword(password), pq.StringArray{cc.RoleAnalyst})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go env.App.Listener(ln)
	t.Cleanup(func() { env.App.Shutdown() })
	base := "http://" + ln.Addr().String()

	d := startBrowser(t, bin)
	res, err := d.call("Target.createTarget", map[string]any{"url": "about:blank"})
	if err != nil {
		t.Fatal(err)
	}
	var target struct{ TargetID string }
	json.Unmarshal(res, &target)
	res, err = d.call("Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true})
	if err != nil {
		t.Fatal(err)
	}
	var attached struct{ SessionID string }
	json.Unmarshal(res, &attached)
	d.session = attached.SessionID
	d.call("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 1400, "deviceScaleFactor": 1, "mobile": false})
	if _, err := d.call("Page.navigate", map[string]any{"url": base + "/dashboard"}); err != nil {
		t.Fatal(err)
	}
	d.waitFor(t, `document.body && document.body.dataset.state === 'ready'`)

	t.Run("signs in with the accounts API", func(t *testing.T) {
		d.eval(t, fmt.Sprintf(`document.querySelector('#email').value = %q;
			document.querySelector('#password').value = %q;
			document.querySelector('#login-form').requestSubmit(); true`, email, password))
		d.waitFor(t, `!document.querySelector('#report').hidden`)
		if string(d.eval(t, `sessionStorage.length > 0 && localStorage.length === 0`)) != "true" {
			t.Fatal("the token is not kept in sessionStorage only")
		}
	})
	t.Run("shows the table and the chart of a report", func(t *testing.T) {
		// The page lists dimensions in the API's order: group_by=gender,country.
		d.eval(t, fmt.Sprintf(`for (const b of document.querySelectorAll('input[name=dim]')) b.checked = ['country', 'gender'].includes(b.value);
			document.querySelector('input[name=course]').value = %q;
			document.querySelector('#report-form').requestSubmit(); true`, c.Slug))
		d.waitFor(t, `document.body.dataset.state === 'report-loaded' || document.body.dataset.state === 'report-error'`)
		var rows [][]string
		json.Unmarshal(d.eval(t, `[...document.querySelectorAll('#report-table tbody tr, #report-table tfoot tr')]
			.map(tr => [...tr.children].map(td => td.textContent))`), &rows)
		// The figures the API gives for the same query, perturbed: the page
		// must show them as they are.
		q, err := Params{GroupBy: "gender,country", Course: c.Slug}.Parse(5)
		if err != nil {
			t.Fatal(err)
		}
		if err := mod.Store.Resolve(context.Background(), &q); err != nil {
			t.Fatal(err)
		}
		rep, err := mod.Store.Participation(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		line := func(c Counts) string {
			return fmt.Sprintf("%d|%d|%d|%d|%.1f%%", c.Learners, c.Enrollments, c.Completions, c.Certificates, *c.rate()*100)
		}
		var want []string
		for _, r := range rep.Rows {
			if *r.Values[0] == "female" && *r.Values[1] == "FJ" {
				t.Fatal("the two women of Fiji are listed")
			}
			want = append(want, *r.Values[0]+"|"+*r.Values[1]+"|"+line(r.Counts))
		}
		want = append(want, "Total|"+line(rep.Totals.Counts))
		if len(rows) != len(want) {
			t.Fatalf("table %q; error: %s", rows, d.eval(t, `document.querySelector('#report-error').textContent`))
		}
		for i := range want {
			if got := strings.Join(rows[i], "|"); got != want[i] {
				t.Errorf("row %d = %q, want %q", i, got, want[i])
			}
		}
		d.waitFor(t, `(() => { const i = document.querySelector('#chart img'); return i.complete && i.naturalWidth > 0; })()`)
		if alt := string(d.eval(t, `document.querySelector('#chart img').alt`)); !strings.Contains(alt, "learners by gender, country") || !strings.Contains(alt, "Figures are slightly perturbed") {
			t.Errorf("chart alt %s", alt)
		}
		if s := string(d.eval(t, `document.querySelector('#summary').textContent`)); !strings.Contains(s, "Figures are slightly perturbed to protect individuals") ||
			!strings.Contains(s, fmt.Sprintf("learners %.2f", *rep.GenderParity.Learners)) {
			t.Errorf("summary %s", s)
		}
	})
	t.Run("keeps a screenshot", func(t *testing.T) {
		res, err := d.call("Page.captureScreenshot", map[string]any{"format": "png"})
		if err != nil {
			t.Fatal(err)
		}
		var shot struct{ Data string }
		json.Unmarshal(res, &shot)
		png, err := base64.StdEncoding.DecodeString(shot.Data)
		if err != nil || len(png) < 1000 {
			t.Fatalf("screenshot: %d bytes, %v", len(png), err)
		}
		os.MkdirAll(artifacts, 0o755)
		if err := os.WriteFile(filepath.Join(artifacts, "dashboard.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("the page loads nothing from elsewhere", func(t *testing.T) {
		if got := string(d.eval(t, `performance.getEntriesByType('resource').every(e => e.name.startsWith(location.origin) || e.name.startsWith('blob:'))`)); got != "true" {
			t.Fatal("external resource loaded")
		}
	})
	d.call("Browser.close", nil)
}
