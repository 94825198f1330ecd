package certification

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/internal/web"
	"github.com/cybercampus/cybercampus/notifications"
)

// ErrNotEligible means the enrollment does not exist or is not completed, so
// no certificate can be issued for it (retrying will not help).
var ErrNotEligible = errors.New("enrollment is not completed")

// Store keeps certificates in PostgreSQL.
type Store struct {
	db     *sqlx.DB
	keys   *Keyring
	urls   urls
	now    func() time.Time
	random func(n int) int // status list index picker; tests replace it
}

// NewStore returns a certificate store.
func NewStore(db *sqlx.DB, keys *Keyring, baseURL string, now func() time.Time) *Store {
	return &Store{db: db, keys: keys, urls: urls{baseURL}, now: now, random: randomIndex}
}

// Issue issues the certificate of a completed enrollment, exactly once: the
// enrollment row is locked while we check for an existing certificate, and the
// unique constraints back that up. It returns the certificate id and whether
// this call created it.
func (s *Store) Issue(ctx context.Context, enrollmentID string) (id string, created bool, err error) {
	key, err := s.keys.Current(ctx) // outside the transaction: may create the first key
	if err != nil {
		return "", false, err
	}
	err = postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		src, err := lockSource(ctx, tx, enrollmentID)
		if err != nil {
			return err
		}
		if id, err = existingCertificate(ctx, tx, src); err != nil || id != "" {
			created = false
			return err
		}
		if id, err = s.insert(ctx, tx, key, src); err != nil {
			return err
		}
		created = true
		return s.notify(ctx, tx, src, id)
	})
	return id, created, err
}

func lockSource(ctx context.Context, tx sqlx.ExtContext, enrollmentID string) (source, error) {
	const q = `SELECT e.id AS enrollment_id, e.user_id, e.course_id, e.version_id, e.status,
			u.name AS learner_name, u.language AS learner_language, u.managed AS minor, c.slug, v.title, v.summary, v.level, v.audiences, v.version, v.language
		FROM enrollments e
		JOIN users u ON u.id = e.user_id AND u.erased_at IS NULL -- an erased account gets no new certificate
		JOIN course_versions v ON v.id = e.version_id
		JOIN courses c ON c.id = e.course_id
		WHERE e.id = $1
		FOR UPDATE OF e`
	var src source
	err := sqlx.GetContext(ctx, tx, &src, q, enrollmentID)
	if postgres.IsNoRows(err) {
		return src, fmt.Errorf("enrollment %s: %w", enrollmentID, ErrNotEligible)
	} else if err != nil {
		return src, fmt.Errorf("load enrollment: %w", err)
	}
	if src.Minor {
		// A pupil's certificate is public (its token and verify page) under
		// the first name and initial only; the PDF in the pupil's hands
		// prints the full name from the account.
		src.LearnerName = PublicName(src.LearnerName)
	}
	if src.Status != "completed" {
		return src, fmt.Errorf("enrollment %s: %w", enrollmentID, ErrNotEligible)
	}
	return src, nil
}

func existingCertificate(ctx context.Context, tx sqlx.ExtContext, src source) (string, error) {
	var id string
	const q = `SELECT id FROM certificates WHERE enrollment_id = $1 OR (user_id = $2 AND version_id = $3) LIMIT 1`
	err := sqlx.GetContext(ctx, tx, &id, q, src.EnrollmentID, src.UserID, src.VersionID)
	if postgres.IsNoRows(err) {
		return "", nil
	}
	return id, err
}

// insert signs and stores the certificate under a fresh random status index,
// retrying when a concurrent issuer took the same index first.
func (s *Store) insert(ctx context.Context, tx *sqlx.Tx, key signingKey, src source) (string, error) {
	const q = `INSERT INTO certificates (id, user_id, enrollment_id, course_id, version_id, key_id,
			learner_name, course_title, token, issued_at, status_list_id, status_index)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (status_list_id, status_index) DO NOTHING
		RETURNING id`
	for range 5 {
		list, idx, err := allocate(ctx, tx, s.random)
		if err != nil {
			return "", err
		}
		is := issuance{ID: uuid.NewString(), SubjectID: "urn:uuid:" + uuid.NewString(),
			IssuedAt: s.now().UTC().Truncate(time.Second), ListID: list, Index: idx}
		token, err := signJWS(key.key, s.keys.KeyID(key.thumbprint), s.urls.credential(src, is))
		if err != nil {
			return "", err
		}
		var id string
		err = sqlx.GetContext(ctx, tx, &id, q, is.ID, src.UserID, src.EnrollmentID, src.CourseID, src.VersionID,
			key.thumbprint, src.LearnerName, src.Title, token, is.IssuedAt, list, idx)
		if err == nil {
			return id, nil
		} else if !postgres.IsNoRows(err) {
			return "", fmt.Errorf("insert certificate: %w", err)
		}
	}
	return "", errors.New("no free status list index after 5 attempts")
}

// notify records the in-app notification in the learner's language and
// queues its email, in the issuing transaction.
func (s *Store) notify(ctx context.Context, tx *sqlx.Tx, src source, certID string) error {
	// course_title is the title exactly as the certificate carries it.
	d := notifications.CertificateData{CertificateID: certID, CourseTitle: src.Title, VerifyURL: s.urls.certificate(certID)}
	_, err := notifications.Write(ctx, tx, notifications.Recipient{Name: src.LearnerName, Language: src.LearnerLang},
		notifications.Draft{UserID: src.UserID, Kind: notifications.KindCertificateIssued, Data: d,
			DedupeKey: "certificate:" + certID, Email: true})
	return err
}

// Uncertified returns completed enrollments that have no certificate yet,
// oldest completion first: their issuing job was lost.
func (s *Store) Uncertified(ctx context.Context, limit int) ([]string, error) {
	const q = `SELECT e.id FROM enrollments e
		WHERE e.status = 'completed'
		  AND NOT EXISTS (SELECT 1 FROM certificates c WHERE c.enrollment_id = e.id)
		ORDER BY e.completed_at
		LIMIT $1`
	var ids []string
	err := s.db.SelectContext(ctx, &ids, q, limit)
	return ids, err
}

// Record is a certificate as shown at its verify URL.
type Record struct {
	ID          string     `db:"id" json:"id"`
	UserID      string     `db:"user_id" json:"-"`
	LearnerName string     `db:"learner_name" json:"learner_name"`
	Slug        string     `db:"slug" json:"-"`
	Course      CourseRef  `db:"-" json:"course"`
	CourseTitle string     `db:"course_title" json:"course_title"`
	IssuedAt    time.Time  `db:"issued_at" json:"issued_at"`
	Issuer      string     `db:"-" json:"issuer"`
	Revoked     bool       `db:"revoked" json:"revoked"`
	RevokedAt   *time.Time `db:"revoked_at" json:"revoked_at"`
	VerifyURL   string     `db:"-" json:"verify_url"`
	Token       string     `db:"token" json:"token"`
	// FullName is the account's name as the printed certificate shows it;
	// for a pupil, LearnerName (public) holds the first name and initial.
	FullName string `db:"full_name" json:"-"`
}

// CourseRef names a course.
type CourseRef struct {
	Slug  string `json:"slug"`
	Title string `json:"title"`
}

const recordColumns = `c.id, c.user_id, c.learner_name, co.slug, c.course_title, c.issued_at,
	c.revoked_at IS NOT NULL AS revoked, c.revoked_at, c.token,
	CASE WHEN (SELECT managed FROM users u WHERE u.id = c.user_id) THEN coalesce(
		nullif((SELECT name FROM users u WHERE u.id = c.user_id), ''), c.learner_name) ELSE c.learner_name END AS full_name`

// Get returns a certificate by id.
func (s *Store) Get(ctx context.Context, id string) (Record, error) {
	return s.get(ctx, s.db, id)
}

func (s *Store) get(ctx context.Context, q sqlx.QueryerContext, id string) (Record, error) {
	var r Record
	err := sqlx.GetContext(ctx, q, &r, `SELECT `+recordColumns+` FROM certificates c
		JOIN courses co ON co.id = c.course_id WHERE c.id = $1`, id)
	if postgres.IsNoRows(err) {
		return r, cc.Errorf(cc.ENOTFOUND, "No such certificate.")
	} else if err != nil {
		return r, err
	}
	return s.complete(r), nil
}

func (s *Store) complete(r Record) Record {
	r.IssuedAt = r.IssuedAt.UTC()
	if r.RevokedAt != nil {
		t := r.RevokedAt.UTC()
		r.RevokedAt = &t
	}
	r.Course = CourseRef{Slug: r.Slug, Title: r.CourseTitle}
	r.Issuer, r.VerifyURL = IssuerName, s.urls.certificate(r.ID)
	return r
}

// Mine is one of the caller's certificates.
type Mine struct {
	ID        string    `db:"id" json:"id"`
	Slug      string    `db:"slug" json:"-"`
	Title     string    `db:"course_title" json:"-"`
	Course    CourseRef `db:"-" json:"course"`
	IssuedAt  time.Time `db:"issued_at" json:"issued_at"`
	Token     string    `db:"token" json:"token"`
	VerifyURL string    `db:"-" json:"verify_url"`
}

// ListMine returns a page of the user's certificates, newest first (served by
// certificates_user_idx).
func (s *Store) ListMine(ctx context.Context, userID string, after *web.Cursor, limit int) ([]Mine, error) {
	const q = `SELECT c.id, co.slug, c.course_title, c.issued_at, c.token
		FROM certificates c JOIN courses co ON co.id = c.course_id
		WHERE c.user_id = $1 AND (c.issued_at, c.id) < ($2, $3::uuid)
		ORDER BY c.issued_at DESC, c.id DESC
		LIMIT $4`
	at, id := web.NewestFirst(after)
	var items []Mine
	if err := s.db.SelectContext(ctx, &items, q, userID, at, id, limit+1); err != nil {
		return nil, fmt.Errorf("list certificates: %w", err)
	}
	for i := range items {
		items[i].IssuedAt = items[i].IssuedAt.UTC()
		items[i].VerifyURL = s.urls.certificate(items[i].ID)
		items[i].Course = CourseRef{Slug: items[i].Slug, Title: items[i].Title}
	}
	return items, nil
}

// Revoke marks a certificate revoked. Revoking twice is a conflict.
func (s *Store) Revoke(ctx context.Context, id, reason, by string) (Record, int, error) {
	var list int
	var rec Record
	err := postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		const q = `UPDATE certificates SET revoked_at = now(), revoked_reason = $2, revoked_by = $3
			WHERE id = $1 AND revoked_at IS NULL RETURNING status_list_id`
		err := tx.GetContext(ctx, &list, q, id, reason, by)
		if postgres.IsNoRows(err) {
			if _, err := s.get(ctx, tx, id); err != nil {
				return err
			}
			return cc.Errorf(cc.ECONFLICT, "The certificate is already revoked.")
		} else if err != nil {
			return err
		}
		if err := markStale(ctx, tx, list); err != nil {
			return err
		}
		rec, err = s.get(ctx, tx, id)
		return err
	})
	return rec, list, err
}

// LearnerLanguage is the language the learner chose in their profile, in
// which their certificate PDF is printed; English when the account is gone.
func (s *Store) LearnerLanguage(ctx context.Context, userID string) (string, error) {
	var lang string
	err := s.db.GetContext(ctx, &lang, `SELECT language FROM users WHERE id = $1`, userID)
	if postgres.IsNoRows(err) {
		return "en", nil
	}
	return lang, err
}
