package learners_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"

	"github.com/cybercampus/cybercampus/learners"
)

var benchSizes = []int{1, 50, 500}

// benchLearner makes a learner enrolled in a 50-lesson course and returns the
// user, the enrollment and the lessons.
func benchLearner(b *testing.B) (userID, enrollmentID string, lessons []string) {
	env := newLearningEnv(b)
	c := newCourse(b, courseSpec{Modules: 5, Lessons: 10})
	u := env.NewUser(b)
	return u.ID, enroll(b, env, u, c.Slug), c.Lessons
}

// benchBatches prepares count batches of n events, cycling through lessons.
func benchBatches(count, n int, lessons []string) []learners.ProgressBatch {
	out := make([]learners.ProgressBatch, count)
	at := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339Nano)
	for i := range out {
		out[i].Events = make([]learners.ProgressEvent, n)
		for j := range out[i].Events {
			out[i].Events[j] = learners.ProgressEvent{ID: uuid.NewString(), LessonID: lessons[(i*n+j)%len(lessons)],
				Type: learners.EventLessonCompleted, OccurredAt: at}
		}
	}
	return out
}

// BenchmarkProgressBatch measures POST /v1/progress's work (validation, lesson
// resolution, cross-partition dedupe, counting, completion check) per batch size.
func BenchmarkProgressBatch(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			userID, _, lessons := benchLearner(b)
			store := learners.NewLearningStore(learningDB.DB, time.Now)
			batches := benchBatches(b.N, n, lessons)
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := batches[i].Validate(); err != nil {
					b.Fatal(err)
				}
				res, err := store.RecordProgress(ctx, userID, batches[i])
				if err != nil || res.Accepted != n {
					b.Fatalf("accepted %d of %d: %v", res.Accepted, n, err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkDirectInsert is the baseline: the same events inserted with one
// plain INSERT ... SELECT FROM unnest, without checks or counting.
func BenchmarkDirectInsert(b *testing.B) {
	const q = `INSERT INTO progress_events (id, occurred_at, user_id, enrollment_id, lesson_id, type)
		SELECT id, occurred_at, $1, $2, lesson_id, 'lesson_completed'
		FROM unnest($3::uuid[], $4::timestamptz[], $5::uuid[]) AS t(id, occurred_at, lesson_id)`
	for _, n := range benchSizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			userID, enrollmentID, lessons := benchLearner(b)
			batches := benchBatches(b.N, n, lessons)
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ids, at, les := make([]string, n), make([]string, n), make([]string, n)
				for j, e := range batches[i].Events {
					ids[j], at[j], les[j] = e.ID, e.OccurredAt, e.LessonID
				}
				if _, err := learningDB.ExecContext(ctx, q, userID, enrollmentID, pq.StringArray(ids), pq.StringArray(at), pq.StringArray(les)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
