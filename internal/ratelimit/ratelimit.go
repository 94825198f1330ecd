// Package ratelimit counts requests in fixed windows kept in Redis, so that
// every API instance shares the same counters.
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// Limiter is a fixed-window counter store.
type Limiter struct {
	rdb    redis.UniversalClient
	prefix string
	logger *slog.Logger
	now    func() time.Time
}

// New returns a limiter whose keys start with prefix (tests use a unique one).
func New(rdb redis.UniversalClient, prefix string, logger *slog.Logger) *Limiter {
	return &Limiter{rdb: rdb, prefix: prefix, logger: logger, now: time.Now}
}

// Result says whether a request may proceed and, if not, when to retry.
type Result struct {
	Allowed    bool
	RetryAfter time.Duration
}

func (l *Limiter) key(name, subject string, window time.Duration) (string, time.Duration) {
	now := l.now()
	start := now.Truncate(window)
	h := sha256.Sum256([]byte(subject)) // never put an email or IP in clear in Redis
	k := fmt.Sprintf("%srl:%s:%s:%d", l.prefix, name, hex.EncodeToString(h[:12]), start.Unix())
	return k, start.Add(window).Sub(now)
}

// Take counts one request of subject against limit per window. When Redis is
// unreachable the request is allowed (the API keeps serving) and a warning logged.
func (l *Limiter) Take(ctx context.Context, name, subject string, limit int, window time.Duration) Result {
	k, left := l.key(name, subject, window)
	n, err := l.incr(ctx, k, window)
	if err != nil {
		l.logger.Warn("rate limiter unavailable; allowing request", "limiter", name, "error", err.Error())
		return Result{Allowed: true}
	}
	if n > int64(limit) {
		return Result{Allowed: false, RetryAfter: max(left, time.Second)}
	}
	return Result{Allowed: true}
}

// Count returns how many hits subject has in the current window without adding one.
func (l *Limiter) Count(ctx context.Context, name, subject string, window time.Duration) (int, time.Duration) {
	k, left := l.key(name, subject, window)
	n, err := l.rdb.Get(ctx, k).Int()
	if err != nil {
		return 0, left
	}
	return n, left
}

// Add counts one hit for subject without checking a limit.
func (l *Limiter) Add(ctx context.Context, name, subject string, window time.Duration) {
	k, _ := l.key(name, subject, window)
	if _, err := l.incr(ctx, k, window); err != nil {
		l.logger.Warn("rate limiter unavailable", "limiter", name, "error", err.Error())
	}
}

// Reset forgets subject's hits in the current window.
func (l *Limiter) Reset(ctx context.Context, name, subject string, window time.Duration) {
	k, _ := l.key(name, subject, window)
	l.rdb.Del(ctx, k)
}

func (l *Limiter) incr(ctx context.Context, key string, window time.Duration) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	pipe := l.rdb.TxPipeline()
	incr := pipe.Incr(ctx, key)
	pipe.Expire(ctx, key, window+time.Second)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, err
	}
	return incr.Val(), nil
}

// Counter is one limit an attempt is counted against: at most Limit
// attempts of Subject per window.
type Counter struct {
	Subject string
	Limit   int
}

// attemptScript checks every counter and, only when all are below their
// limits, counts the attempt in all of them: one script, so concurrent
// attempts can never all pass the check before any of them is counted. It
// returns 0 when the attempt may go ahead, else the (1-based) number of the
// first counter at its limit.
var attemptScript = redis.NewScript(`
for i, k in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', k) or '0')
  if n >= tonumber(ARGV[i + 1]) then return i end
end
for _, k in ipairs(KEYS) do
  redis.call('INCR', k)
  redis.call('PEXPIRE', k, ARGV[1])
end
return 0`)

// Attempt counts one attempt against every counter of name at once, or
// refuses it (Blocked says by which counter, from 1) when any is at its
// limit. Refused attempts are not counted. When Redis is unreachable the
// attempt is allowed and a warning logged, as with Take.
func (l *Limiter) Attempt(ctx context.Context, name string, window time.Duration, counters ...Counter) (res Result, blocked int) {
	keys := make([]string, len(counters))
	args := []any{(window + time.Second).Milliseconds()}
	var left time.Duration
	for i, c := range counters {
		keys[i], left = l.key(name, c.Subject, window)
		args = append(args, c.Limit)
	}
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	n, err := attemptScript.Run(ctx, l.rdb, keys, args...).Int()
	if err != nil {
		l.logger.Warn("rate limiter unavailable; allowing request", "limiter", name, "error", err.Error())
		return Result{Allowed: true}, 0
	}
	if n > 0 {
		return Result{Allowed: false, RetryAfter: max(left, time.Second)}, n
	}
	return Result{Allowed: true}, 0
}

// Forgive takes back one attempt of subject counted by Attempt or Take in
// the current window (a sign-in that succeeded is no failure).
func (l *Limiter) Forgive(ctx context.Context, name, subject string, window time.Duration) {
	k, _ := l.key(name, subject, window)
	if err := forgiveScript.Run(ctx, l.rdb, []string{k}).Err(); err != nil {
		l.logger.Warn("rate limiter unavailable", "limiter", name, "error", err.Error())
	}
}

// forgiveScript decrements a counter that still exists (never one whose
// window has ended, which would leave a key without expiry behind).
var forgiveScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 and tonumber(redis.call('GET', KEYS[1])) > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0`)

// First reports whether this is the first call for subject in the current
// window (used to send one notice per window, however many attempts).
func (l *Limiter) First(ctx context.Context, name, subject string, window time.Duration) bool {
	k, _ := l.key(name, subject, window)
	ok, err := l.rdb.SetNX(ctx, k, 1, window+time.Second).Result()
	return err == nil && ok
}
