package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/url"
	"path"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// The database's own limit for the progress scenarios: pgbench's built-in
// TPC-B (one write transaction of five statements) for a 1-event write and
// its select-only (one primary-key read) for a progress read, on a pgbench
// database of scale 10 in the same cluster, at the same concurrency. Unlike
// a script of our own statements, these do not move when our SQL gets slower.

// tpcbScale is the scale of the reference database (pgbench -i -s).
const tpcbScale = 10

// p99Limit is the tail every closed-loop scenario must stay under.
const p99Limit = 50 * time.Millisecond

// tpcbDSN is the pgbench database next to the bench database.
func (b *bench) tpcbDSN() (string, string, error) {
	u, err := url.Parse(b.dsn)
	if err != nil {
		return "", "", err
	}
	name := path.Base(u.Path) + "_pgbench"
	u.Path = "/" + name
	return u.String(), name, nil
}

// ensureTPCB creates and initialises the pgbench database once (pgbench -i
// -s 10); later runs reuse it.
func (b *bench) ensureTPCB() (string, error) {
	dsn, name, err := b.tpcbDSN()
	if err != nil {
		return "", err
	}
	var exists bool
	if err := b.db.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := b.db.Exec(`CREATE DATABASE ` + name); err != nil {
			return "", err
		}
	}
	ref, err := sql.Open("postgres", dsn)
	if err != nil {
		return "", err
	}
	defer ref.Close()
	var branches int
	if ref.QueryRow(`SELECT count(*) FROM pgbench_branches`).Scan(&branches) == nil && branches == tpcbScale {
		return dsn, nil
	}
	if _, err := b.pgbench1(dsn, []string{"-i", "-q", "-s", fmt.Sprint(tpcbScale)}, ""); err != nil {
		return "", fmt.Errorf("pgbench -i: %w", err)
	}
	return dsn, nil
}

// builtin measures a pgbench built-in script (tpcb-like, select-only) at the
// current concurrency, once per concurrency and run round: the write
// scenarios share one TPC-B figure.
func (b *bench) builtin(name string) (measurement, error) {
	key := fmt.Sprintf("%s@%d#%d", name, b.conns, b.round)
	if m, ok := b.refs[key]; ok {
		return m, nil
	}
	dsn, err := b.ensureTPCB()
	if err != nil {
		return measurement{}, err
	}
	m, err := b.pgbenchMeasure(dsn, []string{"-b", name})
	if err != nil {
		return m, err
	}
	b.refs[key] = m
	return m, nil
}

// againstTPCB records a write scenario as a ratio of TPC-B transactions.
func (b *bench) againstTPCB(name, note string, ours measurement) {
	const target = "≥ 0.65 of TPC-B"
	ref, err := b.builtin("tpcb-like")
	if err != nil {
		b.add(result{Scenario: name, Target: target, Failing: "pgbench: " + err.Error(), OursRun: &ours, Ours: ours.Throughput, Note: note})
		return
	}
	ratio := ours.Throughput / ref.Throughput
	b.add(result{Scenario: name, Ours: ours.Throughput, Reference: ref.Throughput, Unit: "req/s",
		Ratio: ratio, RatioOf: "ours/pgbench TPC-B tps", Target: target, Met: ratio >= 0.65, OursRun: &ours, RefRun: &ref,
		Note: note + fmt.Sprintf("; reference: pgbench -b tpcb-like -M extended, scale %d, at the same concurrency", tpcbScale)})
}

// progressSpread posts 1-event batches the way real devices do: every
// worker owns its own enrollments, so no two requests ever touch one
// enrollment at the same time.
func (b *bench) progressSpread() {
	const name = "POST /v1/progress, 1 event, one device per enrollment"
	items, err := b.pool("pool_one", "lesson_id", 1)
	if err != nil || len(items) == 0 {
		b.failing(name, "≥ 0.65 of TPC-B", fmt.Sprintf("pool: %v (%d items)", err, len(items)))
		return
	}
	own := make([][]poolItem, b.conns)
	for _, it := range items {
		h := fnv.New32a()
		h.Write([]byte(it.EnrollmentID))
		w := int(h.Sum32() % uint32(b.conns))
		own[w] = append(own[w], it)
	}
	next := make([]int, b.conns) // each touched by its own worker only
	ours := b.ours(func() measurement {
		return closedLoop(b.client, b.conns, b.warmup, b.dur, func(w int) request {
			if len(own[w]) == 0 {
				return request{}
			}
			it := own[w][next[w]%len(own[w])]
			next[w]++
			return progressRequest(b.learnerToken(it.UserID), it.LessonID)
		})
	})
	b.againstTPCB(name, fmt.Sprintf("%d enrollments of the generated pool split among the connections by enrollment id", len(items)), ours)
}

// progressRequest is a 1-event batch completing lesson, a new event id.
func progressRequest(token, lesson string) request {
	body, _ := json.Marshal(map[string]any{"events": []progressEvent{{ID: uuid.NewString(), LessonID: lesson,
		Type: "lesson_completed", OccurredAt: time.Now().UTC().Format(time.RFC3339Nano)}}})
	return request{method: "POST", path: "/v1/progress", token: token, body: body,
		contentType: "application/json", want: 200, check: checkAccepted(1), rows: 1}
}

// progressRead reads one course's progress of random enrolled learners.
func (b *bench) progressRead() {
	const name, target = "GET /v1/me/courses/{slug}/progress", "≥ 0.25 of select-only"
	rows, err := b.db.Query(`SELECT e.user_id, c.slug FROM enrollments e TABLESAMPLE SYSTEM (5)
		JOIN courses c ON c.id = e.course_id LIMIT 20000`)
	if err != nil {
		b.failing(name, target, err.Error())
		return
	}
	var paths, tokens []string
	for rows.Next() {
		var user, slug string
		if err := rows.Scan(&user, &slug); err != nil {
			b.failing(name, target, err.Error())
			return
		}
		paths = append(paths, "/v1/me/courses/"+slug+"/progress")
		tokens = append(tokens, b.learnerToken(user))
	}
	rows.Close()
	if len(paths) == 0 {
		b.failing(name, target, "no enrollment to read")
		return
	}
	check := func(body []byte) error {
		if !bytes.Contains(body, []byte(`"lessons":[{`)) {
			return fmt.Errorf("no lessons: %.100s", body)
		}
		return nil
	}
	var next atomic.Int64
	ours := b.ours(func() measurement {
		return closedLoop(b.client, b.conns, b.warmup, b.dur, func(int) request {
			i := int(next.Add(1)) % len(paths)
			return request{method: "GET", path: paths[i], token: tokens[i], want: 200, check: check}
		})
	})
	ref, err := b.builtin("select-only")
	if err != nil {
		b.add(result{Scenario: name, Target: target, Failing: "pgbench: " + err.Error(), OursRun: &ours, Ours: ours.Throughput})
		return
	}
	ratio := ours.Throughput / ref.Throughput
	b.add(result{Scenario: name, Ours: ours.Throughput, Reference: ref.Throughput, Unit: "req/s",
		Ratio: ratio, RatioOf: "ours/pgbench select-only tps", Target: target, Met: ratio >= 0.25, OursRun: &ours, RefRun: &ref,
		Note: fmt.Sprintf("%d enrollments sampled at random; reference: pgbench -b select-only -M extended, scale %d, at the same concurrency", len(paths), tpcbScale)})
}
