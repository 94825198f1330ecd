package certification

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/cybercampus/cybercampus/jobs"
)

func TestIssueOnceUnderConcurrency(t *testing.T) {
	f := newFixture(t)
	u := f.NewUser(t)
	eid := f.completed(t, u.ID, "Cyber Hygiene")
	var wg sync.WaitGroup
	errs := make(chan error, 24)
	for range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- f.mod.ProcessIssue(context.Background(), issueTask(eid))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("handler failed: %v", err)
		}
	}
	if got := f.issued(t, u.ID, eid); got != (issued{1, 1, 1}) {
		t.Fatalf("%+v; want one of each", got)
	}
	t.Run("running the handler again changes nothing", func(t *testing.T) {
		if err := f.mod.ProcessIssue(context.Background(), issueTask(eid)); err != nil {
			t.Fatal(err)
		}
		if certs := f.count(t, `SELECT count(*) FROM certificates WHERE user_id = $1`, u.ID); certs != 1 {
			t.Fatalf("%d certificates after a rerun", certs)
		}
	})
}

// TestIssueFromOutbox follows a completion from the outbox row the learners
// package writes to a certificate, its notification and its email job.
func TestIssueFromOutbox(t *testing.T) {
	f := newFixture(t)
	u := f.NewUser(t)
	eid := f.completed(t, u.ID, "Incident Response <Fundamentals>")
	if _, err := jobs.Enqueue(context.Background(), f.DB, jobs.TypeIssueCertificate, jobs.QueueCritical,
		jobs.EnrollmentPayload{EnrollmentID: eid}); err != nil {
		t.Fatal(err)
	}
	var row struct {
		Type    string `db:"task_type"`
		Payload []byte `db:"payload"`
		Queue   string `db:"queue"`
	}
	if err := f.DB.Get(&row, `SELECT task_type, payload, queue FROM outbox WHERE payload->>'enrollment_id' = $1`, eid); err != nil {
		t.Fatal(err)
	}
	if err := f.mod.ProcessIssue(context.Background(), asynq.NewTask(row.Type, row.Payload, asynq.Queue(row.Queue))); err != nil {
		t.Fatal(err)
	}
	var cert struct {
		ID    string `db:"id"`
		Token string `db:"token"`
		Title string `db:"course_title"`
	}
	if err := f.DB.Get(&cert, `SELECT id, token, course_title FROM certificates WHERE enrollment_id = $1`, eid); err != nil {
		t.Fatalf("no certificate: %v", err)
	}
	res, err := f.mod.verifier.Verify(context.Background(), cert.Token)
	if err != nil || !res.Valid {
		t.Fatalf("issued token does not verify: %+v %v", res, err)
	}
	var n struct {
		ID, Kind, Title, Body, Dedupe, Email string
		Data                                 []byte
	}
	err = f.DB.QueryRow(`SELECT id, kind, title, body, dedupe_key, email_status, data FROM notifications WHERE user_id = $1`, u.ID).
		Scan(&n.ID, &n.Kind, &n.Title, &n.Body, &n.Dedupe, &n.Email, &n.Data)
	if err != nil {
		t.Fatal(err)
	}
	verifyURL := "http://cybercampus.test/v1/certificates/" + cert.ID
	var data map[string]string
	if err := json.Unmarshal(n.Data, &data); err != nil {
		t.Fatalf("notification data %s: %v", n.Data, err)
	}
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"kind is certificate_issued", n.Kind == "certificate_issued"},
		{"title names the course", strings.Contains(n.Title, cert.Title)},
		{"body has the verify URL", strings.Contains(n.Body, verifyURL)},
		{"dedupe key is certificate:id", n.Dedupe == "certificate:"+cert.ID},
		{"email is pending", n.Email == "pending"},
		{"data has certificate_id", data["certificate_id"] == cert.ID},
		{"data has verify_url", data["verify_url"] == verifyURL},
		{"data has the course title for the localised email", data["course_title"] == cert.Title},
	} {
		if !c.ok {
			t.Errorf("notification: %s: %+v %s", c.name, n, n.Data)
		}
	}
	var queue string
	err = f.DB.Get(&queue, `SELECT queue FROM outbox WHERE task_type = $1 AND payload->>'notification_id' = $2`,
		jobs.TypeDeliverNotification, n.ID)
	if err != nil || queue != jobs.QueueDefault {
		t.Fatalf("delivery job: queue %q, %v", queue, err)
	}
}

func TestIssueRefusesWhatCannotBeCertified(t *testing.T) {
	f := newFixture(t)
	u := f.NewUser(t)
	c, v := f.course(t, "Risk Management")
	active := f.enrollment(t, u.ID, c, v, "active")
	for _, tc := range []struct {
		name    string
		payload []byte
	}{
		{"active enrollment", mustJSON(t, jobs.EnrollmentPayload{EnrollmentID: active})},
		{"unknown enrollment", mustJSON(t, jobs.EnrollmentPayload{EnrollmentID: "00000000-0000-4000-8000-000000000000"})},
		{"payload that is not JSON", []byte("{")},
		{"enrollment id that is not a UUID", mustJSON(t, jobs.EnrollmentPayload{EnrollmentID: "1; DROP TABLE x"})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := f.mod.ProcessIssue(context.Background(), asynq.NewTask(jobs.TypeIssueCertificate, tc.payload))
			if !errors.Is(err, asynq.SkipRetry) {
				t.Fatalf("error %v, want a permanent failure (SkipRetry)", err)
			}
		})
	}
	if n := f.count(t, `SELECT count(*) FROM certificates WHERE user_id = $1`, u.ID); n != 0 {
		t.Fatalf("%d certificates issued", n)
	}
}

func TestSweepIssuesLostCertificates(t *testing.T) {
	f := newFixture(t)
	u := f.NewUser(t)
	lost := []string{f.completed(t, u.ID, "Lost One"), f.completed(t, u.ID, "Lost Two")}
	c, v := f.course(t, "Still Learning")
	f.enrollment(t, u.ID, c, v, "active")
	for run := range 2 {
		if err := f.mod.ProcessSweep(context.Background(), asynq.NewTask(jobs.TypeCertificateSweep, nil)); err != nil {
			t.Fatal(err)
		}
		if n := f.count(t, `SELECT count(*) FROM certificates WHERE user_id = $1`, u.ID); n != len(lost) {
			t.Fatalf("run %d: %d certificates, want %d", run, n, len(lost))
		}
	}
}

func TestStatusIndexAllocation(t *testing.T) {
	f := newFixture(t)
	u := f.NewUser(t)
	_, token := f.issue(t, u.ID, "Allocation")
	_, p := segments(t, token)
	status := p["credentialStatus"].(map[string]any)
	var usedList, usedIndex int
	if err := f.DB.QueryRow(`SELECT status_list_id, status_index FROM certificates WHERE token = $1`, token).Scan(&usedList, &usedIndex); err != nil {
		t.Fatal(err)
	}
	t.Run("a collision is retried with another index", func(t *testing.T) {
		free := 4242
		for used := true; used; free++ {
			used = f.count(t, `SELECT count(*) FROM certificates WHERE status_list_id = $1 AND status_index = $2`, usedList, free) > 0
		}
		free--
		picks := []int{usedIndex, usedIndex, free}
		f.mod.store.random = func(int) int { x := picks[0]; picks = picks[1:]; return x }
		defer func() { f.mod.store.random = randomIndex }()
		_, tok := f.issue(t, u.ID, "Collision")
		_, p := segments(t, tok)
		if got := p["credentialStatus"].(map[string]any)["statusListIndex"]; got != strconv.Itoa(free) {
			t.Fatalf("index %v, want %d after two collisions with %v", got, free, status["statusListIndex"])
		}
	})
	t.Run("a full list opens the next one", func(t *testing.T) {
		calls := 0
		f.mod.store.random = func(int) int {
			calls++
			if calls <= pickAttempts {
				return usedIndex // every pick in the current list collides
			}
			return 7
		}
		defer func() { f.mod.store.random = randomIndex }()
		var before int
		if err := f.DB.Get(&before, `SELECT max(id) FROM status_lists`); err != nil {
			t.Fatal(err)
		}
		_, tok := f.issue(t, u.ID, "Overflow")
		_, p := segments(t, tok)
		want := "http://cybercampus.test/v1/certificates/status/" + strconv.Itoa(before+1)
		if got := p["credentialStatus"].(map[string]any)["statusListCredential"]; got != want {
			t.Fatalf("status list %v, want %s", got, want)
		}
	})
}

// TestCertificateNotificationInLearnersLanguage: the notification written in
// the issuing transaction speaks the learner's profile language, around the
// course title exactly as the certificate carries it.
func TestCertificateNotificationInLearnersLanguage(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		lang, title, body string
	}{
		{"fr", "Votre certificat pour Phishing Basics", "Chacun peut vérifier votre certificat"},
		{"es", "Su certificado de Phishing Basics", "Cualquiera puede comprobar su certificado"},
		{"en", "Your certificate for Phishing Basics", "Anyone can check your certificate"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			u := f.NewUser(t)
			if _, err := f.DB.Exec(`UPDATE users SET language = $2 WHERE id = $1`, u.ID, tc.lang); err != nil {
				t.Fatal(err)
			}
			id, _ := f.issue(t, u.ID, "Phishing Basics")
			var title, body string
			if err := f.DB.QueryRow(`SELECT title, body FROM notifications WHERE user_id = $1 AND kind = 'certificate_issued'`,
				u.ID).Scan(&title, &body); err != nil {
				t.Fatal(err)
			}
			if title != tc.title || !strings.Contains(body, tc.body) || !strings.Contains(body, "/v1/certificates/"+id) {
				t.Fatalf("title %q, body %q", title, body)
			}
		})
	}
}
