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
