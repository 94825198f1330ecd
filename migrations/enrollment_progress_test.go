package migrations_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
	"github.com/cybercampus/cybercampus/migrations"
)

// TestEnrollmentProgressMovesOut migrates enrollments at three stages (no
// activity, half done, completed) through 00210_enrollment_progress and back:
// their lessons done, percentage and last activity must read the same on
// both sides.
func TestEnrollmentProgressMovesOut(t *testing.T) {
	ctx := context.Background()
	d, err := pgtest.New("progressmove")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, err := migrations.Provider(d.DB.DB, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 200); err != nil {
		t.Fatalf("migrate down to 200: %v", err)
	}

	type stage struct {
		name, status string
		done, pct    int
		last         *time.Time
	}
	t1 := time.Date(2026, 3, 4, 5, 6, 7, 891011000, time.UTC)
	t2 := t1.Add(48 * time.Hour)
	stages := []stage{
		{"no activity", "active", 0, 0, nil},
		{"half done", "active", 2, 50, &t1},
		{"completed", "completed", 4, 100, &t2},
	}
	var versionID, courseID string
	err = d.QueryRow(`WITH c AS (INSERT INTO courses (slug) VALUES ('progress-move') RETURNING id)
		INSERT INTO course_versions (course_id, version, status, title, summary, level, audiences, language, languages, document, document_hash)
		SELECT id, 1, 'published', 'T', 'S', 'beginner', '{youth}', 'en', '{en}', '{}', 'h' FROM c
		RETURNING id, course_id`).Scan(&versionID, &courseID)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(stages))
	for i, s := range stages {
		err := d.Get(&ids[i], `WITH u AS (
				INSERT INTO users (email, password_hash, name, gender, birth_year, country, audience)
				VALUES ($1, 'x', 'Learner', 'female', 2001, 'KE', 'youth') RETURNING id)
			INSERT INTO enrollments (user_id, course_id, version_id, status, lessons_completed, lessons_total, progress_percent,
				last_activity_at, completed_at, gender, audience, country, region, ldc, sids, lldc, age_band)
			SELECT u.id, $2, $3, $4, $5, 4, $6, $7::timestamptz, CASE WHEN $4 = 'completed' THEN $7::timestamptz END,
				'female', 'youth', 'KE', 'africa', false, false, false, '15_24' FROM u
			RETURNING id`, fmt.Sprintf("move%d@example.test", i), courseID, versionID, s.status, s.done, s.pct, s.last)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}

	if _, err := p.UpTo(ctx, 210); err != nil {
		t.Fatalf("migrate up to 210: %v", err)
	}
	for i, s := range stages {
		var got struct {
			Row  bool       `db:"has_row"`
			Done int        `db:"done"`
			Pct  int        `db:"pct"`
			Last *time.Time `db:"last"`
		}
		err := d.Get(&got, `SELECT ep.enrollment_id IS NOT NULL AS has_row, coalesce(ep.lessons_completed, 0) AS done,
				enrollment_percent(e.status, ep.lessons_completed, e.lessons_total) AS pct, ep.last_activity_at AS last
			FROM enrollments e LEFT JOIN enrollment_progress ep ON ep.enrollment_id = e.id WHERE e.id = $1`, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		if got.Row != (s.last != nil) || got.Done != s.done || got.Pct != s.pct || !sameTime(got.Last, s.last) {
			t.Errorf("after 00210, %s: %+v, want %d lessons, %d %%, last activity %v", s.name, got, s.done, s.pct, s.last)
		}
	}

	// During the rollout both versions count lessons of one enrollment: this
	// one on enrollment_progress, the one still running on the columns.
	half, t3 := ids[1], t2.Add(time.Hour)
	stages[1].done, stages[1].pct, stages[1].last = 4, 100, &t3
	if _, err := d.Exec(`UPDATE enrollment_progress SET lessons_completed = lessons_completed + 1 WHERE enrollment_id = $1`, half); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(`UPDATE enrollments SET lessons_completed = lessons_completed + 1, progress_percent = 75,
			last_activity_at = $2 WHERE id = $1`, half, t3); err != nil {
		t.Fatal(err)
	}
	var both struct {
		Done int       `db:"lessons_completed"`
		Last time.Time `db:"last_activity_at"`
	}
	if err := d.Get(&both, `SELECT lessons_completed, last_activity_at FROM enrollment_progress WHERE enrollment_id = $1`, half); err != nil {
		t.Fatal(err)
	}
	if both.Done != 4 || !both.Last.Equal(t3) {
		t.Errorf("a lesson counted by each version: %+v, want 4 lessons, last activity %s", both, t3)
	}
	if _, err := d.Exec(`UPDATE enrollments SET status = 'completed', completed_at = now() WHERE id = $1`, ids[0]); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := d.Get(&rows, `SELECT count(*) FROM enrollment_progress WHERE enrollment_id = $1`, ids[0]); err != nil || rows != 0 {
		t.Errorf("an update of other columns made %d progress rows (%v), want none", rows, err)
	}
	stages[0].status, stages[0].pct = "completed", 100

	if _, err := p.DownTo(ctx, 200); err != nil {
		t.Fatalf("migrate down to 200 again: %v", err)
	}
	for i, s := range stages {
		var got struct {
			Done int        `db:"lessons_completed"`
			Pct  int        `db:"progress_percent"`
			Last *time.Time `db:"last_activity_at"`
		}
		if err := d.Get(&got, `SELECT lessons_completed, progress_percent, last_activity_at FROM enrollments WHERE id = $1`, ids[i]); err != nil {
			t.Fatal(err)
		}
		if got.Done != s.done || got.Pct != s.pct || !sameTime(got.Last, s.last) {
			t.Errorf("back before 00210, %s: %+v, want %d lessons, %d %%, last activity %v", s.name, got, s.done, s.pct, s.last)
		}
	}
}

func sameTime(a, b *time.Time) bool {
	return (a == nil) == (b == nil) && (a == nil || a.Equal(*b))
}
