package notifications_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cybercampus/cybercampus/jobs"
	"github.com/cybercampus/cybercampus/notifications"
)

func TestDigests(t *testing.T) {
	// Monday 2026-06-15, ISO week 25. The cohort runs 2026-06-01..2026-07-01:
	// 14 of 30 days elapsed, so a member is expected at 46%.
	now := mustRFC3339("2026-06-15T07:00:00Z")
	clk := newClock(now)
	m := newModule(t, clk, nil)
	c := newCourse(t, "Phishing awareness")
	day := 24 * time.Hour
	trainer := newUser(t, userOpts{Name: "Trainer Tess", Roles: []string{"trainer"}, Language: "fr"})
	cohortID := newCohort(t, trainer, c, "Lagos June", mustRFC3339("2026-06-01T00:00:00Z"), mustRFC3339("2026-07-01T00:00:00Z"))
	member := func(lessons int, lastActive time.Time) string {
		u := newUser(t, userOpts{})
		e := enroll(t, u, c, now.Add(-14*day))
		for i := range lessons {
			completeLesson(t, e, c.Lessons[i], lastActive)
		}
		addMember(t, cohortID, u, e)
		return e
	}
	member(0, time.Time{})                                         // 0%: behind, not active
	member(1, now.Add(-2*day))                                     // 25%: behind, active this week
	member(2, now.Add(-10*day))                                    // 50%: on track, not active this week
	completeEnrollment(t, member(1, now.Add(-day)), now.Add(-day)) // completed, active
	oldTrainer := newUser(t, userOpts{Roles: []string{"trainer"}})
	newCohort(t, oldTrainer, c, "Long ago", now.Add(-90*day), now.Add(-30*day))

	run(t, m.Digests, jobs.TypeDigests)
	run(t, m.Digests, jobs.TypeDigests)

	t.Run("a trainer gets one digest per ISO week with the counts of each cohort", func(t *testing.T) {
		n := notes(t, trainer.ID, notifications.KindDigest)
		if len(n) != 1 {
			t.Fatalf("got %d digests, want 1", len(n))
		}
		if n[0].DedupeKey != "digest:"+trainer.ID+":2026-W25" {
			t.Errorf("dedupe key %q", n[0].DedupeKey)
		}
		var d notifications.DigestData
		must(t, json.Unmarshal(n[0].Data, &d))
		want := notifications.DigestCohort{ID: cohortID, Name: "Lagos June", CourseTitle: "Les bases de la sécurité",
			StartsOn: "2026-06-01", EndsOn: "2026-07-01", Members: 4, ActiveThisWeek: 2, Completed: 1, Behind: 2,
			ExpectedPercent: 46}
		if len(d.Cohorts) != 1 || d.Cohorts[0] != want {
			t.Fatalf("digest cohorts = %+v, want [%+v]", d.Cohorts, want)
		}
		if !strings.Contains(n[0].Body, "4 membres, 2 actifs cette semaine, 1 ont terminé, 2 en retard") {
			t.Errorf("French digest body %q lacks the counts", n[0].Body)
		}
	})
	t.Run("a trainer whose cohorts all ended weeks ago gets none", func(t *testing.T) {
		if n := notes(t, oldTrainer.ID, notifications.KindDigest); len(n) != 0 {
			t.Fatalf("got %d digests, want 0", len(n))
		}
	})
	t.Run("the next week brings the next digest", func(t *testing.T) {
		clk.Add(7 * day)
		run(t, m.Digests, jobs.TypeDigests)
		if n := notes(t, trainer.ID, notifications.KindDigest); len(n) != 2 {
			t.Fatalf("got %d digests, want 2", len(n))
		}
	})
}
