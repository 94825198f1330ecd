// Package learners is the learner side of CyberCampus: enrollment and
// offline-safe progress, quiz attempts, trainers' cohorts, pupils and
// guardians.
//
// Files are named by role. Both stores are declared in store.go, their
// methods grouped by entity in <entity>_store.go; domain types, validation
// and errors are in <entity>.go and handlers in <entity>_http.go.
package learners

import (
	"strconv"
	"strings"
	"time"

	cc "github.com/cybercampus/cybercampus"
)

// Enrollment is a learner's place in one course, as the API shows it.
type Enrollment struct {
	ID              string     `db:"id" json:"id"`
	Course          CourseRef  `db:"" json:"course"`
	Status          string     `db:"status" json:"status"`
	ProgressPercent int        `db:"progress_percent" json:"progress_percent"`
	EnrolledAt      time.Time  `db:"enrolled_at" json:"enrolled_at"`
	LastActivityAt  *time.Time `db:"last_activity_at" json:"last_activity_at"`
	CompletedAt     *time.Time `db:"completed_at" json:"completed_at"`
}

// CourseRef names a course in other resources.
type CourseRef struct {
	Slug  string `db:"course_slug" json:"slug"`
	Title string `db:"course_title" json:"title"`
}

// CourseProgress is a learner's detailed progress in one course.
type CourseProgress struct {
	ProgressPercent int              `json:"progress_percent"`
	Lessons         []LessonProgress `json:"lessons"`
	Quizzes         []QuizProgress   `json:"quizzes"`
}

// LessonProgress says when a lesson of the pinned version was completed.
type LessonProgress struct {
	ID          string     `db:"id" json:"id"`
	CompletedAt *time.Time `db:"completed_at" json:"completed_at"`
}

// QuizProgress is a learner's best result at a quiz of the pinned version.
type QuizProgress struct {
	ID        string `db:"id" json:"id"`
	BestScore *int   `db:"best_score" json:"best_score"`
	Passed    bool   `db:"passed" json:"passed"`
}

// Progress batches are bounded so one request stays one short transaction.
const (
	maxBatchEvents = 500
	// clockSkew is how far in the future an event's time may lie: device clocks drift.
	clockSkew = 5 * time.Minute
)

// EventLessonCompleted is the only progress event type.
const EventLessonCompleted = "lesson_completed"

// ProgressBatch is the body of POST /v1/progress.
type ProgressBatch struct {
	Events []ProgressEvent `json:"events"`
}

// ProgressEvent is one client-made event; ID makes replays harmless.
type ProgressEvent struct {
	ID         string    `json:"id"`
	LessonID   string    `json:"lesson_id"`
	Type       string    `json:"type"`
	OccurredAt string    `json:"occurred_at"`
	at         time.Time // OccurredAt parsed by Validate
}

// Validate checks the envelope and every event, normalises IDs to lower case
// and drops exact copies of an event within the batch (they are replays).
// An ID repeated with different content is an error: the client is confused.
func (b *ProgressBatch) Validate() error {
	var v cc.Validation
	if len(b.Events) == 0 || len(b.Events) > maxBatchEvents {
		v.Add("events", "must hold 1 to %d events", maxBatchEvents)
		return v.Err()
	}
	for i := range b.Events {
		b.Events[i].validate(&v, i)
	}
	if err := v.Err(); err != nil {
		return err
	}
	seen := make(map[string]int, len(b.Events))
	for i, e := range b.Events {
		if j, ok := seen[e.ID]; ok {
			f := b.Events[j]
			if f.LessonID != e.LessonID || f.Type != e.Type || !f.at.Equal(e.at) {
				v.Add(eventField(i, "id"), "repeats the id of events[%d] with different content", j)
			}
			continue
		}
		seen[e.ID] = i
	}
	return v.Err()
}

// eventField names a field of the i-th event in a problem, such as events[3].id.
func eventField(i int, name string) string {
	return "events[" + strconv.Itoa(i) + "]." + name
}

// validate checks the i-th event of a batch. It allocates nothing for a valid
// event: a 500-event batch is checked on every sync.
func (e *ProgressEvent) validate(v *cc.Validation, i int) {
	e.ID = strings.ToLower(e.ID)
	e.LessonID = strings.ToLower(e.LessonID)
	if !cc.IsUUID(e.ID) {
		v.Add(eventField(i, "id"), "must be a UUID made by the client")
	}
	if !cc.IsUUID(e.LessonID) {
		v.Add(eventField(i, "lesson_id"), "must be a lesson UUID")
	}
	if e.Type != EventLessonCompleted {
		v.Add(eventField(i, "type"), "must be %s", EventLessonCompleted)
	}
	t, err := time.Parse(time.RFC3339Nano, e.OccurredAt)
	if err != nil {
		v.Add(eventField(i, "occurred_at"), "must be an RFC 3339 timestamp such as 2026-01-31T09:30:00Z")
		return
	}
	e.at = t.UTC()
}

// unique returns the batch's events with in-batch copies removed.
func (b *ProgressBatch) unique() []ProgressEvent {
	seen := make(map[string]bool, len(b.Events))
	out := make([]ProgressEvent, 0, len(b.Events))
	for _, e := range b.Events {
		if !seen[e.ID] {
			seen[e.ID] = true
			out = append(out, e)
		}
	}
	return out
}

// ProgressResult is the answer to a progress batch.
type ProgressResult struct {
	Accepted   int             `json:"accepted"`
	Duplicates int             `json:"duplicates"`
	Rejected   []RejectedEvent `json:"rejected"`
}

// RejectedEvent is an event that could not be applied, and why.
type RejectedEvent struct {
	ID    string `json:"id"`
	Error string `json:"error"`
}
