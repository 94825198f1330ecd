package learners

import (
	"context"
	"fmt"
	"sync"

	"github.com/jmoiron/sqlx"
)

// outline is a course version's lessons and quizzes, by id, in course order.
type outline struct {
	lessons, quizzes []string
}

// outlines keeps the outline of every version a progress page has shown.
// An entry never goes stale: enrollments pin published versions only, and a
// published version is never changed (a change to a course is a new
// version; only a draft, which nobody is enrolled in, is ever replaced).
type outlines struct {
	mu sync.RWMutex
	m  map[string]outline // version id → outline
}

// maxOutlines bounds the cache; past it, it starts over.
const maxOutlines = 10_000

func (c *outlines) get(ctx context.Context, db sqlx.QueryerContext, versionID string) (outline, error) {
	c.mu.RLock()
	o, ok := c.m[versionID]
	c.mu.RUnlock()
	if ok {
		return o, nil
	}
	const lessons = `SELECT l.id FROM lessons l JOIN course_modules m ON m.id = l.module_id
		WHERE l.version_id = $1 ORDER BY m.position, l.position`
	const quizzes = `SELECT q.id FROM quizzes q JOIN course_modules m ON m.id = q.module_id
		WHERE q.version_id = $1 ORDER BY m.position`
	if err := sqlx.SelectContext(ctx, db, &o.lessons, lessons, versionID); err != nil {
		return o, fmt.Errorf("outline lessons: %w", err)
	}
	if err := sqlx.SelectContext(ctx, db, &o.quizzes, quizzes, versionID); err != nil {
		return o, fmt.Errorf("outline quizzes: %w", err)
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxOutlines {
		c.m = map[string]outline{}
	}
	c.m[versionID] = o
	c.mu.Unlock()
	return o, nil
}
