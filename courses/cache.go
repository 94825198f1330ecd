package courses

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"
)

// rendered is a catalogue response ready to send.
type rendered struct {
	body []byte
	etag string
	gen  int64
}

func newRendered(body []byte, gen int64) rendered {
	sum := sha256.Sum256(body)
	return rendered{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, gen: gen}
}

// responseCache keeps rendered catalogue responses keyed by their normalised
// query. Every course write bumps catalogue_state.generation (a trigger), and
// each instance reads that number at most once per interval, so several API
// instances serve a change within about a second; the instance that made the
// write sees it at once.
type responseCache struct {
	db         *sqlx.DB
	every      time.Duration
	maxEntries int

	mu        sync.RWMutex
	gen       int64
	checkedAt time.Time
	entries   map[string]rendered

	refreshing atomic.Bool
}

func newResponseCache(db *sqlx.DB, every time.Duration) *responseCache {
	return &responseCache{db: db, every: every, maxEntries: 10000, gen: -1, entries: map[string]rendered{}}
}

// generation returns the catalogue generation, reading it from the database
// when the last read is older than the interval; -1 means unknown (do not cache).
func (c *responseCache) generation(ctx context.Context) int64 {
	c.mu.RLock()
	gen, at := c.gen, c.checkedAt
	c.mu.RUnlock()
	if gen >= 0 && time.Since(at) < c.every {
		return gen
	}
	// One request reads; the others keep serving the generation they know.
	if !c.refreshing.CompareAndSwap(false, true) {
		return gen
	}
	defer c.refreshing.Store(false)
	var g int64
	if err := c.db.GetContext(ctx, &g, `SELECT generation FROM catalogue_state`); err != nil {
		return -1
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if g != c.gen {
		c.entries = map[string]rendered{}
	}
	c.gen, c.checkedAt = g, time.Now()
	return g
}

// get returns the cached response for key, rendering it when missing or stale.
func (c *responseCache) get(ctx context.Context, key string, render func() ([]byte, error)) (rendered, error) {
	gen := c.generation(ctx)
	if gen >= 0 {
		c.mu.RLock()
		r, ok := c.entries[key]
		c.mu.RUnlock()
		if ok && r.gen == gen {
			return r, nil
		}
	}
	body, err := render()
	if err != nil {
		return rendered{}, err
	}
	r := newRendered(body, gen)
	if gen < 0 {
		return r, nil
	}
	c.mu.Lock()
	if len(c.entries) >= c.maxEntries {
		c.entries = map[string]rendered{}
	}
	if c.gen == gen {
		c.entries[key] = r
	}
	c.mu.Unlock()
	return r, nil
}

// invalidate drops every entry after a write through this instance.
func (c *responseCache) invalidate() {
	c.mu.Lock()
	c.gen, c.entries = -1, map[string]rendered{}
	c.mu.Unlock()
}

// catalogueCacheControl lets browsers and shared caches keep public catalogue
// responses for a minute; the ETag makes revalidation cheap.
const catalogueCacheControl = "public, max-age=60"

// sendRendered answers with the rendered response, or 304 when the client's
// If-None-Match already names it.
func sendRendered(c *fiber.Ctx, r rendered) error {
	c.Set(fiber.HeaderCacheControl, catalogueCacheControl)
	c.Set(fiber.HeaderETag, r.etag)
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), r.etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(r.body)
}

// etagMatches implements If-None-Match's weak comparison over a list of tags.
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
