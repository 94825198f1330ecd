package main

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// request is one HTTP request of a scenario and how to judge its answer.
type request struct {
	method, path, token, contentType string
	body                             []byte
	want                             int
	// check validates the response body; nil accepts any body.
	check func(body []byte) error
	// rows is what one successful request counts for (events accepted...).
	rows int
}

// measurement is a closed-loop run's outcome.
type measurement struct {
	Requests   int64         `json:"requests"`
	Errors     int64         `json:"errors"`
	Rows       int64         `json:"rows"`
	Elapsed    time.Duration `json:"elapsed_ns"`
	Throughput float64       `json:"throughput"` // successful requests per second
	RowsPerSec float64       `json:"rows_per_sec,omitempty"`
	P50, P99   time.Duration `json:"-"`
	P50ms      float64       `json:"p50_ms"`
	P99ms      float64       `json:"p99_ms"`
	FirstError string        `json:"first_error,omitempty"`
	// ServerCPUms is the CPU time (user + system) the server under test
	// spent per successful request during the measured window.
	ServerCPUms float64 `json:"server_cpu_ms_per_request,omitempty"`
	// LoadCPUms is the CPU time this load process spent per successful
	// request in the same window: the client's share of the same cores
	// (for an in-process reference, the reference's own cost).
	LoadCPUms float64 `json:"load_cpu_ms_per_request,omitempty"`
}

// selfCPU returns the CPU time (user + system) this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// probe, when set, returns the CPU time the server under test has used; loop
// reads it at the start and end of the measured window.
var probe func() time.Duration

func (m *measurement) finish(lat []time.Duration) {
	secs := m.Elapsed.Seconds()
	if secs > 0 {
		m.Throughput = float64(m.Requests-m.Errors) / secs
		m.RowsPerSec = float64(m.Rows) / secs
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		m.P50 = lat[len(lat)*50/100]
		m.P99 = lat[min(len(lat)-1, len(lat)*99/100)]
	}
	m.P50ms, m.P99ms = ms(m.P50), ms(m.P99)
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/10) / 100 }

// cpuMs gives CPU time per request in milliseconds to the microsecond: the
// per-request costs compared here differ by a few microseconds.
func cpuMs(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// closedLoop runs conns HTTP workers, each sending the next request as soon
// as the previous answer arrived, over at most conns keep-alive connections.
func closedLoop(client *fasthttp.HostClient, conns int, warmup, dur time.Duration, next func(worker int) request) measurement {
	reqs := make([]*fasthttp.Request, conns)
	resps := make([]*fasthttp.Response, conns)
	for i := range conns {
		reqs[i], resps[i] = fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	}
	return loop(conns, warmup, dur, func(w int) (int, error) {
		r := next(w)
		if r.method == "" {
			return 0, errNoPool
		}
		if err := do(client, reqs[w], resps[w], r); err != nil {
			return 0, err
		}
		return r.rows, nil
	})
}

// loop runs fn on conns workers in a closed loop for warmup (not counted)
// then dur, timing each call; fn returns the rows one call counts for.
func loop(conns int, warmup, dur time.Duration, fn func(worker int) (int, error)) measurement {
	var (
		wg       sync.WaitGroup
		counting atomic.Bool
		stop     atomic.Bool
		mu       sync.Mutex
		all      []time.Duration
		m        measurement
		firstErr atomic.Value
	)
	var reqs, errs, rows atomic.Int64
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 4096)
			for !stop.Load() {
				start := time.Now()
				n, err := fn(w)
				elapsed := time.Since(start)
				if !counting.Load() {
					if errors.Is(err, errNoPool) {
						time.Sleep(10 * time.Millisecond)
					}
					continue
				}
				reqs.Add(1)
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					if errors.Is(err, errNoPool) {
						time.Sleep(10 * time.Millisecond)
					}
					continue
				}
				rows.Add(int64(n))
				lat = append(lat, elapsed)
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	time.Sleep(warmup)
	var cpu0 time.Duration
	if probe != nil {
		cpu0 = probe()
	}
	self0 := selfCPU()
	counting.Store(true)
	start := time.Now()
	time.Sleep(dur)
	counting.Store(false)
	m.Elapsed = time.Since(start)
	if ok := reqs.Load() - errs.Load(); ok > 0 {
		m.LoadCPUms = cpuMs((selfCPU() - self0) / time.Duration(ok))
		if probe != nil {
			m.ServerCPUms = cpuMs((probe() - cpu0) / time.Duration(ok))
		}
	}
	stop.Store(true)
	wg.Wait()
	m.Requests, m.Errors, m.Rows = reqs.Load(), errs.Load(), rows.Load()
	if e, ok := firstErr.Load().(string); ok {
		m.FirstError = e
	}
	m.finish(all)
	return m
}

// do sends r and judges the answer.
func do(client *fasthttp.HostClient, req *fasthttp.Request, resp *fasthttp.Response, r request) error {
	req.Reset()
	resp.Reset()
	req.Header.SetMethod(r.method)
	req.SetRequestURI("http://" + client.Addr + r.path)
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	if r.body != nil {
		req.Header.SetContentType(r.contentType)
		req.SetBodyRaw(r.body)
	}
	if err := client.DoTimeout(req, resp, 60*time.Second); err != nil {
		return err
	}
	if resp.StatusCode() != r.want {
		return fmt.Errorf("%s %s: status %d, want %d: %.200s", r.method, r.path, resp.StatusCode(), r.want, resp.Body())
	}
	if r.check != nil {
		if err := r.check(resp.Body()); err != nil {
			return fmt.Errorf("%s %s: %w", r.method, r.path, err)
		}
	}
	return nil
}

var errNoPool = errors.New("the generated pool for this scenario is empty")
