package certification

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
	"github.com/cybercampus/cybercampus/jobs"
)

// count runs a count(*) query, failing the test when the query fails (a
// failed query must never read as "nothing there").
func (f fixture) count(tb testing.TB, q string, args ...any) int {
	tb.Helper()
	var n int
	if err := f.DB.Get(&n, q, args...); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	return n
}

func (f fixture) exec(tb testing.TB, q string, args ...any) {
	tb.Helper()
	if _, err := f.DB.Exec(q, args...); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
}

// issued counts what issuing a certificate to the user for the enrollment
// writes: the certificate, its notification and the notification's email job.
type issued struct{ certificates, notifications, deliveries int }

func (f fixture) issued(tb testing.TB, userID, enrollmentID string) issued {
	tb.Helper()
	return issued{
		certificates:  f.count(tb, `SELECT count(*) FROM certificates WHERE enrollment_id = $1`, enrollmentID),
		notifications: f.count(tb, `SELECT count(*) FROM notifications WHERE user_id = $1 AND kind = 'certificate_issued'`, userID),
		deliveries: f.count(tb, `SELECT count(*) FROM outbox o JOIN notifications n ON n.id::text = o.payload->>'notification_id'
			WHERE o.task_type = $1 AND n.user_id = $2`, jobs.TypeDeliverNotification, userID),
	}
}

// TestIssueFailureLeavesNothingAndRetryIssuesOnce makes each write of the
// issuing transaction fail in turn: the job fails with an error asynq retries
// (not a permanent one), nothing of the certificate remains, and the retry,
// then the sweep, leave exactly one certificate.
func TestIssueFailureLeavesNothingAndRetryIssuesOnce(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name, table, body string
	}{
		{"storing the certificate fails", "certificates", `IF NEW.user_id = '%s' THEN RAISE EXCEPTION 'refused by the test'; END IF;`},
		{"storing the notification fails", "notifications", `IF NEW.user_id = '%s' THEN RAISE EXCEPTION 'refused by the test'; END IF;`},
		{"queuing the email fails", "outbox", `IF EXISTS (SELECT 1 FROM notifications WHERE id::text = NEW.payload->>'notification_id'
			AND user_id = '%s') THEN RAISE EXCEPTION 'refused by the test'; END IF;`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := f.NewUser(t)
			eid := f.completed(t, u.ID, "Secure Passwords")
			lists := f.count(t, `SELECT count(*) FROM status_lists`)
			name := "refuse_" + tc.table + "_" + pgtest.RandomSuffix()
			f.exec(t, `CREATE FUNCTION `+name+`() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN `+
				strings.ReplaceAll(tc.body, "%s", u.ID)+` RETURN NEW; END $$`)
			f.exec(t, `CREATE TRIGGER `+name+` BEFORE INSERT ON `+tc.table+` FOR EACH ROW EXECUTE FUNCTION `+name+`()`)
			dropped := false
			drop := func() {
				if !dropped {
					dropped = true
					f.exec(t, `DROP TRIGGER `+name+` ON `+tc.table)
					f.exec(t, `DROP FUNCTION `+name+`()`)
				}
			}
			t.Cleanup(drop)

			err := f.mod.ProcessIssue(context.Background(), issueTask(eid))
			if err == nil || errors.Is(err, asynq.SkipRetry) {
				t.Fatalf("error %v, want one asynq retries", err)
			}
			if got := f.issued(t, u.ID, eid); got != (issued{}) {
				t.Fatalf("after the failed issue: %+v, want nothing", got)
			}
			if n := f.count(t, `SELECT count(*) FROM status_lists`); n != lists {
				t.Fatalf("status lists %d, want %d", n, lists)
			}

			drop()
			if err := f.mod.ProcessIssue(context.Background(), issueTask(eid)); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if err := f.mod.ProcessSweep(context.Background(), asynq.NewTask(jobs.TypeCertificateSweep, nil)); err != nil {
				t.Fatalf("sweep: %v", err)
			}
			if got := f.issued(t, u.ID, eid); got != (issued{1, 1, 1}) {
				t.Fatalf("after the retry and a sweep: %+v, want one of each", got)
			}
		})
	}
}

// TestSweepRacingTheJobIssuesOnce holds the enrollment while the issuing job
// and the sweep (which listed the enrollment as uncertified) both wait for
// it, then lets them run together: one certificate, one notification.
func TestSweepRacingTheJobIssuesOnce(t *testing.T) {
	f := newFixture(t)
	u := f.NewUser(t)
	eid := f.completed(t, u.ID, "Phishing Awareness")
	// The first key is made outside the issuing transaction: make it now so
	// that both runners reach the enrollment lock.
	if _, err := f.mod.keys.Current(context.Background()); err != nil {
		t.Fatal(err)
	}

	blocker := f.DB.MustBegin()
	defer blocker.Rollback()
	if _, err := blocker.Exec(`SELECT 1 FROM enrollments WHERE id = $1 FOR UPDATE`, eid); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 2)
	go func() { errs <- f.mod.ProcessIssue(context.Background(), issueTask(eid)) }()
	go func() {
		errs <- f.mod.ProcessSweep(context.Background(), asynq.NewTask(jobs.TypeCertificateSweep, nil))
	}()
	f.waitLockWaiters(t, 2)
	if err := blocker.Rollback(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("runner failed: %v", err)
		}
	}
	if got := f.issued(t, u.ID, eid); got != (issued{1, 1, 1}) {
		t.Fatalf("after the race: %+v, want one of each", got)
	}
}

// waitLockWaiters waits until n sessions of the test database wait to lock
// an enrollment for issuing, directly or behind another waiter (the second
// waiter for a row waits for the first, not for the holder).
func (f fixture) waitLockWaiters(tb testing.TB, n int) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		waiting := f.count(tb, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND cardinality(pg_blocking_pids(pid)) > 0
			AND query LIKE '%FOR UPDATE OF e%'`)
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d of %d sessions waiting for a lock", waiting, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
