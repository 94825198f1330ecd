package courses

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/web"
)

// Document is a course document: a whole course with its modules, lessons,
// quizzes (with answers) and translations, as written in YAML or JSON
// (README.md, "Course documents"; course.schema.json).
type Document struct {
	Slug      string   `json:"slug" yaml:"slug"`
	Title     string   `json:"title" yaml:"title"`
	Summary   string   `json:"summary" yaml:"summary"`
	Level     string   `json:"level" yaml:"level"`
	Audiences []string `json:"audiences" yaml:"audiences,flow"`
	Language  string   `json:"language" yaml:"language"`
	Outcomes  []string `json:"outcomes,omitempty" yaml:"outcomes,omitempty"`
	// Accessibility describes the course as a whole and is the default of
	// lessons that describe themselves with none.
	Accessibility *Accessibility          `json:"accessibility,omitempty" yaml:"accessibility,omitempty"`
	Modules       []DocModule             `json:"modules" yaml:"modules"`
	Translations  map[string]*Translation `json:"translations,omitempty" yaml:"translations,omitempty"`
	Assessment    *DocAssessment          `json:"assessment,omitempty" yaml:"assessment,omitempty"`
}

// DocAssessment is the item bank of a course's pre- and post-test: each
// learner is given Draw questions of Bank (package assessments).
type DocAssessment struct {
	Draw int           `json:"draw" yaml:"draw"`
	Bank []DocQuestion `json:"bank" yaml:"bank"`
}

// DocModule is a module of a course document.
type DocModule struct {
	Key     string      `json:"key" yaml:"key"`
	Title   string      `json:"title" yaml:"title"`
	Summary string      `json:"summary,omitempty" yaml:"summary,omitempty"`
	Lessons []DocLesson `json:"lessons" yaml:"lessons"`
	Quiz    *DocQuiz    `json:"quiz,omitempty" yaml:"quiz,omitempty"`
}

// DocLesson is a lesson of a course document; Content and Transcript are
// Markdown. A video lesson's Transcript is its text alternative.
type DocLesson struct {
	Key             string         `json:"key" yaml:"key"`
	Title           string         `json:"title" yaml:"title"`
	Kind            string         `json:"kind" yaml:"kind"`
	DurationMinutes int            `json:"duration_minutes" yaml:"duration_minutes"`
	VideoURL        string         `json:"video_url,omitempty" yaml:"video_url,omitempty"`
	Content         string         `json:"content,omitempty" yaml:"content,omitempty"`
	Transcript      string         `json:"transcript,omitempty" yaml:"transcript,omitempty"`
	Accessibility   *Accessibility `json:"accessibility,omitempty" yaml:"accessibility,omitempty"`
}

// DocQuiz is a module's quiz in a course document. Review says when graded
// attempts show the answers (empty means ReviewAfterPassOrLastAttempt); Draw,
// when not zero, is how many of Questions each attempt is served.
type DocQuiz struct {
	Key         string        `json:"key" yaml:"key"`
	Title       string        `json:"title" yaml:"title"`
	PassScore   int           `json:"pass_score" yaml:"pass_score"`
	MaxAttempts int           `json:"max_attempts" yaml:"max_attempts"`
	Review      string        `json:"review,omitempty" yaml:"review,omitempty"`
	Draw        int           `json:"draw,omitempty" yaml:"draw,omitempty"`
	Questions   []DocQuestion `json:"questions" yaml:"questions"`
}

// Review policies of a quiz: when a graded attempt shows the correct options
// and the explanations. Which questions were right is always shown.
const (
	// ReviewAfterPassOrLastAttempt shows them once the learner passed or has
	// no attempt left, so a failed attempt cannot be mined for the key.
	ReviewAfterPassOrLastAttempt = "after_pass_or_last_attempt"
	// ReviewAfterEachAttempt shows them after every attempt (practice quizzes).
	ReviewAfterEachAttempt = "after_each_attempt"
	// ReviewNever never shows them.
	ReviewNever = "never"
)

// ReviewPolicies lists the review policies, the default first.
var ReviewPolicies = []string{ReviewAfterPassOrLastAttempt, ReviewAfterEachAttempt, ReviewNever}

// reviewPolicy is the stored policy: the default when the document names none.
func (q *DocQuiz) reviewPolicy() string {
	if q.Review == "" {
		return ReviewAfterPassOrLastAttempt
	}
	return q.Review
}

// DocQuestion is a quiz question with its options and the explanation shown
// after grading.
type DocQuestion struct {
	Key         string      `json:"key" yaml:"key"`
	Text        string      `json:"text" yaml:"text"`
	Kind        string      `json:"kind" yaml:"kind"`
	Explanation string      `json:"explanation,omitempty" yaml:"explanation,omitempty"`
	Options     []DocOption `json:"options" yaml:"options"`
}

// DocOption is an answer option; Correct marks the right ones.
type DocOption struct {
	Key     string `json:"key" yaml:"key"`
	Text    string `json:"text" yaml:"text"`
	Correct bool   `json:"correct,omitempty" yaml:"correct,omitempty"`
}

// Translation is a course's text in one extra language, keyed by the keys of
// the default-language document. Every value is optional.
type Translation struct {
	Title    string   `json:"title,omitempty" yaml:"title,omitempty"`
	Summary  string   `json:"summary,omitempty" yaml:"summary,omitempty"`
	Outcomes []string `json:"outcomes,omitempty" yaml:"outcomes,omitempty"`
	// Accessibility translates the course's accessibilitySummary.
	Accessibility *AccessibilityTranslation     `json:"accessibility,omitempty" yaml:"accessibility,omitempty"`
	Modules       map[string]*ModuleTranslation `json:"modules,omitempty" yaml:"modules,omitempty"`
	// Assessment translates the items of the pre- and post-test bank.
	Assessment *AssessmentTranslation `json:"assessment,omitempty" yaml:"assessment,omitempty"`
}

// AssessmentTranslation translates the assessment bank's items (item key →
// translation), as a quiz translation does its questions: a learner gets the
// pre- and post-test in their language item by item, in the default language
// where an item or option has no translation.
type AssessmentTranslation struct {
	Bank map[string]*QuestionTranslation `json:"bank,omitempty" yaml:"bank,omitempty"`
}

// AccessibilityTranslation translates the words of accessibility metadata;
// its terms are the same in every language.
type AccessibilityTranslation struct {
	Summary string `json:"accessibilitySummary,omitempty" yaml:"accessibilitySummary,omitempty"`
}

// ModuleTranslation translates one module, its lessons and its quiz.
type ModuleTranslation struct {
	Title   string                        `json:"title,omitempty" yaml:"title,omitempty"`
	Summary string                        `json:"summary,omitempty" yaml:"summary,omitempty"`
	Lessons map[string]*LessonTranslation `json:"lessons,omitempty" yaml:"lessons,omitempty"`
	Quiz    *QuizTranslation              `json:"quiz,omitempty" yaml:"quiz,omitempty"`
}

// LessonTranslation translates a lesson's title, content, transcript and
// accessibility summary.
type LessonTranslation struct {
	Title         string                    `json:"title,omitempty" yaml:"title,omitempty"`
	Content       string                    `json:"content,omitempty" yaml:"content,omitempty"`
	Transcript    string                    `json:"transcript,omitempty" yaml:"transcript,omitempty"`
	Accessibility *AccessibilityTranslation `json:"accessibility,omitempty" yaml:"accessibility,omitempty"`
}

// QuizTranslation translates a quiz's title and questions.
type QuizTranslation struct {
	Title     string                          `json:"title,omitempty" yaml:"title,omitempty"`
	Questions map[string]*QuestionTranslation `json:"questions,omitempty" yaml:"questions,omitempty"`
}

// QuestionTranslation translates a question, its explanation and its options
// (option key → text).
type QuestionTranslation struct {
	Text        string            `json:"text,omitempty" yaml:"text,omitempty"`
	Explanation string            `json:"explanation,omitempty" yaml:"explanation,omitempty"`
	Options     map[string]string `json:"options,omitempty" yaml:"options,omitempty"`
}

// Parsed is a course document that passed validation, with the JSON form it is
// stored in and the hash that makes imports idempotent.
type Parsed struct {
	Doc  *Document
	JSON []byte // the document as received, as JSON
	Hash string // of the normalised document: equal documents hash equal however written
}

// Document formats.
const (
	FormatJSON = "json"
	FormatYAML = "yaml"
)

// ParseDocument reads and validates a course document. Malformed input is a
// 400; a well-formed document that breaks a rule is a 422 listing every
// problem with its path in the document.
func ParseDocument(body []byte, format string) (*Parsed, error) {
	if err := web.CheckText(body); err != nil {
		return nil, err
	}
	generic, err := decodeGeneric(body, format)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(generic)
	if err != nil {
		return nil, cc.Errorf(cc.EBADREQUEST, "The document holds values JSON cannot represent.")
	}
	problems := schemaProblems(raw)
	var doc Document
	// A type mismatch leaves that field empty; the schema has already reported it.
	if err := json.Unmarshal(raw, &doc); err != nil && len(problems) == 0 {
		return nil, cc.Errorf(cc.EBADREQUEST, "The course document must be an object.")
	}
	if err := mergeProblems(problems, doc.check()); err != nil {
		return nil, err
	}
	doc.normalize()
	return &Parsed{Doc: &doc, JSON: raw, Hash: doc.hash()}, nil
}

// normalize drops explicit defaults, so that a document naming them hashes
// (and exports) as one leaving them out.
func (d *Document) normalize() {
	for _, m := range d.Modules {
		if m.Quiz != nil && m.Quiz.Review == ReviewAfterPassOrLastAttempt {
			m.Quiz.Review = ""
		}
	}
}

// hash identifies the document's content; the canonical JSON of the typed
// document ignores formatting, key order and explicit defaults.
func (d *Document) hash() string {
	b, _ := json.Marshal(d)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func decodeGeneric(body []byte, format string) (any, error) {
	if format == FormatYAML {
		var v any
		if err := yaml.Unmarshal(body, &v); err != nil {
			return nil, cc.Errorf(cc.EBADREQUEST, "The body is not valid YAML: %s.", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		if v == nil {
			return nil, cc.Errorf(cc.EBADREQUEST, "The body is empty.")
		}
		return jsonValue(v)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, cc.Errorf(cc.EBADREQUEST, "The body is empty.")
		}
		return nil, cc.Errorf(cc.EBADREQUEST, "The body is not valid JSON.")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, cc.Errorf(cc.EBADREQUEST, "The body must hold a single JSON value.")
	}
	return v, nil
}

// jsonValue turns a decoded YAML value into one JSON can represent: string
// keys only, timestamps as text, finite numbers.
func jsonValue(v any) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			jv, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			t[k] = jv
		}
		return t, nil
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			jv, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			m[fmt.Sprint(k)] = jv
		}
		return m, nil
	case []any:
		for i, e := range t {
			jv, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			t[i] = jv
		}
		return t, nil
	case time.Time:
		return t.Format(time.RFC3339Nano), nil
	case float64:
		if math.IsInf(t, 0) || math.IsNaN(t) {
			return nil, cc.Errorf(cc.EBADREQUEST, "The document holds a number JSON cannot represent.")
		}
	}
	return v, nil
}

// YAML renders the document as YAML, the format of the starter curriculum and
// of `cybercampus courses export`.
func (d *Document) YAML() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("encode course document: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode course document: %w", err)
	}
	return buf.Bytes(), nil
}

// languages lists the default language first, then the translations' languages.
func (d *Document) languages() []string {
	out := []string{d.Language}
	var extra []string
	for lang := range d.Translations {
		if lang != d.Language {
			extra = append(extra, lang)
		}
	}
	sort.Strings(extra)
	return append(out, extra...)
}
