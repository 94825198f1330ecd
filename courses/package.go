package courses

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/internal/web"
)

// Package is everything a learner needs to follow a course without a
// connection: the outline of the version they are enrolled in (pinned at
// enrolment), every lesson's content and every quiz's questions, never the
// answers. Apps save it in one request and read it offline.
type Package struct {
	Outline
	Modules []PackageModule `json:"modules"`
}

// PackageModule is a module with its lessons' content and its quiz's questions.
type PackageModule struct {
	OutlineModule
	Lessons []PackageLesson `json:"lessons"`
	Quiz    *PackageQuiz    `json:"quiz"`
}

// PackageLesson is a lesson with its content.
type PackageLesson struct {
	OutlineLesson
	VideoURL *string `json:"video_url" db:"video_url"`
	Content  string  `json:"content" db:"content"`
}

// PackageQuiz is a quiz with its questions and options, without the answers.
type PackageQuiz struct {
	OutlineQuiz
	Questions []QuizQuestion `json:"questions"`
}

// errNoPackage is the one answer for an unknown course and a course the
// caller is not enrolled in, so the package never tells which it is.
var errNoPackage = cc.Errorf(cc.ENOTFOUND, "No such course among your enrolments.")

// qPinnedVersion is the version the caller's enrolment in the course holds.
const qPinnedVersion = `SELECT e.version_id FROM enrollments e JOIN courses c ON c.id = e.course_id
	WHERE c.slug = $1 AND e.user_id = $2`

// Package returns the course slug as the caller follows it: an enrolled
// learner gets their pinned version, staff who are not enrolled the published
// one. Anyone else gets a 404.
func (s *Store) Package(ctx context.Context, p cc.Principal, slug, lang string) (*Package, error) {
	var versionID string
	err := s.db.GetContext(ctx, &versionID, qPinnedVersion, slug, p.UserID)
	switch {
	case postgres.IsNoRows(err) && !p.IsStaff():
		return nil, errNoPackage
	case postgres.IsNoRows(err):
		v, err := s.version(ctx, slug, VersionSelector{})
		if err != nil {
			return nil, err
		}
		versionID = v.ID
	case err != nil:
		return nil, fmt.Errorf("load enrolment: %w", err)
	}
	const q = versionCols + `ON v.course_id = c.id WHERE c.slug = $1 AND v.id = $2`
	var v versionRow
	if err := s.db.GetContext(ctx, &v, q, slug, versionID); err != nil {
		return nil, fmt.Errorf("load pinned version: %w", err)
	}
	pkg := &Package{Outline: *v.outline(lang)}
	if pkg.Modules, err = packageModules(ctx, s.db, v.ID, pkg.Language); err != nil {
		return nil, err
	}
	return pkg, nil
}

const qPackageLessons = `SELECT id, module_id, key, position, kind, duration_minutes, video_url,
		COALESCE(NULLIF(translations -> $2 ->> 'title', ''), title) AS title,
		COALESCE(NULLIF(translations -> $2 ->> 'content', ''), content) AS content
	FROM lessons WHERE version_id = $1 ORDER BY position`

func packageModules(ctx context.Context, q sqlx.QueryerContext, versionID, lang string) ([]PackageModule, error) {
	mods, err := outlineModules(ctx, q, versionID, lang)
	if err != nil {
		return nil, err
	}
	var lessons []PackageLesson
	if err := sqlx.SelectContext(ctx, q, &lessons, qPackageLessons, versionID, lang); err != nil {
		return nil, fmt.Errorf("load lesson content: %w", err)
	}
	out := make([]PackageModule, len(mods))
	byID := make(map[string]*PackageModule, len(mods))
	for i, m := range mods {
		out[i] = PackageModule{OutlineModule: m, Lessons: []PackageLesson{}}
		byID[m.ID] = &out[i]
		if m.Quiz == nil {
			continue
		}
		qs, err := quizQuestions(ctx, q, m.Quiz.ID, lang)
		if err != nil {
			return nil, err
		}
		out[i].Quiz = &PackageQuiz{OutlineQuiz: *m.Quiz, Questions: qs}
	}
	for _, l := range lessons {
		byID[l.ModuleID].Lessons = append(byID[l.ModuleID].Lessons, l)
	}
	return out, nil
}

// coursePackage serves the package with a strong ETag over its bytes, so an
// app that already saved this exact package gets a 304 and nothing else.
func (h *Handler) coursePackage(c *fiber.Ctx) error {
	lang, err := ParseLang(c.Query("lang"))
	if err != nil {
		return err
	}
	pkg, err := h.store.Package(c.UserContext(), web.MustPrincipal(c), c.Params("slug"), lang)
	if err != nil {
		return err
	}
	body, err := json.Marshal(pkg)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	c.Set(fiber.HeaderVary, fiber.HeaderAuthorization)
	c.Set(fiber.HeaderETag, etag)
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(body)
}
