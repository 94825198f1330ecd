package main

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// retry runs a database check until it succeeds (ten tries): the harness's
// own connections die with the faults it injects.
func (r *run) retry(ctx context.Context, fn func(ctx context.Context) error) error {
	var err error
	for range 10 {
		qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = fn(qctx)
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
		sleepCtx(ctx, 500*time.Millisecond)
	}
	return err
}

// eventCheck counts, for the events the server acknowledged, how many are
// not stored (lost) and how many are stored more than once.
type eventCheck struct {
	acked      int
	lost       int
	duplicated int
	unacked    int // events given up on by the client (not acknowledged)
	unackedIn  int // of those, stored anyway
}

const eventCheckSQL = `SELECT count(*) FILTER (WHERE n = 0), count(*) FILTER (WHERE n > 1)
	FROM (SELECT (SELECT count(*) FROM progress_events p WHERE p.id = x.id) AS n
	      FROM unnest($1::uuid[]) AS x(id)) s`

func (r *run) checkEvents(ctx context.Context, acked, unacked []string) (eventCheck, error) {
	c := eventCheck{acked: len(acked), unacked: len(unacked)}
	err := r.retry(ctx, func(ctx context.Context) error {
		if err := r.db.QueryRowContext(ctx, eventCheckSQL, pq.StringArray(acked)).Scan(&c.lost, &c.duplicated); err != nil {
			return err
		}
		var missing, dup int
		if err := r.db.QueryRowContext(ctx, eventCheckSQL, pq.StringArray(unacked)).Scan(&missing, &dup); err != nil {
			return err
		}
		c.unackedIn = len(unacked) - missing
		return nil
	})
	return c, err
}

// certCounts are the completed enrollments and their certificates.
type certCounts struct {
	enrollments   int
	completed     int
	certifiedOnce int
	uncertified   int // completed, no certificate
	multiple      int // more than one certificate
	premature     int // a certificate for an enrollment not completed
}

// certCounts counts for the given enrollments, or all when ids is nil.
func (r *run) certCounts(ctx context.Context, ids []string) (certCounts, error) {
	const q = `SELECT count(*), count(*) FILTER (WHERE e.status = 'completed'),
			count(*) FILTER (WHERE e.status = 'completed' AND c.n = 1),
			count(*) FILTER (WHERE e.status = 'completed' AND c.n = 0),
			count(*) FILTER (WHERE c.n > 1),
			count(*) FILTER (WHERE e.status <> 'completed' AND c.n > 0)
		FROM enrollments e
		CROSS JOIN LATERAL (SELECT count(*) AS n FROM certificates c WHERE c.enrollment_id = e.id) c
		WHERE $1::uuid[] IS NULL OR e.id = ANY($1::uuid[])`
	var c certCounts
	var arg any
	if ids != nil {
		arg = pq.StringArray(ids)
	}
	err := r.retry(ctx, func(ctx context.Context) error {
		return r.db.QueryRowContext(ctx, q, arg).Scan(&c.enrollments, &c.completed, &c.certifiedOnce,
			&c.uncertified, &c.multiple, &c.premature)
	})
	return c, err
}

func (r *run) stuckOutbox(ctx context.Context) (int64, error) {
	var n int64
	err := r.retry(ctx, func(ctx context.Context) error {
		return r.db.QueryRowContext(ctx, `SELECT count(*) FROM outbox
			WHERE sent_at IS NULL AND created_at < now() - interval '30 seconds'`).Scan(&n)
	})
	return n, err
}

// verifyPhase checks the phase's events, waits (bounded) for the phase's
// completed enrollments to be certified, and counts stuck outbox rows.
func (r *run) verifyPhase(ctx context.Context, i int, res *phaseResult) error {
	var err error
	if res.events, err = r.checkEvents(ctx, r.gen.ledger.ids(i, true), r.gen.ledger.ids(i, false)); err != nil {
		return err
	}
	ids := make([]string, 0, len(r.completersOf[i]))
	for _, l := range r.completersOf[i] {
		ids = append(ids, l.enrollmentID)
	}
	bound := 45 * time.Second
	if r.o.quick {
		bound = 20 * time.Second
	}
	start := time.Now()
	for {
		if res.certs, err = r.certCounts(ctx, ids); err != nil {
			return err
		}
		if res.certs.uncertified == 0 || time.Since(start) > bound {
			break
		}
		sleepCtx(ctx, 500*time.Millisecond)
	}
	res.certWait = time.Since(start)
	res.stuck, err = r.stuckOutbox(ctx)
	return err
}

// globalResult is the whole-database check at the end of the run.
type globalResult struct {
	acked, stored, distinct  int
	lost, storedNotAcked     int
	completionMismatch       int // lessons whose completion disagrees with the events
	counterMismatch          int // enrollments whose lessons_completed disagrees with lesson_completions
	completedWithoutWork     int // completed enrollments missing a lesson or a passed quiz
	outboxUnsent, outboxOld  int
	outboxRows, outboxFailed int
}

func (r *run) globalChecks(ctx context.Context) (globalResult, error) {
	var g globalResult
	acked := r.gen.ledger.ids(-1, true)
	g.acked = len(acked)
	err := r.retry(ctx, func(ctx context.Context) error {
		if err := r.db.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT id) FROM progress_events`).Scan(&g.stored, &g.distinct); err != nil {
			return err
		}
		var dup int
		if err := r.db.QueryRowContext(ctx, eventCheckSQL, pq.StringArray(acked)).Scan(&g.lost, &dup); err != nil {
			return err
		}
		if err := r.db.QueryRowContext(ctx, `SELECT count(*) FROM progress_events WHERE NOT (id = ANY($1::uuid[]))`,
			pq.StringArray(acked)).Scan(&g.storedNotAcked); err != nil {
			return err
		}
		const completions = `WITH firsts AS (
				SELECT enrollment_id, lesson_id, min(occurred_at) AS first FROM progress_events GROUP BY 1, 2)
			SELECT
			  (SELECT count(*) FROM firsts f FULL JOIN lesson_completions lc USING (enrollment_id, lesson_id)
			   WHERE f.first IS DISTINCT FROM lc.completed_at),
			  (SELECT count(*) FROM enrollments e LEFT JOIN enrollment_progress ep ON ep.enrollment_id = e.id
			   WHERE coalesce(ep.lessons_completed, 0) <> (SELECT count(*) FROM lesson_completions lc WHERE lc.enrollment_id = e.id)),
			  (SELECT count(*) FROM enrollments e WHERE e.status = 'completed' AND (
			     (SELECT count(*) FROM lesson_completions lc WHERE lc.enrollment_id = e.id)
			       < (SELECT count(*) FROM lessons l WHERE l.version_id = e.version_id)
			     OR EXISTS (SELECT 1 FROM quizzes q WHERE q.version_id = e.version_id AND NOT EXISTS (
			       SELECT 1 FROM quiz_attempts a WHERE a.enrollment_id = e.id AND a.quiz_id = q.id AND a.passed))))`
		if err := r.db.QueryRowContext(ctx, completions).Scan(&g.completionMismatch, &g.counterMismatch, &g.completedWithoutWork); err != nil {
			return err
		}
		return r.db.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE sent_at IS NULL),
				count(*) FILTER (WHERE sent_at IS NULL AND created_at < now() - interval '30 seconds'),
				count(*) FILTER (WHERE attempts > 1 OR last_error IS NOT NULL)
			FROM outbox`).Scan(&g.outboxRows, &g.outboxUnsent, &g.outboxOld, &g.outboxFailed)
	})
	if err != nil {
		return g, fmt.Errorf("global checks: %w", err)
	}
	return g, nil
}

// finalResult is the end of the run: certificates after a bounded wait (and
// after the sweep, when it had to run) and the whole-database checks.
type finalResult struct {
	before, after   certCounts
	waited          time.Duration
	sweepRun        bool
	queued          int64    // tasks asynq still had when the wait ended
	orphans         []string // what became of the tasks the killed worker was running
	global          globalResult
	archived        int64
	retrying        int64
	unexpectedExits int
	errorLines      []string
}
