package notifications

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
)

// Email is one rendered email.
type Email struct {
	ID      string // the notification id, also the Message-ID's local part
	To      string
	ToName  string
	Subject string
	Text    string
	HTML    string
}

// Mailer sends emails. Status is the email_status a successful Send leaves.
type Mailer interface {
	Send(ctx context.Context, e Email) error
	Status() string
}

// ErrRejected marks a send the server refused for good (an unknown mailbox):
// retrying would not help.
var ErrRejected = errors.New("recipient rejected")

// SMTPMailer sends through an SMTP server with go-mail.
type SMTPMailer struct {
	host   string
	from   string
	domain string
	opts   []mail.Option
}

// NewSMTPMailer reads smtp://user:pass@host:port (STARTTLS when the server
// offers it, port 25 by default) or smtps://... (implicit TLS, port 465).
func NewSMTPMailer(rawURL, from string) (*SMTPMailer, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return nil, errors.New("SMTP_URL is not a valid URL with a host")
	}
	port := 25
	opts := []mail.Option{mail.WithTimeout(20 * time.Second), mail.WithTLSPolicy(mail.TLSOpportunistic)}
	if u.Scheme == "smtps" {
		port = 465
		opts = []mail.Option{mail.WithTimeout(20 * time.Second), mail.WithSSL()}
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, errors.New("SMTP_URL port is not a number")
		}
	}
	opts = append(opts, mail.WithPort(port))
	if user := u.User.Username(); user != "" {
		pass, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(user), mail.WithPassword(pass))
	}
	domain := "cybercampus.local"
	if i := strings.LastIndexByte(from, '@'); i >= 0 {
		domain = strings.Trim(from[i+1:], "> ")
	}
	return &SMTPMailer{host: u.Hostname(), from: from, domain: domain, opts: opts}, nil
}

// Status is "sent".
func (s *SMTPMailer) Status() string { return EmailSent }

// Send delivers e in one SMTP session. The Message-ID derives from the
// notification id, so a receiving server can tell a resend from a new email.
func (s *SMTPMailer) Send(ctx context.Context, e Email) error {
	m := mail.NewMsg()
	if err := m.From(s.from); err != nil {
		return fmt.Errorf("%w: from address: %v", ErrRejected, err)
	}
	if err := m.AddToFormat(e.ToName, e.To); err != nil {
		return fmt.Errorf("%w: to address: %v", ErrRejected, err)
	}
	m.Subject(e.Subject)
	m.SetMessageIDWithValue(e.ID + "@" + s.domain)
	m.SetDate()
	m.SetBodyString(mail.TypeTextPlain, e.Text)
	m.AddAlternativeString(mail.TypeTextHTML, e.HTML)
	c, err := mail.NewClient(s.host, s.opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		return classify(err)
	}
	return nil
}

// classify marks mailbox refusals (550-553) as final; anything else, a 4xx
// answer or a dropped connection, is worth retrying.
func classify(err error) error {
	var se *mail.SendError
	if errors.As(err, &se) {
		if code := se.ErrorCode(); code >= 550 && code <= 553 {
			return fmt.Errorf("%w: %v", ErrRejected, err)
		}
	}
	return fmt.Errorf("smtp: %w", err)
}

// LogMailer writes emails to the log instead of sending them; it is the mailer
// when SMTP_URL is empty.
type LogMailer struct{ Logger *slog.Logger }

// Status is "logged".
func (l LogMailer) Status() string { return EmailLogged }

// Send logs the email.
func (l LogMailer) Send(ctx context.Context, e Email) error {
	l.Logger.InfoContext(ctx, "email not sent (SMTP_URL is empty)", "notification_id", e.ID,
		"to", e.To, "subject", e.Subject, "text", e.Text)
	return nil
}
