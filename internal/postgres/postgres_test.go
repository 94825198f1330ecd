package postgres

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/lib/pq"
)

func TestSessionDSN(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
	}{
		{"postgres://u@h:5432/db?sslmode=disable",
			map[string]string{"sslmode": "disable", "connect_timeout": "5", "timezone": "UTC", "binary_parameters": "yes"}},
		// What the URL says wins: an operator can turn binary parameters off.
		{"postgres://u@h/db?binary_parameters=no&timezone=Europe/Paris&connect_timeout=2",
			map[string]string{"connect_timeout": "2", "timezone": "Europe/Paris", "binary_parameters": "no"}},
	}
	for _, tt := range tests {
		got, err := sessionDSN(tt.in, 5*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range tt.want {
			if g := u.Query().Get(k); g != v {
				t.Errorf("%s: %s = %q, want %q", tt.in, k, g, v)
			}
		}
	}
	if _, err := sessionDSN("postgres://u@h:badport/db", time.Second); err == nil {
		t.Error("a URL that does not parse was accepted")
	}
}

func TestRetry(t *testing.T) {
	deadlock := &pq.Error{Code: "40P01", Message: "deadlock detected"}
	other := errors.New("no such table")
	run := func(ctx context.Context, errs ...error) (calls int, err error) {
		err = Retry(ctx, func() error {
			calls++
			if calls <= len(errs) {
				return errs[calls-1]
			}
			return nil
		})
		return calls, err
	}
	if calls, err := run(context.Background(), deadlock, deadlock); err != nil || calls != 3 {
		t.Errorf("two deadlocks then success: %d calls, %v; want 3 calls and no error", calls, err)
	}
	if calls, err := run(context.Background(), other, deadlock); err != other || calls != 1 {
		t.Errorf("an error that is not a conflict: %d calls, %v; want it returned after 1 call", calls, err)
	}
	if calls, err := run(context.Background(), deadlock, deadlock, deadlock, deadlock, deadlock, deadlock); err != deadlock || calls != 5 {
		t.Errorf("deadlocks every time: %d calls, %v; want the deadlock after 5 calls", calls, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if calls, err := run(ctx, deadlock, deadlock); err != deadlock || calls != 1 {
		t.Errorf("cancelled: %d calls, %v; want the deadlock after 1 call", calls, err)
	}
}
