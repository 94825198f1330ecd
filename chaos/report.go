package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// report prints the tables of RELIABILITY.md, writes them to the work
// directory with a JSON copy, and fails the run when a check failed.
func (r *run) report(f *finalResult) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Run of %s on %s.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), r.machine())
	fmt.Fprintf(&b, "Load: %d steady learners sent by %d concurrent clients (batches of 1-10 events, every acknowledged batch replayed now and then), "+
		"%d learners completing `%s` during each fault, reads of enrollments, progress and certificates. "+
		"API `REQUEST_TIMEOUT=%s`, `DB_CONNECT_TIMEOUT=%s`; client timeout %s (a request reaching it counts as a hang).\n\n",
		r.o.steadyLearners, r.o.workers, r.o.completers, r.o.course, r.o.requestTimeout, r.o.dbConnectTimeout, r.o.requestTimeout+2*time.Second)

	b.WriteString("| Fault | Fault lasted | Requests sent | 2xx | 5xx (status×count) | No HTTP answer | Hangs | p99 / slowest answer | Events accepted | Lost | Stored twice | Completed → exactly one certificate | First good batch after the fault | Outbox backlog (peak) drained after |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, p := range r.results {
		st := p.stats
		five := "0"
		if n := st.fivexx(); n > 0 {
			five = fmt.Sprintf("%d (%s)", n, st.statusSummary())
		}
		fmt.Fprintf(&b, "| %s %s | %s | %d | %d | %s | %d | %d | %s / %s | %d | %d | %d | %d of %d → %d%s | %s | %s (%d) |\n",
			p.title, p.note, lasted(p), st.sent, st.ok, five, st.transport, st.hangs,
			fmtDur(st.percentile(0.99)), fmtDur(st.percentile(1)), p.events.acked, p.events.lost, p.events.duplicated,
			p.certs.completed, len(r.completersOf[indexOf(r.results, p)]), p.certs.certifiedOnce, certNote(p),
			fmtDur(p.firstOK), fmtDur(p.outboxDrained), p.peakBacklog)
	}

	b.WriteString("\nWhat the clients saw, per fault:\n\n")
	b.WriteString("| Fault | Batches | Resent at least once | Duplicates reported on a resend | Duplicates on a first send | Replays (all must be duplicates) | Replayed events counted new | Rejected events | Other 4xx | Quiz attempts stored whose answer was lost | Events given up (stored anyway) |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, p := range r.results {
		c := p.cn
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d (%d) |\n", p.name,
			c.batches.Load(), c.batchesRetried.Load(), c.dupOnRetry.Load(), c.dupOnFirstSend.Load(), c.replays.Load(),
			c.replayAccepted.Load(), c.rejected.Load(), c.unexpected4xx.Load(), c.quizLostAnswers.Load(),
			p.events.unacked, p.events.unackedIn)
	}

	g := f.global
	b.WriteString("\nWhole database at the end of the run:\n\n")
	fmt.Fprintf(&b, "- progress events acknowledged to clients: %d; stored: %d rows, %d distinct ids; acknowledged but missing: %d; stored but never acknowledged: %d\n",
		g.acked, g.stored, g.distinct, g.lost, g.storedNotAcked)
	fmt.Fprintf(&b, "- lesson completions disagreeing with the events: %d; enrollments whose counter disagrees: %d; completed enrollments missing a lesson or a passed quiz: %d\n",
		g.completionMismatch, g.counterMismatch, g.completedWithoutWork)
	fmt.Fprintf(&b, "- completed enrollments: %d; with exactly one certificate after waiting %s: %d; without: %d; with more than one: %d; certificates without completion: %d\n",
		f.before.completed, fmtDur(f.waited), f.before.certifiedOnce, f.before.uncertified, f.before.multiple, f.before.premature)
	if f.sweepRun {
		fmt.Fprintf(&b, "- after `cybercampus jobs run certificate-sweep`: %d of %d certified once, %d without, %d with more than one\n",
			f.after.certifiedOnce, f.after.completed, f.after.uncertified, f.after.multiple)
	}
	fmt.Fprintf(&b, "- outbox: %d rows, %d unsent, %d unsent for more than 30 s (stuck), %d needed more than one try\n",
		g.outboxRows, g.outboxUnsent, g.outboxOld, g.outboxFailed)
	fmt.Fprintf(&b, "- asynq: %d tasks archived (dead), %d waiting for a retry, %d not yet done when the wait ended\n", f.archived, f.retrying, f.queued)
	if len(f.orphans) > 0 {
		fmt.Fprintf(&b, "- tasks the killed worker was running (asynq hands them out again once their lease expires): %s\n", strings.Join(f.orphans, "; "))
	}
	fmt.Fprintf(&b, "- processes: %d exits the harness did not cause; ERROR log lines %s\n", f.unexpectedExits, strings.Join(f.errorLines, ", "))

	failures := r.failures(f)
	if len(failures) == 0 {
		b.WriteString("\nEvery check passed.\n")
	} else {
		b.WriteString("\nFAILED checks:\n")
		for _, s := range failures {
			b.WriteString("- " + s + "\n")
		}
	}
	out := b.String()
	fmt.Print("\n" + out)
	if err := os.WriteFile(filepath.Join(r.o.workdir, "report.md"), []byte(out), 0o644); err != nil {
		return err
	}
	if len(failures) > 0 {
		return fmt.Errorf("%d check(s) failed", len(failures))
	}
	return nil
}

func lasted(p *phaseResult) string {
	if p.name == "baseline" {
		return "—"
	}
	return fmtDur(p.faultEnd.Sub(p.faultStart))
}

func indexOf(rs []*phaseResult, p *phaseResult) int {
	for i, x := range rs {
		if x == p {
			return i
		}
	}
	return 0
}

func certNote(p *phaseResult) string {
	if p.certs.uncertified > 0 {
		return fmt.Sprintf(" (%d waiting after %s)", p.certs.uncertified, fmtDur(p.certWait))
	}
	return ""
}

// failures lists every check that must hold after any fault.
func (r *run) failures(f *finalResult) []string {
	var out []string
	check := func(ok bool, format string, args ...any) {
		if !ok {
			out = append(out, fmt.Sprintf(format, args...))
		}
	}
	for i, p := range r.results {
		c := p.cn
		check(p.events.lost == 0, "%s: %d acknowledged events lost", p.name, p.events.lost)
		check(p.events.duplicated == 0, "%s: %d events stored more than once", p.name, p.events.duplicated)
		check(p.stats.hangs == 0, "%s: %d requests hung past the client timeout", p.name, p.stats.hangs)
		check(c.dupOnFirstSend.Load() == 0, "%s: duplicates reported for batches never sent before", p.name)
		check(c.replayAccepted.Load() == 0, "%s: replayed events counted as new", p.name)
		check(c.rejected.Load() == 0, "%s: %d valid events rejected", p.name, c.rejected.Load())
		check(c.unexpected4xx.Load() == 0, "%s: %d unexpected 4xx answers", p.name, c.unexpected4xx.Load())
		check(c.quizFailures.Load() == 0, "%s: %d quizzes not passed with the right answers", p.name, c.quizFailures.Load())
		check(p.completed == len(r.completersOf[i]), "%s: %d of %d learners could not finish the course", p.name,
			len(r.completersOf[i])-p.completed, len(r.completersOf[i]))
		check(p.certs.completed == p.completed, "%s: %d learners finished every step but %d enrollments are completed",
			p.name, p.completed, p.certs.completed)
		check(p.certs.multiple == 0 && p.certs.premature == 0, "%s: certificates duplicated or premature", p.name)
		check(p.stuck == 0, "%s: %d outbox rows unsent for more than 30 s", p.name, p.stuck)
	}
	g := f.global
	check(g.lost == 0 && g.stored == g.distinct, "whole database: %d events lost, %d stored twice", g.lost, g.stored-g.distinct)
	check(g.completionMismatch == 0 && g.counterMismatch == 0 && g.completedWithoutWork == 0,
		"whole database: lesson completions or counters disagree with the events")
	check(f.after.uncertified == 0 && f.after.multiple == 0 && f.after.premature == 0,
		"whole database: %d completed enrollments without a certificate, %d with several", f.after.uncertified, f.after.multiple)
	check(g.outboxOld == 0, "whole database: %d outbox rows stuck", g.outboxOld)
	check(f.archived == 0, "asynq: %d tasks archived", f.archived)
	return out
}

// machine describes where the run happened.
func (r *run) machine() string {
	parts := []string{}
	if out, err := exec.Command("uname", "-srm").Output(); err == nil {
		parts = append(parts, strings.TrimSpace(string(out)))
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				parts = append(parts, strings.TrimSpace(strings.TrimLeft(name, "\t :")))
				break
			}
		}
	}
	parts = append(parts, fmt.Sprintf("%d CPUs", runtime.NumCPU()))
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		fmt.Sscanf(string(b), "MemTotal: %d kB", &kb)
		parts = append(parts, fmt.Sprintf("%d GiB RAM", (kb+(1<<19))>>20))
	}
	var pg string
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if r.db.QueryRowContext(ctx, `SHOW server_version`).Scan(&pg) == nil {
		parts = append(parts, "PostgreSQL "+strings.Fields(pg)[0])
	}
	if info, err := r.rdb.Info(ctx, "server").Result(); err == nil {
		for _, line := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
				parts = append(parts, "Redis "+v)
			}
		}
	}
	parts = append(parts, runtime.Version())
	return strings.Join(parts, ", ")
}
