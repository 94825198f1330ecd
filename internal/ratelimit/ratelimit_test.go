package ratelimit

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

// clock is a fake time the limiter reads through its now field.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// newLimiter returns a limiter on the test Redis with its own key prefix and
// a fake clock set to start.
func newLimiter(t *testing.T, start time.Time) (*Limiter, *clock) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: pgtest.RedisAddr()})
	t.Cleanup(func() { rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis: %v", err)
	}
	l := New(rdb, "rltest-"+pgtest.RandomSuffix()+":", slog.New(slog.NewTextHandler(io.Discard, nil)))
	c := &clock{t: start}
	l.now = c.now
	return l, c
}

// A window starting on the minute: 12:00:00 to 12:01:00.
var windowStart = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func TestTakeWindowBoundaryAndRetryAfter(t *testing.T) {
	ctx := context.Background()
	l, c := newLimiter(t, windowStart.Add(15*time.Second))
	for i := range 3 {
		if r := l.Take(ctx, "t", "subject", 3, time.Minute); !r.Allowed {
			t.Fatalf("request %d refused within the limit", i+1)
		}
	}
	c.set(windowStart.Add(59*time.Second + 200*time.Millisecond))
	r := l.Take(ctx, "t", "subject", 3, time.Minute)
	if r.Allowed {
		t.Fatal("fourth request in the window allowed")
	}
	if r.RetryAfter != time.Second {
		t.Fatalf("RetryAfter %v 0.8 s before the window ends, want the 1 s floor", r.RetryAfter)
	}
	c.set(windowStart.Add(20 * time.Second))
	if r := l.Take(ctx, "t", "subject", 3, time.Minute); r.Allowed || r.RetryAfter != 40*time.Second {
		t.Fatalf("at 12:00:20 got %+v, want refused with RetryAfter 40s (the rest of the window)", r)
	}
	c.set(windowStart.Add(time.Minute)) // the next window starts exactly here
	if r := l.Take(ctx, "t", "subject", 3, time.Minute); !r.Allowed {
		t.Fatal("first request of the next window refused")
	}
	if r := l.Take(ctx, "t", "other subject", 3, time.Minute); !r.Allowed {
		t.Fatal("another subject shares the count")
	}
}

func TestCountAddReset(t *testing.T) {
	ctx := context.Background()
	l, c := newLimiter(t, windowStart.Add(5*time.Minute))
	l.Add(ctx, "f", "a", 15*time.Minute)
	l.Add(ctx, "f", "a", 15*time.Minute)
	if n, left := l.Count(ctx, "f", "a", 15*time.Minute); n != 2 || left != 10*time.Minute {
		t.Fatalf("count %d left %v, want 2 and 10m", n, left)
	}
	l.Reset(ctx, "f", "a", 15*time.Minute)
	if n, _ := l.Count(ctx, "f", "a", 15*time.Minute); n != 0 {
		t.Fatalf("count after reset %d", n)
	}
	l.Add(ctx, "f", "a", 15*time.Minute)
	c.set(windowStart.Add(15 * time.Minute))
	if n, _ := l.Count(ctx, "f", "a", 15*time.Minute); n != 0 {
		t.Fatalf("count in the next window %d, want 0", n)
	}
}

// Thirty concurrent attempts against a limit of ten: exactly ten go ahead,
// the check and the count being one step in Redis.
func TestAttemptIsAtomic(t *testing.T) {
	ctx := context.Background()
	l, _ := newLimiter(t, windowStart.Add(time.Minute))
	var allowed, refused atomic.Int32
	var wg sync.WaitGroup
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, blocked := l.Attempt(ctx, "login", 15*time.Minute, Counter{"pair", 10}, Counter{"account", 100})
			if r.Allowed {
				allowed.Add(1)
			} else if blocked == 1 && r.RetryAfter > 0 {
				refused.Add(1)
			}
		}()
	}
	wg.Wait()
	if allowed.Load() != 10 || refused.Load() != 20 {
		t.Fatalf("%d allowed, %d refused by the first counter; want 10 and 20", allowed.Load(), refused.Load())
	}
}

func TestAttemptCountsEveryCounterOrNone(t *testing.T) {
	ctx := context.Background()
	l, c := newLimiter(t, windowStart)
	w := 15 * time.Minute
	// Two addresses share an account ceiling of 3; each address may try 2.
	for _, ip := range []string{"a", "a", "b"} {
		if r, _ := l.Attempt(ctx, "login", w, Counter{"pair:" + ip, 2}, Counter{"account", 3}); !r.Allowed {
			t.Fatalf("attempt from %s refused", ip)
		}
	}
	if r, blocked := l.Attempt(ctx, "login", w, Counter{"pair:a", 2}, Counter{"account", 3}); r.Allowed || blocked != 1 {
		t.Fatalf("third attempt from a: %+v blocked by %d, want the pair counter", r, blocked)
	}
	if n, _ := l.Count(ctx, "login", "account", w); n != 3 {
		t.Fatalf("a refused attempt was counted: account count %d", n)
	}
	c.set(windowStart.Add(10 * time.Minute))
	r, blocked := l.Attempt(ctx, "login", w, Counter{"pair:c", 2}, Counter{"account", 3})
	if r.Allowed || blocked != 2 || r.RetryAfter != 5*time.Minute {
		t.Fatalf("new address past the account ceiling: %+v blocked by %d, want the account counter and 5m", r, blocked)
	}
	l.Forgive(ctx, "login", "account", w)
	if r, _ := l.Attempt(ctx, "login", w, Counter{"pair:c", 2}, Counter{"account", 3}); !r.Allowed {
		t.Fatal("a forgiven attempt still counts")
	}
	c.set(windowStart.Add(w))
	l.Forgive(ctx, "login", "account", w) // a window with no count: nothing to take back, no key left behind
	if n, _ := l.Count(ctx, "login", "account", w); n != 0 {
		t.Fatalf("forgiving in an empty window left count %d", n)
	}
}

func TestFirstOncePerWindow(t *testing.T) {
	ctx := context.Background()
	l, c := newLimiter(t, windowStart)
	if !l.First(ctx, "notice", "x", time.Hour) || l.First(ctx, "notice", "x", time.Hour) {
		t.Fatal("First is not true exactly once in a window")
	}
	c.set(windowStart.Add(time.Hour))
	if !l.First(ctx, "notice", "x", time.Hour) {
		t.Fatal("First is not true again in the next window")
	}
}

// With Redis unreachable the API keeps serving: requests are allowed.
func TestRedisDownAllows(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	l := New(rdb, "x:", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if r := l.Take(context.Background(), "t", "s", 1, time.Minute); !r.Allowed {
		t.Fatal("Take refused with Redis down")
	}
	if r, _ := l.Attempt(context.Background(), "t", time.Minute, Counter{"s", 1}); !r.Allowed {
		t.Fatal("Attempt refused with Redis down")
	}
}
