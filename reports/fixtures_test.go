package reports

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

var testDB *pgtest.DB

// TestMain gives the package a fresh database (and drops the benchmark's own
// database too, when a benchmark made one).
func TestMain(m *testing.M) {
	db, err := pgtest.New("reports")
	if err != nil {
		fmt.Fprintln(os.Stderr, "test database:", err)
		os.Exit(1)
	}
	testDB = db
	code := m.Run()
	if bench.db != nil && os.Getenv("REPORTS_BENCH_DATABASE_URL") == "" {
		bench.db.Close()
	}
	db.Close()
	os.Exit(code)
}

// fixtures inserts reporting data with SQL, as the learners and certification
// features would.
type fixtures struct {
	tb testing.TB
	db *sqlx.DB
}

type course struct{ ID, VersionID, Slug string }

var seq atomic.Int64

func uniq() string { return fmt.Sprintf("%d%s", seq.Add(1), pgtest.RandomSuffix()) }

func (f fixtures) exec(q string, args ...any) {
	f.tb.Helper()
	if _, err := f.db.Exec(q, args...); err != nil {
		f.tb.Fatalf("%s: %v", strings.Fields(q)[0:3], err)
	}
}

func (f fixtures) get(dest any, q string, args ...any) {
	f.tb.Helper()
	if err := f.db.Get(dest, q, args...); err != nil {
		f.tb.Fatalf("%s: %v", strings.Fields(q)[0:3], err)
	}
}

func (f fixtures) course(slug string) course {
	c := course{Slug: slug}
	f.get(&c.ID, `INSERT INTO courses (slug) VALUES ($1) RETURNING id`, slug)
	f.get(&c.VersionID, `INSERT INTO course_versions (course_id, version, status, title, summary, level, audiences,
		language, languages, document, document_hash, published_at)
		VALUES ($1, 1, 'published', $2, 'A course.', 'beginner', '{youth}', 'en', '{en}', '{}', 'hash', now()) RETURNING id`,
		c.ID, "Course "+slug)
	f.exec(`UPDATE courses SET current_version_id = $1 WHERE id = $2`, c.VersionID, c.ID)
	return c
}

func (f fixtures) user(gender, country string) string {
	var id string
	f.get(&id, `INSERT INTO users (email, password_hash, name, gender, birth_year, country, audience)
		VALUES ($1, 'x', 'Learner Name', $2, 1995, $3, 'youth') RETURNING id`, "u"+uniq()+"@example.org", gender, country)
	return id
}

func (f fixtures) cohort(c course, owner string) string {
	var id string
	f.get(&id, `INSERT INTO cohorts (name, course_id, owner_id, country, starts_on, ends_on)
		VALUES ('Cohort', $1, $2, 'KE', '2024-01-01', '2026-01-01') RETURNING id`, c.ID, owner)
	return id
}

// snap is an enrollment's demographic snapshot.
type snap struct {
	Gender, Audience, Country, AgeBand string
}

// enroll inserts an enrollment with its snapshot; region and flags come from the country.
func (f fixtures) enroll(user string, c course, cohort *string, s snap, at time.Time, completed bool) string {
	var id string
	var done *time.Time
	status := "active"
	if completed {
		status, done = "completed", &at
	}
	f.get(&id, `INSERT INTO enrollments (user_id, course_id, version_id, cohort_id, status, lessons_total, enrolled_at,
			completed_at, gender, audience, country, region, ldc, sids, lldc, age_band)
		SELECT $1, $2, $3, $4, $5, 10, $6, $7, $8, $9, code, region, ldc, sids, lldc, $10 FROM countries WHERE code = $11
		RETURNING id`, user, c.ID, c.VersionID, cohort, status, at, done, s.Gender, s.Audience, s.AgeBand, s.Country)
	return id
}

// disability sets an enrollment's disability status, as enrollment takes it
// from the learner's functioning answers (and withdrawn consent resets it).
func (f fixtures) disability(enrollment, status string) {
	f.exec(`UPDATE enrollments SET disability = $1 WHERE id = $2`, status, enrollment)
}

func (f fixtures) complete(enrollment string) {
	f.exec(`UPDATE enrollments SET status = 'completed', completed_at = enrolled_at + interval '1 day' WHERE id = $1`, enrollment)
}

// certify issues a certificate for a completed enrollment (with dummy key and status list).
func (f fixtures) certify(enrollment string) string {
	f.exec(`INSERT INTO certificate_keys (thumbprint, private_enc, public_jwk) VALUES ('test-key', '\x00', '{}') ON CONFLICT DO NOTHING`)
	f.exec(`INSERT INTO status_lists (id, size) VALUES (1, 131072) ON CONFLICT DO NOTHING`)
	var id string
	f.get(&id, `INSERT INTO certificates (user_id, enrollment_id, course_id, version_id, key_id, learner_name, course_title,
			token, issued_at, status_list_id, status_index)
		SELECT e.user_id, e.id, e.course_id, e.version_id, 'test-key', 'Learner Name', 'Course', 'token', now(), 1,
			(SELECT coalesce(max(status_index), -1) + 1 FROM certificates)
		FROM enrollments e WHERE e.id = $1 RETURNING id`, enrollment)
	return id
}

func (f fixtures) refresh(s *Store) {
	f.tb.Helper()
	if _, err := s.RefreshRollups(context.Background()); err != nil {
		f.tb.Fatal(err)
	}
}

// dataset is a random population: learners in several courses, some whose
// snapshot changes between enrollments (moved country, older age band,
// answered the functioning questions or withdrew consent).
type dataset struct {
	courses []course
	cohorts []string
}

var (
	fxCountries = []string{"KE", "NG", "BR", "FJ", "NP", "FR", "BD", "BO"}
	fxAges      = []string{"15_24", "25_34", "35_44", "65_plus"}
	fxGenders   = []string{"female", "male", "other", "undisclosed"}
	fxAudiences = []string{"youth", "professional", "msme"}
	// Most learners do not answer the functioning questions.
	fxDisability = []string{"not_stated", "not_stated", "no", "no", "yes"}
)

// randomData inserts about users×3 enrollments with seed r.
func (f fixtures) randomData(r *rand.Rand, users int) dataset {
	var ds dataset
	for range 4 {
		ds.courses = append(ds.courses, f.course("course-"+uniq()))
	}
	owner := f.user("female", "KE")
	ds.cohorts = []string{f.cohort(ds.courses[0], owner), f.cohort(ds.courses[1], owner)}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for range users {
		u := f.user(fxGenders[r.IntN(2)], "KE")
		base := snap{Gender: pick(r, fxGenders[:2+r.IntN(3)]), Audience: pick(r, fxAudiences),
			Country: pick(r, fxCountries), AgeBand: pick(r, fxAges)}
		disability := pick(r, fxDisability)
		for _, ci := range r.Perm(len(ds.courses))[:1+r.IntN(len(ds.courses))] {
			s := base
			if r.IntN(8) == 0 { // a mover
				s.Country = pick(r, fxCountries)
			}
			if r.IntN(10) == 0 {
				s.AgeBand = pick(r, fxAges)
			}
			var cohort *string
			if ci < 2 && r.IntN(3) == 0 {
				cohort = &ds.cohorts[ci]
			}
			at := start.Add(time.Duration(r.IntN(540*24)) * time.Hour)
			e := f.enroll(u, ds.courses[ci], cohort, s, at, r.IntN(3) == 0)
			d := disability
			if r.IntN(10) == 0 { // answered since, or withdrew consent: a mover
				d = pick(r, fxDisability)
			}
			if d != "not_stated" {
				f.disability(e, d)
			}
			if r.IntN(4) == 0 {
				f.complete(e)
				if r.IntN(2) == 0 {
					f.certify(e)
				}
			}
		}
	}
	return ds
}

func pick(r *rand.Rand, xs []string) string { return xs[r.IntN(len(xs))] }

// participationVia computes the report from the rollups, as Participation
// does, or with live from the raw tables as before the first refresh: the
// two must agree.
func participationVia(ctx context.Context, s *Store, q Query, live bool) (*Report, error) {
	if !live {
		return s.Participation(ctx, q)
	}
	tx, err := s.rdb.BeginTxx(ctx, reportTx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	return s.participation(ctx, tx, q, sql.NullTime{})
}

// rebuildRollups recounts the rollups from all enrollments in one
// transaction, as after a bulk load.
func rebuildRollups(ctx context.Context, s *Store) error {
	_, err := s.refresh(ctx, true)
	return err
}

// rollupAge returns when the rollups last reflected every change (null
// when they never have).
func rollupAge(t *testing.T, s *Store) sql.NullTime {
	t.Helper()
	var asOf sql.NullTime
	if err := s.rdb.Get(&asOf, `SELECT data_as_of FROM report_rollup_state`); err != nil {
		t.Fatal(err)
	}
	return asOf
}
