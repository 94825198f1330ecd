package notifications_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cybercampus/cybercampus/jobs"
	"github.com/cybercampus/cybercampus/notifications"
)

const evil = `<script>alert("x")</script> & co`

func TestComposeEveryKindInSixLanguages(t *testing.T) {
	data := map[string]any{
		notifications.KindReminder: notifications.ReminderData{CourseTitle: evil, LessonTitle: "Lesson <b>1</b>", URL: "http://x.test/c"},
		notifications.KindCohortDeadline: notifications.DeadlineData{CohortName: evil, CourseTitle: "IR", EndsOn: "2026-05-13",
			DaysLeft: 3, ProgressPercent: 40, URL: "http://x.test/c"},
		notifications.KindDigest: notifications.DigestData{Week: "2026-W25", Cohorts: []notifications.DigestCohort{{Name: evil,
			CourseTitle: "IR", StartsOn: "2026-06-01", EndsOn: "2026-07-01", Members: 4, ActiveThisWeek: 2, Completed: 1, Behind: 2}}},
		notifications.KindCertificateIssued: notifications.CertificateData{CourseTitle: evil, VerifyURL: "http://x.test/v1/certificates/1"},
		notifications.KindCohortCreated: notifications.CohortCreatedData{CohortName: evil, CourseTitle: "IR", StartsOn: "2026-06-01",
			EndsOn: "2026-07-01", MembersURL: "http://x.test/v1/cohorts/1/members", URL: "http://x.test/v1/cohorts/1"},
	}
	// One phrase per kind and language that only the right translation has.
	want := map[string]map[string]string{
		"en": {notifications.KindReminder: "Keep going with", notifications.KindCohortDeadline: "in 3 days",
			notifications.KindDigest: "Your cohorts this week", notifications.KindCertificateIssued: "Your certificate for",
			notifications.KindCohortCreated: "is ready"},
		"fr": {notifications.KindReminder: "Poursuivez le cours", notifications.KindCohortDeadline: "dans 3 jours",
			notifications.KindDigest: "Vos cohortes cette semaine", notifications.KindCertificateIssued: "Votre certificat pour",
			notifications.KindCohortCreated: "est prête"},
		"es": {notifications.KindReminder: "Siga adelante con", notifications.KindCohortDeadline: "dentro de 3 días",
			notifications.KindDigest: "Sus cohortes esta semana", notifications.KindCertificateIssued: "Su certificado de",
			notifications.KindCohortCreated: "está lista"},
		"ar": {notifications.KindReminder: "تابع دورة", notifications.KindCohortDeadline: "بعد 3 أيام",
			notifications.KindDigest: "أفواجك هذا الأسبوع", notifications.KindCertificateIssued: "شهادتك لدورة",
			notifications.KindCohortCreated: "جاهز"},
		"ru": {notifications.KindReminder: "Продолжите курс", notifications.KindCohortDeadline: "через 3 дня",
			notifications.KindDigest: "Ваши группы на этой неделе", notifications.KindCertificateIssued: "Ваш сертификат за курс",
			notifications.KindCohortCreated: "готова"},
		"zh": {notifications.KindReminder: "继续学习", notifications.KindCohortDeadline: "还有 3 天",
			notifications.KindDigest: "您的学习小组本周概况", notifications.KindCertificateIssued: "证书",
			notifications.KindCohortCreated: "已创建"},
	}
	for lang, phrases := range want {
		for kind, phrase := range phrases {
			t.Run(kind+" in "+lang, func(t *testing.T) {
				raw, _ := json.Marshal(data[kind])
				msg, ok := notifications.Compose(kind, raw, notifications.Recipient{Name: "Zoé <i>", Language: lang})
				if !ok {
					t.Fatal("Compose failed")
				}
				html, err := msg.HTML()
				must(t, err)
				whole := msg.Subject + "\n" + msg.Text()
				if !strings.Contains(whole, phrase) {
					t.Errorf("subject/text lack %q:\n%s", phrase, whole)
				}
				if dir := map[bool]string{true: "rtl", false: "ltr"}[lang == "ar"]; !strings.Contains(html, `<html lang="`+lang+`" dir="`+dir+`">`) {
					t.Errorf("HTML lacks its language and direction:\n%s", html)
				}
				if !strings.Contains(whole, evil) {
					t.Errorf("plain text should carry the user's text as is:\n%s", whole)
				}
				if strings.Contains(html, "<script>") || strings.Contains(html, "<i>") ||
					!strings.Contains(html, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co") {
					t.Errorf("HTML does not escape user text:\n%s", html)
				}
			})
		}
	}
	t.Run("a language without templates falls back to English", func(t *testing.T) {
		raw, _ := json.Marshal(data[notifications.KindReminder])
		msg, _ := notifications.Compose(notifications.KindReminder, raw, notifications.Recipient{Name: "A", Language: "de"})
		if !strings.HasPrefix(msg.Subject, "Keep going with") {
			t.Fatalf("subject %q", msg.Subject)
		}
	})
	t.Run("counts of days take the language's plural forms", func(t *testing.T) {
		for _, c := range []struct {
			lang string
			n    int
			want string
		}{
			{"ru", 1, "через 1 день"}, {"ru", 2, "через 2 дня"}, {"ru", 5, "через 5 дней"}, {"ru", 11, "через 11 дней"},
			{"ru", 21, "через 21 день"}, {"ru", 22, "через 22 дня"}, {"ru", 14, "через 14 дней"},
			{"ar", 1, "بعد يوم واحد"}, {"ar", 2, "بعد يومين"}, {"ar", 7, "بعد 7 أيام"}, {"ar", 15, "بعد 15 يوما"}, {"ar", 100, "بعد 100 يوم"},
			{"zh", 2, "还有 2 天"}, {"en", 2, "in 2 days"}, {"fr", 1, "dans 1 jour"},
		} {
			raw, _ := json.Marshal(notifications.DeadlineData{CohortName: "C", CourseTitle: "IR", EndsOn: "2026-05-13", DaysLeft: c.n, URL: "http://x.test/c"})
			msg, _ := notifications.Compose(notifications.KindCohortDeadline, raw, notifications.Recipient{Name: "A", Language: c.lang})
			if !strings.Contains(msg.Text(), c.want) {
				t.Errorf("%s, %d days: %q lacks %q", c.lang, c.n, msg.Text(), c.want)
			}
		}
	})
	t.Run("an unknown kind or incomplete data is not composed", func(t *testing.T) {
		if _, ok := notifications.Compose("mystery", []byte(`{}`), notifications.Recipient{}); ok {
			t.Error("unknown kind composed")
		}
		if _, ok := notifications.Compose(notifications.KindCertificateIssued, []byte(`{"course_title":"x"}`), notifications.Recipient{}); ok {
			t.Error("certificate without verify_url composed")
		}
	})
	t.Run("an action URL that is not http(s) is neutralised in HTML", func(t *testing.T) {
		raw, _ := json.Marshal(notifications.ReminderData{CourseTitle: "c", URL: "javascript:alert(1)"})
		msg, _ := notifications.Compose(notifications.KindReminder, raw, notifications.Recipient{})
		html, _ := msg.HTML()
		if strings.Contains(html, "javascript:") {
			t.Fatalf("HTML keeps a javascript: URL:\n%s", html)
		}
	})
}

func TestCertificateNotificationWrittenBySQL(t *testing.T) {
	// The certification package writes its notification rows with SQL; the
	// delivery renders them from data in the learner's language.
	logs := &syncBuffer{}
	m := newModule(t, newClock(time.Now()), logs)
	u := newUser(t, userOpts{Language: "es"})
	var id string
	must(t, testDB.Get(&id, `INSERT INTO notifications (user_id, kind, title, body, data, dedupe_key, email_status)
		VALUES ($1, 'certificate_issued', 'Certificate', 'You earned it', $2, $3, 'pending') RETURNING id`, u.ID,
		`{"certificate_id":"c1","course_title":"Redes seguras","verify_url":"http://x.test/v1/certificates/c1"}`, "cert:"+u.ID))
	must(t, m.Deliver(context.Background(), deliverTask(id)))
	if !strings.Contains(logs.String(), "Su certificado de Redes seguras") {
		t.Fatalf("log lacks the Spanish certificate email: %s", logs.String())
	}
	t.Run("a kind without a template is emailed with its stored title and body", func(t *testing.T) {
		must(t, testDB.Get(&id, `INSERT INTO notifications (user_id, kind, title, body, dedupe_key, email_status)
			VALUES ($1, 'announcement', 'Stored title', 'Stored body', $2, 'pending') RETURNING id`, u.ID, "ann:"+u.ID))
		must(t, m.Deliver(context.Background(), deliverTask(id)))
		if !strings.Contains(logs.String(), "Stored title") || status(t, id) != notifications.EmailLogged {
			t.Fatalf("fallback email not logged: %s", logs.String())
		}
	})
}

func TestCohortCreated(t *testing.T) {
	ctx := context.Background()
	m := newModule(t, newClock(time.Now()), nil)
	trainer := newUser(t, userOpts{Roles: []string{"trainer"}})
	c := newCourse(t, "Secure coding")
	id := newCohort(t, trainer, c, "Accra cohort", mustRFC3339("2026-07-01T00:00:00Z"), mustRFC3339("2026-08-15T00:00:00Z"))
	tk := task(jobs.TypeCohortCreated, jobs.CohortPayload{CohortID: id})
	must(t, m.CohortCreated(ctx, tk))
	must(t, m.CohortCreated(ctx, tk)) // at-least-once delivery: a rerun
	t.Run("the trainer is told once, with course, dates and how to add members", func(t *testing.T) {
		n := notes(t, trainer.ID, notifications.KindCohortCreated)
		if len(n) != 1 {
			t.Fatalf("got %d notifications, want 1", len(n))
		}
		for _, want := range []string{"Accra cohort", "Secure coding", "2026-07-01", "2026-08-15",
			"http://cybercampus.test/v1/cohorts/" + id + "/members", "CSV"} {
			if !strings.Contains(n[0].Title+n[0].Body, want) {
				t.Errorf("notification lacks %q: %q / %q", want, n[0].Title, n[0].Body)
			}
		}
		if deliveries(t, n[0].ID) != 1 {
			t.Errorf("%d deliveries, want 1", deliveries(t, n[0].ID))
		}
	})
	t.Run("a cohort that is gone is nothing to announce", func(t *testing.T) {
		err := m.CohortCreated(ctx, task(jobs.TypeCohortCreated, jobs.CohortPayload{CohortID: "0b0d8e0e-7a53-4d35-9d65-0b8c5a3f5d11"}))
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a malformed payload is not retried", func(t *testing.T) {
		err := m.CohortCreated(ctx, asynq.NewTask(jobs.TypeCohortCreated, []byte(`{"cohort_id": 1}`)))
		if !errors.Is(err, asynq.SkipRetry) {
			t.Fatalf("err = %v, want SkipRetry", err)
		}
	})
}
