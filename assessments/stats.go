package assessments

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/jmoiron/sqlx"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/courses"
	"github.com/cybercampus/cybercampus/internal/postgres"
)

// MinResponses is how many responses an item needs before its statistics are
// shown: with fewer, facility and discrimination swing with every learner and
// would mislead an author.
const MinResponses = 30

// ItemStatistics is GET /v1/courses/{slug}/item-statistics.
type ItemStatistics struct {
	CourseSlug   string     `json:"course_slug"`
	MinResponses int        `json:"min_responses"`
	Items        []ItemStat `json:"items"`
}

// ItemStat is one bank item's or quiz question's statistics, as Moodle's quiz
// statistics define them: facility is the share of responses that were right;
// discrimination is the correlation between the item's score (0 or 1) and the
// share right of the rest of the same attempt. Both are null with a reason
// when they cannot be computed honestly.
type ItemStat struct {
	Source         string   `json:"source"`   // "assessment" or "quiz"
	QuizKey        *string  `json:"quiz_key"` // for quiz questions
	Key            string   `json:"key"`
	Text           string   `json:"text"`
	Responses      int      `json:"responses"`
	Facility       *float64 `json:"facility"`
	Discrimination *float64 `json:"discrimination"`
	Reason         *string  `json:"reason"`
}

// response is one attempt's item results.
type response []ItemResult

// computeStats fills facility and discrimination of stat from the attempts
// that included its item, given at least min responses.
func computeStats(stat *ItemStat, attempts []response, min int) {
	var xs, ys []float64
	for _, a := range attempts {
		x, rest, right, found := 0.0, 0, 0, false
		for _, r := range a {
			if r.Item == stat.Key {
				found = true
				if r.Correct {
					x = 1
				}
				continue
			}
			rest++
			if r.Correct {
				right++
			}
		}
		if !found {
			continue
		}
		stat.Responses++
		xs = append(xs, x)
		if rest > 0 {
			ys = append(ys, float64(right)/float64(rest))
		} else {
			ys = append(ys, math.NaN())
		}
	}
	if stat.Responses < min {
		stat.Reason = ptr(fmt.Sprintf("fewer than %d responses", min))
		return
	}
	stat.Facility = ptr(round(mean(xs)))
	if d, ok := correlation(xs, ys); ok {
		stat.Discrimination = ptr(round(d))
	} else {
		stat.Reason = ptr("no variation in the item's or the rest of the test's scores")
	}
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// correlation is Pearson's r over the pairs where y is known; false when
// either side does not vary.
func correlation(xs, ys []float64) (float64, bool) {
	var px, py []float64
	for i := range xs {
		if !math.IsNaN(ys[i]) {
			px, py = append(px, xs[i]), append(py, ys[i])
		}
	}
	if len(px) < 2 {
		return 0, false
	}
	mx, my := mean(px), mean(py)
	var sxy, sxx, syy float64
	for i := range px {
		sxy += (px[i] - mx) * (py[i] - my)
		sxx += (px[i] - mx) * (px[i] - mx)
		syy += (py[i] - my) * (py[i] - my)
	}
	if sxx == 0 || syy == 0 {
		return 0, false
	}
	return sxy / math.Sqrt(sxx*syy), true
}

func round(x float64) float64 { return math.Round(x*1000) / 1000 }

func ptr[T any](v T) *T { return &v }

// ItemStatistics computes the statistics of the bank of slug's current
// version (over every attempt at the pre- and post-tests of the course, by
// item key) and of its quiz questions (over each learner's first attempt, as
// later attempts measure memory of the feedback).
func (s *Store) ItemStatistics(ctx context.Context, slug string) (*ItemStatistics, error) {
	var c struct {
		ID       string  `db:"id"`
		Document *[]byte `db:"document"`
	}
	const q = `SELECT c.id, v.document FROM courses c JOIN course_versions v ON v.id = c.current_version_id WHERE c.slug = $1`
	if err := s.db.GetContext(ctx, &c, q, slug); postgres.IsNoRows(err) {
		return nil, cc.Errorf(cc.ENOTFOUND, "No such course.")
	} else if err != nil {
		return nil, err
	}
	var doc courses.Document
	if err := json.Unmarshal(*c.Document, &doc); err != nil {
		return nil, fmt.Errorf("decode course document: %w", err)
	}
	out := &ItemStatistics{CourseSlug: slug, MinResponses: MinResponses, Items: []ItemStat{}}
	if doc.Assessment != nil {
		attempts, err := attemptResults(ctx, s.db, `SELECT results FROM assessment_attempts WHERE course_id = $1`, c.ID)
		if err != nil {
			return nil, err
		}
		for _, item := range doc.Assessment.Bank {
			st := ItemStat{Source: "assessment", Key: item.Key, Text: item.Text}
			computeStats(&st, attempts, MinResponses)
			out.Items = append(out.Items, st)
		}
	}
	quiz, err := s.quizStats(ctx, c.ID)
	out.Items = append(out.Items, quiz...)
	return out, err
}

func attemptResults(ctx context.Context, db sqlx.QueryerContext, q string, args ...any) ([]response, error) {
	var raws [][]byte
	if err := sqlx.SelectContext(ctx, db, &raws, q, args...); err != nil {
		return nil, err
	}
	out := make([]response, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			return nil, fmt.Errorf("decode attempt results: %w", err)
		}
	}
	return out, nil
}

// quizStats computes the statistics of the current version's quiz questions.
// Quiz attempts store results by question ID; they are read as item results
// keyed by that ID and reported under the question's key.
func (s *Store) quizStats(ctx context.Context, courseID string) ([]ItemStat, error) {
	var qs []struct {
		ID      string `db:"id"`
		Key     string `db:"key"`
		Text    string `db:"text"`
		QuizID  string `db:"quiz_id"`
		QuizKey string `db:"quiz_key"`
	}
	const sel = `SELECT qq.id, qq.key, qq.text, q.id AS quiz_id, q.key AS quiz_key
		FROM courses c JOIN quizzes q ON q.version_id = c.current_version_id JOIN course_modules m ON m.id = q.module_id
		JOIN quiz_questions qq ON qq.quiz_id = q.id WHERE c.id = $1 ORDER BY m.position, qq.position`
	if err := s.db.SelectContext(ctx, &qs, sel, courseID); err != nil {
		return nil, err
	}
	byQuiz := map[string][]response{}
	out := make([]ItemStat, 0, len(qs))
	for _, qn := range qs {
		attempts, ok := byQuiz[qn.QuizID]
		if !ok {
			var err error
			attempts, err = quizFirstAttempts(ctx, s.db, qn.QuizID)
			if err != nil {
				return nil, err
			}
			byQuiz[qn.QuizID] = attempts
		}
		st := ItemStat{Source: "quiz", QuizKey: ptr(qn.QuizKey), Key: qn.ID, Text: qn.Text}
		computeStats(&st, attempts, MinResponses)
		st.Key = qn.Key
		out = append(out, st)
	}
	return out, nil
}

func quizFirstAttempts(ctx context.Context, db *sqlx.DB, quizID string) ([]response, error) {
	var raws [][]byte
	const q = `SELECT results FROM quiz_attempts WHERE quiz_id = $1 AND attempt_number = 1`
	if err := db.SelectContext(ctx, &raws, q, quizID); err != nil {
		return nil, err
	}
	out := make([]response, len(raws))
	for i, raw := range raws {
		var rs []struct {
			QuestionID string `json:"question_id"`
			Correct    bool   `json:"correct"`
		}
		if err := json.Unmarshal(raw, &rs); err != nil {
			return nil, fmt.Errorf("decode quiz attempt results: %w", err)
		}
		for _, r := range rs {
			out[i] = append(out[i], ItemResult{Item: r.QuestionID, Correct: r.Correct})
		}
	}
	return out, nil
}
