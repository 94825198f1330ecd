package accounts

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/cybercampus/cybercampus/jobs"
	"github.com/cybercampus/cybercampus/notifications"
)

// linkPaths are the web app pages account emails link to; the token rides
// in the query.
var linkPaths = map[string]string{
	jobs.AccountEmailPasswordReset: "/reset-password",
	jobs.AccountEmailAccountLocked: "/reset-password",
	jobs.AccountEmailVerification:  "/verify-email",
}

// RegisterTasks registers the account job handler: the account emails.
// Learning work that must happen later (certificates, cohort set-up) is
// queued through the outbox and handled by the packages that own it.
func (h *Handler) RegisterTasks(mux *asynq.ServeMux) {
	mux.HandleFunc(jobs.TypeAccountEmail, h.SendAccountEmail)
}

// SendAccountEmail handles account:email. It makes the single-use token
// here, so the token exists only in the email (the database keeps its hash),
// and writes the email in the account's language. An address no account has
// sends nothing. When the send fails the token is dropped and asynq retries
// with a new one.
func (h *Handler) SendAccountEmail(ctx context.Context, t *asynq.Task) error {
	var p jobs.AccountEmailPayload
	if err := jobs.Decode(t, &p); err != nil {
		return err
	}
	to, token, ttl, found, err := h.store.newAccountToken(ctx, p)
	if err != nil {
		return fmt.Errorf("account email: %w", err)
	}
	if !found {
		return nil
	}
	link := h.baseURL + linkPaths[p.Kind] + "?token=" + url.QueryEscape(token)
	msg, ok := notifications.ComposeAccount(notifications.AccountEmail{Kind: p.Kind, To: to.Email, Name: to.Name, Lang: to.Language,
		Link: link, Expires: int(ttl.Minutes())})
	if !ok {
		h.store.dropAccountToken(ctx, token)
		return fmt.Errorf("account email: kind %q: %w", p.Kind, asynq.SkipRetry)
	}
	html, err := msg.HTML()
	if err == nil {
		err = h.mailer.Send(ctx, notifications.Email{ID: uuid.NewString(), To: to.Email, ToName: to.Name,
			Subject: msg.Subject, Text: msg.Text(), HTML: html})
	}
	if err != nil {
		h.store.dropAccountToken(ctx, token)
		if errors.Is(err, notifications.ErrRejected) {
			return fmt.Errorf("account email: %w: %w", err, asynq.SkipRetry)
		}
		return fmt.Errorf("account email: %w", err)
	}
	return nil
}
