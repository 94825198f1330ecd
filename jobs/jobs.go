// Package jobs is the leaf every feature enqueues background work through: task
// type names, payloads, the transactional outbox, the relay that moves outbox
// rows to asynq, and the periodic schedule. It imports no feature package.
package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	cc "github.com/cybercampus/cybercampus"
)

// Queues and their weights: certificate issuance first, reports last.
const (
	QueueCritical = "critical"
	QueueDefault  = "default"
	QueueLow      = "low"
)

// QueueWeights are the asynq queue priorities.
var QueueWeights = map[string]int{QueueCritical: 6, QueueDefault: 3, QueueLow: 1}

// Task types.
const (
	TypeIssueCertificate    = "certificate:issue"    // payload EnrollmentPayload
	TypeDeliverNotification = "notification:deliver" // payload NotificationPayload
	TypeCohortCreated       = "cohort:created"       // payload CohortPayload
	TypeCohortInvitation    = "cohort:invitation"    // payload InvitationPayload
	TypeBuildExport         = "report:export"        // payload ExportPayload
	TypeAccountEmail        = "account:email"        // payload AccountEmailPayload
	TypeScheduleSurveys     = "survey:schedule"      // payload EnrollmentPayload
	TypeReminders           = "periodic:reminders"   // no payload
	TypeCohortDeadlines     = "periodic:cohort-deadlines"
	TypeDigests             = "periodic:digests"
	TypeRollups             = "periodic:rollups"
	TypeCertificateSweep    = "periodic:certificate-sweep"
	TypeProgressPartitions  = "periodic:partitions"
	TypeStatusLists         = "periodic:status-lists"
	TypeSignStatusList      = "certificate:status-list" // payload StatusListPayload
	TypeSurveys             = "periodic:surveys"
)

// Retention keeps a relayed task in Redis for a while after it succeeds, so
// that relaying the same outbox row again (a commit lost after the enqueue)
// meets asynq.ErrTaskIDConflict instead of running the task a second time.
const Retention = time.Hour

// MaxRetry is how many times a task of a queue is retried before asynq
// archives it: certificates matter most and get the longest run of retries
// (about three weeks with asynq's default backoff).
func MaxRetry(queue string) int {
	switch queue {
	case QueueCritical:
		return 25
	case QueueLow:
		return 10
	}
	return 20
}

// NewTask is the asynq task for an outbox row: the row id is the task id, so
// enqueueing a row twice is a conflict, never a second task.
func NewTask(id, taskType, queue string, payload []byte) *asynq.Task {
	return asynq.NewTask(taskType, payload, asynq.TaskID(id), asynq.Queue(queue),
		asynq.MaxRetry(MaxRetry(queue)), asynq.Retention(Retention))
}

// EnrollmentPayload names an enrollment.
type EnrollmentPayload struct {
	EnrollmentID string `json:"enrollment_id"`
}

// Validate checks the id.
func (p EnrollmentPayload) Validate() error { return checkID("enrollment_id", p.EnrollmentID) }

// NotificationPayload names a stored notification to deliver by email.
type NotificationPayload struct {
	NotificationID string `json:"notification_id"`
}

// Validate checks the id.
func (p NotificationPayload) Validate() error { return checkID("notification_id", p.NotificationID) }

// CohortPayload names a cohort.
type CohortPayload struct {
	CohortID string `json:"cohort_id"`
}

// Validate checks the id.
func (p CohortPayload) Validate() error { return checkID("cohort_id", p.CohortID) }

// InvitationPayload names a cohort invitation to email.
type InvitationPayload struct {
	InvitationID string `json:"invitation_id"`
}

// Validate checks the id.
func (p InvitationPayload) Validate() error { return checkID("invitation_id", p.InvitationID) }

// StatusListPayload names a certificate status list to sign again.
type StatusListPayload struct {
	ListID int `json:"list_id"`
}

// Validate checks the id.
func (p StatusListPayload) Validate() error {
	if p.ListID < 1 {
		return fmt.Errorf("list_id %d is not a status list id", p.ListID)
	}
	return nil
}

// ExportPayload names a report export.
type ExportPayload struct {
	ExportID string `json:"export_id"`
}

// Validate checks the id.
func (p ExportPayload) Validate() error { return checkID("export_id", p.ExportID) }

// Kinds of account email.
const (
	AccountEmailPasswordReset = "password_reset"     // a reset link the person asked for
	AccountEmailAccountLocked = "account_locked"     // many failed sign-ins: a reset link unlocks
	AccountEmailVerification  = "email_verification" // a link that proves the address
)

// AccountEmailPayload asks for an account email with a single-use link. The
// worker makes the link's token, so it never exists outside the email: the
// payload names the account by id, or by the address someone typed (a
// reset request answers the same whether or not an account has it, and the
// worker finds out).
type AccountEmailPayload struct {
	Kind   string `json:"kind"`
	UserID string `json:"user_id,omitempty"`
	Email  string `json:"email,omitempty"`
}

// Validate checks the kind and that the account is named one way.
func (p AccountEmailPayload) Validate() error {
	switch p.Kind {
	case AccountEmailPasswordReset, AccountEmailAccountLocked, AccountEmailVerification:
	default:
		return fmt.Errorf("unknown account email kind %q", p.Kind)
	}
	if (p.UserID == "") == (p.Email == "") {
		return fmt.Errorf("name the account by user_id or by email")
	}
	if p.UserID != "" {
		return checkID("user_id", p.UserID)
	}
	return nil
}

func checkID(field, id string) error {
	if !cc.IsUUID(id) {
		return fmt.Errorf("%s %q is not a UUID", field, id)
	}
	return nil
}

// Decode reads a task's JSON payload into v and validates it when v has a
// Validate method. A payload that cannot be right however often it is retried
// fails with asynq.SkipRetry, so asynq archives the task at once.
func Decode(t *asynq.Task, v any) error {
	if err := json.Unmarshal(t.Payload(), v); err != nil {
		return fmt.Errorf("%s: malformed payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	if val, ok := v.(interface{ Validate() error }); ok {
		if err := val.Validate(); err != nil {
			return fmt.Errorf("%s: invalid payload: %v: %w", t.Type(), err, asynq.SkipRetry)
		}
	}
	return nil
}

// TaskCheckInterval is how often an idle worker asks Redis for new tasks
// (asynq's default is 1 s). A certificate is issued by the first worker poll
// after its completion commits, so the poll decides how long a learner waits
// for it; five polls a second per worker cost Redis next to nothing.
const TaskCheckInterval = 200 * time.Millisecond

// Enqueue inserts an outbox row for a task in the caller's transaction, so the
// task exists exactly when the domain write that needs it commits. It returns
// the row id, which becomes the asynq task id.
func Enqueue(ctx context.Context, tx sqlx.ExtContext, taskType, queue string, payload any) (string, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("encode %s payload: %w", taskType, err)
	}
	var id string
	const q = `INSERT INTO outbox (task_type, payload, queue) VALUES ($1, $2, $3) RETURNING id`
	if err := sqlx.GetContext(ctx, tx, &id, q, taskType, string(b), queue); err != nil {
		return "", fmt.Errorf("enqueue %s: %w", taskType, err)
	}
	return id, nil
}

// EnqueueAll inserts one outbox row per payload, all of one task type, in the
// caller's transaction and in one statement (a roster of thousands of
// invitations is one round trip, not thousands).
func EnqueueAll(ctx context.Context, tx sqlx.ExtContext, taskType, queue string, payloads []any) error {
	if len(payloads) == 0 {
		return nil
	}
	docs := make([]string, len(payloads))
	for i, p := range payloads {
		b, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("encode %s payload: %w", taskType, err)
		}
		docs[i] = string(b)
	}
	const q = `INSERT INTO outbox (task_type, payload, queue) SELECT $1, p::jsonb, $2 FROM unnest($3::text[]) AS p`
	if _, err := tx.ExecContext(ctx, q, taskType, queue, pq.StringArray(docs)); err != nil {
		return fmt.Errorf("enqueue %s: %w", taskType, err)
	}
	return nil
}
