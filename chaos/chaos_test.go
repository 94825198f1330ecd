package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	tests := []struct {
		name   string
		status int
		err    error
		want   outcome
	}{
		{"ok", 200, nil, outOK},
		{"created", 201, nil, outOK},
		{"client error", 422, nil, outClient},
		{"server error", 500, nil, outServer},
		{"unavailable", 503, nil, outServer},
		{"refused", 0, &net.OpError{Op: "dial", Err: errors.New("connection refused")}, outTransport},
		{"client timeout is a hang", 0, fmt.Errorf("Post: %w", timeoutErr{}), outHang},
		{"deadline is a hang", 0, context.DeadlineExceeded, outHang},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.status, tt.err); got != tt.want {
				t.Errorf("classify(%d, %v) = %d, want %d", tt.status, tt.err, got, tt.want)
			}
		})
	}
}

func TestFirstSuccessAfter(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newStats()
	s.batchOK(t0.Add(-time.Second), t0.Add(time.Second)) // sent before the fault ended: not a recovery
	s.batchOK(t0.Add(2*time.Second), t0.Add(3*time.Second))
	s.batchOK(t0.Add(time.Second), t0.Add(4*time.Second))
	if d, ok := s.firstSuccessAfter(t0); !ok || d != 3*time.Second {
		t.Errorf("firstSuccessAfter = %s, %v; want 3s, true", d, ok)
	}
	if _, ok := newStats().firstSuccessAfter(t0); ok {
		t.Error("no success must report none")
	}
}

func TestLedger(t *testing.T) {
	l := newLedger()
	evs := []event{{ID: "a"}, {ID: "b"}, {ID: "c"}}
	l.sent(1, evs)
	l.sent(2, evs[:1]) // a resend keeps the phase it was first sent in
	if n := l.ack(evs, map[string]bool{"c": true}); n != 2 {
		t.Errorf("ack = %d, want 2 (c was rejected)", n)
	}
	if n := l.ack(evs, nil); n != 1 {
		t.Errorf("second ack = %d, want 1 (only c is new)", n)
	}
	if got := l.ids(1, true); len(got) != 3 {
		t.Errorf("acked ids of phase 1 = %v", got)
	}
	if got := l.ids(2, true); len(got) != 0 {
		t.Errorf("phase 2 has no events of its own, got %v", got)
	}
}

// TestFailures checks that the report fails the run on a lost event, a
// duplicate, a hang or a missing certificate, and passes a clean run.
func TestFailures(t *testing.T) {
	clean := func() (*run, *finalResult) {
		r := &run{completersOf: [][]*learner{{{}, {}}}}
		p := &phaseResult{name: "x", stats: newStats(), cn: &counters{}, completed: 2,
			certs: certCounts{enrollments: 2, completed: 2, certifiedOnce: 2}}
		r.results = []*phaseResult{p}
		f := &finalResult{after: certCounts{completed: 2, certifiedOnce: 2},
			global: globalResult{acked: 10, stored: 10, distinct: 10}}
		return r, f
	}
	tests := []struct {
		name  string
		spoil func(r *run, f *finalResult)
		want  string
	}{
		{"clean run", func(*run, *finalResult) {}, ""},
		{"lost event", func(r *run, _ *finalResult) { r.results[0].events.lost = 1 }, "lost"},
		{"duplicate", func(r *run, _ *finalResult) { r.results[0].events.duplicated = 1 }, "more than once"},
		{"hang", func(r *run, _ *finalResult) { r.results[0].stats.hangs = 1 }, "hung"},
		{"missing certificate", func(_ *run, f *finalResult) { f.after.uncertified = 1 }, "without a certificate"},
		{"stuck outbox", func(_ *run, f *finalResult) { f.global.outboxOld = 1 }, "stuck"},
		{"learner could not finish", func(r *run, _ *finalResult) { r.results[0].completed = 1 }, "could not finish"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, f := clean()
			tt.spoil(r, f)
			got := strings.Join(r.failures(f), "\n")
			if tt.want == "" && got != "" {
				t.Fatalf("clean run failed: %s", got)
			}
			if !strings.Contains(got, tt.want) {
				t.Fatalf("failures %q do not mention %q", got, tt.want)
			}
		})
	}
}
