// Command load is the load generator of the CyberCampus performance harness.
// It starts the real `cybercampus serve` against the generated bench
// database, measures every scenario over HTTP on loopback with a fixed number
// of connections, measures each scenario's reference in the same run on the
// same machine (a static route on the same HTTP stack, pgbench, COPY, raw
// RS256 verification, plain GROUP BY, a no-op asynq task), and prints
// `scenario, ours, reference, ratio` with the targets, writing the figures to
// bench/out/results-<date>.json and appending them to bench/RESULTS.md.
//
// With -compare A.json B.json it prints how each figure moved between two
// runs at different scales.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	_ "github.com/lib/pq"
	"github.com/valyala/fasthttp"

	"github.com/cybercampus/cybercampus/bench/benchdata"
)

// JWTSecret is the access token key the server under test is started with,
// so that the load generator can mint tokens for generated learners.
const JWTSecret = "bench-access-token-key-not-for-production-use"

type bench struct {
	round      int // 1-based, of BENCH_ROUNDS
	ctx        context.Context
	db         *sql.DB
	dsn        string
	base       string
	addr       string
	redisURL   string
	serveBin   string
	refBin     string
	out        string
	pgbench    string
	logLevel   string
	conns      int   // of the level being measured
	levels     []int // concurrency levels, each scenario measured at each
	refs       map[string]measurement
	tokens     sync.Map // user id → access token, see learnerToken
	warmup     time.Duration
	dur        time.Duration
	learners   int
	client     *fasthttp.HostClient
	server     *proc
	results    []result
	coldStart  time.Duration
	e2eTokens  []string
	rollupNote string
	started    time.Time
}

func main() {
	compare := flag.Bool("compare", false, "compare two results files: -compare A.json B.json")
	serveBin := flag.String("serve", "bench/out/bin/cybercampus", "cybercampus binary")
	refBin := flag.String("refserver", "bench/out/bin/bench-refserver", "reference server binary")
	out := flag.String("out", "bench/out", "output directory")
	flag.Parse()
	log.SetFlags(log.Ltime)
	if *compare {
		if flag.NArg() != 2 {
			log.Fatal("usage: load -compare A.json B.json")
		}
		if err := compareRuns(flag.Arg(0), flag.Arg(1)); err != nil {
			log.Fatal(err)
		}
		return
	}
	b := &bench{ctx: context.Background(), serveBin: *serveBin, refBin: *refBin, out: *out, started: time.Now(),
		dsn:      benchdata.Str("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cybercampus_bench?sslmode=disable"),
		base:     benchdata.Str("BENCH_BASE_URL", "http://127.0.0.1:18080"),
		redisURL: benchdata.Str("BENCH_REDIS_URL", os.Getenv("REDIS_URL")),
		pgbench:  benchdata.Str("BENCH_PGBENCH", "pgbench"),
		logLevel: benchdata.Str("BENCH_LOG_LEVEL", "info"),
		levels:   connLevels(benchdata.Str("BENCH_CONNS", "8,64")),
		refs:     map[string]measurement{},
		warmup:   benchdata.Duration("BENCH_WARMUP", 3*time.Second),
		dur:      benchdata.Duration("BENCH_DURATION", 15*time.Second),
	}
	if b.redisURL == "" {
		// The bench flushes its Redis database: it must be one chosen for it,
		// never a shared default.
		log.Fatal("set BENCH_REDIS_URL (or REDIS_URL) to a Redis database the bench may flush")
	}
	if strings.Contains(b.dsn, "/cybercampus?") || strings.HasSuffix(b.dsn, "/cybercampus") {
		log.Fatal("refusing to run against the dev database")
	}
	b.conns = slices.Max(b.levels)
	b.addr = strings.TrimPrefix(b.base, "http://")
	var err error
	if b.db, err = sql.Open("postgres", b.dsn); err != nil {
		log.Fatal(err)
	}
	b.db.SetMaxOpenConns(b.conns + 4)
	if err := b.db.QueryRow(`SELECT value::int FROM bench.info WHERE key = 'learners'`).Scan(&b.learners); err != nil {
		log.Fatalf("the bench database holds no generated data (run bench/run.sh without BENCH_SKIP_GEN): %v", err)
	}
	b.client = &fasthttp.HostClient{Addr: b.addr, MaxConns: b.conns + 8, ReadTimeout: time.Minute, WriteTimeout: time.Minute,
		MaxResponseBodySize: 64 << 20, ReadBufferSize: 64 << 10}
	if err := b.flushRedis(); err != nil {
		log.Fatalf("redis: %v", err)
	}
	if b.server, b.coldStart, err = b.startServe(); err != nil {
		log.Fatal(err)
	}
	defer b.server.stop()
	log.Printf("serve ready in %s (pid %d), %d learners, %d connections, %s per run", b.coldStart.Round(time.Millisecond),
		b.server.cmd.Process.Pid, b.learners, b.conns, b.dur)
	b.refreshRollups()
	b.waitIdle()
	only := benchdata.Str("BENCH_SCENARIOS",
		"catalogue,enrollments,progress1,progress1spread,progressread,progress1sql,progress500,e2e,verify,reports")
	// Each round measures every scenario and its reference back to back, so
	// a slow spell of a shared machine hits one pair, not the whole run; the
	// report gives each round and how many met the target.
	rounds := max(1, benchdata.Int("BENCH_ROUNDS", 1))
	for round := 1; round <= rounds; round++ {
		b.round = round
		if rounds > 1 {
			log.Printf("round %d of %d", round, rounds)
		}
		for _, b.conns = range b.levels {
			b.runScenarios(only)
		}
	}
	b.report()
}

// runScenarios runs the named scenarios once, in order.
func (b *bench) runScenarios(only string) {
	for _, s := range strings.Split(only, ",") {
		fn := map[string]func(){"catalogue": b.catalogue, "enrollments": b.enrollments, "progress1": b.progress1,
			"progress1spread": b.progressSpread, "progressread": b.progressRead, "progress1sql": b.progress1SQL,
			"progress500": b.progress500, "e2e": b.e2e, "verify": b.verify, "reports": b.reports}[strings.TrimSpace(s)]
		if fn == nil {
			log.Fatalf("unknown scenario %q", s)
		}
		b.server.resetHWM()
		n := len(b.results)
		stopPerf := b.perf(fmt.Sprintf("%s-%d", strings.TrimSpace(s), b.conns))
		fn()
		stopPerf()
		rss := b.server.hwmMiB()
		for i := n; i < len(b.results); i++ {
			b.results[i].PeakRSSMiB = rss
		}
	}
}

// connLevels parses BENCH_CONNS, a comma-separated list of connection counts.
func connLevels(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			log.Fatalf("BENCH_CONNS: %q is not a list of connection counts", s)
		}
		out = append(out, n)
	}
	return out
}

// ---- processes ----

type proc struct {
	cmd  *exec.Cmd
	done chan error
}

func (b *bench) serveEnv() []string {
	env := append(os.Environ(),
		"DATABASE_URL="+b.dsn, "REPORTS_DATABASE_URL="+b.dsn, "REDIS_URL="+b.redisURL, "HTTP_ADDR="+b.addr,
		"PUBLIC_BASE_URL="+b.base, "MIGRATE_ON_START=true", "JWT_SECRET="+JWTSecret, "LOG_LEVEL="+b.logLevel)
	// BENCH_SERVE_ENV="DB_MAX_IDLE_CONNS=20 ..." tries a configuration change
	// (the results then say so); by default the server runs its defaults.
	return append(env, strings.Fields(os.Getenv("BENCH_SERVE_ENV"))...)
}

// startServe starts the server and returns its cold start: from exec to the
// first 200 of /readyz.
func (b *bench) startServe() (*proc, time.Duration, error) {
	logf, err := os.Create(filepath.Join(b.out, "serve.log"))
	if err != nil {
		return nil, 0, err
	}
	cmd := exec.Command(b.serveBin, "serve")
	cmd.Env = b.serveEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	p := &proc{cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); logf.Close() }()
	for time.Since(start) < 2*time.Minute {
		select {
		case err := <-p.done:
			return nil, 0, fmt.Errorf("serve exited before it was ready: %v (see %s/serve.log)", err, b.out)
		default:
		}
		if r, err := http.Get(b.base + "/readyz"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return p, time.Since(start), nil
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.stop()
	return nil, 0, fmt.Errorf("serve not ready after 2 minutes")
}

func (p *proc) stop() {
	if p == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// resetHWM resets the peak resident set size the kernel keeps for the process.
func (p *proc) resetHWM() {
	os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.cmd.Process.Pid), []byte("5"), 0)
}

// hwmMiB reads the peak resident set size (VmHWM) of the process.
func (p *proc) hwmMiB() float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

// perf records the server's CPU profile (perf record -g) while a scenario
// runs when BENCH_PERF=1, and writes the hottest symbols next to the results.
func (b *bench) perf(scenario string) func() {
	if benchdata.Int("BENCH_PERF", 0) != 1 {
		return func() {}
	}
	data := filepath.Join(b.out, "perf-"+scenario+".data")
	cmd := exec.Command("perf", "record", "-F", "499", "-g", "-p", strconv.Itoa(b.server.cmd.Process.Pid), "-o", data)
	if err := cmd.Start(); err != nil {
		log.Printf("perf: %v", err)
		return func() {}
	}
	return func() {
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
		for _, v := range []struct{ suffix, children string }{{"self", "--no-children"}, {"children", "--children"}} {
			out, err := exec.Command("perf", "report", "-i", data, "--stdio", v.children, "-g", "none",
				"--percent-limit", "0.7", "--sort", "symbol").Output()
			if err != nil {
				log.Printf("perf report: %v", err)
				return
			}
			os.WriteFile(filepath.Join(b.out, "perf-"+scenario+"-"+v.suffix+".txt"), out, 0o644)
		}
		log.Printf("perf profile of the server during %s: %s/perf-%s-{self,children}.txt", scenario, b.out, scenario)
	}
}

// waitIdle waits until the server has done its own start-up work (the
// scheduler's first jobs over the data, the outbox relay), that is until it
// uses under 5 % of a core for a whole second, for at most a minute: the
// first scenario of a run used to be measured while that work ran.
func (b *bench) waitIdle() {
	start := time.Now()
	for time.Since(start) < time.Minute {
		used := b.server.cpu()
		time.Sleep(time.Second)
		if b.server.cpu()-used < 50*time.Millisecond {
			b.rollupNote += fmt.Sprintf("; server idle %s after that", time.Since(start).Round(time.Second))
			log.Printf("server idle after %s", time.Since(start).Round(time.Second))
			return
		}
	}
	b.rollupNote += "; the server was still busy a minute after that (measured anyway)"
	log.Print("the server is still busy after a minute; measuring anyway")
}

// cpu returns the CPU time (user + system) the process has used.
func (p *proc) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s) // f[0] is field 3 (state); utime and stime are fields 14 and 15
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// ours measures a run against the server under test, with its CPU time.
func (b *bench) ours(f func() measurement) measurement {
	probe = b.server.cpu
	defer func() { probe = nil }()
	return f()
}

// ---- tokens ----

// token mints an access token as the server issues them: HS256, typ at+jwt,
// our issuer and audience, the user as subject.
func (b *bench) token(userID string, roles ...string) string {
	if len(roles) == 0 {
		roles = []string{"learner"}
	}
	now := time.Now()
	// sv is the session version of an account that never logged out or
	// changed its password (users.session_version starts at 1): the server
	// refuses a token whose version differs from the account's.
	claims := jwt.MapClaims{"iss": b.base, "aud": []string{"cybercampus-api"}, "sub": userID, "roles": roles, "sv": 1,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(2 * time.Hour).Unix(), "jti": uuid.NewString()}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	t.Header["typ"] = "at+jwt"
	s, err := t.SignedString([]byte(JWTSecret))
	if err != nil {
		log.Fatal(err)
	}
	return s
}

// learnerToken returns one learner token per user for the whole run: minting
// one per request would spend the load's share of the same cores on signing,
// which the pgbench references do not pay.
func (b *bench) learnerToken(userID string) string {
	if t, ok := b.tokens.Load(userID); ok {
		return t.(string)
	}
	t := b.token(userID)
	b.tokens.Store(userID, t)
	return t
}

// ---- results ----

// result is one line of the table.
type result struct {
	Scenario  string  `json:"scenario"`
	Round     int     `json:"round"`
	Ours      float64 `json:"ours"`
	Reference float64 `json:"reference"`
	Unit      string  `json:"unit"`
	Ratio     float64 `json:"ratio"`
	RatioOf   string  `json:"ratio_of"`
	Target    string  `json:"target"`
	Met       bool    `json:"met"`
	Conns     int     `json:"connections"`
	// P99Met tells whether a closed-loop run kept its p99 within p99Limit.
	P99Met     *bool        `json:"p99_met,omitempty"`
	Failing    string       `json:"failing,omitempty"`
	Note       string       `json:"note,omitempty"`
	PeakRSSMiB float64      `json:"peak_rss_mib"`
	OursRun    *measurement `json:"ours_run,omitempty"`
	RefRun     *measurement `json:"reference_run,omitempty"`
}

func (b *bench) add(r result) {
	if r.OursRun != nil && r.OursRun.Requests > 0 && r.OursRun.Errors*100 > r.OursRun.Requests && r.Failing == "" {
		r.Failing = fmt.Sprintf("%d of %d requests failed: %s", r.OursRun.Errors, r.OursRun.Requests, r.OursRun.FirstError)
		r.Met = false
	}
	if r.Failing != "" {
		r.Met = false
	}
	r.Round = b.round
	r.Conns = b.conns
	r.Scenario += fmt.Sprintf(" @%d", b.conns)
	if r.OursRun != nil && r.Unit == "req/s" && r.Failing == "" {
		ok := r.OursRun.P99 <= p99Limit
		r.P99Met = &ok
	}
	b.results = append(b.results, r)
	status := "MET"
	if !r.Met {
		status = "MISSED"
	}
	if r.P99Met != nil {
		status += fmt.Sprintf(", p99 %.1f ms %s", r.OursRun.P99ms, map[bool]string{true: "MET", false: "MISSED"}[*r.P99Met])
	}
	if r.Failing != "" {
		status = "FAILING: " + r.Failing
	}
	log.Printf("%-44s ours %s  reference %s  ratio %.3g (%s)  %s", r.Scenario, fmtNum(r.Ours, r.Unit), fmtNum(r.Reference, r.Unit),
		r.Ratio, r.Target, status)
}

func fmtNum(v float64, unit string) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f %s", v, unit)
	case v >= 10:
		return fmt.Sprintf("%.1f %s", v, unit)
	}
	return fmt.Sprintf("%.2f %s", v, unit)
}

func (b *bench) failing(scenario, target, why string) {
	b.add(result{Scenario: scenario, Target: target, Failing: why})
}
