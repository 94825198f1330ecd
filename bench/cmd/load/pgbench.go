package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// sqlDir holds the pgbench scripts.
var sqlDir = "bench/sql"

var tpsRE = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// pgbenchMeasure runs pgbench with script (-f file or -b built-in) against
// dsn with the extended protocol (as lib/pq sends parameterised queries) at
// the load's concurrency: a warm-up run, then the measured run with a
// per-transaction log for p50 and p99.
func (b *bench) pgbenchMeasure(dsn string, script []string) (measurement, error) {
	args := func(d time.Duration) []string {
		a := []string{"-n", "-M", "extended", "-c", strconv.Itoa(b.conns), "-j", "2",
			"-T", strconv.Itoa(max(1, int(d.Seconds())))}
		return append(a, script...)
	}
	if _, err := b.pgbench1(dsn, args(b.warmup), ""); err != nil {
		return measurement{}, err
	}
	dir, err := os.MkdirTemp("", "pgbench")
	if err != nil {
		return measurement{}, err
	}
	defer os.RemoveAll(dir)
	out, err := b.pgbench1(dsn, append(args(b.dur), "-l", "--log-prefix", filepath.Join(dir, "tx")), dir)
	if err != nil {
		return measurement{}, err
	}
	m := measurement{Elapsed: b.dur}
	if sub := tpsRE.FindStringSubmatch(out); sub != nil {
		m.Throughput, _ = strconv.ParseFloat(sub[1], 64)
	} else {
		return m, fmt.Errorf("no tps in pgbench output: %s", out)
	}
	if f := regexp.MustCompile(`number of failed transactions: (\d+)`).FindStringSubmatch(out); f != nil {
		m.Errors, _ = strconv.ParseInt(f[1], 10, 64)
	}
	// Per-transaction logs: client_id transaction_no time_us script_no epoch epoch_us.
	var lat []time.Duration
	logs, _ := filepath.Glob(filepath.Join(dir, "tx*"))
	for _, l := range logs {
		f, err := os.Open(l)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			if len(fs) >= 3 {
				if us, err := strconv.ParseInt(fs[2], 10, 64); err == nil {
					lat = append(lat, time.Duration(us)*time.Microsecond)
				}
			}
		}
		f.Close()
	}
	m.Requests = int64(len(lat))
	tps := m.Throughput
	m.finish(lat)
	m.Throughput = tps // pgbench's own figure, excluding connection set-up
	return m, nil
}

func (b *bench) pgbench1(dsn string, args []string, dir string) (string, error) {
	cmd := exec.Command(b.pgbench, append(args, dsn)...)
	if dir != "" {
		cmd.Dir = dir
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%v: %s", err, lastLines(string(out), 5))
	}
	return string(out), nil
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, " | ")
}
