package courses

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/draw"
	"github.com/cybercampus/cybercampus/internal/postgres"
)

// versionRow is a course version as stored, with its course.
type versionRow struct {
	CourseID        string         `db:"course_id"`
	Slug            string         `db:"slug"`
	ArchivedAt      *time.Time     `db:"archived_at"`
	ID              string         `db:"id"`
	Version         int            `db:"version"`
	Status          string         `db:"status"`
	Title           string         `db:"title"`
	Summary         string         `db:"summary"`
	Level           string         `db:"level"`
	Audiences       pq.StringArray `db:"audiences"`
	Language        string         `db:"language"`
	Languages       pq.StringArray `db:"languages"`
	Outcomes        []byte         `db:"outcomes"`
	DurationMinutes int            `db:"duration_minutes"`
	Translations    []byte         `db:"translations"`
	Accessibility   *Accessibility `db:"accessibility"`
}

const versionCols = `SELECT c.id AS course_id, c.slug, c.archived_at, v.id, v.version, v.status, v.title,
	v.summary, v.level, v.audiences, v.language, v.languages, v.outcomes, v.duration_minutes, v.translations,
	v.accessibility
	FROM courses c JOIN course_versions v `

// The version queries, one per selector kind; $1 is the slug.
var versionQueries = map[string]string{
	"":       versionCols + `ON v.id = c.current_version_id WHERE c.slug = $1 AND c.archived_at IS NULL AND $2 = 0`,
	"draft":  versionCols + `ON v.course_id = c.id WHERE c.slug = $1 AND v.status = 'draft' AND $2 = 0`,
	"latest": versionCols + `ON v.course_id = c.id WHERE c.slug = $1 AND $2 = 0 ORDER BY v.version DESC LIMIT 1`,
	"number": versionCols + `ON v.course_id = c.id WHERE c.slug = $1 AND v.version = $2`,
}

func (s *Store) version(ctx context.Context, slug string, sel VersionSelector) (*versionRow, error) {
	var v versionRow
	err := s.db.GetContext(ctx, &v, versionQueries[sel.Kind], slug, sel.Number)
	if postgres.IsNoRows(err) {
		return nil, cc.Errorf(cc.ENOTFOUND, "No such course.")
	} else if err != nil {
		return nil, fmt.Errorf("load course version: %w", err)
	}
	return &v, nil
}

// Outline returns the outline of slug's selected version in lang (falling
// back to the default language value by value).
func (s *Store) Outline(ctx context.Context, slug string, sel VersionSelector, lang string) (*Outline, error) {
	v, err := s.version(ctx, slug, sel)
	if err != nil {
		return nil, err
	}
	o := v.outline(lang)
	if o.Modules, err = outlineModules(ctx, s.db, v.ID, o.Language); err != nil {
		return nil, err
	}
	return o, nil
}

func (v *versionRow) outline(lang string) *Outline {
	o := &Outline{ID: v.CourseID, Slug: v.Slug, Version: v.Version, VersionID: v.ID, Status: v.Status,
		Title: v.Title, Summary: v.Summary, Audiences: v.Audiences, Level: v.Level, DefaultLanguage: v.Language,
		Languages: v.Languages, DurationMinutes: v.DurationMinutes, Accessibility: v.Accessibility,
		Language: servedLanguage(lang, v.Language, v.Languages)}
	if v.ArchivedAt != nil && v.Status == "published" {
		o.Status = "archived"
	}
	_ = json.Unmarshal(v.Outcomes, &o.Outcomes)
	var tr map[string]versionText
	_ = json.Unmarshal(v.Translations, &tr)
	if t, ok := tr[o.Language]; ok && o.Language != v.Language {
		o.Title = orDefault(t.Title, o.Title)
		o.Summary = orDefault(t.Summary, o.Summary)
		if len(t.Outcomes) == len(o.Outcomes) {
			o.Outcomes = t.Outcomes
		}
		if o.Accessibility != nil && t.AccessibilitySummary != "" {
			a := *o.Accessibility
			a.Summary = t.AccessibilitySummary
			o.Accessibility = &a
		}
	}
	if o.Outcomes == nil {
		o.Outcomes = []string{}
	}
	return o
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// lessonAccessibility is a lesson's metadata with its summary in the
// language $2 (or $3 in the lesson query) when translated.
const (
	lessonAccessibility = `CASE WHEN translations -> $2 ->> 'accessibility_summary' <> '' THEN
			jsonb_set(accessibility, '{accessibilitySummary}', translations -> $2 -> 'accessibility_summary')
		ELSE accessibility END AS accessibility`
	lessonAccessibilityL = `CASE WHEN l.translations -> $3 ->> 'accessibility_summary' <> '' THEN
			jsonb_set(l.accessibility, '{accessibilitySummary}', l.translations -> $3 -> 'accessibility_summary')
		ELSE l.accessibility END AS accessibility`
)

// Each translated column is read as the value in $2 when there is one, else
// the default-language value.
const (
	qOutlineModules = `SELECT id, key, position,
			COALESCE(NULLIF(translations -> $2 ->> 'title', ''), title) AS title,
			NULLIF(COALESCE(NULLIF(translations -> $2 ->> 'summary', ''), summary), '') AS summary
		FROM course_modules WHERE version_id = $1 ORDER BY position`
	qOutlineLessons = `SELECT id, module_id, key, position, kind, duration_minutes, ` + lessonAccessibility + `,
			COALESCE(NULLIF(translations -> $2 ->> 'title', ''), title) AS title
		FROM lessons WHERE version_id = $1 ORDER BY position`
	qOutlineQuizzes = `SELECT id, module_id, key, pass_score, max_attempts, review,
			COALESCE(NULLIF(translations -> $2 ->> 'title', ''), title) AS title,
			COALESCE(draw, (SELECT count(*) FROM quiz_questions qq WHERE qq.quiz_id = q.id)) AS question_count
		FROM quizzes q WHERE version_id = $1`
)

func outlineModules(ctx context.Context, q sqlx.QueryerContext, versionID, lang string) ([]OutlineModule, error) {
	var mods []OutlineModule
	var lessons []OutlineLesson
	var quizzes []OutlineQuiz
	if err := sqlx.SelectContext(ctx, q, &mods, qOutlineModules, versionID, lang); err != nil {
		return nil, fmt.Errorf("load modules: %w", err)
	}
	if err := sqlx.SelectContext(ctx, q, &lessons, qOutlineLessons, versionID, lang); err != nil {
		return nil, fmt.Errorf("load lessons: %w", err)
	}
	if err := sqlx.SelectContext(ctx, q, &quizzes, qOutlineQuizzes, versionID, lang); err != nil {
		return nil, fmt.Errorf("load quizzes: %w", err)
	}
	byID := make(map[string]*OutlineModule, len(mods))
	for i := range mods {
		mods[i].Lessons = []OutlineLesson{}
		byID[mods[i].ID] = &mods[i]
	}
	for _, l := range lessons {
		byID[l.ModuleID].Lessons = append(byID[l.ModuleID].Lessons, l)
	}
	for i := range quizzes {
		byID[quizzes[i].ModuleID].Quiz = &quizzes[i]
	}
	return mods, nil
}

// Lesson returns a lesson of the course slug with its content in lang. The
// caller may read it when staff or enrolled in the lesson's version.
func (s *Store) Lesson(ctx context.Context, p cc.Principal, slug, lessonID, lang string) (*Lesson, error) {
	const q = `SELECT l.id, c.slug, v.version, l.version_id, l.module_id, l.key, l.position, l.kind,
			l.duration_minutes, l.video_url,
			COALESCE(NULLIF(l.translations -> $3 ->> 'title', ''), l.title) AS title,
			COALESCE(NULLIF(l.translations -> $3 ->> 'content', ''), l.content) AS content,
			NULLIF(COALESCE(NULLIF(l.translations -> $3 ->> 'transcript', ''), l.transcript), '') AS transcript,
			` + lessonAccessibilityL + `,
			v.language AS default_language, v.languages, v.status
		FROM lessons l JOIN course_versions v ON v.id = l.version_id JOIN courses c ON c.id = v.course_id
		WHERE l.id = $1 AND c.slug = $2`
	var row struct {
		Lesson
		DefaultLanguage string         `db:"default_language"`
		Languages       pq.StringArray `db:"languages"`
		Status          string         `db:"status"`
	}
	err := s.db.GetContext(ctx, &row, q, lessonID, slug, lang)
	if postgres.IsNoRows(err) {
		return nil, cc.Errorf(cc.ENOTFOUND, "No such lesson.")
	} else if err != nil {
		return nil, fmt.Errorf("load lesson: %w", err)
	}
	if err := s.checkAccess(ctx, p, row.VersionID, row.Status); err != nil {
		return nil, err
	}
	row.Lesson.Language = servedLanguage(lang, row.DefaultLanguage, row.Languages)
	return &row.Lesson, nil
}

// checkAccess lets staff and learners enrolled in the version through. Drafts
// are staff-only and unknown to everyone else.
func (s *Store) checkAccess(ctx context.Context, p cc.Principal, versionID, status string) error {
	if p.IsStaff() {
		return nil
	}
	if status == "draft" {
		return cc.Errorf(cc.ENOTFOUND, "No such resource.")
	}
	const q = `SELECT EXISTS (SELECT 1 FROM enrollments WHERE user_id = $1 AND version_id = $2)`
	var ok bool
	if err := s.db.GetContext(ctx, &ok, q, p.UserID, versionID); err != nil {
		return fmt.Errorf("check enrollment: %w", err)
	}
	if !ok {
		return cc.Errorf(cc.EFORBIDDEN, "Enrol in this course to see its lessons and quizzes.")
	}
	return nil
}

// Quiz returns a quiz's questions and options in lang, never the answers. A
// learner enrolled in the quiz's version gets the questions of their next
// attempt (drawn from the pool when the quiz has a draw), with the options in
// that attempt's order (see serve); staff who are not enrolled preview the
// whole pool in document order.
func (s *Store) Quiz(ctx context.Context, p cc.Principal, quizID, lang string) (*Quiz, error) {
	const q = `SELECT q.id, c.slug, q.version_id, q.module_id, q.key, q.pass_score, q.max_attempts, q.review, q.draw,
			COALESCE(NULLIF(q.translations -> $2 ->> 'title', ''), q.title) AS title,
			v.language AS default_language, v.languages, v.status
		FROM quizzes q JOIN course_versions v ON v.id = q.version_id JOIN courses c ON c.id = v.course_id
		WHERE q.id = $1`
	var row struct {
		Quiz
		DefaultLanguage string         `db:"default_language"`
		Languages       pq.StringArray `db:"languages"`
		Status          string         `db:"status"`
	}
	err := s.db.GetContext(ctx, &row, q, quizID, lang)
	if postgres.IsNoRows(err) {
		return nil, cc.Errorf(cc.ENOTFOUND, "No such quiz.")
	} else if err != nil {
		return nil, fmt.Errorf("load quiz: %w", err)
	}
	if err := s.checkAccess(ctx, p, row.VersionID, row.Status); err != nil {
		return nil, err
	}
	quiz := row.Quiz
	quiz.Language = servedLanguage(lang, row.DefaultLanguage, row.Languages)
	if quiz.Questions, err = quizQuestions(ctx, s.db, quizID, lang); err != nil {
		return nil, err
	}
	if err := s.serve(ctx, p, &quiz); err != nil {
		return nil, err
	}
	quiz.QuestionCount = len(quiz.Questions)
	return &quiz, nil
}

// serve narrows the quiz to what the caller's next attempt is served: the
// questions drawn for it and its order of options, both fixed by the seed of
// the learner and attempt number (draw.QuizAttempt), which is how the grader
// (learners.SubmitAttempt) finds the same questions again. After the last
// attempt the last one's questions are shown.
func (s *Store) serve(ctx context.Context, p cc.Principal, quiz *Quiz) error {
	const q = `SELECT (SELECT count(*) FROM quiz_attempts a WHERE a.enrollment_id = e.id AND a.quiz_id = $3)
		FROM enrollments e WHERE e.user_id = $1 AND e.version_id = $2`
	var used int
	err := s.db.GetContext(ctx, &used, q, p.UserID, quiz.VersionID, quiz.ID)
	if postgres.IsNoRows(err) {
		return nil // staff previewing: not enrolled, no attempt to serve
	} else if err != nil {
		return fmt.Errorf("count attempts: %w", err)
	}
	n := min(used+1, quiz.MaxAttempts)
	quiz.AttemptNumber = &n
	seed := draw.QuizAttempt(quiz.ID, p.UserID, n)
	quiz.Questions = serveQuestions(seed, quiz.Questions, quiz.Draw)
	return nil
}

// serveQuestions returns the questions seed draws from the pool (every one
// when drawN is nil), each with its options in the seed's order.
func serveQuestions(seed draw.Seed, pool []QuizQuestion, drawN *int) []QuizQuestion {
	ids := make([]string, len(pool))
	for i, qq := range pool {
		ids[i] = qq.ID
	}
	n := 0
	if drawN != nil {
		n = *drawN
	}
	picked := seed.Pick(ids, n, nil)
	out := make([]QuizQuestion, 0, len(picked))
	for _, qq := range pool {
		if !slices.Contains(picked, qq.ID) {
			continue
		}
		byID := make(map[string]QuizOption, len(qq.Options))
		optIDs := make([]string, len(qq.Options))
		for i, o := range qq.Options {
			byID[o.ID], optIDs[i] = o, o.ID
		}
		qq.Options = make([]QuizOption, 0, len(optIDs))
		for _, id := range seed.Shuffle(optIDs) {
			qq.Options = append(qq.Options, byID[id])
		}
		out = append(out, qq)
	}
	return out
}

// The quiz queries never select correct flags or explanations.
const (
	qQuizQuestions = `SELECT id, key, kind, COALESCE(NULLIF(translations -> $2 ->> 'text', ''), text) AS text
		FROM quiz_questions WHERE quiz_id = $1 ORDER BY position`
	qQuizOptions = `SELECT o.id, o.question_id, o.key, COALESCE(NULLIF(o.translations -> $2 ->> 'text', ''), o.text) AS text
		FROM quiz_options o JOIN quiz_questions qq ON qq.id = o.question_id
		WHERE qq.quiz_id = $1 ORDER BY qq.position, o.position`
)

func quizQuestions(ctx context.Context, q sqlx.QueryerContext, quizID, lang string) ([]QuizQuestion, error) {
	var qs []QuizQuestion
	var opts []QuizOption
	if err := sqlx.SelectContext(ctx, q, &qs, qQuizQuestions, quizID, lang); err != nil {
		return nil, fmt.Errorf("load questions: %w", err)
	}
	if err := sqlx.SelectContext(ctx, q, &opts, qQuizOptions, quizID, lang); err != nil {
		return nil, fmt.Errorf("load options: %w", err)
	}
	byID := make(map[string]*QuizQuestion, len(qs))
	for i := range qs {
		qs[i].Options = []QuizOption{}
		byID[qs[i].ID] = &qs[i]
	}
	for _, o := range opts {
		byID[o.QuestionID].Options = append(byID[o.QuestionID].Options, o)
	}
	return qs, nil
}
