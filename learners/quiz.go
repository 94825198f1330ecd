package learners

import (
	"fmt"
	"slices"
	"strings"
	"time"

	cc "github.com/cybercampus/cybercampus"
)

// AttemptRequest is the body of POST /v1/quizzes/{id}/attempts: question ID to
// the IDs of the chosen options, and optionally a client-made attempt ID so
// that an app resending an attempt whose answer it never received gets the
// stored result instead of spending another attempt.
type AttemptRequest struct {
	ID      string              `json:"id"`
	Answers map[string][]string `json:"answers"`
}

// maxOptionsPerAnswer bounds an answer; no question has more options.
const maxOptionsPerAnswer = 100

// Validate checks the shape of the answers; whether the IDs belong to the quiz
// is checked when grading.
func (r *AttemptRequest) Validate() error {
	var v cc.Validation
	r.ID = strings.ToLower(r.ID)
	v.Check(r.ID == "" || cc.IsUUID(r.ID), "id", "must be a UUID made by the client for this attempt")
	if r.Answers == nil {
		v.Add("answers", "is required: an object of question IDs to arrays of option IDs")
		return v.Err()
	}
	normal := make(map[string][]string, len(r.Answers))
	for q, opts := range r.Answers {
		field := "answers." + q
		v.Check(cc.IsUUID(q), field, "is not a question ID")
		v.Check(len(opts) <= maxOptionsPerAnswer, field, "has too many options")
		for _, o := range opts {
			v.Check(cc.IsUUID(o), field, "%q is not an option ID", o)
		}
		ids := make([]string, len(opts))
		for i, o := range opts {
			ids[i] = strings.ToLower(o)
		}
		slices.Sort(ids)
		normal[strings.ToLower(q)] = slices.Compact(ids)
	}
	r.Answers = normal
	return v.Err()
}

// Attempt is one graded attempt at a quiz. Results say which questions were
// right; the correct options and explanations are in them only when
// AnswersShown (the quiz's review policy, see reveals).
type Attempt struct {
	ID            string           `json:"id"`
	QuizID        string           `json:"quiz_id"`
	AttemptNumber int              `json:"attempt_number"`
	Score         int              `json:"score"`
	Passed        bool             `json:"passed"`
	CreatedAt     time.Time        `json:"created_at"`
	AnswersShown  bool             `json:"answers_shown"`
	Results       []QuestionResult `json:"results"`
}

// QuestionResult is the grading of one question of the attempt. Stored, it
// holds the answer key; shown, the key is left out unless the review policy
// allows it.
type QuestionResult struct {
	QuestionID       string   `json:"question_id"`
	SelectedOptions  []string `json:"selected_option_ids"`
	Correct          bool     `json:"correct"`
	CorrectOptionIDs []string `json:"correct_option_ids,omitempty"`
	Explanation      string   `json:"explanation,omitempty"`
}

// Review policies of a quiz (courses.ReviewPolicies).
const (
	reviewAfterPassOrLastAttempt = "after_pass_or_last_attempt"
	reviewAfterEachAttempt       = "after_each_attempt"
	reviewNever                  = "never"
)

// reveals reports whether the quiz's review policy shows the answer key,
// given the learner's attempts so far. By default only a learner who passed,
// or who has no attempt left, sees it: a failed attempt with attempts left
// must not hand over the key for the next one.
func reveals(qz quizRow, st attemptStats) bool {
	switch qz.Review {
	case reviewAfterEachAttempt:
		return st.Used > 0
	case reviewNever:
		return false
	}
	return st.Passed || st.Used >= qz.MaxAttempts
}

// reviewed is the attempt as the learner may see it: with its answer key when
// show, else with only which questions were right.
func (a Attempt) reviewed(show bool) Attempt {
	a.AnswersShown = show
	results := make([]QuestionResult, len(a.Results))
	for i, r := range a.Results {
		if !show {
			r.CorrectOptionIDs, r.Explanation = nil, ""
		}
		results[i] = r
	}
	a.Results = results
	return a
}

// AttemptResult is the answer to a submitted attempt.
type AttemptResult struct {
	Attempt      Attempt `json:"attempt"`
	Score        int     `json:"score"`
	Passed       bool    `json:"passed"`
	AttemptsLeft int     `json:"attempts_left"`
}

// quizQuestion is a question with its answer key, as grading needs it.
type quizQuestion struct {
	ID          string
	Kind        string
	Explanation string
	Options     []string // every option ID
	Correct     []string // the correct option IDs, sorted
}

// grade scores answers against the quiz's questions: a question is right when
// exactly its correct options were chosen; an unanswered question is wrong.
// The score is the percentage of right questions, rounded down. Answers naming
// a question or option of another quiz, or several options of a single-choice
// question, are a 422 naming each.
func grade(questions []quizQuestion, answers map[string][]string) ([]QuestionResult, int, error) {
	var v cc.Validation
	byID := make(map[string]quizQuestion, len(questions))
	for _, q := range questions {
		byID[q.ID] = q
	}
	for qid, opts := range answers {
		q, ok := byID[qid]
		if !ok {
			v.Add("answers."+qid, "is not one of the questions of this attempt")
			continue
		}
		for _, o := range opts {
			v.Check(slices.Contains(q.Options, o), "answers."+qid, "option %s is not an option of this question", o)
		}
		v.Check(q.Kind != "single" || len(opts) <= 1, "answers."+qid, "takes a single option")
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	results := make([]QuestionResult, len(questions))
	right := 0
	for i, q := range questions {
		chosen := answers[q.ID]
		if chosen == nil {
			chosen = []string{}
		}
		ok := len(chosen) > 0 && slices.Equal(chosen, q.Correct)
		if ok {
			right++
		}
		results[i] = QuestionResult{QuestionID: q.ID, SelectedOptions: chosen, Correct: ok,
			CorrectOptionIDs: q.Correct, Explanation: q.Explanation}
	}
	return results, score(right, len(questions)), nil
}

func score(right, total int) int {
	if total == 0 {
		return 100 // nothing to get wrong
	}
	return right * 100 / total
}

func attemptsExhausted(max int) error {
	return cc.FieldErr(cc.EINVALID, fmt.Sprintf("You have used all %d attempts at this quiz.", max), "answers", fmt.Sprintf("no attempts left (at most %d)", max))
}
