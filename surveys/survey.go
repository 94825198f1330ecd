// Package surveys asks learners, after they complete a course, how it was
// (a satisfaction survey at completion, Kirkpatrick level 1) and, 90 and 180
// days later, whether it changed what they do at work. Surveys are scheduled
// through the outbox when a course is completed, announced and reminded by a
// periodic job in the learner's language, and answered offline-safely.
package surveys

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	cc "github.com/cybercampus/cybercampus"
)

// Survey kinds and how long after completion each one is due.
const (
	KindSatisfaction = "satisfaction"
	KindFollowUp90   = "follow_up_90"
	KindFollowUp180  = "follow_up_180"
)

// Schedule is when each survey is due, counted from the completion.
var Schedule = []struct {
	Kind  string
	After time.Duration
}{
	{KindSatisfaction, 0},
	{KindFollowUp90, 90 * 24 * time.Hour},
	{KindFollowUp180, 180 * 24 * time.Hour},
}

// ReminderAfter is how long an announced survey waits for an answer before
// its one reminder.
const ReminderAfter = 7 * 24 * time.Hour

// Survey is a survey waiting for the caller, with its questions in the
// caller's language.
type Survey struct {
	ID          string     `json:"id" db:"id"`
	Kind        string     `json:"kind" db:"kind"`
	CourseSlug  string     `json:"course_slug" db:"course_slug"`
	CourseTitle string     `json:"course_title" db:"course_title"`
	DueAt       time.Time  `json:"due_at" db:"due_at"`
	Questions   []Question `json:"questions" db:"-"`
}

// Question is one survey question: a rating from 1 to 5, a yes/no, or an
// optional free text.
type Question struct {
	ID       string `json:"id"`
	Type     string `json:"type"` // rating, yes_no, text
	Required bool   `json:"required"`
	Text     string `json:"text"`
}

// questionSet is the questions of a kind, without their text.
var questionSet = map[string][]Question{
	KindSatisfaction: {
		{ID: "overall", Type: "rating", Required: true},
		{ID: "relevance", Type: "rating", Required: true},
		{ID: "recommend", Type: "yes_no", Required: true},
		{ID: "comment", Type: "text"},
	},
	KindFollowUp90:  followUp,
	KindFollowUp180: followUp,
}

var followUp = []Question{
	{ID: "applied", Type: "yes_no", Required: true},
	{ID: "changed_practice", Type: "yes_no", Required: true},
	{ID: "new_role", Type: "yes_no", Required: true},
	{ID: "comment", Type: "text"},
}

// questions returns the questions of kind in language l (English when the
// language has no text).
func questions(kind, l string) []Question {
	set := questionSet[kind]
	out := make([]Question, len(set))
	for i, q := range set {
		q.Text = questionText[l][q.ID]
		if q.Text == "" {
			q.Text = questionText["en"][q.ID]
		}
		out[i] = q
	}
	return out
}

// maxComment bounds a free-text answer.
const maxComment = 2000

// ResponseRequest is the body of POST /v1/surveys/{id}/responses: answers by
// question ID, and optionally a client-made response ID so that a resend is
// not counted twice.
type ResponseRequest struct {
	ID      string         `json:"id"`
	Answers map[string]any `json:"answers"`
}

// Validate checks the envelope; the answers are checked against the survey's
// questions by checkAnswers.
func (r *ResponseRequest) Validate() error {
	var v cc.Validation
	r.ID = strings.ToLower(r.ID)
	v.Check(r.ID == "" || cc.IsUUID(r.ID), "id", "must be a UUID made by the client for this response")
	v.Check(r.Answers != nil, "answers", "is required: an object of question IDs to answers")
	return v.Err()
}

// checkAnswers validates answers against kind's questions, every problem at
// once: ratings are integers 1 to 5, yes/no answers booleans, texts strings of
// at most maxComment characters; unknown questions and missing required ones
// are named.
func checkAnswers(kind string, answers map[string]any) error {
	var v cc.Validation
	set := questionSet[kind]
	known := map[string]Question{}
	for _, q := range set {
		known[q.ID] = q
		if _, ok := answers[q.ID]; q.Required && !ok {
			v.Add("answers."+q.ID, "is required")
		}
	}
	for id, a := range answers {
		q, ok := known[id]
		if !ok {
			v.Add("answers."+id, "is not a question of this survey")
			continue
		}
		if msg := checkAnswer(q, a); msg != "" {
			v.Add("answers."+id, "%s", msg)
		}
	}
	return v.Err()
}

func checkAnswer(q Question, a any) string {
	switch q.Type {
	case "rating":
		f, ok := a.(float64)
		if !ok || f != float64(int(f)) || f < 1 || f > 5 {
			return "must be a whole number from 1 to 5"
		}
	case "yes_no":
		if _, ok := a.(bool); !ok {
			return "must be true or false"
		}
	case "text":
		s, ok := a.(string)
		if !ok {
			return "must be text"
		}
		if utf8.RuneCountInString(s) > maxComment {
			return fmt.Sprintf("must be at most %d characters", maxComment)
		}
	}
	return ""
}
