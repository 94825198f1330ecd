package surveys

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/internal/web"
)

// Store keeps the surveys and their responses.
type Store struct {
	db      *sqlx.DB
	now     func() time.Time
	baseURL string
	// BatchSize is how many surveys the periodic job handles per transaction.
	BatchSize int
}

// NewStore returns a store on db; now is the clock surveys fall due by.
func NewStore(db *sqlx.DB, now func() time.Time, baseURL string) *Store {
	return &Store{db: db, now: now, baseURL: baseURL, BatchSize: 200}
}

// ScheduleFor creates the surveys of a completed enrollment, due at the
// completion and the follow-up delays after it. It is idempotent (one survey
// per enrollment and kind), and does nothing for an enrollment that is not
// completed.
func (s *Store) ScheduleFor(ctx context.Context, enrollmentID string) (int, error) {
	kinds := make([]string, len(Schedule))
	secs := make([]int64, len(Schedule))
	for i, k := range Schedule {
		kinds[i], secs[i] = k.Kind, int64(k.After/time.Second)
	}
	const q = `INSERT INTO surveys (user_id, enrollment_id, course_id, kind, due_at)
		SELECT e.user_id, e.id, e.course_id, k.kind, e.completed_at + make_interval(secs => k.secs)
		FROM enrollments e, unnest($2::text[], $3::bigint[]) AS k(kind, secs)
		WHERE e.id = $1 AND e.status = 'completed' AND e.completed_at IS NOT NULL
		ON CONFLICT (enrollment_id, kind) DO NOTHING`
	res, err := s.db.ExecContext(ctx, q, enrollmentID, pq.StringArray(kinds), pq.Int64Array(secs))
	if err != nil {
		return 0, fmt.Errorf("schedule surveys: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Waiting lists the caller's surveys that are due and unanswered, in due
// order, with their questions in the caller's language.
func (s *Store) Waiting(ctx context.Context, userID string, after *web.Cursor, limit int) ([]Survey, error) {
	if after == nil {
		after = &web.Cursor{ID: "00000000-0000-0000-0000-000000000000"}
	}
	const q = `SELECT s.id, s.kind, c.slug AS course_slug, s.due_at, u.language,
			coalesce(v.translations -> u.language ->> 'title', v.title) AS course_title
		FROM surveys s JOIN users u ON u.id = s.user_id JOIN enrollments e ON e.id = s.enrollment_id
		JOIN courses c ON c.id = s.course_id JOIN course_versions v ON v.id = e.version_id
		WHERE s.user_id = $1 AND s.responded_at IS NULL AND s.due_at <= $2 AND (s.due_at, s.id) > ($3, $4::uuid)
		ORDER BY s.due_at, s.id LIMIT $5`
	var rows []struct {
		Survey
		Language string `db:"language"`
	}
	if err := s.db.SelectContext(ctx, &rows, q, userID, s.now(), after.At, after.ID, limit+1); err != nil {
		return nil, fmt.Errorf("surveys waiting: %w", err)
	}
	out := make([]Survey, len(rows))
	for i, r := range rows {
		out[i] = r.Survey
		out[i].Questions = questions(r.Kind, r.Language)
	}
	return out, nil
}

// Response is a stored survey response.
type Response struct {
	ID          string    `json:"id" db:"response_id"`
	SurveyID    string    `json:"survey_id" db:"id"`
	RespondedAt time.Time `json:"responded_at" db:"responded_at"`
}

// Respond stores the caller's one response to a survey addressed to them and
// due. Another user's survey, or one not yet due, is a 404. A resend (the same
// client-made ID and answers) returns the stored response with replayed set;
// any other second response is a 409.
func (s *Store) Respond(ctx context.Context, userID, surveyID string, r ResponseRequest) (out Response, replayed bool, err error) {
	err = postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		var row struct {
			Kind        string     `db:"kind"`
			DueAt       time.Time  `db:"due_at"`
			ResponseID  *string    `db:"response_id"`
			Answers     *[]byte    `db:"answers"`
			RespondedAt *time.Time `db:"responded_at"`
		}
		const sel = `SELECT kind, due_at, response_id, answers, responded_at FROM surveys WHERE id = $1 AND user_id = $2 FOR UPDATE`
		if err := tx.GetContext(ctx, &row, sel, surveyID, userID); postgres.IsNoRows(err) || (err == nil && row.DueAt.After(s.now())) {
			return cc.Errorf(cc.ENOTFOUND, "No such survey.")
		} else if err != nil {
			return err
		}
		if row.RespondedAt != nil {
			var stored map[string]any
			_ = json.Unmarshal(*row.Answers, &stored)
			if r.ID == "" || *row.ResponseID != r.ID || !reflect.DeepEqual(stored, r.Answers) {
				return cc.Errorf(cc.ECONFLICT, "You have already answered this survey.")
			}
			out, replayed = Response{ID: r.ID, SurveyID: surveyID, RespondedAt: *row.RespondedAt}, true
			return nil
		}
		if err := checkAnswers(row.Kind, r.Answers); err != nil {
			return err
		}
		return s.store(ctx, tx, surveyID, r, &out)
	})
	return out, replayed, err
}

func (s *Store) store(ctx context.Context, tx *sqlx.Tx, surveyID string, r ResponseRequest, out *Response) error {
	var id *string
	if r.ID != "" {
		id = &r.ID
	}
	ans, _ := json.Marshal(r.Answers)
	const upd = `UPDATE surveys SET response_id = coalesce($2::uuid, gen_random_uuid()), answers = $3, responded_at = $4
		WHERE id = $1 RETURNING id, response_id, responded_at`
	err := tx.GetContext(ctx, out, upd, surveyID, id, string(ans), s.now())
	if postgres.IsUniqueViolation(err) {
		return cc.Errorf(cc.ECONFLICT, "This response id was already used; make a new id for a new response.")
	}
	return err
}
