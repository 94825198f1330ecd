package notifications_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/cybercampus/cybercampus/jobs"
	"github.com/cybercampus/cybercampus/notifications"
)

func TestReminders(t *testing.T) {
	start := mustRFC3339("2026-03-02T10:00:00Z")
	clk := newClock(start)
	m := newModule(t, clk, nil) // REMINDER_INACTIVE_AFTER defaults to 168h
	week := 168 * time.Hour
	c := newCourse(t, "Security <script>basics</script>")

	fresh := newUser(t, userOpts{})
	freshE := enroll(t, fresh, c, start.Add(-week+time.Hour))
	idle := newUser(t, userOpts{})
	idleE := enroll(t, idle, c, start.Add(-3*week))
	completeLesson(t, idleE, c.Lessons[0], start.Add(-2*week))
	completeLesson(t, idleE, c.Lessons[1], start.Add(-week-time.Hour))
	never := newUser(t, userOpts{Language: "fr"})
	enroll(t, never, c, start.Add(-week-time.Minute))
	done := newUser(t, userOpts{})
	doneE := enroll(t, done, c, start.Add(-5*week))
	completeEnrollment(t, doneE, start.Add(-2*week))
	optedOut := newUser(t, userOpts{NoReminders: true})
	enroll(t, optedOut, c, start.Add(-2*week))
	noEmail := newUser(t, userOpts{NoEmail: true})
	enroll(t, noEmail, c, start.Add(-2*week))

	run(t, m.Reminders, jobs.TypeReminders)

	t.Run("no reminder before the inactivity threshold", func(t *testing.T) {
		if n := notes(t, fresh.ID, notifications.KindReminder); len(n) != 0 {
			t.Fatalf("got %d reminders, want 0", len(n))
		}
	})
	t.Run("an idle learner is reminded of the course and the next lesson", func(t *testing.T) {
		n := notes(t, idle.ID, notifications.KindReminder)
		if len(n) != 1 {
			t.Fatalf("got %d reminders, want 1", len(n))
		}
		var d notifications.ReminderData
		must(t, json.Unmarshal(n[0].Data, &d))
		if d.LessonID != c.Lessons[2] || d.LessonTitle != "Lesson 2.1" {
			t.Errorf("next lesson = %s %q, want the first lesson of module 2 (%s)", d.LessonID, d.LessonTitle, c.Lessons[2])
		}
		if !strings.Contains(n[0].Title, c.Title) || !strings.Contains(n[0].Body, "Lesson 2.1") {
			t.Errorf("title %q / body %q should name the course and the lesson", n[0].Title, n[0].Body)
		}
		if n[0].EmailStatus != notifications.EmailPending || deliveries(t, n[0].ID) != 1 {
			t.Errorf("email status %s with %d delivery rows, want pending with 1", n[0].EmailStatus, deliveries(t, n[0].ID))
		}
	})
	t.Run("a learner with no activity yet counts from enrollment, in their language", func(t *testing.T) {
		n := notes(t, never.ID, notifications.KindReminder)
		if len(n) != 1 {
			t.Fatalf("got %d reminders, want 1", len(n))
		}
		if !strings.Contains(n[0].Title, "Les bases de la sécurité") || !strings.Contains(n[0].Body, "Leçon 1.1") {
			t.Errorf("French reminder %q / %q should use the French course and lesson titles", n[0].Title, n[0].Body)
		}
	})
	t.Run("no reminder after completion", func(t *testing.T) {
		if n := notes(t, done.ID, notifications.KindReminder); len(n) != 0 {
			t.Fatalf("got %d reminders, want 0", len(n))
		}
	})
	t.Run("no reminder for a learner who turned reminders off", func(t *testing.T) {
		if n := notes(t, optedOut.ID, notifications.KindReminder); len(n) != 0 {
			t.Fatalf("got %d reminders, want 0", len(n))
		}
	})
	t.Run("a learner who turned email off gets the reminder in the app only", func(t *testing.T) {
		n := notes(t, noEmail.ID, notifications.KindReminder)
		if len(n) != 1 || n[0].EmailStatus != notifications.EmailNone || deliveries(t, n[0].ID) != 0 {
			t.Fatalf("got %+v, want one in-app reminder without delivery", n)
		}
	})
	t.Run("one reminder per idle period however often the job runs", func(t *testing.T) {
		clk.Add(3 * time.Hour)
		run(t, m.Reminders, jobs.TypeReminders)
		run(t, m.Reminders, jobs.TypeReminders)
		if n := notes(t, idle.ID, notifications.KindReminder); len(n) != 1 {
			t.Fatalf("got %d reminders, want 1", len(n))
		}
	})
	t.Run("the threshold crossed later gives the reminder then", func(t *testing.T) {
		if n := notes(t, fresh.ID, notifications.KindReminder); len(n) != 1 {
			t.Fatalf("got %d reminders, want 1 once a week has passed", len(n))
		}
		_ = freshE
	})
	t.Run("studying again and falling idle again gives a new reminder", func(t *testing.T) {
		completeLesson(t, idleE, c.Lessons[2], clk.Now())
		run(t, m.Reminders, jobs.TypeReminders)
		if n := notes(t, idle.ID, notifications.KindReminder); len(n) != 1 {
			t.Fatalf("got %d reminders right after activity, want still 1", len(n))
		}
		clk.Add(week + time.Hour)
		run(t, m.Reminders, jobs.TypeReminders)
		n := notes(t, idle.ID, notifications.KindReminder)
		if len(n) != 2 || !strings.Contains(n[1].Body, "Lesson 2.2") {
			t.Fatalf("got %d reminders (%+v), want a second one naming Lesson 2.2", len(n), n)
		}
	})
}

func TestCohortDeadlines(t *testing.T) {
	now := mustRFC3339("2026-05-10T08:05:00Z")
	clk := newClock(now)
	m := newModule(t, clk, nil)
	c := newCourse(t, "Incident response")
	trainer := newUser(t, userOpts{Roles: []string{"trainer"}})
	day := 24 * time.Hour
	cohort := func(name string, endsIn int) string {
		return newCohort(t, trainer, c, name, now.Add(-30*day), now.Add(time.Duration(endsIn)*day))
	}
	member := func(cohortID string, o userOpts) (user, string) {
		u := newUser(t, o)
		e := enroll(t, u, c, now.Add(-20*day))
		addMember(t, cohortID, u, e)
		return u, e
	}
	in3 := cohort("Nairobi May", 3)
	behind, _ := member(in3, userOpts{Language: "es"})
	finished, finishedE := member(in3, userOpts{})
	completeEnrollment(t, finishedE, now.Add(-day))
	optedOut, _ := member(in3, userOpts{NoReminders: true})
	in2 := cohort("Mombasa May", 2)
	late, _ := member(in2, userOpts{})
	in4 := cohort("Kisumu May", 4)
	early, _ := member(in4, userOpts{})
	today := cohort("Nakuru May", 0)
	lastDay, _ := member(today, userOpts{})

	run(t, m.CohortDeadlines, jobs.TypeCohortDeadlines)
	run(t, m.CohortDeadlines, jobs.TypeCohortDeadlines)

	for _, tc := range []struct {
		name string
		u    user
		want int
	}{
		{"a member of a cohort ending in 3 days is reminded once", behind, 1},
		{"a member who completed is not reminded", finished, 0},
		{"a member who turned reminders off is not reminded", optedOut, 0},
		{"a cohort ending in 2 days (a missed run) is caught up", late, 1},
		{"a cohort ending in 4 days is not yet due", early, 0},
		{"a cohort ending today is past the window", lastDay, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n := notes(t, tc.u.ID, notifications.KindCohortDeadline); len(n) != tc.want {
				t.Fatalf("got %d deadline reminders, want %d", len(n), tc.want)
			}
		})
	}
	t.Run("the reminder is in the member's language with the date and days left", func(t *testing.T) {
		n := notes(t, behind.ID, notifications.KindCohortDeadline)[0]
		if !strings.Contains(n.Title, "termina el 2026-05-13") || !strings.Contains(n.Body, "dentro de 3 días") {
			t.Fatalf("Spanish reminder %q / %q", n.Title, n.Body)
		}
		if n.DedupeKey != "cohort_deadline:"+in3+":"+behind.ID {
			t.Fatalf("dedupe key %q", n.DedupeKey)
		}
	})
}
