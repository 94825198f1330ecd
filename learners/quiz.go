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

// Attempt is one graded attempt at a quiz. Results reveal the correct options
// and explanations, so an attempt exists only once it has been graded.
type Attempt struct {
	ID            string           `json:"id"`
	QuizID        string           `json:"quiz_id"`
	AttemptNumber int              `json:"attempt_number"`
	Score         int              `json:"score"`
	Passed        bool             `json:"passed"`
	CreatedAt     time.Time        `json:"created_at"`
	Results       []QuestionResult `json:"results"`
}

// QuestionResult is the grading of one question.
type QuestionResult struct {
	QuestionID       string   `json:"question_id"`
	SelectedOptions  []string `json:"selected_option_ids"`
	Correct          bool     `json:"correct"`
	CorrectOptionIDs []string `json:"correct_option_ids"`
	Explanation      string   `json:"explanation"`
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
			v.Add("answers."+qid, "is not a question of this quiz")
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
	return &cc.Error{Code: cc.EINVALID, Message: fmt.Sprintf("You have used all %d attempts at this quiz.", max),
		Fields: []cc.FieldError{{Field: "answers", Message: fmt.Sprintf("no attempts left (at most %d)", max)}}}
}
