package certification

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/lib/pq"

	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
	"github.com/cybercampus/cybercampus/jobs"
)

var testDB *pgtest.DB

func TestMain(m *testing.M) { pgtest.Main(m, "certification", &testDB) }

// redisDB is this package's own Redis database.
const redisDB = 12

// fixture is a test application with the certification routes.
type fixture struct {
	*apptest.Env
	mod *Handler
}

func newFixture(tb testing.TB) fixture {
	tb.Helper()
	env := apptest.New(tb, testDB, apptest.Options{RedisDB: redisDB})
	base := env.Config.PublicBaseURL
	keys := NewKeyring(env.DB.DB, base, env.Config.CertKeyEncryptionKey, env.Logger, time.Now)
	mod := NewHandler(keys, NewStore(env.DB.DB, keys, base, time.Now), NewVerifier(keys, base, env.DB.DB, time.Now),
		base, env.Logger)
	mod.Register(env.App, env.Auth)
	return fixture{Env: env, mod: mod}
}

// course inserts a published course version and returns the course and version ids.
func (f fixture) course(tb testing.TB, title string) (courseID, versionID string) {
	tb.Helper()
	slug := "course-" + pgtest.RandomSuffix()
	if err := f.DB.Get(&courseID, `INSERT INTO courses (slug) VALUES ($1) RETURNING id`, slug); err != nil {
		tb.Fatal(err)
	}
	const q = `INSERT INTO course_versions (course_id, version, status, title, summary, level, audiences,
			language, languages, document, document_hash, published_at)
		VALUES ($1, 1, 'published', $2, 'Protect yourself and your organisation online.', 'beginner',
			$3, 'en', '{en}', '{}', 'hash', now()) RETURNING id`
	if err := f.DB.Get(&versionID, q, courseID, title, pq.StringArray{"youth", "professional"}); err != nil {
		tb.Fatal(err)
	}
	if _, err := f.DB.Exec(`UPDATE courses SET current_version_id = $1 WHERE id = $2`, versionID, courseID); err != nil {
		tb.Fatal(err)
	}
	return courseID, versionID
}

// enrollment inserts an enrollment of user in the course version with status.
func (f fixture) enrollment(tb testing.TB, userID, courseID, versionID, status string) string {
	tb.Helper()
	const q = `WITH e AS (
			INSERT INTO enrollments (user_id, course_id, version_id, status, lessons_total,
				completed_at, gender, audience, country, region, ldc, sids, lldc, age_band)
			VALUES ($1, $2, $3, $4, 4, CASE WHEN $4 = 'completed' THEN now() END,
				'female', 'youth', 'KE', 'africa', false, false, false, '15_24')
			RETURNING id
		), p AS (INSERT INTO enrollment_progress (enrollment_id, lessons_completed, last_activity_at) SELECT id, 4, now() FROM e)
		SELECT id FROM e`
	var id string
	if err := f.DB.Get(&id, q, userID, courseID, versionID, status); err != nil {
		tb.Fatal(err)
	}
	return id
}

// completed makes a completed enrollment of user in a new course.
func (f fixture) completed(tb testing.TB, userID, title string) string {
	c, v := f.course(tb, title)
	return f.enrollment(tb, userID, c, v, "completed")
}

// issueTask is the task the outbox relay delivers for an enrollment.
func issueTask(enrollmentID string) *asynq.Task {
	b, _ := json.Marshal(jobs.EnrollmentPayload{EnrollmentID: enrollmentID})
	return asynq.NewTask(jobs.TypeIssueCertificate, b)
}

// issue completes a course for user and runs the issuing job; it returns the
// certificate id and token.
func (f fixture) issue(tb testing.TB, userID, title string) (id, token string) {
	tb.Helper()
	eid := f.completed(tb, userID, title)
	if err := f.mod.ProcessIssue(context.Background(), issueTask(eid)); err != nil {
		tb.Fatalf("issue: %v", err)
	}
	if err := f.DB.QueryRow(`SELECT id, token FROM certificates WHERE enrollment_id = $1`, eid).Scan(&id, &token); err != nil {
		tb.Fatal(err)
	}
	return id, token
}

// signRaw signs any header and payload with the current certificate key:
// the attack table needs perfect signatures over bad claims.
func (f fixture) signRaw(tb testing.TB) func(header, payload map[string]any) string {
	return func(header, payload map[string]any) string {
		key, err := f.mod.keys.Current(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		input := b64(mustJSON(tb, header)) + "." + b64(mustJSON(tb, payload))
		sig, err := signInput(key.key, input)
		if err != nil {
			tb.Fatal(err)
		}
		return input + "." + sig
	}
}

func mustJSON(tb testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// segments decodes the header and payload of a compact JWS.
func segments(tb testing.TB, token string) (header, payload map[string]any) {
	tb.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		tb.Fatalf("token has %d segments", len(parts))
	}
	for i, into := range []*map[string]any{&header, &payload} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			tb.Fatal(err)
		}
		if err := json.Unmarshal(b, into); err != nil {
			tb.Fatal(err)
		}
	}
	return header, payload
}

// cryptoSHA256 is the hash of RFC 7638 thumbprints.
const cryptoSHA256 = crypto.SHA256
