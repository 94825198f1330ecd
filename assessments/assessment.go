// Package assessments is the pre- and post-test of a course: items drawn for
// each learner from the course document's assessment bank, one attempt each,
// and the item statistics authors use to improve the bank and the quizzes.
package assessments

import (
	"slices"
	"strings"
	"time"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/courses"
	"github.com/cybercampus/cybercampus/internal/draw"
)

// The two tests of a course.
const (
	KindPre  = "pre"
	KindPost = "post"
)

// ParseKind validates the {pre|post} path segment.
func ParseKind(s string) (string, error) {
	if s == KindPre || s == KindPost {
		return s, nil
	}
	return "", cc.Errorf(cc.ENOTFOUND, "No such test: a course has a pre and a post test.")
}

// Test is the caller's pre- or post-test as served: the drawn questions
// without which options are right, and the attempt once taken.
type Test struct {
	Kind       string     `json:"kind"`
	CourseSlug string     `json:"course_slug"`
	Language   string     `json:"language"` // the language the questions are served in
	Questions  []Question `json:"questions"`
	Attempt    *Attempt   `json:"attempt"`
}

// Question is a drawn item as a learner sees it; its ID is the item's key in
// the bank, its options' IDs their keys.
type Question struct {
	ID      string   `json:"id"`
	Text    string   `json:"text"`
	Kind    string   `json:"kind"`
	Options []Option `json:"options"`
}

// Option is an answer option as a learner sees it.
type Option struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// Attempt is the one graded attempt at a test. Only the score is returned:
// the bank is reused for other learners' tests, so answers are never shown.
type Attempt struct {
	ID        string    `json:"id" db:"id"`
	Kind      string    `json:"kind" db:"kind"`
	Score     int       `json:"score" db:"score"`
	CreatedAt time.Time `json:"created_at" db:"created_at"`
}

// ItemResult is whether one drawn item was answered right, as stored for item
// statistics.
type ItemResult struct {
	Item    string `json:"item"`
	Correct bool   `json:"correct"`
}

// AttemptRequest is the body of POST .../assessments/{kind}/attempts: item ID
// to chosen option IDs, and optionally a client-made attempt ID so that an
// attempt resent by an app that never saw the answer is not counted twice.
type AttemptRequest struct {
	ID      string              `json:"id"`
	Answers map[string][]string `json:"answers"`
}

// maxOptions bounds an answer; no item has more options.
const maxOptions = 20

// Validate checks the answers' shape and normalises them (sorted, no
// repeats); whether they name drawn items and their options is checked when
// grading.
func (r *AttemptRequest) Validate() error {
	var v cc.Validation
	r.ID = strings.ToLower(r.ID)
	v.Check(r.ID == "" || cc.IsUUID(r.ID), "id", "must be a UUID made by the client for this attempt")
	if r.Answers == nil {
		v.Add("answers", "is required: an object of question IDs to arrays of option IDs")
		return v.Err()
	}
	for q, opts := range r.Answers {
		v.Check(len(opts) <= maxOptions, "answers."+q, "has too many options")
		o := slices.Clone(opts)
		slices.Sort(o)
		r.Answers[q] = slices.Compact(o)
	}
	return v.Err()
}

// drawItems picks n items of bank for one learner's test with the quiz
// draw (internal/draw), avoiding the keys in seen as long as the bank holds
// enough other items. The seed names the enrollment and the test, so a draw
// is one learner's and is the same however often it is made.
func drawItems(bank []courses.DocQuestion, n int, seen []string, seed draw.Seed) []string {
	keys := make([]string, len(bank))
	for i, q := range bank {
		keys[i] = q.Key
	}
	return seed.Pick(keys, n, func(k string) bool { return slices.Contains(seen, k) })
}

// testSeed is the seed of an enrollment's pre- or post-test: its draw and the
// order of each item's options.
func testSeed(enrollmentID, kind string) draw.Seed {
	return draw.NewSeed("course-assessment", enrollmentID, kind)
}

// grade scores answers against the drawn items: an item is right when
// exactly its correct options were chosen, an unanswered one is wrong, and the
// score is the percentage right, rounded down. Answers naming an item that was
// not drawn, or an option the item lacks, are a 422 naming each.
func grade(items []courses.DocQuestion, answers map[string][]string) ([]ItemResult, int, error) {
	var v cc.Validation
	for qid, opts := range answers {
		i := slices.IndexFunc(items, func(q courses.DocQuestion) bool { return q.Key == qid })
		if i < 0 {
			v.Add("answers."+qid, "is not a question of this test")
			continue
		}
		for _, o := range opts {
			v.Check(slices.ContainsFunc(items[i].Options, func(d courses.DocOption) bool { return d.Key == o }),
				"answers."+qid, "option %q is not an option of this question", o)
		}
		v.Check(items[i].Kind != "single" || len(opts) <= 1, "answers."+qid, "takes a single option")
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	results := make([]ItemResult, len(items))
	right := 0
	for i, q := range items {
		results[i] = ItemResult{Item: q.Key, Correct: len(answers[q.Key]) > 0 && slices.Equal(answers[q.Key], correctKeys(q))}
		if results[i].Correct {
			right++
		}
	}
	return results, right * 100 / len(items), nil
}

func correctKeys(q courses.DocQuestion) []string {
	var out []string
	for _, o := range q.Options {
		if o.Correct {
			out = append(out, o.Key)
		}
	}
	slices.Sort(out)
	return out
}

// questions returns the drawn items of bank, in the order drawn, as learners
// see them: each item's options in the seed's order (grading is by option
// key, so the order never changes a score), with the texts tr translates
// (nil when served in the default language).
func questions(bank []courses.DocQuestion, keys []string, seed draw.Seed, tr map[string]*courses.QuestionTranslation) ([]courses.DocQuestion, []Question) {
	items := make([]courses.DocQuestion, 0, len(keys))
	shown := make([]Question, 0, len(keys))
	for _, k := range keys {
		i := slices.IndexFunc(bank, func(q courses.DocQuestion) bool { return q.Key == k })
		if i < 0 {
			continue // the version a learner is enrolled in never changes, so this does not happen
		}
		q := bank[i]
		items = append(items, q)
		qt := tr[q.Key]
		if qt == nil {
			qt = &courses.QuestionTranslation{}
		}
		text := make(map[string]string, len(q.Options))
		optKeys := make([]string, len(q.Options))
		for j, o := range q.Options {
			text[o.Key], optKeys[j] = orDefault(qt.Options[o.Key], o.Text), o.Key
		}
		s := Question{ID: q.Key, Text: orDefault(qt.Text, q.Text), Kind: q.Kind, Options: make([]Option, 0, len(q.Options))}
		for _, k := range seed.Shuffle(optKeys) {
			s.Options = append(s.Options, Option{ID: k, Text: text[k]})
		}
		shown = append(shown, s)
	}
	return items, shown
}

// orDefault is the translated text when there is one, else the default's.
func orDefault(translated, def string) string {
	if translated != "" {
		return translated
	}
	return def
}
