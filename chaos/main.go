// Command chaos runs CyberCampus under a steady load of progress batches,
// quiz attempts and certificate issuance while it injects faults one after
// the other (Redis stopped, PostgreSQL restarted, the worker and the API
// killed with SIGKILL, every database connection terminated), then counts in
// the database that no accepted event was lost or stored twice, that every
// completed enrollment has exactly one certificate and that no outbox row is
// stuck. chaos/run.sh prepares its own PostgreSQL cluster and Redis and runs
// it; see RELIABILITY.md.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/lib/pq"
	"github.com/redis/go-redis/v9"
)

// options are the command-line flags.
type options struct {
	bin, ctl, workdir, dbURL, redisAddr, course string
	apiPort, workerPort, schedulerPort          int
	requestTimeout, dbConnectTimeout            time.Duration
	redisOutage                                 time.Duration
	steadyLearners, completers, workers         int
	quick                                       bool
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/cybercampus", "the cybercampus program")
	flag.StringVar(&o.ctl, "ctl", "chaos/run.sh", "script that stops and starts the chaos Redis and PostgreSQL")
	flag.StringVar(&o.workdir, "workdir", "/tmp/cybercampus-chaos", "where process logs and the report go")
	flag.StringVar(&o.dbURL, "db", "postgres://postgres@127.0.0.1:5433/cybercampus_chaos?sslmode=disable", "the chaos database")
	flag.StringVar(&o.redisAddr, "redis", "127.0.0.1:6380", "the chaos Redis")
	flag.StringVar(&o.course, "course", "security-risk-management", "starter course the learners take")
	flag.IntVar(&o.apiPort, "api-port", 18480, "API port on loopback")
	flag.IntVar(&o.workerPort, "worker-port", 18481, "worker health port on loopback")
	flag.IntVar(&o.schedulerPort, "scheduler-port", 18482, "scheduler health port on loopback")
	flag.DurationVar(&o.requestTimeout, "request-timeout", 10*time.Second, "REQUEST_TIMEOUT of the API")
	flag.DurationVar(&o.dbConnectTimeout, "db-connect-timeout", 3*time.Second, "DB_CONNECT_TIMEOUT of every process")
	flag.DurationVar(&o.redisOutage, "redis-outage", 60*time.Second, "how long Redis stays down")
	flag.IntVar(&o.steadyLearners, "learners", 20, "learners sending the steady progress load")
	flag.IntVar(&o.completers, "completers", 6, "learners completing the course during each fault")
	flag.IntVar(&o.workers, "workers", 8, "concurrent steady load senders")
	flag.BoolVar(&o.quick, "quick", false, "shorter lead-in, tail and final waits (for development)")
	flag.Parse()
	return o
}

// run is one chaos run: the processes, the database, Redis and the load.
type run struct {
	o      options
	id     string
	db     *sql.DB
	rdb    *redis.Client
	procs  map[string]*proc
	gen    *loadgen
	steady []*learner
	// completersOf holds, per phase, the learners who complete the course
	// while that phase's fault happens.
	completersOf [][]*learner
	results      []*phaseResult
	// orphans are the tasks the killed worker left in asynq's active list.
	orphans []orphan
}

// orphan is a task a killed worker was running.
type orphan struct {
	queue, id string
	killedAt  time.Time
}

func main() {
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	o := parseFlags()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r := &run{o: o, id: time.Now().UTC().Format("150405"), procs: map[string]*proc{}}
	err := r.main(ctx)
	for _, p := range r.procs {
		p.stop()
	}
	if err != nil {
		log.Fatalf("chaos: %v", err)
	}
}

func (r *run) env() []string {
	return []string{
		"DATABASE_URL=" + r.o.dbURL,
		"REPORTS_DATABASE_URL=" + r.o.dbURL,
		"REDIS_URL=redis://" + r.o.redisAddr + "/0",
		"PUBLIC_BASE_URL=" + fmt.Sprintf("http://127.0.0.1:%d", r.o.apiPort),
		"REQUEST_TIMEOUT=" + r.o.requestTimeout.String(),
		"DB_CONNECT_TIMEOUT=" + r.o.dbConnectTimeout.String(),
		"MIGRATE_ON_START=false",
		"LOG_LEVEL=info",
		"JWT_SECRET=chaos-run-jwt-secret-0123456789abcdef",
		"CERT_KEY_ENCRYPTION_KEY=chaos-run-certificate-key-encryption-0123",
		"ACCESS_TOKEN_TTL=2h",
		"AUTH_IP_LIMIT_PER_MINUTE=100000",
		"SMTP_URL=",
	}
}

func (r *run) main(ctx context.Context) error {
	if err := os.MkdirAll(r.o.workdir, 0o755); err != nil {
		return err
	}
	var err error
	if r.db, err = sql.Open("postgres", r.o.dbURL); err != nil {
		return err
	}
	r.db.SetMaxOpenConns(4)
	r.rdb = redis.NewClient(&redis.Options{Addr: r.o.redisAddr, DialTimeout: time.Second,
		ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: -1})
	for _, args := range [][]string{{"migrate", "up"}, {"seed"}} {
		if err := r.operator(ctx, args...); err != nil {
			return err
		}
	}
	for name, port := range map[string]int{"api": r.o.apiPort, "worker": r.o.workerPort, "scheduler": r.o.schedulerPort} {
		p := &proc{name: name, bin: r.o.bin, logPath: filepath.Join(r.o.workdir, name+".log"),
			env:    append(r.env(), fmt.Sprintf("HTTP_ADDR=127.0.0.1:%d", port)),
			health: fmt.Sprintf("http://127.0.0.1:%d/healthz", port)}
		os.Remove(p.logPath)
		if err := p.start(); err != nil {
			return err
		}
		r.procs[name] = p
	}
	for _, p := range r.procs {
		if err := p.waitHealthy(ctx, 30*time.Second); err != nil {
			return err
		}
	}
	log.Printf("api, worker and scheduler are up")
	if err := r.setup(ctx); err != nil {
		return err
	}
	for i, ph := range r.phases() {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		res, err := r.runPhase(ctx, i, ph)
		if err != nil {
			return fmt.Errorf("%s: %w", ph.name, err)
		}
		r.results = append(r.results, res)
	}
	fin, err := r.final(ctx)
	if err != nil {
		return err
	}
	return r.report(fin)
}

// operator runs a cybercampus operator command with the chaos configuration.
func (r *run) operator(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, r.o.bin, args...)
	cmd.Env = append(os.Environ(), r.env()...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("cybercampus %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// ctl runs a subcommand of chaos/run.sh (redis-stop, redis-start, pg-restart).
func (r *run) ctl(ctx context.Context, what string) error {
	cmd := exec.CommandContext(ctx, r.o.ctl, what)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", r.o.ctl, what, err, out)
	}
	return nil
}

// setup loads the course and the right answers, and registers the learners.
func (r *run) setup(ctx context.Context) error {
	c := newClient(fmt.Sprintf("http://127.0.0.1:%d", r.o.apiPort), r.o.requestTimeout+2*time.Second)
	crs, err := r.loadCourse(ctx, c)
	if err != nil {
		return err
	}
	r.gen = &loadgen{c: c, course: crs, ledger: newLedger()}
	total := r.o.steadyLearners + r.o.completers*len(r.phases())
	log.Printf("registering %d learners in %s (%d lessons, %d modules)", total, crs.slug, len(crs.lessons), len(crs.modules))
	all := make([]*learner, total)
	var wg sync.WaitGroup
	errs := make(chan error, total)
	sem := make(chan struct{}, 4)
	for i := range total {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			l, err := r.gen.register(ctx, r.id, i)
			if err != nil {
				errs <- err
				return
			}
			all[i] = l
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return fmt.Errorf("register learners: %w", err)
	}
	r.steady = all[:r.o.steadyLearners]
	rest := all[r.o.steadyLearners:]
	for i := range r.phases() {
		r.completersOf = append(r.completersOf, rest[i*r.o.completers:(i+1)*r.o.completers])
	}
	return nil
}

func (r *run) loadCourse(ctx context.Context, c *client) (*course, error) {
	var outline struct {
		Modules []struct {
			Lessons []struct {
				ID string `json:"id"`
			} `json:"lessons"`
			Quiz *struct {
				ID string `json:"id"`
			} `json:"quiz"`
		} `json:"modules"`
	}
	if err := c.json(ctx, http.MethodGet, "/v1/courses/"+r.o.course, "", nil, &outline, http.StatusOK); err != nil {
		return nil, fmt.Errorf("course outline: %w", err)
	}
	crs := &course{slug: r.o.course, answers: map[string]map[string][]string{}}
	for _, m := range outline.Modules {
		var mod module
		for _, l := range m.Lessons {
			mod.lessons = append(mod.lessons, l.ID)
			crs.lessons = append(crs.lessons, l.ID)
		}
		if m.Quiz != nil {
			mod.quiz = m.Quiz.ID
			crs.answers[m.Quiz.ID] = map[string][]string{}
		}
		crs.modules = append(crs.modules, mod)
	}
	// The right answers are part of the course document; the load generator
	// reads them where the course document was stored.
	rows, err := r.db.QueryContext(ctx, `SELECT q.quiz_id, q.id, o.id FROM quiz_questions q
		JOIN quiz_options o ON o.question_id = q.id WHERE o.correct`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var quiz, question, option string
		if err := rows.Scan(&quiz, &question, &option); err != nil {
			return nil, err
		}
		if a, ok := crs.answers[quiz]; ok {
			a[question] = append(a[question], option)
		}
	}
	return crs, rows.Err()
}

// final waits, bounded, for every completed enrollment to be certified and
// the outbox to be empty, and runs the whole-database checks. When
// certificates are still missing it runs the certificate sweep (the periodic
// job that exists for lost jobs) and counts again.
func (r *run) final(ctx context.Context) (*finalResult, error) {
	f := &finalResult{}
	wait := 180 * time.Second
	if r.o.quick {
		wait = 45 * time.Second
	}
	start := time.Now()
	for {
		c, err := r.certCounts(ctx, nil)
		if err == nil {
			f.before = c
			f.queued = r.asynqBusy(ctx)
			if c.uncertified == 0 && c.multiple == 0 && f.queued == 0 {
				break
			}
		}
		if time.Since(start) > wait {
			break
		}
		sleepCtx(ctx, time.Second)
	}
	f.waited = time.Since(start)
	if f.before.uncertified > 0 {
		log.Printf("%d completed enrollments still uncertified after %s: running the certificate sweep", f.before.uncertified, wait)
		f.sweepRun = true
		if err := r.operator(ctx, "jobs", "run", "certificate-sweep"); err != nil {
			return nil, err
		}
		for range 60 {
			sleepCtx(ctx, time.Second)
			if c, err := r.certCounts(ctx, nil); err == nil {
				f.after = c
				if c.uncertified == 0 {
					break
				}
			}
		}
	} else {
		f.after = f.before
	}
	var err error
	if f.global, err = r.globalChecks(ctx); err != nil {
		return nil, err
	}
	f.archived, f.retrying = r.asynqDead(ctx)
	for _, o := range r.orphans {
		state := r.rdb.HGet(ctx, "asynq:{"+o.queue+"}:t:"+o.id, "state").Val()
		if state == "" {
			state = "gone"
		}
		typ, issued := "periodic job", sql.NullTime{}
		r.retry(ctx, func(ctx context.Context) error {
			err := r.db.QueryRowContext(ctx, `SELECT o.task_type, c.issued_at FROM outbox o
				LEFT JOIN certificates c ON o.task_type = 'certificate:issue'
					AND c.enrollment_id = (o.payload->>'enrollment_id')::uuid
				WHERE o.id::text = $1`, o.id).Scan(&typ, &issued)
			if err == sql.ErrNoRows {
				return nil
			}
			return err
		})
		desc := fmt.Sprintf("%s %s: %s", typ, o.id, state)
		if issued.Valid {
			desc += fmt.Sprintf(", its certificate issued %s after the kill", fmtDur(issued.Time.Sub(o.killedAt)))
		}
		f.orphans = append(f.orphans, desc)
	}
	for _, name := range []string{"api", "worker", "scheduler"} {
		p := r.procs[name]
		f.unexpectedExits += p.unexpected
		f.errorLines = append(f.errorLines, fmt.Sprintf("%s: %d", name, countErrorLines(p.logPath)))
	}
	return f, nil
}

// asynqBusy counts the tasks asynq still has to run or finish (periodic
// tasks included): pending, active, scheduled and retrying.
func (r *run) asynqBusy(ctx context.Context) int64 {
	var n int64
	for _, q := range []string{"critical", "default", "low"} {
		n += r.rdb.LLen(ctx, "asynq:{"+q+"}:pending").Val() + r.rdb.LLen(ctx, "asynq:{"+q+"}:active").Val() +
			r.rdb.ZCard(ctx, "asynq:{"+q+"}:scheduled").Val() + r.rdb.ZCard(ctx, "asynq:{"+q+"}:retry").Val()
	}
	return n
}

// asynqDead counts archived (dead) and retrying tasks across the queues.
func (r *run) asynqDead(ctx context.Context) (archived, retrying int64) {
	for _, q := range []string{"critical", "default", "low"} {
		archived += r.rdb.ZCard(ctx, "asynq:{"+q+"}:archived").Val()
		retrying += r.rdb.ZCard(ctx, "asynq:{"+q+"}:retry").Val()
	}
	return archived, retrying
}

func countErrorLines(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	return strings.Count(string(b), `"level":"ERROR"`)
}
