package main

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"
	"sync"
	"time"
)

// phase is one fault under load: a lead-in of normal load, the fault, then a
// tail of load while the system recovers.
type phase struct {
	name   string
	title  string
	leadIn time.Duration
	tail   time.Duration
	// completers of the phase start within startWindow and take one step
	// every gap, so their completions fall before, during and after the fault.
	startWindow time.Duration
	gap         time.Duration
	fault       func(ctx context.Context, res *phaseResult) error
}

// phaseResult is what one phase measured.
type phaseResult struct {
	name, title          string
	stats                *stats
	cn                   *counters
	start, end           time.Time
	faultStart, faultEnd time.Time
	note                 string

	peakBacklog   int64         // most unsent outbox rows seen from the fault's start
	outboxDrained time.Duration // from the fault's end until no row made up to then is unsent; -1 never
	firstOK       time.Duration // from the fault's end until a batch sent after it succeeded; -1 never

	events    eventCheck
	certs     certCounts
	certWait  time.Duration
	completed int // completers whose every step was acknowledged
	stuck     int64
}

func (r *run) phases() []phase {
	lead, tail := 8*time.Second, 15*time.Second
	if r.o.quick {
		lead, tail = 4*time.Second, 8*time.Second
	}
	outage := r.o.redisOutage
	return []phase{
		{name: "baseline", title: "No fault (baseline)", leadIn: lead, tail: tail,
			startWindow: lead, gap: time.Second, fault: r.noFault},
		{name: "redis", title: fmt.Sprintf("Redis stopped for %s, then started", outage), leadIn: lead, tail: tail,
			startWindow: lead + outage/2, gap: max(outage/12, time.Second), fault: r.redisOutage},
		{name: "postgres", title: "PostgreSQL restarted", leadIn: lead, tail: tail,
			startWindow: lead, gap: 1500 * time.Millisecond, fault: r.postgresRestart},
		{name: "worker", title: "Worker killed (SIGKILL) mid-task, restarted", leadIn: lead, tail: tail,
			startWindow: lead, gap: 1500 * time.Millisecond, fault: r.killWorker},
		{name: "api", title: "API killed (SIGKILL) and restarted while clients retry", leadIn: lead, tail: tail,
			startWindow: lead, gap: 1500 * time.Millisecond, fault: r.killAPI},
		{name: "terminate", title: "All database connections terminated", leadIn: lead, tail: tail,
			startWindow: lead, gap: 1500 * time.Millisecond, fault: r.terminateBackends},
	}
}

func (r *run) runPhase(ctx context.Context, i int, ph phase) (*phaseResult, error) {
	st := newStats()
	r.gen.c.current.Store(st)
	res := &phaseResult{name: ph.name, title: ph.title, stats: st, cn: &counters{}, start: time.Now(),
		outboxDrained: -1, firstOK: -1}
	log.Printf("── phase %d: %s", i, ph.title)
	load, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	drain, stopDrain := context.WithCancel(ctx)
	defer stopDrain()
	var steadyWG, compWG sync.WaitGroup
	for range r.o.workers {
		steadyWG.Go(func() { r.gen.steady(load, drain, i, res.cn, r.steady) })
	}
	steadyWG.Go(func() { r.gen.reader(load, r.steady) })
	for j, l := range r.completersOf[i] {
		delay := time.Duration(rand.Int64N(int64(ph.startWindow) + 1))
		compWG.Go(func() { r.gen.complete(drain, i, res.cn, l, delay, ph.gap, j%2 == 1) })
	}
	sleepCtx(ctx, ph.leadIn)

	ended := make(chan time.Time, 1)
	monitorDone := make(chan struct{})
	go func() { defer close(monitorDone); r.monitor(ctx, res, ended) }()
	err := ph.fault(ctx, res)
	ended <- res.faultEnd
	if err != nil {
		return nil, err
	}
	log.Printf("fault %s ended after %s %s", ph.name, res.faultEnd.Sub(res.faultStart).Round(time.Millisecond), res.note)
	sleepCtx(ctx, ph.tail)
	stopLoad()
	// Batches in hand and the completers' remaining steps go on until they
	// are acknowledged, within a bound.
	bound := time.AfterFunc(90*time.Second, stopDrain)
	steadyWG.Wait()
	compWG.Wait()
	bound.Stop()
	res.end = time.Now()
	<-monitorDone
	if d, ok := st.firstSuccessAfter(res.faultEnd); ok {
		res.firstOK = d
	}
	res.completed = int(res.cn.completersDone.Load())
	if err := r.verifyPhase(ctx, i, res); err != nil {
		return nil, err
	}
	log.Printf("phase %s: %d requests, %d ok, 5xx %d, no answer %d, hangs %d; events acked %d lost %d dup %d; certified %d/%d; first ok +%s, outbox drained +%s",
		ph.name, st.sent, st.ok, st.fivexx(), st.transport, st.hangs, res.cn.eventsAcked.Load(), res.events.lost,
		res.events.duplicated, res.certs.certifiedOnce, res.certs.completed, fmtDur(res.firstOK), fmtDur(res.outboxDrained))
	return res, nil
}

// monitor watches the outbox from the fault's start: the largest backlog,
// and how long after the fault's end every row made up to then was relayed.
func (r *run) monitor(ctx context.Context, res *phaseResult, ended <-chan time.Time) {
	var end time.Time
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if end.IsZero() {
			select {
			case end = <-ended:
				deadline = end.Add(120 * time.Second)
			default:
			}
		}
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		var all, held int64
		err := r.db.QueryRowContext(qctx, `SELECT count(*), count(*) FILTER (WHERE created_at <= $1)
			FROM outbox WHERE sent_at IS NULL`, nonZero(end)).Scan(&all, &held)
		cancel()
		if err == nil {
			res.peakBacklog = max(res.peakBacklog, all)
			if !end.IsZero() && held == 0 {
				res.outboxDrained = max(time.Since(end), 0)
				return
			}
		}
		sleepCtx(ctx, 200*time.Millisecond)
	}
}

// nonZero stands in a far future for a time not known yet, so that the
// "held" count is of every unsent row until the fault ends.
func nonZero(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now().Add(24 * time.Hour)
	}
	return t
}

func (r *run) noFault(_ context.Context, res *phaseResult) error {
	res.faultStart = time.Now()
	res.faultEnd = res.faultStart
	return nil
}

func (r *run) redisOutage(ctx context.Context, res *phaseResult) error {
	res.faultStart = time.Now()
	if err := r.ctl(ctx, "redis-stop"); err != nil {
		return err
	}
	sleepCtx(ctx, r.o.redisOutage)
	if err := r.ctl(ctx, "redis-start"); err != nil {
		return err
	}
	res.faultEnd = time.Now()
	res.note = "(shutdown nosave: Redis came back empty)"
	return nil
}

func (r *run) postgresRestart(ctx context.Context, res *phaseResult) error {
	res.faultStart = time.Now()
	err := r.ctl(ctx, "pg-restart")
	res.faultEnd = time.Now()
	return err
}

// killWorker waits (up to 20 s) until the worker is running a task, then
// kills it with SIGKILL; whatever it was running stays in asynq's active list
// until its lease expires and asynq hands it out again.
func (r *run) killWorker(ctx context.Context, res *phaseResult) error {
	w := r.procs["worker"]
	active := func() int64 {
		var n int64
		for _, q := range []string{"critical", "default", "low"} {
			n += r.rdb.LLen(ctx, "asynq:{"+q+"}:active").Val()
		}
		return n
	}
	seen := int64(0)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		if seen = active(); seen > 0 {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	res.faultStart = time.Now()
	if err := w.kill9(); err != nil {
		return err
	}
	for _, q := range []string{"critical", "default", "low"} {
		for _, id := range r.rdb.LRange(ctx, "asynq:{"+q+"}:active", 0, -1).Val() {
			r.orphans = append(r.orphans, orphan{queue: q, id: id, killedAt: res.faultStart})
		}
	}
	orphaned := len(r.orphans)
	sleepCtx(ctx, 2*time.Second)
	if err := w.start(); err != nil {
		return err
	}
	err := w.waitHealthy(ctx, 30*time.Second)
	res.faultEnd = time.Now()
	res.note = fmt.Sprintf("(%d task(s) running just before the kill, %d left in asynq's active list by it)", seen, orphaned)
	return err
}

// killAPI kills the API with SIGKILL while clients have batches in flight,
// leaves it down for three seconds of client retries, and starts it again.
func (r *run) killAPI(ctx context.Context, res *phaseResult) error {
	a := r.procs["api"]
	res.faultStart = time.Now()
	if err := a.kill9(); err != nil {
		return err
	}
	sleepCtx(ctx, 3*time.Second)
	if err := a.start(); err != nil {
		return err
	}
	err := a.waitHealthy(ctx, 30*time.Second)
	res.faultEnd = time.Now()
	return err
}

func (r *run) terminateBackends(ctx context.Context, res *phaseResult) error {
	res.faultStart = time.Now()
	var n int
	err := r.retry(ctx, func(ctx context.Context) error {
		return r.db.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n)
	})
	res.faultEnd = time.Now()
	res.note = fmt.Sprintf("(%d connections terminated)", n)
	return err
}

func fmtDur(d time.Duration) string {
	if d < 0 {
		return "never"
	}
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}
