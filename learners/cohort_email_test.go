package learners_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
	"github.com/cybercampus/cybercampus/jobs"
	"github.com/cybercampus/cybercampus/notifications"
)

// recordingMailer stands in for the SMTP server, a boundary this program does
// not own: it keeps what would have been sent.
type recordingMailer struct {
	mu   sync.Mutex
	sent []notifications.Email
}

func (r *recordingMailer) Send(_ context.Context, e notifications.Email) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, e)
	return nil
}

func (r *recordingMailer) Status() string { return notifications.EmailSent }

func (r *recordingMailer) to(addr string) []notifications.Email {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []notifications.Email
	for _, e := range r.sent {
		if strings.EqualFold(e.To, addr) {
			out = append(out, e)
		}
	}
	return out
}

// runInvitationTasks runs every queued invitation email task of the cohort,
// as the worker would.
func runInvitationTasks(tb testing.TB, m *notifications.Jobs, cohortID string) {
	tb.Helper()
	var payloads []string
	if err := learningDB.Select(&payloads, `SELECT o.payload::text FROM outbox o
		JOIN cohort_invitations i ON i.id = (o.payload->>'invitation_id')::uuid
		WHERE o.task_type = $1 AND i.cohort_id = $2 ORDER BY o.created_at`, jobs.TypeCohortInvitation, cohortID); err != nil {
		tb.Fatal(err)
	}
	for _, p := range payloads {
		if err := m.CohortInvitation(context.Background(), asynq.NewTask(jobs.TypeCohortInvitation, []byte(p))); err != nil {
			tb.Fatal(err)
		}
	}
}

// phishingName fits within the quoted length, so every part of it reaches the email.
const phishingName = `Sign in at http://cybercampus-login.evil.test <a href="x">or www.evil.test</a>`

func TestInvitationEmails(t *testing.T) {
	env := newLearningEnv(t)
	course := newCourse(t, courseSpec{Lessons: 1})
	trainer := env.NewUserWith(t, apptest.Profile{Name: "Trainer visit evil.test"}, "trainer")
	var created struct {
		Cohort cohortView `json:"cohort"`
	}
	env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/cohorts", Token: trainer.Token, Body: map[string]any{
		"name": phishingName, "course": course.Slug, "country": "KE", "starts_on": "2026-03-01", "ends_on": "2026-05-31"}},
		http.StatusCreated).JSON(t, &created)
	h := created.Cohort
	registered := env.NewUserWith(t, apptest.Profile{Name: "Registered Rita"})
	unregistered := "nobody-" + pgtest.RandomSuffix() + "@example.org"
	invite(t, env, trainer, h.ID, map[string]any{"emails": []string{registered.Email, unregistered}})
	mailer := &recordingMailer{}
	m := notifications.NewJobs(env.DB.DB, env.Config, mailer, env.Logger, time.Now)
	runInvitationTasks(t, m, h.ID)

	for _, addr := range []string{registered.Email, unregistered} {
		sent := mailer.to(addr)
		if len(sent) != 1 {
			t.Fatalf("%d emails to %s, want 1", len(sent), addr)
		}
		e := sent[0]
		t.Run("the hostile cohort name is inert, quoted and attributed text for "+addr, func(t *testing.T) {
			for _, part := range []string{e.Subject, e.Text, e.HTML} {
				for _, live := range []string{"http://cybercampus-login", "cybercampus-login.evil.test", "www.evil.test"} {
					if strings.Contains(part, live) {
						t.Errorf("email carries %q:\n%s", live, part)
					}
				}
			}
			if strings.Contains(e.Subject, "Sign in") {
				t.Errorf("trainer text in the subject: %q", e.Subject)
			}
			if !strings.Contains(e.Text, "Your trainer wrote this name for the cohort: “Sign in at") ||
				!strings.Contains(e.Text, "http[:]//cybercampus-login[.]evil[.]test") {
				t.Errorf("text does not quote the name defanged:\n%s", e.Text)
			}
			if strings.Contains(e.HTML, `<a href="x"`) || !strings.Contains(e.HTML, "&lt;a href=") {
				t.Errorf("HTML does not escape the name:\n%s", e.HTML)
			}
			hrefs := regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(e.HTML, -1)
			if len(hrefs) != 1 || !strings.HasPrefix(hrefs[0][1], "http://cybercampus.test/app/?invitation=") {
				t.Errorf("links in the HTML: %v", hrefs)
			}
			if strings.Contains(e.Text, "evil.test") {
				t.Errorf("the trainer's name is not defanged either:\n%s", e.Text)
			}
		})
	}
	t.Run("the registered invitee is greeted by name, the other is not named", func(t *testing.T) {
		if !strings.Contains(mailer.to(registered.Email)[0].Text, "Registered Rita") ||
			!strings.HasPrefix(mailer.to(unregistered)[0].Text, "Hello,\n") {
			t.Fatal("greetings are wrong")
		}
	})
	t.Run("a long name is cut in the email", func(t *testing.T) {
		long := strings.Repeat("Cohort ", 28)
		patchCohort(t, env, trainer, h.ID, map[string]any{"name": long}, http.StatusOK)
		addr := "long-" + pgtest.RandomSuffix() + "@example.org"
		invite(t, env, trainer, h.ID, map[string]any{"emails": []string{addr}})
		runInvitationTasks(t, m, h.ID)
		quote := regexp.MustCompile(`“([^”]*)”`).FindStringSubmatch(mailer.to(addr)[0].Text)
		if quote == nil || len([]rune(quote[1])) > 80 || !strings.HasSuffix(quote[1], "…") {
			t.Fatalf("quoted name: %v", quote)
		}
		patchCohort(t, env, trainer, h.ID, map[string]any{"name": phishingName}, http.StatusOK)
	})
	t.Run("a task run again sends nothing; re-inviting sends again", func(t *testing.T) {
		runInvitationTasks(t, m, h.ID)
		if n := len(mailer.to(unregistered)); n != 1 {
			t.Fatalf("%d emails after a rerun", n)
		}
		invite(t, env, trainer, h.ID, map[string]any{"emails": []string{unregistered}})
		runInvitationTasks(t, m, h.ID)
		sent := mailer.to(unregistered)
		if len(sent) != 2 || sent[0].ID == sent[1].ID {
			t.Fatalf("%d emails after re-inviting", len(sent))
		}
	})
	t.Run("an account that turned email off is not emailed but sees the invitation in the app", func(t *testing.T) {
		quiet := env.NewUser(t)
		mustExec(t, `UPDATE users SET notify_email = false WHERE id = $1`, quiet.ID)
		invite(t, env, trainer, h.ID, map[string]any{"emails": []string{quiet.Email}})
		runInvitationTasks(t, m, h.ID)
		if n := len(mailer.to(quiet.Email)); n != 0 || invitationTo(t, env, quiet, h.ID) == "" {
			t.Fatalf("%d emails; listed: %v", n, invitationTo(t, env, quiet, h.ID) != "")
		}
	})
	t.Run("an answered invitation is not emailed", func(t *testing.T) {
		late := env.NewUser(t)
		invite(t, env, trainer, h.ID, map[string]any{"emails": []string{late.Email}})
		answer(t, env, late, invitationTo(t, env, late, h.ID), "decline", http.StatusOK)
		runInvitationTasks(t, m, h.ID)
		if n := len(mailer.to(late.Email)); n != 0 {
			t.Fatalf("%d emails for a declined invitation", n)
		}
	})
}
