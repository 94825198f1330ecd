package notifications_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/cybercampus/cybercampus/jobs"
	"github.com/cybercampus/cybercampus/notifications"
)

func TestCreate(t *testing.T) {
	ctx := context.Background()
	u := newUser(t, userOpts{})
	create := func(key string, email bool) (string, bool) {
		tx := testDB.MustBegin()
		defer tx.Rollback()
		id, created, err := notifications.Create(ctx, tx, notifications.Draft{UserID: u.ID, Kind: notifications.KindReminder,
			Title: "T", Body: "B", Data: map[string]string{"k": "v"}, DedupeKey: key, Email: email})
		must(t, err)
		must(t, tx.Commit())
		return id, created
	}
	key := "test:" + u.ID
	id, created := create(key, true)
	t.Run("a new notification is stored with one delivery in the outbox", func(t *testing.T) {
		if !created || deliveries(t, id) != 1 {
			t.Fatalf("created %v with %d deliveries, want true with 1", created, deliveries(t, id))
		}
	})
	t.Run("the same dedupe key again creates nothing and enqueues nothing", func(t *testing.T) {
		again, created := create(key, true)
		if created || again != id || deliveries(t, id) != 1 {
			t.Fatalf("second Create = %s %v (%d deliveries), want %s false 1", again, created, deliveries(t, id), id)
		}
	})
	t.Run("an in-app only notification enqueues no delivery", func(t *testing.T) {
		id, created := create(key+":inapp", false)
		n := notes(t, u.ID, notifications.KindReminder)
		if !created || deliveries(t, id) != 0 || n[len(n)-1].EmailStatus != notifications.EmailNone {
			t.Fatalf("created %v, %d deliveries, status %s", created, deliveries(t, id), n[len(n)-1].EmailStatus)
		}
	})
}

// pending stores a pending reminder for u and returns its id.
func pending(t *testing.T, u user, courseTitle string) string {
	t.Helper()
	tx := testDB.MustBegin()
	defer tx.Rollback()
	id, _, err := notifications.Create(context.Background(), tx, notifications.Draft{UserID: u.ID, Kind: notifications.KindReminder,
		Title: "stored title", Body: "stored body", DedupeKey: "test:" + u.ID,
		Data:  notifications.ReminderData{CourseTitle: courseTitle, LessonTitle: "Passwords", URL: "http://cybercampus.test/v1/courses/x"},
		Email: true})
	must(t, err)
	must(t, tx.Commit())
	return id
}

func status(t *testing.T, id string) string {
	t.Helper()
	var s string
	must(t, testDB.Get(&s, `SELECT email_status FROM notifications WHERE id = $1`, id))
	return s
}

func deliverTask(id string) *asynq.Task {
	return task(jobs.TypeDeliverNotification, jobs.NotificationPayload{NotificationID: id})
}

func TestDeliverWithoutSMTP(t *testing.T) {
	ctx := context.Background()
	logs := &syncBuffer{}
	m := newModule(t, newClock(time.Now()), logs)
	u := newUser(t, userOpts{})
	id := pending(t, u, "Network defence")
	t.Run("the email is written to the log and marked logged", func(t *testing.T) {
		must(t, m.Deliver(ctx, deliverTask(id)))
		if s := status(t, id); s != notifications.EmailLogged {
			t.Fatalf("status %s, want logged", s)
		}
		if !strings.Contains(logs.String(), "Keep going with Network defence") || !strings.Contains(logs.String(), u.Email) {
			t.Fatalf("log lacks the email: %s", logs.String())
		}
	})
	t.Run("a second run logs nothing more", func(t *testing.T) {
		before := strings.Count(logs.String(), "Keep going with")
		must(t, m.Deliver(ctx, deliverTask(id)))
		if after := strings.Count(logs.String(), "Keep going with"); after != before {
			t.Fatalf("emails logged %d, then %d", before, after)
		}
	})
	t.Run("a user who turned email off gets none", func(t *testing.T) {
		quiet := newUser(t, userOpts{NoEmail: true})
		id := pending(t, quiet, "Network defence")
		must(t, m.Deliver(ctx, deliverTask(id)))
		if s := status(t, id); s != notifications.EmailNone {
			t.Fatalf("status %s, want none", s)
		}
	})
	t.Run("a notification that is gone is nothing to do", func(t *testing.T) {
		if err := m.Deliver(ctx, deliverTask("0b0d8e0e-7a53-4d35-9d65-0b8c5a3f5d11")); err != nil {
			t.Fatal(err)
		}
	})
	for _, payload := range []string{`{`, `{"notification_id":"nope"}`, `[]`} {
		t.Run("malformed payload "+payload+" is not retried", func(t *testing.T) {
			err := m.Deliver(ctx, asynq.NewTask(jobs.TypeDeliverNotification, []byte(payload)))
			if !errors.Is(err, asynq.SkipRetry) {
				t.Fatalf("err = %v, want SkipRetry", err)
			}
		})
	}
}

// smtpServer speaks enough SMTP for go-mail. reply decides the answer to
// MAIL FROM in each session (numbered from 1); accepted messages are kept.
type smtpServer struct {
	ln       net.Listener
	reply    func(session int) string
	mu       sync.Mutex
	sessions int
	messages []string
}

func startSMTP(t *testing.T, reply func(session int) string) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	s := &smtpServer{ln: ln, reply: reply}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.sessions++
			n := s.sessions
			s.mu.Unlock()
			go s.serve(conn, n)
		}
	}()
	return s
}

func (s *smtpServer) url() string { return "smtp://" + s.ln.Addr().String() }

func (s *smtpServer) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.messages...)
}

func (s *smtpServer) serve(conn net.Conn, session int) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	say := func(line string) { fmt.Fprintf(conn, "%s\r\n", line) }
	say("220 localhost ESMTP test")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250-localhost")
			say("250 8BITMIME")
		case strings.HasPrefix(cmd, "MAIL FROM"):
			say(s.reply(session))
		case strings.HasPrefix(cmd, "DATA"):
			say("354 go ahead")
			var msg strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				msg.WriteString(l)
			}
			s.mu.Lock()
			s.messages = append(s.messages, msg.String())
			s.mu.Unlock()
			say("250 2.0.0 queued")
		case strings.HasPrefix(cmd, "QUIT"):
			say("221 bye")
			return
		default: // RCPT, RSET, NOOP
			say("250 ok")
		}
	}
}

func smtpModule(t *testing.T, srv *smtpServer) *notifications.Jobs {
	t.Helper()
	mailer, err := notifications.NewSMTPMailer(srv.url(), "CyberCampus <no-reply@cybercampus.test>")
	must(t, err)
	return newModule(t, newClock(time.Now()), nil).WithMailer(mailer)
}

func TestDeliverSMTP(t *testing.T) {
	ctx := context.Background()
	t.Run("a refused first attempt is retried and the email arrives once", func(t *testing.T) {
		srv := startSMTP(t, func(session int) string {
			if session == 1 {
				return "451 4.3.0 try again later"
			}
			return "250 ok"
		})
		m := smtpModule(t, srv)
		u := newUser(t, userOpts{})
		id := pending(t, u, "Cloud security")
		if err := m.Deliver(ctx, deliverTask(id)); err == nil || errors.Is(err, asynq.SkipRetry) {
			t.Fatalf("first attempt err = %v, want a retryable error", err)
		}
		if s := status(t, id); s != notifications.EmailPending {
			t.Fatalf("status after a failed attempt %s, want pending", s)
		}
		must(t, m.Deliver(ctx, deliverTask(id))) // asynq's retry
		must(t, m.Deliver(ctx, deliverTask(id))) // a duplicate run after success
		got := srv.received()
		if len(got) != 1 {
			t.Fatalf("server received %d messages, want 1", len(got))
		}
		if s := status(t, id); s != notifications.EmailSent {
			t.Fatalf("status %s, want sent", s)
		}
		for _, want := range []string{"Subject: Keep going with Cloud security", "text/plain", "text/html",
			"Message-ID: <" + id + "@cybercampus.test>", u.Email} {
			if !strings.Contains(got[0], want) {
				t.Errorf("message lacks %q:\n%s", want, got[0])
			}
		}
		var n int
		must(t, testDB.Get(&n, `SELECT count(*) FROM notifications WHERE user_id = $1`, u.ID))
		if n != 1 {
			t.Fatalf("%d notifications after retries, want 1", n)
		}
	})
	t.Run("an unreachable server is retried", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		mailer, err := notifications.NewSMTPMailer("smtp://"+addr, "no-reply@cybercampus.test")
		must(t, err)
		m := newModule(t, newClock(time.Now()), nil).WithMailer(mailer)
		id := pending(t, newUser(t, userOpts{}), "Cloud security")
		if err := m.Deliver(ctx, deliverTask(id)); err == nil || errors.Is(err, asynq.SkipRetry) {
			t.Fatalf("err = %v, want a retryable error", err)
		}
		if s := status(t, id); s != notifications.EmailPending {
			t.Fatalf("status %s, want pending", s)
		}
	})
	t.Run("a mailbox refused for good is marked failed and not retried", func(t *testing.T) {
		srv := startSMTP(t, func(int) string { return "550 5.1.1 no such mailbox" })
		m := smtpModule(t, srv)
		id := pending(t, newUser(t, userOpts{}), "Cloud security")
		if err := m.Deliver(ctx, deliverTask(id)); !errors.Is(err, asynq.SkipRetry) {
			t.Fatalf("err = %v, want SkipRetry", err)
		}
		if s := status(t, id); s != notifications.EmailFailed {
			t.Fatalf("status %s, want failed", s)
		}
	})
}
