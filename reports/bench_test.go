package reports

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
	"github.com/cybercampus/cybercampus/migrations"
)

// The participation benchmark runs in a database of its own, filled with
// generate_series: REPORTS_BENCH_LEARNERS learners (default 1,000,000) with
// three enrollments each on average over 30 courses and 24 months, skewed
// towards a few countries; 35% completed, half of those with a certificate;
// about 3% changed country between enrollments, 2% their disability status
// and education level, and age bands move with time.
//
//	go test -run '^$' -bench Participation -benchtime 15x -timeout 60m ./reports/
//	REPORTS_BENCH_LEARNERS=100000 go test -run '^$' -bench Participation -benchtime 15x ./reports/
//
// With REPORTS_BENCH_DATABASE_URL the benchmark uses (and keeps) that database
// instead, generating it only when it has no enrollments yet: measuring two
// versions of the code on the same data, in turn, compares them under the
// same load.
var bench struct {
	once  sync.Once
	db    *pgtest.DB
	store *Store
	err   error
}

const benchGenerate = `
INSERT INTO certificate_keys (thumbprint, private_enc, public_jwk) VALUES ('bench-key', '\x00', '{}');
INSERT INTO status_lists (id, size) SELECT i, 131072 FROM generate_series(1, 40) i;
INSERT INTO courses (slug) SELECT 'bench-course-' || i FROM generate_series(1, 30) i;
INSERT INTO course_versions (course_id, version, status, title, summary, level, audiences, language, languages, document, document_hash)
	SELECT id, 1, 'published', slug, 'Bench', 'beginner', '{youth}', 'en', '{en}', '{}', 'h' FROM courses;
UPDATE courses c SET current_version_id = v.id FROM course_versions v WHERE v.course_id = c.id;
CREATE TEMP TABLE bench_countries AS SELECT array_agg(code ORDER BY md5(code)) AS codes FROM countries;
INSERT INTO users (email, password_hash, name, gender, birth_year, country, audience)
	SELECT 'bench' || i || '@example.org', 'x', 'Learner',
		(ARRAY['female','male','female','male','other','undisclosed'])[1 + floor(random() * 6)::int],
		1955 + (random() * 50)::int,
		k.codes[1 + floor(power(random(), 3) * 249)::int],
		(ARRAY['youth','professional','msme'])[1 + floor(random() * 3)::int]
	FROM generate_series(1, LEARNERS) i, bench_countries k;
CREATE TEMP TABLE bench_courses AS SELECT row_number() OVER (ORDER BY c.slug) - 1 AS i, c.id, c.current_version_id AS version_id FROM courses c;
INSERT INTO enrollments (user_id, course_id, version_id, status, lessons_total, enrolled_at, completed_at,
		gender, audience, country, region, ldc, sids, lldc, age_band, disability, education_level)
	SELECT x.user_id, bc.id, bc.version_id, CASE WHEN x.done THEN 'completed' ELSE 'active' END, 10, x.at,
		CASE WHEN x.done THEN x.at + interval '30 days' END, x.gender, x.audience, k.code, k.region, k.ldc, k.sids, k.lldc,
		CASE WHEN age < 15 THEN 'under_15' WHEN age < 25 THEN '15_24' WHEN age < 35 THEN '25_34' WHEN age < 45 THEN '35_44'
			WHEN age < 55 THEN '45_54' WHEN age < 65 THEN '55_64' ELSE '65_plus' END,
		(ARRAY['no','no','no','no','no','yes','not_stated','not_stated'])[1 + (x.h + x.moved) % 8],
		(ARRAY['secondary','tertiary','secondary','adult','primary','tertiary','not_stated'])[1 + (x.h / 8 + x.moved) % 7]
	FROM (SELECT u.id AS user_id, u.gender, u.audience, u.birth_year, s,
			abs(hashtext(u.email)) AS h, (random() < 0.02)::int AS moved,
			(abs(hashtext(u.id::text)) + s * 7) % 30 AS ci,
			CASE WHEN random() < 0.03 THEN k.codes[1 + floor(random() * 249)::int] ELSE u.country END AS country,
			timestamptz '2024-01-01' + random() * interval '730 days' AS at,
			random() < 0.35 AS done
		FROM users u CROSS JOIN generate_series(1, 5) s CROSS JOIN bench_countries k WHERE u.email LIKE 'bench%' AND random() < 0.6) x
	JOIN bench_courses bc ON bc.i = x.ci
	JOIN countries k ON k.code = x.country
	CROSS JOIN LATERAL (SELECT extract(year FROM x.at)::int - x.birth_year AS age) a;
INSERT INTO certificates (user_id, enrollment_id, course_id, version_id, key_id, learner_name, course_title, token, issued_at, status_list_id, status_index)
	SELECT user_id, id, course_id, version_id, 'bench-key', 'Learner', 'Course', 't', completed_at, 1 + (n / 131072), n % 131072
	FROM (SELECT e.*, row_number() OVER () - 1 AS n FROM enrollments e WHERE status = 'completed' AND random() < 0.5) c;
ANALYZE;`

func benchSetup(b *testing.B) *Store {
	bench.once.Do(func() {
		learners := 1_000_000
		if v := os.Getenv("REPORTS_BENCH_LEARNERS"); v != "" {
			learners, bench.err = strconv.Atoi(v)
		}
		if kept := os.Getenv("REPORTS_BENCH_DATABASE_URL"); kept != "" {
			var n int
			if n, bench.err = keptDatabase(kept); bench.err != nil {
				return
			}
			if n > 0 {
				// A kept database whose generation was cut short before the
				// rollups were built, or whose rollups a migration reset, would
				// be measured on the raw tables.
				var asOf sql.NullTime
				if bench.err = bench.db.Get(&asOf, `SELECT data_as_of FROM report_rollup_state`); bench.err == nil && !asOf.Valid {
					bench.err = buildRollups(b)
				}
				return
			}
		} else if bench.db, bench.err = pgtest.New("reportsbench"); bench.err != nil {
			return
		}
		start := time.Now()
		if _, bench.err = bench.db.Exec(strings.Replace(benchGenerate, "LEARNERS", strconv.Itoa(learners), 1)); bench.err != nil {
			return
		}
		var n int
		bench.db.Get(&n, `SELECT count(*) FROM enrollments`)
		b.Logf("generated %d learners, %d enrollments in %s", learners, n, time.Since(start).Round(time.Second))
		bench.store = NewStore(bench.db.DB, bench.db.DB, time.Now)
		bench.err = buildRollups(b)
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.store
}

// buildRollups counts the rollups from every enrollment, logs their sizes
// and analyses the tables the reports read.
func buildRollups(b *testing.B) error {
	start := time.Now()
	if err := rebuildRollups(context.Background(), bench.store); err != nil {
		return err
	}
	var sizes []string
	for _, table := range []string{"report_cells", "report_learner_cells", "report_region_cells", "report_month_cells",
		"report_geo_month_cells", "report_place_month_cells"} {
		var n, overlaps int
		bench.db.QueryRow(`SELECT count(*), count(*) FILTER (WHERE enrollments = 0) FROM `+table).Scan(&n, &overlaps)
		sizes = append(sizes, fmt.Sprintf("%s %d rows (%d overlap rows)", table, n, overlaps))
	}
	var movers int
	bench.db.Get(&movers, `SELECT count(DISTINCT user_id) FROM report_enrollment_state WHERE mover`)
	b.Logf("rollups built in %s: %s; %d movers", time.Since(start).Round(time.Second), strings.Join(sizes, ", "), movers)
	_, err := bench.db.Exec(`VACUUM ANALYZE`)
	return err
}

// plainGroupBy is the reference the participation target is set against:
// the plain GROUP BY over the raw tables that bench/cmd/load runs.
var plainGroupBy = map[string]string{
	"gender,region": `SELECT e.gender, e.region, count(DISTINCT e.user_id) AS learners, count(*) AS enrollments,
		count(*) FILTER (WHERE e.status = 'completed') AS completions, count(c.id) AS certificates
		FROM enrollments e LEFT JOIN certificates c ON c.enrollment_id = e.id AND c.revoked_at IS NULL
		GROUP BY e.gender, e.region`,
	"country,month": `SELECT e.country, date_trunc('month', e.enrolled_at) AS month, count(DISTINCT e.user_id) AS learners,
		count(*) AS enrollments, count(*) FILTER (WHERE e.status = 'completed') AS completions, count(c.id) AS certificates
		FROM enrollments e LEFT JOIN certificates c ON c.enrollment_id = e.id AND c.revoked_at IS NULL
		GROUP BY e.country, date_trunc('month', e.enrolled_at)`,
	"disability,education_level": `SELECT e.disability, e.education_level, count(DISTINCT e.user_id) AS learners, count(*) AS enrollments,
		count(*) FILTER (WHERE e.status = 'completed') AS completions, count(c.id) AS certificates
		FROM enrollments e LEFT JOIN certificates c ON c.enrollment_id = e.id AND c.revoked_at IS NULL
		GROUP BY e.disability, e.education_level`,
}

// benchGroupings are the groupings the participation target is measured on.
var benchGroupings = []string{"gender,region", "country,month", "disability,education_level"}

// BenchmarkParticipation measures a whole report (rows, totals, parity,
// perturbation) from the rollups, counted from the raw tables by the report
// itself, and the plain GROUP BY reference.
func BenchmarkParticipation(b *testing.B) {
	s := benchSetup(b)
	ctx := context.Background()
	p50 := map[string]time.Duration{}
	for _, g := range benchGroupings {
		for _, mode := range []string{"rollup", "raw", "plain"} {
			b.Run(mode+"/"+g, func(b *testing.B) {
				q := query(b, s, Params{GroupBy: g})
				var times []time.Duration
				for range b.N {
					start := time.Now()
					var err error
					if mode == "plain" {
						err = readAll(ctx, s, plainGroupBy[g])
					} else {
						_, err = participationVia(ctx, s, q, mode == "raw")
					}
					if err != nil {
						b.Fatal(err)
					}
					times = append(times, time.Since(start))
				}
				slices.Sort(times)
				p50[mode+"/"+g] = times[len(times)/2]
				b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			})
		}
		if raw, plain, roll := p50["raw/"+g], p50["plain/"+g], p50["rollup/"+g]; roll > 0 {
			b.Logf("group_by=%s: p50 rollup %s, raw %s, plain GROUP BY %s; plain/rollup = %.1f×", g, roll, raw, plain, float64(plain)/float64(roll))
		}
	}
}

// keptDatabase opens (and migrates) the database url names for the
// benchmark, which TestMain then leaves in place, and returns how many
// enrollments it already holds.
func keptDatabase(url string) (int, error) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, url, postgres.Options{MaxOpenConns: 20, MaxIdleConns: 10, ConnMaxLifetime: time.Hour, ConnectTimeout: 5 * time.Second})
	if err != nil {
		return 0, err
	}
	if err := migrations.Up(ctx, db.DB, nil); err != nil {
		return 0, err
	}
	bench.db = &pgtest.DB{DB: db, URL: url}
	bench.store = NewStore(db, db, time.Now)
	var n int
	err = db.GetContext(ctx, &n, `SELECT count(*) FROM enrollments`)
	return n, err
}

// readAll runs a query and reads every row it returns, as a client would.
func readAll(ctx context.Context, s *Store, query string) error {
	rows, err := s.rdb.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	for i := range vals {
		vals[i] = new(any)
	}
	for rows.Next() {
		if err := rows.Scan(vals...); err != nil {
			return err
		}
	}
	return rows.Err()
}

// BenchmarkRollupRefresh measures one incremental refresh after 1,000 new
// enrollments and 1,000 completions: the staleness a refresh adds on top of
// the 5-minute schedule.
func BenchmarkRollupRefresh(b *testing.B) {
	s := benchSetup(b)
	for range b.N {
		b.StopTimer()
		_, err := s.db.Exec(`UPDATE enrollments SET status = 'completed', completed_at = enrolled_at + interval '1 day'
			WHERE id IN (SELECT id FROM enrollments WHERE status = 'active' LIMIT 1000)`)
		if err == nil {
			_, err = s.db.Exec(`INSERT INTO enrollments (user_id, course_id, version_id, lessons_total, enrolled_at, gender, audience,
					country, region, ldc, sids, lldc, age_band)
				SELECT e.user_id, c.id, c.current_version_id, 10, now(), e.gender, e.audience, e.country, e.region, e.ldc, e.sids, e.lldc, e.age_band
				FROM (SELECT DISTINCT ON (user_id) * FROM enrollments ORDER BY user_id, enrolled_at DESC LIMIT 1000) e
				CROSS JOIN LATERAL (SELECT * FROM courses c WHERE NOT EXISTS
					(SELECT 1 FROM enrollments x WHERE x.user_id = e.user_id AND x.course_id = c.id) LIMIT 1) c`)
		}
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := s.RefreshRollups(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
