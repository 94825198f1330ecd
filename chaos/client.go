package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// outcome classifies one HTTP exchange.
type outcome int

const (
	outOK        outcome = iota // 2xx
	outClient                   // 4xx
	outServer                   // 5xx
	outTransport                // no HTTP answer: refused, reset, EOF
	outHang                     // no answer within the client timeout
)

// stats counts the requests of one phase; a request belongs to the phase
// that was current when it started.
type stats struct {
	mu        sync.Mutex
	sent      int
	ok        int
	byStatus  map[int]int
	transport int
	hangs     int
	latencies []time.Duration
	// successes holds when each successful progress batch started and ended,
	// for recovery times.
	successes [][2]time.Time
}

func newStats() *stats { return &stats{byStatus: map[int]int{}} }

func (s *stats) record(o outcome, status int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent++
	switch o {
	case outOK:
		s.ok++
	case outClient, outServer:
		s.byStatus[status]++
	case outTransport:
		s.transport++
	case outHang:
		s.hangs++
	}
	if o != outHang {
		s.latencies = append(s.latencies, d)
	}
}

func (s *stats) batchOK(start, end time.Time) {
	s.mu.Lock()
	s.successes = append(s.successes, [2]time.Time{start, end})
	s.mu.Unlock()
}

// firstSuccessAfter is how long after t the first progress batch sent at or
// after t succeeded.
func (s *stats) firstSuccessAfter(t time.Time) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	best := time.Duration(-1)
	for _, p := range s.successes {
		if !p[0].Before(t) && (best < 0 || p[1].Sub(t) < best) {
			best = p[1].Sub(t)
		}
	}
	return best, best >= 0
}

func (s *stats) fivexx() (n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for code, c := range s.byStatus {
		if code >= 500 {
			n += c
		}
	}
	return n
}

func (s *stats) fourxx() (n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for code, c := range s.byStatus {
		if code < 500 {
			n += c
		}
	}
	return n
}

// statusSummary lists the non-2xx statuses, such as "500×12 503×3".
func (s *stats) statusSummary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	codes := make([]int, 0, len(s.byStatus))
	for c := range s.byStatus {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	out := ""
	for _, c := range codes {
		if out != "" {
			out += " "
		}
		out += fmt.Sprintf("%d×%d", c, s.byStatus[c])
	}
	if out == "" {
		return "none"
	}
	return out
}

func (s *stats) percentile(p float64) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return percentile(s.latencies, p)
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	c := slices.Clone(ds)
	slices.Sort(c)
	i := int(p * float64(len(c)-1))
	return c[i]
}

// client is the load generator's HTTP client: the timeout sits a little above
// the server's REQUEST_TIMEOUT, so a request that reaches it has hung.
type client struct {
	base    string
	http    *http.Client
	current atomic.Pointer[stats]
}

func newClient(base string, timeout time.Duration) *client {
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second,
		DialContext: (&net.Dialer{Timeout: 2 * time.Second}).DialContext}
	c := &client{base: base, http: &http.Client{Timeout: timeout, Transport: tr}}
	c.current.Store(newStats())
	return c
}

// response is what the harness keeps of an answer.
type response struct {
	status  int
	body    []byte
	outcome outcome
	err     error
}

func classify(status int, err error) outcome {
	if err != nil {
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
			return outHang
		}
		return outTransport
	}
	switch {
	case status >= 500:
		return outServer
	case status >= 400:
		return outClient
	}
	return outOK
}

// do sends one request and records it in the current phase's stats.
func (c *client) do(ctx context.Context, method, path, token string, body any) response {
	st := c.current.Load()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return response{err: err, outcome: outTransport}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return response{err: err, outcome: outTransport}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	var r response
	if err == nil {
		r.body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		r.status = resp.StatusCode
	}
	if ctx.Err() != nil && err != nil {
		// the harness itself gave up (end of a drain): not the server's doing
		return response{err: err, outcome: outTransport}
	}
	r.err = err
	r.outcome = classify(r.status, err)
	st.record(r.outcome, r.status, time.Since(start))
	return r
}

func (c *client) json(ctx context.Context, method, path, token string, body, out any, want ...int) error {
	r := c.do(ctx, method, path, token, body)
	if r.err != nil {
		return r.err
	}
	if !slices.Contains(want, r.status) {
		return fmt.Errorf("%s %s: status %d: %s", method, path, r.status, truncate(r.body, 300))
	}
	if out != nil {
		return json.Unmarshal(r.body, out)
	}
	return nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
