package learners_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
	"github.com/cybercampus/cybercampus/learners"
)

// progressState is everything a progress batch can change for one enrollment:
// a failed batch must leave it exactly as it was.
type progressState struct {
	Claimed     int    `db:"claimed"` // ids of the batch in progress_event_ids
	Stored      int    `db:"stored"`  // events of the batch in progress_events
	Completions int    `db:"completions"`
	CertTasks   int    `db:"cert_tasks"`
	Status      string `db:"status"`
	Done        int    `db:"lessons_completed"`
	Percent     int    `db:"progress_percent"`
	LastActive  string `db:"last_activity_at"` // as text: compared by value
	CompletedAt string `db:"completed_at"`
}

func readProgressState(tb testing.TB, enrollmentID string, batch []event) progressState {
	tb.Helper()
	ids := make(pq.StringArray, len(batch))
	for i, e := range batch {
		ids[i] = e.ID
	}
	var s progressState
	mustGet(tb, &s, `SELECT
		(SELECT count(*) FROM progress_event_ids WHERE id = ANY($2::uuid[])) AS claimed,
		(SELECT count(*) FROM progress_events WHERE id = ANY($2::uuid[])) AS stored,
		(SELECT count(*) FROM lesson_completions WHERE enrollment_id = e.id) AS completions,
		(SELECT count(*) FROM outbox WHERE task_type = 'certificate:issue' AND payload->>'enrollment_id' = e.id::text) AS cert_tasks,
		e.status, coalesce(ep.lessons_completed, 0) AS lessons_completed,
		enrollment_percent(e.status, ep.lessons_completed, e.lessons_total) AS progress_percent,
		coalesce(ep.last_activity_at::text, '') AS last_activity_at, coalesce(e.completed_at::text, '') AS completed_at
		FROM enrollments e LEFT JOIN enrollment_progress ep ON ep.enrollment_id = e.id WHERE e.id = $1`, enrollmentID, ids)
	return s
}

// refuse makes every row that table receives from one enrollment fail, through
// a trigger the test removes when it ends: the statement that writes it, and
// so the whole progress transaction, fails.
func refuse(tb testing.TB, table, event, when string) (remove func()) {
	tb.Helper()
	name := "refuse_" + table + "_" + pgtest.RandomSuffix()
	mustExec(tb, `CREATE FUNCTION `+name+`() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'refused by the test'; END $$`)
	mustExec(tb, `CREATE TRIGGER `+name+` BEFORE `+event+` ON `+table+` FOR EACH ROW WHEN (`+when+`) EXECUTE FUNCTION `+name+`()`)
	removed := false
	remove = func() {
		if !removed {
			removed = true
			mustExec(tb, `DROP TRIGGER `+name+` ON `+table)
			mustExec(tb, `DROP FUNCTION `+name+`()`)
		}
	}
	tb.Cleanup(remove)
	return remove
}

// TestProgressFailureLosesNothing makes each write of a progress batch fail
// in turn. The client gets a problem that does not show the database's error
// and resends the batch, as it does until a batch is acknowledged.
//
// When storing the events fails, the batch must change nothing: no claim on
// its event ids (a stuck claim would turn the resend into a "duplicate" and
// lose the events for good) and no counter; the resend is accepted in full.
//
// When completing the enrollment or queuing its certificate fails, the
// lessons are already stored (the completion runs after them): the enrollment
// must stay active without a certificate task, and the resend, whose events
// are then all duplicates, must complete it and queue exactly one certificate.
func TestProgressFailureLosesNothing(t *testing.T) {
	env := newLearningEnv(t)
	for _, tc := range []struct {
		name, table, event, when string
		stored                   bool // whether the failed batch's lessons stay stored
	}{
		{"storing the events fails", "lesson_completions", "INSERT", "NEW.enrollment_id = '%s'", false},
		{"completing the enrollment fails", "enrollments", "UPDATE", "NEW.id = '%s' AND NEW.status = 'completed'", true},
		{"queuing the certificate fails", "outbox", "INSERT", "NEW.payload->>'enrollment_id' = '%s'", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCourse(t, courseSpec{Lessons: 3})
			u := env.NewUser(t)
			enrollmentID := enroll(t, env, u, c.Slug)
			first := lessonEvent(c.Lessons[0], time.Now().Add(-2*time.Hour))
			if r := sendProgress(t, env, u, []event{first}); r.Accepted != 1 {
				t.Fatalf("first event: %+v", r)
			}
			// The rest of the course, and a replay of the first event.
			batch := append(completeAll(c.Lessons[1:]), first)
			before := readProgressState(t, enrollmentID, batch)
			if before.Claimed != 1 {
				t.Fatalf("%d ids of the batch claimed before it was sent, want 1 (the replayed event)", before.Claimed)
			}

			remove := refuse(t, tc.table, tc.event, strings.ReplaceAll(tc.when, "%s", enrollmentID))
			resp := env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/progress", Token: u.Token,
				Body: map[string]any{"events": batch}}, http.StatusInternalServerError)
			if strings.Contains(string(resp.Body), "refused") {
				t.Fatalf("the problem shows the database's error: %s", resp.Body)
			}
			after := readProgressState(t, enrollmentID, batch)
			if !tc.stored && after != before {
				t.Fatalf("the failed batch changed the enrollment:\nbefore %+v\nafter  %+v", before, after)
			}
			if tc.stored && (after.Claimed != 3 || after.Stored != 3 || after.Completions != 3 || after.Done != 3 ||
				after.Status != "active" || after.CompletedAt != "" || after.CertTasks != 0) {
				t.Fatalf("after the failed completion: %+v, want the lessons stored and the enrollment active without a certificate task", after)
			}

			remove()
			r := sendProgress(t, env, u, batch)
			want := progressResult{Accepted: 2, Duplicates: 1}
			if tc.stored {
				want = progressResult{Accepted: 0, Duplicates: 3}
			}
			if r.Accepted != want.Accepted || r.Duplicates != want.Duplicates || len(r.Rejected) != 0 {
				t.Fatalf("resend after the failure: %+v, want %d accepted and %d duplicates", r, want.Accepted, want.Duplicates)
			}
			after = readProgressState(t, enrollmentID, batch)
			if after.Claimed != 3 || after.Stored != 3 || after.Completions != 3 || after.Done != 3 ||
				after.Percent != 100 || after.Status != "completed" || after.CertTasks != 1 {
				t.Fatalf("after the resend: %+v", after)
			}
			// Another resend finds it completed and queues nothing more.
			sendProgress(t, env, u, batch)
			if again := readProgressState(t, enrollmentID, batch); again != after {
				t.Fatalf("a second resend changed the enrollment:\nbefore %+v\nafter  %+v", after, again)
			}
		})
	}
}

// TestProgressCancelledWhileWaitingLosesNothing cancels a batch while its
// first statement waits for a lock (a client that gives up, a request that
// times out): the store reports the failure and the resend is accepted.
func TestProgressCancelledWhileWaitingLosesNothing(t *testing.T) {
	env := newLearningEnv(t)
	c := newCourse(t, courseSpec{Lessons: 2})
	u := env.NewUser(t)
	enrollmentID := enroll(t, env, u, c.Slug)
	events := completeAll(c.Lessons)
	before := readProgressState(t, enrollmentID, events)
	raw, err := json.Marshal(map[string]any{"events": events})
	if err != nil {
		t.Fatal(err)
	}
	var batch learners.ProgressBatch
	if err := json.Unmarshal(raw, &batch); err != nil {
		t.Fatal(err)
	}
	if err := batch.Validate(); err != nil {
		t.Fatal(err)
	}
	store := learners.NewLearningStore(learningDB.DB, nil)

	// Hold the lessons table so that the batch's lesson lookup waits.
	blocker := learningDB.MustBegin()
	defer blocker.Rollback()
	if _, err := blocker.Exec(`LOCK TABLE lessons IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	var blockerPID int
	if err := blocker.Get(&blockerPID, `SELECT pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	failed := make(chan error, 1)
	go func() {
		_, err := store.RecordProgress(ctx, u.ID, batch)
		failed <- err
	}()
	waitBlockedBy(t, blockerPID, "%AS x(lesson_id)%", 1) // the lesson lookup
	cancel()
	if err := <-failed; err == nil {
		t.Fatal("a batch cancelled while waiting reported success")
	}
	if err := blocker.Rollback(); err != nil {
		t.Fatal(err)
	}

	if after := readProgressState(t, enrollmentID, events); after != before {
		t.Fatalf("the cancelled batch changed the enrollment:\nbefore %+v\nafter  %+v", before, after)
	}
	r := sendProgress(t, env, u, events)
	if r.Accepted != len(events) || r.Duplicates != 0 {
		t.Fatalf("resend after the cancellation: %+v", r)
	}
}

// waitBlockedBy waits until n sessions running a statement like query wait
// for a lock that the session with pid holds. It fails the test if they
// never do.
func waitBlockedBy(tb testing.TB, pid int, query string, n int) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting int
		mustGet(tb, &waiting, `SELECT count(*) FROM pg_stat_activity
			WHERE $1 = ANY(pg_blocking_pids(pid)) AND query LIKE $2`, pid, query)
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d of %d sessions waiting for the lock", waiting, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestQuizAttemptFailureSpendsNothing fails the transaction of the attempt
// that completes a course (its certificate cannot be queued): the attempt is
// not stored and spends nothing, so its resend is graded as new (201), not
// answered as a stored attempt or refused for want of attempts left.
func TestQuizAttemptFailureSpendsNothing(t *testing.T) {
	env := newLearningEnv(t)
	c := newCourse(t, courseSpec{Lessons: 1, Quiz: true, PassScore: 50, MaxAttempts: 1})
	u := env.NewUser(t)
	enrollmentID := enroll(t, env, u, c.Slug)
	sendProgress(t, env, u, completeAll(c.Lessons))
	q := c.Quizzes[0]
	attempt := apptest.Request{Method: http.MethodPost, Path: "/v1/quizzes/" + q.ID + "/attempts", Token: u.Token,
		Body: map[string]any{"id": uuid.NewString(), "answers": q.rightAnswers()}}
	attempts := func() int {
		var n int
		mustGet(t, &n, `SELECT count(*) FROM quiz_attempts WHERE enrollment_id = $1`, enrollmentID)
		return n
	}

	remove := refuse(t, "outbox", "INSERT", "NEW.payload->>'enrollment_id' = '"+enrollmentID+"'")
	env.Expect(t, attempt, http.StatusInternalServerError)
	if n := attempts(); n != 0 {
		t.Fatalf("%d attempts stored by the failed transaction", n)
	}
	if status, _, _ := enrollmentStatus(t, enrollmentID); status != "active" || certificateTasks(t, enrollmentID) != 0 {
		t.Fatalf("after the failure: status %s, %d certificate tasks", status, certificateTasks(t, enrollmentID))
	}

	remove()
	env.Expect(t, attempt, http.StatusCreated)
	if n := attempts(); n != 1 {
		t.Fatalf("%d attempts after the resend, want 1", n)
	}
	if status, _, _ := enrollmentStatus(t, enrollmentID); status != "completed" || certificateTasks(t, enrollmentID) != 1 {
		t.Fatalf("after the resend: status %s, %d certificate tasks", status, certificateTasks(t, enrollmentID))
	}
}

// TestEnrollFailureLeavesNoEnrollment fails the enrollment insert: the answer
// is a 500 problem, no enrollment exists, and the retry creates it (201).
func TestEnrollFailureLeavesNoEnrollment(t *testing.T) {
	env := newLearningEnv(t)
	c := newCourse(t, courseSpec{Lessons: 1})
	u := env.NewUser(t)
	enrolments := func() int {
		var n int
		mustGet(t, &n, `SELECT count(*) FROM enrollments WHERE user_id = $1`, u.ID)
		return n
	}
	remove := refuse(t, "enrollments", "INSERT", "NEW.user_id = '"+u.ID+"'")
	env.Expect(t, apptest.Request{Method: http.MethodPost, Path: "/v1/courses/" + c.Slug + "/enrollments", Token: u.Token},
		http.StatusInternalServerError)
	if n := enrolments(); n != 0 {
		t.Fatalf("%d enrollments after the failure", n)
	}
	remove()
	enroll(t, env, u, c.Slug) // 201: created now
	if n := enrolments(); n != 1 {
		t.Fatalf("%d enrollments after the retry", n)
	}
}
