// Package browsertest drives headless Chromium for the tests of the HTML
// pages (with chromedp) and checks each page with axe-core, the
// accessibility rules engine, keeping a screenshot and the axe results of
// every check in the test package's testdata/artifacts/ (ignored by git).
// Only tests import it.
package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ArtifactsDir is where screenshots and axe results are written, relative to
// the test package's directory.
const ArtifactsDir = "testdata/artifacts"

// chromiumPath finds Debian's Chromium; without it the test fails, or skips
// when SKIP_BROWSER_TESTS is set.
func chromiumPath(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	skipOrFail(tb, "chromium is not installed: run scripts/chromium.sh")
	return ""
}

func skipOrFail(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("SKIP_BROWSER_TESTS") != "" {
		tb.Skip(msg + " (SKIP_BROWSER_TESTS is set)")
	}
	tb.Fatal(msg + " (or set SKIP_BROWSER_TESTS=1)")
}

// New starts headless Chromium, as root-safe as a test machine needs, with a
// fresh profile, and returns the context of its first tab; everything stops
// when the test ends.
func New(tb testing.TB) context.Context {
	tb.Helper()
	return NewWith(tb, Options{})
}

// Options adjust the browser NewWith starts; zero values keep New's.
type Options struct {
	// Width and Height are the window's size (1280 by 1400 by default;
	// headless Chromium makes a window at least 500 pixels wide, so
	// phone widths need chromedp.EmulateViewport too).
	Width, Height int
	// Lang is the browser's language, which it sends as Accept-Language
	// (Chromium's own default when empty).
	Lang string
	// Timeout bounds the browser's whole life (3 minutes by default).
	Timeout time.Duration
}

// NewWith is New with a window size, a language or a time limit of the
// test's choosing (a phone-sized window for the web app, for example).
func NewWith(tb testing.TB, o Options) context.Context {
	tb.Helper()
	if o.Width == 0 || o.Height == 0 {
		o.Width, o.Height = 1280, 1400
	}
	if o.Timeout == 0 {
		o.Timeout = 3 * time.Minute
	}
	bin := chromiumPath(tb)
	// Not t.TempDir: Chromium's helpers may still write to the profile as the
	// test ends, so it is removed after the browser is gone.
	profile, err := os.MkdirTemp("", "cc-chromium-")
	if err != nil {
		tb.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(profile),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(o.Width, o.Height),
	}
	if o.Lang != "" {
		opts = append(opts, chromedp.Flag("lang", o.Lang), chromedp.Flag("accept-lang", o.Lang))
	}
	base, cancelTimeout := context.WithTimeout(context.Background(), o.Timeout)
	alloc, cancelAlloc := chromedp.NewExecAllocator(base, opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	tb.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser to exit
		cancelTimeout()
		for range 20 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	if err := chromedp.Do(ctx); err != nil {
		tb.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// FailOnExceptions fails the test, when it ends, for every uncaught
// exception or unhandled promise rejection in the page's scripts.
func FailOnExceptions(tb testing.TB, ctx context.Context) {
	tb.Helper()
	var mu sync.Mutex
	var seen []string
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			msg := e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
			mu.Lock()
			seen = append(seen, msg)
			mu.Unlock()
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range seen {
			tb.Errorf("uncaught in the page: %s", m)
		}
	})
}

// Do runs chromedp actions, failing the test on error.
func Do(tb testing.TB, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.Fatal(err)
	}
}

// Eval evaluates JavaScript in the page, awaiting a promise, and decodes its
// value as T.
func Eval[T any](tb testing.TB, ctx context.Context, js string) T {
	tb.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.Fatalf("%s: %v", js, err)
	}
	return v
}

// WaitFor polls a JavaScript condition until it holds. An evaluation that
// fails because the page is navigating is tried again.
func WaitFor(tb testing.TB, ctx context.Context, js string) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		var ok bool
		if ok, err = chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+js+")")); err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	tb.Fatalf("timed out waiting for %s (last error: %v); page: %s", js, err, text)
}

// Screenshot keeps a full-page PNG of the current page as an artifact.
func Screenshot(tb testing.TB, ctx context.Context, name string) {
	tb.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100 gives a PNG; lower qualities give JPEG
	if err != nil {
		tb.Fatal(err)
	}
	if len(png) < 1000 {
		tb.Fatalf("screenshot of %s: only %d bytes", name, len(png))
	}
	writeArtifact(tb, name+".png", png)
}

func writeArtifact(tb testing.TB, name string, b []byte) {
	tb.Helper()
	if err := os.MkdirAll(ArtifactsDir, 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ArtifactsDir, name), b, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// axeTags are the rule sets run: WCAG 2.0, 2.1 and 2.2 at levels A and AA,
// and axe's best practices.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"}

// Violation is an axe-core finding.
type Violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

type axeResult struct {
	Violations []Violation `json:"violations"`
	Passes     []struct {
		ID string `json:"id"`
	} `json:"passes"`
}

// Axe runs axe-core (scripts/axe.sh installs it) in the current page, keeps
// its findings and a screenshot as artifacts named name, and fails the test
// on every serious or critical violation.
func Axe(tb testing.TB, ctx context.Context, name string) []Violation {
	tb.Helper()
	res := runAxe(tb, ctx)
	report, _ := json.MarshalIndent(res.Violations, "", "  ")
	writeArtifact(tb, name+".axe.json", report)
	Screenshot(tb, ctx, name)
	if len(res.Passes) == 0 {
		tb.Fatal("axe-core checked nothing")
	}
	for _, v := range res.Violations {
		if v.Impact == "serious" || v.Impact == "critical" {
			var where []string
			for _, n := range v.Nodes {
				where = append(where, fmt.Sprint(n.Target)+": "+n.Summary)
			}
			tb.Errorf("axe %s (%s): %s\n  %s", v.ID, v.Impact, v.Help, strings.Join(where, "\n  "))
		}
	}
	return res.Violations
}

// runAxe loads axe-core into the page and runs the WCAG and best-practice rules.
func runAxe(tb testing.TB, ctx context.Context) axeResult {
	tb.Helper()
	src, err := os.ReadFile(axePath(tb))
	if err != nil {
		skipOrFail(tb, "axe-core is not installed: run scripts/axe.sh")
	}
	if !Eval[bool](tb, ctx, string(src)+"\n;typeof axe === 'object'") {
		tb.Fatal("axe-core did not load")
	}
	tags, _ := json.Marshal(axeTags)
	return Eval[axeResult](tb, ctx, fmt.Sprintf(`axe.run(document, {runOnly: {type: 'tag', values: %s}, resultTypes: ['violations']})
		.then(r => ({violations: r.violations, passes: r.passes.map(p => ({id: p.id}))}))`, tags))
}

// axePath is axe.min.js: AXE_CORE_JS, or .tools/ at the module's root.
func axePath(tb testing.TB) string {
	if p := os.Getenv("AXE_CORE_JS"); p != "" {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ".tools", "node_modules", "axe-core", "axe.min.js")
		} else if !errors.Is(err, os.ErrNotExist) {
			tb.Fatal(err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "axe.min.js"
		}
		dir = parent
	}
}
