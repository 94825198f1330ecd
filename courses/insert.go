package courses

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
)

// searchConfigs maps each course language to its PostgreSQL text search
// configuration; Arabic and Chinese use 'simple' (no stemming).
var searchConfigs = map[string]string{
	"ar": "simple", "en": "english", "es": "spanish", "fr": "french", "ru": "russian", "zh": "simple",
}

// texts is an entity's translated values: language → field → text.
type texts map[string]map[string]string

func (t texts) set(lang, field, value string) {
	if value == "" {
		return
	}
	if t[lang] == nil {
		t[lang] = map[string]string{}
	}
	t[lang][field] = value
}

// versionText is a version's translated title, summary and outcomes.
type versionText struct {
	Title                string   `json:"title,omitempty"`
	Summary              string   `json:"summary,omitempty"`
	Outcomes             []string `json:"outcomes,omitempty"`
	AccessibilitySummary string   `json:"accessibility_summary,omitempty"`
}

func insertVersion(ctx context.Context, tx *sqlx.Tx, courseID string, version int, p *Parsed) (string, error) {
	d := p.Doc
	duration, lessons := 0, 0
	for _, m := range d.Modules {
		for _, l := range m.Lessons {
			duration += l.DurationMinutes
			lessons++
		}
	}
	tr := map[string]versionText{}
	for lang, t := range d.Translations {
		if t != nil {
			tr[lang] = versionText{Title: t.Title, Summary: t.Summary, Outcomes: t.Outcomes}
			if t.Accessibility != nil {
				v := tr[lang]
				v.AccessibilitySummary = t.Accessibility.Summary
				tr[lang] = v
			}
		}
	}
	const q = `INSERT INTO course_versions (course_id, version, status, title, summary, level, audiences,
			language, languages, outcomes, duration_minutes, translations, document, document_hash,
			module_count, lesson_count, accessibility, lesson_features)
		VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id`
	outcomes := d.Outcomes
	if outcomes == nil {
		outcomes = []string{}
	}
	var id string
	err := tx.GetContext(ctx, &id, q, courseID, version, d.Title, d.Summary, d.Level, stringArray(d.Audiences),
		d.Language, stringArray(d.languages()), jsonb(outcomes), duration, jsonb(tr), string(p.JSON), p.Hash,
		len(d.Modules), lessons, nullJSONB(d.Accessibility), stringArray(d.courseLessonFeatures()))
	if err != nil {
		return "", fmt.Errorf("insert version: %w", err)
	}
	for i, m := range d.Modules {
		if err := insertModule(ctx, tx, id, i+1, m, d); err != nil {
			return "", err
		}
	}
	return id, indexVersion(ctx, tx, id, d)
}

func insertModule(ctx context.Context, tx *sqlx.Tx, versionID string, pos int, m DocModule, d *Document) error {
	trs := d.Translations
	mt := texts{}
	for lang, t := range trs {
		if x := moduleTr(t, m.Key); x != nil {
			mt.set(lang, "title", x.Title)
			mt.set(lang, "summary", x.Summary)
		}
	}
	const q = `INSERT INTO course_modules (version_id, key, position, title, summary, translations)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
	var id string
	if err := tx.GetContext(ctx, &id, q, versionID, m.Key, pos, m.Title, m.Summary, jsonb(mt)); err != nil {
		return fmt.Errorf("insert module %s: %w", m.Key, err)
	}
	for j, l := range m.Lessons {
		if err := insertLesson(ctx, tx, versionID, id, j+1, l, d, m.Key); err != nil {
			return err
		}
	}
	if m.Quiz == nil {
		return nil
	}
	return insertQuiz(ctx, tx, versionID, id, m.Quiz, trs, m.Key)
}

func moduleTr(t *Translation, key string) *ModuleTranslation {
	if t == nil {
		return nil
	}
	return t.Modules[key]
}

func quizTr(t *Translation, moduleKey string) *QuizTranslation {
	if mt := moduleTr(t, moduleKey); mt != nil {
		return mt.Quiz
	}
	return nil
}

func insertLesson(ctx context.Context, tx *sqlx.Tx, versionID, moduleID string, pos int, l DocLesson, d *Document, moduleKey string) error {
	lt := texts{}
	for lang, t := range d.Translations {
		if mt := moduleTr(t, moduleKey); mt != nil && mt.Lessons[l.Key] != nil {
			lt.set(lang, "title", mt.Lessons[l.Key].Title)
			lt.set(lang, "content", mt.Lessons[l.Key].Content)
			lt.set(lang, "transcript", mt.Lessons[l.Key].Transcript)
		}
		lt.set(lang, "accessibility_summary", lessonSummaryTr(t, moduleKey, l))
	}
	var video *string
	if l.Kind == "video" {
		video = &l.VideoURL
	}
	const q = `INSERT INTO lessons (version_id, module_id, key, position, title, kind, duration_minutes, video_url,
			content, translations, transcript, accessibility)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`
	if _, err := tx.ExecContext(ctx, q, versionID, moduleID, l.Key, pos, l.Title, l.Kind, l.DurationMinutes, video,
		l.Content, jsonb(lt), l.Transcript, nullJSONB(effectiveAccessibility(d.Accessibility, l))); err != nil {
		return fmt.Errorf("insert lesson %s: %w", l.Key, err)
	}
	return nil
}

// lessonSummaryTr is the translated accessibility summary a lesson serves:
// its own when it has metadata of its own, else the course's.
func lessonSummaryTr(t *Translation, moduleKey string, l DocLesson) string {
	if l.Accessibility != nil {
		if mt := moduleTr(t, moduleKey); mt != nil && mt.Lessons[l.Key] != nil && mt.Lessons[l.Key].Accessibility != nil {
			return mt.Lessons[l.Key].Accessibility.Summary
		}
		return ""
	}
	if t != nil && t.Accessibility != nil {
		return t.Accessibility.Summary
	}
	return ""
}

func insertQuiz(ctx context.Context, tx *sqlx.Tx, versionID, moduleID string, qz *DocQuiz, trs map[string]*Translation, moduleKey string) error {
	qt := texts{}
	for lang, t := range trs {
		if x := quizTr(t, moduleKey); x != nil {
			qt.set(lang, "title", x.Title)
		}
	}
	const q = `INSERT INTO quizzes (version_id, module_id, key, title, pass_score, max_attempts, review, draw, translations)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`
	var draw *int
	if qz.Draw > 0 {
		draw = &qz.Draw
	}
	var id string
	if err := tx.GetContext(ctx, &id, q, versionID, moduleID, qz.Key, qz.Title, qz.PassScore, qz.MaxAttempts,
		qz.reviewPolicy(), draw, jsonb(qt)); err != nil {
		return fmt.Errorf("insert quiz %s: %w", qz.Key, err)
	}
	for i, qn := range qz.Questions {
		if err := insertQuestion(ctx, tx, id, i+1, qn, trs, moduleKey); err != nil {
			return err
		}
	}
	return nil
}

func insertQuestion(ctx context.Context, tx *sqlx.Tx, quizID string, pos int, qn DocQuestion, trs map[string]*Translation, moduleKey string) error {
	qt, ot := texts{}, map[string]texts{}
	for lang, t := range trs {
		x := quizTr(t, moduleKey)
		if x == nil || x.Questions[qn.Key] == nil {
			continue
		}
		tq := x.Questions[qn.Key]
		qt.set(lang, "text", tq.Text)
		qt.set(lang, "explanation", tq.Explanation)
		for ok, text := range tq.Options {
			if ot[ok] == nil {
				ot[ok] = texts{}
			}
			ot[ok].set(lang, "text", text)
		}
	}
	const q = `INSERT INTO quiz_questions (quiz_id, key, position, text, kind, explanation, translations)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`
	var id string
	if err := tx.GetContext(ctx, &id, q, quizID, qn.Key, pos, qn.Text, qn.Kind, qn.Explanation, jsonb(qt)); err != nil {
		return fmt.Errorf("insert question %s: %w", qn.Key, err)
	}
	const qo = `INSERT INTO quiz_options (question_id, key, position, text, correct, translations)
		VALUES ($1, $2, $3, $4, $5, $6)`
	for i, o := range qn.Options {
		t := ot[o.Key]
		if t == nil {
			t = texts{}
		}
		if _, err := tx.ExecContext(ctx, qo, id, o.Key, i+1, o.Text, o.Correct, jsonb(t)); err != nil {
			return fmt.Errorf("insert option %s: %w", o.Key, err)
		}
	}
	return nil
}

// indexVersion builds the version's search vector: for each of its languages,
// with that language's configuration, the title (weight A), the summary (B),
// outcomes and module titles and summaries (C), lesson and quiz titles (D).
func indexVersion(ctx context.Context, tx *sqlx.Tx, versionID string, d *Document) error {
	const q = `UPDATE course_versions SET search = search
			|| setweight(to_tsvector($2::regconfig, $3), 'A')
			|| setweight(to_tsvector($2::regconfig, $4), 'B')
			|| setweight(to_tsvector($2::regconfig, $5), 'C')
			|| setweight(to_tsvector($2::regconfig, $6), 'D')
		WHERE id = $1`
	for _, lang := range d.languages() {
		a, b, c, dd := searchTexts(d, lang)
		if _, err := tx.ExecContext(ctx, q, versionID, searchConfigs[lang], a, b, c, dd); err != nil {
			return fmt.Errorf("index version: %w", err)
		}
	}
	return nil
}

// searchTexts returns the text of each weight in lang: the document's own
// values for the default language, the translated ones otherwise.
func searchTexts(d *Document, lang string) (a, b, c, dd string) {
	var cs, ds []string
	if lang == d.Language {
		cs = append(cs, d.Outcomes...)
		for _, m := range d.Modules {
			cs = append(cs, m.Title, m.Summary)
			for _, l := range m.Lessons {
				ds = append(ds, l.Title)
			}
			if m.Quiz != nil {
				ds = append(ds, m.Quiz.Title)
			}
		}
		return d.Title, d.Summary, strings.Join(cs, "\n"), strings.Join(ds, "\n")
	}
	t := d.Translations[lang]
	if t == nil {
		return "", "", "", ""
	}
	cs = append(cs, t.Outcomes...)
	for _, key := range sortedKeys(t.Modules) {
		mt := t.Modules[key]
		if mt == nil {
			continue
		}
		cs = append(cs, mt.Title, mt.Summary)
		for _, lk := range sortedKeys(mt.Lessons) {
			if mt.Lessons[lk] != nil {
				ds = append(ds, mt.Lessons[lk].Title)
			}
		}
		if mt.Quiz != nil {
			ds = append(ds, mt.Quiz.Title)
		}
	}
	return t.Title, t.Summary, strings.Join(cs, "\n"), strings.Join(ds, "\n")
}
