package courses

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/postgres"
)

// Store reads and writes courses and their versions.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a store over db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

// Import modes: what a write may do to an existing course.
const (
	ModeUpsert  = iota // import: create the course or add to it
	ModeCreate         // POST: the slug must be new
	ModeReplace        // PUT: the course must exist
)

// ImportOptions say how a document is written.
type ImportOptions struct {
	Mode    int
	Publish bool // publish the resulting version (seed, import)
}

// Change outcomes of an import.
const (
	ChangeCreated    = "created"     // a new course
	ChangeNewVersion = "new_version" // a new draft version after a published one
	ChangeReplaced   = "replaced"    // the draft was replaced
	ChangeUnchanged  = "unchanged"   // the latest version already holds this document
)

// ImportResult tells what an import did.
type ImportResult struct {
	CourseID  string
	VersionID string
	Version   int
	Change    string
	Published bool // the import published the version
}

// Changed reports whether the import wrote anything.
func (r ImportResult) Changed() bool { return r.Change != ChangeUnchanged || r.Published }

type versionHead struct {
	ID     string `db:"id"`
	Number int    `db:"version"`
	Status string `db:"status"`
	Hash   string `db:"document_hash"`
}

// Import writes a validated document in one transaction: importing the same
// document again changes nothing, a changed one replaces the draft or becomes
// the next version.
func (s *Store) Import(ctx context.Context, p *Parsed, o ImportOptions) (ImportResult, error) {
	var res ImportResult
	err := postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		var err error
		res, err = importTx(ctx, tx, p, o)
		return err
	})
	return res, err
}

func importTx(ctx context.Context, tx *sqlx.Tx, p *Parsed, o ImportOptions) (ImportResult, error) {
	res := ImportResult{}
	courseID, found, err := lockCourse(ctx, tx, p.Doc.Slug)
	switch {
	case err != nil:
		return res, err
	case found && o.Mode == ModeCreate:
		return res, cc.Errorf(cc.ECONFLICT, "A course with slug %q already exists.", p.Doc.Slug)
	case !found && o.Mode == ModeReplace:
		return res, cc.Errorf(cc.ENOTFOUND, "No such course.")
	case !found:
		if courseID, err = insertCourse(ctx, tx, p.Doc.Slug); err != nil {
			return res, err
		}
	}
	res.CourseID = courseID
	head, err := latestVersion(ctx, tx, courseID)
	if errors.Is(err, errNoVersion) {
		head = nil // a course being created has none yet
	} else if err != nil {
		return res, err
	}
	if err := writeVersion(ctx, tx, p, head, &res); err != nil {
		return res, err
	}
	if !found {
		res.Change = ChangeCreated
	}
	if o.Publish && res.Change == ChangeUnchanged && head.Status != "draft" {
		return res, nil
	}
	if o.Publish {
		res.Published = true
		return res, publishVersion(ctx, tx, courseID, res.VersionID)
	}
	return res, nil
}

// writeVersion stores the document unless the latest version already holds it.
func writeVersion(ctx context.Context, tx *sqlx.Tx, p *Parsed, head *versionHead, res *ImportResult) error {
	switch {
	case head != nil && head.Hash == p.Hash:
		res.VersionID, res.Version, res.Change = head.ID, head.Number, ChangeUnchanged
		return nil
	case head != nil && head.Status == "draft":
		// A draft was never published, so nothing refers to it: replace it whole.
		if _, err := tx.ExecContext(ctx, `DELETE FROM course_versions WHERE id = $1`, head.ID); err != nil {
			return fmt.Errorf("delete draft: %w", err)
		}
		res.Version, res.Change = head.Number, ChangeReplaced
	case head != nil:
		res.Version, res.Change = head.Number+1, ChangeNewVersion
	default:
		res.Version, res.Change = 1, ChangeCreated
	}
	id, err := insertVersion(ctx, tx, res.CourseID, res.Version, p)
	res.VersionID = id
	return err
}

func lockCourse(ctx context.Context, q sqlx.QueryerContext, slug string) (string, bool, error) {
	var id string
	err := sqlx.GetContext(ctx, q, &id, `SELECT id FROM courses WHERE slug = $1 FOR UPDATE`, slug)
	if postgres.IsNoRows(err) {
		return "", false, nil
	} else if err != nil {
		return "", false, fmt.Errorf("lock course: %w", err)
	}
	return id, true, nil
}

func insertCourse(ctx context.Context, q sqlx.QueryerContext, slug string) (string, error) {
	var id string
	err := sqlx.GetContext(ctx, q, &id, `INSERT INTO courses (slug) VALUES ($1) RETURNING id`, slug)
	if postgres.IsUniqueViolation(err) {
		return "", cc.Errorf(cc.ECONFLICT, "A course with slug %q already exists.", slug)
	} else if err != nil {
		return "", fmt.Errorf("insert course: %w", err)
	}
	return id, nil
}

// errNoVersion is latestVersion's answer for a course without any version.
var errNoVersion = cc.Errorf(cc.ENOTFOUND, "The course has no version.")

// latestVersion returns the course's highest version, or errNoVersion.
func latestVersion(ctx context.Context, q sqlx.QueryerContext, courseID string) (*versionHead, error) {
	const query = `SELECT id, version, status, document_hash FROM course_versions
		WHERE course_id = $1 ORDER BY version DESC LIMIT 1`
	var h versionHead
	err := sqlx.GetContext(ctx, q, &h, query, courseID)
	if postgres.IsNoRows(err) {
		return nil, errNoVersion
	} else if err != nil {
		return nil, fmt.Errorf("latest version: %w", err)
	}
	return &h, nil
}

// publishVersion makes versionID the one new enrollments get. Earlier
// versions stay as they are: enrollments and certificates refer to them.
func publishVersion(ctx context.Context, e sqlx.ExecerContext, courseID, versionID string) error {
	const q1 = `UPDATE course_versions SET status = 'published', published_at = now()
		WHERE id = $1 AND status = 'draft'`
	const q2 = `UPDATE courses SET current_version_id = $2, archived_at = NULL, updated_at = now() WHERE id = $1`
	if _, err := e.ExecContext(ctx, q1, versionID); err != nil {
		return fmt.Errorf("publish version: %w", err)
	}
	if _, err := e.ExecContext(ctx, q2, courseID, versionID); err != nil {
		return fmt.Errorf("publish course: %w", err)
	}
	return nil
}

// Publish publishes the course's draft; without a draft it is a conflict.
func (s *Store) Publish(ctx context.Context, slug string) error {
	return postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		courseID, found, err := lockCourse(ctx, tx, slug)
		if err != nil {
			return err
		} else if !found {
			return cc.Errorf(cc.ENOTFOUND, "No such course.")
		}
		head, err := latestVersion(ctx, tx, courseID)
		if errors.Is(err, errNoVersion) || err == nil && head.Status != "draft" {
			return cc.Errorf(cc.ECONFLICT, "The course has no draft to publish.")
		} else if err != nil {
			return err
		}
		return publishVersion(ctx, tx, courseID, head.ID)
	})
}

// Archive takes the course out of the catalogue; enrolled learners keep access.
func (s *Store) Archive(ctx context.Context, slug string) error {
	const q = `UPDATE courses SET archived_at = now(), updated_at = now()
		WHERE slug = $1 AND archived_at IS NULL`
	res, err := s.db.ExecContext(ctx, q, slug)
	if err != nil {
		return fmt.Errorf("archive course: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var exists bool
	if err := s.db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM courses WHERE slug = $1)`, slug); err != nil {
		return fmt.Errorf("archive course: %w", err)
	}
	if exists {
		return cc.Errorf(cc.ECONFLICT, "The course is already archived.")
	}
	return cc.Errorf(cc.ENOTFOUND, "No such course.")
}

// Document returns the course document of slug's latest version.
func (s *Store) Document(ctx context.Context, slug string) (*Document, error) {
	const q = `SELECT v.document FROM course_versions v JOIN courses c ON c.id = v.course_id
		WHERE c.slug = $1 ORDER BY v.version DESC LIMIT 1`
	var raw []byte
	err := s.db.GetContext(ctx, &raw, q, slug)
	if postgres.IsNoRows(err) {
		return nil, cc.Errorf(cc.ENOTFOUND, "No course with slug %q.", slug)
	} else if err != nil {
		return nil, fmt.Errorf("load document: %w", err)
	}
	var d Document
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("decode stored document: %w", err)
	}
	return &d, nil
}

// jsonb renders v for a jsonb parameter; the driver would send []byte as bytea.
func jsonb(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func stringArray(s []string) pq.StringArray { return pq.StringArray(s) }

// nullJSONB is v as jsonb, or SQL NULL when v is nil.
func nullJSONB(v *Accessibility) *string {
	if v == nil {
		return nil
	}
	s := jsonb(v)
	return &s
}
