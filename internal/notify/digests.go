package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"
)

// digestCohortsMax bounds one digest; a trainer with more running cohorts
// sees the ones ending soonest.
const digestCohortsMax = 50

// DigestKeep is how long after its end a cohort still appears in digests.
const DigestKeep = 7 * 24 * time.Hour

type trainer struct {
	ID          string `db:"id"`
	Name        string `db:"name"`
	Language    string `db:"language"`
	NotifyEmail bool   `db:"notify_email"`
}

// One keyset page of the owners of cohorts that ended on or after $1 (and
// were not ended early, archived, by their trainer).
const digestTrainers = `
SELECT u.id, u.name, u.language, u.notify_email
FROM users u
WHERE u.id > $2::uuid
  AND EXISTS (SELECT 1 FROM cohorts co WHERE co.owner_id = u.id AND co.ends_on >= $1 AND co.archived_at IS NULL)
ORDER BY u.id
LIMIT $3`

// A trainer's cohorts with their counts. "Behind" is a member who has not
// completed and whose progress_percent is below the share of the cohort's
// time elapsed on $3 (expected, 0 before the start, 100 after the end);
// "active" is a member with progress since $4 (the last seven days).
const digestCohorts = `
SELECT co.id, co.name, to_char(co.starts_on, 'YYYY-MM-DD') AS starts_on, to_char(co.ends_on, 'YYYY-MM-DD') AS ends_on,
       coalesce(cv.translations -> $5::text ->> 'title', cv.title, c.slug) AS course_title,
       x.expected,
       count(cm.user_id) AS members,
       count(cm.user_id) FILTER (WHERE e.last_activity_at >= $4) AS active,
       count(cm.user_id) FILTER (WHERE e.status = 'completed') AS completed,
       count(cm.user_id) FILTER (WHERE e.status = 'active' AND e.progress_percent < x.expected) AS behind
FROM cohorts co
JOIN courses c ON c.id = co.course_id
LEFT JOIN course_versions cv ON cv.id = c.current_version_id
CROSS JOIN LATERAL (SELECT least(100, greatest(0,
    floor(100.0 * ($3::date - co.starts_on) / (co.ends_on - co.starts_on))))::int AS expected) x
LEFT JOIN cohort_members cm ON cm.cohort_id = co.id
LEFT JOIN enrollments e ON e.id = cm.enrollment_id
WHERE co.owner_id = $1 AND co.ends_on >= $2 AND co.archived_at IS NULL
GROUP BY co.id, cv.id, c.slug, x.expected
ORDER BY co.ends_on, co.id
LIMIT $6`

// Digests handles periodic:digests (weekly): every owner of a cohort still
// running or ended in the last week gets a summary of those cohorts, once per
// ISO week.
func (m *Module) Digests(ctx context.Context, _ *asynq.Task) error {
	now := m.now().UTC()
	since := dateOf(now.Add(-DigestKeep)).Format(time.DateOnly)
	year, week := now.ISOWeek()
	weekKey := fmt.Sprintf("%04d-W%02d", year, week)
	cursor, total := nilUUID, 0
	for {
		var batch []trainer
		if err := m.db.SelectContext(ctx, &batch, digestTrainers, since, cursor, m.BatchSize); err != nil {
			return fmt.Errorf("digests: trainers: %w", err)
		}
		for _, t := range batch {
			n, err := m.inTx(ctx, func(tx *sqlx.Tx) (int, error) { return m.digest(ctx, tx, t, now, weekKey) })
			if err != nil {
				return err
			}
			total += n
		}
		if len(batch) < m.BatchSize {
			break
		}
		cursor = batch[len(batch)-1].ID
	}
	m.logger.Info("digests done", "created", total)
	return nil
}

func (m *Module) digest(ctx context.Context, tx *sqlx.Tx, t trainer, now time.Time, week string) (int, error) {
	var cohorts []DigestCohort
	since := dateOf(now.Add(-DigestKeep)).Format(time.DateOnly)
	if err := tx.SelectContext(ctx, &cohorts, digestCohorts, t.ID, since, dateOf(now).Format(time.DateOnly),
		now.Add(-7*24*time.Hour), t.Language, digestCohortsMax); err != nil {
		return 0, fmt.Errorf("digest for %s: %w", t.ID, err)
	}
	if len(cohorts) == 0 {
		return 0, nil
	}
	key := "digest:" + t.ID + ":" + week
	ok, err := create(ctx, tx, t.ID, KindDigest, key, DigestData{Week: week, Cohorts: cohorts},
		Recipient{Name: t.Name, Language: t.Language}, t.NotifyEmail)
	if err != nil || !ok {
		return 0, err
	}
	return 1, nil
}
