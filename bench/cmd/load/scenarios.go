package main

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/lib/pq"
	"github.com/redis/go-redis/v9"
	"github.com/valyala/fasthttp"

	"github.com/cybercampus/cybercampus/bench/benchdata"
	"github.com/cybercampus/cybercampus/jobs"
)

func (b *bench) flushRedis() error {
	opt, err := redis.ParseURL(b.redisURL)
	if err != nil {
		return err
	}
	c := redis.NewClient(opt)
	defer c.Close()
	return c.FlushDB(b.ctx).Err()
}

// refreshRollups runs the rollup job once and waits for it, so that reports
// are served as in steady state (from the rollups, not the raw tables).
func (b *bench) refreshRollups() {
	cmd := exec.Command(b.serveBin, "jobs", "run", "rollups")
	cmd.Env = b.serveEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.rollupNote = fmt.Sprintf("rollups could not be enqueued: %v: %s", err, out)
		log.Print(b.rollupNote)
		return
	}
	// The first refresh after generation counts every enrollment (about
	// 15 to 25 minutes at a million learners on two cores); measuring while
	// it runs would disturb every scenario.
	timeout := benchdata.Duration("BENCH_ROLLUP_TIMEOUT", 2*time.Minute+time.Duration(b.learners/250)*time.Second)
	start := time.Now()
	for time.Since(start) < timeout {
		var done bool
		err := b.db.QueryRow(`SELECT data_as_of IS NOT NULL AND NOT EXISTS (SELECT 1 FROM report_changes)
			FROM report_rollup_state`).Scan(&done)
		if err != nil {
			b.rollupNote = "rollup state unreadable: " + err.Error()
			log.Print(b.rollupNote)
			return
		}
		if done {
			b.rollupNote = fmt.Sprintf("rollups refreshed in %s before measuring", time.Since(start).Round(time.Second))
			log.Print(b.rollupNote)
			return
		}
		time.Sleep(time.Second)
	}
	b.rollupNote = fmt.Sprintf("rollups were NOT refreshed within %s: reports may be counted from the raw tables", timeout)
	log.Print(b.rollupNote)
}

// ---- catalogue ----

func (b *bench) catalogue() {
	const name, target = "catalogue GET /v1/courses (ETag miss)", "≥ 0.7"
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	req.SetRequestURI(b.base + "/v1/courses")
	if err := b.client.Do(req, resp); err != nil || resp.StatusCode() != 200 {
		b.failing(name, target, fmt.Sprintf("GET /v1/courses: %v status %d %.200s", err, resp.StatusCode(), resp.Body()))
		return
	}
	body := slices.Clone(resp.Body())
	headers := map[string]string{}
	resp.Header.VisitAll(func(k, v []byte) {
		switch strings.ToLower(string(k)) {
		case "date", "content-length", "x-request-id", "server", "connection":
		default:
			headers[string(k)] = string(v)
		}
	})
	bodyFile, headerFile := filepath.Join(b.out, "catalogue.body"), filepath.Join(b.out, "catalogue.headers.json")
	os.WriteFile(bodyFile, body, 0o644)
	hb, _ := json.Marshal(headers)
	os.WriteFile(headerFile, hb, 0o644)
	check := func(got []byte) error {
		if len(got) != len(body) {
			return fmt.Errorf("body of %d bytes, want %d", len(got), len(body))
		}
		return nil
	}
	get := func(int) request { return request{method: "GET", path: "/v1/courses", want: 200, check: check} }
	ours := b.ours(func() measurement { return closedLoop(b.client, b.conns, b.warmup, b.dur, get) })

	refAddr := benchdata.Str("BENCH_REF_ADDR", "127.0.0.1:18081")
	ref := exec.Command(b.refBin, "-addr", refAddr, "-body", bodyFile, "-headers", headerFile, "-log-level", b.logLevel)
	logf, _ := os.Create(filepath.Join(b.out, "refserver.log"))
	ref.Stdout, ref.Stderr = logf, logf
	if err := ref.Start(); err != nil {
		b.failing(name, target, "reference server: "+err.Error())
		return
	}
	defer func() { ref.Process.Kill(); ref.Wait(); logf.Close() }()
	refClient := &fasthttp.HostClient{Addr: refAddr, MaxConns: b.conns + 8, ReadBufferSize: 64 << 10}
	for i := 0; i < 500; i++ {
		if code, _, err := refClient.Get(nil, "http://"+refAddr+"/healthz"); err == nil && code == 200 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	probe = (&proc{cmd: ref}).cpu
	refRun := closedLoop(refClient, b.conns, b.warmup, b.dur, get)
	probe = nil
	b.add(result{Scenario: name, Ours: ours.Throughput, Reference: refRun.Throughput, Unit: "req/s",
		Ratio: ours.Throughput / refRun.Throughput, RatioOf: "ours/ref throughput", Target: target,
		Met: ours.Throughput/refRun.Throughput >= 0.7, OursRun: &ours, RefRun: &refRun,
		Note: fmt.Sprintf("%d-byte body; reference: bench/cmd/refserver, the same internal/web Fiber stack and middleware with one static route serving the captured bytes and headers", len(body))})
}

// ---- my enrollments ----

func (b *bench) enrollments() {
	const name, target = "GET /v1/me/enrollments (authenticated)", "≥ 0.25 of select-only"
	k := min(b.learners, 20000)
	tokens := make([]string, k)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range tokens {
		tokens[i] = b.token(benchdata.UserID(1 + r.IntN(b.learners)))
	}
	var next atomic.Int64
	check := func(body []byte) error {
		if !bytes.HasPrefix(body, []byte(`{"items":[`)) {
			return fmt.Errorf("not a page: %.100s", body)
		}
		return nil
	}
	ours := b.ours(func() measurement {
		return closedLoop(b.client, b.conns, b.warmup, b.dur, func(int) request {
			return request{method: "GET", path: "/v1/me/enrollments", token: tokens[int(next.Add(1))%k], want: 200, check: check}
		})
	})
	// The machine's limit for a small read, as for the progress page: the
	// handler's own query through pgbench would measure our SQL against itself.
	ref, err := b.builtin("select-only")
	if err != nil {
		b.add(result{Scenario: name, Target: target, Failing: "pgbench: " + err.Error(), OursRun: &ours, Ours: ours.Throughput})
		return
	}
	ratio := ours.Throughput / ref.Throughput
	b.add(result{Scenario: name, Ours: ours.Throughput, Reference: ref.Throughput, Unit: "req/s",
		Ratio: ratio, RatioOf: "ours/pgbench select-only tps", Target: target, Met: ratio >= 0.25, OursRun: &ours, RefRun: &ref,
		Note: fmt.Sprintf("random learners; reference: pgbench -b select-only -M extended, scale %d, at the same concurrency", tpcbScale)})
}

// ---- progress ----

type poolItem struct {
	UserN                          int
	UserID, EnrollmentID, LessonID string
	VersionID, Slug                string
}

// pool reads the rows of a generated pool with n % 2 = parity, shuffled: the
// API runs use the odd rows, the references the even ones.
func (b *bench) pool(table, cols string, parity int) ([]poolItem, error) {
	rows, err := b.db.Query(`SELECT user_n, user_id, enrollment_id, `+cols+` FROM bench.`+table+
		` WHERE n % 2 = $1`, parity)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []poolItem
	for rows.Next() {
		var p poolItem
		var extra string
		if err := rows.Scan(&p.UserN, &p.UserID, &p.EnrollmentID, &extra); err != nil {
			return nil, err
		}
		switch cols {
		case "lesson_id":
			p.LessonID = extra
		case "version_id":
			p.VersionID = extra
		}
		out = append(out, p)
	}
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out, rows.Err()
}

type progressEvent struct {
	ID         string `json:"id"`
	LessonID   string `json:"lesson_id"`
	Type       string `json:"type"`
	OccurredAt string `json:"occurred_at"`
}

type progressResult struct {
	Accepted   int               `json:"accepted"`
	Duplicates int               `json:"duplicates"`
	Rejected   []json.RawMessage `json:"rejected"`
}

func checkAccepted(n int) func([]byte) error {
	return func(body []byte) error {
		var r progressResult
		if err := json.Unmarshal(body, &r); err != nil {
			return fmt.Errorf("bad body %.100s", body)
		}
		if r.Accepted != n {
			return fmt.Errorf("accepted %d of %d events: %.200s", r.Accepted, n, body)
		}
		return nil
	}
}

func (b *bench) progress1() {
	const name = "POST /v1/progress, 1 event"
	items, err := b.pool("pool_one", "lesson_id", 1)
	if err != nil || len(items) == 0 {
		b.failing(name, "≥ 0.65 of TPC-B", fmt.Sprintf("pool: %v (%d items)", err, len(items)))
		return
	}
	var next atomic.Int64
	ours := b.ours(func() measurement {
		return closedLoop(b.client, b.conns, b.warmup, b.dur, func(int) request {
			it := items[int(next.Add(1))%len(items)]
			return progressRequest(b.learnerToken(it.UserID), it.LessonID)
		})
	})
	note := fmt.Sprintf("each request a new event for a lesson of a random active enrollment (%d-item pool)", len(items))
	if int(ours.Requests) > len(items) {
		note += "; the pool wrapped around, later requests replayed lessons already completed"
	}
	b.againstTPCB(name, note, ours)
}

// progress1SQL runs the handler's statements alone (bench/sql/progress1.sql)
// through pgbench against TPC-B: what the database makes of our SQL without
// HTTP, tokens and JSON, to tell the two costs apart.
func (b *bench) progress1SQL() {
	const name = "progress1.sql (the 1-event handler's SQL alone, pgbench)"
	var half int
	b.db.QueryRow(`SELECT count(*) / 2 FROM bench.pool_one`).Scan(&half)
	// Prepared, as the handler prepares its two statements.
	script, err := filepath.Abs(filepath.Join(sqlDir, "progress1.sql"))
	if err != nil {
		b.failing(name, "≥ 0.65 of TPC-B", err.Error())
		return
	}
	own, err := b.pgbenchMeasure(b.dsn, []string{"-M", "prepared", "-f", script, "-D", fmt.Sprintf("half=%d", max(1, half))})
	if err != nil {
		b.failing(name, "≥ 0.65 of TPC-B", "pgbench: "+err.Error())
		return
	}
	b.againstTPCB(name, "bench/sql/progress1.sql through pgbench -M prepared (even rows of the pool)", own)
}

// versionLessons maps each published version to its lessons.
func (b *bench) versionLessons() (map[string][]string, error) {
	rows, err := b.db.Query(`SELECT l.version_id, l.id FROM lessons l JOIN course_modules m ON m.id = l.module_id
		ORDER BY l.version_id, m.position, l.position`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var v, l string
		if err := rows.Scan(&v, &l); err != nil {
			return nil, err
		}
		out[v] = append(out[v], l)
	}
	return out, rows.Err()
}

const batchSize = 500

// batchRows is a 500-event batch of one enrollment: its lessons in turn, each
// event a new id, a second apart.
func batchRows(it poolItem, lessons []string) []progressEvent {
	now := time.Now().UTC().Add(-time.Hour)
	evs := make([]progressEvent, batchSize)
	for i := range evs {
		evs[i] = progressEvent{ID: uuid.NewString(), LessonID: lessons[i%len(lessons)], Type: "lesson_completed",
			OccurredAt: now.Add(time.Duration(i) * time.Second).Format(time.RFC3339Nano)}
	}
	return evs
}

func (b *bench) progress500() {
	const name, target = "POST /v1/progress, 500 events", "≥ 0.3"
	lessons, err := b.versionLessons()
	if err != nil {
		b.failing(name, target, err.Error())
		return
	}
	ours0, err := b.pool("pool_batch", "version_id", 1)
	if err != nil || len(ours0) == 0 {
		b.failing(name, target, fmt.Sprintf("pool: %v", err))
		return
	}
	refItems, _ := b.pool("pool_batch", "version_id", 0)
	var next atomic.Int64
	ours := b.ours(func() measurement {
		return closedLoop(b.client, b.conns, b.warmup, b.dur, func(int) request {
			it := ours0[int(next.Add(1))%len(ours0)]
			body, _ := json.Marshal(map[string]any{"events": batchRows(it, lessons[it.VersionID])})
			return request{method: "POST", path: "/v1/progress", token: b.token(it.UserID), body: body,
				contentType: "application/json", want: 200, check: checkAccepted(batchSize), rows: batchSize}
		})
	})
	// Reference: COPY of the same rows, one 500-row COPY per transaction.
	var refNext atomic.Int64
	refRun := loop(b.conns, b.warmup, b.dur, func(int) (int, error) {
		it := refItems[int(refNext.Add(1))%len(refItems)]
		evs := batchRows(it, lessons[it.VersionID])
		tx, err := b.db.BeginTx(b.ctx, nil)
		if err != nil {
			return 0, err
		}
		defer tx.Rollback()
		stmt, err := tx.Prepare(pq.CopyIn("progress_events", "id", "occurred_at", "user_id", "enrollment_id", "lesson_id", "type"))
		if err != nil {
			return 0, err
		}
		for _, e := range evs {
			if _, err := stmt.Exec(e.ID, e.OccurredAt, it.UserID, it.EnrollmentID, e.LessonID, e.Type); err != nil {
				return 0, err
			}
		}
		if _, err := stmt.Exec(); err != nil {
			return 0, err
		}
		stmt.Close()
		return batchSize, tx.Commit()
	})
	ratio := ours.RowsPerSec / refRun.RowsPerSec
	b.add(result{Scenario: name, Ours: ours.RowsPerSec, Reference: refRun.RowsPerSec, Unit: "rows/s",
		Ratio: ratio, RatioOf: "ours/COPY rows per second", Target: target, Met: ratio >= 0.3, OursRun: &ours, RefRun: &refRun,
		Note: "500 new events of one enrollment (its lessons in turn) per request; reference: COPY of the same 500 progress_events rows per transaction (lib/pq CopyIn) at the same concurrency"})
}

// ---- completion → certificate ----

func (b *bench) e2e() {
	const name, target = "completion → certificate issued (p50)", "≤ reference + 100 ms"
	items, err := b.pool("pool_e2e", "lesson_id", 1)
	more, _ := b.pool("pool_e2e", "lesson_id", 0)
	items = append(items, more...)
	if err != nil || len(items) == 0 {
		b.failing(name, target, fmt.Sprintf("pool: %v", err))
		return
	}
	if items, err = b.notCompleted(items); err != nil || len(items) == 0 {
		b.failing(name, target, fmt.Sprintf("every enrollment of the pool is completed by earlier runs (generate again, without BENCH_SKIP_GEN): %v", err))
		return
	}
	samples := min(len(items), benchdata.Int("BENCH_E2E_SAMPLES", 40))
	var lat []time.Duration
	var failures int
	var firstErr string
	for i := 0; i < samples && failures < 3; i++ {
		it := items[i]
		time.Sleep(time.Duration(50+rand.IntN(200)) * time.Millisecond)
		d, tok, err := b.completeOne(it)
		if err != nil {
			failures++
			if firstErr == "" {
				firstErr = err.Error()
			}
			continue
		}
		lat = append(lat, d)
		b.e2eTokens = append(b.e2eTokens, tok)
	}
	ours := measurement{Requests: int64(len(lat) + failures), Errors: int64(failures), FirstError: firstErr}
	ours.finish(lat)
	ref, err := b.asynqNoop(samples)
	if err != nil {
		b.add(result{Scenario: name, Target: target, Failing: "reference: " + err.Error(), OursRun: &ours})
		return
	}
	r := result{Scenario: name, Ours: ms(ours.P50), Reference: ms(ref.P50), Unit: "ms", Ratio: ms(ours.P50) - ms(ref.P50),
		RatioOf: "ours p50 − reference p50 (ms)", Target: target, Met: ours.P50 <= ref.P50+100*time.Millisecond,
		OursRun: &ours, RefRun: &ref,
		Note: fmt.Sprintf("%d sequential samples: POST /v1/progress of the last lesson of a near-complete enrollment (quizzes passed, not completed by an earlier round or run), then poll the certificates table every 5 ms; reference: enqueue-to-handler latency of a no-op asynq task (default asynq server config, own queue on the same Redis DB)", samples)}
	if len(lat) == 0 {
		r.Failing = "no certificate was issued: " + firstErr
	}
	b.add(r)
}

// notCompleted keeps the pool's enrollments that are neither completed nor
// certified: an earlier round or run (BENCH_SKIP_GEN) completed some, and
// their certificate, being there already, would be "issued" at once.
func (b *bench) notCompleted(items []poolItem) ([]poolItem, error) {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.EnrollmentID
	}
	rows, err := b.db.Query(`SELECT e.id FROM enrollments e WHERE e.id = ANY($1::uuid[]) AND e.status <> 'completed'
		AND NOT EXISTS (SELECT 1 FROM certificates c WHERE c.enrollment_id = e.id)`, pq.Array(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	open := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		open[id] = true
	}
	return slices.DeleteFunc(items, func(it poolItem) bool { return !open[it.EnrollmentID] }), rows.Err()
}

// completeOne completes an enrollment's last lesson through the API and
// waits for its certificate.
func (b *bench) completeOne(it poolItem) (time.Duration, string, error) {
	body, _ := json.Marshal(map[string]any{"events": []progressEvent{{ID: uuid.NewString(), LessonID: it.LessonID,
		Type: "lesson_completed", OccurredAt: time.Now().UTC().Format(time.RFC3339Nano)}}})
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	start := time.Now()
	if err := do(b.client, req, resp, request{method: "POST", path: "/v1/progress", token: b.token(it.UserID), body: body,
		contentType: "application/json", want: 200, check: checkAccepted(1)}); err != nil {
		return 0, "", err
	}
	for time.Since(start) < 30*time.Second {
		var tok string
		err := b.db.QueryRow(`SELECT token FROM certificates WHERE enrollment_id = $1`, it.EnrollmentID).Scan(&tok)
		if err == nil {
			return time.Since(start), tok, nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	var status string
	b.db.QueryRow(`SELECT status FROM enrollments WHERE id = $1`, it.EnrollmentID).Scan(&status)
	return 0, "", fmt.Errorf("no certificate 30 s after completing enrollment %s (status %s)", it.EnrollmentID, status)
}

// asynqNoop measures enqueue-to-handler latency of a no-op task on an asynq
// server configured like the program's worker, on its own queue.
func (b *bench) asynqNoop(samples int) (measurement, error) {
	opt, err := asynq.ParseRedisURI(b.redisURL)
	if err != nil {
		return measurement{}, err
	}
	const queue = "bench-noop"
	got := make(chan time.Duration, 1)
	srv := asynq.NewServer(opt, asynq.Config{Concurrency: 10, Queues: map[string]int{queue: 1},
		TaskCheckInterval: jobs.TaskCheckInterval, Logger: quietLogger{}, ShutdownTimeout: 5 * time.Second})
	mux := asynq.NewServeMux()
	mux.HandleFunc("bench:noop", func(_ context.Context, t *asynq.Task) error {
		var sent time.Time
		sent.UnmarshalText(t.Payload())
		got <- time.Since(sent)
		return nil
	})
	if err := srv.Start(mux); err != nil {
		return measurement{}, err
	}
	defer srv.Shutdown()
	client := asynq.NewClient(opt)
	defer client.Close()
	time.Sleep(2 * time.Second) // the server's first poll
	var lat []time.Duration
	for range samples {
		time.Sleep(time.Duration(50+rand.IntN(200)) * time.Millisecond)
		now, _ := time.Now().MarshalText()
		if _, err := client.Enqueue(asynq.NewTask("bench:noop", now), asynq.Queue(queue)); err != nil {
			return measurement{}, err
		}
		select {
		case d := <-got:
			lat = append(lat, d)
		case <-time.After(30 * time.Second):
			return measurement{}, errors.New("no-op task not handled within 30 s")
		}
	}
	m := measurement{Requests: int64(len(lat))}
	m.finish(lat)
	return m, nil
}

type quietLogger struct{}

func (quietLogger) Debug(...any) {}
func (quietLogger) Info(...any)  {}
func (quietLogger) Warn(...any)  {}
func (quietLogger) Error(...any) {}
func (quietLogger) Fatal(args ...any) {
	log.Fatal(args...)
}

// ---- certificate verification ----

func (b *bench) verify() {
	const name, target = "POST /v1/certificates/verify", "≥ 0.5"
	tokens := b.e2eTokens
	if len(tokens) == 0 {
		rows, err := b.db.Query(`SELECT token FROM certificates WHERE token <> 'bench-placeholder-token' LIMIT 100`)
		if err == nil {
			for rows.Next() {
				var t string
				rows.Scan(&t)
				tokens = append(tokens, t)
			}
			rows.Close()
		}
	}
	if len(tokens) == 0 {
		b.failing(name, target, "no certificate issued by the server in this run to verify")
		return
	}
	keys, err := b.jwks()
	if err != nil {
		b.failing(name, target, "JWKS: "+err.Error())
		return
	}
	bodies := make([][]byte, len(tokens))
	for i, t := range tokens {
		bodies[i], _ = json.Marshal(map[string]string{"token": t})
	}
	check := func(body []byte) error {
		var v struct {
			Valid bool `json:"valid"`
		}
		if err := json.Unmarshal(body, &v); err != nil || !v.Valid {
			return fmt.Errorf("not valid: %.200s", body)
		}
		return nil
	}
	var next atomic.Int64
	ours := b.ours(func() measurement {
		return closedLoop(b.client, b.conns, b.warmup, b.dur, func(int) request {
			return request{method: "POST", path: "/v1/certificates/verify", body: bodies[int(next.Add(1))%len(bodies)],
				contentType: "application/json", want: 200, check: check}
		})
	})
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}))
	var refNext atomic.Int64
	ref := loop(b.conns, b.warmup, b.dur, func(int) (int, error) {
		t := tokens[int(refNext.Add(1))%len(tokens)]
		_, err := parser.Parse(t, func(t *jwt.Token) (any, error) {
			kid, _ := t.Header["kid"].(string)
			if k, ok := keys[kid]; ok {
				return k, nil
			}
			return nil, fmt.Errorf("unknown kid %q", kid)
		})
		return 1, err
	})
	ratio := ours.Throughput / ref.Throughput
	b.add(result{Scenario: name, Ours: ours.Throughput, Reference: ref.Throughput, Unit: "req/s", Ratio: ratio,
		RatioOf: "ours/raw RS256 verifications per second", Target: target, Met: ratio >= 0.5, OursRun: &ours, RefRun: &ref,
		Note: fmt.Sprintf("%d real certificates issued by the server during this run; reference: golang-jwt RS256 parse+verify with the JWKS key in the load process, %d goroutines on the same cores", len(tokens), b.conns)})
}

// jwks fetches the server's JWK Set and returns its RSA keys by kid.
func (b *bench) jwks() (map[string]*rsa.PublicKey, error) {
	code, body, err := b.client.Get(nil, b.base+"/.well-known/jwks.json")
	if err != nil || code != 200 {
		return nil, fmt.Errorf("status %d: %v", code, err)
	}
	var set struct {
		Keys []struct{ Kid, Kty, N, E string } `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, err
	}
	out := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil {
			continue
		}
		out[k.Kid] = &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	if len(out) == 0 {
		return nil, errors.New("no RSA key")
	}
	return out, nil
}

// ---- reports ----

// rawReport is the plain GROUP BY over the raw tables answering the same
// counts as the participation report.
var rawReport = map[string]string{
	"gender,region": `SELECT e.gender, e.region, count(DISTINCT e.user_id) AS learners, count(*) AS enrollments,
		count(*) FILTER (WHERE e.status = 'completed') AS completions, count(c.id) AS certificates
		FROM enrollments e LEFT JOIN certificates c ON c.enrollment_id = e.id AND c.revoked_at IS NULL
		GROUP BY e.gender, e.region`,
	"country,month": `SELECT e.country, date_trunc('month', e.enrolled_at) AS month, count(DISTINCT e.user_id) AS learners,
		count(*) AS enrollments, count(*) FILTER (WHERE e.status = 'completed') AS completions, count(c.id) AS certificates
		FROM enrollments e LEFT JOIN certificates c ON c.enrollment_id = e.id AND c.revoked_at IS NULL
		GROUP BY e.country, date_trunc('month', e.enrolled_at)`,
}

func (b *bench) reports() {
	token := b.token(benchdata.StaffID(2), "learner", "analyst")
	for _, groupBy := range []string{"gender,region", "country,month"} {
		name, target := "participation report "+groupBy+" (p50)", "≥ 20× faster, p50 ≤ 100 ms"
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		path := "/v1/reports/participation?group_by=" + groupBy
		r := request{method: "GET", path: path, token: token, want: 200, check: func(body []byte) error {
			if !bytes.Contains(body, []byte(`"rows"`)) {
				return fmt.Errorf("no rows: %.100s", body)
			}
			return nil
		}}
		var lat []time.Duration
		var errs int64
		var firstErr string
		n := benchdata.Int("BENCH_REPORT_SAMPLES", 30)
		for i := -3; i < n; i++ {
			start := time.Now()
			err := do(b.client, req, resp, r)
			d := time.Since(start)
			if i < 0 {
				continue
			}
			if err != nil {
				errs++
				if firstErr == "" {
					firstErr = err.Error()
				}
				if errs >= 3 {
					break
				}
				continue
			}
			lat = append(lat, d)
		}
		ours := measurement{Requests: int64(len(lat)) + errs, Errors: errs, FirstError: firstErr}
		ours.finish(lat)
		// The raw query: one warm-up, then samples until 5 or a minute.
		var rl []time.Duration
		var rerr error
		budget := time.Now().Add(time.Minute)
		for i := -1; i < 5 && (i < 1 || time.Now().Before(budget)); i++ {
			start := time.Now()
			rows, err := b.db.Query(rawReport[groupBy])
			if err == nil {
				for rows.Next() {
				}
				err = rows.Err()
				rows.Close()
			}
			if err != nil {
				rerr = err
				break
			}
			if i >= 0 {
				rl = append(rl, time.Since(start))
			}
		}
		ref := measurement{Requests: int64(len(rl))}
		ref.finish(rl)
		fasthttp.ReleaseRequest(req)
		fasthttp.ReleaseResponse(resp)
		if rerr != nil {
			b.add(result{Scenario: name, Target: target, Failing: "raw query: " + rerr.Error(), OursRun: &ours})
			continue
		}
		res := result{Scenario: name, Ours: ms(ours.P50), Reference: ms(ref.P50), Unit: "ms", RatioOf: "reference p50 / ours p50 (speed-up)",
			Target: target, OursRun: &ours, RefRun: &ref,
			Note: "sequential requests with an analyst token after " + b.rollupNote + "; reference: plain GROUP BY over enrollments ⟕ certificates (bench/cmd/load rawReport), sequential"}
		if len(lat) == 0 {
			res.Failing = firstErr
		} else {
			res.Ratio = float64(ref.P50) / float64(ours.P50)
			res.Met = res.Ratio >= 20 && ours.P50 <= 100*time.Millisecond
		}
		b.add(res)
	}
}
