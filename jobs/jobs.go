// Package jobs is the leaf every feature enqueues background work through: task
// type names, payloads, the transactional outbox, the relay that moves outbox
// rows to asynq, and the periodic schedule. It imports no feature package.
package jobs

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"
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
	TypeEnrollmentCompleted = "enrollment:completed" // payload EnrollmentPayload
	TypeIssueCertificate    = "certificate:issue"    // payload EnrollmentPayload
	TypeDeliverNotification = "notification:deliver" // payload NotificationPayload
	TypeCohortCreated       = "cohort:created"       // payload CohortPayload
	TypeBuildExport         = "report:export"        // payload ExportPayload
	TypeReminders           = "periodic:reminders"   // no payload
	TypeCohortDeadlines     = "periodic:cohort-deadlines"
	TypeDigests             = "periodic:digests"
	TypeRollups             = "periodic:rollups"
	TypeCertificateSweep    = "periodic:certificate-sweep"
	TypeProgressPartitions  = "periodic:partitions"
)

// EnrollmentPayload names an enrollment.
type EnrollmentPayload struct {
	EnrollmentID string `json:"enrollment_id"`
}

// NotificationPayload names a stored notification to deliver by email.
type NotificationPayload struct {
	NotificationID string `json:"notification_id"`
}

// CohortPayload names a cohort.
type CohortPayload struct {
	CohortID string `json:"cohort_id"`
}

// ExportPayload names a report export.
type ExportPayload struct {
	ExportID string `json:"export_id"`
}

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
	if err := sqlx.GetContext(ctx, tx, &id, q, taskType, b, queue); err != nil {
		return "", fmt.Errorf("enqueue %s: %w", taskType, err)
	}
	return id, nil
}
