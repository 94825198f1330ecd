package reports

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// The impact benchmark adds pre-/post-test attempts and survey responses to
// the participation benchmark's generated data (bench_test.go, the same
// REPORTS_BENCH_LEARNERS and REPORTS_BENCH_DATABASE_URL), once: a pre-test for
// 60% of enrollments, a post-test for 70% of the completed ones, and for every
// completed enrollment the three surveys, answered 50% (satisfaction) and 30%
// (each follow-up) of the time.
//
//	REPORTS_BENCH_LEARNERS=100000 go test -run '^$' -bench Impact -benchtime 10x -timeout 60m ./reports/
//
// The impact report reads the raw tables (no rollup), so its reference is the
// participation benchmark's plain GROUP BY of the same dimensions over
// enrollments ⟕ certificates: the ratio says what the tests and surveys add
// to a plain read of the enrollments.
var impactBench struct {
	once sync.Once
	err  error
}

const impactBenchGenerate = `
INSERT INTO assessment_draws (enrollment_id, kind, user_id, course_id, version_id, items)
	SELECT id, k.kind, user_id, course_id, version_id, '{b1,b2,b3,b4,b5}'
	FROM enrollments e CROSS JOIN (VALUES ('pre'), ('post')) k(kind)
	WHERE (k.kind = 'pre' AND random() < 0.6) OR (k.kind = 'post' AND e.status = 'completed' AND random() < 0.7);
INSERT INTO assessment_attempts (id, enrollment_id, kind, user_id, course_id, version_id, answers, results, score, created_at)
	SELECT gen_random_uuid(), enrollment_id, kind, user_id, course_id, version_id, '{}', '[]',
		CASE WHEN kind = 'pre' THEN floor(random() * 81)::int ELSE 20 + floor(random() * 81)::int END, created_at
	FROM assessment_draws;
INSERT INTO surveys (user_id, enrollment_id, course_id, kind, due_at, delivered_at, response_id, answers, responded_at)
	SELECT user_id, id, course_id, k.kind, completed_at + k.after, completed_at + k.after,
		CASE WHEN a.answered THEN gen_random_uuid() END,
		CASE WHEN NOT a.answered THEN NULL
			WHEN k.kind = 'satisfaction' THEN jsonb_build_object('overall', 1 + floor(random() * 5)::int, 'relevance', 4, 'recommend', true)
			ELSE jsonb_build_object('applied', random() < 0.6, 'changed_practice', random() < 0.4, 'new_role', random() < 0.1) END,
		CASE WHEN a.answered THEN completed_at + k.after + interval '2 days' END
	FROM enrollments e
	CROSS JOIN (VALUES ('satisfaction', interval '0 days', 0.5), ('follow_up_90', interval '90 days', 0.3),
		('follow_up_180', interval '180 days', 0.3)) k(kind, after, share)
	CROSS JOIN LATERAL (SELECT random() < k.share AS answered) a
	WHERE e.status = 'completed';
ANALYZE;`

func impactBenchSetup(b *testing.B) *Store {
	s := benchSetup(b)
	impactBench.once.Do(func() {
		var n int
		if impactBench.err = s.db.Get(&n, `SELECT count(*) FROM assessment_attempts`); impactBench.err != nil || n > 0 {
			return
		}
		start := time.Now()
		if _, impactBench.err = s.db.Exec(impactBenchGenerate); impactBench.err != nil {
			return
		}
		var attempts, responses int
		s.db.Get(&attempts, `SELECT count(*) FROM assessment_attempts`)
		s.db.Get(&responses, `SELECT count(*) FROM surveys WHERE responded_at IS NOT NULL`)
		b.Logf("generated %d test attempts and %d survey responses in %s", attempts, responses, time.Since(start).Round(time.Second))
	})
	if impactBench.err != nil {
		b.Fatal(impactBench.err)
	}
	return s
}

// BenchmarkImpact measures a whole impact report (totals, rows, disclosure
// control) and, in the same run, the plain GROUP BY reference of the same
// dimensions, reporting the p50 of each.
func BenchmarkImpact(b *testing.B) {
	s := impactBenchSetup(b)
	ctx := context.Background()
	for _, g := range []string{"gender,region", "country,month"} {
		p50 := map[string]time.Duration{}
		for _, mode := range []string{"impact", "plain"} {
			b.Run(mode+"/"+g, func(b *testing.B) {
				q := query(b, s, Params{GroupBy: g})
				var times []time.Duration
				for range b.N {
					start := time.Now()
					var err error
					if mode == "plain" {
						err = readAll(ctx, s, plainGroupBy[g])
					} else {
						_, err = s.Impact(ctx, q)
					}
					if err != nil {
						b.Fatal(err)
					}
					times = append(times, time.Since(start))
				}
				slices.Sort(times)
				p50[mode] = times[len(times)/2]
				b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			})
		}
		if p50["plain"] > 0 {
			b.Logf("group_by=%s: p50 impact %s, plain GROUP BY %s; impact/plain = %.2f×", g, p50["impact"], p50["plain"],
				float64(p50["impact"])/float64(p50["plain"]))
		}
	}
}
