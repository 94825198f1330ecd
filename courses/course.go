// Package courses is the curriculum: versioned, multilingual courses with quizzes, the course document format, the starter curriculum and the catalogue.
package courses

import (
	"slices"
	"strconv"
	"strings"

	cc "github.com/cybercampus/cybercampus"
)

// Outline is a course version without lesson content or answers: what the
// catalogue shows of one course.
type Outline struct {
	ID              string          `json:"id"`
	Slug            string          `json:"slug"`
	Version         int             `json:"version"`
	VersionID       string          `json:"version_id"`
	Status          string          `json:"status"`
	Title           string          `json:"title"`
	Summary         string          `json:"summary"`
	Outcomes        []string        `json:"outcomes"`
	Audiences       []string        `json:"audiences"`
	Level           string          `json:"level"`
	Language        string          `json:"language"`
	DefaultLanguage string          `json:"default_language"`
	Languages       []string        `json:"languages"`
	DurationMinutes int             `json:"duration_minutes"`
	Accessibility   *Accessibility  `json:"accessibility"`
	Modules         []OutlineModule `json:"modules"`
}

// OutlineModule is a module in an outline.
type OutlineModule struct {
	ID       string          `json:"id" db:"id"`
	Key      string          `json:"key" db:"key"`
	Position int             `json:"position" db:"position"`
	Title    string          `json:"title" db:"title"`
	Summary  *string         `json:"summary" db:"summary"`
	Lessons  []OutlineLesson `json:"lessons" db:"-"`
	Quiz     *OutlineQuiz    `json:"quiz" db:"-"`
}

// OutlineLesson is a lesson in an outline, without its content.
type OutlineLesson struct {
	ID              string `json:"id" db:"id"`
	ModuleID        string `json:"-" db:"module_id"`
	Key             string `json:"key" db:"key"`
	Position        int    `json:"position" db:"position"`
	Title           string `json:"title" db:"title"`
	Kind            string `json:"kind" db:"kind"`
	DurationMinutes int    `json:"duration_minutes" db:"duration_minutes"`
	// Accessibility is the lesson's own metadata or, without it, the course's.
	Accessibility *Accessibility `json:"accessibility" db:"accessibility"`
}

// OutlineQuiz is a module's quiz in an outline.
type OutlineQuiz struct {
	ID            string `json:"id" db:"id"`
	ModuleID      string `json:"-" db:"module_id"`
	Key           string `json:"key" db:"key"`
	Title         string `json:"title" db:"title"`
	PassScore     int    `json:"pass_score" db:"pass_score"`
	MaxAttempts   int    `json:"max_attempts" db:"max_attempts"`
	Review        string `json:"review" db:"review"`
	QuestionCount int    `json:"question_count" db:"question_count"` // per attempt: the draw, or every question
}

// Summary is a course in the catalogue list.
type Summary struct {
	ID              string   `json:"id" db:"id"`
	Slug            string   `json:"slug" db:"slug"`
	Title           string   `json:"title" db:"title"`
	Summary         string   `json:"summary" db:"summary"`
	Audiences       []string `json:"audiences" db:"-"`
	Level           string   `json:"level" db:"level"`
	Language        string   `json:"language" db:"language"`
	Languages       []string `json:"languages" db:"-"`
	DurationMinutes int      `json:"duration_minutes" db:"duration_minutes"`
	Version         int      `json:"version" db:"version"`
	ModuleCount     int      `json:"module_count" db:"module_count"`
	LessonCount     int      `json:"lesson_count" db:"lesson_count"`
	// Accessibility describes the course as a whole.
	Accessibility *Accessibility `json:"accessibility" db:"accessibility"`
}

// Lesson is a lesson with its Markdown content, in the language served.
type Lesson struct {
	ID              string  `json:"id" db:"id"`
	CourseSlug      string  `json:"course_slug" db:"slug"`
	Version         int     `json:"version" db:"version"`
	VersionID       string  `json:"version_id" db:"version_id"`
	ModuleID        string  `json:"module_id" db:"module_id"`
	Key             string  `json:"key" db:"key"`
	Position        int     `json:"position" db:"position"`
	Title           string  `json:"title" db:"title"`
	Kind            string  `json:"kind" db:"kind"`
	DurationMinutes int     `json:"duration_minutes" db:"duration_minutes"`
	VideoURL        *string `json:"video_url" db:"video_url"`
	Content         string  `json:"content" db:"content"`
	// Transcript is a video lesson's text alternative (null for other kinds).
	Transcript    *string        `json:"transcript" db:"transcript"`
	Accessibility *Accessibility `json:"accessibility" db:"accessibility"`
	Language      string         `json:"language" db:"-"`
}

// Quiz is a quiz as learners see it: never which options are correct, never
// the explanations. For an enrolled learner, Questions are those of their
// attempt AttemptNumber, options in that attempt's order; for staff
// previewing, AttemptNumber is nil and Questions is the whole pool.
type Quiz struct {
	ID            string         `json:"id" db:"id"`
	CourseSlug    string         `json:"course_slug" db:"slug"`
	VersionID     string         `json:"version_id" db:"version_id"`
	ModuleID      string         `json:"module_id" db:"module_id"`
	Key           string         `json:"key" db:"key"`
	Title         string         `json:"title" db:"title"`
	PassScore     int            `json:"pass_score" db:"pass_score"`
	MaxAttempts   int            `json:"max_attempts" db:"max_attempts"`
	Review        string         `json:"review" db:"review"`
	Draw          *int           `json:"draw" db:"draw"`
	AttemptNumber *int           `json:"attempt_number" db:"-"`
	QuestionCount int            `json:"question_count" db:"-"`
	Language      string         `json:"language" db:"-"`
	Questions     []QuizQuestion `json:"questions" db:"-"`
}

// QuizQuestion is a question of a quiz shown to learners.
type QuizQuestion struct {
	ID      string       `json:"id" db:"id"`
	Key     string       `json:"key" db:"key"`
	Text    string       `json:"text" db:"text"`
	Kind    string       `json:"kind" db:"kind"`
	Options []QuizOption `json:"options" db:"-"`
}

// QuizOption is an answer option shown to learners.
type QuizOption struct {
	ID         string `json:"id" db:"id"`
	QuestionID string `json:"-" db:"question_id"`
	Key        string `json:"key" db:"key"`
	Text       string `json:"text" db:"text"`
}

// VersionSelector names which version of a course to read: the published
// current one (the default, and the only one the public sees), the draft, the
// latest, or a version number.
type VersionSelector struct {
	Kind   string // "", "draft", "latest", "number"
	Number int
}

// ParseVersionSelector reads ?version=: draft, latest, current or a number.
func ParseVersionSelector(s string) (VersionSelector, error) {
	switch s {
	case "", "current":
		return VersionSelector{}, nil
	case "draft", "latest":
		return VersionSelector{Kind: s}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return VersionSelector{}, cc.FieldErr(cc.EINVALID, "The version is not valid.", "version", "must be current, draft, latest or a version number")
	}
	return VersionSelector{Kind: "number", Number: n}, nil
}

// Public reports whether the selector reads what anyone may see.
func (v VersionSelector) Public() bool { return v.Kind == "" }

// ParseLang validates ?lang=; empty means the course's default language.
func ParseLang(s string) (string, error) {
	if s == "" || cc.OneOf(s, cc.Languages) {
		return s, nil
	}
	return "", cc.FieldErr(cc.EINVALID, "The language is not supported.", "lang", "must be one of "+strings.Join(cc.Languages, ", "))
}

// servedLanguage is the requested language when the course has it, else the
// course's default language.
func servedLanguage(requested, def string, available []string) string {
	if requested != "" && slices.Contains(available, requested) {
		return requested
	}
	return def
}
