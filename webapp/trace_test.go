package webapp

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// traceLines bounds the trace kept for a failed test: its last lines are
// the ones near the failure.
const traceLines = 400

// traceOnFailure records what the page did (its page loads and API calls,
// whether the service worker or the disk cache answered, failed requests
// with the browser's reason, and console messages) and prints it when the
// test fails, so that a failure seen once in CI can be explained.
func (w *world) traceOnFailure() {
	var mu sync.Mutex
	var lines []string
	urls := map[network.RequestID]string{}
	add := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, time.Now().UTC().Format("15:04:05.000 ")+fmt.Sprintf(format, args...))
		if len(lines) > traceLines {
			lines = lines[len(lines)-traceLines:]
		}
	}
	watched := func(url string, typ network.ResourceType) bool {
		return strings.Contains(url, "/v1/") || typ == network.ResourceTypeDocument
	}
	chromedp.Listen(w.ctx, func(ev any) {
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			mu.Lock()
			urls[e.RequestID] = e.Request.URL
			mu.Unlock()
			if watched(e.Request.URL, e.Type) {
				add("request %s %s", e.Request.Method, e.Request.URL)
			}
		case *network.EventResponseReceived:
			if watched(e.Response.URL, e.Type) {
				add("answer %d (service worker %v, disk cache %v) %s", e.Response.Status, e.Response.FromServiceWorker, e.Response.FromDiskCache, e.Response.URL)
			}
		case *network.EventLoadingFailed:
			mu.Lock()
			url := urls[e.RequestID]
			mu.Unlock()
			add("failed %s (canceled %v) %s", e.ErrorText, e.Canceled, url)
		case *runtime.EventConsoleAPICalled:
			var args []string
			for _, a := range e.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			add("console.%s %s", e.Type, strings.Join(args, " "))
		}
	})
	w.t.Cleanup(func() {
		if !w.t.Failed() {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		w.t.Logf("what the page did, last %d lines:\n%s", traceLines, strings.Join(lines, "\n"))
	})
}
